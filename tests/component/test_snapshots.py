"""What was approved is what is sent: a campaign freezes the resources and subjects it shows
when it starts, and every sender, in any container, renders only from that snapshot."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mailer.campaigns.model import Campaign, Period
from mailer.campaigns.snapshot import Snapshot, SnapshotTooLargeError
from mailer.campaigns.starter import LambdaStarter
from mailer.container import Container
from mailer.emails.render import shorten_subject
from tests.support.digest import FakeClock, add_people, drain_queue, pipeline
from tests.support.mail import Outbox

DEC = Period(2026, 12)
RESOURCE = "agents-for-change-2020"  # for every group; no address of its own: ours is linked


def _edit(container: Container, resource_id: str, **changes: Any) -> None:
    """A member of staff saves an edit to a resource in the console."""
    resource, retired = container.catalogue_store.get(resource_id, container.vocabulary)
    container.catalogue_store.save(resource.model_copy(update=changes), retired=retired)


def _fresh_sender(container: Container, clock: FakeClock) -> Container:
    """A new Lambda container: nothing cached, the catalogue read from the table anew."""
    return pipeline(Container(container.settings, container.clients), clock)


def test_an_edit_after_approval_never_reaches_an_approved_announcement(
    container: Container, clock: FakeClock, outbox: Outbox
) -> None:
    p = pipeline(container, clock)
    add_people(p.subscriber_store)
    original, _ = p.catalogue_store.get(RESOURCE, p.vocabulary)
    campaign = p.planner.announcement(RESOURCE, message="Out today.")
    p.planner.plan(campaign)
    _edit(p, RESOURCE, title="A changed title", url="https://changed.example.org/x")

    drain_queue(_fresh_sender(p, clock))

    sent = [m for m in outbox.all() if m.subject.startswith("New:")]
    assert sent, "the announcement went to no one"
    for message in sent:
        assert message.subject == shorten_subject(f"New: {original.title}")
        assert original.title in " ".join(message.text.split())
        link = f"/resources/{RESOURCE}"  # its page in our catalogue, as frozen
        assert link in message.html and link in message.text
        assert "A changed title" not in message.html + message.text
        assert "changed.example.org" not in message.html + message.text


def test_an_edit_after_the_digest_started_never_reaches_it(
    container: Container, clock: FakeClock, outbox: Outbox
) -> None:
    p = pipeline(container, clock)
    add_people(p.subscriber_store)
    campaign = p.planner.digest(DEC)
    p.planner.plan(campaign)
    frozen = {r.id: r.title for r in campaign.snapshot.resources}
    for resource_id in frozen:
        _edit(p, resource_id, title=f"Edited later: {resource_id}")

    drain_queue(_fresh_sender(p, clock))

    digests = [m for m in outbox.all() if m.subject.startswith("December 2026")]
    assert digests
    for message in digests:
        assert "Edited later" not in message.html + message.text
    shown = [title for title in frozen.values() if title in digests[0].text]
    assert shown, "the digest shows none of the frozen titles"


def test_staff_subjects_are_frozen_per_group(
    container: Container, clock: FakeClock, outbox: Outbox
) -> None:
    p = pipeline(container, clock)
    add_people(p.subscriber_store)
    subjects = {"schools": "For your next assembly: safe homes"}
    p.planner.plan(p.planner.announcement(RESOURCE, subjects=subjects))
    drain_queue(_fresh_sender(p, clock))

    by_audience = {m.to: m.subject for m in outbox.all()}
    assert by_audience["amal@example.org"] == "For your next assembly: safe homes"  # a school
    assert by_audience["eli@example.org"].startswith("New: ")  # individuals: generated


class _LambdaSpy:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def invoke(self, **request: Any) -> dict[str, Any]:
        self.events.append(json.loads(request["Payload"]))
        return {"StatusCode": 202}


def test_the_planner_function_plans_the_record_the_console_wrote_not_a_rebuild(
    container: Container, clock: FakeClock, outbox: Outbox
) -> None:
    """Between "Send" and the planner's start an edit lands: the planner plans what was
    approved, because the console wrote the record first and the event only names it."""
    p = pipeline(container, clock)
    add_people(p.subscriber_store)
    original, _ = p.catalogue_store.get(RESOURCE, p.vocabulary)
    spy = _LambdaSpy()
    LambdaStarter(p.campaigns, spy, "planner").start(p.planner.announcement(RESOURCE))
    assert spy.events == [{"kind": "campaign", "campaign_id": f"announcement#{RESOURCE}"}]
    _edit(p, RESOURCE, title="A changed title")

    planner_function = _fresh_sender(p, clock)
    assert planner_function.planner.handle(spy.events[0])["status"] == "planned"
    drain_queue(planner_function)
    assert all("A changed title" not in m.html for m in outbox.all())
    assert any(original.title in m.html for m in outbox.all())


def test_a_planner_event_for_a_campaign_with_no_record_is_rejected(container: Container) -> None:
    answer = container.planner.handle({"kind": "campaign", "campaign_id": "digest#2031-01"})
    assert answer["status"] == "rejected"
    assert "no campaign" in answer["error"]


def test_a_snapshot_round_trips_through_the_campaign_record(container: Container) -> None:
    campaign = container.planner.announcement(RESOURCE, subjects={"schools": "Café: a guide"})
    container.campaigns.create(campaign)
    again = container.campaigns.get(campaign.id)
    assert again.snapshot == campaign.snapshot
    assert again.snapshot.subject_for("schools") == "Café: a guide"
    assert [r.to_item() for r in again.snapshot.resources] == [
        r.to_item() for r in campaign.snapshot.resources
    ]


def test_a_snapshot_too_large_for_one_record_is_refused_in_words(
    container: Container, make_resource: Any
) -> None:
    resources = [make_resource(id=f"resource-{i}", summary="x" * 300) for i in range(800)]
    campaign = Campaign.digest(DEC, ["schools"], snapshot=Snapshot.of(resources))
    with pytest.raises(SnapshotTooLargeError, match="more than one campaign record can keep"):
        container.campaigns.create(campaign)
    assert container.campaigns.get(campaign.id) is None


def test_a_group_whose_email_cannot_be_made_fails_alone_once_and_is_not_retried(
    container: Container, clock: FakeClock, outbox: Outbox, caplog: pytest.LogCaptureFixture
) -> None:
    """A form feed (pasted from a PDF) in a schools-only resource's title breaks the MJML
    compiler for the schools' digest: its recipients are recorded failed at once, with one
    alarm line; faith groups and individuals get theirs."""
    import dataclasses

    from mailer.catalogue.schema import Resource

    p = pipeline(container, clock)
    add_people(p.subscriber_store)
    campaign = p.planner.digest(DEC)
    template = next(r for r in campaign.snapshot.resources if "schools" in r.audiences)
    broken = Resource.model_construct(
        **{**dict(template), "id": "broken", "title": "Broken\x0ctitle", "audiences": ("schools",)}
    )
    frozen = Snapshot.of([*campaign.snapshot.resources, broken])
    p.planner.plan(dataclasses.replace(campaign, snapshot=frozen))

    results = drain_queue(p)

    assert None not in results, "a record was handed back to SQS for a retry"
    status = p.campaigns.status(campaign.id)
    assert status.finished_at
    schools = status.counts["schools"]
    assert (schools["failed"], schools["sent"], schools["skipped"]) == (1, 0, 1)  # Bea: housing
    got = {m.to for m in outbox.all()}
    assert {"chidi@example.org", "dana@example.org", "eli@example.org"} <= got
    assert not got & {"amal@example.org", "bea@example.org"}
    alarms = [r for r in caplog.records if "email variant could not be rendered" in r.message]
    assert len(alarms) == 1
