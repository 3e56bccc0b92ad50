"""The resource catalogue: one YAML file per resource, checked against a schema and vocabularies."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from mailer import text
from mailer.errors import CatalogueError

SUMMARY_MAX = 300
ID_MAX = 60
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
PUBLISHED_PATTERN = re.compile(r"^(?P<year>\d{4})(?:-(?P<month>\d{2}))?$")


@dataclass(frozen=True)
class Vocabulary:
    """The controlled lists: audience, type and topic slugs with their human labels."""

    audiences: dict[str, str]
    types: dict[str, str]
    topics: dict[str, str]

    @classmethod
    def load(cls, path: Path) -> Vocabulary:
        """Read vocabulary.yaml; CatalogueError if a list is missing or malformed."""
        data = _read_yaml(path)
        try:
            return cls(**{k: dict(data[k]) for k in ("audiences", "types", "topics")})
        except (KeyError, TypeError, ValueError) as exc:
            raise CatalogueError(
                f"{path}: needs mappings audiences, types and topics ({exc})"
            ) from None


class Resource(BaseModel):
    """One published resource, as staff write it in catalogue/resources/<id>.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    id: str = Field(min_length=3, max_length=ID_MAX, pattern=ID_PATTERN.pattern)
    title: str = Field(min_length=3, max_length=250)
    summary: str = Field(min_length=20, max_length=SUMMARY_MAX)
    url: str = Field(max_length=500)
    published: str
    type: str
    publisher: str = Field(min_length=2, max_length=250)
    audiences: tuple[str, ...] = Field(min_length=1)
    topics: tuple[str, ...] = Field(min_length=1)
    added: dt.date

    @field_validator("title", "publisher")
    @classmethod
    def _one_line(cls, value: str, info: ValidationInfo) -> str:
        return _text(value, str(info.field_name), info, one_line=True)

    @field_validator("summary")
    @classmethod
    def _summary(cls, value: str, info: ValidationInfo) -> str:
        return _text(value, "summary", info)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str, info: ValidationInfo) -> str:
        value = _text(value, "address", info, one_line=True)
        if not value:
            return value  # unknown addresses stay empty rather than guessed
        parts = urlsplit(value)
        # urlsplit silently drops tabs and line breaks, so look for any whitespace ourselves.
        if parts.scheme != "https" or not parts.netloc or any(c.isspace() for c in value):
            raise ValueError("must be an https:// address or empty")
        return value

    @field_validator("published")
    @classmethod
    def _published(cls, value: str) -> str:
        if not value:
            return value
        match = PUBLISHED_PATTERN.match(value)
        month = int(match["month"]) if match and match["month"] else 1
        if not match or not 1900 <= int(match["year"]) <= 2100 or not 1 <= month <= 12:
            raise ValueError("must be YYYY or YYYY-MM, or empty when unknown")
        return value

    @field_validator("type")
    @classmethod
    def _type(cls, value: str, info: ValidationInfo) -> str:
        return _check_vocab(value, _vocab(info).types, "type")

    @field_validator("audiences")
    @classmethod
    def _audiences(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        return tuple(_check_vocab(v, _vocab(info).audiences, "audience") for v in value)

    @field_validator("topics")
    @classmethod
    def _topics(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        return tuple(_check_vocab(v, _vocab(info).topics, "topic") for v in value)

    @property
    def published_label(self) -> str:
        """Publication date for people: 'April 2022', '2024', or '' when unknown."""
        if len(self.published) == 7:
            return dt.date(int(self.published[:4]), int(self.published[5:]), 1).strftime("%B %Y")
        return self.published

    def newest_first_key(self) -> tuple[str, str, str]:
        """Sort key (use reverse=True): publication date, then date added; unknown dates last."""
        return (self.published or "0000", self.added.isoformat(), self.id)

    def to_item(self) -> dict[str, Any]:
        """The resource as a plain dict (a DynamoDB item, a JSON record)."""
        item = self.model_dump(mode="json")
        item["audiences"] = list(self.audiences)
        item["topics"] = list(self.topics)
        return item


def _text(value: str, what: str, info: ValidationInfo, *, one_line: bool = False) -> str:
    """Text that cannot break an email: refused with a message for people, except in an item
    the store already holds (`stored` in the context), which was saved before the rule and is
    cleaned instead, so one old character cannot stop every page and send that reads it."""
    if info.context and info.context.get("stored"):
        return text.cleaned(value, one_line=one_line).strip()
    return text.checked(value, what, one_line=one_line)


def _vocab(info: ValidationInfo) -> Vocabulary:
    if not info.context or "vocabulary" not in info.context:
        raise ValueError("no vocabulary given to check against")
    return info.context["vocabulary"]


def _check_vocab(value: str, allowed: dict[str, str], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r} (allowed: {', '.join(sorted(allowed))})")
    return value


@dataclass(frozen=True)
class Problem:
    """One reason the catalogue is invalid: which file, which entry, which field, and why."""

    file: str
    entry: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: entry {self.entry!r}: field {self.field!r}: {self.message}"


@dataclass(frozen=True)
class Catalogue:
    """The validated resources and the vocabulary they were checked against."""

    resources: tuple[Resource, ...]
    vocabulary: Vocabulary

    @classmethod
    def load(cls, root: Path) -> Catalogue:
        """Load and validate catalogue/; raise CatalogueError listing every problem found."""
        resources, vocabulary, problems = validate(root)
        if problems:
            raise CatalogueError(
                f"{len(problems)} problem(s) in the catalogue:\n"
                + "\n".join(f"  {p}" for p in problems)
            )
        return cls(tuple(resources), vocabulary)

    def by_id(self) -> dict[str, Resource]:
        """Resources keyed by id."""
        return {r.id: r for r in self.resources}


def validate(root: Path) -> tuple[list[Resource], Vocabulary, list[Problem]]:
    """Check every resource file under root; return the good resources and all problems."""
    if not (root / "vocabulary.yaml").is_file():
        raise CatalogueError(
            f"no vocabulary.yaml in {root}: point at the catalogue folder, the one that holds "
            "vocabulary.yaml and resources/"
        )
    vocabulary = Vocabulary.load(root / "vocabulary.yaml")
    files = (
        sorted(p for p in (root / "resources").iterdir() if p.is_file())
        if (root / "resources").is_dir()
        else []
    )
    resources: list[Resource] = []
    problems: list[Problem] = []
    # File names are unique and every id must equal its file's name, so ids are unique too.
    stems = {p.stem: _display(p, root) for p in files if p.suffix == ".yaml"}
    if not files:
        problems.append(Problem(str(root / "resources"), "-", "-", "no resource files found"))
    for path in files:
        name = _display(path, root)
        if path.suffix != ".yaml":
            # A resource saved as .yml or .txt would otherwise silently never appear.
            problems.append(Problem(name, path.stem, "-", "resource files must end in .yaml"))
            continue
        try:
            data = _read_yaml(path)
        except CatalogueError as exc:
            problems.append(Problem(name, "-", "-", str(exc)))
            continue
        entry = str(data.get("id", path.stem)).strip() if isinstance(data, dict) else path.stem
        if not isinstance(data, dict):
            problems.append(Problem(name, entry, "-", "must be a mapping of field: value"))
            continue
        found = list(_field_problems(name, entry, data, vocabulary))
        if entry != path.stem and not any(p.field == "id" for p in found):
            # A copied file keeps the original's id: name the clash, not just the file name.
            message = (
                f"duplicate id, also in {stems[entry]}"
                if entry in stems
                else f"must match the file name ({path.stem!r})"
            )
            found.append(Problem(name, entry, "id", message))
        if found:
            problems.extend(found)
            continue
        resources.append(Resource.model_validate(data, context={"vocabulary": vocabulary}))
    return resources, vocabulary, problems


def _display(path: Path, root: Path) -> str:
    """A file's name as people see it: relative to the catalogue's parent folder."""
    return str(path.relative_to(root.parent)) if root.parent in path.parents else str(path)


def _field_problems(
    name: str, entry: str, data: dict[str, Any], vocabulary: Vocabulary
) -> Iterable[Problem]:
    try:
        Resource.model_validate(data, context={"vocabulary": vocabulary})
    except ValidationError as exc:
        for error in exc.errors():
            field_name = str(error["loc"][0]) if error["loc"] else "-"
            yield Problem(name, entry, field_name, field_message(error, data))


# What an empty field needs, in the words of a person filling it in.
_EMPTY = {
    "id": "an id is needed: a short slug like safe-homes, which never changes",
    "title": "a title is needed",
    "summary": f"a summary is needed: one to three plain sentences, at most {SUMMARY_MAX} "
    "characters",
    "publisher": "a publisher is needed",
    "type": "choose a type",
    "audiences": "choose at least one group it is for",
    "topics": "choose at least one topic",
    "added": "the day it joins the catalogue is needed, written YYYY-MM-DD",
}


def field_message(error: Any, data: dict[str, Any]) -> str:
    """One of pydantic's errors (an ErrorDetails) as people read it beside the field or in
    `mailer catalogue validate`: never pydantic's own wording or a regular expression."""
    field_name = str(error["loc"][0]) if error["loc"] else "-"
    kind, ctx = error["type"], error.get("ctx") or {}
    value = data.get(field_name)
    if kind == "missing":
        return "missing required field"
    if kind == "extra_forbidden":
        return "unknown field (check the spelling)"
    if kind == "string_type":
        return f"must be text: put quotes around {value!r}"
    if value in (None, "", [], ()) and field_name in _EMPTY:
        return _EMPTY[field_name]
    # The lengths counted are what the model counts: the text without its outer spaces.
    length = len(str(value).strip())
    if kind == "string_too_short":
        return f"too short: at least {ctx.get('min_length')} characters (this has {length})"
    if kind == "string_too_long":
        return f"too long: at most {ctx.get('max_length')} characters (this has {length})"
    if kind == "string_pattern_mismatch" and field_name == "id":
        return "must be a slug: lowercase letters, digits and single hyphens, like safe-homes"
    if kind == "tuple_type":
        return "must be a list, like [schools, faith-groups]"
    if field_name == "added" and kind.startswith("date"):
        return "must be a real date written YYYY-MM-DD"
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")  # our own validators' words
    # Anything else pydantic can say (a list where text was expected, a number...): name the
    # field's expected shape rather than echo the library.
    return "this value is not what this field takes: check it against an existing resource"


# libyaml's parser when PyYAML has it (every wheel does): several times faster than pure Python.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeLoader):
    """Safe YAML that leaves dates as text, so the schema checks them field by field.

    (PyYAML's own date parsing fails the whole file on "added: 2026-02-30", naming no field.)
    """


_Loader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _SafeLoader.yaml_implicit_resolvers.items()
}


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 (safe)
    except FileNotFoundError:
        raise CatalogueError(f"{path}: file not found") from None
    except UnicodeDecodeError:
        raise CatalogueError("not UTF-8 text: save the file as UTF-8") from None
    except yaml.MarkedYAMLError as exc:
        where = (
            f" at line {exc.problem_mark.line + 1}, column {exc.problem_mark.column + 1}"
            if (exc.problem_mark)
            else ""
        )
        raise CatalogueError(f"not valid YAML{where}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise CatalogueError(f"not valid YAML: {exc}".replace("\n", " ")) from None
