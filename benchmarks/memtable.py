"""DynamoDB in memory, for simulations too big for moto: moto deep-copies a whole table on every
TransactWriteItems (its rollback), so a 25,000-recipient campaign that parks its jobs in
transactions would take hours. This stands in for boto3's DynamoDB service resource
(`Table(name)`, `meta.client`) with what the mailer's stores use, and enforces what DynamoDB
enforces for those calls:

- condition and update expressions (comparisons, AND/OR/NOT, attribute_exists,
  attribute_not_exists, begins_with; SET with + and -, REMOVE, ADD of a number),
  ConditionalCheckFailedException when a condition fails, anything else it cannot read
  refused (never silently accepted);
- tables and sparse global secondary indexes as the template declares them (an item without
  the index's keys is not in it; the index's projection), Query by key condition in sort-key
  order with Limit and ExclusiveStartKey, projections;
- transactions all or nothing, TransactionCanceledException with a reason per item;
- values as the wire carries them (boto3's serialiser and deserialiser: numbers come back
  as Decimal), and each call taking simulated time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from boto3.dynamodb.conditions import ConditionBase, ConditionExpressionBuilder
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from mailer.local.template import Template

_SER, _DES = TypeSerializer(), TypeDeserializer()
_TOKEN = re.compile(
    r"\s*(?:(?P<name>#\w+)|(?P<value>:\w+)|(?P<op><>|<=|>=|=|<|>|\+|-)|(?P<punct>[(),])"
    r"|(?P<word>[A-Za-z_][\w.]*))"
)
_KEYWORDS = {"AND", "OR", "NOT"}
_FUNCTIONS = {"attribute_exists", "attribute_not_exists", "begins_with"}


def _wire(item: dict[str, Any]) -> dict[str, Any]:
    """The item as it comes back from DynamoDB through boto3's resource layer."""
    return {k: _DES.deserialize(_SER.serialize(v)) for k, v in item.items()}


def _refuse(code: str, message: str, operation: str, **extra: Any) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}, **extra}, operation)


# --- expressions ---------------------------------------------------------------------------


@cache
def _tokens(text: str) -> tuple[tuple[str, str], ...]:
    found, at = [], 0
    text = text.strip()
    while at < len(text):
        match = _TOKEN.match(text, at)
        if not match or match.end() == at:
            raise ValueError(f"cannot read expression at {text[at:]!r}")
        kind = match.lastgroup or ""
        word = match.group(kind)
        if kind == "word" and word.upper() in _KEYWORDS:
            kind, word = "keyword", word.upper()
        found.append((kind, word))
        at = match.end()
    return tuple(found)


@cache
def _condition(text: str) -> Any:
    """A condition's tree: ("and"|"or", a, b), ("not", a), ("fn", name, args), (op, a, b)."""
    tokens = list(_tokens(text))
    tree = _or(tokens)
    if tokens:
        raise ValueError(f"unexpected {tokens[0][1]!r} in {text!r}")
    return tree


def _or(tokens: list[tuple[str, str]]) -> Any:
    left = _and(tokens)
    while tokens and tokens[0] == ("keyword", "OR"):
        tokens.pop(0)
        left = ("or", left, _and(tokens))
    return left


def _and(tokens: list[tuple[str, str]]) -> Any:
    left = _not(tokens)
    while tokens and tokens[0] == ("keyword", "AND"):
        tokens.pop(0)
        left = ("and", left, _not(tokens))
    return left


def _not(tokens: list[tuple[str, str]]) -> Any:
    if tokens and tokens[0] == ("keyword", "NOT"):
        tokens.pop(0)
        return ("not", _not(tokens))
    if tokens and tokens[0] == ("punct", "("):
        tokens.pop(0)
        inner = _or(tokens)
        _expect(tokens, ")")
        return inner
    if tokens and tokens[0][0] == "word" and tokens[0][1] in _FUNCTIONS:
        name = tokens.pop(0)[1]
        _expect(tokens, "(")
        args = [_operand(tokens)]
        while tokens and tokens[0] == ("punct", ","):
            tokens.pop(0)
            args.append(_operand(tokens))
        _expect(tokens, ")")
        return ("fn", name, tuple(args))
    left = _operand(tokens)
    if not tokens or tokens[0][0] != "op":
        raise ValueError("a comparison needs an operator")
    op = tokens.pop(0)[1]
    return (op, left, _operand(tokens))


