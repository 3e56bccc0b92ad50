"""Starting a campaign from the staff console: on AWS the console writes the approved campaign's
record (its snapshot with it) and the planner function plans that record (invoked
asynchronously, so the page answers at once and Lambda retries a failed plan); on the local
stack and in tests the planner runs in this process. Starting twice is harmless either way:
the campaign record is written once, and a planned campaign is left alone."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

from mailer.aws.translate import aws_errors

from .model import Campaign
from .planner import Planner
from .store import CampaignStore


class CampaignStarter(Protocol):
    """Hands a campaign to the planner."""

    def start(self, campaign: Campaign) -> None:
        """Plan the campaign (now or soon)."""
        ...

    def requeue(self, campaign_id: str) -> None:
        """Put a resumed or cancelled campaign's parked jobs back on the queue (now or soon)."""
        ...


class LambdaStarter:
    """Writes the campaign's record, then invokes the planner function to plan it."""

    def __init__(self, campaigns: CampaignStore, lambda_client: Any, function_name: str) -> None:
        self._campaigns = campaigns
        self._client = lambda_client
        self._function = function_name

    def start(self, campaign: Campaign) -> None:
        """Record the campaign as approved (first definition wins), then have the planner plan
        that record asynchronously: what it plans is what was approved, not a rebuild."""
        self._campaigns.create(campaign)
        self.hand_off(campaign.planner_event())

    def requeue(self, campaign_id: str) -> None:
        """Have the planner requeue the parked jobs, page by page, resuming if cut off (Lambda
        retries an asynchronous invocation that fails), instead of the web request."""
        self.hand_off({"kind": "requeue", "campaign_id": campaign_id})

    def hand_off(self, event: Mapping[str, Any]) -> None:
        """Give the planner function an event, asynchronously (Lambda retries it on failure)."""
        with aws_errors("starting the planner"):
            self._client.invoke(
                FunctionName=self._function,
                InvocationType="Event",
                Payload=json.dumps(dict(event)).encode(),
            )


class InProcessStarter:
    """Plans the campaign here and now (the local stack has no planner function)."""

    def __init__(self, planner: Planner) -> None:
        self._planner = planner

    def start(self, campaign: Campaign) -> None:
        """Plan it in this process."""
        self._planner.plan(campaign)

    def requeue(self, campaign_id: str) -> None:
        """Requeue the parked jobs in this process."""
        self._planner.requeue_parked(campaign_id)
