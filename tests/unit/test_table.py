"""The DynamoDB table adapter (aws/table.py): domain errors, conflict retries, paging with the
invocation's time checked, and batch reads that ask again for what DynamoDB kept back."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from mailer.aws.table import Table
from mailer.errors import (
    ConflictError,
    OutOfTimeError,
    StoreError,
    ThrottlingError,
    TransactionConflictError,
)


def _error(code: str, operation: str = "PutItem") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, operation)


class _Resource:
    """A table resource that fails each call with the errors queued for it, then answers."""

    name = "t"

    def __init__(self, *errors: str, pages: list[dict[str, Any]] | None = None) -> None:
        self.errors = list(errors)
        self.calls: list[dict[str, Any]] = []
        self.pages = pages or [{"Items": []}]
        self.meta = self  # meta.client: batch_get_item and transact_write_items are here too

    @property
    def client(self) -> _Resource:
        return self

    def _call(self, request: dict[str, Any]) -> None:
        self.calls.append(request)
        if self.errors:
            raise _error(self.errors.pop(0))

    def put_item(self, **request: Any) -> dict[str, Any]:
        self._call(request)
        return {}

    def query(self, **request: Any) -> dict[str, Any]:
        self._call(dict(request))
        return self.pages[len(self.calls) - 1]

    def batch_get_item(self, **request: Any) -> dict[str, Any]:
        self._call(request)
        keys = request["RequestItems"]["t"]["Keys"]
        if len(self.calls) == 1:  # DynamoDB keeps the last key back the first time
            return {
                "Responses": {"t": keys[:-1]},
                "UnprocessedKeys": {"t": {"Keys": keys[-1:]}},
            }
        return {"Responses": {"t": keys}}


def test_every_error_becomes_a_domain_error_naming_the_action() -> None:
    for code, error in [
        ("ConditionalCheckFailedException", ConflictError),
        ("ProvisionedThroughputExceededException", ThrottlingError),
        ("ValidationException", StoreError),
    ]:
        with pytest.raises(error, match="writing a thing"):
            Table(_Resource(code)).put({"pk": "a"}, action="writing a thing")


def test_a_write_is_retried_while_a_transaction_holds_its_item() -> None:
    waits: list[float] = []
    resource = _Resource("TransactionConflictException", "TransactionConflictException")
    Table(resource, sleep=waits.append).put({"pk": "a"}, action="writing a thing")
    assert len(resource.calls) == 3 and len(waits) == 2
    always = _Resource(*["TransactionConflictException"] * 99)
    with pytest.raises(TransactionConflictError):
        Table(always, sleep=waits.append).put({"pk": "a"}, action="writing a thing")


def test_a_query_pages_on_and_stops_before_a_page_once_time_runs_short() -> None:
    pages = [{"Items": [{"n": 1}], "LastEvaluatedKey": {"pk": "1"}}, {"Items": [{"n": 2}]}]
    resource = _Resource(pages=pages)
    assert list(Table(resource).query(action="reading", KeyConditionExpression="k")) == [
        {"n": 1},
        {"n": 2},
    ]
    assert resource.calls[1]["ExclusiveStartKey"] == {"pk": "1"}
    left = iter([10.0, 1.0])
    found = Table(_Resource(pages=pages)).query(
        action="reading", time_left=lambda: next(left), margin=3.0
    )
    assert next(found) == {"n": 1}
    with pytest.raises(OutOfTimeError, match="reading"):
        next(found)


def test_a_batch_read_asks_again_for_the_keys_dynamodb_kept_back() -> None:
    waits: list[float] = []
    keys = [{"pk": str(n)} for n in range(3)]
    resource = _Resource()
    found = Table(resource, sleep=waits.append).batch_get(keys, action="reading")
    assert sorted(found, key=lambda k: k["pk"]) == keys
    assert len(resource.calls) == 2 and len(waits) == 1
