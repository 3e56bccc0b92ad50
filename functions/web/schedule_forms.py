"""The form a sender schedules an approved draft with: a day and a time on London's clock."""

from __future__ import annotations

import datetime as dt
from typing import Any

from wtforms import DateField, TimeField
from wtforms.validators import InputRequired

from mailer.campaigns.digests import draft_period
from mailer.campaigns.drafts import Draft
from mailer.campaigns.model import Kind
from mailer.campaigns.send_time import LONDON

from .staff_forms import DraftVersionForm

USUAL_HOUR = dt.time(9, 0)  # the digest's own hour on the 1st: what a sender most often means


class ScheduleForm(DraftVersionForm):
    """When an approved draft goes out (London time)."""

    day = DateField("Day", validators=[InputRequired(message="Choose the day it goes out.")])
    time = TimeField(
        "Time (London)",
        validators=[InputRequired(message="Choose the time it goes out, like 09:00.")],
    )


def schedule_form(draft: Draft, now: dt.datetime, data: Any = None) -> ScheduleForm:
    """The form as posted (`data`), or filled in: the time it is scheduled for, else 09:00 on
    the digest's 1st (if still ahead) or tomorrow."""
    form = ScheduleForm(data)
    form.version.data = str(draft.version)
    if data is not None:
        return form
    if draft.scheduled_for:
        local = dt.datetime.fromisoformat(draft.scheduled_for).astimezone(LONDON)
        form.day.data, form.time.data = local.date(), local.time().replace(second=0)
        return form
    tomorrow = now.astimezone(LONDON).date() + dt.timedelta(days=1)
    first = draft_period(draft).start if draft.kind is Kind.DIGEST else tomorrow
    form.day.data, form.time.data = max(first, tomorrow), USUAL_HOUR
    return form
