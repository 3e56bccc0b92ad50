"""Planner at scale: the real Planner on simulated time, with the send index, SQS and the
campaign store as fakes that take AWS's time (moto would add its own memory per write, which
the planner on AWS does not have). ms per recipient (simulated AWS time plus this machine's
CPU) and peak Python memory while planning."""

from __future__ import annotations

import time
import tracemalloc
from dataclasses import dataclass
from typing import Any

from mailer.campaigns.model import Campaign, Checkpoint, Period
from mailer.campaigns.planner import PAGE_SIZE, Planner
from mailer.catalogue.schema import Vocabulary
from mailer.paths import catalogue_dir
from mailer.settings import Settings
from mailer.subscribers.model import Page, Status, Subscriber

from .quota import ENV
from .simtime import SimTime

QUERY_SECONDS = 0.03  # one Query page of 1,000 keys-and-topics items (about 100 KB)
BATCH_SECONDS = 0.02  # one SendMessageBatch call


class _Index:
    """The send index as pages of keys, generated (a million items need no table)."""

    def __init__(self, sim: SimTime, per_audience: int) -> None:
        self._sim = sim
        self._n = per_audience

    def confirmed_page(
        self, audience: str, start: dict[str, Any] | None = None, limit: int = PAGE_SIZE
    ) -> Page:
        self._sim.sleep(QUERY_SECONDS)
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

    def __init__(self, sim: SimTime) -> None:
        self._sim = sim
        self.calls = 0
        self.messages = 0

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self._sim.sleep(BATCH_SECONDS)
        self.calls += 1
        self.messages += len(Entries)
        return {"Successful": [{"Id": e["Id"]} for e in Entries], "Failed": []}


@dataclass
class PlannerResult:
    """One planning run."""

    recipients: int
    simulated_seconds: float
    cpu_seconds: float
    peak_bytes: int
    batch_calls: int

    @property
    def ms_per_recipient(self) -> float:
        """Simulated AWS time plus CPU, per recipient."""
        return (self.simulated_seconds + self.cpu_seconds) / self.recipients * 1e3


def run(recipients: int) -> PlannerResult:
    """Plan one digest to `recipients` people in three audiences."""
    settings = Settings.from_env(ENV)
    sim = SimTime()
    vocabulary = Vocabulary.load(catalogue_dir() / "vocabulary.yaml")
    audiences = tuple(vocabulary.audiences)
    sink = _Sink(sim)
    planner = Planner(
        campaigns=_Store(sim),  # type: ignore[arg-type]
        subscribers=_Index(sim, recipients // len(audiences)),  # type: ignore[arg-type]
        sqs=sink,
        queue_url=settings.send_queue_url,
        vocabulary=vocabulary,
        load_resources=lambda: [],
        sleep=sim.sleep,
        concurrently=sim.concurrently,
    )
    campaign = Campaign.digest(Period(2026, 12), audiences)
    tracemalloc.start()
    started = time.process_time()
    sim_start = sim()
    sim.run(lambda: planner.plan(campaign))
    cpu = time.process_time() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    planned = recipients // len(audiences) * len(audiences)
    assert sink.messages == planned, (sink.messages, planned)
    return PlannerResult(planned, sim() - sim_start, cpu, peak, sink.calls)


if __name__ == "__main__":
    import sys

    print(run(int(sys.argv[1])))
