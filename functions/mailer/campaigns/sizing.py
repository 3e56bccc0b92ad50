"""How many senders a quota needs: one sender's rate from its batch, threads, memory and CPU.

A sender handles one SQS batch of B records at a time with T threads. Lambda's poll and invoke
come first; then each email costs c seconds of CPU on one vCPU, spent one at a time (Python
runs one thread at a time) on the share of a vCPU the function's memory M buys (Lambda gives
1,769 MB one vCPU); and each email waits on SES and DynamoDB, which the threads overlap, so a
batch waits ceil(B / T) rounds. One sender therefore sends

    s = B / (INVOKE + B * c * max(1, 1769 / M) + ceil(B / T) * WAIT)

emails a second, about 50 at 1,769 MB with 10 threads and 20 at 512 MB with 8. The senders
aim at the campaigns' share of a quota R (pacing.campaign_rate: 97% of what R leaves after
the notices' reserve), which needs ceil(share / (HEADROOM * s)) senders. `make bench` measures
c and the rate the senders reach (docs/benchmarks.md), and fails the sizing if c grows past
CPU_PER_EMAIL.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from .pacing import campaign_rate

ONE_VCPU_MB = 1769  # Lambda allocates CPU in proportion to memory: one vCPU at 1,769 MB
CPU_PER_EMAIL = 0.008  # seconds on one vCPU: subscriber, ledger, compose, SES and boto3 calls
WAIT_PER_ROUND = 0.10  # seconds a thread waits per email: SES's answer and the ledger's writes
INVOKE = 0.02  # seconds per batch: the event source's poll and the invoke
# A batch waits for its slowest record (one SES refused waits out a backoff), pacing spends a
# sender's banked tokens between batches, and the first and last batches run below rate: a
# sender is counted at 75% of what it can send. In the quota benchmark (1,500 recipients at
# R = 200), five senders, counted at 90%, reached 90.6-92.5% of R; six reached 94.0-95.4%.
HEADROOM = 0.75
MIN_SENDERS = 2  # the least maximum concurrency an SQS event source takes
BATCH_SIZE = 10  # the send queue's event source batch (infra/template.yaml, a test checks)

logger = logging.getLogger(__name__)


def cpu_slowdown(memory_mb: int) -> float:
    """How many times longer CPU work takes in a function of `memory_mb` than on one vCPU
    (never faster: Python's one running thread cannot use a second vCPU)."""
    return max(1.0, ONE_VCPU_MB / memory_mb)


@dataclass(frozen=True)
class SenderShape:
    """What one sender function is given: its memory, its threads and its batch of records."""

    memory_mb: int
    threads: int
    batch_size: int = BATCH_SIZE

    def batch_seconds(self, cpu_per_email: float = CPU_PER_EMAIL) -> float:
        """How long one batch takes, from its invoke to its last email's outcome."""
        rounds = math.ceil(self.batch_size / max(1, self.threads))
        cpu = self.batch_size * cpu_per_email * cpu_slowdown(self.memory_mb)
        return INVOKE + cpu + rounds * WAIT_PER_ROUND

    def rate(self, cpu_per_email: float = CPU_PER_EMAIL) -> float:
        """Emails a second one sender sends when nothing else holds it back."""
        return self.batch_size / self.batch_seconds(cpu_per_email)


def senders_needed(quota: float, notice_reserve: float, shape: SenderShape) -> int:
    """The SENDER_CONCURRENCY at which the senders together reach the quota less the notices'
    reserve (never below the event source's least)."""
    wanted = campaign_rate(quota, notice_reserve)
    return max(MIN_SENDERS, math.ceil(wanted / (HEADROOM * shape.rate())))


def warn_if_too_few(
    quota: float, notice_reserve: float, concurrency: int, shape: SenderShape
) -> None:
    """Log one warning, at a sender's cold start, when SENDER_CONCURRENCY senders cannot reach
    the quota (each would pace at a share it cannot send)."""
    needed = senders_needed(quota, notice_reserve, shape)
    if concurrency < needed:
        logger.warning(
            "SENDER_CONCURRENCY is %d, but a quota of %g emails a second needs %d senders of "
            "%d MB with %d threads (about %.0f a second each): campaigns will send at about "
            "%.0f a second; set the template's SenderConcurrency to %d",
            concurrency,
            quota,
            needed,
            shape.memory_mb,
            shape.threads,
            shape.rate(),
            min(campaign_rate(quota, notice_reserve), concurrency * HEADROOM * shape.rate()),
            needed,
        )
