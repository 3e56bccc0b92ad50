"""Fakes that enforce what AWS enforces, on simulated time, for the quota benchmark.

How each was checked against AWS's documentation (the SES, SQS and DynamoDB developer guides):
- SES: the maximum send rate is messages accepted per second; a send above it is refused with
  `Throttling` ("Maximum sending rate exceeded"), SES v2's TooManyRequestsException; a refused
  send is not delivered. Latency 50-80 ms per call, as measured from Lambda in the same region.
- SQS (standard queue): batches of at most 10, receive takes up to 10 visible messages and hides
  them for the visibility timeout; a receipt handle deletes only its own receipt; after
  maxReceiveCount receives the message moves to the dead-letter queue. The Lambda event source
  deletes the records a partial batch response does not name, none if the function raises.
- DynamoDB: dynamo.py (moto's items and conditions, plus request units, per-partition limits
  and transaction conflicts as DynamoDB enforces them).

The code reaches these through real boto3 clients (served.py), so botocore's CPU is charged.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from .simtime import SimTime


class FakeSes:
    """SES v2 enforcing `rate` messages a second over any one-second window."""

    def __init__(self, sim: SimTime, rate: float, seed: int = 1) -> None:
        self._sim = sim
        self.rate = rate
        self._accepted: deque[float] = deque()
        self._random = random.Random(seed)  # noqa: S311 (latency jitter, not security)
        self.sent: Counter[str] = Counter()
        self.accepted_at: list[tuple[float, str]] = []  # (when, to) of every accepted send
        self.throttled = 0

    def get_account(self) -> dict[str, Any]:
        """The account's quota, as GetAccount reports it (no simulated wait: it is called while
        a cached_property's lock is held, which a task must not sleep inside)."""
        return {"SendQuota": {"MaxSendRate": self.rate, "Max24HourSend": 1e7}}

    def send_email(self, **request: Any) -> dict[str, Any]:
        """Accept the message unless `rate` were accepted in the last second."""
        self._sim.sleep(self._random.uniform(0.05, 0.08) / 2)  # the request reaches SES
        now = self._sim()
        while self._accepted and self._accepted[0] <= now - 1.0:
            self._accepted.popleft()
        if len(self._accepted) >= self.rate:
            self.throttled += 1
            self._sim.sleep(0.03)
            raise ClientError(
                {
                    "Error": {
                        "Code": "TooManyRequestsException",
                        "Message": "Maximum sending rate exceeded.",
                    }
                },
                "SendEmail",
            )
        self._accepted.append(now)
        to = request["Destination"]["ToAddresses"][0]
        self.sent[to] += 1
        self.accepted_at.append((now, to))
        self._sim.sleep(self._random.uniform(0.05, 0.08) / 2)  # the answer comes back
        return {"MessageId": uuid.uuid4().hex}


@dataclass
class _Message:
    id: str
    body: str
    visible_at: float
    receives: int = 0
    handle: str = ""


@dataclass
class FakeSqs:
    """One standard queue with a dead-letter queue, on simulated time."""

    sim: SimTime
    visibility_timeout: float = 180.0
    max_receives: int = 5
    messages: dict[str, _Message] = field(default_factory=dict)
    dead: list[_Message] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    _hidden: dict[str, float] = field(default_factory=dict)  # in flight: visible again at

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        """Queue up to ten messages."""
        if not 1 <= len(Entries) <= 10:
            raise ClientError({"Error": {"Code": "TooManyEntriesInBatchRequest"}}, "SendBatch")
        self.calls["SendMessageBatch"] += 1
        self.sim.sleep(0.02)
        for entry in Entries:
            message_id = uuid.uuid4().hex
            self.messages[message_id] = _Message(message_id, entry["MessageBody"], self.sim())
        return {"Successful": [{"Id": e["Id"]} for e in Entries], "Failed": []}

    def receive(self, limit: int = 10) -> list[dict[str, Any]]:
        """What the Lambda event source receives: up to `limit` visible messages, now hidden;
        a message past its last receive goes to the dead-letter queue instead."""
        self.calls["ReceiveMessage"] += 1
        self.sim.sleep(0.02)
        now = self.sim()
        taken: list[dict[str, Any]] = []
        dead: list[str] = []
        for message in self.messages.values():  # oldest first; in-flight ones are few
            if len(taken) == limit:
                break
            if message.visible_at > now:
                continue
            if message.receives >= self.max_receives:
                dead.append(message.id)
                continue
            message.receives += 1
            message.visible_at = now + self.visibility_timeout
            self._hidden[message.id] = message.visible_at
            message.handle = uuid.uuid4().hex
            taken.append(
                {
                    "MessageId": message.id,
                    "ReceiptHandle": message.handle,
                    "Body": message.body,
                    "Attributes": {"ApproximateReceiveCount": str(message.receives)},
                }
            )
        for message_id in dead:
            self.dead.append(self.messages.pop(message_id))
            self._hidden.pop(message_id, None)
        return taken

    def delete(self, message_id: str, handle: str) -> None:
        """Delete a message by its latest receipt (the event source does, in batches)."""
        message = self.messages.get(message_id)
        if message is not None and message.handle == handle:
            del self.messages[message_id]
            self._hidden.pop(message_id, None)

    def get_queue_attributes(self, QueueUrl: str, AttributeNames: list[str]) -> dict[str, Any]:
        """Approximate counts, exact here."""
        self.calls["GetQueueAttributes"] += 1
        self.sim.sleep(0.01)
        now = self.sim()
        for message_id in [m for m, at in self._hidden.items() if at <= now]:
            del self._hidden[message_id]  # visible again
        visible = len(self.messages) - len(self._hidden)
        return {
            "Attributes": {
                "ApproximateNumberOfMessages": str(visible),
                "ApproximateNumberOfMessagesNotVisible": str(len(self.messages) - visible),
                "ApproximateNumberOfMessagesDelayed": "0",
            }
        }

    def idle(self) -> bool:
        """Nothing left: every message deleted or dead."""
        return not self.messages
