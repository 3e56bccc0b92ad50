"""What every `mailer` command shares: the container, domain errors as a clear message, and
output that stored data cannot turn into terminal commands."""

from __future__ import annotations

import getpass
import re
from typing import Any

import click

from mailer.container import Container
from mailer.errors import MailerError
from mailer.local.handoff import with_local_staff
from mailer.settings import Settings


class Group(click.Group):
    """Turns domain errors into a clear message and exit code 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        """Run the command, translating MailerError into a ClickException whose lines print as
        lines (botocore's validation errors, for one, come in several)."""
        try:
            return super().invoke(ctx)
        except MailerError as exc:
            # Later lines indented under "Error: ", so no line of an error reads as output of
            # its own; controls but the line breaks escaped, as for every line we print.
            raise click.ClickException("\n  ".join(lines(exc).splitlines())) from None


def container_of(ctx: click.Context) -> Container:
    """The container tests pass as `obj`, else one built from the environment (on the local
    stack, with the staff pool the running stack named: local/handoff.py)."""
    root = ctx.find_root()
    if root.obj is None:
        root.obj = Container(with_local_staff(Settings.from_env()))
    return root.obj


# C0 and C1 controls, DEL, and the bidirectional overrides that make text read other than it
# is: a resource title (which staff type in the console) could otherwise move the cursor,
# rewrite the screen or set the terminal's title when an engineer lists the catalogue.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_CONTROLS_BUT_NEWLINE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(value: object) -> str:
    """A stored value fit for one line of output: every control character escaped."""
    return _CONTROLS.sub(_escape, str(value))


def lines(message: object) -> str:
    """Text the CLI itself writes, fit for the terminal: its line breaks kept, every other
    control character escaped."""
    return _CONTROLS_BUT_NEWLINE.sub(_escape, str(message))


def echo(message: Any = "", err: bool = False) -> None:
    """click.echo for lines the CLI writes: controls escaped, its own line breaks kept."""
    click.echo(lines(message), err=err)


def actor() -> str:
    """Who ran the command, as the audit log and drafts name them."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"
