"""EventBridge Scheduler one-time schedules, in one schedule group: the campaigns' schedules
(campaigns/schedules.py), each delivering its event to the planner function once, then deleted
by the scheduler itself. Errors become domain errors here."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from mailer.aws.translate import aws_errors

_AT = re.compile(r"^at\((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\)$")
# As the template's own schedules: retried for six hours, then the planner's dead-letter queue.
RETRY_POLICY = {"MaximumRetryAttempts": 10, "MaximumEventAgeInSeconds": 21600}


@dataclass(frozen=True)
class Pending:
    """A one-time schedule not yet delivered: its name, its time (UTC) and its event."""

    name: str
    at: dt.datetime
    event: dict[str, Any]


class OneTimeSchedules:
    """One-time schedules in `group`, delivered with `role` (the scheduler's identity)."""

    def __init__(self, client: Any, group: str, role: str, dead_letter: str = "") -> None:
        self._client = client
        self._group = group
        self._role = role
        self._dead_letter = dead_letter

    def put(self, name: str, at: dt.datetime, event: Mapping[str, Any], target: str) -> None:
        """Create the schedule, or replace the one of that name (a reschedule, a second sync)."""
        utc = at.astimezone(dt.UTC)
        target_spec: dict[str, Any] = {
            "Arn": target,
            "RoleArn": self._role,
            "Input": json.dumps(dict(event)),
            "RetryPolicy": RETRY_POLICY,
        }
        if self._dead_letter:
            target_spec["DeadLetterConfig"] = {"Arn": self._dead_letter}
        args = {
            "Name": name,
            "GroupName": self._group,
            "ScheduleExpression": f"at({utc:%Y-%m-%dT%H:%M:%S})",
            "ScheduleExpressionTimezone": "UTC",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "State": "ENABLED",
            "ActionAfterCompletion": "DELETE",
            "Target": target_spec,
        }
        with aws_errors("setting a campaign's schedule"):
            try:
                self._client.create_schedule(**args)
            except ClientError as exc:
                if _code(exc) != "ConflictException":
                    raise
                self._client.update_schedule(**args)  # an update replaces every field

    def delete(self, name: str) -> None:
        """Delete the schedule; one already delivered (and so deleted) or never set is fine."""
        with aws_errors("deleting a campaign's schedule"):
            try:
                self._client.delete_schedule(Name=name, GroupName=self._group)
            except ClientError as exc:
                if _code(exc) != "ResourceNotFoundException":
                    raise

    def pending(self) -> Iterator[Pending]:
        """Every one-time schedule in the group (for the local stack, which delivers them)."""
        with aws_errors("listing campaign schedules"):
            pages = self._client.get_paginator("list_schedules").paginate(GroupName=self._group)
            names = [s["Name"] for page in pages for s in page.get("Schedules", [])]
        for name in names:
            with aws_errors("reading a campaign schedule"):
                try:
                    found = self._client.get_schedule(Name=name, GroupName=self._group)
                except ClientError as exc:
                    if _code(exc) == "ResourceNotFoundException":
                        continue  # delivered meanwhile
                    raise
            match = _AT.match(found.get("ScheduleExpression", ""))
            if match:
                at = dt.datetime.fromisoformat(match[1]).replace(tzinfo=dt.UTC)
                yield Pending(name, at, json.loads(found["Target"].get("Input") or "{}"))


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
