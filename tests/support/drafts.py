"""Pressing a draft's buttons in the staff console, as a member would."""

from __future__ import annotations

import re

from tests.support.staff import submit


def start_draft(browser, resource_id: str = "safe-homes") -> str:
    """Press "Start a draft" on the resource's announce page; the draft page's path."""
    announce = f"/staff/announce/{resource_id}"
    page = browser.get(announce).get_data(as_text=True)
    response = submit(browser, announce, page)
    assert response.status_code == 303, response.get_data(as_text=True)
    return re.sub(r"^https?://[^/]+", "", response.headers["Location"])


def save(browser, draft: str, **fields) -> object:
    """Edit the draft's form and press Save."""
    page = browser.get(draft).get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', page)[1]
    return submit(browser, draft, page, version=version, **fields)


def press(browser, draft: str, action: str, **fields) -> object:
    """Press one of the draft page's buttons, as the page shows it now."""
    page = browser.get(draft).get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', page)[1]
    return submit(browser, f"{draft}/{action}", page, version=version, **fields)
