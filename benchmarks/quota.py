"""Quota use: the real planner and senders, on simulated time, against fakes that enforce what
AWS enforces (fakes.py, dynamo.py) reached through real boto3 clients (served.py). N recipients
at an SES quota of R a second: how much of R the senders reach, SES throttles, duplicates,
recipients not sent, failed records and batches, DynamoDB's units and its hottest partition.

As deployed: SENDER_THREADS threads a sender and the senders the template sizes for R, each a
Lambda instance of the template's memory whose CPU (measured as this code spends it, scaled by
1,769 MB / memory) its threads share; each invocation is given the function's Timeout as
`time_left`, and one that runs past it counts as a failed batch, as Lambda would kill it. The
planner runs as its function does: its threads, its memory, its 900 s, retried if cut off.
"""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field

os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")

import boto3
from moto import mock_aws

from mailer.aws.clients import Clients
from mailer.campaigns.model import Period
from mailer.campaigns.planner import ENQUEUE_THREADS, PlanningIncompleteError
from mailer.campaigns.queue import as_record
from mailer.campaigns.sizing import SenderShape, senders_needed
from mailer.container import Container
from mailer.errors import MailerError
from mailer.local.provision import provision
from mailer.local.template import Template, default_template_path
from mailer.settings import Settings
from mailer.subscribers.model import Status, Subscriber

from .dynamo import FakeDynamo
from .fakes import FakeSes, FakeSqs
from .lambdas import cpu_slowdown, memory_of, parameter_default, timeout_of
from .served import serve
from .simtime import Cpu, SimTime

ENV = {
    "SENDER_ADDRESS": "news@mailer.example.org",
    "SITE_URL": "https://mailer.example.org",
    "CATALOGUE_TABLE": "bench-catalogue",
    "SUBSCRIBERS_TABLE": "bench-subscribers",
    "CAMPAIGNS_TABLE": "bench-campaigns",
    "SEND_QUEUE_URL": "https://sqs.eu-west-2.amazonaws.com/123456789012/bench-send",
    "SECRET_KEY": "bench",
    "POSTAL_ADDRESS": "1 Bench Street, London",
}
TOPIC_SETS = [(), ("housing",), ("survivor-voice", "right-to-work"), ("law-and-policy",)]
INVOKE_OVERHEAD = 0.02  # seconds: the event source's poll and the Lambda invoke, per batch
# The event source long-polls (20 s): a receive returns as soon as a message is there. Modelled
# as a look every tenth of a second, its latency in practice, while the queue is empty.
LONG_POLL_LOOK = 0.1
SENDER_THREADS = int(parameter_default("SenderThreads"))
RESERVE = float(parameter_default("NoticeReserveRate"))
WEB_MB = memory_of("WebFunction")
SENDER_MB = memory_of("DigestSenderFunction")
PLANNER_MB = memory_of("DigestPlannerFunction")
SENDER_TIMEOUT = timeout_of("DigestSenderFunction")
PLANNER_TIMEOUT = timeout_of("DigestPlannerFunction")
NOTICE = "signing-up"  # the local part of the notices' addresses
PLANNER_ATTEMPTS = 3  # the first run and the two retries of its EventInvokeConfig


def senders_for(rate: float) -> int:
    """The SENDER_CONCURRENCY the deployer sets for R, by the formula the template's
    description gives (campaigns/sizing.py) for the template's sender."""
    return senders_needed(rate, RESERVE, SenderShape(SENDER_MB, SENDER_THREADS))


SesFactory = Callable[[SimTime, float], FakeSes]


@dataclass
class QuotaResult:
    """One run of the quota simulation."""

    recipients: int
    rate: float
    senders: int
    reserve: float  # messages a second the senders leave for notices (NoticeReserveRate)
    memory_mb: int
    seconds: float  # simulated, the campaign's first accepted send to its last
    sent: int
    duplicates: int
    not_sent: int
    throttles: int
    failed_batches: int  # invocations that raised or ran past the Timeout
    failed_records: int  # records reported failed, for SQS to deliver again
    timeouts: int
    conflicts: int
    dynamodb_calls: dict[str, int]
    read_units: float
    write_units: float
    dynamodb_throttled: int  # refusals the code saw after the SDK's retries
    dynamodb_retried: int  # refusals the SDK retried
    hottest: dict[str, float]  # "read"/"write" -> one partition's busiest second, in units
    sqs_calls: dict[str, int]
    ses_calls: int
    invocations: int
    lambda_seconds: float  # simulated duration of every sender invocation together
    sender_cpu: float  # this machine's CPU seconds the senders spent (charged)
    planner_cpu: float
    planner_seconds: float  # simulated, the planner's runs together
    finished: bool = False  # the campaign record says finished
    dead: int = 0  # messages the queue moved to its dead-letter queue
    notices_per_second: float = 0.0  # confirm emails asked for while the campaign sent
    notices_sent: int = 0
    notices_while_sending: int = 0  # of those, accepted between the campaign's first and last
    notice_waits: list[float] = field(default_factory=list)  # seconds from asking to accepted
    notices_failed: int = 0  # confirm emails SES still refused after the web's retries
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def reached(self) -> float:
        """Messages a second reached while the campaign sent, its own and the notices sent
        meanwhile together, as a share of R."""
        total = self.sent + self.notices_while_sending
        return total / self.seconds / self.rate if self.seconds else 0.0

    @property
    def cpu_ms_per_email(self) -> float:
        """The senders' CPU per email sent, on one core of this machine."""
        return self.sender_cpu / max(1, self.sent) * 1e3

    @property
    def correct(self) -> bool:
        """Every email once, nothing lost, no failed batch, and the campaign finished."""
        return (
            self.duplicates == 0
            and self.not_sent == 0
            and self.failed_batches == 0
            and self.finished
        )