def _operand(tokens: list[tuple[str, str]]) -> tuple[str, str]:
    if not tokens or tokens[0][0] not in ("name", "value", "word"):
        raise ValueError("expected a name or a value")
    return tokens.pop(0)


def _expect(tokens: list[tuple[str, str]], punct: str) -> None:
    if not tokens or tokens[0] != ("punct", punct):
        raise ValueError(f"expected {punct!r}")
    tokens.pop(0)


class _Scope:
    """An expression's names and values, and the item it is read against."""

    def __init__(self, names: dict[str, str], values: dict[str, Any]) -> None:
        self.names, self.values = names, values
        self._wired = _wire(values)  # each value as DynamoDB would hand it back

    def attribute(self, token: tuple[str, str]) -> str:
        kind, text = token
        if kind == "name":
            return self.names[text]
        if kind == "word":
            return text
        raise ValueError(f"{text} is not an attribute")

    def read(self, token: tuple[str, str], item: dict[str, Any]) -> Any:
        if token[0] == "value":
            return self._wired[token[1]]
        return item.get(self.attribute(token), _MISSING)

    def holds(self, tree: Any, item: dict[str, Any]) -> bool:
        kind = tree[0]
        if kind == "and":
            return self.holds(tree[1], item) and self.holds(tree[2], item)
        if kind == "or":
            return self.holds(tree[1], item) or self.holds(tree[2], item)
        if kind == "not":
            return not self.holds(tree[1], item)
        if kind == "fn":
            name, args = tree[1], tree[2]
            if name == "attribute_exists":
                return self.attribute(args[0]) in item
            if name == "attribute_not_exists":
                return self.attribute(args[0]) not in item
            value, prefix = self.read(args[0], item), self.read(args[1], item)
            return isinstance(value, str) and isinstance(prefix, str) and value.startswith(prefix)
        left, right = self.read(tree[1], item), self.read(tree[2], item)
        if left is _MISSING or right is _MISSING:
            return kind == "<>" and not (left is _MISSING and right is _MISSING)
        if kind == "=":
            return left == right
        if kind == "<>":
            return left != right
        if type(left) is not type(right):
            return False
        return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[
            kind
        ]


_MISSING = object()


def _condition_parts(
    condition: Any, names: dict[str, str], values: dict[str, Any], key: bool = False
) -> tuple[Any, _Scope]:
    """A condition (string, or boto3's Attr/Key objects) as a tree and its scope."""
    if isinstance(condition, ConditionBase):
        built = ConditionExpressionBuilder().build_expression(condition, is_key_condition=key)
        names = {**names, **built.attribute_name_placeholders}
        values = {**values, **built.attribute_value_placeholders}
        condition = built.condition_expression
    return _condition(condition), _Scope(names, values)


def _update(expression: str, scope: _Scope, item: dict[str, Any]) -> dict[str, Any]:
    """The item after SET, REMOVE and numeric ADD clauses (ADD to a set, DELETE and functions
    are refused)."""
    updated = dict(item)
    clauses = re.split(r"\b(SET|REMOVE|ADD)\b", expression.strip(), flags=re.IGNORECASE)
    if clauses[0].strip():
        raise ValueError(f"cannot read update {expression!r}")
    for verb, body in zip(clauses[1::2], clauses[2::2], strict=True):
        for part in (p.strip() for p in body.split(",")):
            if verb.upper() == "REMOVE":
                updated.pop(scope.attribute(_tokens(part)[0]), None)
                continue
            if verb.upper() == "ADD":
                _add(updated, part, scope, item)
                continue
            tokens = list(_tokens(part))
            target = scope.attribute(tokens[0])
            if tokens[1] != ("op", "="):
                raise ValueError(f"cannot read SET {part!r}")
            value = scope.read(tokens[2], item)
            if len(tokens) == 5 and tokens[3][1] in "+-":
                other = scope.read(tokens[4], item)
                value = value + other if tokens[3][1] == "+" else value - other
            elif len(tokens) != 3:
                raise ValueError(f"cannot read SET {part!r}")
            if value is _MISSING:
                raise ValueError(f"SET {part!r} reads an attribute that is not there")
            updated[target] = value
    return _wire(updated)


