"""Staff manage the catalogue in the console: the same validation as the files, edits that
sync never overwrites, retiring, and export back to files."""

from __future__ import annotations

import html as html_lib

import pytest
from click.testing import CliRunner

from mailer.catalogue.schema import validate
from mailer.cli.main import main
from mailer.container import Container
from tests.support.staff import signed_in_as_sender, submit

NEW = {
    "id": "forced-labour-in-supply-chains",
    "title": "Forced labour in supply chains: a guide for faith groups",
    "summary": "What forced labour in supply chains looks like, and what a congregation can ask "
    "of the shops and suppliers it uses.",
    "url": "https://www.antislavery.org/example-guide",
    "published": "2026-11",
    "type": "briefing",
    "publisher": "Anti-Slavery International",
    "audiences": ["faith-groups"],
    "topics": ["labour-exploitation"],
    "added": "2026-11-30",
}


@pytest.fixture
def signed_in(staff_browser, staff_clock):
    """A member of staff, signed in a second ago (the audit log orders by the second)."""
    signed_in_as_sender(staff_browser)
    staff_clock.advance(1)
    return staff_browser


def add(client, **changes):
    page = client.get("/staff/resources/new").get_data(as_text=True)
    return submit(client, "/staff/resources/new", page, **{**NEW, **changes})


def test_the_list_searches_and_filters(signed_in) -> None:
    everything = signed_in.get("/staff/resources/").get_data(as_text=True)
    assert "16 resource(s)." in everything
    housing = signed_in.get("/staff/resources/?q=safe+homes").get_data(as_text=True)
    assert "1 resource(s)." in housing and "Safe homes" in housing
    schools = signed_in.get("/staff/resources/?audience=schools").get_data(as_text=True)
    assert "5 resource(s)." in schools


def test_an_added_resource_is_stored_published_and_audited(signed_in, staff: Container) -> None:
    response = add(signed_in)
    assert response.status_code == 303, response.get_data(as_text=True)
    stored = staff.catalogue_store.get(NEW["id"], staff.vocabulary)
    assert stored is not None and stored[0].title == NEW["title"] and not stored[1]
    public = signed_in.get("/?audience=faith-groups").get_data(as_text=True)
    assert NEW["title"].split(":")[0] in public
    assert staff.audit_log.recent()[0].action == "added a resource"
    assert staff.audit_log.recent()[0].detail == {"resource": NEW["id"]}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("url", "http://insecure.example.org", "Must be an https:// address"),
        ("audiences", ["teachers"], "not a valid choice"),
        ("summary", "x" * 301, "at most 300 characters"),
        ("id", "Not A Slug", "lowercase letters, digits and single hyphens, like safe-homes"),
        ("published", "November 2026", "YYYY or YYYY-MM"),
        ("id", "", "An id is needed: a short slug like safe-homes"),
        ("title", "", "A title is needed."),
        ("title", "ab", "Too short: at least 3 characters (this has 2)."),
        ("publisher", "p" * 251, "Too long: at most 250 characters (this has 251)."),
        ("audiences", [], "Choose at least one group it is for."),
        ("topics", [], "Choose at least one topic."),
        ("added", "", "The day it joins the catalogue is needed"),
    ],
)
def test_a_bad_field_is_named_and_nothing_is_stored(
    signed_in, staff: Container, field: str, value: object, message: str
) -> None:
    response = add(signed_in, **{field: value})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="{field}-error"' in html and message in html
    assert "Nothing has been saved" in html
    assert len(staff.catalogue_store.items()) == 16
    # Written for people: none of pydantic's own words, no regular expression.
    for raw in ("should have", "should match", "Tuple", "after validation", "^[a-z", "Input "):
        assert raw not in html
    # Everything typed is kept, so nothing has to be typed again.
    for name in ("title", "summary", "publisher", "url"):
        if name != field:
            assert html_lib.escape(NEW[name], quote=True) in html, name


def test_an_id_already_taken_is_refused(signed_in, staff: Container) -> None:
    response = add(signed_in, id="safe-homes")
    assert response.status_code == 400 and "exists already" in response.get_data(as_text=True)
    assert staff.catalogue_store.get("safe-homes", staff.vocabulary)[0].title.startswith("Safe")


def test_an_edit_survives_catalogue_sync(signed_in, staff: Container) -> None:
    page = signed_in.get("/staff/resources/safe-homes/edit").get_data(as_text=True)
    assert "Safe homes: Ensuring access" in page
    edited = {**NEW, "id": "ignored", "title": "Safe homes (updated 2026)"}
    response = submit(signed_in, "/staff/resources/safe-homes/edit", page, **edited)
    assert response.status_code == 303
    result = CliRunner().invoke(main, ["catalogue", "sync"], obj=staff)
    assert "kept 1 edited by staff" in result.output
    assert staff.catalogue_store.get("safe-homes", staff.vocabulary)[0].title == edited["title"]


