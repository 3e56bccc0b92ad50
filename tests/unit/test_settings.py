"""Settings read from the environment once, with every mistake named."""

from __future__ import annotations

import dataclasses

import pytest

from mailer.errors import SettingsError
from mailer.settings import Settings

REQUIRED = {
    "SENDER_ADDRESS": "news@antislavery.example",
    "SITE_URL": "https://mailer.example.org",
    "CATALOGUE_TABLE": "catalogue",
    "SUBSCRIBERS_TABLE": "subscribers",
    "CAMPAIGNS_TABLE": "campaigns",
    "SEND_QUEUE_URL": "https://sqs.eu-west-2.amazonaws.com/123456789012/send",
}
ENV = {**REQUIRED, "SECRET_KEY": "test-secret", "POSTAL_ADDRESS": "1 Street, London"}


def with_env(**changes: str) -> dict[str, str]:
    return {**ENV, **changes}


def test_minimal_environment_gets_defaults() -> None:
    """The required values plus a key give working settings with the documented defaults."""
    settings = Settings.from_env(ENV)
    assert settings.sender_address == "news@antislavery.example"
    assert settings.site_url == "https://mailer.example.org"
    assert settings.catalogue_table == "catalogue"
    assert settings.subscribers_table == "subscribers"
    assert settings.send_queue_url == REQUIRED["SEND_QUEUE_URL"]
    assert settings.secret_key == "test-secret"
    assert settings.region == "eu-west-2"
    assert settings.max_send_rate == 14.0
    assert settings.organisation_name == "Anti-Slavery International"
    assert settings.local_stack is False
    assert settings.aws_endpoint_url == ""


def test_full_environment_is_read_and_typed() -> None:
    """Every variable is read, numbers and flags converted, surrounding spaces ignored."""
    settings = Settings.from_env(
        with_env(
            AWS_REGION="eu-west-1",
            SECRET_KEY="",
            SECRET_KEY_PARAMETER="/mailer/secret-key",
            MAX_SEND_RATE=" 2.5 ",
            ORGANISATION_NAME="ASI",
            POSTAL_ADDRESS="1 Street, London",
            SES_CONFIGURATION_SET="mailer",
            AWS_ENDPOINT_URL="http://localhost:4566",
            LOCAL_STACK="1",
        )
    )
    assert settings.region == "eu-west-1"
    assert settings.secret_key == ""
    assert settings.secret_key_parameter == "/mailer/secret-key"
    assert settings.max_send_rate == 2.5
    assert settings.organisation_name == "ASI"
    assert settings.postal_address == "1 Street, London"
    assert settings.configuration_set == "mailer"
    assert settings.aws_endpoint_url == "http://localhost:4566"
    assert settings.local_stack is True


