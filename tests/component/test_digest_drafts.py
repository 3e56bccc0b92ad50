"""The monthly digest as a draft (issue 16 item 4): prepared in its review window with the
senders told, edited by staff, approved (frozen) by a sender, sent on the 1st as approved; with
no approval, sent as prepared without what no sender reviewed, or held."""

from __future__ import annotations

import datetime as dt

import pytest

from mailer.campaigns.digests import digest_draft_id
from mailer.campaigns.drafts import DraftState
from mailer.campaigns.model import Period
from mailer.catalogue.schema import Resource
from mailer.container import Container
from tests.support.digest import FakeClock, add, add_people, drain_queue
from tests.support.mail import sent_mail
from tests.support.staff import EDITOR, SENDER

JANUARY = Period(2027, 1)
DEC_20 = dt.datetime(2026, 12, 20, 8, tzinfo=dt.UTC).timestamp()
DAY = 24 * 3600.0


@pytest.fixture
def desk(staff: Container, staff_clock: FakeClock) -> Container:
    """The staff container on 20 December 2026 (January's window opens on the 25th), with the
    usual subscribers and Fay (faith groups, every topic)."""
    staff_clock.now = DEC_20
    add_people(staff.subscriber_store)
    add(staff.subscriber_store, "fay@example.org", "faith-groups", (), "Fay")
    return staff


def resource(desk: Container, rid: str, title: str, **changes: object) -> Resource:
    """A faith-group resource added on 20 December (new in January's digest)."""
    fields = {
        "id": rid,
        "title": title,
        "summary": f"{title}: a summary long enough for the catalogue's minimum.",
        "url": f"https://www.antislavery.org/{rid}",
        "published": "2026-12",
        "type": "briefing",
        "publisher": "Anti-Slavery International",
        "audiences": ["faith-groups"],
        "topics": ["survivor-voice"],
        "added": "2026-12-20",
        **changes,
    }
    return Resource.model_validate(fields, context={"vocabulary": desk.vocabulary})


def to(address: str) -> list:
    return [m for m in sent_mail() if m.to == address]


def test_the_draft_is_prepared_once_in_its_window_and_only_the_senders_are_told(
    desk, staff_clock
) -> None:
    assert desk.digests.daily()["status"] == "nothing to do"
    assert desk.drafts.get(digest_draft_id(JANUARY)) is None
    staff_clock.advance(5 * DAY)  # 25 December: seven days before the 1st
    assert desk.digests.daily() == {"status": "prepared", "draft": "digest202701"}
    assert desk.digests.daily()["status"] == "ready"  # the schedule again: nothing new
    [notice] = sent_mail()
    assert notice.to == SENDER and notice.subject == "The January 2027 digest is ready for review"
    assert "/staff/drafts/digest202701" in notice.text and "1 January 2027" in notice.text
    assert to(EDITOR) == []  # not in the senders group
    draft = desk.drafts.get("digest202701")
    assert draft.state is DraftState.DRAFT and draft.period == "2027-01"


def test_unapproved_it_goes_out_as_prepared_without_what_no_sender_reviewed(
    desk, staff_clock
) -> None:
    store = desk.catalogue_store
    store.save(resource(desk, "reviewed-guide", "A reviewed guide"))  # a sender's
    store.save(
        resource(desk, "an-editors-note", "An editor's note"), review="member", member=EDITOR
    )
    changed = resource(desk, "reviewed-guide", "A retitled guide")
    store.save(changed, review="member", member=EDITOR)
    draft, _ = desk.digests.prepare(JANUARY)
    marked = {s.resource.id: s.unreviewed for s in desk.digests.view(draft).unreviewed}
    assert marked["an-editors-note"].change == "added" and marked["an-editors-note"].by == EDITOR
    assert marked["reviewed-guide"].change == "changed"
    assert marked["reviewed-guide"].reviewed.title == "A reviewed guide"

    staff_clock.now = dt.datetime(2027, 1, 1, 9, tzinfo=dt.UTC).timestamp()
    started = desk.digests.start(JANUARY)
    assert started.status == "sent as prepared"
    drain_queue(desk)
    [fay] = to("fay@example.org")
    assert "A reviewed guide" in fay.text  # the version a sender saw
    assert "A retitled guide" not in fay.text and "An editor's note" not in fay.text
    assert desk.drafts.get(draft.id).state is DraftState.SENT
    assert desk.digests.start(JANUARY).status == "resumed"  # the schedule again
    assert drain_queue(desk) == [] and len(to("fay@example.org")) == 1


