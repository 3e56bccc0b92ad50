"""The local stack: moto's server as an embedded fake AWS, provisioned from the SAM template."""

from __future__ import annotations

import logging
import signal
import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from botocore.awsrequest import AWSResponse

from mailer.campaigns.model import Campaign
from mailer.campaigns.queue import drain
from mailer.catalogue.store import SyncReport
from mailer.container import Container
from mailer.errors import MailerError, SettingsError

from . import handoff, state
from .outbox import moto_outbox
from .provision import provision
from .schedules import LocalScheduler, stack_clock
from .staff import existing_staff, provision_staff
from .template import Template, default_template_path

logger = logging.getLogger(__name__)


def _loopback_port(endpoint_url: str) -> int:
    parts = urlsplit(endpoint_url)
    if parts.hostname not in ("127.0.0.1", "localhost") or not parts.port:
        raise SettingsError(
            f"AWS_ENDPOINT_URL must be a loopback address with a port for the local stack "
            f"(got {endpoint_url!r})"
        )
    return parts.port


def _ensure_free(port: int, what: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise SettingsError(
                f"port {port} ({what}) is already in use: is another `make run` still going?"
            ) from None


@dataclass(frozen=True)
class Started:
    """What starting the fake AWS did: the catalogue sync, and what became of the saved state."""

    report: SyncReport
    state: str  # one line for the banner


@contextmanager
def fake_aws(
    container: Container, state_file: Path | None = None, fresh: bool = False
) -> Iterator[Started]:
    """Start moto on the settings' endpoint, restore the saved state (unless `fresh`), create
    what is missing of the stack's resources, sync the catalogue; save the state on the way out,
    over what an earlier run saved (also when `fresh`), once the start got that far.

    `state_file` None keeps nothing. moto's server holds everything in memory only.
    """
    from moto.server import ThreadedMotoServer  # a development dependency, never on Lambda

    settings = container.settings
    if not settings.local_stack or not settings.aws_endpoint_url:
        raise SettingsError(
            "the local stack needs LOCAL_STACK=1 and AWS_ENDPOINT_URL (see local.env)"
        )
    port = _loopback_port(settings.aws_endpoint_url)
    _ensure_free(port, "the fake AWS")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    started = False
    try:
        restored = _restored(state_file, fresh)
        provision(container.clients, Template.load(default_template_path()))
        report = container.catalogue_store.sync(container.catalogue_files())
        container.awareness_day_store.sync(container.awareness_days_file())
        started = True
        yield Started(report, restored)
    finally:
        try:
            # A start that failed made nothing worth keeping: what an earlier run saved (which a
            # FRESH=1 run has not loaded) stays as it was.
            if state_file is not None and started:
                state.save(state_file)
        finally:
            server.stop()


def _restored(state_file: Path | None, fresh: bool) -> str:
    """Load the saved state if there is one and it is wanted; the banner's line about it."""
    if state_file is None:
        return "not kept: everything is forgotten on Ctrl-C"
    kept = f"kept in {state_file} on Ctrl-C; `make run FRESH=1` starts empty"
    if fresh and state_file.exists():
        # Not loaded, not deleted either: the file is left alone until this run saves over it.
        return (
            f"started empty (FRESH=1); the state the last run saved in {state_file} is not "
            "loaded, and this run's replaces it when it stops (Ctrl-C)"
        )
    if fresh:
        return f"started empty (FRESH=1), nothing saved yet; {kept}"
    try:
        if not state.restore(state_file):
            return f"nothing saved yet, started empty; {kept}"
    except Exception as exc:  # whatever an unreadable file raises: say so, start empty
        return f"could not read {state_file} ({type(exc).__name__}), started empty; {kept}"
    return f"restored from {state_file}; {kept}"


def serve(
    container: Container,
    port: int,
    echo: Callable[[str], None],
    state_file: Path | None = None,
    fresh: bool = False,
) -> None:
    """Run the whole local stack until Ctrl-C: fake AWS plus the Flask app on loopback, with
    moto's state saved on stop and restored on start (`fresh`: start empty)."""
    from werkzeug.serving import make_server

    from web import create_app

    _ensure_free(port, "the web app")
    # moto and the app share werkzeug's request log; one line per fake AWS call drowns the URLs.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with fake_aws(container, state_file, fresh) as started:
        report = started.report
        known = existing_staff(container.clients.cognito)
        staff = known or provision_staff(container.clients.cognito)
        container.clients.cognito.meta.events.register(
            "before-call.cognito-idp.RevokeToken", _revoke_on_moto
        )
        container = Container(
            replace(
                container.settings,
                staff_user_pool_id=staff.user_pool_id,
                staff_client_id=staff.client_id,
            ),
            container.clients,
            clock=stack_clock(),
        )
        if state_file is not None:
            # moto named a new pool at random: tell the CLI in a second terminal which it is.
            handoff.write_staff(
                state_file, container.settings.aws_endpoint_url, staff.user_pool_id, staff.client_id
            )
        starter = LocalStarter(container)
        container.campaign_starter = starter  # type: ignore[misc]
        scheduler = LocalScheduler(
            container.schedule_book, starter.deliver_schedule, container.clock
        )
        scheduler.start()
        app = create_app(container, outbox=moto_outbox(container.settings.region))
        server = make_server("127.0.0.1", port, app, threaded=True)
        site = f"http://127.0.0.1:{port}"
        echo(f"Catalogue synced: {report.summary()}.")
        echo(f"Fake AWS (moto):  {container.settings.aws_endpoint_url}")
        echo(f"Catalogue:        {site}/")
        echo(f"Dev outbox:       {site}/dev/outbox  (JSON: {site}/dev/outbox.json)")
        echo(
            f"Staff console:    {site}/staff/sign-in  as {staff.email}, first password "
            f"{staff.first_password} ("
            + ("or the one you chose; " if known else "you then choose your own; ")
            + "in senders, admins and data-protection)"
        )
        echo(f"Saved state:      {started.state}")
        echo("Schedules:        a scheduled campaign is sent from here when its time comes")
        moto_port = _loopback_port(container.settings.aws_endpoint_url)
        ports = (
            ""
            if (port, moto_port) == (8000, 5005)
            else (f"export PORT={port} MOTO_PORT={moto_port} && ")
        )
        echo(
            f"From a second terminal: {ports}. .venv/bin/activate && . ./local.env && mailer --help"
        )
        echo("Press Ctrl-C to stop.")
        # Shells start background jobs with SIGINT ignored; take it (and SIGTERM) back explicitly.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, _interrupt)
        try:
            server.serve_forever()  # werkzeug returns from here on KeyboardInterrupt
        except KeyboardInterrupt:
            pass
        finally:
            scheduler.stop()
            server.server_close()
        echo("\nStopping the local stack.")
    # fake_aws has saved the state by now (it raises if it could not).
    if state_file is not None:
        echo(f"Saved state:      in {state_file}; the next `make run` restores it")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _revoke_on_moto(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
    """botocore's before-call hook for RevokeToken, which moto lacks (its server answers with a
    page of traceback per retry): answer here, in one line. The console's own session ends
    all the same; only the refresh token stays valid, and only on moto."""
    logger.warning("signed out; moto has no RevokeToken, so the refresh token was not revoked")
    return AWSResponse("", 200, {}, None), {}


class LocalStarter:
    """The console's campaign starter on the local stack: plan here, then send in the background
    as the senders' event source would on AWS, so the outbox fills while the page refreshes."""

    def __init__(self, container: Container) -> None:
        self._container = container

    def start(self, campaign: Campaign) -> None:
        """Plan the campaign now; send it from a background thread."""
        self._container.planner.plan(campaign)
        self.send_queued()

    def requeue(self, campaign_id: str) -> None:
        """Requeue parked jobs now; send them from a background thread."""
        self._container.planner.requeue_parked(campaign_id)
        self.send_queued()

    def deliver_schedule(self, event: Mapping[str, Any]) -> None:
        """A campaign schedule's event, as the planner function would take it; then send."""
        self._container.schedules.handle(event)
        self.send_queued()

    def send_queued(self) -> None:
        """Send what is on the send queue from a background thread, as the senders would."""
        threading.Thread(target=self._send, name="local-senders", daemon=True).start()

    def _send(self) -> None:
        try:
            drain(
                self._container.clients.sqs,
                self._container.settings.send_queue_url,
                self._container.sender.process_batch,
            )
        except MailerError:
            logger.exception("the local senders could not read the send queue")
