"""A month's digest has one id for people, 'digest#2026-12', draft and campaign alike; the
commands also take its draft's key, 'digest202612'. Every other id names itself."""

from __future__ import annotations

import pytest

from mailer.campaigns.digests import campaign_id_of, draft_id_of, shown_id
from mailer.campaigns.drafts import Draft
from mailer.campaigns.model import Kind


@pytest.mark.parametrize(
    ("typed", "draft", "campaign"),
    [
        ("digest#2026-12", "digest202612", "digest#2026-12"),
        ("digest202612", "digest202612", "digest#2026-12"),
        ("a1b2c3d4e5", "a1b2c3d4e5", "a1b2c3d4e5"),  # an announcement's draft
        ("announcement#safe-homes#a1b2c3d4e5",) * 3,
        ("digest#2026-13",) * 3,  # no such month: no digest's id, so "no draft", "no campaign"
        ("digest202613",) * 3,
        ("digest#26-12",) * 3,
    ],
)
def test_an_id_names_the_draft_and_the_campaign_it_should(
    typed: str, draft: str, campaign: str
) -> None:
    assert draft_id_of(typed) == draft
    assert campaign_id_of(typed) == campaign


def test_a_digests_draft_shows_its_campaigns_id_an_announcements_its_own() -> None:
    digest = Draft(
        id="digest202612", resource_id="", audiences=(), kind=Kind.DIGEST, period="2026-12"
    )
    assert shown_id(digest) == "digest#2026-12"
    announcement = Draft(id="a1b2c3d4e5", resource_id="safe-homes", audiences=("schools",))
    assert shown_id(announcement) == "a1b2c3d4e5"