def _add(updated: dict[str, Any], part: str, scope: _Scope, item: dict[str, Any]) -> None:
    """ADD a number to an attribute, a missing one counting as 0 (DynamoDB's rule)."""
    tokens = _tokens(part)
    if len(tokens) != 2 or tokens[1][0] != "value":
        raise ValueError(f"cannot read ADD {part!r}")
    target, amount = scope.attribute(tokens[0]), scope.read(tokens[1], item)
    current = updated.get(target, 0)
    if isinstance(amount, (set, frozenset)) or isinstance(current, (set, frozenset, str)):
        raise ValueError(f"ADD {part!r}: only numbers are supported here")
    updated[target] = current + amount


# --- tables --------------------------------------------------------------------------------


class MemoryTable:
    """One table: items by key, its indexes, the calls the stores make."""

    def __init__(self, owner: MemoryDynamo, args: dict[str, Any]) -> None:
        self.name = args["TableName"]
        self.meta = owner.meta
        self._owner = owner
        self.hash, self.range = _keys(args["KeySchema"])
        self.indexes = {
            gsi["IndexName"]: (*_keys(gsi["KeySchema"]), gsi.get("Projection", {}))
            for gsi in args.get("GlobalSecondaryIndexes", [])
        }
        self.items: dict[tuple[Any, Any], dict[str, Any]] = {}
        # each partition (of the table and of each index) by its key's value, so a query reads
        # its partition as DynamoDB does, not the whole table: a 25k campaign's finish pages
        # the ledger, and a scan per page made the fake, not the code, the slow part
        self._partitions: dict[str, dict[Any, dict[tuple[Any, Any], dict[str, Any]]]] = {
            name: {} for name in {self.hash, *(keys[0] for keys in self.indexes.values())}
        }

    def key_of(self, item: dict[str, Any]) -> tuple[Any, Any]:
        """The item's primary key values."""
        return item[self.hash], item.get(self.range) if self.range else None

    def _stored(self, key: dict[str, Any]) -> dict[str, Any] | None:
        return self.items.get(self.key_of(_wire(key)))

    def _store(self, item: dict[str, Any]) -> None:
        key = self.key_of(item)
        self._drop(key)
        self.items[key] = item
        for name, partitions in self._partitions.items():
            if name in item:
                partitions.setdefault(item[name], {})[key] = item

    def _drop(self, key: tuple[Any, Any]) -> None:
        old = self.items.pop(key, None)
        if old is None:
            return
        for name, partitions in self._partitions.items():
            if name in old:
                partitions[old[name]].pop(key, None)

    def check(self, key: dict[str, Any], request: dict[str, Any]) -> bool:
        """Whether the request's condition holds for the item at `key` now."""
        condition = request.get("ConditionExpression")
        if condition is None:
            return True
        tree, scope = _condition_parts(
            condition,
            request.get("ExpressionAttributeNames", {}),
            request.get("ExpressionAttributeValues", {}),
        )
        return scope.holds(tree, self._stored(key) or {})

    def apply(self, kind: str, request: dict[str, Any]) -> None:
        """Write one Put, Update or Delete whose condition was checked."""
        if kind == "Put":
            self._store(_wire(request["Item"]))
        elif kind == "Delete":
            self._drop(self.key_of(_wire(request["Key"])))
        elif kind == "Update":
            key = _wire(request["Key"])
            scope = _Scope(
                request.get("ExpressionAttributeNames", {}),
                request.get("ExpressionAttributeValues", {}),
            )
            current = self.items.get(self.key_of(key)) or key
            self._store(_update(request["UpdateExpression"], scope, current))

    def _write(
        self, kind: str, operation: str, key: dict[str, Any], request: dict[str, Any]
    ) -> Any:
        self._owner.wait(0.005)
        if not self.check(key, request):
            raise _refuse(
                "ConditionalCheckFailedException", "The conditional request failed", operation
            )
        self.apply(kind, request)
        return {}

    def put_item(self, **request: Any) -> Any:
        """PutItem."""
        return self._write("Put", "PutItem", request["Item"], request)

    def update_item(self, **request: Any) -> Any:
        """UpdateItem (ReturnValues not supported: refused)."""
        if request.get("ReturnValues", "NONE") != "NONE":
            raise NotImplementedError("ReturnValues")
        return self._write("Update", "UpdateItem", request["Key"], request)

    def delete_item(self, **request: Any) -> Any:
        """DeleteItem."""
        return self._write("Delete", "DeleteItem", request["Key"], request)

    def get_item(self, **request: Any) -> Any:
        """GetItem, with a projection if asked."""
        self._owner.wait(0.004)
        item = self._stored(request["Key"])
        if item is None:
            return {}
        return {"Item": _project(item, request)}

    def query(self, **request: Any) -> Any:
        """Query a partition of the table or an index, in sort-key order, paged by Limit."""
        self._owner.wait(0.006)
        index = request.get("IndexName")
        hash_key, range_key, projection = (
            self.indexes[index] if index else (self.hash, self.range, {"ProjectionType": "ALL"})
        )
        tree, scope = _condition_parts(
            request["KeyConditionExpression"],
            request.get("ExpressionAttributeNames", {}),
            request.get("ExpressionAttributeValues", {}),
            key=True,
        )
        wanted = _equal_to(tree, scope, hash_key)  # the partition: found by its key first
        matching = [
            i
            for i in self._partitions[hash_key].get(wanted, {}).values()
            if not range_key or range_key in i
        ]
        matching = [i for i in matching if scope.holds(tree, i)]
        order = (range_key, self.hash, self.range) if index else (range_key,)
        matching.sort(key=lambda i: tuple(str(i.get(k, "")) for k in order if k))
        start = request.get("ExclusiveStartKey")
        if start:
            mark = tuple(str(_wire(start).get(k, "")) for k in order if k)
            matching = [i for i in matching if tuple(str(i.get(k, "")) for k in order if k) > mark]
        limit = request.get("Limit", len(matching))
        page = matching[:limit]
        if "FilterExpression" in request:
            f_tree, f_scope = _condition_parts(
                request["FilterExpression"], scope.names, scope.values
            )
            page = [i for i in page if f_scope.holds(f_tree, i)]
        response: dict[str, Any] = {
            "Items": [
                _project(_index_view(i, projection, self, hash_key, range_key), request)
                for i in page
            ],
            "Count": len(page),
        }
        if len(matching) > limit:
            last = matching[limit - 1]
            keys = {self.hash, self.range, hash_key, range_key} - {None}
            response["LastEvaluatedKey"] = {k: last[k] for k in keys if k in last}
        return response

    def scan(self, **request: Any) -> Any:
        """Scan the whole table in one page, filtered."""
        self._owner.wait(0.02)
        items = list(self.items.values())
        if "FilterExpression" in request:
            tree, scope = _condition_parts(
                request["FilterExpression"],
                request.get("ExpressionAttributeNames", {}),
                request.get("ExpressionAttributeValues", {}),
            )
            items = [i for i in items if scope.holds(tree, i)]
        return {"Items": [_project(i, request) for i in items], "Count": len(items)}

    @contextmanager
    def batch_writer(self, **_: Any) -> Iterator[Any]:
        """Puts and deletes sent 25 at a time, unconditional."""
        writes: list[tuple[str, dict[str, Any]]] = []

        class _Batch:
            def put_item(self, Item: dict[str, Any]) -> None:
                writes.append(("Put", {"Item": Item}))

            def delete_item(self, Key: dict[str, Any]) -> None:
                writes.append(("Delete", {"Key": Key}))

        yield _Batch()
        for start in range(0, len(writes), 25):
            self._owner.wait(0.01)
            for kind, request in writes[start : start + 25]:
                self.apply(kind, request)


