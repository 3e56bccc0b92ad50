"""The announcement's introduction, the one text staff write outside the resource form, is
checked by the same rule (mailer/text.py): refused beside the field, CRLF kept as LF."""

from __future__ import annotations

import pytest

from mailer.container import Container
from tests.support.drafts import save, start_draft
from tests.support.mail import sent_mail
from tests.support.staff import signed_in_as_sender
from web.staff_forms import DraftForm, draft_form


def _form(app, staff: Container, message: str) -> DraftForm:
    resource, _ = staff.catalogue_store.get("safe-homes", staff.vocabulary)
    with app.test_request_context(method="POST", data={"message": message}):
        form = draft_form(staff.vocabulary, resource, meta={"csrf": False})
        form.validate()
        return form


@pytest.fixture
def staff_app(staff: Container):
    from web import create_app

    app = create_app(staff)
    app.config["TESTING"] = True
    return app


@pytest.mark.parametrize(
    ("message", "named"),
    [
        pytest.param("Please share\x0c this", "a form feed (often pasted from a PDF)", id="C0"),
        pytest.param("Please share\x85 this", "a next-line character", id="C1"),
        pytest.param("Please share\u2029 this", "a paragraph separator", id="U+2029"),
        pytest.param("Please share\ufffe this", "a Unicode noncharacter", id="nonchar"),
    ],
)
def test_an_introduction_with_a_breaking_character_is_refused_beside_the_field(
    staff_app, staff: Container, message: str, named: str
) -> None:
    form = _form(staff_app, staff, message)
    [error] = form.message.errors
    assert error.startswith("The introduction contains ") and named in error
    assert "just after “Please share”" in error


def test_an_introduction_typed_in_a_textarea_keeps_its_lines_as_lf(
    staff_app, staff: Container
) -> None:
    form = _form(staff_app, staff, "Dear friends,\r\nplease share this.\rThank you")
    assert form.message.errors == []
    assert form.message.data == "Dear friends,\nplease share this.\nThank you"


def test_a_draft_with_a_form_feed_is_not_saved_and_says_why(staff_browser, staff_clock, staff):
    signed_in_as_sender(staff_browser)
    staff_clock.advance(1)
    draft = start_draft(staff_browser)
    response = save(staff_browser, draft, audiences=["individuals"], message="Hello\x0c all")
    assert response.status_code == 400
    assert "The introduction contains a form feed" in response.get_data(as_text=True)
    assert staff.drafts.get(draft.rsplit("/", 1)[1]).message == ""
    assert sent_mail() == []
