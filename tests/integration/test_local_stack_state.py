"""The local stack across restarts: what one run made is there in the next and the banner says
so; FRESH=1 starts empty; signing out on moto (which lacks RevokeToken) logs one line."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import requests

from tests.support.localstack import (
    CHOSEN,
    REPO,
    LocalStack,
    csrf,
    sign_in,
    sign_in_choosing_a_password,
)


def _sign_out(site: str, browser: requests.Session) -> None:
    dashboard = browser.get(f"{site}/staff/", timeout=10)
    answer = browser.post(
        f"{site}/staff/sign-out", data={"csrf_token": csrf(dashboard)}, timeout=10
    )
    assert answer.url.endswith("/staff/sign-in")
    assert "/staff/sign-in?" in browser.get(f"{site}/staff/", timeout=10).url  # signed out


def test_a_restart_keeps_everything_and_fresh_starts_empty(tmp_path: Path) -> None:
    state_file = tmp_path / "moto-state.pickle"
    kept = f"kept in {state_file} on Ctrl-C; `make run FRESH=1` starts empty"
    with LocalStack(state_file) as first:
        assert f"Saved state:      nothing saved yet, started empty; {kept}" in first.banner
        assert "Catalogue synced: added 16," in first.banner
        _sign_out(first.site, sign_in_choosing_a_password(first.site))
        code, output = first.stop()
    assert code == 0 and state_file.exists()
    # moto has no RevokeToken: one line says so, not moto's traceback on every retry
    assert output.count("moto has no RevokeToken") == 1, output
    assert "Traceback" not in output and len(output.splitlines()) < 5, output
    stopping, saved = output.splitlines()[-2:]  # said once the state is on disk
    assert stopping == "Stopping the local stack."
    assert saved == f"Saved state:      in {state_file}; the next `make run` restores it"

    with LocalStack(state_file) as second:
        assert f"Saved state:      restored from {state_file}; {kept}" in second.banner
        assert "Catalogue synced: added 0, updated 0, removed 0, unchanged 16." in second.banner
        assert "or the one you chose" in second.banner
        _, landed = sign_in(second.site, CHOSEN)  # the password chosen in the first run
        assert landed.url.endswith("/staff/") and "Sign out" in landed.text
        second.stop()

    with LocalStack(state_file, fresh=True) as third:
        assert (
            f"Saved state:      started empty (FRESH=1); the state the last run saved in "
            f"{state_file} is not loaded, and this run's replaces it when it stops (Ctrl-C)"
        ) in third.banner
        assert "Catalogue synced: added 16," in third.banner
        _, refused = sign_in(third.site, CHOSEN)
        assert not refused.url.endswith("/staff/")
        _, output = third.stop()
    assert f"Saved state:      in {state_file}; the next `make run` restores it" in output

    with LocalStack(state_file) as fourth:  # as the warning said: the first run's is gone
        assert f"Saved state:      restored from {state_file}; {kept}" in fourth.banner
        _, refused = sign_in(fourth.site, CHOSEN)
        assert not refused.url.endswith("/staff/")
        fourth.stop()


def test_fresh_with_nothing_saved_says_so_and_saves_on_stop(tmp_path: Path) -> None:
    state_file = tmp_path / "moto-state.pickle"
    with LocalStack(state_file, fresh=True) as stack:
        assert (
            f"Saved state:      started empty (FRESH=1), nothing saved yet; kept in {state_file} "
            "on Ctrl-C; `make run FRESH=1` starts empty"
        ) in stack.banner
        code, output = stack.stop()
    assert code == 0 and state_file.exists()
    assert output.splitlines()[-1] == (
        f"Saved state:      in {state_file}; the next `make run` restores it"
    )


def test_an_unreadable_saved_state_is_named_and_the_stack_starts_empty(tmp_path: Path) -> None:
    state_file = tmp_path / "moto-state.pickle"
    state_file.write_bytes(b"not a saved state")
    with LocalStack(state_file) as stack:
        assert f"Saved state:      could not read {state_file} (" in stack.banner
        assert "started empty" in stack.banner and "Catalogue synced: added 16," in stack.banner
        stack.stop()


# A start that fails after moto is up (here: a catalogue with a bad file), as `mailer local run`
# would make it, but with the catalogue folder of the test's choosing.
FAILED_START = """
import sys
from pathlib import Path
from mailer.container import Container
from mailer.errors import CatalogueError
from mailer.local.stack import fake_aws
from mailer.settings import Settings

container = Container(Settings.from_env(), data_root=Path(sys.argv[1]))
try:
    with fake_aws(container, Path(sys.argv[2]), fresh=True):
        raise SystemExit("started with a bad catalogue")
except CatalogueError:
    print("start failed")
"""


def test_a_failed_fresh_start_leaves_the_saved_state_alone(tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(REPO / "catalogue", root / "catalogue")
    bad = root / "catalogue" / "resources" / "safe-homes.yaml"
    bad.write_text(bad.read_text().replace("[individuals, faith-groups]", "[teachers]"))
    state_file = tmp_path / "moto-state.pickle"
    state_file.write_bytes(b"what the last run saved")
    stack = LocalStack(state_file)  # its ports and environment; the child below is the stack
    failed = stack.run(sys.executable, "-c", FAILED_START, str(root), str(state_file))
    assert failed.stdout == "start failed\n", failed.stdout + failed.stderr
    assert state_file.read_bytes() == b"what the last run saved"