def _equal_to(tree: Any, scope: _Scope, attribute: str) -> Any:
    """The value a key condition requires `attribute` to equal (a Query must name one)."""
    if tree[0] == "and":
        found = _equal_to(tree[1], scope, attribute)
        return found if found is not _MISSING else _equal_to(tree[2], scope, attribute)
    if tree[0] == "=" and tree[1][0] != "value" and scope.attribute(tree[1]) == attribute:
        return scope.read(tree[2], {})
    return _MISSING


def _keys(schema: list[dict[str, str]]) -> tuple[str, str | None]:
    hash_key = next(k["AttributeName"] for k in schema if k["KeyType"] == "HASH")
    range_key = next((k["AttributeName"] for k in schema if k["KeyType"] == "RANGE"), None)
    return hash_key, range_key


def _index_view(
    item: dict[str, Any], projection: dict[str, Any], table: MemoryTable, *keys: str | None
) -> dict[str, Any]:
    kind = projection.get("ProjectionType", "ALL")
    if kind == "ALL":
        return item
    kept = {table.hash, table.range, *keys} - {None}
    if kind == "INCLUDE":
        kept |= set(projection.get("NonKeyAttributes", []))
    return {k: v for k, v in item.items() if k in kept}


def _project(item: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    expression = request.get("ProjectionExpression")
    if not expression:
        return dict(item)
    names = request.get("ExpressionAttributeNames", {})
    wanted = {names.get(p.strip(), p.strip()) for p in expression.split(",")}
    return {k: v for k, v in item.items() if k in wanted}


class _Client:
    """The resource's client: the calls that span tables."""

    def __init__(self, owner: MemoryDynamo) -> None:
        self._owner = owner

    def transact_write_items(self, TransactItems: list[dict[str, Any]]) -> Any:
        """All or nothing: every condition checked, then every write applied."""
        self._owner.wait(0.012)
        reasons, ok = [], True
        for entry in TransactItems:
            kind, request = next(iter(entry.items()))
            table = self._owner.tables[request["TableName"]]
            key = request.get("Key") or {
                k: request["Item"][k] for k in (table.hash, table.range) if k
            }
            holds = table.check(key, request)
            reasons.append({"Code": "None" if holds else "ConditionalCheckFailed"})
            ok = ok and holds
        if not ok:
            raise _refuse(
                "TransactionCanceledException",
                "Transaction cancelled",
                "TransactWriteItems",
                CancellationReasons=reasons,
            )
        for entry in TransactItems:
            kind, request = next(iter(entry.items()))
            if kind != "ConditionCheck":
                self._owner.tables[request["TableName"]].apply(kind, request)
        return {}

    def batch_get_item(self, RequestItems: dict[str, Any]) -> Any:
        """Every key's item (none unprocessed)."""
        self._owner.wait(0.01)
        responses = {}
        for name, spec in RequestItems.items():
            table = self._owner.tables[name]
            found = (table._stored(k) for k in spec["Keys"])
            responses[name] = [_project(i, spec) for i in found if i is not None]
        return {"Responses": responses, "UnprocessedKeys": {}}


class _Meta:
    def __init__(self, client: _Client) -> None:
        self.client = client


class MemoryDynamo:
    """The DynamoDB service resource over in-memory tables made as the template declares."""

    def __init__(
        self, template: Template, names: dict[str, str], wait: Callable[[float], None]
    ) -> None:
        """`names`: logical id -> table name; `wait`: how a call's latency passes (sim.sleep)."""
        self.wait = wait
        self.meta = _Meta(_Client(self))
        self.tables = {
            name: MemoryTable(self, template.create_table_args(logical, name))
            for logical, name in names.items()
        }

    def Table(self, name: str) -> MemoryTable:
        """A table by name."""
        return self.tables[name]