def test_a_senders_approval_reviews_what_it_shows_and_later_edits_change_nothing(
    desk, staff_clock
) -> None:
    store = desk.catalogue_store
    store.save(
        resource(desk, "an-editors-note", "An editor's note"), review="member", member=EDITOR
    )
    draft, _ = desk.digests.prepare(JANUARY)
    approved = desk.digests.approve(draft, SENDER)
    assert approved.state is DraftState.APPROVED
    assert store.get_stored("an-editors-note", desk.vocabulary).unreviewed is None
    # After approval the editor changes it again: waits for a sender, and January is frozen.
    later = resource(desk, "an-editors-note", "A changed note")
    store.save(later, review="member", member=EDITOR)
    assert store.get_stored("an-editors-note", desk.vocabulary).unreviewed.change == "changed"

    staff_clock.now = dt.datetime(2027, 1, 1, 9, tzinfo=dt.UTC).timestamp()
    assert desk.digests.start(JANUARY).status == "sent as approved"
    drain_queue(desk)
    [fay] = to("fay@example.org")
    assert "An editor's note" in fay.text and "A changed note" not in fay.text


def test_staff_order_removals_and_additions_are_what_each_group_gets(desk, staff_clock) -> None:
    store = desk.catalogue_store
    store.save(resource(desk, "first-new-guide", "First new guide"))
    store.save(resource(desk, "second-new-guide", "Second new guide"))
    draft, _ = desk.digests.prepare(JANUARY)
    group = desk.digests.view(draft).groups["faith-groups"]
    assert set(group.featured_ids) == {"first-new-guide", "second-new-guide"}
    older = "one-day-at-a-time-2022"  # an older faith-groups resource, added by hand
    saved = desk.digests.save(
        draft,
        order={"faith-groups": ["second-new-guide", older]},
        removed={"faith-groups": ["first-new-guide"]},
        subjects={"faith-groups": "Three things for your congregation"},
        member=EDITOR,
    )
    view = desk.digests.view(saved)
    assert view.groups["faith-groups"].featured_ids == ("second-new-guide", older)
    assert view.groups["faith-groups"].featured[1].chosen_by_staff
    desk.digests.approve(saved, SENDER)
    staff_clock.now = dt.datetime(2027, 1, 1, 9, tzinfo=dt.UTC).timestamp()
    desk.digests.start(JANUARY)
    drain_queue(desk)
    [fay] = to("fay@example.org")
    assert fay.subject == "Three things for your congregation"
    assert fay.text.index("Second new guide") < fay.text.index("One day at a time")
    assert "First new guide" not in fay.text  # taken out: not even as a filler


def test_held_unapproved_nothing_goes_out_and_the_senders_are_told_until_one_approves(
    desk, staff_clock
) -> None:
    desk.digests.unapproved = "hold"
    draft, _ = desk.digests.prepare(JANUARY)
    staff_clock.now = dt.datetime(2027, 1, 1, 9, tzinfo=dt.UTC).timestamp()
    assert desk.digests.start(JANUARY).status == "held"
    assert desk.campaigns.status("digest#2027-01") is None
    staff_clock.advance(DAY)
    assert desk.digests.daily()["held"] == draft.id  # a reminder a day
    subjects = [m.subject for m in to(SENDER)]
    assert subjects[-2:] == [
        "The January 2027 digest is held",
        "The January 2027 digest is still held",
    ]
    approved = desk.digests.approve(desk.drafts.get(draft.id), SENDER)
    started = desk.digests.send_held(approved, SENDER)
    assert started.status == "sent as approved"
    drain_queue(desk)
    assert len(to("fay@example.org")) == 1


def test_what_is_added_after_approval_is_new_next_month(desk, staff_clock) -> None:
    draft, _ = desk.digests.prepare(JANUARY)
    staff_clock.advance(6 * DAY)  # approved on 26 December
    desk.digests.approve(draft, SENDER)
    staff_clock.advance(2 * DAY)  # added on the 28th: after January was frozen
    desk.catalogue_store.save(resource(desk, "late-guide", "A late guide", added="2026-12-28"))
    staff_clock.now = dt.datetime(2027, 1, 1, 9, tzinfo=dt.UTC).timestamp()
    desk.digests.start(JANUARY)
    drain_queue(desk)
    assert "A late guide" not in to("fay@example.org")[0].text
    february, _ = desk.digests.prepare(Period(2027, 2))
    view = desk.digests.view(february)
    assert "late-guide" in view.groups["faith-groups"].featured_ids
    assert view.since == dt.date(2026, 12, 26)