def test_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no mapping given, the process environment is used."""
    for name in Settings.env_names():
        monkeypatch.delenv(name, raising=False)
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MAX_SEND_RATE", "3")
    assert Settings.from_env().max_send_rate == 3.0


def test_missing_required_settings_are_all_named() -> None:
    """One error lists every missing variable, with what it is for."""
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"SECRET_KEY": "k"})
    message = str(caught.value)
    for name in REQUIRED:
        assert name in message
    assert "From address of every email" in message
    for optional in ("AWS_REGION", "MAX_SEND_RATE", "SECRET_KEY_PARAMETER"):
        assert optional not in message


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_each_required_setting_is_required(name: str) -> None:
    """Leaving out (or blanking) any one required variable names exactly that one."""
    env = {k: v for k, v in ENV.items() if k != name}
    for candidate in (env, {**env, name: "   "}):
        with pytest.raises(SettingsError, match="missing settings") as caught:
            Settings.from_env(candidate)
        message = str(caught.value)
        assert name in message
        assert not any(other in message for other in REQUIRED if other != name)


@pytest.mark.parametrize("value", ["fast", "14/s", "1,5"])
def test_max_send_rate_must_be_a_number(value: str) -> None:
    """A non-number rate names the variable and the bad value."""
    with pytest.raises(SettingsError, match="MAX_SEND_RATE must be a number") as caught:
        Settings.from_env(with_env(MAX_SEND_RATE=value))
    assert repr(value) in str(caught.value)


@pytest.mark.parametrize("value", ["0", "-1", "-0.5"])
def test_max_send_rate_must_be_positive(value: str) -> None:
    """Zero or negative rates would stop sending: refused."""
    with pytest.raises(
        SettingsError, match="MAX_SEND_RATE must be a number of messages a second above 0"
    ):
        Settings.from_env(with_env(MAX_SEND_RATE=value))


@pytest.mark.parametrize("value", ["-1", "nan", "inf"])
def test_a_notice_reserve_below_zero_or_not_a_number_is_refused(value: str) -> None:
    """The reserve is messages a second kept free: a negative or endless one is refused."""
    with pytest.raises(SettingsError, match="NOTICE_RESERVE_RATE must be messages a second"):
        Settings.from_env(with_env(NOTICE_RESERVE_RATE=value))


def test_max_send_rate_nan_is_refused() -> None:
    """'nan' is not a sending rate."""
    with pytest.raises(SettingsError, match="MAX_SEND_RATE"):
        Settings.from_env(with_env(MAX_SEND_RATE="nan"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", True), ("true", True), ("YES", True), ("0", False), ("false", False), ("No", False)],
)
def test_local_stack_flag_values(value: str, expected: bool) -> None:
    """1/true/yes and 0/false/no, in any case."""
    assert Settings.from_env(with_env(LOCAL_STACK=value)).local_stack is expected


@pytest.mark.parametrize("value", ["maybe", "2", "on"])
def test_bad_local_stack_flag(value: str) -> None:
    """Anything else is an error naming the variable."""
    with pytest.raises(SettingsError, match="LOCAL_STACK must be 1 or 0") as caught:
        Settings.from_env(with_env(LOCAL_STACK=value))
    assert repr(value) in str(caught.value)


@pytest.mark.parametrize("value", ["mailer.example.org", "ftp://mailer.example.org", "/path"])
def test_site_url_needs_a_scheme(value: str) -> None:
    """Email links need an absolute web address."""
    with pytest.raises(SettingsError, match="SITE_URL must be an https:// ") as caught:
        Settings.from_env(with_env(SITE_URL=value))
    assert repr(value) in str(caught.value)


def test_site_url_may_be_http_locally() -> None:
    """The local stack serves plain http."""
    local = with_env(SITE_URL="http://localhost:8000", LOCAL_STACK="1")
    assert Settings.from_env(local).site_url.startswith("http://")


def test_site_url_must_be_https_outside_the_local_stack() -> None:
    """Links in real email carry tokens: never over plain http."""
    with pytest.raises(SettingsError, match="http:// only on the local stack"):
        Settings.from_env(with_env(SITE_URL="http://mailer.example.org"))


def test_an_empty_postal_address_refuses_to_start_outside_the_local_stack() -> None:
    """Every campaign email must show one (PECR, CAN-SPAM, the bulk senders' rules)."""
    with pytest.raises(SettingsError, match="POSTAL_ADDRESS must be set"):
        Settings.from_env(with_env(POSTAL_ADDRESS=""))
    assert Settings.from_env(with_env(POSTAL_ADDRESS="", LOCAL_STACK="1")).postal_address == ""


def test_a_secret_key_or_its_parameter_is_needed() -> None:
    """Without either, nothing could be signed: the error names both variables."""
    env = {k: v for k, v in ENV.items() if k != "SECRET_KEY"}
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(env)
    assert "SECRET_KEY" in str(caught.value)
    assert "SECRET_KEY_PARAMETER" in str(caught.value)


def test_settings_are_frozen() -> None:
    """Nothing can change a setting after start-up."""
    settings = Settings.from_env(ENV)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.max_send_rate = 100.0  # type: ignore[misc]


@pytest.mark.parametrize(
    "value",
    ["https://www.example.org; script-src *", "'self'", "http://example.org", "https://a,b"],
)
def test_embed_origins_cannot_break_out_of_the_csp(value: str) -> None:
    """The value goes into a Content-Security-Policy header: nothing that ends the directive."""
    with pytest.raises(SettingsError, match="EMBED_ALLOWED_ORIGINS"):
        Settings.from_env(with_env(EMBED_ALLOWED_ORIGINS=value))


def test_embed_origins_accept_sites_and_wildcard_subdomains() -> None:
    value = "https://www.example.org https://*.example.net https:"
    assert Settings.from_env(with_env(EMBED_ALLOWED_ORIGINS=value)).embed_origins == value


def test_loopback_http_origins_only_on_the_local_stack() -> None:
    """So the iframe snippet can be tried from a page on this machine, and nowhere else."""
    local = "https: http://127.0.0.1:* http://localhost:8080"
    settings = Settings.from_env(with_env(EMBED_ALLOWED_ORIGINS=local, LOCAL_STACK="1"))
    assert settings.embed_origins == local
    with pytest.raises(SettingsError, match="EMBED_ALLOWED_ORIGINS"):
        Settings.from_env(with_env(EMBED_ALLOWED_ORIGINS=local))


def test_the_school_summer_holiday_is_englands_unless_set() -> None:
    """Issue 17 item 3: England's dates by default; any first and last day of one year."""
    assert Settings.from_env(ENV).summer_holiday == ((7, 22), (8, 31))
    scotland_like = Settings.from_env(with_env(SCHOOL_SUMMER_HOLIDAY=" 06-28/08-15 "))
    assert scotland_like.summer_holiday == ((6, 28), (8, 15))


@pytest.mark.parametrize(
    "value",
    ["22 July to 31 August", "07-22", "7-22/8-31", "07-22/13-01", "02-30/08-31", "08-31/07-22"],
)
def test_a_school_summer_holiday_that_cannot_be_read_is_refused(value: str) -> None:
    """Not two days of the year, or ending before it starts: named with an example."""
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(with_env(SCHOOL_SUMMER_HOLIDAY=value))
    message = str(caught.value)
    assert message.startswith("SCHOOL_SUMMER_HOLIDAY must be the holiday's first and last day")
    assert "like 07-22/08-31 for 22 July to 31 August" in message and repr(value) in message
