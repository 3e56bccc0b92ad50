"""A campaign's counts kept as sending goes (tallies), its ledger spread over shard partitions,
and a send SES accepted recorded even while DynamoDB throttles (issue 20, items 4 and 5)."""

from __future__ import annotations

import contextlib
import json
import random
import threading
from collections import Counter
from typing import Any

import pytest
from boto3.dynamodb.conditions import Attr, Key

from mailer.campaigns.keys import LEDGER_SHARDS
from mailer.campaigns.model import Period, SendOutcome
from mailer.container import Container
from mailer.local import moto_dynamodb
from tests.support.conflicts import _Http
from tests.support.digest import (
    RELEVANT,
    FakeClock,
    add,
    add_people,
    drain_queue,
    pipeline,
    planned_digest,
    receive_event,
)
from tests.support.mail import sent_mail

DEC = Period(2026, 12)


@pytest.fixture
def p(container: Container, clock: FakeClock) -> Container:
    """December's digest planned for the usual five subscribers, nothing sent yet."""
    return planned_digest(container, clock)


def _partition_items(p: Container, pk: str) -> list[dict[str, Any]]:
    return p.campaigns.table.resource.query(
        KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": pk}
    )["Items"]


def _ledger_items(p: Container, campaign_id: str) -> list[dict[str, Any]]:
    campaign = p.campaigns.get(campaign_id)
    return [
        item
        for pk in campaign.ledger_partitions
        for item in _partition_items(p, pk)
        if item["sk"].startswith("ledger#")
    ]


def test_a_finished_campaign_is_counted_from_its_tallies_with_no_ledger_entry_read(
    p: Container,
) -> None:
    """Every ledger entry deleted (as TTL will) before the campaign is counted: the status and
    the finish still come out right, so no count reads the ledger."""
    assert len(drain_queue_without_finishing(p)) == 5
    table = p.campaigns.table.resource
    for item in _ledger_items(p, "digest#2026-12"):
        table.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})
    status = p.campaigns.status("digest#2026-12")
    assert status.totals == {"planned": 5, "sent": 4, "skipped": 1, "suppressed": 0, "failed": 0}
    assert status.counts["schools"]["sent"] == 1 and status.counts["individuals"]["sent"] == 2
    assert p.campaigns.try_finish("digest#2026-12")
    assert p.campaigns.status("digest#2026-12").finished_at


def drain_queue_without_finishing(p: Container) -> list[object]:
    """Send every record with the finish check left for later (the queue never looks drained)."""
    p.sender.book.finish_touched = lambda time_left=None: []  # type: ignore[method-assign]
    return [r for r in drain_queue(p) if r is not None]


def test_a_batch_delivered_twice_is_counted_once(p: Container) -> None:
    """SQS hands the same records over twice: the second run sends nothing and counts nothing."""
    event = receive_event(p)
    first = p.sender.process_batch(event)
    second = p.sender.process_batch(event)
    assert first.response == second.response == {"batchItemFailures": []}
    assert len(sent_mail()) == len(RELEVANT)
    assert p.campaigns.status("digest#2026-12").totals["sent"] == len(RELEVANT)


def test_a_failed_send_taken_again_and_sent_counts_as_sent_only(p: Container) -> None:
    """An entry failed for good, then re-driven from the dead-letter queue and sent: the counts
    say one sent, no failed (the re-claim takes its "failed" back)."""
    campaign = p.campaigns.get("digest#2026-12")
    job = json.loads(receive_event(p, limit=1)["Records"][0]["body"])
    key, audience = job["subscriber"], job["audience"]
    claim = p.ledger.claim(campaign, key, audience)
    p.ledger.finish(claim, SendOutcome.FAILED, reason="SES kept refusing")
    assert p.campaigns.count(campaign)[audience]["failed"] == 1
    again = p.ledger.claim(campaign, key, audience)
    assert again.attempt == 2
    assert p.campaigns.count(campaign)[audience]["failed"] == 0
    p.ledger.record_sent(again, "ses-redriven")
    row = p.campaigns.count(campaign)[audience]
    assert (row["sent"], row["failed"]) == (1, 0)


def test_a_subscriber_queued_in_two_groups_is_counted_skipped_once(
    container: Container, clock: FakeClock
) -> None:
    """Moved between groups while the planner ran: the second job counts skipped once, even
    delivered twice, so planned is met and the campaign finishes."""
    p = pipeline(container, clock)
    add(p.subscriber_store, "amal@example.org", "schools", (), "Amal")
    campaign = p.planner.digest(DEC)
    p.planner.plan(campaign)
    stored = p.campaigns.get(campaign.id)
    key = json.loads(receive_event(p)["Records"][0]["body"])["subscriber"]
    p.ledger.count_moved(stored, key, "individuals")
    p.ledger.count_moved(stored, key, "individuals")
    assert p.campaigns.count(stored)["individuals"]["skipped"] == 1


def test_the_ledger_is_spread_over_the_shards_and_each_thread_writes_its_own_tally(
    container: Container, clock: FakeClock
) -> None:
    """80 readers sent by four threads: their entries fall in most of the 16 shards (none
    holding more than three times its share) and no tally item is written by two threads."""
    from mailer.campaigns.workers import ThreadPool

    p = pipeline(container, clock, concurrently=ThreadPool(4))
    people = [(f"reader{i}@example.org", "individuals", (), "") for i in range(80)]
    add_people(p.subscriber_store, people)
    p.planner.plan(p.planner.digest(DEC))
    drain_queue(p)
    status = p.campaigns.status("digest#2026-12")
    assert status.finished_at and status.totals["sent"] == 80
    per_shard = Counter(item["pk"] for item in _ledger_items(p, "digest#2026-12"))
    assert len(per_shard) >= 14 and max(per_shard.values()) <= 3 * 80 / LEDGER_SHARDS
    assert all(pk.startswith("campaign#digest#2026-12#shard#") for pk in per_shard)
    tallies = [
        item
        for pk in status.campaign.ledger_partitions
        for item in _partition_items(p, pk)
        if item["sk"].startswith("count#")
    ]
    writers = {item["sk"] for item in tallies}
    assert 1 <= len(writers) <= 4 + 1  # the pool's threads (and the caller's, for a lone record)
    assert sum(int(item.get("individuals/sent", 0)) for item in tallies) == 80


