"""A million-recipient campaign counted finished: the real CampaignStore's try_finish, as the
sender that finds the queue drained runs it, on moto with DynamoDB's units and per-partition
limits (dynamo.py), on simulated time with its CPU charged at the sender's memory.

The table holds what a campaign of N recipients leaves for the count to read: its record, a
checkpoint per audience with its "planned", and the tallies of every sending thread that ever
sent for it (WRITERS a shard: 16 senders x 8 threads, each Lambda container replaced twice
while it sends). Its ledger entries are not written: no count reads them
(tests/component/test_campaign_tallies.py deletes them all and the count is unchanged).
"""

from __future__ import annotations

from dataclasses import dataclass

import boto3
from moto import mock_aws

from mailer.aws.clients import Clients
from mailer.campaigns.keys import counter_sk
from mailer.campaigns.model import Campaign, Period
from mailer.campaigns.store import CampaignStore
from mailer.campaigns.tally import cell
from mailer.container import Container
from mailer.local.provision import provision
from mailer.local.template import Template, default_template_path
from mailer.settings import Settings

from .dynamo import FakeDynamo
from .lambdas import cpu_slowdown, memory_of, timeout_of
from .quota import ENV
from .simtime import Cpu, SimTime

SENDER = "DigestSenderFunction"
WRITERS = 16 * 8 * 3  # tally items a shard: senders x threads x container generations
GOAL_SECONDS = 300.0  # counted finished within 5 minutes of the last send


@dataclass(frozen=True)
class FinishResult:
    """One count-and-finish of a campaign of `recipients`."""

    recipients: int
    tally_items: int
    finished: bool
    seconds: float  # simulated: DynamoDB's latency and the CPU charged at the sender's memory
    cpu_seconds: float  # this machine's CPU, one core
    read_units: float
    hottest_read: float  # one partition's busiest second, read units
    memory_mb: int

    @property
    def met(self) -> bool:
        """Finished, inside the sender's timeout and the goal's 5 minutes."""
        return self.finished and self.seconds < min(GOAL_SECONDS, timeout_of(SENDER))


def run(recipients: int = 1_000_000, writers: int = WRITERS, lost: int = 0) -> FinishResult:
    """Count and finish a planned, fully sent campaign of `recipients` (`lost`: that many sends
    left out of the tallies, the lossy variant a test feeds it)."""
    with mock_aws():
        settings = Settings.from_env(ENV)
        clients = Clients(settings, boto3.Session(region_name="eu-west-2"))
        provision(clients, Template.load(default_template_path()))
        setup = Container(settings, clients)
        setup.catalogue_store.sync(setup.catalogue_files())
        campaign, _ = setup.campaigns.create(setup.planner.digest(Period(2026, 12)))
        shares = _split(recipients, len(campaign.audiences))
        for audience, planned in zip(campaign.audiences, shares, strict=True):
            checkpoint = setup.campaigns.checkpoint(campaign, audience)
            setup.campaigns.advance(campaign, checkpoint, None, planned)
        setup.campaigns.mark_planned(campaign)
        sent = dict(zip(campaign.audiences, shares, strict=True))
        sent[campaign.audiences[0]] -= lost
        items = _tallies(campaign, sent, writers)
        with setup.campaigns.table.resource.batch_writer() as batch:
            for item in items:
                batch.put_item(Item=item)
        sim = SimTime()
        dynamo = FakeDynamo(sim, clients.dynamodb.meta.client)
        memory = memory_of(SENDER)
        cpu = Cpu(cpu_slowdown(memory))
        deadline = sim() + timeout_of(SENDER)
        store = Container(settings, clients, clock=sim, sleep=sim.sleep).campaigns

        def finish() -> bool:
            return store.try_finish(campaign.id, time_left=lambda: deadline - sim())

        def as_a_sender() -> bool:
            task = sim.spawn(finish, cpu)
            sim.join([task])
            if task.error is not None:
                raise task.error
            return bool(task.result)

        started = sim()
        finished = sim.run(as_a_sender)
        return FinishResult(
            recipients=recipients,
            tally_items=len(items),
            finished=finished and bool(_status_finished(store, campaign.id)),
            seconds=sim() - started,
            cpu_seconds=cpu.spent,
            read_units=dynamo.read_units,
            hottest_read=dynamo.peak["read"],
            memory_mb=memory,
        )


def _status_finished(store: CampaignStore, campaign_id: str) -> str:
    """The campaign's finished_at as stored (empty if it is not)."""
    status = store.status(campaign_id)
    return status.finished_at if status else ""


def _split(total: int, parts: int) -> list[int]:
    """`total` in `parts` as equal as whole numbers allow."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def _tallies(campaign: Campaign, sent: dict[str, int], writers: int) -> list[dict[str, object]]:
    """Every writer's tally item in every shard, their "sent" cells summing to `sent`."""
    slots = [(pk, f"bench{w:04d}.0") for pk in campaign.ledger_partitions for w in range(writers)]
    items = {slot: {"pk": slot[0], "sk": counter_sk(slot[1])} for slot in slots}
    for audience, n in sent.items():
        for slot, share in zip(slots, _split(n, len(slots)), strict=True):
            if share:
                items[slot][cell(audience, "sent")] = share
    return list(items.values())


def section(result: FinishResult) -> list[str]:
    """The report's section on finishing a campaign."""
    from .render import mark

    return [
        "## Finishing a million",
        "",
        f"The real `CampaignStore.try_finish` for a campaign of {result.recipients:,} recipients, "
        "all sent, as the sender that finds the queue drained runs it: on moto with DynamoDB's "
        "units and per-partition limits (`benchmarks/dynamo.py`), simulated time, its CPU "
        f"charged at the sender's {result.memory_mb} MB (x {cpu_slowdown(result.memory_mb):.2f}). "
        f"The count reads the checkpoints and {result.tally_items:,} tally items ({WRITERS} "
        "sending threads' in each of the 16 shards: 16 senders x 8 threads, each container "
        "replaced twice), never a ledger entry.",
        "",
        "| Recipients | tally items | counted and finished in | CPU (this machine) "
        "| read units | hottest partition RCU in a second | finished |",
        "|---|---|---|---|---|---|---|",
        f"| {result.recipients:,} | {result.tally_items:,} | {result.seconds:.2f} s "
        f"| {result.cpu_seconds:.2f} s | {result.read_units:,.0f} | {result.hottest_read:,.0f} "
        f"| {'yes' if result.finished else 'no'} |",
        "",
        "Goal: counted finished within 5 minutes of the last send, inside the sender's "
        f"{timeout_of(SENDER)} s: {mark(result.met)}.",
        "",
    ]
