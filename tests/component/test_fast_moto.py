"""The suite's faster moto answers (mailer/local/fast_moto.py) are moto's own: every kind of
DynamoDB value, read back by GetItem, Query and Scan, is the same JSON both ways."""

from __future__ import annotations

import boto3
import pytest

from mailer.container import Container
from mailer.local import fast_moto

EVERY_KIND = {
    "pk": {"S": "fast-moto#check"},
    "sk": {"S": "item"},
    "text": {"S": "caf\u00e9 \u2013 line\nbreak"},
    "empty": {"S": ""},
    "number": {"N": "12.50"},
    "binary": {"B": b"\x00\xffbytes"},
    "yes": {"BOOL": True},
    "no": {"BOOL": False},
    "nothing": {"NULL": True},
    "strings": {"SS": ["a", "b"]},
    "numbers": {"NS": ["1", "2.5"]},
    "binaries": {"BS": [b"x", b"\x01"]},
    "nested": {"M": {"list": {"L": [{"S": "one"}, {"N": "2"}, {"M": {"deep": {"BOOL": True}}}]}}},
}


def test_every_kind_of_value_is_answered_as_moto_itself_would(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(fast_moto.CHECK, "1")  # each answer built both ways; a difference fails
    # The low-level client: the resource's would turn these wire values into Python ones.
    client = boto3.client("dynamodb", region_name=container.settings.region)
    table = container.settings.campaigns_table
    client.put_item(TableName=table, Item=EVERY_KIND)
    got = client.get_item(TableName=table, Key={"pk": EVERY_KIND["pk"], "sk": EVERY_KIND["sk"]})
    queried = client.query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": EVERY_KIND["pk"]},
    )["Items"]
    scanned = [i for i in client.scan(TableName=table)["Items"] if i["pk"] == EVERY_KIND["pk"]]
    for item in (got["Item"], *queried, *scanned):
        assert {k: sorted(v["SS"]) if "SS" in v else v for k, v in item.items()} == {
            k: sorted(v["SS"]) if "SS" in v else v for k, v in EVERY_KIND.items()
        }
    assert len(queried) == len(scanned) == 1
