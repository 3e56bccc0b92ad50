"""The local stack in a child process, started exactly as `make run` starts it."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import requests

from mailer.local.schedules import CLOCK_FILE

REPO = Path(__file__).resolve().parents[2]
MAILER = Path(sys.executable).with_name("mailer")
STAFF = "staff@example.org"  # the local stack's member of senders, admins and data-protection
FIRST = "Local-Staff-Password-1"  # the banner's first password
CHOSEN = "A-Password-Chosen-Locally-7"


def free_port() -> int:
    """A TCP port nobody is listening on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def local_env(web_port: int, moto_port: int) -> dict[str, str]:
    """The environment `. ./local.env` gives a shell, with these ports."""
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


def http(
    url: str, data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, str]:
    """A plain HTTP request with no cookies (as a mail client or scanner makes it)."""
    request = urllib.request.Request(url, data=data, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def one_click(unsubscribe_url: str) -> int:
    """The POST a mail client makes for RFC 8058 one-click unsubscribe: no cookie, no form token."""
    status, _ = http(
        unsubscribe_url,
        data=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    return status


class LocalStack:
    """`mailer local run` as a child process; use as a context manager.

    Its saved state goes to `state_file` (by default a new temporary file, never the one a
    developer's `make run` keeps); `fresh` starts it empty as `make run FRESH=1` does. Its
    clock is the real time until `move_clock_to` moves it on (mailer.local.schedules).
    """

    def __init__(self, state_file: Path | None = None, fresh: bool = False) -> None:
        self.web_port, self.moto_port = free_port(), free_port()
        scratch = Path(tempfile.mkdtemp(prefix="mailer-local-"))
        if state_file is None:
            state_file = scratch / "moto-state.pickle"
        self.state_file = state_file
        self.fresh = fresh
        self.clock_file = scratch / "clock-ahead-seconds"
        self.env = {
            **local_env(self.web_port, self.moto_port),
            "LOCAL_STACK_STATE": str(state_file),
            CLOCK_FILE: str(self.clock_file),
        }
        self.site = f"http://127.0.0.1:{self.web_port}"
        self.banner = ""
        self.process: subprocess.Popen[str] | None = None

    def __enter__(self) -> LocalStack:
        self.process = subprocess.Popen(
            [str(MAILER), "local", "run", *(["--fresh"] if self.fresh else [])],
            cwd=REPO,
            env=self.env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        lines: list[str] = []
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            lines.append(line)
            if "Press Ctrl-C to stop." in line:
                self.banner = "".join(lines)
                return self
            if self.process.poll() is not None:
                break
        self.process.kill()
        raise RuntimeError("local stack did not start:\n" + "".join(lines))

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()

    def stop(self) -> tuple[int, str]:
        """Ctrl-C, as a person would press it; returns the exit code and the last output."""
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=20)
        return self.process.returncode, self.process.stdout.read()

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a command from a second terminal (with `. ./local.env` done)."""
        return subprocess.run(
            list(args), cwd=REPO, env=self.env, capture_output=True, text=True, check=False
        )

    def now(self) -> dt.datetime:
        """The time on the stack's clock (UTC)."""
        ahead = float(self.clock_file.read_text()) if self.clock_file.exists() else 0.0
        return dt.datetime.fromtimestamp(time.time() + ahead, dt.UTC)

    def move_clock_to(self, moment: dt.datetime) -> None:
        """Move the stack's clock on to `moment` (never back: what it did stays done)."""
        ahead = moment.timestamp() - time.time()
        assert moment >= self.now(), "the stack's clock only moves on"
        partial = self.clock_file.with_suffix(".partial")
        partial.write_text(repr(ahead))
        partial.replace(self.clock_file)  # the stack never reads half a number

    def outbox(self) -> list[dict[str, Any]]:
        """Every message the stack has sent, newest first."""
        status, body = http(f"{self.site}/dev/outbox.json")
        assert status == 200
        return json.loads(body)


def csrf(page: requests.Response) -> str:
    """The CSRF token of the first form on a page."""
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)[1]


def sign_in(site: str, password: str) -> tuple[requests.Session, requests.Response]:
    """A browser's sign-in as the local staff member; the page it lands on."""
    browser = requests.Session()
    page = browser.get(f"{site}/staff/sign-in", timeout=10)
    landed = browser.post(
        f"{site}/staff/sign-in",
        data={"csrf_token": csrf(page), "email": STAFF, "password": password},
        timeout=10,
    )
    return browser, landed


def sign_in_choosing_a_password(site: str) -> requests.Session:
    """The local staff member's first sign-in, choosing CHOSEN; their browser, on the dashboard."""
    browser, landed = sign_in(site, FIRST)
    assert landed.url.endswith("/staff/sign-in/new-password"), landed.url
    dashboard = browser.post(
        landed.url, data={"csrf_token": csrf(landed), "password": CHOSEN}, timeout=10
    )
    assert dashboard.url.endswith("/staff/") and "Sign out" in dashboard.text
    return browser
