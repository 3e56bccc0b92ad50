"""The README's iframe snippet on another site: the form loads, fits, submits, and shows."""

from __future__ import annotations

import functools
import http.server
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.support.localstack import LocalStack, free_port

pytestmark = pytest.mark.browser

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    """The local stack in a child process."""
    with LocalStack() as running:
        yield running


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        """No request log in the test output."""


@pytest.fixture(scope="module")
def host_site(stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The charity's own site: a page holding the README's snippet, served from elsewhere."""
    snippet = re.search(r"```html\n(.*?)```", README.read_text(), re.S).group(1)
    snippet = snippet.replace("https://YOUR-SITE", stack.site)
    folder = tmp_path_factory.mktemp("host-site")
    page = "<!doctype html><html><head><meta name=viewport content='width=device-width'></head>"
    page += "<body><h1>Our work</h1>" + "<p>About the charity.</p>" * 40 + snippet
    page += "<footer>" + "<p>Contact us, donate, news.</p>" * 40 + "</footer>"
    (folder / "index.html").write_text(page + "</body></html>")
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_embedded_form_fits_submits_and_comes_into_view(stack, host_site, browser) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(host_site)
    frame = page.frame_locator("#free-resources-signup")
    frame.get_by_label("Email address").fill("volunteer@church.example.org")
    frame.get_by_label("Faith groups").check()
    iframe = page.locator("#free-resources-signup")
    form_height = iframe.evaluate("el => el.getBoundingClientRect().height")
    inner = frame.locator("body").evaluate("el => el.getBoundingClientRect().bottom")
    assert 0 <= form_height - inner <= 16, "the iframe does not fit the form"
    page.wait_for_timeout(2100)  # the form's minimum fill time
    frame.get_by_role("button", name="Subscribe").click()
    frame.get_by_role("heading", name="Check your email").wait_for()
    heading = frame.get_by_role("heading", name="Check your email")
    page.wait_for_timeout(300)  # the frame's height and scroll messages arrive after load
    box = heading.bounding_box()  # in the host page's viewport
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 844, (
        "the answer is scrolled out of view"
    )
    answer_height = iframe.evaluate("el => el.getBoundingClientRect().height")
    assert answer_height < form_height, "the frame kept the long form's height"
    page.screenshot(path=ARTIFACTS / "embed-answer-on-host.png")
    subjects = [m["subject"] for m in stack.outbox() if m["to"] == "volunteer@church.example.org"]
    assert subjects == ["Please confirm your subscription"]