def test_a_throttled_record_of_a_send_ses_accepted_is_retried_until_it_is_recorded(
    p: Container,
) -> None:
    """DynamoDB refuses the first three tries to record each sent email: every one is still
    recorded (none left "claimed"), nothing is sent twice, and the campaign finishes."""
    refused: Counter[str] = Counter()
    lock = threading.Lock()

    def throttle_sent_records(model: Any, params: dict[str, Any], **_: Any) -> Any:
        body = params.get("body") or b""
        entry = json.loads(body)["TransactItems"][0] if body else {}
        values = entry.get("Update", {}).get("ExpressionAttributeValues", {})
        if ":message_id" not in values:
            return None
        message_id = values[":message_id"]["S"]  # botocore's request token differs every try
        with lock:
            refused[message_id] += 1
            if refused[message_id] > 3:
                return None
        error = {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}}
        return _Http(), error

    events = p.campaigns.table.meta.client.meta.events
    events.register("before-call.dynamodb.TransactWriteItems", throttle_sent_records)
    try:
        response = p.sender.process_batch(receive_event(p), time_left=lambda: 25.0).response
    finally:
        events.unregister("before-call.dynamodb.TransactWriteItems", throttle_sent_records)
    assert response == {"batchItemFailures": []}
    assert len(refused) == len(RELEVANT) and all(n == 4 for n in refused.values())
    assert len(sent_mail()) == len(RELEVANT)
    states = Counter(item["state"] for item in _ledger_items(p, "digest#2026-12"))
    assert states == {"sent": 4, "skipped": 1}
    assert p.campaigns.status("digest#2026-12").finished_at


def test_a_cancelled_moto_transaction_leaves_every_item_as_it_was(container: Container) -> None:
    """The mended moto (local/moto_dynamodb.py) keeps DynamoDB's promise: a transaction whose
    condition fails changes nothing, and writes made by other threads meanwhile are all kept."""
    moto_dynamodb.apply()
    table = container.table(container.settings.campaigns_table).resource
    table.put_item(Item={"pk": "t", "sk": "kept", "n": 1})
    client = table.meta.client
    cancelled = [
        {"Update": {"TableName": table.name, "Key": {"pk": "t", "sk": "kept"},
                    "UpdateExpression": "SET n = :two", "ExpressionAttributeValues": {":two": 2}}},
        {"Put": {"TableName": table.name, "Item": {"pk": "t", "sk": "new"},
                 "ConditionExpression": "attribute_exists(sk)"}},
    ]  # fmt: skip
    with pytest.raises(client.exceptions.TransactionCanceledException):
        client.transact_write_items(TransactItems=cancelled)
    assert table.get_item(Key={"pk": "t", "sk": "kept"})["Item"]["n"] == 1
    assert "Item" not in table.get_item(Key={"pk": "t", "sk": "new"})

    def write_many(prefix: str) -> None:
        for i in range(60):
            table.put_item(Item={"pk": "t", "sk": f"{prefix}{i}"})
            with contextlib.suppress(client.exceptions.TransactionCanceledException):
                client.transact_write_items(TransactItems=cancelled)

    threads = [threading.Thread(target=write_many, args=(f"w{n}-",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    items = _partition_items_of(table, "t")
    assert len(items) == 1 + 3 * 60 and all(i.get("n", 1) == 1 for i in items)


def _partition_items_of(table: Any, pk: str) -> list[dict[str, Any]]:
    return table.query(KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": pk})[
        "Items"
    ]


def test_a_moto_query_reads_its_own_partition_in_sort_key_order(container: Container) -> None:
    """The mended moto's Query (local/moto_dynamodb.py reads one partition, not the whole
    table) answers as DynamoDB does: that partition's items only, in sort-key order either
    way, a page at a time, with key conditions and filters."""
    moto_dynamodb.apply()
    table = container.table(container.settings.campaigns_table).resource
    keys = [(pk, f"{kind}#{i:02d}") for i in range(7) for pk in "cab" for kind in ("x", "y")]
    random.Random(4).shuffle(keys)
    for pk, sk in keys:
        table.put_item(Item={"pk": f"q-{pk}", "sk": sk, "odd": int(sk[-1]) % 2})
    mine = sorted(sk for pk, sk in keys if pk == "b")

    def pages(**query: Any) -> list[str]:
        got, start = [], {}
        while True:
            page = table.query(Limit=3, **start, **query)
            got += [item["sk"] for item in page["Items"]]
            if "LastEvaluatedKey" not in page:
                return got
            start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}

    b = Key("pk").eq("q-b")
    assert pages(KeyConditionExpression=b) == mine
    assert pages(KeyConditionExpression=b, ScanIndexForward=False) == mine[::-1]
    assert pages(KeyConditionExpression=b & Key("sk").begins_with("y#")) == mine[7:]
    odd = pages(KeyConditionExpression=b, FilterExpression=Attr("odd").eq(1))
    assert odd == [sk for sk in mine if int(sk[-1]) % 2]
    assert pages(KeyConditionExpression=Key("pk").eq("q-none")) == []
