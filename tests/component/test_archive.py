"""Issue 17, items 6 and 7: every sent campaign, per group, as a public page at the address its
email links to, with no subscriber's address, name, key or link in it; an index per group,
newest first; Atom feeds a feed parser reads as valid; staff (senders only) hide a campaign."""

from __future__ import annotations

import json
import re
from typing import Any

import feedparser
import pytest

from mailer.campaigns.archive import archive_path
from mailer.campaigns.model import Period
from mailer.container import Container
from tests.support.digest import PEOPLE, add_people, drain_queue
from tests.support.mail import sent_mail
from tests.support.staff import CHOSEN, EDITOR, sign_in, signed_in_as_sender, submit

DEC = Period(2026, 12)
DIGEST = f"digest#{DEC}"
SCHOOLS_PAGE = "/archive/schools/digest-2026-12"


@pytest.fixture
def sent(staff: Container) -> Container:
    """December's digest sent to the usual five subscribers."""
    add_people(staff.subscriber_store)
    staff.planner.plan(staff.planner.digest(DEC))
    drain_queue(staff)
    return staff


def _subscribers_traces(container: Container) -> list[str]:
    """Everything of every subscriber that must never reach a public page: addresses, names,
    keys and link ids (the part of every token that names a person)."""
    traces = []
    for address, *_ in PEOPLE:
        subscriber = container.subscriber_store.get(container.keys.key(address))
        assert subscriber is not None
        traces += [subscriber.email, subscriber.key, subscriber.link_id]
        traces += [subscriber.name] if subscriber.name else []
    return traces


def _body(client: Any, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    return response.get_data(as_text=True)


def test_each_email_links_to_its_groups_page_which_shows_what_was_sent(
    sent: Container, staff_browser
) -> None:
    amal = next(m for m in sent_mail() if m.to == "amal@example.org")
    link = re.search(r'href="([^"]+)"[^>]*>View this email in your browser<', amal.html)
    assert link and link[1] == sent.settings.site_url + SCHOOLS_PAGE
    assert f"View this email in your browser: {link[1]}" in amal.text
    page = _body(staff_browser, SCHOOLS_PAGE)
    assert "December 2026 digest for schools" in page
    for title in re.findall(r'<h2[^>]*><a href="[^"]+"[^>]*>([^<]+)</a>', amal.html):
        assert title in page
    assert "/unsubscribe/" not in page and "/preferences/" not in page
    assert "https://" in page  # the resources' own links work


def test_no_page_or_feed_carries_an_address_a_name_a_key_or_a_link_id(
    sent: Container, staff_browser
) -> None:
    pages = [
        _body(staff_browser, path)
        for path in (
            "/archive/",
            *(f"/archive/{a}/" for a in sent.vocabulary.audiences),
            *(archive_path(a, DIGEST) for a in ("schools", "faith-groups", "individuals")),
            *(f"/feeds/{a}.atom" for a in sent.vocabulary.audiences),
        )
    ]
    stored = json.dumps(
        sent.table(sent.settings.campaigns_table).resource.query(
            KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": "archive#schools"}
        )["Items"],
        default=str,
    )
    for trace in _subscribers_traces(sent):
        assert not [p for p in [*pages, stored] if trace in p], trace
    assert not [p for p in pages if re.search(r"/(unsubscribe|preferences|confirm)/", p)]


def test_the_index_is_newest_first_and_linked_from_the_catalogue(
    sent: Container, staff_browser, staff_clock
) -> None:
    staff_clock.advance(3600)
    sent.planner.plan(sent.planner.announcement("real-people-real-lives-2019", ["schools"]))
    index = _body(staff_browser, "/archive/schools/")
    names = re.findall(r'<h2><a href="/archive/schools/[^"]+">([^<]+)</a>', index)
    assert names == [
        "Announcement: Real people, real lives: ten years of advocacy for victims of slavery "
        "in the UK",
        "December 2026 digest",
    ]
    catalogue = _body(staff_browser, "/")
    assert 'href="/archive/schools/"' in catalogue and 'href="/archive/faith-groups/"' in catalogue


def test_starting_a_campaign_twice_archives_it_once(sent: Container) -> None:
    campaign = sent.campaigns.get(DIGEST)
    assert campaign is not None
    assert sent.archive.record(campaign) == []
    sent.planner.plan(campaign)
    assert [e.slug for e in sent.archive.entries("schools")] == ["digest-2026-12"]


def test_feeds_are_valid_atom_with_new_resources_and_archived_emails(
    sent: Container, staff_browser
) -> None:
    response = staff_browser.get("/feeds/schools.atom")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.get_data())
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    links = [e.link for e in feed.entries]
    assert sent.settings.site_url + SCHOOLS_PAGE in links
    schools = [r for r in sent.resources() if "schools" in r.audiences]
    assert {r.url or f"{sent.settings.site_url}/resources/{r.id}" for r in schools} <= set(links)
    faith_only = [r for r in sent.resources() if r.audiences == ("faith-groups",)]
    assert not [r for r in faith_only if r.title in response.get_data(as_text=True)]
    updated = [e.updated_parsed for e in feed.entries]
    assert updated == sorted(updated, reverse=True)
    rels = {link.rel: link.href for link in feed.feed.links}
    assert rels["self"] == sent.settings.site_url + "/feeds/schools.atom"
    assert rels["alternate"] == sent.settings.site_url + "/archive/schools/"
    for path in ("/", "/archive/", "/archive/schools/", SCHOOLS_PAGE, "/resources/safe-homes"):
        assert re.search(
            r'<link rel="alternate" type="application/atom\+xml" [^>]*href="/feeds/[a-z-]+\.atom"',
            _body(staff_browser, path),
        ), path


