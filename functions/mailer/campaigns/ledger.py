"""The send ledger: one item per (campaign, subscriber), so each subscriber gets one email.

An entry's life:

    (absent) --claim--> claimed --finish--> sent | skipped | suppressed | failed
                           |  ^                                           |
                release    |  +------- re-claim (lease expired, or failed) +
                           v
                       (absent)

* claim is a conditional put (attribute_not_exists): of two senders given the same subscriber,
  exactly one wins. The loser sees a fresh claim and reports its record as failed, so SQS hands
  it back later, by which time the entry is final and the retry is a no-op.
* A claim is a lease. A sender that dies (crash, Lambda timeout) leaves its entry "claimed";
  after the lease (the queue's visibility timeout minus the sender's timeout, so no live sender
  can still hold it) a redelivered record may take it over.
* finish moves claimed -> final with a single conditional write, only for the claim's owner, so
  a duplicate never counts twice: counts are counted from these entries (store.py), so no send
  writes a shared item that concurrent senders would collide on. release deletes a claim when the
  sender knows SES did not accept the message (throttled, or it never got as far as sending).

The one window: from the moment SES accepts a message until the transaction that marks its
entry "sent" commits. If the sender dies inside it (crash, Lambda timeout, out of memory), or
send_email's answer is lost in transit (no HTTP response, so nobody knows whether SES took the
message), the entry stays "claimed" with no SES message id; SQS redelivers the record after its
visibility timeout, the lease has run out, and the retry sends again: that subscriber gets two
emails. A crash anywhere before SES accepts leads to exactly one send on retry; anywhere after
the commit, the retry sends nothing. (If the commit itself fails after SES accepted, the sender
logs the SES message id and reports the record done, not failed, so SQS does not redeliver it.)

Every write here is retried while DynamoDB reports a TransactionConflict (aws/transactions.py).
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from boto3.dynamodb.conditions import Attr

from mailer.aws.transactions import CONFLICT_BACKOFF, retry_conflicts, transact
from mailer.aws.translate import aws_errors
from mailer.errors import ConflictError, MailerError

from .keys import campaign_pk, ledger_sk, meta_key, moved_sk, parked_sk, subscriber_of_ledger_sk
from .model import Campaign, Control, SendOutcome

CLAIMED = "claimed"
# A final entry is only needed while its campaign's messages can still arrive (SQS keeps them
# four days); it is kept for over a year so the dashboard can answer "did this person get it?",
# then TTL deletes it. Campaign records (with their counts) have no expiry.
LEDGER_KEEP_SECONDS = 400 * 24 * 3600

FINAL = frozenset({SendOutcome.SENT.value, SendOutcome.SKIPPED.value, SendOutcome.SUPPRESSED.value})


class InFlightError(MailerError):
    """Another sender holds a live claim on this subscriber; try again after the lease."""


@dataclass(frozen=True)
class Claim:
    """This sender's right to send one campaign to one subscriber."""

    campaign_id: str
    subscriber_key: str
    audience: str  # the audience the planner counted the subscriber in
    claim_id: str
    attempt: int

    @property
    def key(self) -> dict[str, str]:
        """The DynamoDB key of this claim's ledger entry (see keys.py)."""
        return {"pk": campaign_pk(self.campaign_id), "sk": ledger_sk(self.subscriber_key)}


@dataclass(frozen=True)
class Done:
    """The entry is already final: nothing to send."""

    state: str
    ses_message_id: str = ""
    audience: str = ""  # the audience the entry was sent (or skipped) under


