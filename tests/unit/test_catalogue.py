"""The catalogue: the real files load, and every schema rule is reported with file, entry, field."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from mailer.catalogue.schema import SUMMARY_MAX, Catalogue, Vocabulary, validate
from mailer.errors import CatalogueError

REPO_CATALOGUE = Path(__file__).resolve().parents[2] / "catalogue"
BAD = "safe-homes"  # the real entry each test corrupts
GOOD = "one-day-at-a-time-2022"  # a real entry left alone, to show validation carries on


def make_catalogue(
    tmp_path: Path,
    change: Callable[[dict[str, Any]], None] | None = None,
    *,
    filename: str = f"{BAD}.yaml",
) -> Path:
    """Copy the vocabulary and two real resources into tmp_path; let `change` edit the first."""
    root = tmp_path / "catalogue"
    (root / "resources").mkdir(parents=True)
    shutil.copy(REPO_CATALOGUE / "vocabulary.yaml", root / "vocabulary.yaml")
    shutil.copy(REPO_CATALOGUE / "resources" / f"{GOOD}.yaml", root / "resources")
    data = yaml.safe_load((REPO_CATALOGUE / "resources" / f"{BAD}.yaml").read_text("utf-8"))
    if change is not None:
        change(data)
    (root / "resources" / filename).write_text(
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8"
    )
    return root


def setter(field: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data[field] = value

    return change


def deleter(field: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        del data[field]

    return change


def only_problem(root: Path) -> Any:
    """Validate root and return its single problem, checking the good entry still loaded."""
    resources, _, problems = validate(root)
    assert [r.id for r in resources] == [GOOD]
    assert len(problems) == 1, problems
    return problems[0]


def assert_load_names(root: Path, file: str, entry: str, field: str, fragment: str) -> None:
    with pytest.raises(CatalogueError) as caught:
        Catalogue.load(root)
    message = str(caught.value)
    assert file in message
    assert repr(entry) in message
    assert repr(field) in message
    assert fragment in message


# --- the real catalogue ---------------------------------------------------------------------


def test_real_catalogue_loads_16_resources(real_catalogue: Catalogue) -> None:
    """The shipped catalogue validates and holds all 16 resources."""
    assert len(real_catalogue.resources) == 16
    files = {p.stem for p in (REPO_CATALOGUE / "resources").glob("*.yaml")}
    assert set(real_catalogue.by_id()) == files


def test_real_catalogue_has_no_problems() -> None:
    """validate() finds nothing wrong in the shipped catalogue."""
    resources, _, problems = validate(REPO_CATALOGUE)
    assert problems == []
    assert len(resources) == 16


@pytest.mark.parametrize("audience", ["schools", "faith-groups", "individuals"])
def test_every_audience_has_at_least_five_resources(
    real_catalogue: Catalogue, audience: str
) -> None:
    """A digest for any audience has enough material to fill it."""
    assert audience in real_catalogue.vocabulary.audiences
    assert sum(audience in r.audiences for r in real_catalogue.resources) >= 5


def test_vocabulary_has_exactly_the_three_audiences(real_catalogue: Catalogue) -> None:
    """The audiences the sign-up form offers are the ones the catalogue knows."""
    assert set(real_catalogue.vocabulary.audiences) == {"schools", "faith-groups", "individuals"}


# --- one rule at a time -----------------------------------------------------------------------

RULES = [
    pytest.param(
        setter("audiences", ["individuals", "prisons"]),
        "audiences",
        "unknown audience 'prisons'",
        id="unknown-audience",
    ),
    pytest.param(
        setter("topics", ["housing", "knitting"]),
        "topics",
        "unknown topic 'knitting'",
        id="unknown-topic",
    ),
    pytest.param(setter("type", "podcast"), "type", "unknown type 'podcast'", id="unknown-type"),
    pytest.param(setter("url", "http://example.org/x"), "url", "https://", id="url-http"),
    pytest.param(setter("url", "not a url"), "url", "https://", id="url-not-a-url"),
    pytest.param(setter("url", "https://example.org/a b"), "url", "https://", id="url-space"),
    pytest.param(setter("url", "https://"), "url", "https://", id="url-no-host"),
    pytest.param(setter("published", "2022-13"), "published", "YYYY-MM", id="published-month"),
    pytest.param(setter("published", "22"), "published", "YYYY-MM", id="published-short"),
    pytest.param(setter("published", "April 2022"), "published", "YYYY-MM", id="published-words"),
    pytest.param(setter("published", "1899"), "published", "YYYY-MM", id="published-too-old"),
    pytest.param(deleter("publisher"), "publisher", "missing required field", id="missing"),
    pytest.param(setter("author", "Jo"), "author", "unknown field", id="extra-field"),
    pytest.param(setter("audiences", []), "audiences", "at least one group", id="no-audiences"),
    pytest.param(
        setter("summary", "x" * (SUMMARY_MAX + 1)),
        "summary",
        "too long: at most 300 characters (this has 301)",
        id="summary-too-long",
    ),
    pytest.param(setter("added", "someday"), "added", "date", id="added-not-a-date"),
    # Characters that break the email (issue 16, item 4), written as YAML escapes ("\f").
    pytest.param(
        setter("title", "Safe homes:\f Ensuring access"),
        "title",
        "The title contains a form feed (often pasted from a PDF), U+000C, as its 12th "
        "character, just after “Safe homes:”",
        id="title-form-feed",
    ),
    pytest.param(
        setter("title", "Safe homes:\nEnsuring access"), "title", "must be one line", id="title-lf"
    ),
    pytest.param(
        setter("summary", "A summary long enough\x01 to pass."),
        "summary",
        "The summary contains an invisible control character, U+0001",
        id="summary-C0",
    ),
    pytest.param(
        setter("publisher", "ATMG\x85 with Hope at Home"),
        "publisher",
        "a next-line character",
        id="publisher-C1",
    ),
    pytest.param(
        setter("summary", "A summary long enough\u2028 to pass."),
        "summary",
        "a line separator",
        id="summary-U+2028",
    ),
    pytest.param(
        setter("publisher", "ATMG\ufffe"), "publisher", "noncharacter, U+FFFE", id="nonchar"
    ),
    pytest.param(
        setter("url", "https://example.org/\x00"), "url", "a null character", id="url-null"
    ),
]


@pytest.mark.parametrize(("change", "field", "fragment"), RULES)
def test_rule_is_reported_with_file_entry_and_field(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], field: str, fragment: str
) -> None:
    """Each broken rule gives one Problem naming the file, the entry, the field and the reason."""
    root = make_catalogue(tmp_path, change)
    problem = only_problem(root)
    file = str(Path("catalogue", "resources", f"{BAD}.yaml"))
    assert (problem.file, problem.entry, problem.field) == (file, BAD, field)
    assert fragment in problem.message
    assert_load_names(root, file, BAD, field, fragment)


def test_summary_of_exactly_the_limit_is_accepted(tmp_path: Path) -> None:
    """300 characters is allowed; only 301 is too long."""
    root = make_catalogue(tmp_path, setter("summary", "x" * SUMMARY_MAX))
    assert len(Catalogue.load(root).resources) == 2


def test_empty_url_and_published_are_allowed(tmp_path: Path) -> None:
    """Unknown address and date stay empty rather than guessed."""
    root = make_catalogue(tmp_path, lambda d: d.update(url="", published=""))
    resource = Catalogue.load(root).by_id()[BAD]
    assert (resource.url, resource.published, resource.published_label) == ("", "", "")


@pytest.mark.parametrize("published", ["2024", "2022-04", "1900", "2100-12"])
def test_good_published_dates_are_accepted(tmp_path: Path, published: str) -> None:
    """YYYY and YYYY-MM within range load."""
    root = make_catalogue(tmp_path, setter("published", published))
    assert Catalogue.load(root).by_id()[BAD].published == published


def test_unquoted_year_is_reported_not_crashed(tmp_path: Path) -> None:
    """`published: 2024` (a YAML number, not a string) is a Problem on the published field."""
    root = make_catalogue(tmp_path)
    path = root / "resources" / f"{BAD}.yaml"
    text = path.read_text("utf-8")
    path.write_text(text.replace("published: ''", "published: 2024"), "utf-8")
    assert "published: 2024" in path.read_text("utf-8")
    problem = only_problem(root)
    assert (problem.entry, problem.field) == (BAD, "published")


def test_id_must_match_file_name(tmp_path: Path) -> None:
    """An id that differs from its file name is reported under that id, on the id field."""
    root = make_catalogue(tmp_path, setter("id", "safe-homes-2"))
    problem = only_problem(root)
    file = str(Path("catalogue", "resources", f"{BAD}.yaml"))
    assert (problem.file, problem.entry, problem.field) == (file, "safe-homes-2", "id")
    assert "must match the file name ('safe-homes')" in problem.message
    assert_load_names(root, file, "safe-homes-2", "id", "must match the file name")


def test_bad_id_pattern(tmp_path: Path) -> None:
    """Upper case and underscores are not allowed in an id, even when it matches its file."""
    root = make_catalogue(tmp_path, setter("id", "Safe_Homes"), filename="Safe_Homes.yaml")
    problem = only_problem(root)
    file = str(Path("catalogue", "resources", "Safe_Homes.yaml"))
    assert (problem.file, problem.entry, problem.field) == (file, "Safe_Homes", "id")
    assert "must be a slug" in problem.message
    assert_load_names(root, file, "Safe_Homes", "id", "must be a slug")


def test_duplicate_id_names_both_files(tmp_path: Path) -> None:
    """A copied file keeps the original's id: the copy is refused as a duplicate of the original."""
    root = make_catalogue(tmp_path)
    shutil.copy(root / "resources" / f"{BAD}.yaml", root / "resources" / "safe-homes-copy.yaml")
    resources, _, problems = validate(root)
    assert sorted(r.id for r in resources) == [GOOD, BAD]
    assert len(problems) == 1
    problem = problems[0]
    assert problem.file.endswith("safe-homes-copy.yaml")
    assert (problem.entry, problem.field) == (BAD, "id")
    assert problem.message == f"duplicate id, also in {Path('catalogue', 'resources', BAD)}.yaml"


