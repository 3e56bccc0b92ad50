"""Issue 17, item 2: awareness days as data, checked like the catalogue (each problem named by
file and line), and `days_within`, the question a digest draft asks of them."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from mailer.catalogue.awareness import AwarenessDay, days_within
from mailer.catalogue.awareness_file import DAYS_FILE, load_days
from mailer.catalogue.schema import Vocabulary
from mailer.cli.main import main
from mailer.paths import catalogue_dir


@pytest.fixture(scope="module")
def days(vocabulary: Vocabulary) -> list[AwarenessDay]:
    """The days the project ships, checked against its catalogue."""
    ids = {p.stem for p in (catalogue_dir() / "resources").glob("*.yaml")}
    found, problems = load_days(catalogue_dir(), vocabulary, ids)
    assert problems == []
    return found


def test_the_shipped_days_are_the_three_sourced_ones(days: list[AwarenessDay]) -> None:
    assert {(d.name, d.when_label, d.source) for d in days} == {
        ("Anti-Slavery Day", "18 October, every year", "Anti-Slavery Day Act 2010"),
        (
            "World Day against Trafficking in Persons",
            "30 July, every year",
            "UN General Assembly resolution 68/192",
        ),
        (
            "International Day for the Abolition of Slavery",
            "2 December, every year",
            "UN General Assembly resolution 317(IV), 1949",
        ),
    }


def test_two_weeks_before_anti_slavery_day_finds_it_for_each_suited_group(
    days: list[AwarenessDay],
) -> None:
    start = dt.date(2026, 10, 4)
    [found] = days_within(days, start)
    assert (found.day.id, found.on, found.days_away) == (
        "anti-slavery-day",
        dt.date(2026, 10, 18),
        14,
    )
    assert found.day.resources[0] == "real-people-real-lives-2019"
    assert [o.day.id for o in days_within(days, start, audience="schools")] == ["anti-slavery-day"]
    assert days_within(days, start, dt.timedelta(days=14)) == []  # the window's end is open


def test_a_window_across_the_new_year_and_a_one_off_day(
    days: list[AwarenessDay], vocabulary: Vocabulary
) -> None:
    once = AwarenessDay.model_validate(
        {
            "id": "launch-day",
            "name": "Our launch day",
            "date": "2027-01-05",
            "audiences": ["faith-groups"],
            "line": "A one-off day, once only.",
            "source": "Our own board's decision",
        },
        context={"vocabulary": vocabulary},
    )
    found = days_within([*days, once], dt.date(2026, 11, 25), dt.timedelta(weeks=8))
    assert [(o.day.id, o.on) for o in found] == [
        ("international-day-for-the-abolition-of-slavery", dt.date(2026, 12, 2)),
        ("launch-day", dt.date(2027, 1, 5)),
    ]
    assert days_within([once], dt.date(2027, 11, 25), dt.timedelta(weeks=8)) == []
    assert days_within([once], dt.date(2026, 11, 25), audience="schools") == []


def test_29_february_falls_on_the_28th_in_other_years(vocabulary: Vocabulary) -> None:
    leap = AwarenessDay.model_validate(
        {
            "id": "leap-day",
            "name": "Leap day",
            "yearly": "02-29",
            "audiences": ["individuals"],
            "line": "A day that needs a leap year.",
            "source": "The calendar",
        },
        context={"vocabulary": vocabulary},
    )
    assert leap.occurrence(2027) == dt.date(2027, 2, 28)
    assert leap.occurrence(2028) == dt.date(2028, 2, 29)


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    root = tmp_path / "catalogue"
    shutil.copytree(catalogue_dir(), root)
    days = root / DAYS_FILE
    text = days.read_text(encoding="utf-8")
    assert old in text
    days.write_text(text.replace(old, new, 1), encoding="utf-8")
    return root


def _line_of(root: Path, text: str) -> int:
    lines = (root / DAYS_FILE).read_text(encoding="utf-8").split("\n")  # as YAML counts
    return next(n for n, line in enumerate(lines, 1) if text in line)


def test_an_unknown_resource_id_is_an_error_naming_the_file_and_line(tmp_path: Path) -> None:
    root = _broken(
        tmp_path,
        "resources: [real-people-real-lives-2019, agents-for-change-2020, "
        "access-to-work-for-survivors]",
        "resources:\n      - real-people-real-lives-2019\n      - no-such-resource",
    )
    result = CliRunner().invoke(main, ["catalogue", "validate", "--path", str(root)])
    assert result.exit_code == 1
    line = _line_of(root, "- no-such-resource")
    assert (
        f"catalogue/awareness-days.yaml, line {line}: day 'anti-slavery-day': field 'resources': "
        "unknown resource id 'no-such-resource'" in result.output
    )
    assert "Traceback" not in result.output and "1 problem(s) found" in result.output


@pytest.mark.parametrize(
    ("old", "new", "field", "message", "on_the_line"),
    [
        ('yearly: "10-18"', 'yearly: "10-32"', "yearly", "written MM-DD", '"10-32"'),
        (
            'yearly: "07-30"',
            'yearly: "07-30"\n    date: 2027-07-30',
            "-",
            "not both",
            "- id: world",
        ),
        ("[schools, faith-groups, individuals]", "[parents]", "audiences", "unknown", "[parents]"),
        (
            'source: "Anti-Slavery Day Act 2010"',
            'source: "Act\\f2010"',
            "source",
            "form feed",
            "Act",
        ),
        (
            "    name: Anti-Slavery Day",
            "    name: Anti-Slavery Day\n    colour: red",
            "colour",
            "unknown field",
            "colour: red",
        ),
    ],
)
def test_each_problem_names_file_line_day_and_field(
    vocabulary: Vocabulary,
    tmp_path: Path,
    old: str,
    new: str,
    field: str,
    message: str,
    on_the_line: str,
) -> None:
    root = _broken(tmp_path, old, new)
    ids = {p.stem for p in (root / "resources").glob("*.yaml")}
    days, problems = load_days(root, vocabulary, ids)
    [problem] = problems
    assert len(days) == 2
    assert problem.file == "catalogue/awareness-days.yaml" and problem.field == field
    assert message in problem.message
    assert problem.line == _line_of(root, on_the_line), problem


def test_a_file_that_is_not_yaml_names_its_line(vocabulary: Vocabulary, tmp_path: Path) -> None:
    root = _broken(tmp_path, "    name: Anti-Slavery Day", "    name: [Anti-Slavery Day")
    _, [problem] = load_days(root, vocabulary, set())
    assert problem.message.startswith("not valid YAML") and problem.line > 1


def test_a_raw_control_character_names_its_line(vocabulary: Vocabulary, tmp_path: Path) -> None:
    root = _broken(tmp_path, "Anti-Slavery Day Act 2010", "Anti-Slavery Day\x0cAct 2010")
    _, [problem] = load_days(root, vocabulary, set())
    assert "U+000C" in problem.message and problem.line == _line_of(root, "Anti-Slavery Day\x0cAct")