class Ledger:
    """Claims and outcomes of sends, in the campaigns table."""

    def __init__(
        self,
        table: Any,
        lease_seconds: float,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._table = table
        self._lease = lease_seconds
        self._clock = clock
        self._backoff = replace(CONFLICT_BACKOFF, sleep=sleep)

    def entry(self, campaign: Campaign, subscriber_key: str) -> dict[str, Any] | None:
        """The ledger entry as stored, if any."""
        with aws_errors("reading the send ledger"):
            return self._table.get_item(
                Key={"pk": campaign.pk, "sk": ledger_sk(subscriber_key)}, ConsistentRead=True
            ).get("Item")

    def reached(self, campaign_id: str, subscriber_key: str) -> bool:
        """True if that campaign sent to the subscriber, or was sending when it stopped (a
        claim under way at a cancel counts as sent, as the cancel's counts say)."""
        with aws_errors("reading the send ledger"):
            entry = self._table.get_item(
                Key={"pk": campaign_pk(campaign_id), "sk": ledger_sk(subscriber_key)},
                ConsistentRead=True,
            ).get("Item")
        return entry is not None and entry.get("state") in (CLAIMED, SendOutcome.SENT.value)

    def claim(self, campaign: Campaign, subscriber_key: str, audience: str) -> Claim | Done:
        """Claim the send, or say it is done already; InFlightError if another sender has it."""
        now = self._clock()
        claim = Claim(campaign.id, subscriber_key, audience, uuid.uuid4().hex, 1)
        item = {
            **claim.key,
            "state": CLAIMED,
            "audience": audience,
            "claim_id": claim.claim_id,
            "claimed_at": int(now),
            "attempt": 1,
        }
        try:
            self._write(
                "claiming a send",
                self._table.put_item,
                Item=item,
                ConditionExpression=Attr("sk").not_exists(),
            )
            return claim
        except ConflictError:
            pass
        current = self.entry(campaign, subscriber_key)
        if current is None:  # released between our put and our read: the redelivery retries
            raise InFlightError("the ledger entry changed while claiming")
        state = current.get("state", "")
        if state in FINAL:
            return Done(state, current.get("ses_message_id", ""), current.get("audience", ""))
        if state == CLAIMED and int(current.get("claimed_at", 0)) > now - self._lease:
            raise InFlightError("another sender holds this send")
        return self._take_over(campaign, current, now)

    def park(self, campaign: Campaign, subscriber_key: str, audience: str) -> bool:
        """Set a job aside while its campaign is paused; False if the campaign is no longer
        paused (the pause check and the parking are one transaction, so a resume that clears
        the pause first always finds what was parked before it)."""
        parked = {
            "Put": {
                "Item": {"pk": campaign.pk, "sk": parked_sk(subscriber_key), "audience": audience}
            }
        }
        still_paused = {
            "ConditionCheck": {
                "Key": meta_key(campaign.id),
                "ConditionExpression": "control = :paused",
                "ExpressionAttributeValues": {":paused": Control.PAUSED.value},
            }
        }
        try:
            transact(self._table, [parked, still_paused], "parking a send", backoff=self._backoff)
        except ConflictError:
            return False
        return True

    def count_moved(self, campaign: Campaign, subscriber_key: str, audience: str) -> None:
        """Count, once, a job queued under a second audience for someone already handled.

        A subscriber who changes group while the planner runs is queued in both audiences; the
        ledger lets only one job send, so the other is counted skipped (by this marker), or the
        campaign's planned count would never be met and it would never be marked finished.
        """
        try:
            self._write(
                "counting a moved subscriber",
                self._table.put_item,
                Item={"pk": campaign.pk, "sk": moved_sk(audience, subscriber_key)},
                ConditionExpression=Attr("sk").not_exists(),
            )
        except ConflictError:
            return  # this job was counted already (SQS delivered it twice)

    def _take_over(self, campaign: Campaign, current: dict[str, Any], now: float) -> Claim:
        """Re-claim a stale claim or a failed entry, if nobody changed it since we read it."""
        audience = current.get("audience", "")
        claim = Claim(
            campaign.id,
            subscriber_of_ledger_sk(current["sk"]),
            audience,
            uuid.uuid4().hex,
            int(current.get("attempt", 1)) + 1,
        )
        try:
            self._write(
                "re-claiming a send",
                self._table.update_item,
                Key=claim.key,
                UpdateExpression=(
                    "SET #state = :claimed, claim_id = :new, claimed_at = :now, attempt = :attempt"
                ),
                ConditionExpression="#state = :was AND claim_id = :old",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={
                    ":claimed": CLAIMED,
                    ":new": claim.claim_id,
                    ":now": int(now),
                    ":attempt": claim.attempt,
                    ":was": current.get("state", ""),
                    ":old": current.get("claim_id", ""),
                },
            )
        except ConflictError:
            raise InFlightError("another sender re-claimed this send first") from None
        return claim

    def finish(
        self, claim: Claim, outcome: SendOutcome, ses_message_id: str = "", reason: str = ""
    ) -> None:
        """Make the entry final (one conditional write), only if this sender still owns the claim.

        ConflictError means the lease ran out and another sender took the entry over.
        """
        names = {"#state": "state"}
        now = self._clock()
        values: dict[str, Any] = {
            ":outcome": outcome.value,
            ":at": dt.datetime.fromtimestamp(now, dt.UTC).isoformat(timespec="seconds"),
            ":claimed": CLAIMED,
            ":mine": claim.claim_id,
            ":expires": int(now) + LEDGER_KEEP_SECONDS,
        }
        sets = ["#state = :outcome", "finished_at = :at", "expires_at = :expires"]
        if ses_message_id:
            sets.append("ses_message_id = :message_id")
            values[":message_id"] = ses_message_id
        if reason:
            sets.append("reason = :reason")
            values[":reason"] = reason
        self._write(
            "recording a send",
            self._table.update_item,
            Key=claim.key,
            UpdateExpression="SET " + ", ".join(sets),
            ConditionExpression="#state = :claimed AND claim_id = :mine",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def release(self, claim: Claim) -> None:
        """Give the claim back (SES did not accept the message), so a retry can claim at once."""
        try:
            self._write(
                "releasing a send",
                self._table.delete_item,
                Key=claim.key,
                ConditionExpression=Attr("state").eq(CLAIMED) & Attr("claim_id").eq(claim.claim_id),
            )
        except ConflictError:
            return  # someone else owns it now; nothing of ours to release

    def _write(self, action: str, call: Callable[..., Any], **request: Any) -> None:
        """One conditional write, retried while a transaction elsewhere holds the item."""

        def write() -> None:
            with aws_errors(action):
                call(**request)

        retry_conflicts(write, backoff=self._backoff)
