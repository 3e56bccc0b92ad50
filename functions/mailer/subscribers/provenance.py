"""Lawful basis and provenance: why we may email a person, where their details came from, and
the exact words they were shown, stored once per version and referred to from each record.

The ICO expects a charity to show who consented, when, what they were told, how, and any
withdrawal. A record carries its basis and its source ("form:<version>" or "import:<batch>");
its consent names a statement id, the version plus a digest of the text, so changing a word
of the form makes a new statement and never rewrites what earlier subscribers agreed to.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from enum import StrEnum


class Basis(StrEnum):
    """The lawful basis for emailing a subscriber (UK GDPR art. 6 with PECR reg. 22)."""

    CONSENT = "consent"
    # PECR reg. 22(3A) (Data (Use and Access) Act 2025): charities, from 5 February 2026, for
    # details collected directly from people showing interest in or supporting their purposes,
    # with an opt-out offered then and in every message.
    SOFT_OPT_IN = "soft-opt-in"
    CORPORATE = "corporate"  # a school's or faith group's own address: PECR asks no consent


BASIS_LABELS = {
    Basis.CONSENT: "Consent (the person agreed to these emails)",
    Basis.SOFT_OPT_IN: (
        "Charity soft opt-in (PECR 22(3A): collected directly by us, with an opt-out)"
    ),
    Basis.CORPORATE: "Corporate subscriber (an organisation's own address, such as a school's)",
}
SOFT_OPT_IN_FROM = dt.date(2026, 2, 5)  # the day the charity soft opt-in came into force

CONFIRM_NOTE = "We will email you a link to confirm. Nothing is sent until you press it."
PRIVACY_NOTE = (
    "We use your address only to send these emails. We never share it. Every email has a link "
    "to change what you get, download your data, erase it, or unsubscribe in one click."
)


def consent_statement(organisation: str) -> str:
    """What a subscriber agrees to: shown on the form and stored as consent evidence."""
    return (
        f"Send me {organisation}'s monthly email digest of free resources on modern slavery, "
        "and occasional emails announcing new resources. I can change what I get or "
        "unsubscribe at any time."
    )


@dataclass(frozen=True)
class Statement:
    """Words a person was shown: the statement they agreed to and the form around it."""

    version: str
    statement: str
    form_text: str

    @property
    def id(self) -> str:
        """The version and a digest of the words: a changed word is a new statement."""
        digest = hashlib.sha256(f"{self.statement}\x00{self.form_text}".encode()).hexdigest()
        return f"{self.version}#{digest[:12]}"


def subscribe_form_statement(version: str, organisation: str, form_fields: str) -> Statement:
    """The subscribe form as a person saw it: its fields, what they get, and our promises."""
    statement = consent_statement(organisation)
    form_text = "\n".join(
        [form_fields, f"What you will get: {statement}", CONFIRM_NOTE, PRIVACY_NOTE]
    )
    return Statement(version, statement, form_text)


def repermission_statement(version: str, organisation: str) -> Statement:
    """What the re-permission email asks a person on an imported list to agree to."""
    statement = consent_statement(organisation)
    form_text = (
        f"{organisation} has your address on a list from before. We will not email you again "
        f"unless you confirm: {statement}"
    )
    return Statement(version, statement, form_text)


def import_statement(batch_id: str, declared: str) -> Statement:
    """What a member of staff declared about an imported list (where it came from, the basis)."""
    return Statement(f"import-{batch_id}", declared, "")
