"""`make bench`: runs every benchmark and writes docs/benchmarks.md, stamped with the machine and
the date, each goal marked met or not met (and why)."""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path

from . import cold_report, cold_start, finish, imports, planner, quota, quota_report, render

OUT = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"

# List prices (USD), stated so the cost can be checked: AWS Lambda x86 $0.20 per million requests
# and $0.0000166667 per GB-second; DynamoDB on-demand $1.25 per million write request units and
# $0.25 per million read request units (the pre-November-2024 prices, the higher ones); SQS
# standard $0.40 per million requests; SES $0.10 per 1,000 emails.
LAMBDA_REQUEST = 0.20 / 1e6
LAMBDA_GB_SECOND = 0.0000166667
SENDER_GB = quota.SENDER_MB / 1024  # GB-seconds are billed per GB of the MemorySize
PLANNER_GB = quota.PLANNER_MB / 1024
DYNAMODB_WRITE_UNIT = 1.25 / 1e6
DYNAMODB_READ_UNIT = 0.25 / 1e6
SQS_REQUEST = 0.40 / 1e6
SES_PER_1000 = 0.10


@dataclass(frozen=True)
class Sizes:
    """How big each benchmark runs (`make bench`: the issue's sizes; the smoke test: tiny)."""

    recipients: int = 12_000
    rates: Sequence[float] = (14, 50, 200, 1000)
    render_emails: int = 2000
    planner_sizes: Sequence[int] = (10_000, 100_000, 1_000_000)
    finish_recipients: int = 1_000_000
    import_rows: int = 100_000
    # Tried where the rate goal fails at the template's memory; none now that the sender has one
    # vCPU, above which Python runs no faster (campaigns/sizing.py).
    memories: Sequence[int] = ()
    ladder_rates: Sequence[float] = (200, 1000)
    cold_starts: Sequence[str] = tuple(f.function for f in cold_start.FUNCTIONS)


def _mark(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


def _smaller_than_make_bench(sizes: Sizes) -> str:
    """Which sizes this run changed from `make bench`'s, said in the report's first lines."""
    default = Sizes()
    changed = [
        f"{f.name}={getattr(sizes, f.name)!r} (`make bench`: {getattr(default, f.name)!r})"
        for f in fields(Sizes)
        if getattr(sizes, f.name) != getattr(default, f.name)
    ]
    return f" Run with other sizes: {'; '.join(changed)}." if changed else ""


def cost_per_1000(result: quota.QuotaResult, planner_ms: float) -> dict[str, float]:
    """AWS cost other than SES per 1,000 emails, from the calls the quota run counted."""
    per = 1000 / max(1, result.sent)
    sqs_requests = sum(result.sqs_calls.values()) + result.invocations  # + DeleteMessageBatch
    return {
        "Lambda (senders)": per
        * (
            result.invocations * LAMBDA_REQUEST
            + result.lambda_seconds * SENDER_GB * LAMBDA_GB_SECOND
        ),
        "Lambda (planner)": planner_ms * PLANNER_GB * LAMBDA_GB_SECOND,  # 1,000 x ms / 1,000
        "DynamoDB": per
        * (result.write_units * DYNAMODB_WRITE_UNIT + result.read_units * DYNAMODB_READ_UNIT),
        "SQS": per * sqs_requests * SQS_REQUEST,
    }


def main(sizes: Sizes = Sizes(), out: Path = OUT) -> str:
    """Run everything and write the report; return its text."""
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` on {dt.date.today().isoformat()}, {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()} "
        f"({platform.platform(terse=True)}). Throughput on simulated time does not depend on "
        "other work on the machine; CPU figures (this process's thread CPU time, charged to "
        "simulated time) grow with it, and render figures are CPU time on one core."
        + _smaller_than_make_bench(sizes),
        "",
    ]
    # Confirm emails at the rate the senders leave free for them, so the rate reached is the
    # campaign's and the notices' together.
    results = [quota.run(sizes.recipients, rate, notices=quota.RESERVE) for rate in sizes.rates]
    ladder = [
        quota.run(sizes.recipients, r.rate, notices=quota.RESERVE, memory_mb=mb)
        for r in results
        if r.reached < quota_report.RATE_GOAL and r.rate in sizes.ladder_rates
        for mb in sizes.memories
    ]
    lines += quota_report.section(sizes.recipients, results, ladder)
    lines += render.section(render.run(sizes.render_emails))
    plans = [planner.run(n) for n in sizes.planner_sizes]
    lines += planner.section(plans)
    lines += finish.section(finish.run(sizes.finish_recipients))
    base = next((r for r in results if r.rate == 200), results[-1])
    costs = cost_per_1000(base, plans[-1].ms_per_recipient)
    total_cost = sum(costs.values())
    lines += [
        "## Cost",
        "",
        f"AWS cost other than SES per 1,000 emails, from the calls counted in the R = "
        f"{base.rate:g} run (Lambda GB-seconds include the time senders wait on pacing) and "
        "list prices: Lambda $0.20 per million requests and $0.0000166667 per GB-second "
        f"({quota.SENDER_MB} MB senders, a {quota.PLANNER_MB} MB planner); DynamoDB on-demand "
        "$1.25 per million write and $0.25 per million "
        "read request units; SQS $0.40 per million requests. The event source's idle polling "
        "between campaigns is left out.",
        "",
        "| Service | $ per 1,000 emails |",
        "|---|---|",
        *(f"| {name} | {value:.5f} |" for name, value in costs.items()),
        f"| **total** | **{total_cost:.5f}** |",
        "",
        f"Goal: at most 5% of SES's own $0.10 (so $0.005): {total_cost / SES_PER_1000:.1%}, "
        f"{_mark(total_cost <= 0.05 * SES_PER_1000)}.",
        "",
    ]
    lines += imports.section(imports.run(sizes.import_rows))
    firsts = [f for f in cold_start.FUNCTIONS if f.function in sizes.cold_starts]
    lines += cold_report.section(cold_start.run(firsts) if firsts else cold_start.ColdResult())
    text = "\n".join(lines)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return text


if __name__ == "__main__":
    print(main(), file=sys.stdout)
