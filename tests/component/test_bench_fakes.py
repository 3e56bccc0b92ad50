"""The benchmarks' DynamoDB fake enforces what DynamoDB enforces and moto does not: request units
by DynamoDB's rules, 1,000 WCU a second per partition key (refused after the SDK's retries), and
a transaction's items held while it commits, Puts included."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from benchmarks.dynamo import FakeDynamo
from benchmarks.simtime import SimTime


@pytest.fixture
def table() -> Iterator[Any]:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    with mock_aws():
        resource = boto3.resource("dynamodb", region_name="eu-west-2")
        made = resource.create_table(
            TableName="t",
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield made


def test_units_follow_dynamodbs_rules(table: Any) -> None:
    sim = SimTime()
    fake = FakeDynamo(sim, table.meta.client)

    def work() -> None:
        table.put_item(Item={"pk": "a", "sk": "big", "v": "x" * 5000})  # 5 KB: 5 WCU
        assert fake.write_units == 5
        table.get_item(Key={"pk": "a", "sk": "big"}, ConsistentRead=True)  # 2 x 4 KB: 2 RCU
        assert fake.read_units == 2
        table.get_item(Key={"pk": "a", "sk": "big"})  # eventually consistent: half
        assert fake.read_units == 3
        table.get_item(Key={"pk": "a", "sk": "missing"}, ConsistentRead=True)  # still 1
        assert fake.read_units == 4
        # a projection reads the whole item all the same
        table.get_item(Key={"pk": "a", "sk": "big"}, ProjectionExpression="pk", ConsistentRead=True)
        assert fake.read_units == 6
        for i in range(3):
            table.put_item(Item={"pk": "q", "sk": f"{i}", "v": "y" * 2000})
        before = fake.read_units
        table.query(
            KeyConditionExpression="pk = :q",
            ExpressionAttributeValues={":q": "q"},
            ConsistentRead=True,
            ProjectionExpression="sk",
        )
        assert fake.read_units - before == 2  # 3 x 2 KB summed: 6 KB, two 4 KB units
        before = fake.write_units
        table.meta.client.transact_write_items(
            TransactItems=[{"Put": {"TableName": "t", "Item": {"pk": "t", "sk": "1"}}}]
        )
        assert fake.write_units - before == 2  # transactions double

    sim.run(work)


def test_a_put_on_an_item_a_transaction_is_putting_is_refused(table: Any) -> None:
    sim = SimTime()
    fake = FakeDynamo(sim, table.meta.client)
    seen: list[str] = []

    def transaction() -> None:
        table.meta.client.transact_write_items(
            TransactItems=[{"Put": {"TableName": "t", "Item": {"pk": "p", "sk": "s"}}}]
        )

    def put() -> None:
        sim.sleep(0.002)  # while the transaction commits
        try:
            table.put_item(Item={"pk": "p", "sk": "s", "v": "other"})
        except ClientError as exc:
            seen.append(exc.response["Error"]["Code"])

    def both() -> None:
        sim.join([sim.spawn(transaction), sim.spawn(put)])

    sim.run(both)
    assert seen == ["TransactionConflictException"]
    assert fake.conflicts == 1


def test_one_partition_takes_1000_wcu_a_second_and_then_refuses(table: Any) -> None:
    """With the SDK's retries the writers slow to the partition's rate; a client that does not
    retry (one attempt) sees the refusal as DynamoDB words it."""
    sim = SimTime()
    fake = FakeDynamo(sim, table.meta.client)
    refused: list[str] = []

    def writer(pk: str, n: int) -> None:
        for i in range(n):
            try:
                table.put_item(Item={"pk": pk, "sk": f"{sim()}-{i}"})
            except ClientError as exc:
                refused.append(exc.response["Error"]["Code"])

    def hot() -> None:  # 40 writers on one key: about 8,000 writes a second offered
        sim.join([sim.spawn(lambda: writer("hot", 60)) for _ in range(40)])

    sim.run(hot)
    assert fake.throttled_tries > 0  # the SDK retried ...
    assert refused == []  # ... until each got through
    assert 1000 <= fake.peak["write"] <= 1000 + 40  # the limit, give or take one round
    seconds = sim() - 1_796_115_600.0
    assert seconds >= 2400 / 1000  # 2,400 writes at 1,000 a second, at best
    table.meta.client.meta.events.unregister("before-call.dynamodb.*", fake._before)
    table.meta.client.meta.events.unregister("after-call.dynamodb.*", fake._after)

    sim1 = SimTime()
    no_retries = FakeDynamo(sim1, table.meta.client, attempts=1)
    sim = sim1
    sim1.run(hot)
    assert refused and set(refused) == {"ProvisionedThroughputExceededException"}
    assert no_retries.throttled == len(refused)
    table.meta.client.meta.events.unregister("before-call.dynamodb.*", no_retries._before)
    table.meta.client.meta.events.unregister("after-call.dynamodb.*", no_retries._after)

    sim = SimTime()
    spread = FakeDynamo(sim, table.meta.client, attempts=1)
    refused.clear()

    def cool() -> None:  # the same load over 40 keys: no partition near its limit
        sim.join([sim.spawn(lambda k=k: writer(f"k{k}", 60)) for k in range(40)])

    sim.run(cool)
    assert refused == [] and spread.throttled == 0 and spread.throttled_tries == 0


def test_the_in_memory_table_adds_numbers_as_dynamodb_does() -> None:
    """benchmarks/memtable.py: ADD counts a missing number from 0 and takes a negative step,
    in a transaction as alone; ADD to a set it cannot do is refused, not ignored."""
    from benchmarks.memtable import MemoryDynamo
    from mailer.local.template import Template, default_template_path

    template = Template.load(default_template_path())
    dynamo = MemoryDynamo(template, {"CampaignsTable": "campaigns"}, wait=lambda _: None)
    table = dynamo.Table("campaigns")
    key = {"pk": "campaign#x#shard#0", "sk": "count#a.0"}
    add = {"UpdateExpression": "ADD #cell :n", "ExpressionAttributeNames": {"#cell": "s/sent"}}
    table.update_item(Key=key, **add, ExpressionAttributeValues={":n": 1})
    step = {"Update": {"TableName": "campaigns", "Key": key, **add}}
    dynamo.meta.client.transact_write_items(
        TransactItems=[{"Update": {**step["Update"], "ExpressionAttributeValues": {":n": 2}}}]
    )
    table.update_item(Key=key, **add, ExpressionAttributeValues={":n": -1})
    assert table.get_item(Key=key)["Item"]["s/sent"] == 2
    with pytest.raises(ValueError, match="only numbers"):
        table.update_item(Key=key, **add, ExpressionAttributeValues={":n": {"a"}})
