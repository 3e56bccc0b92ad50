"""The local stack names its staff pool for the CLI in a file beside its state: the CLI takes it
on the local stack, for that stack's endpoint, and never over settings of its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailer.local.handoff import state_file, with_local_staff, write_staff
from mailer.paths import project_root
from mailer.settings import Settings
from tests.unit.test_settings import with_env

ENDPOINT = "http://127.0.0.1:5005"


def _local(state: Path, **changes: str) -> Settings:
    """Settings as a second terminal has them after `. ./local.env`, with this state file."""
    local = {"LOCAL_STACK": "1", "AWS_ENDPOINT_URL": ENDPOINT, "LOCAL_STACK_STATE": str(state)}
    return Settings.from_env(with_env(**{**local, **changes}))


def test_the_cli_takes_the_pool_the_stack_named(tmp_path: Path) -> None:
    state = tmp_path / "moto-state.pickle"
    written = write_staff(state, ENDPOINT, "eu-west-2_abc", "client123")
    assert written == tmp_path / "moto-state.staff.json"
    settings = with_local_staff(_local(state))
    assert (settings.staff_user_pool_id, settings.staff_client_id) == ("eu-west-2_abc", "client123")


@pytest.mark.parametrize(
    ("changes", "pool"),
    [
        ({"AWS_ENDPOINT_URL": "http://127.0.0.1:5999"}, ""),  # another stack's file
        ({"STAFF_USER_POOL_ID": "eu-west-2_own", "STAFF_CLIENT_ID": "own"}, "eu-west-2_own"),
        ({"LOCAL_STACK": "0"}, ""),  # not the local stack: the file means nothing
    ],
)
def test_the_file_counts_only_for_its_stack_and_never_over_set_ids(
    tmp_path: Path, changes: dict[str, str], pool: str
) -> None:
    state = tmp_path / "moto-state.pickle"
    write_staff(state, ENDPOINT, "eu-west-2_abc", "client123")
    assert with_local_staff(_local(state, **changes)).staff_user_pool_id == pool


@pytest.mark.parametrize("content", [None, "{not json", '["a list"]'])
def test_no_file_or_an_unreadable_one_leaves_the_pool_unset(
    tmp_path: Path, content: str | None
) -> None:
    state = tmp_path / "moto-state.pickle"
    if content is not None:
        (tmp_path / "moto-state.staff.json").write_text(content)
    assert with_local_staff(_local(state)).staff_user_pool_id == ""


def test_the_default_state_is_in_the_projects_folder_whatever_the_working_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env(with_env(LOCAL_STACK="1", AWS_ENDPOINT_URL=ENDPOINT))
    assert state_file(settings) == project_root() / ".local-stack" / "moto-state.pickle"