def test_a_retired_resource_leaves_the_catalogue_and_cannot_be_announced(
    signed_in, staff: Container
) -> None:
    page = signed_in.get("/staff/resources/").get_data(as_text=True)
    response = submit(signed_in, "/staff/resources/safe-homes/retire", page)
    assert response.status_code == 303
    assert "Retired: Safe homes" in signed_in.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert "Safe homes" not in signed_in.get("/").get_data(as_text=True)
    assert signed_in.get("/resources/safe-homes").status_code == 404
    assert "safe-homes" not in {r.id for r in staff.resources()}
    from mailer.errors import MailerError

    with pytest.raises(MailerError, match="no resource 'safe-homes'"):
        staff.planner.announcement("safe-homes")
    assert staff.audit_log.recent()[0].action == "retired a resource"


def test_without_a_session_or_a_csrf_token_nothing_changes(staff_browser, staff) -> None:
    assert staff_browser.post("/staff/resources/new", data=NEW).status_code in (400, 401)
    signed_in_as_sender(staff_browser)
    assert staff_browser.post("/staff/resources/new", data=NEW).status_code == 400
    assert staff_browser.post("/staff/resources/safe-homes/retire").status_code == 400
    assert len(staff.resources()) == 16


def test_export_writes_files_that_validate(signed_in, staff: Container, tmp_path) -> None:
    add(signed_in)
    page = signed_in.get("/staff/resources/").get_data(as_text=True)
    submit(signed_in, "/staff/resources/safe-homes/retire", page)
    folder = tmp_path / "catalogue" / "resources"
    (tmp_path / "catalogue").mkdir()
    (tmp_path / "catalogue" / "vocabulary.yaml").write_text(
        (staff.catalogue_dir / "vocabulary.yaml").read_text()
    )
    folder.mkdir()
    (folder / "safe-homes.yaml").write_text("stale")
    result = CliRunner().invoke(main, ["catalogue", "export", "--to", str(folder)], obj=staff)
    assert result.exit_code == 0, result.output
    assert "wrote 16 resource file(s)" in result.output and "removed 1 retired" in result.output
    resources, _, problems = validate(tmp_path / "catalogue")
    assert problems == []
    assert NEW["id"] in {r.id for r in resources} and "safe-homes" not in {r.id for r in resources}


def test_a_form_feed_in_a_title_is_refused_beside_the_field_and_nothing_is_stored(
    signed_in, staff: Container
) -> None:
    """Issue 16, item 4: a form feed pasted from a PDF once stopped every email showing it."""
    response = add(signed_in, title="Forced labour\x0c in supply chains")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="title-error"' in html and "Nothing has been saved" in html
    assert (
        "The title contains a form feed (often pasted from a PDF), U+000C, as its 14th "
        "character, just after “Forced labour”" in html
    )
    assert staff.catalogue_store.get(NEW["id"], staff.vocabulary) is None
    assert len(staff.catalogue_store.items()) == 16
    assert html_lib.escape(NEW["summary"], quote=True) in html  # the rest, as typed


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        pytest.param("title", "Forced\x01 labour", "an invisible control character", id="C0"),
        pytest.param("publisher", "Anti-Slavery\x9b International", "U+009B", id="C1"),
        pytest.param("title", "Forced\u2028labour", "a line separator", id="U+2028"),
        pytest.param("publisher", "Anti-Slavery\ufdd0", "a Unicode noncharacter", id="nonchar"),
        pytest.param("summary", NEW["summary"] + "\uffff", "U+FFFF", id="summary-nonchar"),
        pytest.param("title", "Forced labour\nin supply chains", "must be one line", id="LF"),
    ],
)
def test_each_refused_character_is_named_beside_its_field(
    signed_in, staff: Container, field: str, value: str, named: str
) -> None:
    response = add(signed_in, **{field: value})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    error = html.split(f'id="{field}-error">', 1)[1].split("</p>", 1)[0]
    assert named in error and "The " in error
    assert len(staff.catalogue_store.items()) == 16


def test_a_summary_typed_with_browser_line_ends_is_saved(signed_in, staff: Container) -> None:
    """A textarea sends CRLF: accepted (and folded into one paragraph), not refused."""
    response = add(signed_in, summary=NEW["summary"].replace(", and", ",\r\nand"))
    assert response.status_code == 303
    assert staff.catalogue_store.get(NEW["id"], staff.vocabulary)[0].summary == NEW["summary"]


def test_an_empty_id_is_a_message_beside_the_field_not_a_503(signed_in, staff: Container) -> None:
    response = add(signed_in, id="", title="")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="id-error"' in html and "An id is needed" in html
    assert 'id="title-error"' in html and "A title is needed." in html
    assert html_lib.escape(NEW["publisher"]) in html and NEW["url"] in html
    assert len(staff.catalogue_store.items()) == 16


