"""Staff's editorial notes: a small, safe subset of Markdown (paragraphs, emphasis, lists and
https links) made into the email's HTML and its text twin.

markdown-it-py parses with raw HTML off and only those rules on; nh3 (ammonia) then keeps only
the allowed tags, an https `href` on links and nothing else, so whatever was typed (a script, an
`http:` or `javascript:` link, raw HTML) cannot reach an email. The text twin is made from that
sanitised HTML, so it carries exactly the words and links the HTML part shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

import nh3
from markdown_it import MarkdownIt

NOTE_MAX = 2000  # characters of Markdown: a few short paragraphs above the resources

_TAGS = {"p", "em", "strong", "ul", "ol", "li", "a", "br"}
_PARSER = MarkdownIt("zero", {"html": False, "linkify": False, "breaks": True}).enable(
    ["emphasis", "list", "link", "newline", "entity"]
)


@dataclass(frozen=True)
class Note:
    """A note as the email shows it: sanitised HTML, and the text twin."""

    html: str
    text: str


def render_note(markdown: str) -> Note:
    """The note's HTML (only the allowed subset survives) and its text twin; empty for none."""
    if not markdown.strip():
        return Note("", "")
    # Raw HTML typed into the note goes first (its words stay, a script's do not); what is
    # left is escaped text, which the parser reads back as the characters typed.
    source = nh3.clean(markdown, tags=set())
    html = nh3.clean(
        _PARSER.render(source),
        tags=_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"https"},
        link_rel=None,
        strip_comments=True,
    ).strip()
    return Note(html, _text_of(html))


class _Text(HTMLParser):
    """The sanitised note as plain text: paragraphs apart, list items dashed, links spelt out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._href: list[str] = []
        self._ordered: list[int] = []  # the next number of each open ordered list (0: bullets)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href.append(dict(attrs).get("href") or "")
        elif tag == "br":
            self.parts.append("\n")
        elif tag in ("ul", "ol"):
            self._ordered.append(1 if tag == "ol" else 0)
        elif tag == "li":
            number = self._ordered[-1] if self._ordered else 0
            self.parts.append(f"\n{number}. " if number else "\n- ")
            if number:
                self._ordered[-1] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            href = self._href.pop() if self._href else ""
            if href:
                self.parts.append(f" ({href})")
        elif tag in ("p", "ul", "ol"):
            if tag != "p" and self._ordered:
                self._ordered.pop()
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self.parts and self.parts[-1].endswith("\n"):
            data = data.lstrip("\n")  # the renderer's line end after a <br> or a block
        if data.strip() or "\n" not in data:  # the renderer's line ends between blocks: not words
            self.parts.append(data)


def _text_of(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = "".join(parser.parts).split("\n")
    text = "\n".join(line.strip() for line in lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip()
