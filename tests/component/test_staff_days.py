"""Issue 17, item 2: staff add and edit awareness days in the console, under the days file's own
rules (each problem beside its field, everything typed kept, nothing stored until all is
right), stored beside the resources as the console's, so sync never overwrites them."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from click.testing import CliRunner

from mailer.catalogue.awareness import days_within
from mailer.cli.main import main
from mailer.container import Container
from tests.support.staff import signed_in_as_sender, submit

NEW = {
    "id": "anti-slavery-sunday",
    "name": "A day our partners keep",
    "yearly": "10-12",
    "audiences": ["faith-groups"],
    "resources": "one-day-at-a-time-2022, safe-homes",
    "line": "A day to pray and talk about modern slavery.",
    "source": "Our partners' calendar, as they publish it",
}


@pytest.fixture
def signed_in(staff: Container, staff_browser, staff_clock):
    """A member of staff, signed in, with the file's days synced in."""
    staff.awareness_day_store.sync(staff.awareness_days_file())
    signed_in_as_sender(staff_browser)
    staff_clock.advance(1)
    return staff_browser


def add(client, **changes):
    page = client.get("/staff/days/new").get_data(as_text=True)
    return submit(client, "/staff/days/new", page, **{**NEW, **changes})


def _beside(html: str, field: str) -> str:
    match = re.search(rf'<p class="field-error" id="{field}-error">([^<]+)</p>', html)
    return match[1] if match else ""


def test_the_list_shows_the_files_days_in_calendar_order(signed_in) -> None:
    html = signed_in.get("/staff/days/").get_data(as_text=True)
    names = re.findall(r"<h2>([^<]+)</h2>", html)
    assert names == [
        "World Day against Trafficking in Persons",
        "Anti-Slavery Day",
        "International Day for the Abolition of Slavery",
    ]
    assert "Source: Anti-Slavery Day Act 2010" in html and "18 October, every year" in html


def test_an_added_day_is_stored_audited_and_found_by_days_within(
    signed_in, staff: Container
) -> None:
    response = add(signed_in)
    assert response.status_code == 303, response.get_data(as_text=True)
    stored = staff.awareness_day_store.get(NEW["id"], staff.vocabulary)
    assert stored is not None and stored.resources == ("one-day-at-a-time-2022", "safe-homes")
    assert staff.audit_log.recent()[0].action == "added an awareness day"
    assert staff.audit_log.recent()[0].detail == {"day": NEW["id"]}
    upcoming = days_within(staff.awareness_days(), dt.date(2026, 10, 1), audience="faith-groups")
    assert [o.day.id for o in upcoming] == [NEW["id"], "anti-slavery-day"]
    again = add(signed_in)
    assert "A day with this id exists already" in _beside(again.get_data(as_text=True), "id")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"resources": "safe-homes, no-such-resource"}, "resources", "Unknown resource id"),
        ({"yearly": "18-10"}, "yearly", "Must be a day of the year written MM-DD"),
        ({"yearly": "", "date": ""}, "yearly", "Give the day either as"),
        ({"date": "2027-10-12"}, "yearly", "not both"),
        ({"date": "31/02/2027", "yearly": ""}, "date", "Not a valid date value"),
        ({"audiences": []}, "audiences", ""),
        ({"line": "Pray\x0cand talk about modern slavery."}, "line", "form feed"),
        ({"name": "Two\nlines"}, "name", "line break"),
        ({"source": ""}, "source", "Too short"),
        ({"id": "Not A Slug"}, "id", "Must be a slug"),
    ],
)
def test_bad_input_gets_a_message_beside_its_field_and_stores_nothing(
    signed_in, staff: Container, changes: dict, field: str, message: str
) -> None:
    response = add(signed_in, **changes)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in _beside(html, field), _beside(html, field) or html
    kept = NEW["line"] if field != "line" else NEW["name"]
    assert f'value="{kept}"' in html  # what was typed is kept
    assert staff.awareness_day_store.get(NEW["id"], staff.vocabulary) is None


def test_editing_keeps_the_id_and_sync_never_overwrites_it(signed_in, staff: Container) -> None:
    page = signed_in.get("/staff/days/anti-slavery-day/edit").get_data(as_text=True)
    assert 'value="Anti-Slavery Day Act 2010"' in page
    saved = submit(
        signed_in,
        "/staff/days/anti-slavery-day/edit",
        page,
        **{**NEW, "id": "something-else", "name": "Anti-Slavery Day (UK)"},
    )
    assert saved.status_code == 303
    edited = staff.awareness_day_store.get("anti-slavery-day", staff.vocabulary)
    assert edited is not None and edited.name == "Anti-Slavery Day (UK)"
    assert staff.awareness_day_store.get("something-else", staff.vocabulary) is None
    assert staff.audit_log.recent()[0].action == "edited an awareness day"
    result = CliRunner().invoke(main, ["catalogue", "sync"], obj=staff)
    assert result.exit_code == 0, result.output
    assert "awareness days: added 0, updated 0, removed 0, unchanged 2, kept 1" in result.output
    kept = staff.awareness_day_store.get("anti-slavery-day", staff.vocabulary)
    assert kept is not None and kept.name == "Anti-Slavery Day (UK)"
    assert len(staff.resources()) == 16  # the days never show up as resources


def test_without_the_csrf_token_nothing_is_saved(signed_in, staff: Container) -> None:
    response = signed_in.post("/staff/days/new", data=NEW)
    assert response.status_code == 400
    assert staff.awareness_day_store.get(NEW["id"], staff.vocabulary) is None
    assert signed_in.get("/staff/days/no-such-day/edit").status_code == 404
    assert signed_in.get("/staff/days/" + "x" * 300 + "/edit").status_code == 404
