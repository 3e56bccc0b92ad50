"""Scheduling in the console (issue 17, item 4): a sender schedules an approved draft for a day
and a time in London, moves it and takes it off, each act audited; a bad day or time is a
message beside its field with nothing changed; only senders may."""

from __future__ import annotations

import datetime as dt
import html as html_module
import re

import pytest

from mailer.campaigns.drafts import DraftState
from mailer.campaigns.send_time import LONDON
from mailer.container import Container
from tests.support.drafts import press, start_draft
from tests.support.mail import sent_mail
from tests.support.staff import CHOSEN, EDITOR, sign_in


def approved(sender) -> str:
    """An approved announcement draft's page."""
    draft = start_draft(sender)
    assert press(sender, draft, "approve").status_code == 303
    return draft


def schedules(container: Container) -> list[dict]:
    """The campaign schedules moto holds."""
    scheduler = container.clients.scheduler
    group = container.settings.campaign_schedule_group
    return [
        scheduler.get_schedule(Name=s["Name"], GroupName=group)
        for s in scheduler.list_schedules(GroupName=group)["Schedules"]
    ]


def text(response) -> str:
    return html_module.unescape(response.get_data(as_text=True))


def test_a_sender_schedules_moves_and_unschedules_an_approved_draft(sender, people) -> None:
    draft = approved(sender)
    page = text(sender.get(draft))
    tomorrow = dt.datetime.now(LONDON).date() + dt.timedelta(days=1)
    assert "Or have it sent at a time you choose" in page
    assert f'value="{tomorrow.isoformat()}"' in page and 'value="09:00"' in page  # prefilled

    response = press(sender, draft, "schedule", day=tomorrow.isoformat(), time="09:00")
    assert response.status_code == 303
    page = text(sender.get(draft))
    words = f"{tomorrow:%A} {tomorrow.day} {tomorrow:%B %Y} at 09:00"
    assert f"Scheduled: it goes out on {words}" in page
    assert "This draft is <strong>scheduled</strong>" in page and "The schedule is set." in page
    assert "Save the draft" not in page and "cannot be edited: unschedule it first" in page
    assert "Send to " not in page and "Send the test" in page  # tests still allowed
    [held] = schedules(people)
    nine = dt.datetime.combine(tomorrow, dt.time(9), LONDON).astimezone(dt.UTC)
    assert held["ScheduleExpression"] == f"at({nine:%Y-%m-%dT%H:%M:%S})"

    later = tomorrow + dt.timedelta(days=2)
    assert press(sender, draft, "schedule", day=later.isoformat(), time="14:30").status_code == 303
    assert f"{later.day} {later:%B %Y} at 14:30" in text(sender.get(draft))
    [held] = schedules(people)
    half_two = dt.datetime.combine(later, dt.time(14, 30), LONDON).astimezone(dt.UTC)
    assert held["ScheduleExpression"] == f"at({half_two:%Y-%m-%dT%H:%M:%S})"

    assert press(sender, draft, "unschedule").status_code == 303
    page = text(sender.get(draft))
    assert "Unscheduled: it is still approved" in page
    assert "This draft is <strong>approved</strong>" in page and "Send to 2 people" in page
    assert schedules(people) == []
    actions = [entry.action for entry in people.audit_log.recent()[:3]]
    assert actions == ["unscheduled a draft", "rescheduled a draft", "scheduled a draft"]
    assert sent_mail() == []


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"day": "", "time": "09:00"}, "day", "Choose the day it goes out."),
        ({"day": "2026-13-40", "time": "09:00"}, "day", "Not a valid date value."),
        ({"day": "2027-01-05", "time": ""}, "time", "Choose the time it goes out, like 09:00."),
        ({"day": "2020-01-05", "time": "09:00"}, "time", "at least a minute from now"),
        ({"day": "2027-03-28", "time": "01:30"}, "time", "the clocks go forward"),
    ],
)
def test_a_bad_day_or_time_is_a_message_beside_its_field_and_nothing_changes(
    sender, people, fields, field, message
) -> None:
    draft = approved(sender)
    response = press(sender, draft, "schedule", **fields)
    page = text(response)
    assert response.status_code == 400, page
    assert "Nothing was scheduled" in page
    beside = re.search(rf'id="schedule-{field}-error">([^<]*)<', page)
    assert beside and message in beside[1]
    if fields["day"]:
        assert f'value="{fields["day"]}"' in page  # what was typed is kept
    assert people.drafts.get(draft.rsplit("/", 1)[1]).state is DraftState.APPROVED
    assert schedules(people) == []


def test_only_a_sender_may_schedule_or_unschedule(staff_browser, people) -> None:
    people.clients.cognito.admin_set_user_password(
        UserPoolId=people.settings.staff_user_pool_id,
        Username=EDITOR,
        Password=CHOSEN,
        Permanent=True,
    )
    assert sign_in(staff_browser, EDITOR, CHOSEN).status_code == 303
    draft = start_draft(staff_browser)
    draft_id = draft.rsplit("/", 1)[1]
    people.approvals.approve(people.drafts.get(draft_id), "sender@charity.example.org")
    assert "Or have it sent at a time you choose" not in text(staff_browser.get(draft))
    for action in ("schedule", "unschedule"):
        response = press(staff_browser, draft, action, day="2027-01-05", time="09:00")
        assert response.status_code == 403
    assert people.drafts.get(draft_id).state is DraftState.APPROVED
    assert schedules(people) == []