def retire(client, resource_id: str = "safe-homes"):
    page = client.get("/staff/resources/").get_data(as_text=True)
    return submit(client, f"/staff/resources/{resource_id}/retire", page)


def test_editing_a_retired_resource_keeps_it_retired(signed_in, staff: Container) -> None:
    """Issue 16, item 8: an edit once brought a retired resource back into digests."""
    assert retire(signed_in).status_code == 303
    page = signed_in.get("/staff/resources/safe-homes/edit").get_data(as_text=True)
    assert "This resource is retired: saving your changes keeps it retired." in page
    edited = {**NEW, "title": "Safe homes (corrected)"}
    response = submit(signed_in, "/staff/resources/safe-homes/edit", page, **edited)
    assert response.status_code == 303
    shown = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "Saved: Safe homes (corrected) (still retired)" in shown
    resource, retired = staff.catalogue_store.get("safe-homes", staff.vocabulary)
    assert resource.title == "Safe homes (corrected)" and retired
    assert "safe-homes" not in {r.id for r in staff.resources()}
    assert "Safe homes" not in signed_in.get("/").get_data(as_text=True)


def test_a_sender_restores_a_retired_resource_with_its_own_button_audited(
    signed_in, staff: Container, staff_clock
) -> None:
    retire(signed_in)
    staff_clock.advance(1)
    listing = signed_in.get("/staff/resources/").get_data(as_text=True)
    assert ">Restore<" in listing and "back in the catalogue and in digests" in listing
    response = submit(signed_in, "/staff/resources/safe-homes/restore", listing)
    assert response.status_code == 303
    assert "Restored: Safe homes" in signed_in.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert staff.catalogue_store.get("safe-homes", staff.vocabulary)[1] is False
    assert "safe-homes" in {r.id for r in staff.resources()}
    assert staff.audit_log.recent()[0].action == "restored a resource"
    assert staff.audit_log.recent()[0].detail == {"resource": "safe-homes"}
    again = submit(signed_in, "/staff/resources/safe-homes/restore", listing)
    assert "Not retired, so nothing to restore" in signed_in.get(
        again.headers["Location"]
    ).get_data(as_text=True)


def test_restoring_needs_the_csrf_token_and_a_sender(
    signed_in, staff: Container, staff_browser
) -> None:
    from tests.support.staff import CHOSEN, EDITOR, sign_in

    retire(signed_in)
    assert signed_in.post("/staff/resources/safe-homes/restore").status_code == 400
    assert signed_in.post("/staff/resources/no-such-thing/restore").status_code in (400, 404)
    staff_browser.delete_cookie("staff_session", path="/staff")
    staff.clients.cognito.admin_set_user_password(
        UserPoolId=staff.settings.staff_user_pool_id,
        Username=EDITOR,
        Password=CHOSEN,
        Permanent=True,
    )
    assert sign_in(staff_browser, EDITOR, CHOSEN).status_code == 303
    listing = staff_browser.get("/staff/resources/").get_data(as_text=True)
    assert ">Restore<" not in listing
    assert "only a member of the senders group can restore it" in listing
    refused = submit(staff_browser, "/staff/resources/safe-homes/restore", listing)
    assert refused.status_code == 403
    assert staff.catalogue_store.get("safe-homes", staff.vocabulary)[1] is True
    assert staff.audit_log.recent()[0].action != "restored a resource"


def test_a_path_that_is_no_id_is_a_404_not_a_503(signed_in) -> None:
    for path in ("/staff/resources/" + "x" * 3000 + "/edit", "/staff/resources/%20/edit"):
        assert signed_in.get(path).status_code == 404


def test_a_resource_stored_before_the_rule_is_read_cleaned_not_a_500(
    signed_in, staff: Container
) -> None:
    """A form feed saved before this rule must not stop every page and send that reads the
    catalogue: the store drops it on reading, and the next save stores the clean text."""
    table = staff.table(staff.settings.catalogue_table).resource
    item = table.get_item(Key={"id": "safe-homes"})["Item"]
    table.put_item(Item={**item, "title": "Safe homes:\x0c Ensuring\naccess", "source": "console"})
    assert staff.catalogue_store.get("safe-homes", staff.vocabulary)[0].title == (
        "Safe homes: Ensuring access"
    )
    assert signed_in.get("/staff/resources/").status_code == 200
    assert "Safe homes: Ensuring access" in signed_in.get("/").get_data(as_text=True)
    page = signed_in.get("/staff/resources/safe-homes/edit")
    assert page.status_code == 200 and "\x0c" not in page.get_data(as_text=True)
