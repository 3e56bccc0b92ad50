"""Issue 18, item 5: importing a list. A dry run first, with a report per row; rows with
evidence become confirmed subscribers carrying it, rows without get one re-permission email;
nothing withdrawn is re-added; the same file twice changes and sends nothing more."""

from __future__ import annotations

import codecs

import pytest

from mailer.imports.batch import ImportRefusedError, Mode, RunState
from mailer.subscribers.model import Status
from tests.support.data_protection import seed
from tests.support.digest import FakeClock, pipeline
from tests.support.imports import HEADER, uploaded
from tests.support.keys import subscriber_key
from tests.support.mail import Outbox

ROWS = [
    "new@example.org,schools,housing;survivor-voice,New Person,St Anne's,2026-03-01,fair",
    "old@example.org,schools,,,,2026-03-01,",
    "supp@example.org,individuals,,,,2026-03-01,",
    "gone@example.org,individuals,,,,2026-03-01,",
    "left@example.org,individuals,,,,2026-03-01,",
    "not-an-address,individuals,,,,2026-03-01,",
    "who@example.org,parents,,,,2026-03-01,",
    "what@example.org,schools,astrology,,,2026-03-01,",
    "ask@example.org,Faith groups,,Ask Me,,,",
    "new@example.org,schools,,,,2026-03-01,",
]
FILE = HEADER + "\n".join(ROWS) + "\n"
EXPECTED = [
    [2, "new", ""],
    [3, "already subscribed", "confirmed"],
    [4, "suppressed", ""],
    [5, "erased or unsubscribed before", "erased"],
    [6, "erased or unsubscribed before", "unsubscribed"],
    [7, "bad address", "An email address must have an @-sign."],
    [8, "unknown group or topic", "group 'parents' (use schools, faith-groups, individuals)"],
    [9, "unknown group or topic", "topic 'astrology'"],
    [10, "missing evidence", "no consented_at date"],
    [11, "already subscribed", "an earlier row of this file"],
]


@pytest.fixture
def people(container):
    """What is stored before the import: one of each kind a row can meet."""
    seed(container, "old@example.org")
    store = container.subscriber_store
    store.suppress(subscriber_key("supp@example.org"), "complaint", "2026-11-02T09:00:00+00:00")
    seed(container, "gone@example.org")
    container.subscriptions.erase_key(subscriber_key("gone@example.org"))
    seed(container, "left@example.org")
    container.subscriptions.unsubscribe_key(subscriber_key("left@example.org"))
    return container


def test_the_dry_run_reports_every_row_and_changes_nothing(people, outbox: Outbox) -> None:
    before = people.subscriber_store.census()
    batch = uploaded(people, FILE)
    progress = people.importer.run(batch.id, Mode.DRY_RUN)
    run = progress.batch.run(Mode.DRY_RUN)
    assert run.state is RunState.DONE and run.rows == len(ROWS)
    report = people.import_batches.report(progress.batch, Mode.DRY_RUN)
    assert report == EXPECTED
    assert people.subscriber_store.census() == before
    assert people.subscriber_store.get(subscriber_key("new@example.org")) is None
    assert outbox.all() == []
    print(
        "\n".join(
            f"line {line}: {outcome}{': ' + why if why else ''}" for line, outcome, why in report
        )
    )


