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
* finish moves claimed -> final, only for the claim's owner, in one transaction with +1 to the
  outcome in the sending thread's own tally (tally.py), so a duplicate never counts twice and
  no two senders write one item. Re-claiming a failed entry takes its "failed" back the same
  way. release deletes a claim when the sender knows SES did not accept the message
  (throttled, or it never got as far as sending); claims are not counted.

The one window: from the moment SES accepts a message until the transaction that marks its
entry "sent" commits. If the sender dies inside it (crash, Lambda timeout, out of memory), or
send_email's answer is lost in transit (no HTTP response, so nobody knows whether SES took the
message), the entry stays "claimed" with no SES message id; SQS redelivers the record after its
visibility timeout, the lease has run out, and the retry sends again: that subscriber gets two
emails. A crash anywhere before SES accepts leads to exactly one send on retry; anywhere after
the commit, the retry sends nothing. (If the commit itself fails after SES accepted, the sender
logs the SES message id and reports the record done, not failed, so SQS does not redeliver it.)

Every write here is retried while DynamoDB reports a TransactionConflict (aws/table.py).
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from boto3.dynamodb.conditions import Attr

from mailer.aws.retry import Backoff
from mailer.aws.table import Table
from mailer.errors import ConflictError, MailerError, ThrottlingError

from .keys import ledger_sk, meta_key, moved_sk, parked_sk, subscriber_of_ledger_sk
from .model import Campaign, Control, SendOutcome
from .tally import Tally

CLAIMED = "claimed"
# A final entry is only needed while its campaign's messages can still arrive (SQS keeps them
# four days); it is kept for over a year so the dashboard can answer "did this person get it?",
# then TTL deletes it. Campaign records (with their counts) have no expiry.
LEDGER_KEEP_SECONDS = 400 * 24 * 3600

# Recording a send that is out is retried while DynamoDB throttles: up to ~20 s, as long as
# the invocation has time (botocore's own retries come first, inside each attempt).
RECORD_BACKOFF = Backoff(attempts=12, base=0.05, cap=4.0)

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
    pk: str  # the partition of the entry (its shard: keys.py)

    @property
    def key(self) -> dict[str, str]:
        """The DynamoDB key of this claim's ledger entry (see keys.py)."""
        return {"pk": self.pk, "sk": ledger_sk(self.subscriber_key)}


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
        table: Table,
        lease_seconds: float,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._table = table
        self.tally = Tally(table)
        self._lease = lease_seconds
        self._clock = clock
        self._throttle_backoff = replace(RECORD_BACKOFF, sleep=sleep)

    def entry(self, campaign: Campaign, subscriber_key: str) -> dict[str, Any] | None:
        """The ledger entry as stored, if any."""
        return self._table.get(
            {"pk": campaign.ledger_pk(subscriber_key), "sk": ledger_sk(subscriber_key)},
            action="reading the send ledger",
            consistent=True,
        )

    def reached(self, followed: Campaign, subscriber_key: str) -> bool:
        """True if that campaign sent to the subscriber, or was sending when it stopped (a
        claim under way at a cancel went out)."""
        entry = self.entry(followed, subscriber_key)
        return entry is not None and entry.get("state") in (CLAIMED, SendOutcome.SENT.value)

    def claim(self, campaign: Campaign, subscriber_key: str, audience: str) -> Claim | Done:
        """Claim the send, or say it is done already; InFlightError if another sender has it."""
        now = self._clock()
        claim = Claim(
            campaign.id,
            subscriber_key,
            audience,
            uuid.uuid4().hex,
            1,
            campaign.ledger_pk(subscriber_key),
        )
        item = {
            **claim.key,
            "state": CLAIMED,
            "audience": audience,
            "claim_id": claim.claim_id,
            "claimed_at": int(now),
            "attempt": 1,
        }
        try:
            self._table.put(item, action="claiming a send", condition=Attr("sk").not_exists())
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
                "Item": {
                    "pk": campaign.ledger_pk(subscriber_key),
                    "sk": parked_sk(subscriber_key),
                    "audience": audience,
                }
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
            self._table.transact([parked, still_paused], action="parking a send")
        except ConflictError:
            return False
        return True

    def count_moved(self, campaign: Campaign, subscriber_key: str, audience: str) -> None:
        """Count, once, a job queued under a second audience for someone already handled.

        A subscriber who changes group while the planner runs is queued in both audiences; the
        ledger lets only one job send, so the other is counted skipped (the marker makes it
        once), or the campaign's planned count would never be met and it would never finish.
        """
        pk = campaign.ledger_pk(subscriber_key)
        marker = {
            "Put": {
                "Item": {"pk": pk, "sk": moved_sk(audience, subscriber_key)},
                "ConditionExpression": "attribute_not_exists(sk)",
            }
        }
        counted = self.tally.add(pk, audience, SendOutcome.SKIPPED.value)
        try:
            self._table.transact([marker, counted], action="counting a moved subscriber")
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
            current["pk"],
        )
        was = current.get("state", "")
        reclaim = {
            "Update": {
                "Key": claim.key,
                "UpdateExpression": (
                    "SET #state = :claimed, claim_id = :new, claimed_at = :now, attempt = :attempt"
                ),
                "ConditionExpression": "#state = :was AND claim_id = :old",
                "ExpressionAttributeNames": {"#state": "state"},
                "ExpressionAttributeValues": {
                    ":claimed": CLAIMED,
                    ":new": claim.claim_id,
                    ":now": int(now),
                    ":attempt": claim.attempt,
                    ":was": was,
                    ":old": current.get("claim_id", ""),
                },
            }
        }
        # A failed entry was counted failed; claimed again it is not, until its new outcome.
        uncount = (
            [self.tally.add(claim.pk, audience, SendOutcome.FAILED.value, -1)]
            if was == SendOutcome.FAILED.value
            else []
        )
        try:
            self._table.transact([reclaim, *uncount], action="re-claiming a send")
        except ConflictError:
            raise InFlightError("another sender re-claimed this send first") from None
        return claim

    def finish(
        self, claim: Claim, outcome: SendOutcome, ses_message_id: str = "", reason: str = ""
    ) -> None:
        """Make the entry final and count it, in one transaction, only if this sender still
        owns the claim.

        ConflictError means the lease ran out and another sender took the entry over;
        ThrottlingError that DynamoDB refused it for now (nothing was written).
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
        final = {
            "Update": {
                "Key": claim.key,
                "UpdateExpression": "SET " + ", ".join(sets),
                "ConditionExpression": "#state = :claimed AND claim_id = :mine",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
        }
        counted = self.tally.add(claim.pk, claim.audience, outcome.value)
        self._table.transact([final, counted], action="recording a send")

    def record_sent(
        self, claim: Claim, ses_message_id: str, time_left: Callable[[], float] | None = None
    ) -> None:
        """Make a send SES accepted final, retried while DynamoDB throttles until it is recorded
        or the invocation runs out of time (OutOfTimeError): an entry left "claimed" is never
        counted, so its campaign would never finish."""
        self._throttle_backoff.call(
            lambda: self.finish(claim, SendOutcome.SENT, ses_message_id=ses_message_id),
            retry_on=(ThrottlingError,),
            time_left=time_left,
        )

    def release(self, claim: Claim) -> None:
        """Give the claim back (SES did not accept the message), so a retry can claim at once."""
        try:
            self._table.delete(
                claim.key,
                action="releasing a send",
                condition=Attr("state").eq(CLAIMED) & Attr("claim_id").eq(claim.claim_id),
            )
        except ConflictError:
            return  # someone else owns it now; nothing of ours to release
