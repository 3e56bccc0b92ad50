"""The senders' sizing: one sender's rate from its shape, the senders a quota needs, and the
template sized by the same rule."""

from __future__ import annotations

import re

import pytest

from mailer.campaigns.sizing import BATCH_SIZE, SenderShape, senders_needed
from mailer.local.template import Template, default_template_path

TEMPLATE = Template.load(default_template_path())
PARAMETERS = TEMPLATE.data["Parameters"]
SENDER = TEMPLATE.resources["DigestSenderFunction"]["Properties"]
DEPLOYED = SenderShape(int(SENDER["MemorySize"]), int(PARAMETERS["SenderThreads"]["Default"]))


def test_one_vcpu_with_a_thread_a_record_sends_fifty_a_second_and_512_mb_twenty() -> None:
    assert SenderShape(1769, 10).batch_seconds() == pytest.approx(0.02 + 0.08 + 0.10)
    assert SenderShape(1769, 10).rate() == pytest.approx(50.0)
    # 512 MB is 0.29 of a vCPU, and 8 threads make a batch of 10 two rounds of waiting
    assert SenderShape(512, 8).rate() == pytest.approx(10 / (0.02 + 0.08 * 1769 / 512 + 0.2))
    assert SenderShape(3538, 10).rate() == SenderShape(1769, 10).rate()  # one thread runs
    assert SenderShape(1769, 10).rate(cpu_per_email=0.016) < SenderShape(1769, 10).rate()


@pytest.mark.parametrize(
    ("quota", "senders"), [(14, 2), (50, 2), (78, 2), (79, 3), (200, 6), (1000, 26)]
)
def test_the_senders_a_quota_needs_at_one_vcpu(quota: float, senders: int) -> None:
    assert senders_needed(quota, 1.0, SenderShape(1769, 10)) == senders


def test_fewer_vcpus_need_more_senders_and_a_sandbox_still_gets_the_least_two() -> None:
    assert senders_needed(200, 1.0, SenderShape(512, 8)) == 13
    assert senders_needed(1, 5.0, SenderShape(1769, 10)) == 2


def test_the_template_deploys_the_shape_the_sizing_assumes() -> None:
    source = SENDER["Events"]["SendQueue"]["Properties"]
    assert source["BatchSize"] == BATCH_SIZE == DEPLOYED.batch_size
    assert SenderShape(1769, 10) == DEPLOYED  # one vCPU, one thread a record
    quota = float(PARAMETERS["MaxSendRate"]["Default"])
    reserve = float(PARAMETERS["NoticeReserveRate"]["Default"])
    concurrency = PARAMETERS["SenderConcurrency"]
    assert concurrency["Default"] == senders_needed(quota, reserve, DEPLOYED)
    assert concurrency["MinValue"] == senders_needed(1, reserve, DEPLOYED)


def test_the_templates_sizing_table_is_the_codes() -> None:
    """The description's "2 up to R = 78, 6 at 200, 26 at 1,000" is what the code computes."""
    description = " ".join(PARAMETERS["SenderConcurrency"]["Description"].split())
    table = re.search(r"(\d+) up to R = (\d+), (\d+) at (\d+), (\d+) at ([\d,]+)", description)
    assert table, description
    low, up_to, mid, at_mid, high, at_high = (int(g.replace(",", "")) for g in table.groups())
    assert senders_needed(up_to, 1.0, DEPLOYED) == low < senders_needed(up_to + 1, 1.0, DEPLOYED)
    assert senders_needed(at_mid, 1.0, DEPLOYED) == mid
    assert senders_needed(at_high, 1.0, DEPLOYED) == high
    assert f"about {DEPLOYED.rate():.0f} emails a second" in description