def test_the_import_adds_evidence_rows_asks_the_rest_once_and_never_re_adds(
    people, outbox: Outbox, user
) -> None:
    batch = uploaded(people, FILE)
    with pytest.raises(ImportRefusedError, match="dry run first"):
        people.importer.run(batch.id, Mode.IMPORT)
    people.importer.run(batch.id, Mode.DRY_RUN)
    done = people.importer.run(batch.id, Mode.IMPORT).batch
    assert done.run(Mode.IMPORT).state is RunState.DONE
    assert people.import_batches.report(done, Mode.IMPORT) == EXPECTED  # the dry run was true
    new = people.subscriber_store.get(subscriber_key("new@example.org"))
    assert new.status is Status.CONFIRMED and new.basis == "consent"
    assert new.source == f"import:{batch.id}" and new.source_note == "fair"
    assert new.topics == ("housing", "survivor-voice") and new.organisation == "St Anne's"
    assert new.consent.at == "2026-03-01" and "spring conference" in new.consent.statement
    stated = people.subscriber_store.statement(new.consent.statement_id)
    assert "Lawful basis: Consent" in stated.statement
    for withdrawn in ("gone@example.org", "left@example.org", "supp@example.org"):
        record = people.subscriber_store.raw(subscriber_key(withdrawn))
        assert record is None or record["status"] in ("erased", "unsubscribed")
    assert people.subscriber_store.get(subscriber_key("who@example.org")) is None

    # The one row without evidence: a pending record and one re-permission email.
    [asked] = outbox.to("ask@example.org")
    assert asked.subject == "Would you like our free resources by email?"
    assert [m.to for m in outbox.all()] == [asked.to]
    pending = people.subscriber_store.get(subscriber_key("ask@example.org"))
    assert pending.status is Status.PENDING and pending.audience == "faith-groups"

    # A second run, and a new batch of the same file: nothing changes, nothing is sent.
    census = people.subscriber_store.census()
    people.importer.run(batch.id, Mode.IMPORT)
    again = uploaded(people, FILE)
    people.importer.run(again.id, Mode.DRY_RUN)
    refused = people.importer.run(again.id, Mode.IMPORT).batch.run(Mode.IMPORT)
    assert refused.state is RunState.FAILED and "imported already" in refused.error
    assert people.subscriber_store.census() == census and len(outbox.all()) == 1

    # Pressing the email's button subscribes them, with the re-permission words as evidence.
    path = user.path(outbox.link(asked, "/confirm/"))
    page = user.client.get(path).get_data(as_text=True)
    assert user.client.post(path, data={"csrf_token": user.form_token(page)}).status_code == 200
    confirmed = people.subscriber_store.get(subscriber_key("ask@example.org"))
    assert confirmed.status is Status.CONFIRMED and confirmed.basis == "consent"
    assert confirmed.source == f"import:{batch.id}"
    assert confirmed.consent.form_version.startswith("repermission")
    shown = people.subscriber_store.statement(confirmed.consent.statement_id)
    assert "has your address on a list from before" in shown.form_text


def test_a_similar_file_sends_no_second_re_permission_email(people, outbox: Outbox) -> None:
    first = uploaded(people, HEADER + "ask@example.org,schools,,,,,\n")
    people.importer.run(first.id, Mode.DRY_RUN)
    people.importer.run(first.id, Mode.IMPORT)
    second = uploaded(
        people, HEADER + "ask@example.org,schools,,Ask,,,\nnew2@example.org,schools,,,,,\n"
    )
    people.importer.run(second.id, Mode.DRY_RUN)
    report = people.import_batches.report(people.import_batches.get(second.id), Mode.DRY_RUN)
    assert report[0][1:] == ["already subscribed", "pending"]
    people.importer.run(second.id, Mode.IMPORT)
    assert len(outbox.to("ask@example.org")) == 1 and len(outbox.to("new2@example.org")) == 1


def test_a_soft_opt_in_batch_without_the_direct_collection_statement_is_refused(container):
    for terms in (
        {},
        {"collected_directly": True},
        {"collected_directly": True, "collected_on": "2026-01-20"},
        {"collected_directly": False, "collected_on": "2026-03-01"},
    ):
        with pytest.raises(ImportRefusedError, match="soft opt-in"):
            uploaded(container, FILE, basis="soft-opt-in", **terms)
    batch = uploaded(
        container,
        HEADER
        + "a@example.org,individuals,,,,2026-03-01,\nb@example.org,individuals,,,,2026-01-02,\n",
        basis="soft-opt-in",
        collected_directly=True,
        collected_on="2026-02-10",
    )
    container.importer.run(batch.id, Mode.DRY_RUN)
    report = container.import_batches.report(container.import_batches.get(batch.id), Mode.DRY_RUN)
    assert report[0][1] == "new"
    assert report[1][1:] == [
        "missing evidence",
        "collected before 5 February 2026, when the charity soft opt-in began",
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "The file is empty."),
        (codecs.BOM_UTF16_LE + HEADER.encode("utf-16-le"), "UTF-16"),
        (b"PK\x03\x04\x00\x00binary", "not a text file"),
        (b"name,phone\nAna,123\n", "column(s) we do not know: phone"),
        (b"name,group\nAna,schools\n", "no email column"),
        (
            HEADER.encode() + b'a@example.org,schools,"unclosed,,,,,\nb@example.org\n',
            "cannot be read as CSV",
        ),
    ],
)
def test_a_bad_file_fails_its_dry_run_with_a_clear_message(container, body, message) -> None:
    batch = uploaded(container, body)
    run = container.importer.run(batch.id, Mode.DRY_RUN).batch.run(Mode.DRY_RUN)
    assert run.state is RunState.FAILED and message in run.error, run.error
    assert container.subscriber_store.census() == {}


def test_a_50_mb_file_is_refused_with_its_size(container) -> None:
    batch = uploaded(container, HEADER.encode() + b"x" * (50 * 1024 * 1024))
    run = container.importer.run(batch.id, Mode.DRY_RUN).batch.run(Mode.DRY_RUN)
    assert run.state is RunState.FAILED
    assert "The file is 50 MB; the limit is 20 MB" in run.error


