"""Issue 18, item 5 in the console: declare a list, upload it to S3 by presigned POST, read
the dry run's report, import; every step audited by batch; bad input beside its field."""

from __future__ import annotations

import re

import requests

from tests.support.data_protection import post, signed_in_as_data_protection, staff_table_text
from tests.support.imports import HEADER
from tests.support.keys import subscriber_key
from tests.support.mail import Outbox

SOURCE = "Sign-up sheets from our 2026 spring conference, consent box ticked"
FILE = HEADER + "kim@example.org,schools,,Kim,,2026-03-01,\nask@example.org,schools,,,,,\n"


def _declared(client, **fields) -> str:
    response = post(client, "/staff/imports/", "/staff/imports/", source=SOURCE, **fields)
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"]


def test_declare_upload_dry_run_and_import(staff, staff_browser, outbox: Outbox) -> None:
    signed_in_as_data_protection(staff_browser)
    location = _declared(staff_browser, basis="consent")
    page = staff_browser.get(location)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in html
    assert "form-action 'self' https://test-imports.s3" in page.headers["Content-Security-Policy"]
    action = re.search(r'<form method="post" action="([^"]+)" enctype', html)[1]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))
    fields = {k: v.replace("&#34;", '"').replace("&amp;", "&") for k, v in fields.items()}
    uploaded = requests.post(
        action,
        data=fields,
        files={"file": ("list.csv", FILE.encode())},
        allow_redirects=False,
        timeout=10,
    )
    assert uploaded.status_code in (200, 204, 303), uploaded.text
    page = staff_browser.get(location).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    ran = staff_browser.post(location + "/dry-run", data={"csrf_token": token})
    assert ran.status_code == 303
    report = staff_browser.get(location).get_data(as_text=True)
    assert "done: 2 row(s) read" in report and "missing evidence" in report
    assert "kim@example.org" not in report  # the report names lines, never addresses
    assert outbox.all() == []
    imported = staff_browser.post(location + "/import", data={"csrf_token": token})
    assert imported.status_code == 303
    staff_browser.post(location + "/import", data={"csrf_token": token})  # a double click
    assert staff.subscriber_store.get(subscriber_key("kim@example.org")).basis == "consent"
    assert len(outbox.to("ask@example.org")) == 1 and len(outbox.all()) == 1
    csv_report = staff_browser.get(location + "/report.csv").get_data(as_text=True)
    assert csv_report.splitlines() == [
        "line,outcome,reason",
        "2,new,",
        "3,missing evidence,no consented_at date",
    ]
    actions = [e.action for e in staff.audit_log.recent()]
    for action in ("declared an import", "started an import's dry run", "started an import"):
        assert action in actions
    assert "kim@" not in staff_table_text(staff)


def test_a_soft_opt_in_without_the_statement_is_refused_beside_its_field(
    staff, staff_browser
) -> None:
    signed_in_as_data_protection(staff_browser)
    refused = post(
        staff_browser, "/staff/imports/", "/staff/imports/", source=SOURCE, basis="soft-opt-in"
    )
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and 'id="collected_directly-error"' in html
    assert "soft opt-in applies only to details we collected directly" in html
    short = post(staff_browser, "/staff/imports/", "/staff/imports/", source="a list", basis="x")
    assert short.status_code == 400 and 'id="source-error"' in short.get_data(as_text=True)


def test_the_import_needs_its_dry_run_first_and_unknown_batches_are_404(
    staff, staff_browser
) -> None:
    signed_in_as_data_protection(staff_browser)
    location = _declared(staff_browser, basis="corporate")
    page = staff_browser.get(location).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    early = staff_browser.post(location + "/import", data={"csrf_token": token})
    assert early.status_code == 400
    no_file = staff_browser.post(location + "/dry-run", data={"csrf_token": token})
    assert no_file.status_code == 303
    failed = staff_browser.get(location).get_data(as_text=True)
    assert "No file has been uploaded for this import yet." in failed
    assert staff_browser.get("/staff/imports/" + "f" * 32).status_code == 404
    assert staff_browser.get("/staff/imports/../../x").status_code == 404
