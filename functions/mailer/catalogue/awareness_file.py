"""catalogue/awareness-days.yaml: read and checked like the resource files, each problem named
by file and line (the line of the field, or of the very list item, that is wrong)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .awareness import AwarenessDay
from .schema import Vocabulary, _Loader, field_message

DAYS_FILE = "awareness-days.yaml"


@dataclass(frozen=True)
class DayProblem:
    """One reason the days file is invalid: where (file and line), which day, which field."""

    file: str
    line: int
    entry: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}, line {self.line}"
        return f"{where}: day {self.entry!r}: field {self.field!r}: {self.message}"


def load_days(
    root: Path, vocabulary: Vocabulary, resource_ids: Collection[str]
) -> tuple[list[AwarenessDay], list[DayProblem]]:
    """The valid days in root/awareness-days.yaml and every problem found (no file: no days)."""
    path = root / DAYS_FILE
    name = f"{root.name}/{DAYS_FILE}"
    if not path.is_file():
        return [], []
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text, Loader=_Loader)  # the catalogue's safe loader
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 (safe, as above)
    except UnicodeDecodeError:
        return [], [DayProblem(name, 1, "-", "-", "not UTF-8 text: save the file as UTF-8")]
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        return [], [DayProblem(name, line, "-", "-", f"not valid YAML: {exc.problem}")]
    except yaml.reader.ReaderError as exc:  # a raw control character, such as a form feed
        line = text.count("\n", 0, exc.position) + 1
        message = f"a character YAML refuses, U+{exc.character:04X}: delete it or retype the text"
        return [], [DayProblem(name, line, "-", "-", message)]
    entries = _entries(node)
    if entries is None or not isinstance(data, dict) or not isinstance(data.get("days"), list):
        return [], [DayProblem(name, 1, "-", "-", "must hold `days:`, a list of days")]
    days: list[AwarenessDay] = []
    problems: list[DayProblem] = []
    seen: dict[str, int] = {}
    context = {"vocabulary": vocabulary, "resource_ids": frozenset(resource_ids)}
    for item, lines in zip(data["days"], entries, strict=True):
        start = lines.get("", 1)
        if not isinstance(item, dict):
            problems.append(DayProblem(name, start, "-", "-", "must be a mapping of field: value"))
            continue
        entry = str(item.get("id", "-"))
        try:
            day = AwarenessDay.model_validate(item, context=context)
        except ValidationError as exc:
            for error in exc.errors():
                loc = tuple(str(part) for part in error["loc"])
                where = lines.get(".".join(loc)) or lines.get(loc[0] if loc else "") or start
                field = loc[0] if loc else "-"
                problems.append(DayProblem(name, where, entry, field, field_message(error, item)))
            continue
        if day.id in seen:
            message = f"duplicate id, also at line {seen[day.id]}"
            problems.append(DayProblem(name, lines.get("id", start), entry, "id", message))
            continue
        seen[day.id] = lines.get("id", start)
        days.append(day)
    return days, problems


def _entries(root: Any) -> list[dict[str, int]] | None:
    """For each day in the file, the line of the day ("") and of each field and list item
    ("resources.1"), read from the YAML node tree (1-based, as editors count)."""
    if not isinstance(root, yaml.MappingNode):
        return None
    days = next((v for k, v in root.value if k.value == "days"), None)
    if not isinstance(days, yaml.SequenceNode):
        return None
    entries = []
    for node in days.value:
        lines = {"": node.start_mark.line + 1}
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                lines[str(key.value)] = key.start_mark.line + 1
                if isinstance(value, yaml.SequenceNode):
                    for index, element in enumerate(value.value):
                        lines[f"{key.value}.{index}"] = element.start_mark.line + 1
        entries.append(lines)
    return entries
