"""`mailer local run` as `make run` starts it: real moto server, real HTTP, a second terminal."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MAILER = Path(sys.executable).with_name("mailer")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _local_env(web_port: int, moto_port: int) -> dict[str, str]:
    """The environment `. ./local.env` gives a shell, with test ports."""
    script = f"PORT={web_port} MOTO_PORT={moto_port}; . ./local.env; env -0"
    output = subprocess.run(
        ["bash", "-c", script],
        cwd=REPO,
        capture_output=True,
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    ).stdout
    env = dict(line.split("=", 1) for line in output.decode().split("\0") if "=" in line)
    return {**os.environ, **env, "PORT": str(web_port)}


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback only)
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture(scope="module")
def stack() -> Iterator[tuple[subprocess.Popen[str], dict[str, str], str]]:
    """The local stack in a child process, as `make run` starts it."""
    web_port, moto_port = _free_port(), _free_port()
    env = _local_env(web_port, moto_port)
    process = subprocess.Popen(
        [str(MAILER), "local", "run"],
        cwd=REPO,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    site = f"http://127.0.0.1:{web_port}"
    deadline = time.monotonic() + 60
    lines: list[str] = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        lines.append(line)
        if "Press Ctrl-C to stop." in line:
            break
        if process.poll() is not None:
            pytest.fail("local stack exited early:\n" + "".join(lines))
    else:
        process.kill()
        pytest.fail("local stack did not start in 60 s:\n" + "".join(lines))
    yield process, env, site, "".join(lines)
    if process.poll() is None:
        process.kill()
        process.wait()
    process.stdout.close()


def test_startup_prints_the_urls_and_syncs_the_catalogue(stack) -> None:
    _, _, site, banner = stack
    assert "Catalogue synced: 16 added" in banner
    assert f"Catalogue:        {site}/" in banner
    assert f"{site}/dev/outbox" in banner


def test_serves_the_catalogue_with_filters(stack) -> None:
    _, _, site, _ = stack
    status, html = _get(f"{site}/?audience=schools")
    assert status == 200
    assert html.count('class="resource"') == 5


def test_cli_in_a_second_terminal_reaches_the_same_stack(stack) -> None:
    _, env, site, _ = stack
    sync = subprocess.run(
        [str(MAILER), "catalogue", "sync"], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert sync.returncode == 0, sync.stderr
    assert sync.stdout.startswith("added 0, updated 0, removed 0, unchanged 16")
    send = subprocess.run(
        [sys.executable, "-c", SEND_ONE], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert send.returncode == 0, send.stderr
    status, body = _get(f"{site}/dev/outbox.json")
    messages = json.loads(body)
    assert status == 200 and len(messages) == 1
    assert messages[0]["to"] == "reader@example.com"
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in messages[0]["raw"]
    status, listing = _get(f"{site}/dev/outbox")
    assert "free resources on modern slavery for schools" in listing


def test_ctrl_c_stops_cleanly(stack) -> None:
    process, _, _, _ = stack
    process.send_signal(signal.SIGINT)
    process.wait(timeout=20)
    output = process.stdout.read()  # not communicate(): it would skip what readline buffered
    assert process.returncode == 0, output
    assert "Stopping the local stack." in output
    assert "Traceback" not in output


# What a second terminal would do to send one digest through the stack's fake SES.
SEND_ONE = """
from mailer.content import digest_context, greeting
from mailer.mime import build_message
from mailer.relevance import Period, select_resources
from mailer.services import Services
from mailer.settings import Settings

services = Services(Settings.from_env())
period = Period.parse("2026-12")
resources = services.catalogue_store.resources(services.vocabulary)
picks = select_resources(resources, "schools", [], period)
site = services.settings.site_url
context = digest_context(services.vocabulary, site, "schools", [], period, picks)
email = services.renderer.render("digest", context, {
    "greeting": greeting(None), "manage_url": "http://x/m", "unsubscribe_url": "http://x/u"})
raw = build_message(email, sender=services.settings.sender_address, to="reader@example.com",
                    list_unsubscribe_url="http://x/u").as_bytes()
services.clients.sesv2.send_email(
    FromEmailAddress=services.settings.sender_address,
    Destination={"ToAddresses": ["reader@example.com"]}, Content={"Raw": {"Data": raw}})
"""
