"""One sent message of every kind the mailer sends, made through the real code paths on moto:
what the quality gates (SpamAssassin, structure, axe-core) judge."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import boto3

from mailer.campaigns.model import Period
from mailer.container import Container
from mailer.local.outbox import OutboxMessage
from mailer.subscribers.lifecycle import REPERMISSION_VERSION, SignupRequest
from mailer.subscribers.model import Status, Subscriber
from tests.support.digest import FakeClock, add_people, drain_queue, pipeline
from tests.support.keys import subscriber_key
from tests.support.mail import Outbox

DEC = Period(2026, 12)
# kind -> (recipient, what the subject starts with)
KINDS = {
    "confirm": ("new.reader@example.org", "Please confirm"),
    "repermission": ("asked@example.org", "Would you like our free resources"),
    "manage": ("amal@example.org", "Your subscription: manage"),
    "preferences-changed": ("dana@example.org", "Your subscription preferences"),
    "digest-schools": ("amal@example.org", "December 2026"),
    "digest-faith-groups": ("chidi@example.org", "December 2026"),
    "digest-individuals": ("eli@example.org", "December 2026"),
    "nothing-new": ("bea@example.org", "December 2026"),
    "announcement": ("eli@example.org", "New:"),
}
# Staff's editorial notes (emails/notes.py), so the quality and accessibility gates see them.
SHORT_NOTE = "A short word from us: *thank you* for sharing these with your community."
LONG_NOTE = "\n\n".join(
    [
        "**Thank you** for reading. This month we would like to ask three things of you:",
        "- read the guide below and [share it](https://www.antislavery.org/) with a colleague\n"
        "- tell us what you would like to see next, by replying to this email\n"
        "- look through [our free resources](https://www.antislavery.org/reports-and-resources/)",
        "Each of these takes a few minutes, and *each one helps*. "
        "We read every reply, and we are grateful for every one of them. " * 3,
    ]
)
CAMPAIGN_KINDS = {k for k in KINDS if k.startswith(("digest", "nothing", "announcement"))}


def every_email(container: Container, clock: FakeClock) -> dict[str, OutboxMessage]:
    """Send one of each kind (the usual five subscribers; Bea gets the nothing-new note)."""
    settings = replace(container.settings, digest_send_empty=True)
    p = pipeline(Container(settings, container.clients), clock)
    add_people(p.subscriber_store)
    digest = p.planner.digest(DEC)
    assert digest.snapshot is not None  # the planner always freezes one
    noted = replace(digest.snapshot, notes={"*": SHORT_NOTE})
    p.planner.plan(replace(digest, snapshot=noted))
    drain_queue(p)
    p.planner.plan(
        p.planner.announcement(
            "safe-homes", message="Out today: please share it.", notes={"*": LONG_NOTE}
        )
    )
    drain_queue(p)
    lifecycle = p.subscriptions
    lifecycle.subscribe(SignupRequest("new.reader@example.org", "schools", ("housing",)))
    lifecycle.subscribe(SignupRequest("amal@example.org", "schools", ()))
    dana = p.subscriber_store.get(subscriber_key("dana@example.org"))
    lifecycle.update_preferences(dana.link_id, "faith-groups", ("housing",), dana.name, "")
    # An imported address without consent evidence, asked once (imports/runner.py).
    asked = Subscriber(
        key=subscriber_key("asked@example.org"),
        email="asked@example.org",
        audience="schools",
        status=Status.PENDING,
        form_version=REPERMISSION_VERSION,
    )
    p.notices.repermission(asked)
    sent = Outbox().all()
    found = {}
    for kind, (to, subject) in KINDS.items():
        matching = [m for m in sent if m.to == to and m.subject.startswith(subject)]
        assert matching, f"no {kind} email to {to} among {[(m.to, m.subject) for m in sent]}"
        found[kind] = matching[0] if kind != "announcement" else matching[-1]
    return found


@contextmanager
def every_email_on_moto() -> Iterator[dict[str, OutboxMessage]]:
    """every_email() on its own in-process moto, for a module-scoped fixture."""
    from moto import mock_aws

    from mailer.aws.clients import Clients
    from mailer.local.provision import provision
    from mailer.local.template import Template, default_template_path
    from mailer.settings import Settings
    from tests.support.environment import TEST_ENV

    with mock_aws():
        settings = Settings.from_env(TEST_ENV)
        clients = Clients(settings, boto3.Session(region_name=settings.region))
        provision(clients, Template.load(default_template_path()))
        container = Container(settings, clients)
        container.catalogue_store.sync(container.catalogue_files())
        yield every_email(container, FakeClock())
