"""Planner at scale: the real Planner on simulated time, with the send index, SQS and the
campaign store as fakes that take AWS's time (moto would add its own memory per write, which
the planner on AWS does not have). Its SQS calls run on ENQUEUE_THREADS threads, as deployed,
and its CPU is charged as it spends it at the planner function's memory (simtime.Cpu). ms per
recipient (simulated time, CPU included) and peak Python memory while planning.

The fakes here are called in place of boto3 (a million SendMessageBatch calls through botocore
would take this machine hours), so botocore's own CPU per call is not charged: the figure is
lower than a deployed planner's by that much.
"""

from __future__ import annotations

import tracemalloc
from dataclasses import dataclass
from typing import Any

from mailer.campaigns.model import Campaign, Checkpoint, Period
from mailer.campaigns.planner import ENQUEUE_THREADS, PAGE_SIZE, Planner
from mailer.catalogue.schema import Vocabulary
from mailer.paths import catalogue_dir
from mailer.settings import Settings
from mailer.subscribers.model import Page, Status, Subscriber

from .lambdas import cpu_slowdown, memory_of
from .quota import ENV
from .simtime import Cpu, SimTime

QUERY_SECONDS = 0.03  # one Query page of 1,000 keys-and-topics items (about 100 KB)
BATCH_SECONDS = 0.02  # one SendMessageBatch call


class _Index:
    """The send index as pages of keys, generated (a million items need no table)."""

    def __init__(self, sim: SimTime, per_audience: int, query_seconds: float) -> None:
        self._sim = sim
        self._n = per_audience
        self._seconds = query_seconds

    def confirmed_page(
        self, audience: str, start: dict[str, Any] | None = None, limit: int = PAGE_SIZE
    ) -> Page:
        self._sim.sleep(self._seconds)
        first = int(start["pk"].rsplit("#", 1)[1]) + 1 if start else 0
        last = min(self._n, first + limit)
        subscribers = [
            Subscriber(key=f"{i:064x}", email="", audience=audience, status=Status.CONFIRMED)
            for i in range(first, last)
        ]
        more = {"pk": f"sub#{last - 1}", "send_group": audience} if last < self._n else None
        return Page(subscribers, more)


class _Store:
    """The campaign store's planner calls, in memory, each taking a DynamoDB write's time."""

    def __init__(self, sim: SimTime) -> None:
        self._sim = sim
        self._checkpoints: dict[str, Checkpoint] = {}
        self.planned = False

    def create(self, campaign: Campaign) -> tuple[Campaign, bool]:
        self._sim.sleep(0.005)
        return campaign, True

    def status(self, campaign_id: str) -> None:
        self._sim.sleep(0.005)

    def checkpoint(self, campaign: Campaign, audience: str) -> Checkpoint:
        self._sim.sleep(0.005)
        return self._checkpoints.get(audience, Checkpoint(audience))

    def advance(
        self, campaign: Campaign, checkpoint: Checkpoint, next_start: Any, recipients: int
    ) -> Checkpoint:
        self._sim.sleep(0.005)
        advanced = checkpoint.advanced(next_start, recipients)
        self._checkpoints[checkpoint.audience] = advanced
        return advanced

    def mark_planned(self, campaign: Campaign) -> None:
        self.planned = True

    def try_finish(self, campaign_id: str) -> bool:
        return False


class _Sink:
    """SQS taking batch calls (counted, not kept: the queue is not the planner's memory)."""

    def __init__(self, sim: SimTime, batch_seconds: float) -> None:
        self._sim = sim
        self._seconds = batch_seconds
        self.calls = 0
        self.messages = 0

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self._sim.sleep(self._seconds)
        self.calls += 1
        self.messages += len(Entries)
        return {"Successful": [{"Id": e["Id"]} for e in Entries], "Failed": []}


