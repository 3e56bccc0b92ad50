"""The AWS clients one process uses, built from Settings on first use (never at import time)."""

from __future__ import annotations

from functools import cached_property
from typing import Any

import boto3
from botocore.config import Config

from mailer.aws.translate import aws_errors
from mailer.errors import SettingsError
from mailer.settings import Settings

# Standard retry mode backs off on throttling for reads and writes; sends are different (below).
_BOTO_CONFIG = Config(
    retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=5, read_timeout=20
)


class Clients:
    """The AWS clients one process uses, each built on first use and then shared."""

    def __init__(self, settings: Settings, session: boto3.Session | None = None) -> None:
        self.settings = settings
        self._session = session or boto3.Session(region_name=settings.region)

    def _client(self, service: str) -> Any:
        return self._session.client(
            service, endpoint_url=self.settings.aws_endpoint_url or None, config=_BOTO_CONFIG
        )

    @cached_property
    def dynamodb(self) -> Any:
        """DynamoDB service resource (tables are reached through it)."""
        return self._session.resource(
            "dynamodb", endpoint_url=self.settings.aws_endpoint_url or None, config=_BOTO_CONFIG
        )

    @cached_property
    def sesv2(self) -> Any:
        """SES v2 for reads and identities (retries on); sends use sesv2_send."""
        return self._client("sesv2")

    @cached_property
    def sesv2_send(self) -> Any:
        """SES v2 client for send_email only: botocore never retries a send by itself.

        A read timeout leaves us not knowing whether SES took the message; botocore's own retry
        would send it again. aws/ses.py retries only answers that say SES refused (throttling),
        with pacing, so the duplicate window stays as narrow as campaigns/ledger.py describes.
        """
        return self._session.client(
            "sesv2",
            endpoint_url=self.settings.aws_endpoint_url or None,
            config=_BOTO_CONFIG.merge(
                Config(retries={"total_max_attempts": 1, "mode": "standard"})
            ),
        )

    @cached_property
    def sqs(self) -> Any:
        """SQS, for the send queue and the dead-letter queues."""
        return self._client("sqs")

    @cached_property
    def cognito(self) -> Any:
        """Cognito user pools, for staff sign-in."""
        return self._client("cognito-idp")

    @cached_property
    def lambda_(self) -> Any:
        """Lambda, for handing announcements to the planner function."""
        return self._client("lambda")

    @cached_property
    def scheduler(self) -> Any:
        """EventBridge Scheduler, for the campaigns' one-time schedules (the planner's)."""
        return self._client("scheduler")

    @cached_property
    def s3(self) -> Any:
        """S3, for uploaded subscriber lists (signature v4: presigned POSTs need it)."""
        return self._session.client(
            "s3",
            endpoint_url=self.settings.aws_endpoint_url or None,
            config=_BOTO_CONFIG.merge(Config(signature_version="s3v4")),
        )

    @cached_property
    def ssm(self) -> Any:
        """SSM client (for the secret key parameter)."""
        return self._client("ssm")

    @cached_property
    def secret_key(self) -> str:
        """The signing key: from settings locally, else from the SSM SecureString parameter."""
        if self.settings.secret_key:
            return self.settings.secret_key
        return self._parameter(self.settings.secret_key_parameter, "the secret key")

    @cached_property
    def address_pepper(self) -> str:
        """The pepper for address keys: from settings or its own SSM parameter; with neither
        (the local stack and tests), derived from the signing key under its own label."""
        if self.settings.address_pepper:
            return self.settings.address_pepper
        if self.settings.address_pepper_parameter:
            return self._parameter(self.settings.address_pepper_parameter, "the address pepper")
        return ""

    def _parameter(self, name: str, what: str) -> str:
        """A SecureString parameter's value."""
        with aws_errors(f"reading {what} parameter"):
            try:
                response = self.ssm.get_parameter(Name=name, WithDecryption=True)
            except self.ssm.exceptions.ParameterNotFound:
                raise SettingsError(f"SSM parameter {name!r} does not exist") from None
        return response["Parameter"]["Value"]
