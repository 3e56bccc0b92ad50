"""Lambda handlers called with the events AWS sends (JSON fixtures in tests/events/)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from mailer.container import Services
from web import create_app

EVENTS = Path(__file__).resolve().parents[1] / "events"


@dataclass
class LambdaContext:
    """The attributes Powertools reads from a Lambda context."""

    function_name: str = "WebFunction"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:eu-west-2:123456789012:function:WebFunction"
    aws_request_id: str = "0f1e2d3c-test"


@pytest.fixture
def web_handler(services: Services, test_env: dict[str, str], monkeypatch: pytest.MonkeyPatch):
    """The web handler, fresh, reading the test settings from its environment like Lambda."""
    for name, value in test_env.items():
        monkeypatch.setenv(name, value)
    from handlers import web

    def app_without_fill_wait():
        app = create_app()
        app.config["SUBSCRIBE_MIN_FILL_SECONDS"] = 0  # the rule has its own test
        app.config["SUBSCRIBE_MIN_RESPONSE_SECONDS"] = 0  # so has this one
        return app

    monkeypatch.setattr(web, "_handler", None)
    monkeypatch.setattr(web, "create_app", app_without_fill_wait)
    return web.lambda_handler


def test_http_api_v2_event_serves_the_filtered_catalogue(web_handler, services) -> None:
    event = json.loads((EVENTS / "http_get_catalogue.json").read_text())
    response = web_handler(event, LambdaContext())
    assert response["statusCode"] == 200
    assert response["headers"]["content-type"].startswith("text/html")
    body = response["body"]
    faith = [r for r in services.catalogue_files().resources if "faith-groups" in r.audiences]
    assert f"Showing {len(faith)} of 16 resources." in body


def test_unknown_path_is_a_404_page_not_a_crash(web_handler) -> None:
    event = json.loads((EVENTS / "http_get_catalogue.json").read_text())
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/no/such/page"
    response = web_handler(event, LambdaContext())
    assert response["statusCode"] == 404


def test_subscribe_through_the_lambda_handler(web_handler, services, outbox) -> None:
    """GET the form and POST it back as API Gateway would (base64 body), via apig-wsgi."""
    import base64
    import re
    from urllib.parse import quote

    from mailer.subscribers.store import Status, subscriber_key

    page = web_handler(
        json.loads((EVENTS / "http_get_subscribe.json").read_text()), LambdaContext()
    )
    assert page["statusCode"] == 200
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page["body"]).group(1)
    event = json.loads((EVENTS / "http_post_subscribe.json").read_text())
    body = base64.b64decode(event["body"]).decode().replace("__FORM_TOKEN__", quote(token))
    event["body"] = base64.b64encode(body.encode()).decode()
    response = web_handler(event, LambdaContext())
    assert response["statusCode"] == 303, response["body"]
    stored = services.subscriber_store.get(subscriber_key("school.office@example.org"))
    assert stored.status is Status.PENDING and stored.audience == "schools"
    assert outbox.to("school.office@example.org")[0].subject == "Please confirm your subscription"


def test_confirm_through_the_lambda_handler_over_https_with_no_referer(
    web_handler, services
) -> None:
    """The deployed path: https, a session cookie, and no Referer (the page says no-referrer)."""
    import re
    from urllib.parse import quote

    from mailer.subscribers.store import Status, Subscriber, subscriber_key
    from mailer.subscribers.tokens import Purpose

    key = subscriber_key("deployed@example.org")
    services.subscriber_store.put(
        Subscriber(
            key=key,
            email="deployed@example.org",
            audience="individuals",
            status=Status.PENDING,
            expires_at=4_000_000_000,
            updated_at="t0",
        )
    )
    path = f"/confirm/{services.tokens.make(Purpose.CONFIRM, key)}"
    get = json.loads((EVENTS / "http_get_subscribe.json").read_text())
    get["rawPath"] = get["requestContext"]["http"]["path"] = path
    page = web_handler(get, LambdaContext())
    assert page["statusCode"] == 200 and page["headers"]["referrer-policy"] == "no-referrer"
    cookie = page["cookies"][0].split(";", 1)[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page["body"]).group(1)
    post = json.loads((EVENTS / "http_post_subscribe.json").read_text())
    post["rawPath"] = post["requestContext"]["http"]["path"] = path
    post["cookies"] = [cookie]
    post["body"], post["isBase64Encoded"] = f"csrf_token={quote(token)}", False
    assert post["headers"]["x-forwarded-proto"] == "https" and "referer" not in post["headers"]
    response = web_handler(post, LambdaContext())
    assert response["statusCode"] == 200, response["body"]
    assert services.subscriber_store.get(key).status is Status.CONFIRMED