def _subscribers(container: Container, n: int) -> None:
    table = container.table(container.settings.subscribers_table).resource
    audiences = list(container.vocabulary.audiences)
    with table.batch_writer() as batch:
        for i in range(n):
            address = f"reader{i}@example.org"
            batch.put_item(
                Item=Subscriber(
                    key=container.keys.key(address),
                    email=address,
                    audience=audiences[i % len(audiences)],
                    topics=TOPIC_SETS[i % len(TOPIC_SETS)],
                    status=Status.CONFIRMED,
                    updated_at="2026-11-01T00:00:00+00:00",
                ).to_item()
            )


def run(
    recipients: int,
    rate: float,
    *,
    reserve: float = RESERVE,
    notices: float = 0.0,
    senders: int | None = None,
    memory_mb: int = SENDER_MB,
    threads: int = SENDER_THREADS,
    ses: SesFactory = FakeSes,
) -> QuotaResult:
    """Plan and send one digest to `recipients` people at an SES quota of `rate` a second, the
    senders at `memory_mb` (`ses`: the SES fake; a test gives a slow or lossy one), while the
    web function sends `notices` confirm emails a second to people signing up."""
    senders = senders or senders_for(rate)
    logging.disable(logging.CRITICAL)  # the pipeline's logs cost more CPU than it does
    try:
        return _run(recipients, rate, reserve, notices, senders, memory_mb, threads, ses)
    finally:
        logging.disable(logging.NOTSET)


