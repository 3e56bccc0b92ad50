"""`mailer subscriber show|unsubscribe|erase|export`, the find-a-person page's twins."""

from __future__ import annotations

import json

from click.testing import CliRunner

from mailer.cli.main import main
from tests.support.data_protection import seed, staff_table_text
from tests.support.keys import subscriber_key

ANA = "ana.lima@example.org"


def test_show_export_unsubscribe_and_erase_are_audited_by_key(container) -> None:
    seed(container, ANA, name="Ana Lima")
    runner = CliRunner()
    shown = runner.invoke(main, ["subscriber", "show", "Ana.Lima+news@example.org"], obj=container)
    assert shown.exit_code == 0, shown.output
    assert ANA in shown.output and "lawful basis:   consent" in shown.output
    exported = runner.invoke(main, ["subscriber", "export", ANA], obj=container)
    assert json.loads(exported.output)["email"] == ANA
    for _ in range(2):  # safe to run twice
        gone = runner.invoke(main, ["subscriber", "unsubscribe", ANA], obj=container)
        assert gone.exit_code == 0
    assert "nothing to do" in gone.output
    assert container.subscriber_store.get(subscriber_key(ANA)).withdrawal == "by staff"
    erased = runner.invoke(main, ["subscriber", "erase", ANA, "--yes"], obj=container)
    assert "erased" in erased.output
    after = runner.invoke(main, ["subscriber", "show", ANA], obj=container)
    assert "status:         erased" in after.output and "Ana" not in after.output
    none = runner.invoke(main, ["subscriber", "export", ANA], obj=container)
    assert none.exit_code == 1 and "nothing to export" in none.output
    actions = [e.action for e in container.audit_log.recent()]
    assert actions.count("looked up a person") == 2 and "erased a person" in actions
    assert "ana.lima" not in staff_table_text(container).lower()


def test_an_unknown_address_says_only_that(container) -> None:
    result = CliRunner().invoke(main, ["subscriber", "show", "who@example.org"], obj=container)
    assert result.exit_code == 0 and "not known" in result.output


def test_census_check_and_rebuild(container) -> None:
    seed(container, ANA)
    runner = CliRunner()
    ok = runner.invoke(main, ["census", "check"], obj=container)
    assert ok.exit_code == 0 and "equal a scan" in ok.output
    table = container.table(container.settings.subscribers_table).resource
    for shard in range(16):  # as a table deployed before the counters existed
        table.delete_item(Key={"pk": f"census#{shard}"})
    drifted = runner.invoke(main, ["census", "check"], obj=container)
    assert drifted.exit_code == 1 and "confirmed#schools: counters 0, scan 1" in drifted.output
    rebuilt = runner.invoke(main, ["census", "rebuild", "--yes"], obj=container)
    assert rebuilt.exit_code == 0
    assert runner.invoke(main, ["census", "check"], obj=container).exit_code == 0


def test_subscribers_import_dry_runs_imports_and_a_second_run_sends_nothing(
    container, tmp_path
) -> None:
    from tests.support.imports import HEADER
    from tests.support.mail import Outbox

    listing = tmp_path / "list.csv"
    listing.write_text(
        HEADER
        + "kim@example.org,schools,,,,2026-03-01,\nask@example.org,schools,,,,,\nbad,schools,,,,,\n"
    )
    args = [
        "subscribers",
        "import",
        str(listing),
        "--source",
        "Our 2026 conference sign-up sheets",
        "--basis",
        "consent",
    ]
    runner = CliRunner()
    dry = runner.invoke(main, [*args, "--dry-run"], obj=container)
    assert dry.exit_code == 0, dry.output
    assert "dry-run done: 3 row(s)" in dry.output and "line 4: bad address" in dry.output
    assert container.subscriber_store.get(subscriber_key("kim@example.org")) is None
    done = runner.invoke(main, [*args, "--yes"], obj=container)
    assert "import done: 3 row(s)" in done.output and "  new: 1" in done.output
    outbox = Outbox()
    assert len(outbox.all()) == 1
    again = runner.invoke(main, [*args, "--yes"], obj=container)
    assert "imported already" in again.output and len(outbox.all()) == 1
    refused = runner.invoke(main, [*args[:-1], "soft-opt-in"], obj=container)
    assert refused.exit_code == 1 and "soft opt-in applies only" in refused.output