@dataclass
class PlannerResult:
    """One planning run."""

    recipients: int
    simulated_seconds: float  # CPU included, at the planner's memory
    cpu_seconds: float  # this machine's CPU the planner spent (charged)
    peak_bytes: int
    batch_calls: int
    memory_mb: int

    @property
    def ms_per_recipient(self) -> float:
        """Simulated time (AWS's and the charged CPU), per recipient."""
        return self.simulated_seconds / self.recipients * 1e3


def run(
    recipients: int, query_seconds: float = QUERY_SECONDS, batch_seconds: float = BATCH_SECONDS
) -> PlannerResult:
    """Plan one digest to `recipients` people in three audiences (a test makes AWS slower)."""
    settings = Settings.from_env(ENV)
    sim = SimTime()
    vocabulary = Vocabulary.load(catalogue_dir() / "vocabulary.yaml")
    audiences = tuple(vocabulary.audiences)
    sink = _Sink(sim, batch_seconds)
    memory = memory_of("DigestPlannerFunction")
    cpu = Cpu(cpu_slowdown(memory))
    planner = Planner(
        campaigns=_Store(sim),  # type: ignore[arg-type]
        subscribers=_Index(sim, recipients // len(audiences), query_seconds),  # type: ignore[arg-type]
        sqs=sink,
        queue_url=settings.send_queue_url,
        vocabulary=vocabulary,
        load_resources=lambda: [],
        sleep=sim.sleep,
        concurrently=sim.pool(ENQUEUE_THREADS),
    )
    campaign = Campaign.digest(Period(2026, 12), audiences)
    tracemalloc.start()
    sim_start = sim()

    def plan() -> None:
        sim.join([sim.spawn(lambda: planner.plan(campaign), cpu)])

    sim.run(plan)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    planned = recipients // len(audiences) * len(audiences)
    assert sink.messages == planned, (sink.messages, planned)
    return PlannerResult(planned, sim() - sim_start, cpu.spent, peak, sink.calls, memory)


def section(plans: list[PlannerResult]) -> list[str]:
    """The report's Planner section."""
    from .render import mark

    biggest, smallest = plans[-1], plans[0]
    seconds = biggest.ms_per_recipient * 1e3  # for a million
    fits = seconds < 300
    flat = biggest.peak_bytes <= 1.3 * smallest.peak_bytes
    return [
        "## Planner",
        "",
        "The real `Planner` on simulated time, with fakes for the send index (generated pages "
        f"of keys, {QUERY_SECONDS * 1e3:.0f} ms a Query page of 1,000), SQS "
        f"({BATCH_SECONDS * 1e3:.0f} ms a batch call, {ENQUEUE_THREADS} threads as deployed) "
        "and the campaign store (5 ms a checkpoint write), called in place of boto3 (whose CPU "
        "per call is therefore not charged); its CPU charged at the planner function's "
        f"{biggest.memory_mb} MB (x {cpu_slowdown(biggest.memory_mb):.2f} of this machine's, "
        "measured with tracemalloc on, which slows it). Peak memory: Python allocations while "
        "planning (tracemalloc).",
        "",
        "| Subscribers | ms/recipient | whole run | of which CPU (this machine) "
        "| peak memory | SQS batch calls |",
        "|---|---|---|---|---|---|",
        *(
            f"| {p.recipients:,} | {p.ms_per_recipient:.3f} | {p.simulated_seconds:.1f} s "
            f"| {p.cpu_seconds:.1f} s | {p.peak_bytes / 2**20:.1f} MB | {p.batch_calls:,} |"
            for p in plans
        ),
        "",
        f"Goal: a million planned in under 5 minutes of one Lambda run at {biggest.memory_mb} MB "
        f"(at {biggest.ms_per_recipient:.3f} ms a recipient, a million take {seconds:.0f} s): "
        f"{mark(fits)}; memory at the largest size within 1.3x of the smallest "
        f"({biggest.peak_bytes / smallest.peak_bytes:.2f}x): {mark(flat)}.",
        "",
    ]


if __name__ == "__main__":
    import sys

    print(run(int(sys.argv[1])))