def _run(
    recipients: int,
    rate: float,
    reserve: float,
    notices: float,
    senders: int,
    memory_mb: int,
    threads: int,
    ses_factory: SesFactory,
) -> QuotaResult:
    with mock_aws():
        sim = SimTime()
        env = {
            **ENV,
            "NOTICE_RESERVE_RATE": str(reserve),
            "SENDER_CONCURRENCY": str(senders),
            "SENDER_THREADS": str(threads),
        }
        settings = Settings.from_env(env)
        clients = Clients(settings, boto3.Session(region_name="eu-west-2"))
        provision(clients, Template.load(default_template_path()))
        setup = Container(settings, clients)
        setup.catalogue_store.sync(setup.catalogue_files())
        _subscribers(setup, recipients)
        ses, sqs = ses_factory(sim, rate), FakeSqs(sim)
        serve(clients.sesv2_send, sim, {"SendEmail": ses.send_email, "GetAccount": ses.get_account})
        serve(
            clients.sqs,
            sim,
            {
                "SendMessageBatch": sqs.send_message_batch,
                "GetQueueAttributes": sqs.get_queue_attributes,
            },
        )
        dynamo = FakeDynamo(sim, clients.dynamodb.meta.client)
        tally = {"invocations": 0, "failed_batches": 0, "failed_records": 0, "timeouts": 0}
        busy = {"senders": 0.0, "planner": 0.0}
        planned = {"done": False}
        planner_cpu = Cpu(cpu_slowdown(PLANNER_MB))
        sender_cpus = [Cpu(cpu_slowdown(memory_mb)) for _ in range(senders)]

        def container(threads: int) -> Container:
            return Container(
                settings,
                clients,
                clock=sim,
                monotonic=sim,
                sleep=sim.sleep,
                concurrently=sim.pool(threads),
            )

        def planner() -> None:
            p = container(1)
            p.planner._concurrently = sim.pool(ENQUEUE_THREADS)
            for _ in range(PLANNER_ATTEMPTS):
                started = sim()
                deadline = started + PLANNER_TIMEOUT
                try:
                    p.planner.plan(
                        p.planner.digest(Period(2026, 12)), time_left=lambda d=deadline: d - sim()
                    )
                    break
                except PlanningIncompleteError:
                    continue  # Lambda runs the event again; the plan resumes from its checkpoints
                finally:
                    busy["planner"] += sim() - started
            planned["done"] = True

        def sender() -> None:
            s = container(threads).sender
            while True:
                with sim.uncharged():  # the event source's polling is AWS's, not the function's
                    messages = sqs.receive()
                if not messages:
                    if planned["done"] and sqs.idle():
                        return
                    sim.sleep(LONG_POLL_LOOK)
                    continue
                tally["invocations"] += 1
                started = sim()
                sim.sleep(INVOKE_OVERHEAD)
                deadline = started + SENDER_TIMEOUT
                try:
                    report = s.process_batch(
                        [as_record(m) for m in messages], lambda d=deadline: d - sim()
                    )
                except Exception:  # Lambda failed: the whole batch comes back
                    tally["failed_batches"] += 1
                    continue
                finally:
                    sim.sleep(0)  # its last CPU, charged
                    busy["senders"] += sim() - started
                if sim() > deadline:  # Lambda stopped it: nothing it reported reaches SQS
                    tally["timeouts"] += 1
                    tally["failed_batches"] += 1
                    continue
                for message, (_, result) in zip(messages, report.results, strict=True):
                    if result is None:
                        tally["failed_records"] += 1
                    else:
                        sqs.delete(message["MessageId"], message["ReceiptHandle"])

        notice_waits: list[float] = []
        notices_failed: list[float] = []

        def web() -> None:
            """Confirm emails at `notices` a second, from the campaign's first send to its end."""
            w = container(1)
            for i in itertools.count():
                while not ses.sent and not (planned["done"] and sqs.idle()):
                    sim.sleep(0.05)  # no campaign email out yet
                if planned["done"] and sqs.idle():
                    return
                asked = sim()
                pending = Subscriber(key=f"{i:064x}", email=f"{NOTICE}{i}@example.net",
                                     audience="individuals")  # fmt: skip
                try:
                    w.notices.confirm(pending)
                except MailerError:  # the person sees "try again": counted, never hidden
                    notices_failed.append(sim() - asked)
                else:
                    notice_waits.append(sim() - asked)
                sim.sleep(max(0.0, asked + 1.0 / notices - sim()))

        def everything() -> None:
            tasks = [sim.spawn(planner, planner_cpu)] + [
                sim.spawn(sender, cpu) for cpu in sender_cpus
            ]
            if notices > 0:
                tasks.append(sim.spawn(web, Cpu(cpu_slowdown(WEB_MB))))
            sim.join(tasks)
            errors = [t.error for t in tasks if t.error is not None]
            if errors:
                raise errors[0]

        sim.run(everything)
        campaign = {a: n for a, n in ses.sent.items() if not a.startswith(NOTICE)}
        sent = len(campaign)
        # The rate is the campaign's, over the time it sent: notices asked for after its last
        # send (while its last batches are counted) are not in it.
        sending = [at for at, to in ses.accepted_at if not to.startswith(NOTICE)] or [0.0]
        first, last = min(sending), max(sending)
        status = setup.campaigns.status("digest#2026-12")
        assert status is not None
        # Recipients skipped for nothing relevant, or suppressed, are not owed an email.
        not_owed = status.totals["skipped"] + status.totals["suppressed"]
        return QuotaResult(
            recipients=recipients,
            rate=rate,
            senders=senders,
            reserve=reserve,
            memory_mb=memory_mb,
            seconds=last - first + 1.0 / rate,
            sent=sent,
            duplicates=sum(n - 1 for n in campaign.values()),
            not_sent=recipients - not_owed - sent,
            finished=bool(status.finished_at),
            throttles=ses.throttled,
            failed_batches=tally["failed_batches"],
            failed_records=tally["failed_records"],
            timeouts=tally["timeouts"],
            conflicts=dynamo.conflicts,
            dynamodb_calls=dict(dynamo.calls),
            read_units=dynamo.read_units,
            write_units=dynamo.write_units,
            dynamodb_throttled=dynamo.throttled,
            dynamodb_retried=dynamo.throttled_tries,
            hottest=dict(dynamo.peak),
            sqs_calls=dict(sqs.calls),
            ses_calls=sent + ses.throttled,
            invocations=tally["invocations"],
            lambda_seconds=busy["senders"],
            sender_cpu=sum(c.spent for c in sender_cpus),
            planner_cpu=planner_cpu.spent,
            planner_seconds=busy["planner"],
            dead=len(sqs.dead),
            notices_per_second=notices,
            notices_sent=len(ses.sent) - len(campaign),
            notices_while_sending=sum(
                1 for at, to in ses.accepted_at if to.startswith(NOTICE) and first <= at <= last
            ),
            notice_waits=notice_waits,
            notices_failed=len(notices_failed),
        )


if __name__ == "__main__":
    import sys
    import time

    n, r = int(sys.argv[1]), float(sys.argv[2])
    mb = int(sys.argv[3]) if len(sys.argv) > 3 else SENDER_MB
    t = time.perf_counter()
    result = run(n, r, memory_mb=mb)
    print(result, f"reached {result.reached:.1%}", f"real {time.perf_counter() - t:.1f}s")
