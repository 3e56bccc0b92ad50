"""Text staff write cannot break an email: each refused class of character is named for people,
where it is; line breaks from browsers become LF; whatever is accepted renders through mjml."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailer import text
from mailer.campaigns import variants
from mailer.catalogue.schema import Resource
from mailer.emails.render import EmailRenderer

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates" / "email"
RECIPIENT = {
    "greeting": "Hello,",
    "manage_url": "https://example.org/manage?token=m",
    "unsubscribe_url": "https://example.org/unsubscribe?token=u",
}


@pytest.mark.parametrize(
    ("char", "named"),
    [
        pytest.param("\x0c", "a form feed (often pasted from a PDF), U+000C", id="C0-form-feed"),
        pytest.param("\x00", "a null character, U+0000", id="C0-null"),
        pytest.param("\x01", "an invisible control character, U+0001", id="C0-other"),
        pytest.param("\x0b", "a vertical tab (often pasted from Word), U+000B", id="C0-vtab"),
        pytest.param("\x1f", "U+001F", id="C0-last"),
        pytest.param("\x7f", "a delete character, U+007F", id="DEL"),
        pytest.param("\x80", "an invisible control character, U+0080", id="C1-first"),
        pytest.param("\x85", "a next-line character", id="C1-next-line"),
        pytest.param("\x9f", "U+009F", id="C1-last"),
        pytest.param("\u2028", "a line separator", id="U+2028"),
        pytest.param("\u2029", "a paragraph separator", id="U+2029"),
        pytest.param("\ufdd0", "a Unicode noncharacter, U+FDD0", id="nonchar-FDD0"),
        pytest.param("\ufdef", "a Unicode noncharacter, U+FDEF", id="nonchar-FDEF"),
        pytest.param("\ufffe", "a Unicode noncharacter, U+FFFE", id="nonchar-FFFE"),
        pytest.param("\uffff", "a Unicode noncharacter, U+FFFF", id="nonchar-FFFF"),
        pytest.param("\U0001fffe", "a Unicode noncharacter, U+1FFFE", id="nonchar-plane-1"),
        pytest.param("\U0010ffff", "a Unicode noncharacter, U+10FFFF", id="nonchar-last"),
        pytest.param("\ud800", "a broken character", id="lone-surrogate"),
    ],
)
def test_each_refused_class_is_named_with_where_it_is(char: str, named: str) -> None:
    message = text.problem(f"Safe homes{char} for survivors", "title")
    assert message is not None
    assert message.startswith("The title contains ")
    assert named in message
    assert "as its 11th character, just after “Safe homes”" in message
    assert "please delete it or retype that part" in message
    with pytest.raises(ValueError, match="The summary contains"):
        text.checked(f"A summary{char}", "summary")


@pytest.mark.parametrize(
    "value",
    [
        "Tabs\tand\nnew lines in a summary",
        "No-break\u00a0space, é, ß, 中文, עברית, emoji 😀, zero\u200bwidth, \ufeffmark",
        "The characters next to the refused ranges: \ufdcf \ufdf0 \ufffd \U0001fffd",
        "Private use \ue000 and a combining accent e\u0301",
        "",
    ],
)
def test_ordinary_text_is_accepted_unchanged(value: str) -> None:
    assert text.problem(value, "summary") is None
    assert text.checked(value, "summary") == value


def test_browser_line_ends_become_lf_not_a_refusal() -> None:
    assert text.checked("one\r\ntwo\rthree\n", "introduction") == "one\ntwo\nthree\n"


def test_a_one_line_field_refuses_a_line_break_from_any_source() -> None:
    for value in ("Safe homes\nfor survivors", "Safe homes\r\nfor survivors", "Safe homes\r"):
        with pytest.raises(ValueError) as caught:
            text.one_line(value, "subject")
        assert str(caught.value).startswith("The subject must be one line, but it has a line")
        assert "just after “Safe homes”" in str(caught.value)
    assert text.one_line("Safe homes:\tfor survivors", "subject") == "Safe homes:\tfor survivors"


def test_where_is_said_in_words() -> None:
    assert "at the very start" in str(text.problem("\x0cTitle", "title"))
    assert "as its 2nd character, just after “a”" in str(text.problem("a\x0c", "title"))
    assert "as its 23rd character" in str(text.problem("b" * 22 + "\x0c", "title"))
    assert "as its 112th character" in str(text.problem("c" * 111 + "\x0c", "title"))
    # Long text: the last few words before it, on one line.
    far = text.problem("word " * 10 + "the\n\nlast\x0c", "summary")
    assert "as its 60th character, just after “…word word the last”" in str(far)


# Characters that break, or nearly break, an email, mixed into otherwise ordinary text.
TRICKY = ["\x0c", "\x00", "\x0b", "\x85", "\x9b", "\u2028", "\u2029", "\ufffe", "\uffff"]
TRICKY += ["\ufdd0", "\t", "\n", "\r", "\r\n", "<", "&", "'", "{{ x }}", "[[ y ]]", "\u00a0"]
TRICKY += ["\ufeff", "\u200b", "\U0001f600", "\ufffd", "\u202e"]
words = st.lists(
    st.one_of(st.characters(exclude_categories=("Cs",)), st.sampled_from(TRICKY)), max_size=40
).map("".join)


@pytest.fixture(scope="module")
def shared_renderer(base_context: dict[str, str]) -> EmailRenderer:
    return EmailRenderer(TEMPLATE_DIR, base_context)


@settings(deadline=None)
@given(typed=words)
def test_any_text_the_validator_accepts_renders_through_mjml(
    shared_renderer: EmailRenderer,
    vocabulary: Any,
    make_resource: Callable[..., Resource],
    site_url: str,
    typed: str,
) -> None:
    """Title, summary, publisher and introduction: accepted means the real renderer (mjml
    included) makes the email, without an error."""
    try:
        line = text.one_line(typed, "title")
    except ValueError:
        line = "ordinary words"  # refused: the form shows its message, nothing is rendered
    try:
        paragraph = text.checked(typed, "introduction")
    except ValueError:
        paragraph = "ordinary words"
    resource = make_resource(
        id="typed-resource",
        title=f"A {line} title",
        summary=f"A summary that says {paragraph} and a few more words.",
        publisher=f"The {line} press",
    )
    context = variants.announcement_context(
        vocabulary, site_url, "individuals", [], resource, message=paragraph
    )
    email = shared_renderer.render("announcement", context, RECIPIENT)
    assert email.html and email.text and email.subject.startswith("New: A")
    assert "The" in email.html and "press" in email.text  # the publisher, on both parts


def test_text_stored_before_the_rule_is_cleaned_not_refused() -> None:
    assert text.cleaned("Safe\x0c homes\u2028 for\ufffe all\r\nnow") == "Safe homes for all\nnow"
    assert text.cleaned("Safe homes\r\nfor all", one_line=True) == "Safe homes for all"
    assert text.problem(text.cleaned("".join(map(chr, range(0x00, 0xA0)))), "summary") is None
