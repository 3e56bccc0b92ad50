"""Staff for the data-protection tests: the sender (in data-protection, as on the local stack)
and an outsider (signed in, in no group), and seeded subscribers."""

from __future__ import annotations

import json
from typing import Any

from mailer.container import Container
from mailer.local.staff import add_member
from mailer.subscribers.model import Consent, Status, Subscriber
from tests.support.keys import subscriber_key
from tests.support.staff import CHOSEN, form_token, sign_in, signed_in_as_sender

OUTSIDER = "outsider@charity.example.org"


def add_outsider(container: Container) -> None:
    """A member of staff in no group, with a password set."""
    cognito = container.clients.cognito
    pool = container.settings.staff_user_pool_id
    # A verified address, as an admin's invitation makes one (the console insists on it).
    add_member(cognito, pool, OUTSIDER, "Temporary-Pass-1")
    cognito.admin_set_user_password(
        UserPoolId=pool, Username=OUTSIDER, Password=CHOSEN, Permanent=True
    )


def signed_in_as_outsider(client: Any) -> None:
    """Sign in as the member in no group."""
    response = sign_in(client, OUTSIDER, CHOSEN)
    assert response.status_code == 303, response.get_data(as_text=True)


def signed_in_as_data_protection(client: Any) -> None:
    """Sign in as a member of data-protection (the sender, as the local stack's staff is)."""
    signed_in_as_sender(client)


def seed(container: Container, email: str, name: str = "", **changes: Any) -> Subscriber:
    """A confirmed subscriber with consent evidence, stored."""
    fields: dict[str, Any] = {
        "key": subscriber_key(email),
        "email": email,
        "audience": "schools",
        "topics": ("housing",),
        "name": name,
        "status": Status.CONFIRMED,
        "created_at": "2026-11-01T10:00:00+00:00",
        "confirmed_at": "2026-11-01T10:05:00+00:00",
        "updated_at": "2026-11-01T10:05:00+00:00",
        "form_version": "subscribe-form-2026-12",
        "consent": Consent("2026-11-01T10:05:00+00:00", "subscribe-form-2026-12", "Send me"),
        "basis": "consent",
        "source": "form:subscribe-form-2026-12",
    }
    fields.update(changes)
    subscriber = Subscriber(**fields)
    container.subscriber_store.put(subscriber)
    return subscriber


def post(client: Any, page_path: str, action: str, **fields: Any) -> Any:
    """Open a page, then post to `action` with its CSRF token."""
    page = client.get(page_path).get_data(as_text=True)
    return client.post(action, data={"csrf_token": form_token(page), **fields})


def staff_table_text(container: Container) -> str:
    """Everything in the staff table (sessions) and the audit table as one string."""
    items = container.table(container.settings.staff_table).resource.scan()["Items"]
    items += container.table(container.settings.audit_table).resource.scan()["Items"]
    return json.dumps(items, default=str)
