"""The `mailer` command as staff and engineers run it: clear output, clear errors, no tracebacks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from mailer.cli.main import main
from mailer.container import Container
from mailer.paths import catalogue_dir


@pytest.fixture
def runner() -> CliRunner:
    """A click runner."""
    return CliRunner()


def test_validate_passes_on_the_real_catalogue(runner: CliRunner) -> None:
    result = runner.invoke(main, ["catalogue", "validate"])
    assert result.exit_code == 0, result.output
    assert "ok: 16 resources valid, 3 awareness days valid." in result.output


def test_validate_names_file_entry_and_field_and_exits_non_zero(
    runner: CliRunner, tmp_path: Path
) -> None:
    root = tmp_path / "catalogue"
    shutil.copytree(catalogue_dir(), root)
    bad = root / "resources" / "safe-homes.yaml"
    bad.write_text(bad.read_text().replace("[individuals, faith-groups]", "[teachers]"))
    result = runner.invoke(main, ["catalogue", "validate", "--path", str(root)])
    assert result.exit_code == 1
    assert (
        "safe-homes.yaml: entry 'safe-homes': field 'audiences': unknown audience 'teachers'"
        in (result.output)
    )
    assert "Traceback" not in result.output


def test_missing_settings_are_named_not_a_traceback(runner: CliRunner) -> None:
    result = runner.invoke(main, ["catalogue", "sync"], env={"SENDER_ADDRESS": ""})
    assert result.exit_code == 1
    assert "missing settings: SENDER_ADDRESS" in result.output
    assert "CATALOGUE_TABLE" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_preview_digest_writes_html_text_and_files(
    runner: CliRunner, container: Container, tmp_path: Path
) -> None:
    html = runner.invoke(
        main, ["preview", "digest", "--audience", "schools", "--period", "2026-12"], obj=container
    )
    assert html.exit_code == 0, html.output
    assert html.output.startswith("<!doctype html>")
    assert "Your December 2026 digest" in html.output
    assert "Real people, real lives" in html.output
    text = runner.invoke(
        main,
        ["preview", "digest", "--audience", "schools", "--period", "2026-12", "--text"],
        obj=container,
    )
    assert text.exit_code == 0 and "<" not in text.output.split("--")[0]
    assert "https://mailer.example.org/unsubscribe/PREVIEW" in text.output
    out = tmp_path / "digest.html"
    to_file = runner.invoke(
        main,
        [
            "preview",
            "digest",
            "--audience",
            "faith-groups",
            "--period",
            "2026-12",
            "--out",
            str(out),
        ],
        obj=container,
    )
    assert to_file.exit_code == 0, to_file.output
    assert "faith groups" in out.read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--audience", "teachers", "--period", "2026-12"], "unknown audience 'teachers'"),
        (["--audience", "schools", "--period", "December"], "period must be YYYY-MM"),
        (["--audience", "schools", "--period", "2026-13"], "period must be YYYY-MM"),
        (
            ["--audience", "schools", "--period", "2026-12", "--topics", "housing,cats"],
            "unknown topic(s): cats",
        ),
    ],
)
def test_preview_bad_input_is_one_clear_line(
    runner: CliRunner, test_env: dict[str, str], args: list[str], message: str
) -> None:
    result = runner.invoke(main, ["preview", "digest", *args], env=test_env)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_sync_is_idempotent(runner: CliRunner, container: Container, test_env) -> None:
    """The container fixture synced once already; a CLI sync on the same store changes nothing."""
    result = runner.invoke(main, ["catalogue", "sync"], obj=container, env=test_env)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("added 0, updated 0, removed 0, unchanged 16")


def test_sync_reports_edits_and_keeps_console_added_resources(
    runner: CliRunner, container: Container, tmp_path: Path
) -> None:
    table = container.table(container.settings.catalogue_table).resource
    staff_item = {**container.catalogue_files().resources[0].to_item(), "id": "staff-added"}
    table.put_item(Item={**staff_item, "source": "console"})
    root = tmp_path / "catalogue"
    shutil.copytree(catalogue_dir(), root)
    (root / "resources" / "brexit-and-modern-slavery-2017.yaml").unlink()
    edited = root / "resources" / "safe-homes.yaml"
    edited.write_text(edited.read_text().replace("[individuals, faith-groups]", "[individuals]"))
    edited_files = Container(container.settings, container.clients, data_root=tmp_path)
    result = runner.invoke(main, ["catalogue", "sync"], obj=edited_files)
    assert result.exit_code == 0, result.output
    assert "added 0, updated 1, removed 1, unchanged 14" in result.output
    assert "updated: safe-homes" in result.output
    assert "removed: brexit-and-modern-slavery-2017" in result.output
    assert table.get_item(Key={"id": "staff-added"}).get("Item"), "console resource was deleted"


def test_unreachable_local_stack_says_what_to_check(runner: CliRunner, test_env) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**test_env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "LOCAL_STACK": "1"}
    result = runner.invoke(main, ["catalogue", "sync"], env=env)
    assert result.exit_code == 1
    assert f"cannot reach http://127.0.0.1:{port}" in result.output
    assert "is `make run` running" in result.output


def test_a_multi_line_error_prints_as_lines_under_error(runner: CliRunner, staff) -> None:
    """botocore's validation message has two lines: the user sees two lines, no `\\x0a`."""
    result = runner.invoke(main, ["staff", "end-sessions", ""], obj=staff)
    assert result.exit_code == 1
    assert "\\x0a" not in result.output
    first, second = result.output.splitlines()
    assert first == "Error: finding a member failed: Parameter validation failed:"
    assert second.startswith("  Invalid length for parameter Username")


def test_an_error_keeps_its_line_breaks_and_escapes_every_other_control(
    runner: CliRunner,
) -> None:
    import click

    from mailer.cli.context import Group
    from mailer.errors import MailerError

    @click.group(cls=Group)
    def cli() -> None:
        """A group as main is."""

    @cli.command()
    def fail() -> None:
        """Fails as a command whose message holds a stored value might."""
        raise MailerError("first line\nsecond \x1b[2J line\r")

    result = runner.invoke(cli, ["fail"])
    assert result.exit_code == 1
    assert result.output.splitlines() == ["Error: first line", "  second \\x1b[2J line\\x0d"]


def test_a_staff_command_without_a_pool_names_the_setting(
    runner: CliRunner, container: Container
) -> None:
    """Not botocore's complaint about an empty id: the setting, and on the local stack why."""
    assert not container.settings.staff_user_pool_id
    result = runner.invoke(main, ["staff", "members"], obj=container)
    assert result.exit_code == 1
    assert result.output.startswith("Error: STAFF_USER_POOL_ID is not set")
    assert "`make run` names its pool to the CLI: is it running?" in result.output
