"""Text that staff write (titles, summaries, subjects, introductions), checked in one place:
nothing invisible that would break an email, and one line where a field must be one line.

mjml2html fails on every C0 control but tab, LF and CR, and on U+FFFE and U+FFFF (issue 16,
item 4): one form feed pasted from a PDF into a title stopped a whole group's digests. This
refuses a wider, principled set (every C0 and C1 control but tab and newline, DEL, the Unicode
line and paragraph separators, every noncharacter and any lone surrogate), so what passes here
renders on every path, and the message says which character and where, for the person beside
the field. CR and CRLF, which browsers send from a textarea, are turned into LF, not refused.
"""

from __future__ import annotations

import unicodedata

# What the refused characters are called, for people; the rest are named by their code point.
_NAMES = {
    "\x00": "a null character",
    "\x08": "a backspace character",
    "\x0b": "a vertical tab (often pasted from Word)",
    "\x0c": "a form feed (often pasted from a PDF)",
    "\x1b": "an escape character",
    "\x7f": "a delete character",
    "\x85": "a next-line character (often pasted from old documents)",
    "\u2028": "a line separator (often pasted from a PDF or a web page)",
    "\u2029": "a paragraph separator (often pasted from a PDF or a web page)",
}
_ORDINAL_SUFFIXES = {1: "st", 2: "nd", 3: "rd"}
_CONTEXT = 20  # characters shown before the bad one, so people can find it in the field


def normalise_newlines(value: str) -> str:
    """CRLF and lone CR as LF: what a textarea sends, as the rest of the code expects it."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def refused(char: str) -> bool:
    """True for a character no email may carry (see the module's docstring for which)."""
    code = ord(char)
    if char in "\t\n":
        return False
    return (
        code < 0x20
        or 0x7F <= code <= 0x9F
        or char in "\u2028\u2029"
        or 0xFDD0 <= code <= 0xFDEF
        or (code & 0xFFFE) == 0xFFFE  # U+xFFFE and U+xFFFF in every plane
        or 0xD800 <= code <= 0xDFFF  # a lone surrogate: not encodable as UTF-8 at all
    )


def describe(char: str) -> str:
    """A refused character as people can recognise it: 'a form feed (...), U+000C'."""
    code = f"U+{ord(char):04X}"
    if char in _NAMES:
        return f"{_NAMES[char]}, {code}"
    if 0xFDD0 <= ord(char) <= 0xFDEF or (ord(char) & 0xFFFE) == 0xFFFE:
        return f"a Unicode noncharacter, {code}"
    if 0xD800 <= ord(char) <= 0xDFFF:
        return f"a broken character (half of a pair), {code}"
    name = unicodedata.name(char, "")
    return f"an invisible control character{f' ({name.lower()})' if name else ''}, {code}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else _ORDINAL_SUFFIXES.get(n % 10, "th")
    return f"{n}{suffix}"


def _where(value: str, index: int) -> str:
    """Where a character sits, in words: 'as its 12th character, just after “Safe homes”'."""
    if index == 0:
        return "at the very start"
    # Everything before is acceptable (the first bad character is the one reported); line
    # breaks and runs of spaces are shown as one space, as the quote is one line.
    before = " ".join(value[max(0, index - _CONTEXT) : index].split())
    ellipsis = "…" if index > _CONTEXT else ""
    after = f", just after “{ellipsis}{before}”" if before else ""
    return f"as its {_ordinal(index + 1)} character{after}"


def problem(value: str, what: str, *, one_line: bool = False) -> str | None:
    """Why `value` cannot go in an email, for people ('The title contains ...'), or None.

    `what` names the field as a sentence would ("title", "introduction"); run
    normalise_newlines first, so a CR a browser added is not reported.
    """
    for index, char in enumerate(value):
        if one_line and char == "\n":
            return (
                f"The {what} must be one line, but it has a line break {_where(value, index)}: "
                "please join the lines."
            )
        if refused(char):
            return (
                f"The {what} contains {describe(char)}, {_where(value, index)}: it is invisible "
                "here but breaks the email, so please delete it or retype that part."
            )
    return None


def checked(value: str, what: str, *, one_line: bool = False) -> str:
    """`value` with its newlines normalised; ValueError with a message for people if refused."""
    value = normalise_newlines(value)
    found = problem(value, what, one_line=one_line)
    if found:
        raise ValueError(found)
    return value


def cleaned(value: str, *, one_line: bool = False) -> str:
    """`value` with every refused character dropped (line breaks as spaces where one line is
    wanted): for text stored before this rule, which must still be readable and sendable."""
    value = "".join(c for c in normalise_newlines(value) if not refused(c))
    return " ".join(value.split("\n")) if one_line else value


def one_line(value: str, what: str) -> str:
    """A one-line field (a title, a publisher, a subject) checked: see checked()."""
    return checked(value, what, one_line=True)
