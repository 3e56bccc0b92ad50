"""The public catalogue pages and the dev outbox, through Flask's test client."""

from __future__ import annotations

import re

from flask import url_for

from mailer.container import Container
from mailer.emails.mime import build_message
from mailer.emails.views import greeting
from mailer.local.outbox import moto_outbox
from mailer.subscribers.model import Status
from tests.support.data_protection import seed
from tests.support.staff import signed_in_as_sender
from web import create_app


def _titles(html: str) -> list[str]:
    return re.findall(r'<h2><a href="[^"]*">([^<]*)</a></h2>', html)


def test_catalogue_lists_every_resource_newest_first(client, container: Container) -> None:
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    titles = _titles(html)
    assert len(titles) == 16
    assert "Showing 16 of 16 resources." in html
    # 2024 is the newest publication date in the catalogue; 2017 entries come near the end.
    assert titles[0] == "Non-Statutory First Responder Capacity 2024"
    assert titles.index("ATMG Alternative Modern Slavery Bill") > titles.index(
        "Real people, real lives: ten years of advocacy for victims of slavery in the UK"
    )


def test_audience_filter_shows_only_that_audience(client, container: Container) -> None:
    expected = {r.title for r in container.catalogue_files().resources if "schools" in r.audiences}
    html = client.get("/?audience=schools").get_data(as_text=True)
    shown = {t.replace("&#39;", "'").replace("&amp;", "&") for t in _titles(html)}
    assert shown == expected
    assert '<option value="schools" selected>' in html


def test_topic_and_audience_filters_combine(client, container: Container) -> None:
    expected = {
        r.id
        for r in container.catalogue_files().resources
        if "individuals" in r.audiences and "domestic-workers" in r.topics
    }
    html = client.get("/?audience=individuals&topic=domestic-workers").get_data(as_text=True)
    shown = set(re.findall(r'<li class="resource" id="([^"]+)">', html))
    assert shown == expected and len(shown) >= 2


def test_unknown_filter_values_are_ignored_not_errors(client) -> None:
    page = client.get("/?audience=<script>&topic=nonsense")
    assert page.status_code == 200
    assert "<script>" not in page.get_data(as_text=True)
    assert "Showing 16 of 16" in page.get_data(as_text=True)


def test_resource_page_and_missing_resource(client) -> None:
    page = client.get("/resources/safe-homes")
    assert page.status_code == 200
    assert "Safe homes: Ensuring access" in page.get_data(as_text=True)
    missing = client.get("/resources/no-such-thing")
    assert missing.status_code == 404
    assert "could not find that resource" in missing.get_data(as_text=True)


# A value for each argument of a route, so every page of the app can be fetched.
_ARGUMENTS = {
    "filename": "site.css",
    "resource_id": "safe-homes",
    "audience": "schools",
    "campaign": "digest#2026-12",
    "draft_id": "no-such-draft",
    "batch_id": "no-such-batch",
    "slug": "digest-2026-12",
    "day_id": "anti-slavery-day",
}
# The pages that other pages of ours (or the charity's site) frame, and how far they may be.
_FRAMED = {
    "subscribe.embed_page": "frame-ancestors 'self'",
    "staff_digests.next_digest_html": "frame-ancestors 'self'; sandbox",
    "staff_drafts.preview_html": "frame-ancestors 'self'; sandbox",
}


def _every_page(app, tokens: dict[str, str]) -> dict[str, str]:
    """Endpoint -> a path to fetch, for every route that answers GET."""
    pages = {}
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" in rule.methods:
                missing = rule.arguments - set(_ARGUMENTS) - {"token"}
                assert not missing, f"give {rule.rule}'s {missing} a value in _ARGUMENTS"
                values = {name: _ARGUMENTS.get(name) for name in rule.arguments}
                if "token" in rule.arguments:
                    values["token"] = tokens[rule.endpoint.partition(".")[0]]
                pages[rule.endpoint] = url_for(rule.endpoint, **values)
    return pages


