"""The report's Quota use section: the table, and each goal marked met or not met (and why)."""

from __future__ import annotations

from collections.abc import Sequence

from mailer.campaigns.sizing import CPU_PER_EMAIL

from .dynamo import RCU_LIMIT, WCU_LIMIT
from .lambdas import ONE_VCPU_MB
from .quota import ENQUEUE_THREADS, PLANNER_MB, SENDER_THREADS, SENDER_TIMEOUT, QuotaResult
from .render import mark

RATE_GOAL = 0.95  # of R
NOTICE_GOAL = 5.0  # seconds: a confirm email sent during a campaign is out within this


def row(r: QuotaResult) -> str:
    """One run as a table row."""
    return (
        f"| {r.rate:g} | {r.senders} | {r.memory_mb} | {r.reached:.1%} | {r.throttles} "
        f"| {r.duplicates} | {r.not_sent} | {r.failed_records} | {r.failed_batches} "
        f"({r.timeouts}) | {r.dynamodb_throttled} ({r.dynamodb_retried}) "
        f"| {r.hottest['write']:,.0f} / {r.hottest['read']:,.0f} | {r.cpu_ms_per_email:.1f} "
        f"| {r.notices_sent} ({max(r.notice_waits, default=0.0):.2f} s, {r.notices_failed} "
        "refused) "
        f"| {'yes' if r.finished else 'no'} |"
    )


HEADER = [
    "| R (quota/s) | senders | MB | reached (of R) | SES throttles | duplicates | not sent "
    "| failed records | failed batches (timed out) | DynamoDB throttled (SDK retries) "
    "| hottest partition WCU / RCU in a second | CPU ms/email "
    "| confirm emails (slowest) | finished |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
]


def met_at(results: Sequence[QuotaResult], rate: float) -> str:
    """The least memory at which the rate goal was met for R, among the runs made."""
    met = sorted(r.memory_mb for r in results if r.rate == rate and r.reached >= RATE_GOAL)
    return f"{met[0]:,} MB" if met else "none tried"


def section(
    recipients: int, results: Sequence[QuotaResult], ladder: Sequence[QuotaResult]
) -> list[str]:
    """The Quota use section (`ladder`: the same runs at more memory, to see where goals hold)."""
    everything = [*results, *ladder]
    clean = all(r.correct for r in results)
    rates_met = all(r.reached >= RATE_GOAL for r in results)
    hottest_w = max(r.hottest["write"] for r in results)
    hottest_r = max(r.hottest["read"] for r in results)
    memory = results[0].memory_mb if results else 0
    assumed_cpu = CPU_PER_EMAIL * 1000
    spent_cpu = max((r.cpu_ms_per_email for r in results), default=0.0)
    waits = [w for r in results for w in r.notice_waits]
    failed = sum(r.notices_failed for r in results)
    notices_met = bool(waits) and max(waits) <= NOTICE_GOAL and not failed
    lines = [
        "## Quota use",
        "",
        f"The real planner and senders (`Container`, `Planner`, `Sender`, `Ledger`: no stand-ins) "
        f"plan and send one digest to {recipients:,} subscribers on simulated time "
        "(`benchmarks/simtime.py`: every thread is real, one runs at a time, sleeping moves the "
        "clock, and CPU is charged as the code spends it), through real boto3 clients whose "
        "requests fakes answer (`benchmarks/served.py`): SES refusing sends above R a second and "
        "taking 50-80 ms a call; SQS batches of ten, the visibility timeout, redrive after five "
        "receives, the whole batch back when the function fails; DynamoDB from moto for items "
        "and conditions plus request units by DynamoDB's rules, 1,000 WCU and 3,000 RCU a "
        "second per partition key (refused as ProvisionedThroughputExceededException after the "
        "SDK's own retries) and transaction conflicts (`benchmarks/dynamo.py`).",
        "",
        f"As deployed: {SENDER_THREADS} threads a sender (`SenderThreads`), the senders the "
        "template's formula sizes for R (`SenderConcurrency`, `campaigns/sizing.py`), each an "
        "instance of "
        f"{memory} MB whose CPU ({memory / ONE_VCPU_MB:.2f} of a vCPU: the CPU this machine "
        f"spent, x {ONE_VCPU_MB / memory:.2f}) its threads share; each invocation gets the "
        f"{SENDER_TIMEOUT} s Timeout as `time_left`, and one that outlasts it counts as a failed "
        f"batch (Lambda kills it). The planner: {ENQUEUE_THREADS} threads, {PLANNER_MB} MB, its "
        "900 s, run again when cut off. CPU ms/email: the senders' CPU on one core of this "
        "machine, per email sent (the simulated time charged is that x the slowdown).",
        "",
        *HEADER,
        *(row(r) for r in everything),
        "",
        f"Goal: every email once, none lost, no failed batch, the campaign finished: "
        f"{mark(clean)}. At least {RATE_GOAL:.0%} of R at every R at the template's {memory} MB: "
        f"{mark(rates_met)} (reached at least {min(r.reached for r in results):.1%}; the "
        f"senders aim at R less {results[0].reserve:g} a second kept for notices, "
        "`NoticeReserveRate`). Least memory, of the runs above, at which the rate goal is met: "
        + "; ".join(f"R = {r.rate:g}: {met_at(everything, r.rate)}" for r in results)
        + ". The rate counts from the first accepted send to the last, so the ramp-up and the "
        "last batches count against it. The sizing assumes "
        f"{assumed_cpu:.1f} ms of CPU an email on one vCPU; the runs spent at most "
        f"{spent_cpu:.1f}: {mark(spent_cpu <= assumed_cpu)}. Hottest partition: "
        f"{hottest_w:,.0f} WCU and "
        f"{hottest_r:,.0f} RCU in one second, against {WCU_LIMIT:,.0f} and {RCU_LIMIT:,.0f}: "
        f"{mark(hottest_w <= WCU_LIMIT / 2 and hottest_r <= RCU_LIMIT / 2)} for staying under "
        "half of either. Confirm emails sent during each campaign (the web function, "
        f"{results[0].notices_per_second if results else 0:g} a second, from its first send to "
        f"its last) out within {NOTICE_GOAL:g} s of asking: {mark(notices_met)} (slowest "
        f"{max(waits, default=0.0):.2f} s of {len(waits)}; {failed} refused after the web's "
        "retries).",
        "",
    ]
    return lines
