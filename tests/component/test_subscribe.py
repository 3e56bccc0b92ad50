"""The public subscribe form: double opt-in, one answer for everyone, and its protections."""

from __future__ import annotations

import logging

import pytest

from mailer.container import Container
from mailer.subscribers.model import Status
from tests.support.clocks import midday_clock
from tests.support.keys import subscriber_key
from web import create_app


def test_subscribe_page_has_every_field_consent_and_privacy(client) -> None:
    html = client.get("/subscribe").get_data(as_text=True)
    for name in ("email", "audience", "topics", "csrf_token"):
        assert f'name="{name}"' in html
    # Name and organisation are asked only on the preferences page, after confirming.
    assert 'name="name"' not in html and 'name="organisation"' not in html
    assert "monthly email digest" in html and "occasional emails announcing" in html
    assert "We never share it" in html
    assert html.count('name="topics"') == 11 and html.count("checked") >= 11  # all by default
    assert 'href="/subscribe"' in client.get("/").get_data(as_text=True)


def test_new_address_gets_a_pending_record_and_one_confirm_email(user, store, outbox) -> None:
    response = user.subscribe(
        "Teacher@School.example.org", name="Ms Okafor", organisation="St Anne's Primary"
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/subscribe/check-email?embedded=0")
    stored = store.get(subscriber_key("teacher@school.example.org"))
    assert stored.status is Status.PENDING and stored.expires_at
    # A public submission cannot put words in later emails: name and organisation are ignored.
    assert (stored.name, stored.organisation, stored.audience) == ("", "", "schools")
    [message] = outbox.to("Teacher@school.example.org")
    assert message.subject == "Please confirm your subscription"
    assert "/confirm/" in message.text


def test_confirm_email_carries_nothing_the_visitor_typed_but_the_address(user, outbox) -> None:
    spam = "WIN CASH at spam.example"
    user.subscribe("victim@example.org", name=spam, organisation=spam)
    [message] = outbox.to("victim@example.org")
    assert spam not in message.raw and "WIN CASH" not in message.html


def test_same_answer_for_new_pending_and_confirmed_addresses(
    user, container: Container, store, outbox
) -> None:
    new = user.subscribe("new@example.org")
    user.subscribe("pending@example.org")
    pending = user.subscribe("pending@example.org")
    user.subscribe("confirmed@example.org")
    _confirm(container, "confirmed@example.org")
    confirmed = user.subscribe("confirmed@example.org")
    answers = {(r.status_code, r.headers["Location"]) for r in (new, pending, confirmed)}
    assert len(answers) == 1
    page = user.client.get(new.headers["Location"]).get_data(as_text=True)
    assert "Check your email" in page
    # Behind the identical answer: no second confirm email within 6 hours for pending, a
    # manage email for the confirmed one, whose preferences the form did not touch.
    assert [m.subject for m in outbox.to("pending@example.org")] == [
        "Please confirm your subscription"
    ]
    assert outbox.to("confirmed@example.org")[-1].subject == (
        "Your subscription: manage your preferences"
    )
    assert store.get(subscriber_key("confirmed@example.org")).status is Status.CONFIRMED


def test_confirmed_subscriber_preferences_are_not_changed_by_the_public_form(
    user, container: Container, store
) -> None:
    user.subscribe("kept@example.org", audience="schools", topics=["housing"])
    _confirm(container, "kept@example.org")
    user.subscribe(
        "kept@example.org", audience="individuals", topics=["right-to-work"], name="Attacker"
    )
    kept = store.get(subscriber_key("kept@example.org"))
    assert (kept.audience, kept.topics, kept.name) == ("schools", ("housing",), "")


def test_repeat_submissions_for_one_address_are_rate_limited(
    container: Container, outbox, make_user
) -> None:
    """One confirm email per pending address per 6 hours, and at most 3 a day (at midday, so
    the day's window cannot end during the test and start the count again)."""
    at_midday = Container(container.settings, container.clients, clock=midday_clock())
    user = make_user(create_app(at_midday))
    for _ in range(5):
        assert user.subscribe("again@example.org").status_code == 303
    assert len(outbox.to("again@example.org")) == 1
    for _ in range(5):  # six hours on, every time
        _age_pending(container, "again@example.org")
        assert user.subscribe("again@example.org").status_code == 303
    assert len(outbox.to("again@example.org")) == 3  # EMAIL_LIMIT per day


def test_client_address_limit_holds_across_lambda_containers(
    container: Container, settings, outbox, make_user
) -> None:
    """Two app instances (two containers) share the DynamoDB counters, not process memory."""
    users = [make_user(create_app(Container(settings, container.clients))) for _ in range(2)]
    for i in range(24):
        assert users[i % 2].subscribe(f"bomb{i}@example.org").status_code == 303
    assert len(outbox.all()) == 20  # IP_LIMIT per hour, counted across both


def test_honeypot_filled_looks_like_success_but_does_nothing(user, store, outbox) -> None:
    response = user.subscribe("bot@example.org", website="http://spam.example")
    assert response.status_code == 303
    assert store.get(subscriber_key("bot@example.org")) is None
    assert outbox.all() == []


def test_too_quick_submission_is_refused_kindly(app, store, make_user) -> None:
    response = make_user(app, min_fill_seconds=60).subscribe("fast@example.org")
    assert response.status_code == 200
    assert "very quick" in response.get_data(as_text=True)
    assert store.get(subscriber_key("fast@example.org")) is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-address", "valid email address"),
        ("email", "a@example.org\r\nBcc: x@example.org", "one line of plain text"),
        ("email", "", "enter your email address"),
        ("email", "=?utf-8?q?a=2Cb?=@example.org", "valid email address"),
        ("email", "=?utf-8?q?a=0D=0Ab?=@example.org", "valid email address"),
        ("email", "a" * 250 + "@example.org", "Field cannot be longer than 254"),
        ("audience", "aliens", "Not a valid choice"),
        ("topics", "knitting", "choose topics from the list"),
    ],
)
def test_bad_input_gets_a_clear_message_and_stores_nothing(
    user, store, outbox, field: str, value: str, message: str
) -> None:
    fields = {"email": "ok@example.org", field: value}
    response = user.subscribe(**fields) if field != "email" else user.subscribe(value)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert store.get(subscriber_key("ok@example.org")) is None
    assert outbox.all() == []