def test_security_headers_on_every_page(staff_browser, staff: Container) -> None:
    """Every route that answers GET, public and staff (signed in), with live tokens, plus the
    answers to an unknown page and a wrong method: none may be framed (but the embed form and
    the previews, by us alone), sniffed, leak its URL, or (token and staff pages) be stored."""
    person = seed(staff, "reader@example.org")
    links = staff.links
    tokens = {
        "confirm": links.confirm(seed(staff, "new@example.org", status=Status.PENDING)),
        "preferences": links.manage(person),
        "unsubscribe": links.unsubscribe(person),
    }
    signed_in_as_sender(staff_browser)
    pages = _every_page(
        staff_browser.application, {k: v.rsplit("/", 1)[1] for k, v in tokens.items()}
    )
    assert len(pages) > 25 and "staff.dashboard" in pages and "confirm.confirm_page" in pages
    answers = {endpoint: staff_browser.get(path) for endpoint, path in pages.items()}
    answers["unknown page"] = staff_browser.get("/no-such-page")
    answers["wrong method"] = staff_browser.delete("/")
    assert answers["unknown page"].status_code == 404
    assert answers["wrong method"].status_code == 405
    assert answers["preferences.show"].status_code == 200  # a live token's own page
    for endpoint, response in answers.items():
        headers = response.headers
        policy = headers.get("Content-Security-Policy", "")
        assert headers.get("X-Content-Type-Options") == "nosniff", endpoint
        assert headers.get("Referrer-Policy") == "no-referrer", endpoint
        assert headers.get("Strict-Transport-Security", "").startswith("max-age="), endpoint
        if response.mimetype != "text/html":  # a stylesheet or the chart: not a document
            pass
        elif endpoint in _FRAMED:
            # by us alone (or, as an error page, by nobody)
            assert _FRAMED[endpoint] in policy or "frame-ancestors 'none'" in policy, endpoint
            assert headers.get("X-Frame-Options") in (None, "SAMEORIGIN", "DENY"), endpoint
        else:
            assert "frame-ancestors 'none'" in policy, endpoint
            assert headers.get("X-Frame-Options") == "DENY", endpoint
        path = pages.get(endpoint, "")
        if path.startswith(("/confirm/", "/preferences/", "/unsubscribe/", "/staff/")):
            assert headers.get("Cache-Control") == "no-store", endpoint
        response.close()  # a static file's answer holds the file open
    # real pages, not only error pages: 26 of them answer 200 today
    assert sum(r.status_code == 200 for r in answers.values()) > 20


def test_wrong_method_is_a_clear_405(client) -> None:
    response = client.post("/")
    assert response.status_code == 405
    assert "Method Not Allowed" in response.get_data(as_text=True)


def test_outbox_does_not_exist_on_a_deployed_stack(client) -> None:
    assert client.get("/dev/outbox").status_code == 404
    assert client.get("/dev/outbox.json").status_code == 404


def test_outbox_shows_each_sent_message_with_raw_mime(local_container: Container) -> None:
    app = create_app(local_container, outbox=moto_outbox(local_container.settings.region))
    client = app.test_client()
    assert client.get("/dev/outbox.json").get_json() == []
    email = local_container.renderer.render(
        "preferences_changed",
        {"audience_label": "Schools", "topic_labels": ["Safe housing"], "reason": "Because."},
        {"greeting": greeting("Ana"), "manage_url": "https://m", "unsubscribe_url": "https://u"},
    )
    raw = build_message(
        email, sender=local_container.settings.sender_address, to="ana@example.com"
    ).as_bytes()
    local_container.clients.sesv2.send_email(
        FromEmailAddress=local_container.settings.sender_address,
        Destination={"ToAddresses": ["ana@example.com"]},
        Content={"Raw": {"Data": raw}},
    )
    messages = client.get("/dev/outbox.json").get_json()
    assert len(messages) == 1
    assert messages[0]["to"] == "ana@example.com"
    assert messages[0]["subject"] == "Your subscription preferences have changed"
    assert "Hello Ana," in messages[0]["raw"]
    listing = client.get("/dev/outbox").get_data(as_text=True)
    assert "Your subscription preferences have changed" in listing
    html_part = client.get(f"/dev/outbox/{messages[0]['id']}.html")
    assert html_part.status_code == 200 and "Preferences updated" in html_part.get_data(
        as_text=True
    )


def test_outbox_answers_only_with_a_loopback_endpoint_and_a_loopback_host(
    local_container: Container,
) -> None:
    """Issue 10, item 10: every email's links are in the outbox."""
    import dataclasses

    reader = moto_outbox(local_container.settings.region)
    app = create_app(local_container, outbox=reader)
    assert app.test_client().get("/dev/outbox.json").status_code == 200
    for host in ("mailer.example.org", "192.168.1.20:8000", "127.0.0.1.nip.io"):
        assert app.test_client().get("/dev/outbox.json", headers={"Host": host}).status_code == 404
    remote = dataclasses.replace(
        local_container.settings, aws_endpoint_url="https://dynamodb.eu-west-2.amazonaws.com"
    )
    elsewhere = create_app(Container(remote, local_container.clients), outbox=reader)
    assert elsewhere.test_client().get("/dev/outbox.json").status_code == 404


def test_the_exception_log_names_the_route_not_the_token(
    app, container: Container, user, outbox, monkeypatch, caplog
) -> None:
    """Issue 10, item 10: Flask's own 500 log used to carry the whole path, token and all."""
    user.subscribe("crash@example.org")
    path = user.path(outbox.link(outbox.to("crash@example.org")[0], "/confirm/"))
    page = user.client.get(path).get_data(as_text=True)

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(container.subscriptions, "confirm", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as deployed: Flask logs it and answers 500
    response = user.client.post(path, data={"csrf_token": user.form_token(page)})
    assert response.status_code == 500
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Exception on /confirm/<token> [POST]" in logged
    assert path.rsplit("/", 1)[1] not in logged