def test_id_that_is_not_the_file_name(tmp_path: Path) -> None:
    """An id that matches no file is a file-name mismatch, not a duplicate."""
    root = make_catalogue(tmp_path, setter("id", "safe-houses"))
    problem = only_problem(root)
    assert (problem.entry, problem.field) == ("safe-houses", "id")
    assert f"must match the file name ({BAD!r})" in problem.message


@pytest.mark.parametrize("name", ["extra.yml", "extra.YAML", "notes.txt"])
def test_files_that_are_not_yaml_are_named_not_ignored(tmp_path: Path, name: str) -> None:
    """A resource saved as .yml would silently never appear: it is reported instead."""
    root = make_catalogue(tmp_path)
    (root / "resources" / name).write_text("id: extra\n")
    resources, _, problems = validate(root)
    assert sorted(r.id for r in resources) == [GOOD, BAD]
    assert len(problems) == 1
    problem = problems[0]
    assert problem.file.endswith(name)
    assert "must end in .yaml" in problem.message


def test_several_problems_are_all_reported(tmp_path: Path) -> None:
    """One run lists every problem, not just the first, and the count is in the message."""
    root = make_catalogue(tmp_path, lambda d: d.update(type="podcast", topics=["knitting"]))
    _, _, problems = validate(root)
    assert sorted(p.field for p in problems) == ["topics", "type"]
    with pytest.raises(CatalogueError, match=r"^2 problem\(s\) in the catalogue"):
        Catalogue.load(root)