def test_a_sender_hides_a_campaign_and_shows_it_again(
    sent: Container, staff_browser, staff
) -> None:
    page_url = "/staff/campaigns/digest%232026-12"
    staff.clients.cognito.admin_set_user_password(
        UserPoolId=staff.settings.staff_user_pool_id,
        Username=EDITOR,
        Password=CHOSEN,
        Permanent=True,
    )
    assert sign_in(staff_browser, EDITOR, CHOSEN).status_code == 303
    page = _body(staff_browser, page_url)
    assert "Hide it from the archive" not in page  # not a sender: no button
    assert submit(staff_browser, f"{page_url}/archive/hide", page).status_code == 403
    staff_browser.delete_cookie("staff_session", path="/staff")
    signed_in_as_sender(staff_browser)
    page = _body(staff_browser, page_url)
    assert staff_browser.post(f"{page_url}/archive/hide").status_code == 400  # no CSRF token
    assert _body(staff_browser, SCHOOLS_PAGE)
    hidden = submit(staff_browser, f"{page_url}/archive/hide", page)
    assert hidden.status_code == 303
    assert "This email is not in our archive" in _body(staff_browser, SCHOOLS_PAGE, 404)
    assert "December 2026 digest" not in _body(staff_browser, "/archive/schools/")
    assert SCHOOLS_PAGE not in _body(staff_browser, "/feeds/schools.atom")
    page = _body(staff_browser, page_url)
    assert "Show it in the archive again" in page
    again = submit(staff_browser, f"{page_url}/archive/hide", page)
    assert "Nothing to hide" in _body(staff_browser, again.headers["Location"])
    sent.planner.plan(sent.campaigns.get(DIGEST))  # a repeated start never shows it again
    assert sent.archive.entry("schools", "digest-2026-12").hidden
    submit(staff_browser, f"{page_url}/archive/show", page)
    assert _body(staff_browser, SCHOOLS_PAGE)
    actions = [(e.action, e.detail) for e in staff.audit_log.recent()][:2]
    assert actions == [
        (
            "showed a campaign in the archive",
            {"campaign": DIGEST, "groups": "schools, faith-groups, individuals"},
        ),
        (
            "hid a campaign from the archive",
            {"campaign": DIGEST, "groups": "schools, faith-groups, individuals"},
        ),
    ]


@pytest.mark.parametrize(
    "path",
    [
        "/archive/parents/",
        "/archive/parents/digest-2026-12",
        "/archive/schools/digest-2026-13",
        "/archive/schools/announcement-no-such-thing",
        "/archive/schools/" + "a" * 500,
        "/feeds/parents.atom",
        "/feeds/schools.rss",
    ],
)
def test_unknown_groups_and_emails_say_so(sent: Container, staff_browser, path: str) -> None:
    assert staff_browser.get(path).status_code == 404
