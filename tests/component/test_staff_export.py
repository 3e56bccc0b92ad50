"""Issue 18, item 6: a group's CSV for data-protection staff: confirmed people only, with topics,
basis and source; formulas neutralised; erased people never in it; audited."""

from __future__ import annotations

import csv
import io

from mailer.subscribers.export import neutralise
from mailer.subscribers.model import Status
from tests.support.data_protection import post, seed, signed_in_as_data_protection
from tests.support.keys import subscriber_key


def test_the_export_neutralises_formulas_and_leaves_out_the_erased(staff, staff_browser) -> None:
    seed(staff, "ana@example.org", name='=HYPERLINK("http://evil.example","click")')
    seed(staff, "bo@example.org", name="Bo", organisation="+44 school", topics=())
    seed(staff, "cy@example.org", name="Cy")
    staff.subscriptions.erase_key(subscriber_key("cy@example.org"))
    seed(staff, "di@example.org", name="Di", status=Status.UNSUBSCRIBED)
    seed(staff, "ed@example.org", name="Ed", audience="individuals")
    signed_in_as_data_protection(staff_browser)
    response = post(staff_browser, "/staff/export/", "/staff/export/", audience="schools")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert sorted(r["email"] for r in rows) == ["ana@example.org", "bo@example.org"]
    by_email = {r["email"]: r for r in rows}
    assert by_email["ana@example.org"]["name"] == '\'=HYPERLINK("http://evil.example","click")'
    assert by_email["bo@example.org"]["organisation"] == "'+44 school"
    assert by_email["bo@example.org"]["topics"] == "all"
    assert by_email["ana@example.org"]["lawful_basis"] == "consent"
    [entry] = [e for e in staff.audit_log.recent() if e.action == "exported a group"]
    assert entry.detail == {"group": "schools", "subscribers": "2"}
    bad = post(staff_browser, "/staff/export/", "/staff/export/", audience="nobody")
    assert bad.status_code == 400


def test_neutralise() -> None:
    for cell in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(cell) == "'" + cell
    assert neutralise("Ana") == "Ana" and neutralise("") == ""