# --- whole-file problems ----------------------------------------------------------------------


def test_invalid_yaml_is_reported_with_its_file(tmp_path: Path) -> None:
    """A file that does not parse is a problem naming the file, and the others still load."""
    root = make_catalogue(tmp_path)
    (root / "resources" / f"{BAD}.yaml").write_text("id: [unclosed\ntitle: x\n", "utf-8")
    problem = only_problem(root)
    assert problem.file == str(Path("catalogue", "resources", f"{BAD}.yaml"))
    assert "not valid YAML" in problem.message
    with pytest.raises(CatalogueError, match="not valid YAML") as caught:
        Catalogue.load(root)
    assert f"{BAD}.yaml" in str(caught.value)


def test_yaml_list_is_reported_as_not_a_mapping(tmp_path: Path) -> None:
    """A file holding a list instead of field: value pairs is named, under its file's stem."""
    root = make_catalogue(tmp_path)
    (root / "resources" / f"{BAD}.yaml").write_text("- id: safe-homes\n- title: x\n", "utf-8")
    problem = only_problem(root)
    assert problem.file == str(Path("catalogue", "resources", f"{BAD}.yaml"))
    assert problem.entry == BAD
    assert "must be a mapping" in problem.message
    assert_load_names(root, f"{BAD}.yaml", BAD, "-", "must be a mapping")


def test_empty_file_is_reported(tmp_path: Path) -> None:
    """An empty resource file is a problem, not a crash."""
    root = make_catalogue(tmp_path)
    (root / "resources" / f"{BAD}.yaml").write_text("", "utf-8")
    assert "must be a mapping" in only_problem(root).message