def test_windows_1252_semicolons_and_a_bom_are_read(container) -> None:
    body = "email;group;name\r\nrene@example.org;schools;René Müller\r\n".encode("cp1252")
    batch = uploaded(container, body, basis="corporate")
    container.importer.run(batch.id, Mode.DRY_RUN)
    container.importer.run(batch.id, Mode.IMPORT)
    stored = container.subscriber_store.get(subscriber_key("rene@example.org"))
    assert stored.name == "René Müller" and stored.basis == "corporate"
    bom = uploaded(
        container,
        codecs.BOM_UTF8 + b"email,group\nbo@example.org,schools\n",
        basis="corporate",
    )
    container.importer.run(bom.id, Mode.DRY_RUN)
    report = container.import_batches.report(container.import_batches.get(bom.id), Mode.DRY_RUN)
    assert report == [[2, "new", ""]]


def test_a_run_that_dies_mid_list_resumes_and_mails_each_person_once(
    container, clock: FakeClock, outbox: Outbox
):
    """Fault: the import dies after writing a page's rows but before its checkpoint."""
    p = pipeline(container, clock)
    p.importer._page_rows = 2
    rows = [f"p{i}@example.org,schools,,,,{'2026-03-01' if i % 2 else ''}," for i in range(7)]
    batch = uploaded(p, HEADER + "\n".join(rows) + "\n")
    p.importer.run(batch.id, Mode.DRY_RUN)
    real = p.import_batches.checkpoint
    calls = {"n": 0}

    def dies_on_the_second_page(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("the function was stopped")
        return real(*args, **kwargs)

    p.import_batches.checkpoint = dies_on_the_second_page
    with pytest.raises(RuntimeError):
        p.importer.run(batch.id, Mode.IMPORT)
    p.import_batches.checkpoint = real
    done = p.importer.run(batch.id, Mode.IMPORT).batch.run(Mode.IMPORT)
    assert done.state is RunState.DONE
    assert done.counts == {
        "new": 3,
        "missing evidence": 4,
        **{k: 0 for k in done.counts if k not in ("new", "missing evidence")},
    }
    for i in range(7):
        expected = 0 if i % 2 else 1
        assert len(outbox.to(f"p{i}@example.org")) == expected
    p.importer.run(batch.id, Mode.IMPORT)
    assert len(outbox.all()) == 4


def test_a_run_out_of_time_hands_over_and_the_next_resumes(container, clock: FakeClock) -> None:
    p = pipeline(container, clock)
    p.importer._page_rows = 3
    rows = [f"t{i}@example.org,schools,,,,2026-03-01," for i in range(10)]
    batch = uploaded(p, HEADER + "\n".join(rows) + "\n")
    left = iter([900.0, 900.0, 10.0])
    first = p.importer.run(batch.id, Mode.DRY_RUN, time_left=lambda: next(left, 10.0))
    assert first.more and first.batch.run(Mode.DRY_RUN).rows == 6
    second = p.importer.run(batch.id, Mode.DRY_RUN, time_left=lambda: 900.0)
    assert not second.more and second.batch.run(Mode.DRY_RUN).rows == 10


def test_the_import_function_hands_over_and_a_repeated_event_changes_nothing(
    container, clock: FakeClock, outbox: Outbox
) -> None:
    from handlers import subscriber_import
    from mailer.imports.handler import handle

    p = pipeline(container, clock)
    p.importer._page_rows = 3
    rows = [f"h{i}@example.org,schools,,,,{'2026-03-01' if i else ''}," for i in range(10)]
    batch = uploaded(p, HEADER + "\n".join(rows) + "\n")
    starts: list[tuple[str, Mode]] = []

    class Starter:
        def start(self, batch_id: str, mode: Mode) -> None:
            starts.append((batch_id, mode))

    event = {"batch": batch.id, "mode": "dry-run"}
    left = iter([900.0, 10.0])
    first = handle(p.importer, Starter(), event, lambda: next(left, 10.0))
    assert first == {"status": "continued", "rows": 3} and starts == [(batch.id, Mode.DRY_RUN)]
    assert handle(p.importer, Starter(), event, lambda: 900.0) == {"status": "done", "rows": 10}
    assert handle(p.importer, Starter(), event, lambda: 900.0) == {"status": "done", "rows": 10}
    imported = {"batch": batch.id, "mode": "import"}
    for _ in range(2):  # SQS-like redelivery of the whole event: one email, one subscriber each
        assert handle(p.importer, Starter(), imported) == {"status": "done", "rows": 10}
    assert len(outbox.to("h0@example.org")) == 1 and len(outbox.all()) == 1
    assert handle(p.importer, Starter(), {"junk": 1}) == {"status": "rejected"}
    assert handle(p.importer, Starter(), {"batch": "nope", "mode": "import"})["status"] == "refused"
    assert callable(subscriber_import.lambda_handler)
