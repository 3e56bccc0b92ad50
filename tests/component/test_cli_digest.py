"""`mailer digest plan | send | status` as staff and engineers run them."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from mailer.campaigns.model import Period
from mailer.cli.main import main
from mailer.container import Container
from tests.support.digest import RELEVANT, FakeClock, add_people, pipeline
from tests.support.mail import per_recipient, sent_mail


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def people(container: Container, clock: FakeClock) -> Container:
    """The usual five subscribers; the pacing's waits are recorded, not slept."""
    with_clock = pipeline(container, clock)
    add_people(with_clock.subscriber_store)
    return with_clock


def queued(container: Container) -> int:
    attributes = container.clients.sqs.get_queue_attributes(
        QueueUrl=container.settings.send_queue_url, AttributeNames=["All"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def test_plan_is_a_dry_run_per_audience(runner: CliRunner, people: Container) -> None:
    result = runner.invoke(main, ["digest", "plan", "--period", "2026-12"], obj=people)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "December 2026 digest: a dry run, nothing is recorded or sent." in out
    assert "New means added on or after 2026-11-01 (no earlier digest recorded)." in out
    assert (
        "Schools (schools): 2 confirmed subscriber(s), 1 with something relevant; "
        "1 would be skipped."
    ) in out
    assert "Faith groups (faith-groups): 1 confirmed subscriber(s), 1 with something" in out
    assert "Individuals (individuals): 2 confirmed subscriber(s), 2 with something" in out
    assert "  new       real-people-real-lives-2019: Real people, real lives" in out
    assert "Reading subscribers" in out  # the progress bar's label
    assert queued(people) == 0, "a dry run queues nobody"
    status = runner.invoke(main, ["digest", "status", "--period", "2026-12"], obj=people)
    assert status.exit_code == 1 and "no digest for 2026-12 yet" in status.output


def test_send_twice_sends_once_and_status_shows_the_counts(
    runner: CliRunner, people: Container
) -> None:
    first = runner.invoke(main, ["digest", "send", "--period", "2026-12"], obj=people)
    assert first.exit_code == 0, first.output
    assert "digest#2026-12: created, 5 recipient(s) queued." in first.output
    assert "Sending: 5 of 5, " in first.output
    assert "This run: 4 sent, 1 skipped, 0 suppressed, 0 failed, 0 duplicate." in first.output
    assert per_recipient(sent_mail()) == dict.fromkeys(RELEVANT, 1)
    second = runner.invoke(main, ["digest", "send", "--period", "2026-12"], obj=people)
    assert second.exit_code == 0, second.output
    assert "digest#2026-12: already planned" in second.output
    assert "Sending: 0 of 0, nothing to send." in second.output  # everyone had theirs
    assert "This run: 0 sent" in second.output
    assert len(sent_mail()) == 4
    status = runner.invoke(main, ["digest", "status", "--period", "2026-12"], obj=people)
    assert status.exit_code == 0, status.output
    lines = status.output.splitlines()
    assert lines[1].split() == ["digest#2026-12"]
    assert "in flight 0" in status.output
    table = {line.split()[0]: line.split()[1:] for line in lines if line.startswith("  ")}
    assert table["audience"] == ["planned", "sent", "skipped", "suppressed", "failed"]
    assert table["schools"] == ["2", "1", "1", "0", "0"]
    assert table["faith-groups"] == ["1", "1", "0", "0", "0"]
    assert table["individuals"] == ["2", "2", "0", "0", "0"]
    assert table["total"] == ["5", "4", "1", "0", "0"]
    assert table["finished"][0].startswith("20")


def test_a_digest_for_nobody_shows_0_of_0_not_0_of_1(
    runner: CliRunner, container: Container, clock: FakeClock
) -> None:
    """No confirmed subscriber: nothing is queued, and the progress says so, as it is."""
    nobody = pipeline(container, clock)
    for run in ("created, 0 recipient(s) queued.", "already planned"):
        result = runner.invoke(main, ["digest", "send", "--period", "2026-12"], obj=nobody)
        assert result.exit_code == 0, result.output
        assert f"digest#2026-12: {run}" in result.output
        assert "Sending: 0 of 0, nothing to send." in result.output
        assert "of 1" not in result.output
        assert "This run: 0 sent, 0 skipped" in result.output


def test_a_run_after_a_cut_off_one_counts_what_is_still_queued(
    runner: CliRunner, people: Container
) -> None:
    """A campaign planned but not sent (a run cut off): the next run queues nobody new, and
    its progress counts the five left on the queue, not the none it queued itself."""
    people.planner.plan(people.planner.digest(Period(2026, 12)))  # by hand, as test_sender's
    again = runner.invoke(main, ["digest", "send", "--period", "2026-12"], obj=people)
    assert again.exit_code == 0, again.output
    assert "digest#2026-12: already planned" in again.output
    assert "Sending: 5 of 5, " in again.output
    assert "This run: 4 sent, 1 skipped" in again.output


def test_the_months_digest_is_digest_2026_12_in_every_command_that_names_it(
    runner: CliRunner, people: Container
) -> None:
    """One id for December's digest, draft and campaign: digest#2026-12, the key of its
    campaign record (its SES tag and archive address are made from it). Every command that
    takes an id takes it, and still takes digest202612, its draft's own key, which the draft
    commands printed before (and the console's addresses still use)."""
    outputs = []

    def run(*args: str) -> str:
        result = runner.invoke(main, list(args), obj=people)
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
        return result.output

    assert "Its draft digest#2026-12 is not prepared yet" in run(
        "digest", "plan", "--period", "2026-12"
    )
    assert "digest#2026-12: prepared (draft)." in run("digest", "prepare", "--period", "2026-12")
    again = run("campaign", "draft", "--period", "2026-12")
    assert "digest#2026-12: already prepared, version 1." in again
    assert "digest#2026-12  draft     v1  2026-12 digest" in run("campaign", "show")
    shown = run("campaign", "show", "digest#2026-12")
    assert "December 2026 digest: draft digest#2026-12, draft, version 1" in shown
    approved = run("campaign", "approve", "digest#2026-12", "--version", "1")
    assert approved.startswith("digest#2026-12: approved, version ")
    assert "digest#2026-12: created, 5 recipient(s) queued." in run(
        "digest", "send", "--period", "2026-12"
    )
    for spelling in ("digest#2026-12", "digest202612"):
        assert "draft digest#2026-12, sent" in run("campaign", "show", spelling)
        assert run("campaign", "status", spelling).splitlines()[1] == "digest#2026-12"
    assert "digest#2026-12  sent" in run("campaign", "show")
    assert not [output for output in outputs if "digest202612" in output]


@pytest.mark.parametrize("spelling", ["digest#2026-12", "digest202612"])
def test_pause_and_resume_take_either_spelling_of_the_months_digest(
    runner: CliRunner, people: Container, spelling: str
) -> None:
    people.planner.plan(people.planner.digest(Period(2026, 12)))  # queued, nothing sent yet
    for action in ("pause", "resume"):
        result = runner.invoke(main, ["campaign", action, spelling], obj=people)
        assert result.exit_code == 0, result.output
        assert result.output == f"digest#2026-12: {action} done.\n"


@pytest.mark.parametrize("command", ["plan", "send", "status"])
def test_a_bad_period_is_one_clear_line(runner: CliRunner, people: Container, command: str) -> None:
    result = runner.invoke(main, ["digest", command, "--period", "December"], obj=people)
    assert result.exit_code == 1
    assert "period must be YYYY-MM" in result.output
    assert "Traceback" not in result.output


def test_missing_settings_are_named(runner: CliRunner) -> None:
    result = runner.invoke(
        main, ["digest", "status", "--period", "2026-12"], env={"SENDER_ADDRESS": ""}
    )
    assert result.exit_code == 1 and "missing settings: SENDER_ADDRESS" in result.output


def _without_tokens(body: str) -> str:
    """A part with its signed links' tokens blanked (a preview's links lead nowhere)."""
    return re.sub(r"/(preferences|unsubscribe)/[A-Za-z0-9_.-]+", r"/\1/TOKEN", body)


def test_preview_is_what_digest_send_sends_to_that_group(
    runner: CliRunner, people: Container
) -> None:
    """Same period, same group (schools, every topic), same name: the preview's HTML and text
    are the sent email's, byte for byte but for the link tokens (and MIME's CRLF line ends)."""
    sent = runner.invoke(main, ["digest", "send", "--period", "2026-12"], obj=people)
    assert sent.exit_code == 0, sent.output
    amal = next(m for m in sent_mail() if m.to == "amal@example.org")
    args = ["preview", "digest", "--audience", "schools", "--period", "2026-12", "--name", "Amal"]
    for flag, part in (([], amal.html), (["--text"], amal.text)):
        preview = runner.invoke(main, [*args, *flag], obj=people)
        assert preview.exit_code == 0, preview.output
        part = part.replace("\r\n", "\n")
        expected = part if part.endswith("\n") else part + "\n"
        assert _without_tokens(preview.stdout) == _without_tokens(expected)
        assert "/unsubscribe/PREVIEW" in preview.stdout


def test_preview_uses_the_planners_rule_for_what_is_new(
    runner: CliRunner, people: Container
) -> None:
    """December's digest showed the catalogue as new; January's preview must not again."""
    assert runner.invoke(main, ["digest", "send", "--period", "2026-12"], obj=people).exit_code == 0
    january = runner.invoke(
        main, ["preview", "digest", "--audience", "schools", "--period", "2027-01"], obj=people
    )
    assert january.exit_code == 0, january.output
    december = runner.invoke(
        main, ["preview", "digest", "--audience", "schools", "--period", "2026-12"], obj=people
    )
    assert "New to our library" in december.stdout
    assert "New to our library" not in january.stdout