def test_form_without_its_token_is_refused(client, store) -> None:
    response = client.post("/subscribe", data={"email": "x@example.org", "audience": "schools"})
    assert response.status_code == 400
    assert "fill in the form on this page" in response.get_data(as_text=True)
    assert store.get(subscriber_key("x@example.org")) is None


def test_embed_page_may_be_framed_and_the_rest_may_not(client) -> None:
    embed = client.get("/subscribe/embed")
    assert embed.status_code == 200
    assert "X-Frame-Options" not in embed.headers
    # No site but this one by default (issue 10, item 9: no permissive default).
    assert "frame-ancestors 'self';" in embed.headers["Content-Security-Policy"]
    assert 'name="embedded" value="1"' in embed.get_data(as_text=True)
    page = client.get("/subscribe")
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


def test_embedded_form_works_without_cookies(app, store, make_user) -> None:
    """Browsers block our cookies inside another site's iframe: the form must not need them."""
    visitor = make_user(app, use_cookies=False)
    response = visitor.subscribe(
        "framed@example.org", "faith-groups", page_path="/subscribe/embed", embedded="1"
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("embedded=1")
    assert store.get(subscriber_key("framed@example.org")).audience == "faith-groups"


def test_no_address_or_token_in_the_logs(user, container: Container, outbox, caplog) -> None:
    caplog.set_level(logging.INFO)  # the deployed log level (POWERTOOLS_LOG_LEVEL)
    user.subscribe("private.person@example.org", name="Private Person")
    confirm_path = user.path(outbox.link(outbox.to("private.person@example.org")[0], "/confirm/"))
    user.post_form(confirm_path, confirm_path)
    token = confirm_path.rsplit("/", 1)[1]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "private.person" not in logged.lower()
    assert token not in logged


def test_suppressed_address_gets_the_same_page_and_no_email(user, store, outbox) -> None:
    """A complaint or hard bounce means we never write again, even when the form is used."""
    key = subscriber_key("complained@example.org")
    store.suppress(key, "complaint", "2026-11-01T00:00:00+00:00")
    response = user.subscribe("complained@example.org")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/subscribe/check-email?embedded=0")
    assert outbox.all() == []
    assert store.get(key) is None


def test_response_time_is_padded_whatever_the_address(
    app, user, container: Container, store, monkeypatch
) -> None:
    """Only some outcomes send an email: each answer is padded to the same floor, so timing
    cannot tell a new address from a confirmed, rate-limited or suppressed one."""
    clock = {"now": 1000.0}
    slept: list[float] = []
    monkeypatch.setattr(container, "monotonic", lambda: clock["now"])

    def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        clock["now"] += seconds

    def slow_send(**_: object) -> None:
        clock["now"] += 0.3  # sending is the work that would give an address away

    monkeypatch.setattr(container, "sleep", fake_sleep)
    container.clients.sesv2_send.meta.events.register("before-call.sesv2.SendEmail", slow_send)
    app.config["SUBSCRIBE_MIN_RESPONSE_SECONDS"] = 0.8
    store.suppress(subscriber_key("gone@example.org"), "complaint", "2026-11-01T00:00:00+00:00")
    user.subscribe("confirmed@example.org")
    _confirm(container, "confirmed@example.org")
    slept.clear()
    took = []
    for address, extra in [
        ("new@example.org", {}),  # a confirm email
        ("new@example.org", {}),  # pending within six hours: no email
        ("confirmed@example.org", {}),  # a manage email
        ("gone@example.org", {}),  # suppressed: no email
        ("bot@example.org", {"website": "x"}),  # the honeypot: nothing at all
    ]:
        started = clock["now"]
        assert user.subscribe(address, **extra).status_code == 303
        took.append(round(clock["now"] - started, 9))
    assert took == [0.8] * 5  # every answer after the same time, whatever it did
    assert [round(s, 9) for s in slept] == [0.5, 0.8, 0.5, 0.8, 0.8]  # the floor less the work


def test_embedded_form_errors_still_show_inside_the_iframe(app, make_user) -> None:
    visitor = make_user(app, use_cookies=False)
    response = visitor.subscribe("not an address", page_path="/subscribe/embed", embedded="1")
    assert response.status_code == 400
    assert "valid email address" in response.get_data(as_text=True)
    assert "X-Frame-Options" not in response.headers
    assert "frame-ancestors 'self';" in response.headers["Content-Security-Policy"]


def test_international_domain_is_stored_in_punycode_and_mail_goes_to_it(
    user, store, outbox
) -> None:
    """SES takes 7-bit addresses only."""
    assert user.subscribe("reader@bücher.example").status_code == 303
    stored = store.get(subscriber_key("reader@xn--bcher-kva.example"))
    assert stored.email == "reader@xn--bcher-kva.example"
    assert outbox.to("reader@xn--bcher-kva.example")


def test_non_ascii_mailbox_name_is_refused_clearly(user, store, outbox) -> None:
    response = user.subscribe("jöhn@example.org")
    assert response.status_code == 400
    assert "valid email address" in response.get_data(as_text=True)
    assert outbox.all() == []


def test_past_the_address_limit_the_pending_record_is_not_rewritten(user, container, store) -> None:
    for _ in range(3):
        _age_pending(container, "owner@example.org")
        user.subscribe("owner@example.org", audience="schools")
    _age_pending(container, "owner@example.org")
    user.subscribe("owner@example.org", audience="individuals")
    kept = store.get(subscriber_key("owner@example.org"))
    assert kept.audience == "schools"


def test_within_six_hours_the_pending_record_is_not_rewritten(user, store, outbox) -> None:
    user.subscribe("owner@example.org", audience="schools")
    user.subscribe("owner@example.org", audience="individuals")
    assert store.get(subscriber_key("owner@example.org")).audience == "schools"
    assert len(outbox.to("owner@example.org")) == 1


def test_embed_page_lists_only_the_allowed_sites(container, settings) -> None:
    import dataclasses

    limited = dataclasses.replace(settings, embed_origins="https://www.example.org")
    app = create_app(Container(limited, container.clients))
    csp = app.test_client().get("/subscribe/embed").headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://www.example.org;" in csp


def _confirm(container: Container, address: str) -> None:
    """Confirm as the emailed link would (its link id is on the pending record)."""
    pending = container.subscriber_store.get(subscriber_key(address))
    container.subscriptions.confirm(pending.link_id)


def _age_pending(container: Container, address: str) -> None:
    """Make a pending record look as if its confirm email went out more than 6 hours ago."""
    import dataclasses

    store = container.subscriber_store
    pending = store.get(subscriber_key(address))
    if pending is not None:
        store.put(dataclasses.replace(pending, updated_at="2026-01-01T00:00:00+00:00"))


def _post(user, email: str, remote_addr: str = "127.0.0.1", page_path: str = "/subscribe", **extra):
    """Submit the form from a given client address (the test client's REMOTE_ADDR)."""
    page = user.client.get(page_path).get_data(as_text=True)
    data = {
        "csrf_token": user.form_token(page),
        "altcha": user.proof(page),
        "email": email,
        "audience": "schools",
        **extra,
    }
    return user.client.post("/subscribe", data=data, environ_base={"REMOTE_ADDR": remote_addr})


def test_a_form_token_works_once(user, store, outbox) -> None:
    """Issue 10, item 1: one token replayed sent 60 emails; now it sends one form."""
    page = user.client.get("/subscribe").get_data(as_text=True)
    token = user.form_token(page)
    answers = [
        user.client.post(
            "/subscribe",
            data={"csrf_token": token, "email": f"replay{i}@example.org", "audience": "schools"},
        )
        for i in range(3)
    ]
    # A double click or a replay gets the first answer again, and does nothing more.
    assert {(a.status_code, a.headers["Location"]) for a in answers} == {
        (303, "/subscribe/check-email?embedded=0")
    }
    assert len(outbox.all()) == 1
    assert store.get(subscriber_key("replay1@example.org")) is None


def test_a_form_token_is_bound_to_the_page_that_issued_it(user, store, outbox) -> None:
    page = user.client.get("/subscribe").get_data(as_text=True)
    response = user.client.post(
        "/subscribe",
        data={
            "csrf_token": user.form_token(page),
            "email": "moved@example.org",
            "audience": "schools",
            "embedded": "1",
        },
    )
    assert response.status_code == 400
    assert outbox.all() == []


def test_address_variants_share_one_key_limit_and_suppression(user, store, outbox) -> None:
    """Case, +tags, Gmail dots and googlemail.com are one mailbox: one key, one limit."""
    for variant in ("name+1@gmail.com", "Name+2@gmail.com", "n.ame@googlemail.com"):
        assert user.subscribe(variant).status_code == 303
    assert [m.to for m in outbox.all()] == ["name+1@gmail.com"]  # to the address as typed
    assert subscriber_key("n.a.m.e+x@googlemail.com") == subscriber_key("name@gmail.com")
    store.suppress(subscriber_key("other@gmail.com"), "complaint", "2026-11-01T00:00:00+00:00")
    assert user.subscribe("o.ther+news@gmail.com").status_code == 303
    assert outbox.to("o.ther+news@gmail.com") == []


def test_ipv6_clients_are_limited_per_64(user, outbox) -> None:
    """One host holds a whole /64: rotating the low bits must not buy more emails."""
    for i in range(25):
        _post(user, f"six{i}@example.org", remote_addr=f"2001:db8:1:2::{i + 1:x}")
    assert len(outbox.all()) == 20  # IP_LIMIT for the /64
    # Another domain: example.org has had its 20 a day as a domain nobody confirmed at yet.
    _post(user, "elsewhere@example.net", remote_addr="2001:db8:1:3::1")
    assert len(outbox.to("elsewhere@example.net")) == 1


def test_hourly_caps_hold_overall_and_per_domain_and_log_for_the_alarm(
    user, outbox, monkeypatch, caplog
) -> None:
    from mailer.subscribers import lifecycle

    monkeypatch.setattr(lifecycle, "DOMAIN_HOURLY_CAP", 3)
    monkeypatch.setattr(lifecycle, "HOURLY_CAP", 5)
    for i in range(5):  # one domain, from five clients
        _post(user, f"staff{i}@school.example", remote_addr=f"192.0.2.{i + 1}")
    assert len(outbox.all()) == 3
    for i in range(5):
        _post(user, f"p{i}@other{i}.example", remote_addr=f"198.51.100.{i + 1}")
    assert len(outbox.all()) == 5
    logged = [r.getMessage() for r in caplog.records]
    assert any(m == f"{lifecycle.CAP_REACHED_LOG}: domain:school.example" for m in logged)
    assert any(m == f"{lifecycle.CAP_REACHED_LOG}: overall" for m in logged)


def test_flood_from_one_client_is_bounded_and_every_answer_is_identical(
    app, user, container: Container, outbox, monkeypatch
) -> None:
    """The issue's flood: one client, address variants and many addresses (bounded, through
    the test client). At most one email per canonical address, the caps hold, and every
    answer is the same redirect after the same padded time."""
    from mailer.subscribers import lifecycle

    monkeypatch.setattr(lifecycle, "DOMAIN_HOURLY_CAP", 8)
    clock = {"now": 1000.0}
    slept: list[float] = []
    monkeypatch.setattr(container, "monotonic", lambda: clock["now"])

    def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        clock["now"] += seconds

    monkeypatch.setattr(container, "sleep", fake_sleep)
    app.config["SUBSCRIBE_MIN_RESPONSE_SECONDS"] = 0.8
    variants = [
        f"{dots}+{i}@{domain}"
        for i, (dots, domain) in enumerate(
            [("vi.ctim", "gmail.com"), ("victim", "googlemail.com"), ("V.I.C.T.I.M", "gmail.com")]
            * 4
        )
    ]
    many = [f"target{i}@school.example" for i in range(30)]
    answers = set()
    for n, address in enumerate(variants + many):
        response = _post(user, address, remote_addr=f"2001:db8:7:7::{n + 1:x}")
        answers.add((response.status_code, response.headers.get("Location")))
    assert answers == {(303, "/subscribe/check-email?embedded=0")}
    assert slept == [0.8] * (len(variants) + len(many))
    sent = [m.to for m in outbox.all()]
    by_mailbox: dict[str, int] = {}
    for to in sent:
        by_mailbox[subscriber_key(to)] = by_mailbox.get(subscriber_key(to), 0) + 1
    assert max(by_mailbox.values()) == 1  # one email per canonical address
    assert sum(1 for to in sent if to.endswith("@school.example")) == 8  # the domain cap
    assert len(sent) <= lifecycle.IP_LIMIT  # the client's /64 limit


def test_a_solved_proof_of_work_is_accepted_once(user, store, outbox) -> None:
    """Issue 10, item 1: a bot pays per attempt; one solution cannot be replayed."""
    page = user.client.get("/subscribe").get_data(as_text=True)
    proof = user.proof(page)
    first = user.client.post(
        "/subscribe",
        data={
            "csrf_token": user.form_token(page),
            "altcha": proof,
            "email": "paid@example.org",
            "audience": "schools",
        },
    )
    assert first.status_code == 303
    page = user.client.get("/subscribe").get_data(as_text=True)
    replayed = user.client.post(
        "/subscribe",
        data={
            "csrf_token": user.form_token(page),
            "altcha": proof,
            "email": "again@example.org",
            "audience": "schools",
        },
    )
    assert replayed.status_code == 400
    assert "check that this is not a bot did not work" in replayed.get_data(as_text=True)
    assert store.get(subscriber_key("again@example.org")) is None
    assert [m.to for m in outbox.all()] == ["paid@example.org"]


def test_a_forged_proof_of_work_is_refused(user, store, outbox) -> None:
    import base64
    import json

    page = user.client.get("/subscribe").get_data(as_text=True)
    solved = json.loads(base64.b64decode(user.proof(page)))
    solved["challenge"]["parameters"]["cost"] = 0  # cheaper than we asked: the signature breaks
    forged = base64.b64encode(json.dumps(solved).encode()).decode()
    for payload in (forged, "not base64 at all", "e30="):
        page = user.client.get("/subscribe").get_data(as_text=True)
        response = user.client.post(
            "/subscribe",
            data={
                "csrf_token": user.form_token(page),
                "altcha": payload,
                "email": "forger@example.org",
                "audience": "schools",
            },
        )
        assert response.status_code == 400
    assert store.get(subscriber_key("forger@example.org")) is None
    assert outbox.all() == []


def test_without_script_a_person_can_still_subscribe_under_tighter_limits(user, outbox) -> None:
    """A school laptop with script off gets no proof of work: the form still works, but one
    network gets 5 such subscriptions an hour (script on: 20)."""
    page = user.client.get("/subscribe").get_data(as_text=True)
    assert "With JavaScript off you can still subscribe" in page
    for i in range(7):
        assert user.subscribe(f"noscript{i}@example.org", script=False).status_code == 303
    assert len(outbox.all()) == 5
    assert user.subscribe("withscript@example.org").status_code == 303
    assert len(outbox.to("withscript@example.org")) == 1


def test_a_pending_record_with_an_unreadable_time_is_rewritten_not_a_500(user, store) -> None:
    """Nothing stored may turn the public form into a 500."""
    import dataclasses

    user.subscribe("odd@example.org")
    pending = store.get(subscriber_key("odd@example.org"))
    store.put(dataclasses.replace(pending, updated_at="t0"))
    assert user.subscribe("odd@example.org", audience="individuals").status_code == 303
    assert store.get(subscriber_key("odd@example.org")).audience == "individuals"