def test_a_fresh_sender_sends_the_approved_words_after_the_catalogue_changes(
    desk, staff_clock
) -> None:
    store = desk.catalogue_store
    store.save(resource(desk, "reviewed-guide", "A reviewed guide"))
    draft, _ = desk.digests.prepare(JANUARY)
    desk.digests.approve(draft, SENDER)
    store.save(resource(desk, "reviewed-guide", "Retitled by a sender after approval"))
    staff_clock.now = dt.datetime(2027, 1, 1, 9, tzinfo=dt.UTC).timestamp()
    desk.digests.start(JANUARY)
    fresh = Container(desk.settings, desk.clients, clock=staff_clock, sleep=staff_clock.sleep)
    desk.sender = fresh.sender  # a new container: nothing cached from before
    drain_queue(desk)
    [fay] = to("fay@example.org")
    assert "A reviewed guide" in fay.text and "Retitled" not in fay.text


def test_notes_per_group_or_for_all_reach_the_email_and_its_text_twin(desk, staff_clock) -> None:
    draft, _ = desk.digests.prepare(JANUARY)
    saved = desk.digests.save(
        draft,
        order={},
        removed={},
        subjects={},
        member=EDITOR,
        notes={
            "*": "A word for *everyone* this month.",
            "faith-groups": "For congregations: [our guide](https://www.antislavery.org/) <b>x</b>",
        },
    )
    desk.digests.approve(saved, SENDER)
    staff_clock.now = dt.datetime(2027, 1, 1, 9, tzinfo=dt.UTC).timestamp()
    desk.digests.start(JANUARY)
    drain_queue(desk)
    [fay] = to("fay@example.org")
    assert '<a href="https://www.antislavery.org/"' in fay.html and "<b>" not in fay.html
    assert "For congregations: our guide (https://www.antislavery.org/)" in fay.text
    assert "A word for" not in fay.text  # the group's own note replaces the note for all
    [amal] = to("amal@example.org")
    assert "<em>everyone</em>" in amal.html and "A word for everyone this month." in amal.text


def test_an_awareness_day_in_the_lead_window_comes_first_and_staff_can_take_it_out(
    desk, staff_clock
) -> None:
    desk.awareness_day_store.sync(desk.awareness_days_file())
    staff_clock.now = dt.datetime(2027, 9, 24, 8, tzinfo=dt.UTC).timestamp()
    october = Period(2027, 10)  # goes out on 1 October; Anti-Slavery Day is the 18th
    draft, _ = desk.digests.prepare(october)
    view = desk.digests.view(draft)
    for audience in ("schools", "faith-groups", "individuals"):
        assert [o.day.name for o in view.groups[audience].days] == ["Anti-Slavery Day"]
    schools = view.groups["schools"]
    # the day's suggestions, in its order (all three are for schools too)
    suggested = [
        "real-people-real-lives-2019",
        "agents-for-change-2020",
        "access-to-work-for-survivors",
    ]
    assert list(schools.featured_ids[:3]) == suggested
    assert schools.featured[0].for_day == "Anti-Slavery Day, 18 October"
    saved = desk.digests.save(
        draft,
        order={},
        removed={"schools": ["day:anti-slavery-day"]},
        subjects={},
        member=EDITOR,
    )
    after = desk.digests.view(saved).groups["schools"]
    assert after.days == () and [o.day.name for o in after.removed_days] == ["Anti-Slavery Day"]
    assert all(not f.for_day for f in after.featured)
    desk.digests.approve(saved, SENDER)
    staff_clock.now = dt.datetime(2027, 10, 1, 9, tzinfo=dt.UTC).timestamp()
    desk.digests.start(october)
    drain_queue(desk)
    [fay] = to("fay@example.org")
    assert "Coming up: Anti-Slavery Day, Monday 18 October." in fay.text
    assert "Coming up: Anti-Slavery Day" in fay.html
    [amal] = to("amal@example.org")
    assert "Coming up" not in amal.text  # taken out of the schools' draft
