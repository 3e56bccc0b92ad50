"""Three faults of moto's DynamoDB mended where the mailer meets them (tests, the local stack and
the quota benchmark all run moto in this process).

1. moto's TransactWriteItems deep-copies every table it touches before each transaction, to
   roll back: every email a sender records is a transaction (campaigns/ledger.py), so on a
   campaigns table of N items each costs O(N), and a copy taken while another thread writes
   fails ("dictionary changed size during iteration"), or its rollback throws the other
   thread's write away. Here the items the transaction names are saved instead, and put back
   as they were if it is cancelled: what DynamoDB itself promises.
2. moto's DynamoDB is not safe for concurrent requests; senders run threads. Each request
   holds one lock, as if DynamoDB applied them one at a time (it serialises writes per item).
3. moto's Query of a table (not an index) sorts every item of the table to pick out one
   partition's: on a campaign of N recipients each count of its tallies cost O(N log N), and
   the quota benchmark spent most of its time there. Here it reads that partition's items; the
   query sorts them by sort key itself, as before.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

_LOCK = threading.RLock()
_applied = False
_querying = threading.local()  # .hash_key: the partition a Query of a table is reading


class _TablesNotCopied:
    """moto's DynamoDB models' `copy`, except that a whole table is not deep-copied (the
    transaction saves its items itself); everything else is copied as before."""

    def __init__(self, table_type: type) -> None:
        self._table_type = table_type

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        """The value itself for a table, a deep copy of anything else."""
        if isinstance(value, self._table_type):
            return value
        return copy.deepcopy(value, memo)


def apply() -> None:
    """Mend moto's DynamoDB in this process (idempotent)."""
    global _applied
    with _LOCK:
        if _applied:
            return
        from moto.dynamodb import models, responses
        from moto.dynamodb.models.table import Table

        handle = responses.DynamoHandler.call_action
        transact = models.DynamoDBBackend.transact_write_items
        query, every_item = Table.query, Table.all_items

        def call_action(self: Any) -> Any:
            with _LOCK:
                return handle(self)

        def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
            saved = [_saved(self, item) for item in transact_items]
            try:
                transact(self, transact_items)
            except Exception:
                for table_name, key, attributes in reversed(saved):
                    _restore(self, table_name, key, attributes)
                raise

        def query_one_partition(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
            index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
            _querying.hash_key = None if index_name else hash_key
            try:
                return query(self, hash_key, *args, **kwargs)
            finally:
                _querying.hash_key = None

        def all_items(self: Any) -> list[Any]:
            hash_key = getattr(_querying, "hash_key", None)
            if hash_key is None or not self.range_key_attr:
                return every_item(self)
            return list(self.items.get(hash_key, {}).values())

        Table.query = query_one_partition  # type: ignore[method-assign]
        Table.all_items = all_items  # type: ignore[method-assign]
        models.copy = _TablesNotCopied(Table)  # type: ignore[assignment]
        responses.DynamoHandler.call_action = call_action  # type: ignore[method-assign]
        models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
        _applied = True


def _saved(backend: Any, transact_item: dict[str, Any]) -> tuple[str, dict[str, Any], Any]:
    """The table, key and stored attributes (None: absent) of the item one operation names."""
    _, operation = next(iter(transact_item.items()))
    table_name = operation["TableName"]
    if "Key" in operation:
        key = operation["Key"]
    else:
        table = backend.get_table(table_name)
        attributes = operation["Item"]
        key = {table.hash_key_attr: attributes[table.hash_key_attr]}
        if table.range_key_attr is not None:
            key[table.range_key_attr] = attributes[table.range_key_attr]
    current = backend.get_item(table_name, key)
    return table_name, key, None if current is None else current.to_json()["Attributes"]


def _restore(backend: Any, table_name: str, key: dict[str, Any], attributes: Any) -> None:
    """Put one item back as it was before a cancelled transaction."""
    if attributes is None:
        if backend.get_item(table_name, key) is not None:
            backend.delete_item(table_name, key)
    else:
        backend.put_item(table_name, attributes)
