"""`mailer announce` and `mailer campaign`, the console's twins for engineers."""

from __future__ import annotations

import re

from click.testing import CliRunner

from mailer.cli.main import main
from mailer.container import Container
from tests.support.digest import FakeClock, add, add_people, pipeline
from tests.support.mail import per_recipient, sent_mail


def test_announce_dry_runs_sends_once_and_lists(container: Container, clock: FakeClock) -> None:
    people = pipeline(container, clock)
    add_people(people.subscriber_store)
    add(people.subscriber_store, "fay@example.org", "faith-groups", (), "Fay")
    runner = CliRunner()
    dry = runner.invoke(main, ["announce", "safe-homes", "--dry-run"], obj=people)
    assert dry.exit_code == 0, dry.output
    assert "individuals: 1 of 2 confirmed subscriber(s)" in dry.output
    assert "faith-groups: 1 of 2 confirmed subscriber(s)" in dry.output
    assert "Dry run" in dry.output and sent_mail() == []
    sent = runner.invoke(main, ["announce", "safe-homes", "--message", "Out today."], obj=people)
    assert sent.exit_code == 0, sent.output
    [campaign] = re.findall(r"(announcement#safe-homes#[0-9a-f]{10}): draft", sent.output)
    assert f"{campaign}: draft " in sent.output and "4 recipient(s) queued." in sent.output
    actions = [e.action for e in people.audit_log.recent()]
    assert {"sent an announcement", "approved a draft", "created a draft"} <= set(actions)
    assert per_recipient(sent_mail()) == {"eli@example.org": 1, "fay@example.org": 1}
    again = runner.invoke(main, ["announce", "safe-homes"], obj=people)
    assert again.exit_code == 1 and "announced already" in again.output
    assert len(sent_mail()) == 2
    listing = runner.invoke(main, ["campaign", "list"], obj=people)
    assert campaign in listing.output and "finished" in listing.output
    status = runner.invoke(main, ["campaign", "status", campaign], obj=people)
    assert "total" in status.output and status.exit_code == 0


def test_bad_announcements_are_one_clear_line(container: Container) -> None:
    runner = CliRunner()
    unknown = runner.invoke(main, ["announce", "no-such-thing"], obj=container)
    assert unknown.exit_code == 1 and "no resource 'no-such-thing'" in unknown.output
    wrong = runner.invoke(main, ["announce", "safe-homes", "--audience", "schools"], obj=container)
    assert wrong.exit_code == 1 and "announce 'safe-homes' to some of" in wrong.output
    nobody = runner.invoke(main, ["announce", "safe-homes"], obj=container)
    assert nobody.exit_code == 1 and "nobody in those audiences" in nobody.output
    missing = runner.invoke(main, ["campaign", "status", "digest#2020-01"], obj=container)
    assert missing.exit_code == 1 and "no campaign" in missing.output


def test_campaigns_from_before_the_list_index_are_listed_again_by_reindex(
    container: Container, clock: FakeClock
) -> None:
    """A campaign record written before listed-by-time (no "listed") is missing from the
    list until `mailer campaign reindex` adds it; a second run adds nothing."""
    people = pipeline(container, clock)
    add_people(people.subscriber_store)
    runner = CliRunner()
    runner.invoke(main, ["announce", "safe-homes"], obj=people)
    [status] = people.campaigns.list()
    people.campaigns.table.resource.update_item(
        Key={"pk": f"campaign#{status.campaign.id}", "sk": "meta"}, UpdateExpression="REMOVE listed"
    )
    assert runner.invoke(main, ["campaign", "list"], obj=people).output == "No campaigns yet.\n"
    first = runner.invoke(main, ["campaign", "reindex"], obj=people)
    assert first.exit_code == 0 and "listed 1 " in first.output
    assert status.campaign.id in runner.invoke(main, ["campaign", "list"], obj=people).output
    again = runner.invoke(main, ["campaign", "reindex"], obj=people)
    assert "listed 0 " in again.output


def test_ses_events_from_before_the_index_count_on_the_dashboard_after_reindex(
    container: Container, clock: FakeClock
) -> None:
    """A bounce marked before listed-by-time is not in the dashboard's count (a query of the
    index, no scan) until `mailer campaign reindex` lists it."""
    markers = container.ses_event_markers
    markers.mark("feedback-1", "bounce")
    markers.mark("feedback-2", "complaint")
    assert markers.counts_since("2000-01-01") == {"bounce": 1, "complaint": 1}
    table = container.table(container.settings.campaigns_table).resource
    table.update_item(
        Key={"pk": "ses-event#feedback-1", "sk": "processed"},
        UpdateExpression="REMOVE listed, listed_at",
    )
    assert markers.counts_since("2000-01-01") == {"bounce": 0, "complaint": 1}
    listed = CliRunner().invoke(main, ["campaign", "reindex"], obj=container)
    assert "listed 1 " in listed.output
    assert markers.counts_since("2000-01-01") == {"bounce": 1, "complaint": 1}
