"""Starting a campaign from the staff console: on AWS the planner function plans it (invoked
asynchronously, so the page answers at once and Lambda retries a failed plan); on the local
stack and in tests the planner runs in this process. Starting twice is harmless either way:
the campaign record is written once, and a planned campaign is left alone."""

from __future__ import annotations

import json
from typing import Any, Protocol

from mailer.aws.translate import aws_errors

from .model import Campaign
from .planner import Planner


class CampaignStarter(Protocol):
    """Hands a campaign to the planner."""

    def start(self, campaign: Campaign) -> None:
        """Plan the campaign (now or soon)."""
        ...


class LambdaStarter:
    """Invokes the planner function with the campaign's planner event."""

    def __init__(self, lambda_client: Any, function_name: str) -> None:
        self._client = lambda_client
        self._function = function_name

    def start(self, campaign: Campaign) -> None:
        """Invoke the planner asynchronously with this campaign's event."""
        with aws_errors("starting the planner"):
            self._client.invoke(
                FunctionName=self._function,
                InvocationType="Event",
                Payload=json.dumps(campaign.planner_event()).encode(),
            )


class InProcessStarter:
    """Plans the campaign here and now (the local stack has no planner function)."""

    def __init__(self, planner: Planner) -> None:
        self._planner = planner

    def start(self, campaign: Campaign) -> None:
        """Plan it in this process."""
        self._planner.plan(campaign)
