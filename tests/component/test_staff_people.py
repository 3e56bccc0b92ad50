"""Issue 18, items 1 and 2: the data-protection role, and finding one person by their exact
address, with every look-up and action in the audit log by key, never by address."""

from __future__ import annotations

import json

import pytest

from mailer.subscribers.model import Status
from tests.support.data_protection import (
    add_outsider,
    post,
    seed,
    signed_in_as_data_protection,
    signed_in_as_outsider,
    staff_table_text,
)
from tests.support.keys import subscriber_key
from tests.support.mail import Outbox

ANA, BOB = "ana.lima@example.org", "bob@example.org"
DP_BLUEPRINTS = ("staff_people", "staff_suppressions", "staff_imports", "staff_export")


def test_a_look_up_shows_only_the_one_person_asked_for(staff, staff_browser) -> None:
    seed(staff, ANA, name="Ana Lima", organisation="St Mary's School")
    seed(staff, BOB, name="Bob Stone", audience="individuals")
    signed_in_as_data_protection(staff_browser)
    page = post(staff_browser, "/staff/people/", "/staff/people/", email="ANA.LIMA@example.org")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert ANA in html and "Ana Lima" in html and "St Mary&#39;s School" in html
    assert "consent" in html and "form:subscribe-form-2026-12" in html
    assert BOB not in html and "Bob Stone" not in html
    [entry] = [e for e in staff.audit_log.recent() if e.action == "looked up a person"]
    assert entry.detail == {"subscriber": subscriber_key(ANA), "known": "True"}
    assert "ana.lima" not in staff_table_text(staff).lower()


def test_an_unknown_address_says_so_and_nothing_else(staff, staff_browser) -> None:
    seed(staff, ANA, name="Ana Lima")
    signed_in_as_data_protection(staff_browser)
    html = post(staff_browser, "/staff/people/", "/staff/people/", email="nobody@example.org")
    text = html.get_data(as_text=True)
    assert "We hold nothing about that address." in text
    assert "Ana Lima" not in text and "Unsubscribe them" not in text


def test_a_bad_address_gets_a_message_beside_its_field(staff, staff_browser) -> None:
    signed_in_as_data_protection(staff_browser)
    for bad in ("not an address", "a@b\r\nBcc: x@y.org", "x" * 300 + "@example.org", ""):
        response = post(staff_browser, "/staff/people/", "/staff/people/", email=bad)
        html = response.get_data(as_text=True)
        assert response.status_code == 400
        assert 'class="field-error" id="email-error"' in html


def test_a_member_outside_data_protection_gets_403_on_every_new_route(staff, staff_browser) -> None:
    add_outsider(staff)
    signed_in_as_outsider(staff_browser)
    app = staff_browser.application
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.split(".")[0] in DP_BLUEPRINTS]
    assert len(rules) >= 4
    page = staff_browser.get("/staff/").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    for rule in rules:
        path = rule.rule.replace("<batch_id>", "a" * 32).replace("<audience>", "schools")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = staff_browser.open(path, method=method, data={"csrf_token": token})
            assert response.status_code == 403, (method, path, response.status_code)
    assert "Find a person" not in page


def test_anonymous_visitors_are_sent_to_sign_in(staff, staff_browser) -> None:
    assert staff_browser.get("/staff/people/").status_code == 303
    assert staff_browser.post("/staff/people/").status_code in (400, 401)


def test_unsubscribe_export_manage_link_and_erase_are_audited_without_the_address(
    staff, staff_browser, outbox: Outbox
) -> None:
    ana = seed(staff, ANA, name="Ana Lima")
    signed_in_as_data_protection(staff_browser)
    looked = post(staff_browser, "/staff/people/", "/staff/people/", email=ANA)
    token = looked.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1]
    token = token.split('"')[0]
    data = {"csrf_token": token, "subscriber": ana.key}

    exported = staff_browser.post("/staff/people/export", data=data)
    assert exported.status_code == 200 and exported.mimetype == "application/json"
    record = json.loads(exported.get_data(as_text=True))
    assert record["email"] == ANA and record["lawful_basis"] == "consent"
    assert record == staff.subscriptions.export_key(ana.key)  # what the subscriber gets

    sent = staff_browser.post("/staff/people/manage-link", data=data)
    assert "Sent: they will get an email" in sent.get_data(as_text=True)
    assert len(outbox.to(ANA)) == 1 and len(outbox.all()) == 1

    gone = staff_browser.post("/staff/people/unsubscribe", data=data)
    assert "Unsubscribed" in gone.get_data(as_text=True)
    stored = staff.subscriber_store.get(ana.key)
    assert stored.status is Status.UNSUBSCRIBED and stored.withdrawal == "by staff"
    assert stored.withdrawn_at

    refused = staff_browser.post("/staff/people/erase", data=data)
    assert refused.status_code == 400 and "Tick the box" in refused.get_data(as_text=True)
    erased = staff_browser.post("/staff/people/erase", data={**data, "confirm": "y"})
    assert "Erased" in erased.get_data(as_text=True)
    assert staff.subscriber_store.raw(ana.key)["status"] == "erased"
    again = staff_browser.post("/staff/people/erase", data={**data, "confirm": "y"})
    assert "Nothing to erase." in again.get_data(as_text=True)  # safe to press twice

    actions = [e.action for e in staff.audit_log.recent()]
    for action in (
        "looked up a person",
        "exported a person's data",
        "sent a manage link",
        "unsubscribed a person",
        "erased a person",
    ):
        assert action in actions
    assert all(e.detail.get("subscriber") == ana.key for e in staff.audit_log.recent() if e.detail)
    assert "ana.lima" not in staff_table_text(staff).lower()


@pytest.mark.parametrize("field", ["subscriber"])
def test_a_forged_or_missing_key_is_a_400_not_a_500(staff, staff_browser, field) -> None:
    signed_in_as_data_protection(staff_browser)
    for value in ("", "nothex", "a" * 63, "<script>"):
        response = post(
            staff_browser, "/staff/people/", "/staff/people/unsubscribe", **{field: value}
        )
        assert response.status_code == 400