def test_missing_vocabulary_file(tmp_path: Path) -> None:
    """Without vocabulary.yaml nothing can be checked: a CatalogueError names the file."""
    root = make_catalogue(tmp_path)
    (root / "vocabulary.yaml").unlink()
    with pytest.raises(
        CatalogueError, match=r"no vocabulary\.yaml in .*point at the catalogue folder"
    ):
        validate(root)
    with pytest.raises(
        CatalogueError, match=r"no vocabulary\.yaml in .*point at the catalogue folder"
    ):
        Catalogue.load(root)


def test_vocabulary_without_topics_is_refused(tmp_path: Path) -> None:
    """A vocabulary missing one of its three lists is a CatalogueError naming the file."""
    path = tmp_path / "vocabulary.yaml"
    path.write_text("audiences: {schools: Schools}\ntypes: {report: Report}\n", "utf-8")
    with pytest.raises(CatalogueError, match="needs mappings audiences, types and topics") as c:
        Vocabulary.load(path)
    assert str(path) in str(c.value)


def test_no_resource_files_is_a_problem(tmp_path: Path) -> None:
    """An empty resources/ folder is reported rather than loading an empty catalogue."""
    root = make_catalogue(tmp_path)
    for path in (root / "resources").iterdir():
        path.unlink()
    with pytest.raises(CatalogueError, match="no resource files found"):
        Catalogue.load(root)


# --- once bugs: impossible dates and hidden line breaks ---------------------------------------


def test_impossible_added_date_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    """A typo like `added: 2026-13-01` should be a Problem naming the file, not a traceback."""
    root = make_catalogue(tmp_path)
    path = root / "resources" / f"{BAD}.yaml"
    path.write_text(path.read_text("utf-8").replace("2026-11-29", "2026-13-01"), "utf-8")
    problem = only_problem(root)
    assert problem.file.endswith(f"{BAD}.yaml")
    assert (problem.entry, problem.field) == (BAD, "added")
    assert problem.message == "must be a real date written YYYY-MM-DD"


def test_impossible_date_does_not_hide_the_other_problems(tmp_path: Path) -> None:
    """One bad date used to stop the whole file being checked."""
    root = make_catalogue(tmp_path, lambda d: d.update(added="2026-02-30", type="podcast"))
    _, _, problems = validate(root)
    assert sorted(p.field for p in problems) == ["added", "type"]


def test_yaml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    root = make_catalogue(tmp_path)
    path = root / "resources" / f"{BAD}.yaml"
    path.write_text(path.read_text("utf-8") + "topics: [housing\n", "utf-8")
    problem = only_problem(root)
    assert problem.message.startswith("not valid YAML at line ")
    assert "\n" not in problem.message


def test_id_not_matching_the_file_is_reported_beside_other_problems(tmp_path: Path) -> None:
    root = make_catalogue(tmp_path, lambda d: d.update(id="safe-houses", type="podcast"))
    _, _, problems = validate(root)
    assert sorted(p.field for p in problems) == ["id", "type"]


@pytest.mark.parametrize("url", ["https://example.org/a\nb", "https://example.org/a\tb"])
def test_url_with_control_characters_is_refused(tmp_path: Path, url: str) -> None:
    """A URL with a line break or tab in it is not a usable address."""
    problem = only_problem(make_catalogue(tmp_path, setter("url", url)))
    assert problem.field == "url"


# --- Resource helpers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("published", "label"),
    [("2022-04", "April 2022"), ("2017-01", "January 2017"), ("2024", "2024"), ("", "")],
)
def test_published_label(make_resource: Callable[..., Any], published: str, label: str) -> None:
    """Dates read as people say them; unknown stays blank."""
    assert make_resource(published=published).published_label == label


def test_newest_first_key_puts_unknown_dates_last(make_resource: Callable[..., Any]) -> None:
    """Sorted newest first, resources with no publication date come after all dated ones."""
    resources = [
        make_resource(id="undated", published=""),
        make_resource(id="old", published="2017-01"),
        make_resource(id="new", published="2024"),
        make_resource(id="mid", published="2022-04"),
    ]
    ordered = sorted(resources, key=lambda r: r.newest_first_key(), reverse=True)
    assert [r.id for r in ordered] == ["new", "mid", "old", "undated"]


def test_newest_first_key_breaks_ties_by_date_added(make_resource: Callable[..., Any]) -> None:
    """With the same publication date, the one added to the catalogue later comes first."""
    earlier = make_resource(id="earlier", published="2022", added=dt.date(2026, 1, 1))
    later = make_resource(id="later", published="2022", added=dt.date(2026, 6, 1))
    ordered = sorted([earlier, later], key=lambda r: r.newest_first_key(), reverse=True)
    assert [r.id for r in ordered] == ["later", "earlier"]
