"""The one object graph a process uses, built lazily: the web app, the CLI and every Lambda
handler reach the same pieces through it, so what runs locally is what runs on AWS.

Nothing touches AWS until first use. The clock, the monotonic clock, sleep and the data root
(where templates/email and catalogue/ live) are injected once here and handed to everything
that tells time or waits, so tests control time without patching global modules.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailer.aws.clients import Clients
from mailer.aws.retry import Backoff
from mailer.errors import CatalogueError, SettingsError, StoreError
from mailer.paths import project_root
from mailer.settings import Settings

# Each concept's module is imported where the container builds it, so a function imports only
# what it uses: the public web function never loads the planner, the sender, imports or staff.
if TYPE_CHECKING:
    from mailer.aws.scheduler import OneTimeSchedules
    from mailer.aws.ses import SesAdapter
    from mailer.aws.table import Table
    from mailer.campaigns.approval import Approvals
    from mailer.campaigns.archive_store import ArchiveStore
    from mailer.campaigns.composer import Composer
    from mailer.campaigns.digests import DigestDrafts
    from mailer.campaigns.drafts import Draft, DraftStore
    from mailer.campaigns.engine import EngineConfig
    from mailer.campaigns.ledger import Ledger
    from mailer.campaigns.model import Campaign
    from mailer.campaigns.pacing import TokenBucket
    from mailer.campaigns.planner import Planner
    from mailer.campaigns.schedules import CampaignSchedules
    from mailer.campaigns.sender import Sender
    from mailer.campaigns.starter import CampaignStarter
    from mailer.campaigns.store import CampaignStore
    from mailer.campaigns.workers import Concurrently
    from mailer.catalogue.awareness import AwarenessDay
    from mailer.catalogue.days_store import AwarenessDayStore
    from mailer.catalogue.schema import Catalogue, Resource, Vocabulary
    from mailer.catalogue.store import CatalogueStore
    from mailer.emails.mime import Identity
    from mailer.emails.render import EmailRenderer
    from mailer.imports.batch import BatchStore
    from mailer.imports.files import ListFiles
    from mailer.imports.runner import Importer, ImportStarter
    from mailer.staff.audit import AuditLog
    from mailer.staff.challenges import PendingChallenges
    from mailer.staff.identity import TokenVerifier
    from mailer.staff.limits import SignInLimits
    from mailer.staff.members import StaffMembers
    from mailer.staff.people import People
    from mailer.staff.revalidation import SessionGuard
    from mailer.staff.senders_notice import SendersNotice
    from mailer.staff.sessions import StaffSessions
    from mailer.staff.signin import CognitoSignIn
    from mailer.subscribers.bounces import BounceHandler
    from mailer.subscribers.form_tokens import FormNonces
    from mailer.subscribers.identity import AddressKeys
    from mailer.subscribers.lifecycle import Subscriptions
    from mailer.subscribers.links import Links
    from mailer.subscribers.notices import Notices
    from mailer.subscribers.proof import ProofOfWork
    from mailer.subscribers.ratelimit import RateLimiter
    from mailer.subscribers.ses_events import SesEventMarkers
    from mailer.subscribers.store import SubscriberStore
    from mailer.subscribers.tokens import Tokens

# What schedules made off AWS (the local stack, tests) name: moto checks neither, and the local
# stack delivers them itself (local/schedules.py).
LOCAL_PLANNER_ARN = "arn:aws:lambda:eu-west-2:123456789012:function:local-planner"
LOCAL_SCHEDULE_ROLE = "arn:aws:iam::123456789012:role/local-campaign-schedules"
# One-off notices answer a person waiting on a page: retried for up to a few seconds (SES
# refuses a second now and then while campaigns send at the quota less the notices' reserve,
# when the senders' banked turns land together), then give up with "try again".
NOTICE_BACKOFF = Backoff(attempts=6, base=0.25, cap=2.0)
# Campaign sends pace at the quota less the notices' reserve, so SES refuses one now and then;
# a record given up goes back to the queue for its whole visibility timeout (3 minutes), so
# keep trying, with short waits, while the invocation has time (`time_left` bounds it).
CAMPAIGN_SEND_BACKOFF = Backoff(attempts=12, base=0.1, cap=2.0)


class Container:
    """Every collaborator of one process, each built on first use and then shared."""

    def __init__(
        self,
        settings: Settings,
        clients: Clients | None = None,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        data_root: Path | None = None,
        page_size: int | None = None,
        concurrently: Concurrently[Any] | None = None,
    ) -> None:
        """`page_size`: subscribers the planner queues per checkpoint (default: the planner's
        PAGE_SIZE); `concurrently`: how a sender runs a batch's records at once (default:
        SENDER_THREADS threads)."""
        self.settings = settings
        self.clients = clients or Clients(settings)
        self.clock = clock
        self.monotonic = monotonic
        self.sleep = sleep
        self.data_root = data_root or project_root()
        self._page_size = page_size
        self._concurrently = concurrently

    @cached_property
    def page_size(self) -> int:
        """Subscribers the planner queues per checkpoint."""
        from mailer.campaigns.planner import PAGE_SIZE

        return PAGE_SIZE if self._page_size is None else self._page_size

    @cached_property
    def concurrently(self) -> Concurrently[Any]:
        """How a sender (and an import) runs a batch's records at once."""
        from mailer.campaigns.workers import ThreadPool

        if self._concurrently is None:
            return ThreadPool(self.settings.sender_threads)
        return self._concurrently

    # --- catalogue ------------------------------------------------------------------------

    @property
    def catalogue_dir(self) -> Path:
        """The catalogue/ folder: vocabulary.yaml and resources/."""
        return self.data_root / "catalogue"

    @cached_property
    def vocabulary(self) -> Vocabulary:
        """The controlled vocabularies shipped with the code."""
        from mailer.catalogue.schema import Vocabulary

        return Vocabulary.load(self.catalogue_dir / "vocabulary.yaml")

    def catalogue_files(self) -> Catalogue:
        """The catalogue as the files in catalogue/ define it (validated)."""
        from mailer.catalogue.schema import Catalogue

        return Catalogue.load(self.catalogue_dir)

    @cached_property
    def catalogue_store(self) -> CatalogueStore:
        """The run-time catalogue in DynamoDB."""
        from mailer.catalogue.store import CatalogueStore

        return CatalogueStore(self.table(self.settings.catalogue_table))

    def resources(self) -> list[Resource]:
        """The run-time catalogue (what staff published, including console additions)."""
        return self.catalogue_store.resources(self.vocabulary)

    def awareness_days_file(self) -> list[AwarenessDay]:
        """The days catalogue/awareness-days.yaml defines (CatalogueError if any is invalid)."""
        from mailer.catalogue.awareness_file import load_days

        ids = {r.id for r in self.catalogue_files().resources}
        days, problems = load_days(self.catalogue_dir, self.vocabulary, ids)
        if problems:
            raise CatalogueError(
                f"{len(problems)} problem(s) in the awareness days:\n"
                + "\n".join(f"  {p}" for p in problems)
            )
        return days

    @cached_property
    def awareness_day_store(self) -> AwarenessDayStore:
        """The run-time awareness days (the file's, and staff's own), beside the resources."""
        from mailer.catalogue.days_store import AwarenessDayStore

        return AwarenessDayStore(self.table(self.settings.catalogue_table))

    def awareness_days(self) -> list[AwarenessDay]:
        """The run-time awareness days: what a digest draft asks days_within about."""
        return self.awareness_day_store.days(self.vocabulary)

    # --- emails -----------------------------------------------------------------------------

    @cached_property
    def renderer(self) -> EmailRenderer:
        """The email renderer, with its cache of compiled variants."""
        from mailer.emails.render import EmailRenderer

        return EmailRenderer(
            self.data_root / "templates" / "email",
            {
                "site_url": self.settings.site_url,
                "charity_name": self.settings.organisation_name,
                "charity_address": self.settings.postal_address,
            },
        )

    @cached_property
    def identity(self) -> Identity:
        """Who every email comes from."""
        from mailer.emails.mime import Identity

        return Identity(self.settings.sender_address, self.settings.organisation_name)

    def ses(self, backoff: Backoff) -> SesAdapter:
        """The SES adapter with a retry policy (notices and campaigns retry differently)."""
        from mailer.aws.ses import SesAdapter

        return SesAdapter(
            self.clients.sesv2_send,
            from_address=self.settings.sender_address,
            configuration_set=self.settings.configuration_set,
            backoff=backoff,
        )

    @cached_property
    def one_off_ses(self) -> SesAdapter:
        """SES for one email a person is waiting for (notices, staff tests): short retries."""
        return self.ses(replace(NOTICE_BACKOFF, sleep=self.sleep))

    # --- subscribers ------------------------------------------------------------------------

    @cached_property
    def keys(self) -> AddressKeys:
        """Keyed one-way digests of addresses and rate-limit buckets (pepper from the secret)."""
        from mailer.subscribers.identity import AddressKeys, pepper_from

        pepper = self.clients.address_pepper
        return AddressKeys(pepper.encode() if pepper else pepper_from(self.clients.secret_key))

    @cached_property
    def tokens(self) -> Tokens:
        """Signed, purpose-bound, expiring tokens, timed by the container's clock."""
        from mailer.subscribers.tokens import Tokens

        return Tokens(self.clients.secret_key, self.clock)

    @cached_property
    def links(self) -> Links:
        """Absolute confirm, manage and unsubscribe links for emails."""
        from mailer.subscribers.links import Links

        return Links(self.settings.site_url, self.tokens)

    @cached_property
    def subscriber_store(self) -> SubscriberStore:
        """Subscribers and suppressions in DynamoDB."""
        from mailer.subscribers.store import SubscriberStore

        return SubscriberStore(self.table(self.settings.subscribers_table), self.clock)

    @cached_property
    def form_nonces(self) -> FormNonces:
        """Spent subscribe form tokens, so each token sends the form once."""
        from mailer.subscribers.form_tokens import FormNonces

        return FormNonces(self.table(self.settings.subscribers_table), self.clock)

    @cached_property
    def proof_of_work(self) -> ProofOfWork:
        """ALTCHA challenges for the subscribe forms, each solution good once."""
        from mailer.subscribers.form_tokens import FORM_LIFETIME
        from mailer.subscribers.proof import ProofOfWork

        return ProofOfWork(self.clients.secret_key, self.form_nonces, FORM_LIFETIME, self.clock)

    @cached_property
    def notices(self) -> Notices:
        """One-off emails (confirm, manage, preferences changed)."""
        from mailer.subscribers.notices import Notices

        return Notices(
            renderer=self.renderer,
            ses=self.one_off_ses,
            sender=self.identity,
            links=self.links,
            vocabulary=self.vocabulary,
            clock=self.clock,
        )

    @cached_property
    def subscriptions(self) -> Subscriptions:
        """Subscribe, confirm, preferences, unsubscribe, export and erase."""
        from mailer.subscribers.lifecycle import Subscriptions

        return Subscriptions(
            self.subscriber_store,
            self.rate_limiter,
            self.notices,
            self.vocabulary,
            self.settings.organisation_name,
            self.keys,
            self.clock,
        )

    @cached_property
    def ses_event_markers(self) -> SesEventMarkers:
        """SES bounces and complaints acted on (kept 30 days)."""
        from mailer.subscribers.ses_events import SesEventMarkers

        return SesEventMarkers(self.table(self.settings.campaigns_table), self.clock)

    @cached_property
    def bounces(self) -> BounceHandler:
        """The SES bounce and complaint handler."""
        from mailer.subscribers.bounces import BounceHandler

        return BounceHandler(
            self.subscriber_store,
            self.ses_event_markers,
            keys=self.keys,
            configuration_set=self.settings.configuration_set,
        )

    # --- staff ------------------------------------------------------------------------------

    @property
    def staff_console_enabled(self) -> bool:
        """True when the settings name a user pool, its client, the staff and audit tables."""
        settings = self.settings
        return bool(
            settings.staff_user_pool_id
            and settings.staff_client_id
            and settings.staff_table
            and settings.audit_table
        )

    @cached_property
    def staff_sign_in(self) -> CognitoSignIn:
        """Signing staff in against the user pool."""
        from mailer.staff.signin import CognitoSignIn

        return CognitoSignIn(self.clients.cognito, self.settings.staff_client_id)

    @cached_property
    def token_verifier(self) -> TokenVerifier:
        """Checks staff ID tokens against the user pool's published keys."""
        from mailer.staff.identity import TokenVerifier

        region, pool = self.settings.region, self.settings.staff_user_pool_id
        return TokenVerifier(
            issuer=f"https://cognito-idp.{region}.amazonaws.com/{pool}",
            client_id=self.settings.staff_client_id,
            fetch_jwks=self._fetch_jwks,
            clock=self.clock,
        )

    def _fetch_jwks(self) -> dict[str, Any]:
        import urllib3  # only the staff console fetches the pool's keys

        base = self.settings.aws_endpoint_url or (
            f"https://cognito-idp.{self.settings.region}.amazonaws.com"
        )
        url = f"{base.rstrip('/')}/{self.settings.staff_user_pool_id}/.well-known/jwks.json"
        response = urllib3.request("GET", url, timeout=5.0, retries=2)
        if response.status != 200:
            raise StoreError(f"reading the user pool's keys failed: HTTP {response.status}")
        return response.json()

    @cached_property
    def staff_sessions(self) -> StaffSessions:
        """Server-side staff sessions."""
        from mailer.staff.sessions import StaffSessions

        return StaffSessions(self.table(self.settings.staff_table), self.clock)

    @cached_property
    def staff_guard(self) -> SessionGuard:
        """Sessions as Cognito sees them now: re-validated every 5 minutes and before sending."""
        from mailer.staff.revalidation import SessionGuard

        return SessionGuard(
            self.staff_sessions, self.staff_sign_in, self.token_verifier, self.audit_log, self.clock
        )

    @cached_property
    def staff_members(self) -> StaffMembers:
        """The user pool's members, and ending a member's sessions everywhere (SettingsError
        when no pool is named, rather than botocore's complaint about an empty id)."""
        from mailer.staff.members import StaffMembers

        if not self.settings.staff_user_pool_id:
            raise SettingsError(
                "STAFF_USER_POOL_ID is not set: no staff user pool to act on (on the local "
                "stack, `make run` names its pool to the CLI: is it running?)"
            )
        return StaffMembers(
            self.clients.cognito,
            self.settings.staff_user_pool_id,
            self.staff_sessions,
            self.audit_log,
        )

    @cached_property
    def pending_challenges(self) -> PendingChallenges:
        """Sign-ins between Cognito's challenges, kept on the server for a few minutes."""
        from mailer.staff.challenges import PendingChallenges

        return PendingChallenges(self.table(self.settings.staff_table), self.clock)

    @cached_property
    def sign_in_limits(self) -> SignInLimits:
        """Failed sign-in steps, counted per account and network, with an account-wide brake."""
        from mailer.staff.limits import SignInLimits

        return SignInLimits(self.rate_limiter, self.sleep)

    @cached_property
    def audit_log(self) -> AuditLog:
        """Every staff action, who and when (append-only), typed values only as keyed hashes."""
        from mailer.staff.audit import AuditLog

        return AuditLog(self.table(self.settings.audit_table), self.clock, self.keys.bucket)

    @cached_property
    def people(self) -> People:
        """Finding one person and acting on their record, for data protection (audited)."""
        from mailer.staff.people import People

        return People(
            keys=self.keys,
            store=self.subscriber_store,
            subscriptions=self.subscriptions,
            campaigns=self.campaigns,
            ledger=self.ledger,
            audit=self.audit_log,
        )

    @cached_property
    def rate_limiter(self) -> RateLimiter:
        """Fixed-window counters shared by the subscribe form and staff sign-in."""
        from mailer.subscribers.ratelimit import RateLimiter

        return RateLimiter(
            self.table(self.settings.subscribers_table), self.keys.bucket, self.clock
        )

    # --- campaigns --------------------------------------------------------------------------

    @cached_property
    def campaigns(self) -> CampaignStore:
        """Campaign records and planner checkpoints."""
        from mailer.campaigns.store import CampaignStore

        return CampaignStore(self.table(self.settings.campaigns_table), self.clock)

    @cached_property
    def archive(self) -> ArchiveStore:
        """The public archive: each group's email of every campaign, kept when it starts."""
        from mailer.campaigns.archive_store import ArchiveStore

        return ArchiveStore(
            self.table(self.settings.campaigns_table),
            self.vocabulary,
            self.settings.site_url,
            send_empty=self.settings.digest_send_empty,
            clock=self.clock,
        )

    @cached_property
    def drafts(self) -> DraftStore:
        """Announcement drafts, each change conditional on the version it was made from."""
        from mailer.campaigns.drafts import DraftStore

        return DraftStore(self.table(self.settings.campaigns_table), self.clock)

    @cached_property
    def approvals(self) -> Approvals:
        """Drafts approved (frozen) and sent exactly as approved, once per group."""
        from mailer.campaigns.approval import Approvals

        return Approvals(
            drafts=self.drafts,
            campaigns=self.campaigns,
            planner=self.planner,
            starter=self.campaign_starter,
        )

    @cached_property
    def digests(self) -> DigestDrafts:
        """Monthly digest drafts: prepared ahead, reviewed by senders, sent on the 1st."""
        from mailer.campaigns.digests import DigestDrafts
        from mailer.catalogue.terms import TermCalendar

        store = self.catalogue_store
        return DigestDrafts(
            drafts=self.drafts,
            campaigns=self.campaigns,
            planner=self.planner,
            catalogue=lambda: store.stored(self.vocabulary),
            mark_reviewed=store.mark_reviewed,
            vocabulary=self.vocabulary,
            notify=self.senders_notice,
            clock=self.clock,
            review_days=self.settings.digest_review_days,
            unapproved="hold" if self.settings.digest_unapproved == "hold" else "send",
            awareness=self.awareness_days,
            lead=dt.timedelta(weeks=self.settings.awareness_lead_weeks),
            terms=TermCalendar(*self.settings.summer_holiday),
        )

    @cached_property
    def schedules(self) -> CampaignSchedules:
        """Scheduled drafts: set by senders, held by the scheduler, sent by the planner."""
        from mailer.campaigns.schedules import CampaignSchedules
        from mailer.campaigns.starter import LambdaStarter

        starter = self.campaign_starter
        return CampaignSchedules(
            drafts=self.drafts,
            approvals=self.approvals,
            digests=self.digests,
            book=lambda: self.schedule_book,
            hand_off=starter.hand_off if isinstance(starter, LambdaStarter) else None,
            local_target=LOCAL_PLANNER_ARN,
            clock=self.clock,
        )

    @cached_property
    def schedule_book(self) -> OneTimeSchedules:
        """The campaigns' one-time schedules in EventBridge Scheduler (the planner's)."""
        from mailer.aws.scheduler import OneTimeSchedules

        fake_aws = bool(self.settings.aws_endpoint_url)
        return OneTimeSchedules(
            self.clients.scheduler,
            self.settings.campaign_schedule_group,
            self.settings.campaign_schedule_role or (LOCAL_SCHEDULE_ROLE if fake_aws else ""),
            self.settings.campaign_schedule_dead_letter,
        )

    def campaign_of(self, draft: Draft) -> Campaign:
        """The campaign any draft describes (frozen once approved), the console's and the
        CLI's one way to ask: a digest's from digests.py, an announcement's from approval.py."""
        from mailer.campaigns.model import Kind

        if draft.kind is Kind.DIGEST:
            return self.digests.campaign_of(draft)
        return self.approvals.campaign_of(draft)

    @cached_property
    def senders_notice(self) -> SendersNotice:
        """A short email to every member of the senders group."""
        from mailer.staff.senders_notice import SendersNotice

        return SendersNotice(
            cognito=self.clients.cognito,
            user_pool_id=self.settings.staff_user_pool_id,
            ses=lambda: self.one_off_ses,
            sender=self.identity,
            site_url=self.settings.site_url,
            clock=self.clock,
        )

    @cached_property
    def ledger(self) -> Ledger:
        """Who has been sent what: one claim-then-outcome entry per subscriber and campaign."""
        from mailer.campaigns.engine import CLAIM_LEASE
        from mailer.campaigns.ledger import Ledger

        return Ledger(
            self.table(self.settings.campaigns_table), CLAIM_LEASE, self.clock, self.sleep
        )

    @cached_property
    def planner(self) -> Planner:
        """The planner of digests and announcements."""
        from mailer.campaigns.planner import Planner

        return Planner(
            campaigns=self.campaigns,
            subscribers=self.subscriber_store,
            sqs=self.clients.sqs,
            queue_url=self.settings.send_queue_url,
            vocabulary=self.vocabulary,
            load_resources=self.resources,
            page_size=self.page_size,
            sleep=self.sleep,
            archive=self.archive,
        )

    @cached_property
    def send_quota(self) -> float:
        """The account's SES quota in emails a second, read once (at cold start, or by the one
        CLI command that sends): MAX_SEND_RATE, with one warning, when it cannot be read (and
        without one from moto, which has no quota to read)."""
        return self.ses(Backoff(sleep=self.sleep)).max_send_rate(
            fallback=self.settings.max_send_rate
        )

    @cached_property
    def engine_config(self) -> EngineConfig:
        """Who campaign emails come from, where their links lead, and the engine's defaults."""
        from mailer.campaigns.engine import EngineConfig

        return EngineConfig(
            sender=self.identity,
            site_url=self.settings.site_url,
            send_empty=self.settings.digest_send_empty,
        )

    @cached_property
    def composer(self) -> Composer:
        """Campaign emails built from each campaign's content: the sender's and the previews'
        (composing calls no AWS, so a preview reads no SES quota)."""
        from mailer.campaigns.composer import Composer

        return Composer(
            self.engine_config,
            vocabulary=self.vocabulary,
            load_resources=self.resources,
            renderer=self.renderer,
            links=self.links,
            clock=self.clock,
        )

    def sender_pace(self) -> TokenBucket:
        """A new token bucket at one sender's share of the quota, less the notices' reserve
        (each campaign sender, and an import's re-permission emails, paces by one)."""
        from mailer.campaigns.pacing import TokenBucket

        return TokenBucket.for_sender(
            self.send_quota,
            self.settings.notice_reserve_rate,
            self.settings.sender_concurrency,
            self.monotonic,
            self.sleep,
        )

    @cached_property
    def sender(self) -> Sender:
        """A sender pacing itself at its share of the account's SES quota, read at cold start."""
        from mailer.campaigns.book import CampaignBook
        from mailer.campaigns.messenger import Messenger
        from mailer.campaigns.queue import drained
        from mailer.campaigns.sender import Sender

        config = self.engine_config
        self._check_sender_sizing()
        return Sender(
            config,
            book=CampaignBook(
                config,
                campaigns=self.campaigns,
                ledger=self.ledger,
                subscribers=self.subscriber_store,
                clock=self.clock,
            ),
            composer=self.composer,
            messenger=Messenger(
                self.ses(replace(CAMPAIGN_SEND_BACKOFF, sleep=self.sleep)),
                self.sender_pace(),
                config.start_margin,
            ),
            concurrently=self.concurrently,
            queue_drained=lambda: drained(self.clients.sqs, self.settings.send_queue_url),
        )

    def _check_sender_sizing(self) -> None:
        """On Lambda (which says the function's memory), warn once if the senders are too few
        for the account's quota; elsewhere (tests, the local stack) there is nothing to size."""
        from mailer.campaigns.sizing import SenderShape, warn_if_too_few

        if self.settings.function_memory_mb:
            warn_if_too_few(
                self.send_quota,
                self.settings.notice_reserve_rate,
                self.settings.sender_concurrency,
                SenderShape(self.settings.function_memory_mb, self.settings.sender_threads),
            )

    @cached_property
    def campaign_starter(self) -> CampaignStarter:
        """Hands campaigns to the planner function, or plans them here when there is none."""
        from mailer.campaigns.starter import InProcessStarter, LambdaStarter

        if self.settings.planner_function:
            return LambdaStarter(
                self.campaigns, self.clients.lambda_, self.settings.planner_function
            )
        return InProcessStarter(self.planner)

    # --- list imports -------------------------------------------------------------------------

    @cached_property
    def import_batches(self) -> BatchStore:
        """Import batches, their checkpoints and reports."""
        from mailer.imports.batch import BatchStore

        return BatchStore(self.table(self.settings.subscribers_table))

    @cached_property
    def list_files(self) -> ListFiles:
        """Uploaded lists in the import bucket."""
        from mailer.imports.files import ListFiles

        return ListFiles(self.clients.s3, self.settings.import_bucket)

    @cached_property
    def importer(self) -> Importer:
        """Dry runs and imports; re-permission emails paced like one campaign sender."""
        from mailer.imports.runner import Importer

        return Importer(
            subscribers=self.subscriber_store,
            batches=self.import_batches,
            files=self.list_files,
            keys=self.keys,
            vocabulary=self.vocabulary,
            notices=self.notices,
            pace=self.sender_pace,
            clock=self.clock,
            concurrently=self.concurrently,
        )

    @cached_property
    def import_starter(self) -> ImportStarter:
        """Hands a run to the import function, or runs it here when there is none."""
        from mailer.imports.starter import InProcessImportStarter, LambdaImportStarter

        if self.settings.import_function:
            return LambdaImportStarter(self.clients.lambda_, self.settings.import_function)
        return InProcessImportStarter(self.importer)

    def table(self, name: str) -> Table:
        """A DynamoDB table by name, behind the adapter that owns its errors and retries."""
        from mailer.aws.table import Table

        return Table(self.clients.dynamodb.Table(name), sleep=self.sleep)


_current: Container | None = None


def current() -> Container:
    """This process's container, built from the environment on first use and then reused
    (a warm Lambda keeps it between invocations)."""
    global _current
    if _current is None:
        _current = Container(Settings.from_env())
    return _current


def install(container: Container | None) -> None:
    """Make `container` this process's container (tests, the local stack); None forgets it."""
    global _current
    _current = container
