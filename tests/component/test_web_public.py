"""The public catalogue pages and the dev outbox, through Flask's test client."""

from __future__ import annotations

import re

from mailer.container import Container
from mailer.emails.mime import build_message
from mailer.emails.views import greeting
from mailer.local.outbox import moto_outbox
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


def test_security_headers_on_every_page(client) -> None:
    headers = client.get("/").headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"


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
