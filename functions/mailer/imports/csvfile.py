"""Reading a staff member's CSV file: its encoding, its delimiter and its columns, then its rows
a page at a time from any byte offset, so an import can stop and resume mid-file.

Spreadsheets save CSV in many ways: UTF-8 with or without a byte-order mark, Windows-1252,
commas or semicolons (European Excel) or tabs. charset-normalizer guesses the encoding and
csv.Sniffer the delimiter; UTF-16 ("Unicode text") is refused with the fix in words, since
splitting it at newline bytes would cut characters in half.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from charset_normalizer import from_bytes

from mailer.errors import MailerError

MAX_BYTES = 20 * 1024 * 1024  # about 200,000 rows: one import function run's worth of work
HEAD_BYTES = 64 * 1024  # what the encoding and the delimiter are guessed from
COLUMNS = ("email", "group", "topics", "name", "organisation", "consented_at", "source")
REQUIRED = ("email", "group")
MAX_FIELD = 2000  # characters in one cell: far above a real name, far below a denial of service
SAVE_AS = "Save it from your spreadsheet as “CSV UTF-8 (comma delimited)” and upload it again."


class ImportFileError(MailerError):
    """A file that cannot be read as a list, with what to do about it in words."""


@dataclass(frozen=True)
class FileFormat:
    """How to read a file: its encoding, delimiter, columns, and where its rows start."""

    encoding: str
    delimiter: str
    columns: tuple[str, ...]
    data_start: int  # byte offset of the first row, after the header (and any BOM)

    def to_item(self) -> dict[str, object]:
        """As stored on the batch."""
        return {
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "columns": list(self.columns),
            "data_start": self.data_start,
        }

    @classmethod
    def from_item(cls, item: dict[str, object]) -> FileFormat:
        """Rebuild from the batch."""
        return cls(
            str(item["encoding"]),
            str(item["delimiter"]),
            tuple(str(c) for c in item["columns"]),  # type: ignore[union-attr]
            int(item["data_start"]),  # type: ignore[arg-type]
        )


def sniff(head: bytes, size: int) -> FileFormat:
    """The file's format from its first bytes, or ImportFileError saying what is wrong."""
    if size == 0 or not head.strip():
        raise ImportFileError("The file is empty.")
    if size > MAX_BYTES:
        raise ImportFileError(
            f"The file is {size / 1024 / 1024:.0f} MB; the limit is {MAX_BYTES // 1024 // 1024} "
            "MB. Split the list into smaller files and import each."
        )
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE)):
        raise ImportFileError(f"The file is saved as UTF-16 (“Unicode text”). {SAVE_AS}")
    if b"\x00" in head:
        raise ImportFileError(
            f"This is not a text file (it holds NUL bytes): is it an Excel workbook? {SAVE_AS}"
        )
    bom = len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0
    encoding = _encoding(head[bom:], complete=size <= len(head))
    text = head[bom:].decode(encoding, errors="replace")
    header_line = text.splitlines(keepends=True)[0]
    try:
        delimiter = csv.Sniffer().sniff(header_line, delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    names = [
        c.strip().lower().replace(" ", "_")
        for c in next(csv.reader([header_line], delimiter=delimiter))
    ]
    unknown = [n for n in names if n not in COLUMNS]
    if unknown:
        raise ImportFileError(
            f"The first line names column(s) we do not know: {', '.join(unknown[:5])}. "
            f"It must name the columns, from: {', '.join(COLUMNS)}."
        )
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise ImportFileError(
            f"The file has no {' or '.join(missing)} column. Its first line must name the "
            f"columns, from: {', '.join(COLUMNS)}."
        )
    if len(set(names)) != len(names):
        raise ImportFileError("The first line names a column twice.")
    return FileFormat(encoding, delimiter, tuple(names), bom + len(header_line.encode(encoding)))


def _encoding(head: bytes, complete: bool) -> str:
    """UTF-8 if the bytes are UTF-8 (a character cut at the end of a partial head allowed);
    else Windows-1252, what Excel's plain "CSV" is on a UK Windows machine, if the bytes are
    text at all (charset-normalizer finds none in a binary file) and decode in it.

    A guess among single-byte encodings is not reliable on a few names (charset-normalizer
    takes "René" for Baltic or Central European), so the one a UK spreadsheet uses is assumed
    and the report says so; staff can check the names on the dry run's report.
    """
    try:
        codecs.getincrementaldecoder("utf_8")().decode(head, final=complete)
        return "utf_8"
    except UnicodeDecodeError:
        pass
    best = from_bytes(head).best()
    try:
        head.decode("cp1252")
    except UnicodeDecodeError:
        best = None
    if best is None:
        raise ImportFileError(f"We cannot tell which encoding the file is in. {SAVE_AS}")
    return "cp1252"


@dataclass(frozen=True)
class RawRow:
    """One row as read: the line it starts on, its cells by column, and where the next starts."""

    line: int
    cells: dict[str, str]
    end: int  # byte offset just after this row
    problem: str = ""  # a row that cannot be read as the header says, in words
    end_line: int = 0  # the last physical line of this row (quoted cells may span lines)


@dataclass(frozen=True)
class Page:
    """Rows read from an offset, and whether the file ended."""

    rows: list[RawRow]
    done: bool


def lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Physical lines of a byte stream, each with its newline (so bytes can be counted)."""
    rest = b""
    for chunk in chunks:
        rest += chunk
        *whole, rest = rest.split(b"\n")
        for line in whole:
            yield line + b"\n"
    if rest:
        yield rest


def read_page(
    raw_lines: Iterable[bytes], fmt: FileFormat, offset: int, first_line: int, limit: int
) -> Page:
    """Up to `limit` rows from the lines that start at byte `offset` (line `first_line`)."""
    state = {"offset": offset, "line": first_line - 1}

    def text() -> Iterator[str]:
        for raw in raw_lines:
            state["offset"] += len(raw)
            state["line"] += 1
            try:
                yield raw.decode(fmt.encoding)
            except UnicodeDecodeError:
                raise ImportFileError(
                    f"Line {state['line']} is not in the file's encoding ({fmt.encoding}). "
                    f"{SAVE_AS}"
                ) from None

    # strict: a stray quote is an error we report, not a silent merge of the rest of the file.
    reader = csv.reader(text(), delimiter=fmt.delimiter, strict=True)
    rows: list[RawRow] = []
    while len(rows) < limit:
        start = state["line"] + 1
        try:
            cells = next(reader)
        except StopIteration:
            return Page(rows, True)
        except csv.Error as exc:
            raise ImportFileError(
                f"Line {state['line']} cannot be read as CSV ({exc}). Check its quotes, then "
                "upload the file again; nothing was imported."
            ) from None
        if not any(c.strip() for c in cells):
            continue  # a blank line
        problem = ""
        if len(cells) != len(fmt.columns):
            problem = f"has {len(cells)} cells; the first line names {len(fmt.columns)} columns"
        elif any(len(c) > MAX_FIELD for c in cells):
            problem = f"has a cell longer than {MAX_FIELD} characters"
        named = dict(zip(fmt.columns, (c.strip() for c in cells), strict=False))
        rows.append(RawRow(start, named, state["offset"], problem, state["line"]))
    return Page(rows, False)
