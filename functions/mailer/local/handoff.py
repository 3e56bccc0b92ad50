"""What a running local stack tells the CLI in a second terminal: the staff user pool and client
it made. moto gives a new pool a new random id, which no local.env can know, so the stack writes
both to a file beside its saved state (git-ignored, like the state) and the CLI reads them from
there when LOCAL_STACK=1 and STAFF_USER_POOL_ID is unset.

The file names the fake AWS endpoint it belongs to: a second terminal pointed at another stack
(other ports) takes nothing from it.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from mailer.paths import project_root
from mailer.settings import Settings

# Where `make run` keeps moto's state unless LOCAL_STACK_STATE says otherwise: the project's
# .local-stack/, whatever folder a terminal is in.
DEFAULT_STATE = Path(".local-stack") / "moto-state.pickle"


def state_file(settings: Settings) -> Path:
    """LOCAL_STACK_STATE, else .local-stack/moto-state.pickle in the project."""
    if settings.local_stack_state:
        return Path(settings.local_stack_state)
    return project_root() / DEFAULT_STATE


def staff_file(state: Path) -> Path:
    """The staff pool's file beside a state file: moto-state.pickle's is moto-state.staff.json."""
    return state.with_suffix(".staff.json")


def write_staff(state: Path, endpoint: str, user_pool_id: str, client_id: str) -> Path:
    """Name the stack's staff pool and client for the CLI, atomically (a CLI reading meanwhile
    sees the old file or the new one whole); returns the file's path."""
    path = staff_file(state)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(
        json.dumps(
            {"endpoint": endpoint, "user_pool_id": user_pool_id, "client_id": client_id},
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    partial.replace(path)
    return path


def with_local_staff(settings: Settings) -> Settings:
    """The settings with the local stack's staff pool and client filled in, when LOCAL_STACK=1,
    STAFF_USER_POOL_ID and STAFF_CLIENT_ID are unset and the stack at AWS_ENDPOINT_URL named
    them; else the settings as they are."""
    if not settings.local_stack or settings.staff_user_pool_id or settings.staff_client_id:
        return settings
    path = staff_file(state_file(settings))
    try:
        named = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        # None yet (no stack started with this state file), or not ours: as if unset, so
        # `make run` itself still starts (and writes it anew), and a staff command says the
        # pool is unknown (Container.staff_members).
        return settings
    if not isinstance(named, dict) or named.get("endpoint") != settings.aws_endpoint_url:
        return settings
    return replace(
        settings,
        staff_user_pool_id=str(named.get("user_pool_id", "")),
        staff_client_id=str(named.get("client_id", "")),
    )
