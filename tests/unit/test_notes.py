"""Editorial notes: the allowed Markdown subset survives, nothing else does, and the text twin
carries the same words and links."""

from __future__ import annotations

from mailer.emails.notes import render_note

EVERYTHING = """Dear friends, *emphasis* and **strong**.
A second line.

- a [guide](https://www.antislavery.org/guide?a=1&b=2)
- an [old link](http://example.org/plain) and [a trick](javascript:alert(1))

1. first
2. second

<script>alert("x")</script> <b>raw</b> <img src=x onerror=alert(1)> a < b"""


def test_every_allowed_element_survives_and_nothing_else_does() -> None:
    note = render_note(EVERYTHING)
    for kept in (
        "<em>emphasis</em>",
        "<strong>strong</strong>",
        "<br>",
        "<ul>",
        "<ol>",
        "<li>first</li>",
        '<a href="https://www.antislavery.org/guide?a=1&amp;b=2">guide</a>',
    ):
        assert kept in note.html, kept
    for gone in ("<script", 'alert("x")', "<b>", "<img", "onerror", "http://", 'href="javascript'):
        assert gone not in note.html, gone
    assert "<a>old link</a>" in note.html  # the words stay, the insecure link goes
    assert "a &lt; b" in note.html  # prose with a "<" is kept as text


def test_the_text_twin_carries_the_words_and_links() -> None:
    text = render_note(EVERYTHING).text
    assert text.startswith("Dear friends, emphasis and strong.\nA second line.\n\n- a guide")
    assert "guide (https://www.antislavery.org/guide?a=1&b=2)" in text
    assert "- an old link and [a trick](javascript:alert(1))" in text  # no link: just words
    assert "http://" not in text and "1. first\n2. second" in text
    assert "raw" in text and "a < b" in text and "<script" not in text and 'alert("x")' not in text


def test_an_empty_note_is_no_note() -> None:
    assert render_note("  \n ") == render_note("")
    assert render_note("").html == "" and render_note("").text == ""
