"""One frozen Settings object, read from the environment: the only reader of os.environ."""

from __future__ import annotations

import calendar
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any
from urllib.parse import urlsplit

from mailer.errors import SettingsError


def _check_test_addresses(addresses: str) -> None:
    """SettingsError unless TEST_ADDRESSES is email addresses separated by spaces."""
    # Imported here: only this setting needs it, and at the top it cost every cold start (the
    # web function's too) a thirtieth of a second of CPU.
    from email_validator import EmailNotValidError, validate_email

    for address in addresses.split():
        try:
            validate_email(address, check_deliverability=False)
        except EmailNotValidError:
            raise SettingsError(
                f"TEST_ADDRESSES must be email addresses separated by spaces (not {address!r})"
            ) from None


def _env(name: str, doc: str, *, default: Any = None, in_template: bool = True) -> Any:
    """Declare a setting: its variable, meaning, default (None: required), and whether the SAM
    template sets it (some come from Lambda itself or exist only on the local stack)."""
    return field(default=default, metadata={"env": name, "doc": doc, "in_template": in_template})


@dataclass(frozen=True)
class Settings:
    """Everything the mailer reads from its environment, validated once at start-up."""

    sender_address: str = _env("SENDER_ADDRESS", "From address of every email")
    site_url: str = _env("SITE_URL", "public base URL of the web app, used in email links")
    catalogue_table: str = _env("CATALOGUE_TABLE", "DynamoDB table holding the catalogue")
    subscribers_table: str = _env("SUBSCRIBERS_TABLE", "DynamoDB table holding subscribers")
    campaigns_table: str = _env(
        "CAMPAIGNS_TABLE", "DynamoDB table holding campaigns and the send ledger"
    )
    send_queue_url: str = _env("SEND_QUEUE_URL", "SQS queue of recipient batches to send")
    staff_table: str = _env(
        "STAFF_TABLE", "DynamoDB table holding staff sessions and the audit log", default=""
    )
    audit_table: str = _env(
        "AUDIT_TABLE",
        "DynamoDB table holding the staff audit log (append-only: no role may update or delete)",
        default="",
    )
    staff_user_pool_id: str = _env(
        "STAFF_USER_POOL_ID",
        "Cognito user pool of campaign staff (empty: no staff console)",
        default="",
    )
    planner_function: str = _env(
        "PLANNER_FUNCTION",
        "planner Lambda the staff console hands announcements to (the web function's own "
        "setting; empty: plan in this process, as on the local stack)",
        default="",
        in_template=False,
    )
    campaign_schedule_group: str = _env(
        "CAMPAIGN_SCHEDULE_GROUP",
        "EventBridge Scheduler group holding one one-time schedule per scheduled campaign "
        "(the template's CampaignScheduleGroup)",
        default="",
    )
    campaign_schedule_role: str = _env(
        "CAMPAIGN_SCHEDULE_ROLE",
        "role the campaigns' schedules deliver with (the planner function's own setting)",
        default="",
        in_template=False,
    )
    campaign_schedule_dead_letter: str = _env(
        "CAMPAIGN_SCHEDULE_DEAD_LETTER",
        "queue a campaign schedule's undeliverable event goes to (the planner's setting)",
        default="",
        in_template=False,
    )
    import_bucket: str = _env(
        "IMPORT_BUCKET",
        "S3 bucket that staff upload subscriber lists (CSV) to, for the import function",
        default="",
    )
    import_function: str = _env(
        "IMPORT_FUNCTION",
        "the import Lambda (the staff and import functions' own setting; empty: import in this "
        "process, as on the local stack)",
        default="",
        in_template=False,
    )
    staff_client_id: str = _env(
        "STAFF_CLIENT_ID", "the staff console's app client in that user pool", default=""
    )
    region: str = _env(
        "AWS_REGION", "AWS region (Lambda sets it)", default="eu-west-2", in_template=False
    )
    secret_key: str = _env(
        "SECRET_KEY",
        "key that signs tokens and sessions (locally; on AWS use the parameter)",
        default="",
        in_template=False,
    )
    secret_key_parameter: str = _env(
        "SECRET_KEY_PARAMETER",
        "SSM SecureString parameter name holding the secret key",
        default="",
    )
    address_pepper: str = _env(
        "ADDRESS_PEPPER",
        "secret for the one-way keys of addresses (locally; on AWS use the parameter; "
        "empty: derived from the secret key)",
        default="",
        in_template=False,
    )
    address_pepper_parameter: str = _env(
        "ADDRESS_PEPPER_PARAMETER",
        "SSM SecureString parameter name holding the address pepper",
        default="",
    )
    max_send_rate: float = _env(
        "MAX_SEND_RATE",
        "SES messages per second if the account's quota cannot be read (SES GetAccount)",
        default=14.0,
    )
    notice_reserve_rate: float = _env(
        "NOTICE_RESERVE_RATE",
        "SES messages a second campaigns leave free for confirm and other one-off emails",
        default=1.0,
    )
    sender_concurrency: int = _env(
        "SENDER_CONCURRENCY",
        "digest senders running at once; each paces itself at its share of the quota",
        default=2,
    )
    sender_threads: int = _env(
        "SENDER_THREADS",
        "emails each digest sender sends at once (its threads share its pacing)",
        default=10,
    )
    function_memory_mb: int = _env(
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "the function's memory in MB, which Lambda sets (0: not on Lambda); senders size "
        "their share of the quota by it",
        default=0,
        in_template=False,
    )
    digest_send_empty: bool = _env(
        "DIGEST_SEND_EMPTY",
        "1: send a short nothing-new note to subscribers with nothing relevant (else skip them)",
        default=False,
    )
    digest_review_days: int = _env(
        "DIGEST_REVIEW_DAYS",
        "days before the 1st that the schedule prepares the month's digest draft for senders",
        default=7,
    )
    digest_unapproved: str = _env(
        "DIGEST_UNAPPROVED",
        "a digest no sender approved by the 1st: 'send' it as prepared (leaving out what no "
        "sender reviewed) or 'hold' it and tell the senders again",
        default="send",
    )
    test_addresses: str = _env(
        "TEST_ADDRESSES",
        "addresses besides staff's own that a draft's test may go to (seed inboxes, a "
        "colleague's phone), separated by spaces",
        default="",
    )
    awareness_lead_weeks: int = _env(
        "AWARENESS_LEAD_WEEKS",
        "a digest features the awareness days falling within this many weeks of its 1st",
        default=6,
    )
    school_summer_holiday: str = _env(
        "SCHOOL_SUMMER_HOLIDAY",
        "schools' summer holiday, its first and last day every year as MM-DD/MM-DD (England's; "
        "dates vary by local authority): awareness days in it reach schools in the last digest "
        "before it starts",
        default="07-22/08-31",
    )
    organisation_name: str = _env(
        "ORGANISATION_NAME",
        "charity name shown in every email",
        default="Anti-Slavery International",
    )
    postal_address: str = _env("POSTAL_ADDRESS", "postal address in every email footer", default="")
    configuration_set: str = _env(
        "SES_CONFIGURATION_SET", "SES configuration set for sends", default=""
    )
    embed_origins: str = _env(
        "EMBED_ALLOWED_ORIGINS",
        "sites that may frame /subscribe/embed besides this one, space-separated origins "
        "(empty: only this site)",
        default="",
    )
    aws_endpoint_url: str = _env(
        "AWS_ENDPOINT_URL",
        "fake AWS endpoint (the local stack); empty on AWS",
        default="",
        in_template=False,
    )
    local_stack: bool = _env(
        "LOCAL_STACK",
        "1 on the local stack: enables the dev outbox",
        default=False,
        in_template=False,
    )
    local_stack_state: str = _env(
        "LOCAL_STACK_STATE",
        "file the local stack keeps the fake AWS's state in between runs, its staff pool named "
        "beside it for the CLI (empty: .local-stack/moto-state.pickle in the project)",
        default="",
        in_template=False,
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from an environment mapping (os.environ by default)."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        missing = []
        for f in fields(cls):
            name = f.metadata["env"]
            raw = environ.get(name, "").strip()
            if not raw:
                if f.default is None:
                    missing.append(f"{name} ({f.metadata['doc']})")
                continue
            values[f.name] = _parse(name, raw, f.type)
        if missing:
            raise SettingsError("missing settings: " + "; ".join(missing))
        if "site_url" in values:
            values["site_url"] = values["site_url"].rstrip("/")
        settings = cls(**values)
        if not settings.secret_key and not settings.secret_key_parameter:
            raise SettingsError("set SECRET_KEY, or SECRET_KEY_PARAMETER to read it from SSM")
        site = urlsplit(settings.site_url)
        schemes = ("https", "http") if settings.local_stack else ("https",)
        if site.scheme not in schemes or not site.hostname:
            raise SettingsError(
                "SITE_URL must be an https:// address (http:// only on the local stack) "
                f"(got {settings.site_url!r})"
            )
        if not settings.postal_address and not settings.local_stack:
            # The law (PECR, CAN-SPAM) and the bulk senders' rules want it in every campaign.
            raise SettingsError("POSTAL_ADDRESS must be set: every email's footer shows it")
        allowed = (_EMBED_SOURCE, _LOOPBACK_SOURCE) if settings.local_stack else (_EMBED_SOURCE,)
        if not all(any(p.match(s) for p in allowed) for s in settings.embed_origins.split()):
            raise SettingsError(
                "EMBED_ALLOWED_ORIGINS must list origins like https://www.example.org, "
                f"separated by spaces (got {settings.embed_origins!r})"
            )
        if not math.isfinite(settings.max_send_rate) or settings.max_send_rate <= 0:
            raise SettingsError("MAX_SEND_RATE must be a number of messages a second above 0")
        reserve = settings.notice_reserve_rate
        if not math.isfinite(reserve) or reserve < 0:
            raise SettingsError(
                "NOTICE_RESERVE_RATE must be messages a second, 0 or more, like 1 (at most half "
                "the SES quota is kept back, whatever it says)"
            )
        if settings.sender_threads < 1:
            raise SettingsError("SENDER_THREADS must be a whole number of threads, 1 or more")
        if not 1 <= settings.digest_review_days <= 27:
            raise SettingsError("DIGEST_REVIEW_DAYS must be a whole number of days, 1 to 27")
        if settings.test_addresses:
            _check_test_addresses(settings.test_addresses)
        if not 1 <= settings.awareness_lead_weeks <= 26:
            raise SettingsError("AWARENESS_LEAD_WEEKS must be a whole number of weeks, 1 to 26")
        if _holiday(settings.school_summer_holiday) is None:
            raise SettingsError(
                "SCHOOL_SUMMER_HOLIDAY must be the holiday's first and last day written "
                "MM-DD/MM-DD, ending after it starts in the same year, like 07-22/08-31 for "
                f"22 July to 31 August (got {settings.school_summer_holiday!r})"
            )
        if settings.digest_unapproved not in ("send", "hold"):
            raise SettingsError(
                f"DIGEST_UNAPPROVED must be send or hold (got {settings.digest_unapproved!r})"
            )
        if settings.sender_concurrency < 1:
            raise SettingsError("SENDER_CONCURRENCY must be a whole number of senders, 1 or more")
        return settings

    @property
    def summer_holiday(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """SCHOOL_SUMMER_HOLIDAY as (month, day) of its first and last day."""
        days = _holiday(self.school_summer_holiday)
        assert days is not None  # from_env refused anything else
        return days

    @classmethod
    def env_names(cls, *, template_only: bool = False) -> set[str]:
        """The environment variable names the settings read (or only those the template sets)."""
        return {
            f.metadata["env"] for f in fields(cls) if f.metadata["in_template"] or not template_only
        }

    @classmethod
    def describe(cls) -> list[tuple[str, str, str]]:
        """(variable, default, meaning) for every setting: the README's configuration table."""
        return [
            (
                f.metadata["env"],
                "required" if f.default is None else repr(f.default),
                f.metadata["doc"],
            )
            for f in fields(cls)
        ]


# An https origin (optionally with a leading *. wildcard) or the bare scheme "https:"; nothing
# that could end the CSP directive early (";", quotes, commas).
_EMBED_SOURCE = re.compile(r"^(https:|https://(\*\.)?[A-Za-z0-9.-]+(:\d+)?)$")
# On the local stack only, a test page served over http from this machine may frame the form.
_LOOPBACK_SOURCE = re.compile(r"^http://(127\.0\.0\.1|localhost)(:\d+|:\*)?$")


_HOLIDAY = re.compile(r"^(\d{2})-(\d{2})/(\d{2})-(\d{2})$")


def _holiday(raw: str) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """'07-22/08-31' as ((7, 22), (8, 31)); None unless both are days of the year (29 February
    too) and the first comes before the last."""
    match = _HOLIDAY.match(raw)
    if not match:
        return None
    month, day, last_month, last_day = (int(part) for part in match.groups())
    first, last = (month, day), (last_month, last_day)
    real = all(1 <= m <= 12 and 1 <= d <= calendar.monthrange(2024, m)[1] for m, d in (first, last))
    return (first, last) if real and first < last else None


def _parse(name: str, raw: str, type_name: Any) -> Any:
    """Turn an environment string into the field's type, naming the variable on failure."""
    if type_name in ("bool", bool):
        if raw.lower() in ("1", "true", "yes"):
            return True
        if raw.lower() in ("0", "false", "no"):
            return False
        raise SettingsError(f"{name} must be 1 or 0 (got {raw!r})")
    if type_name in ("int", int):
        try:
            return int(raw)
        except ValueError:
            raise SettingsError(f"{name} must be a whole number (got {raw!r})") from None
    if type_name in ("float", float):
        try:
            return float(raw)
        except ValueError:
            raise SettingsError(f"{name} must be a number (got {raw!r})") from None
    return raw
