"""Lambda handlers called with the events AWS sends (JSON fixtures in tests/events/)."""

from __future__ import annotations

import pytest

from mailer.container import Container
from tests.support.lambda_events import LambdaContext, load_event
from web import create_app


@pytest.fixture
def web_handler(
    container: Container, test_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, use_container
):
    """The web handler, fresh, reading the test settings from its environment like Lambda."""
    for name, value in test_env.items():
        monkeypatch.setenv(name, value)
    from handlers import web

    def app_without_fill_wait(container: Container):
        app = create_app(container, parts=("public",))  # what create_public_app builds
        app.config["SUBSCRIBE_MIN_FILL_SECONDS"] = 0  # the rule has its own test
        app.config["SUBSCRIBE_MIN_RESPONSE_SECONDS"] = 0  # so has this one
        return app

    monkeypatch.setattr(web, "create_public_app", app_without_fill_wait)
    return web.lambda_handler


def test_http_api_v2_event_serves_the_filtered_catalogue(web_handler, container) -> None:
    event = load_event("http_get_catalogue")
    response = web_handler(event, LambdaContext("WebFunction"))
    assert response["statusCode"] == 200
    assert response["headers"]["content-type"].startswith("text/html")
    body = response["body"]
    faith = [r for r in container.catalogue_files().resources if "faith-groups" in r.audiences]
    assert f"Showing {len(faith)} of 16 resources." in body


def test_unknown_path_is_a_404_page_not_a_crash(web_handler) -> None:
    event = load_event("http_get_catalogue")
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/no/such/page"
    response = web_handler(event, LambdaContext("WebFunction"))
    assert response["statusCode"] == 404


def test_subscribe_through_the_lambda_handler(web_handler, container, outbox) -> None:
    """GET the form and POST it back as API Gateway would (base64 body), via apig-wsgi."""
    import base64
    import re
    from urllib.parse import quote

    from mailer.subscribers.model import Status
    from tests.support.keys import subscriber_key

    page = web_handler(load_event("http_get_subscribe"), LambdaContext("WebFunction"))
    assert page["statusCode"] == 200
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page["body"]).group(1)
    event = load_event("http_post_subscribe")
    body = base64.b64decode(event["body"]).decode().replace("__FORM_TOKEN__", quote(token))
    event["body"] = base64.b64encode(body.encode()).decode()
    response = web_handler(event, LambdaContext("WebFunction"))
    assert response["statusCode"] == 303, response["body"]
    stored = container.subscriber_store.get(subscriber_key("school.office@example.org"))
    assert stored.status is Status.PENDING and stored.audience == "schools"
    assert outbox.to("school.office@example.org")[0].subject == "Please confirm your subscription"


def test_confirm_through_the_lambda_handler_over_https_with_no_referer(
    web_handler, container
) -> None:
    """The deployed path: https, a session cookie, and no Referer (the page says no-referrer)."""
    import re
    from urllib.parse import quote

    from mailer.subscribers.model import Status, Subscriber
    from mailer.subscribers.tokens import Purpose
    from tests.support.keys import subscriber_key

    key = subscriber_key("deployed@example.org")
    pending = Subscriber(
        key=key,
        email="deployed@example.org",
        audience="individuals",
        status=Status.PENDING,
        expires_at=4_000_000_000,
        updated_at="t0",
    )
    container.subscriber_store.put(pending)
    path = f"/confirm/{container.tokens.make(Purpose.CONFIRM, pending.link_id)}"
    get = load_event("http_get_subscribe")
    get["rawPath"] = get["requestContext"]["http"]["path"] = path
    page = web_handler(get, LambdaContext("WebFunction"))
    assert page["statusCode"] == 200 and page["headers"]["referrer-policy"] == "no-referrer"
    cookie = page["cookies"][0].split(";", 1)[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page["body"]).group(1)
    post = load_event("http_post_subscribe")
    post["rawPath"] = post["requestContext"]["http"]["path"] = path
    post["cookies"] = [cookie]
    post["body"], post["isBase64Encoded"] = f"csrf_token={quote(token)}", False
    assert post["headers"]["x-forwarded-proto"] == "https" and "referer" not in post["headers"]
    response = web_handler(post, LambdaContext("WebFunction"))
    assert response["statusCode"] == 200, response["body"]
    assert container.subscriber_store.get(key).status is Status.CONFIRMED


def test_the_web_handler_refuses_any_payload_but_2_0(web_handler) -> None:
    """Issue 10, item 9: with payload 1.0, apig-wsgi trusts a spoofable X-Forwarded-For."""
    event = load_event("http_get_subscribe")
    assert web_handler(event, LambdaContext("WebFunction"))["statusCode"] == 200
    event_1_0 = {
        "version": "1.0",
        "httpMethod": "GET",
        "path": "/subscribe",
        "headers": {"X-Forwarded-For": "203.0.113.9"},
        "requestContext": {},
    }
    answer = web_handler(event_1_0, LambdaContext("WebFunction"))
    assert answer["statusCode"] == 400
    unversioned = {k: v for k, v in event.items() if k != "version"}
    assert web_handler(unversioned, LambdaContext("WebFunction"))["statusCode"] == 400
