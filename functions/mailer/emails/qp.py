"""The one quoted-printable encoder both MIME paths use (UTF-8, CRLF only, lines of at most 76),
and a faster way to the same bytes for a body made of a variant's fixed text and a few fields.

binascii encodes a line as a state machine whose only state is the current output column: each
character's encoding depends on itself, the column, and whether it is the line's last. So a
line made of fixed text and a recipient's field encodes piece by piece, each piece from the
column the one before ended at, and the fixed pieces' encodings can be kept per column. Only a
recipient's own few characters are encoded per email; the bytes equal the whole line's.
"""

from __future__ import annotations

import binascii
from collections.abc import Sequence

CRLF = b"\r\n"
_LF = b"\n"
QP_LINE = 76
LINES_KEPT = 20_000  # distinct encoded lines one cache remembers (a few MB at most)
_FILLER = b"x"  # a character binascii writes as itself, never at a break: stands for columns


def encode_body(text: str, encoded_lines: dict[bytes, bytes]) -> bytes:
    """A body part in UTF-8 quoted-printable: lines of at most 76, each ended by CRLF (one at
    the end too, as the `email` package writes it); `encoded_lines` remembers lines seen."""
    out = []
    for line in text.encode("utf-8").splitlines() or [b""]:  # as `email`: one line at least
        encoded = encoded_lines.get(line)
        if encoded is None:
            encoded = encode_line(line)
            if len(encoded_lines) >= LINES_KEPT:
                encoded_lines.clear()
            encoded_lines[line] = encoded
        out.append(encoded)
    out.append(b"")
    return CRLF.join(out)


def encode_line(line: bytes) -> bytes:
    """One line (no line end in it) as quoted-printable lines joined by CRLF soft breaks."""
    return CRLF.join(_rewrap(binascii.b2a_qp(line, istext=True)))


def _rewrap(encoded: bytes) -> list[bytes]:
    """binascii's encoding of one line, as lines of at most 76 characters.

    Given one line without a line end, binascii ends each soft break with a bare LF (it uses
    CRLF only when its input does), so its output is split on LF here and joined by CRLF by the
    caller. It also lets a line whose last space it encodes (=20) run to 77: that rare line is
    split again, between escapes, never inside one.
    """
    lines = encoded.split(_LF)
    if max(map(len, lines)) <= QP_LINE:
        return lines
    return [piece for line in lines for piece in _split(line)]


def _split(line: bytes) -> list[bytes]:
    """One encoded line as lines of at most 76, joined by soft breaks (only the rare 77-long
    line that _rewrap finds gets here, so this loop runs over at most 77 characters)."""
    if len(line) <= QP_LINE:
        return [line]
    body = line[:-1] if line.endswith(b"=") else line  # a soft break of binascii's: kept last
    pieces: list[bytes] = []
    current = b""
    i = 0
    while i < len(body):
        token = body[i : i + 3] if body[i : i + 1] == b"=" else body[i : i + 1]
        last = i + len(token) == len(body) and body is line  # may end at 76; else room for "="
        if len(current) + len(token) > (QP_LINE if last else QP_LINE - 1):
            pieces.append(current + b"=")
            current = b""
        current += token
        i += len(token)
    pieces.append(current if body is line else current + b"=")
    return pieces


def encode_from(piece: bytes, column: int, last: bool) -> tuple[bytes, int, int]:
    """binascii's encoding of `piece` as it continues a line at `column` (0-75), the column it
    ends at, and its longest output line counted from the line's start; `last`: nothing follows
    it on the line (trailing space and "." rules apply).

    The column is set by leading filler that binascii writes as is and never breaks before
    column 76; a trailing filler says "more follows" and, being last, is never broken before.
    """
    data = _FILLER * column + piece + (b"" if last else _FILLER)
    whole = binascii.b2a_qp(data, istext=True)
    longest = max(map(len, whole.split(_LF)))
    encoded = whole[column:] if last else whole[column:-1]
    cut = encoded.rfind(_LF)
    return encoded, (column + len(encoded)) if cut < 0 else len(encoded) - cut - 1, longest


class FieldedBody:
    """One body's fixed text with slots for fields between its pieces, encoded once; `fill`
    gives encode_body's bytes for the body with the fields in, encoding only what differs.

    Lines without a field are encoded once; a line with fields keeps its fixed pieces encoded
    for each column they have started at. A field value with a line break in it, or an empty
    one (a CR before it and an LF after would make one line end of two), is left to
    encode_body by the caller.
    """

    def __init__(self, statics: Sequence[str]) -> None:
        slot = b"\x00"  # no body part holds NUL (mailer/text.py refuses it), nor splits on it
        whole = slot.join(s.encode("utf-8") for s in statics)
        self.usable = whole.count(slot) == len(statics) - 1
        # The plan: encoded runs of whole fixed lines (bytes), and lines with fields in them
        # (their fixed pieces, one more than the fields they hold).
        self._plan: list[bytes | tuple[bytes, ...]] = []
        run: list[bytes] = []
        for line in whole.splitlines() or [b""]:
            if slot in line:
                self._plan.append(CRLF.join(run) + CRLF if run else b"")
                self._plan.append(tuple(line.split(slot)))
                run = []
            else:
                run.append(encode_line(line))
        run.append(b"")
        self._plan.append(CRLF.join(run))
        self._pieces: dict[tuple[bytes, int, bool], tuple[bytes, int]] = {}

    def fill(self, values: Sequence[str]) -> bytes:
        """The encoded body with `values` in its slots, in order (see the class's conditions)."""
        out: list[bytes] = []
        n = 0
        for step in self._plan:
            if isinstance(step, bytes):
                out.append(step)
                continue
            line = [step[0]]
            for fixed in step[1:]:
                line += (values[n].encode("utf-8"), fixed)
                n += 1
            out.append(self._encode(line))
        return b"".join(out)

    def _encode(self, line: list[bytes]) -> bytes:
        """One line (fixed pieces at even places, fields at odd) as encode_line gives it, and
        its CRLF: binascii's encoding piece by piece, fixed pieces kept per start column."""
        last_index = max((i for i, p in enumerate(line) if p), default=-1)
        out: list[bytes] = []
        column = longest = 0
        for i, piece in enumerate(line):
            if not piece:
                continue
            last = i == last_index
            if i % 2:  # a recipient's own text
                encoded, column, width = encode_from(piece, column, last)
            else:
                key = (piece, column, last)
                kept = self._pieces.get(key)
                if kept is None:
                    kept = self._pieces[key] = encode_from(piece, column, last)
                encoded, column, width = kept
            longest = max(longest, width)
            out.append(encoded)
        joined = b"".join(out)
        if longest > QP_LINE:  # binascii's rare 77: rewrapped as encode_line does
            return CRLF.join(_rewrap(joined)) + CRLF
        return joined.replace(_LF, CRLF) + CRLF
