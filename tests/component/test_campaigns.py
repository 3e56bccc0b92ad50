"""The campaign record and the send ledger: created once, counted once, claimed by one sender."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from botocore.exceptions import ClientError

from mailer.aws.table import Table
from mailer.campaigns.ledger import Claim, Done, InFlightError, Ledger
from mailer.campaigns.model import Campaign, Kind, Period, SendOutcome, campaign_id
from mailer.campaigns.store import CampaignStore
from mailer.container import Container
from mailer.errors import ConflictError, MailerError, StoreError
from tests.support.digest import FakeClock

DEC = Period(2026, 12)
AUDIENCES = ("schools", "faith-groups", "individuals")
KEY = "a" * 64
LEASE = 150


def _table(container: Container, clock: FakeClock) -> Table:
    """The campaigns table, its conflict retries waiting on the fake clock."""
    return Table(container.table(container.settings.campaigns_table).resource, sleep=clock.sleep)


@pytest.fixture
def store(container: Container, clock: FakeClock) -> CampaignStore:
    return CampaignStore(_table(container, clock), clock)


@pytest.fixture
def ledger(container: Container, clock: FakeClock) -> Ledger:
    return Ledger(_table(container, clock), LEASE, clock, clock.sleep)


@pytest.fixture
def campaign(store: CampaignStore) -> Campaign:
    created, _ = store.create(Campaign.digest(DEC, AUDIENCES, dt.date(2026, 11, 1)))
    return created


def test_ids_keys_and_ses_tags() -> None:
    digest = Campaign.digest(DEC, AUDIENCES)
    assert digest.id == "digest#2026-12"
    assert digest.pk == "campaign#digest#2026-12"
    assert digest.tag == "digest-2026-12"
    announcement = Campaign.announcement("safe-homes", ["individuals"])
    assert announcement.id == "announcement#safe-homes"
    assert announcement.tag == "announcement-safe-homes"
    with pytest.raises(MailerError):
        campaign_id(Kind.DIGEST)
    with pytest.raises(MailerError):
        campaign_id(Kind.ANNOUNCEMENT)


def test_the_first_definition_wins_and_a_second_create_changes_nothing(
    store: CampaignStore, clock: FakeClock
) -> None:
    first, created = store.create(Campaign.digest(DEC, AUDIENCES, dt.date(2026, 11, 1)))
    clock.advance(3600)
    again, created_again = store.create(Campaign.digest(DEC, ["schools"], dt.date(2026, 10, 1)))
    assert created and not created_again
    assert again == first
    status = store.status(first.id)
    assert status.started_at == "2026-12-01T09:00:00+00:00"
    assert status.campaign.audiences == AUDIENCES
    assert status.campaign.new_since == dt.date(2026, 11, 1)


@pytest.mark.parametrize(
    ("previous", "started", "expected"),
    [
        (None, None, dt.date(2026, 11, 1)),  # nothing recorded: the default
        (Period(2026, 11), "2026-11-01T09:00:00+00:00", dt.date(2026, 11, 1)),  # on time
        (Period(2026, 11), "2026-10-29T15:00:00+00:00", dt.date(2026, 10, 29)),  # ran early
        (Period(2026, 11), "2026-11-04T12:00:00+00:00", dt.date(2026, 11, 1)),  # ran late
        (Period(2026, 10), "2026-10-01T09:00:00+00:00", dt.date(2026, 10, 1)),  # Nov skipped
    ],
)
def test_new_since_follows_the_previous_digest_that_actually_ran(
    container: Container,
    store: CampaignStore,
    previous: Period | None,
    started: str | None,
    expected: dt.date,
) -> None:

    if previous is not None:
        store.table.resource.put_item(
            Item={
                "pk": f"campaign#digest#{previous}",
                "sk": "meta",
                **Campaign.digest(previous, AUDIENCES).to_item(),
                "started_at": started,
            }
        )
    since, why = container.planner.new_since(DEC)
    assert since == expected, why


def test_one_claim_wins_and_a_finished_entry_is_done(
    ledger: Ledger, campaign: Campaign, store: CampaignStore
) -> None:
    claim = ledger.claim(campaign, KEY, "schools")
    assert isinstance(claim, Claim)
    with pytest.raises(InFlightError):
        ledger.claim(campaign, KEY, "schools")
    ledger.finish(claim, SendOutcome.SENT, ses_message_id="ses-1")
    done = ledger.claim(campaign, KEY, "schools")
    assert done == Done("sent", "ses-1", "schools")
    assert store.status(campaign.id).counts["schools"]["sent"] == 1


def test_finishing_twice_counts_once_and_only_the_owner_may_finish(
    ledger: Ledger, campaign: Campaign, store: CampaignStore
) -> None:
    claim = ledger.claim(campaign, KEY, "schools")
    ledger.finish(claim, SendOutcome.SENT, ses_message_id="ses-1")
    with pytest.raises(ConflictError):
        ledger.finish(claim, SendOutcome.SENT, ses_message_id="ses-2")
    assert store.status(campaign.id).totals["sent"] == 1
    assert ledger.entry(campaign, KEY)["ses_message_id"] == "ses-1"


def test_a_stale_claim_is_taken_over_after_the_lease_and_the_old_owner_loses(
    ledger: Ledger, campaign: Campaign, clock: FakeClock, store: CampaignStore
) -> None:
    dead = ledger.claim(campaign, KEY, "schools")
    clock.advance(LEASE - 1)
    with pytest.raises(InFlightError):
        ledger.claim(campaign, KEY, "schools")
    clock.advance(2)
    alive = ledger.claim(campaign, KEY, "schools")
    assert isinstance(alive, Claim) and alive.attempt == 2
    with pytest.raises(ConflictError):
        ledger.finish(dead, SendOutcome.SENT)
    ledger.finish(alive, SendOutcome.SENT, ses_message_id="ses-2")
    assert store.status(campaign.id).totals["sent"] == 1


def test_a_failed_entry_can_be_claimed_again_and_stops_counting_as_failed(
    ledger: Ledger, campaign: Campaign, store: CampaignStore
) -> None:
    claim = ledger.claim(campaign, KEY, "individuals")
    ledger.finish(claim, SendOutcome.FAILED, reason="ThrottlingError")
    assert store.status(campaign.id).counts["individuals"]["failed"] == 1
    again = ledger.claim(campaign, KEY, "individuals")  # a DLQ redrive, say
    assert isinstance(again, Claim)
    assert store.status(campaign.id).counts["individuals"]["failed"] == 0
    ledger.finish(again, SendOutcome.SENT, ses_message_id="ses-3")
    counts = store.status(campaign.id).counts["individuals"]
    assert (counts["failed"], counts["sent"]) == (0, 1)


def test_release_lets_the_next_attempt_claim_at_once(ledger: Ledger, campaign: Campaign) -> None:
    claim = ledger.claim(campaign, KEY, "schools")
    ledger.release(claim)
    assert ledger.entry(campaign, KEY) is None
    assert isinstance(ledger.claim(campaign, KEY, "schools"), Claim)
    ledger.release(claim)  # no longer ours: releasing it again does nothing
    assert ledger.entry(campaign, KEY) is not None


def test_status_counts_per_audience_and_outcome_and_finishes_when_all_are_done(
    ledger: Ledger, campaign: Campaign, store: CampaignStore
) -> None:
    checkpoint = store.checkpoint(campaign, "schools")
    store.advance(campaign, checkpoint, None, 2)
    for audience in ("faith-groups", "individuals"):
        store.advance(campaign, store.checkpoint(campaign, audience), None, 0)
    store.mark_planned(campaign)
    first = ledger.claim(campaign, "b" * 64, "schools")
    ledger.finish(first, SendOutcome.SENT, ses_message_id="ses-1")
    assert not store.try_finish(campaign.id), "one recipient still has no outcome"
    second = ledger.claim(campaign, "c" * 64, "schools")
    ledger.finish(second, SendOutcome.SUPPRESSED, reason="suppressed")
    assert store.try_finish(campaign.id)
    assert not store.try_finish(campaign.id), "finished only once"
    status = store.status(campaign.id)
    assert status.counts["schools"] == {
        "planned": 2,
        "sent": 1,
        "skipped": 0,
        "suppressed": 1,
        "failed": 0,
    }
    assert status.in_flight == 0
    assert status.finished_at == "2026-12-01T09:00:00+00:00"
    assert status.to_json()["totals"]["planned"] == 2


def test_a_checkpoint_advances_once_per_page_even_when_two_planners_race(
    store: CampaignStore, campaign: Campaign
) -> None:
    read_by_both = store.checkpoint(campaign, "schools")
    store.advance(campaign, read_by_both, {"pk": "sub#x", "send_group": "schools"}, 100)
    with pytest.raises(ConflictError):
        store.advance(campaign, read_by_both, {"pk": "sub#x", "send_group": "schools"}, 100)
    assert store.status(campaign.id).counts["schools"]["planned"] == 100
    assert store.checkpoint(campaign, "schools").next_start == {
        "pk": "sub#x",
        "send_group": "schools",
    }


class _FlakyClient:
    """A DynamoDB client whose transactions collide with another writer a few times."""

    def __init__(self, real: Any, conflicts: int) -> None:
        self.real = real
        self.conflicts = conflicts

    def transact_write_items(self, **kwargs: Any) -> Any:
        if self.conflicts:
            self.conflicts -= 1
            raise ClientError(
                {
                    "Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
                    "CancellationReasons": [{"Code": "TransactionConflict"}, {"Code": "None"}],
                },
                "TransactWriteItems",
            )
        return self.real.transact_write_items(**kwargs)


class _Table:
    def __init__(self, real: Any, client: Any) -> None:
        self.name = real.name
        self.meta = type("Meta", (), {"client": client})()


def _touch(campaign: Campaign) -> dict[str, Any]:
    """A transaction item that adds one to an attribute of the campaign record."""
    return {
        "Update": {
            "Key": {"pk": campaign.pk, "sk": "meta"},
            "UpdateExpression": "ADD touches :one",
            "ExpressionAttributeValues": {":one": 1},
        }
    }


def test_transaction_conflicts_are_retried(
    container: Container, campaign: Campaign, store: CampaignStore, clock: FakeClock
) -> None:
    real = container.table(container.settings.campaigns_table).resource
    flaky = Table(_Table(real, _FlakyClient(real.meta.client, conflicts=2)), sleep=clock.sleep)
    flaky.transact([_touch(campaign)], action="test")
    assert len(clock.sleeps) == 2
    assert real.get_item(Key={"pk": campaign.pk, "sk": "meta"})["Item"]["touches"] == 1
    always = Table(_Table(real, _FlakyClient(real.meta.client, conflicts=99)), sleep=clock.sleep)
    with pytest.raises(StoreError):
        always.transact([_touch(campaign)], action="test")


def test_other_transaction_errors_become_domain_errors(
    container: Container, campaign: Campaign
) -> None:
    from mailer.errors import ThrottlingError

    class Throttled:
        def transact_write_items(self, **kwargs: Any) -> Any:
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}},
                "TransactWriteItems",
            )

    table = Table(_Table(container.table(container.settings.campaigns_table).resource, Throttled()))
    with pytest.raises(ThrottlingError):
        table.transact([_touch(campaign)], action="test")


def test_campaign_records_never_expire(container: Container, clock: FakeClock) -> None:
    """The dashboard and next month's digest keep them: a digest planned, sent to everyone and
    finished still has a record without the table's TTL attribute, while its final ledger
    entries carry it (TTL deletes those once the counts are on the record)."""
    from tests.support.digest import PEOPLE, RELEVANT, add_people, drain_queue, pipeline

    p = pipeline(container, clock)
    add_people(p.subscriber_store)
    campaign = p.planner.digest(DEC)
    p.planner.plan(campaign)
    drain_queue(p)
    status = p.campaigns.status(campaign.id)
    assert status.finished_at and status.totals["sent"] == len(RELEVANT)  # its whole life
    table = container.table(container.settings.campaigns_table).resource
    record = table.get_item(Key={"pk": campaign.pk, "sk": "meta"})["Item"]
    assert "expires_at" not in record
    ledger = [
        item
        for pk in status.campaign.ledger_partitions
        for item in table.query(
            KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": pk}
        )["Items"]
        if item["sk"].startswith("ledger#")
    ]
    assert len(ledger) == len(PEOPLE) and all("expires_at" in item for item in ledger)


def test_a_digest_sent_early_does_not_make_the_same_resources_new_twice(
    container: Container, store: CampaignStore
) -> None:
    """December's digest sent on 29 November, the day the catalogue was loaded: January's
    digest must not call those same resources new again (dates have no time of day)."""

    planner = container.planner
    december = planner.digest(DEC)
    assert len(december.new_ids) == 16 and december.already_new == ()
    store.create(december)
    store.table.resource.update_item(  # it ran early, on the day every resource was added
        Key={"pk": december.pk, "sk": "meta"},
        UpdateExpression="SET started_at = :t",
        ExpressionAttributeValues={":t": "2026-11-29T10:00:00+00:00"},
    )
    january = planner.digest(DEC.next)
    assert january.new_since == dt.date(2026, 11, 29)
    assert set(january.already_new) == set(december.new_ids)
    assert january.new_ids == ()
    from mailer.campaigns.variants import CampaignContent

    content = CampaignContent(
        january, container.resources(), container.vocabulary, container.settings.site_url
    )
    picks = content.picks("schools")
    assert picks and not any(p.is_new for p in picks)
    stored = store.get(january.id) if store.create(january)[1] else None
    assert stored is not None and stored.already_new == january.already_new


def test_a_final_ledger_entry_expires_after_about_a_year(
    ledger: Ledger, campaign: Campaign, store: CampaignStore, clock: FakeClock
) -> None:
    """Storage stays bounded: the table's TTL removes old entries, not the campaign record."""
    claim = ledger.claim(campaign, KEY, "schools")
    ledger.finish(claim, SendOutcome.SENT, ses_message_id="ses-1")
    entry = ledger.entry(campaign, KEY)
    assert int(entry["expires_at"]) == int(clock.now) + 400 * 24 * 3600
    meta = store.table.resource.get_item(Key={"pk": campaign.pk, "sk": "meta"})["Item"]
    assert "expires_at" not in meta
