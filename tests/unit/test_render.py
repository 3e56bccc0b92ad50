"""Rendering the four emails: accessible, clip-safe HTML, a matching text twin, per recipient."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailer.campaigns import variants
from mailer.campaigns.model import Period
from mailer.campaigns.selection import select_resources
from mailer.catalogue.schema import Catalogue, Resource
from mailer.emails import views
from mailer.emails.render import EMAILS, GMAIL_CLIP_BYTES, EmailRenderer, RenderedEmail
from mailer.errors import TemplateContextError, TemplateNotFoundError
from mailer.subscribers import notices

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates" / "email"
PERIOD = Period(2026, 12)
ANNOUNCED = "illegal-migration-bill-lords-committee-2023"  # a real resource with its own URL

RECIPIENT = {
    "greeting": "Hello Sam O'Neil,",
    "manage_url": "https://example.org/manage?token=m-123&s=1",
    "unsubscribe_url": "https://example.org/unsubscribe?token=u-123&s=1",
    "confirm_url": "https://example.org/confirm?token=c-123&s=1",
}


class HtmlFacts(HTMLParser):
    """What a mail client sees in the HTML: lang, metas, images, links, styles, body text."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.lang: str | None = None
        self.metas: list[dict[str, str | None]] = []
        self.images: list[dict[str, str | None]] = []
        self.hrefs: list[str] = []
        self.styles: list[str] = []
        self.body_text: list[str] = []
        self._tags: list[str] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "html":
            self.lang = found.get("lang")
        elif tag == "meta":
            self.metas.append(found)
        elif tag == "img":
            self.images.append(found)
        elif tag == "a" and found.get("href"):
            self.hrefs.append(str(found["href"]))
        self._tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._tags:
            del self._tags[len(self._tags) - 1 - self._tags[::-1].index(tag) :]

    def handle_data(self, data: str) -> None:
        if "style" in self._tags:
            self.styles.append(data)
        elif "body" in self._tags:
            self.body_text.append(data)

    @property
    def text(self) -> str:
        """Body text with whitespace collapsed, as a reader sees it."""
        return " ".join("".join(self.body_text).split())

    def meta(self, name: str) -> dict[str, str | None] | None:
        return next((m for m in self.metas if m.get("name") == name), None)


@dataclass
class Case:
    """One email to render: its template, context, expected preheader and resources shown."""

    name: str
    context: dict[str, Any]
    preheader: str
    resources: list[dict[str, Any]] = field(default_factory=list)
    recipient_fields: tuple[str, ...] = ("greeting", "manage_url", "unsubscribe_url")


CASES = [
    "confirm_subscription",
    "digest:schools",
    "digest:faith-groups",
    "digest:individuals",
    "announcement",
    "preferences_changed",
]


def build_case(case_id: str, catalogue: Catalogue, site_url: str) -> Case:
    vocab = catalogue.vocabulary
    if case_id == "confirm_subscription":
        return Case(
            case_id,
            notices.confirm_context(7),
            "One click to start receiving our monthly digest of free resources",
            recipient_fields=("confirm_url",),
        )
    if case_id.startswith("digest:"):
        audience = case_id.partition(":")[2]
        picks = select_resources(catalogue.resources, audience, [], PERIOD)
        context = variants.digest_context(vocab, site_url, audience, [], PERIOD, picks)
        label = vocab.audiences[audience].lower()
        return Case(
            "digest",
            context,
            f"{len(picks)} resources picked for {label} this month",
            context["resources"],
        )
    if case_id == "announcement":
        context = variants.announcement_context(
            vocab,
            site_url,
            "individuals",
            ["law-and-policy"],
            catalogue.by_id()[ANNOUNCED],
            message="A short note from the team.",
        )
        return Case(
            case_id,
            context,
            "A new free briefing for individuals",
            [context["resource"]],
        )
    assert case_id == "preferences_changed"
    context = notices.preferences_changed_context(vocab, "schools", ["housing", "right-to-work"])
    return Case(case_id, context, "You now receive resources for schools")


@pytest.fixture(params=CASES)
def case(request: pytest.FixtureRequest, real_catalogue: Catalogue, site_url: str) -> Case:
    return build_case(request.param, real_catalogue, site_url)


@pytest.fixture
def rendered(renderer: EmailRenderer, case: Case) -> RenderedEmail:
    return renderer.render(case.name, case.context, RECIPIENT)


# --- every email ------------------------------------------------------------------------------


def test_html_is_below_gmail_clipping(rendered: RenderedEmail) -> None:
    """Gmail clips messages over 102 KB, hiding the footer with the unsubscribe link."""
    assert len(rendered.html.encode("utf-8")) < GMAIL_CLIP_BYTES


def test_html_declares_british_english(rendered: RenderedEmail) -> None:
    """Screen readers pick the right voice."""
    assert HtmlFacts(rendered.html).lang == "en-GB"
    assert 'lang="en-GB"' in rendered.html


def test_preheader_is_the_first_body_text(rendered: RenderedEmail, case: Case) -> None:
    """The inbox preview line is the preheader, not the logo or layout text."""
    assert HtmlFacts(rendered.html).text.startswith(case.preheader)


def test_every_image_has_alt_text(rendered: RenderedEmail) -> None:
    """Images blocked or unseen still say what they are: each has alt text, or is decorative
    (alt="") beside the words it would repeat, so no alt text wraps inside a tiny logo."""
    images = HtmlFacts(rendered.html).images
    assert images, "expected at least the logo"
    for image in images:
        assert image.get("alt") is not None, image
        if not image["alt"].strip():
            beside = re.escape(str(image["src"])) + r'"[^>]*>\s*Anti-Slavery International</a>'
            assert re.search(beside, rendered.html), image


def test_mobile_and_dark_mode_support(rendered: RenderedEmail) -> None:
    """Viewport meta for phones; color-scheme meta and a dark media query for dark mode."""
    facts = HtmlFacts(rendered.html)
    viewport = facts.meta("viewport")
    assert viewport is not None
    assert "width=device-width" in (viewport.get("content") or "")
    scheme = facts.meta("color-scheme")
    assert scheme is not None
    assert "dark" in (scheme.get("content") or "")
    assert any("prefers-color-scheme: dark" in style for style in facts.styles)


def test_every_html_link_is_in_the_text_twin(rendered: RenderedEmail) -> None:
    """Readers of the plain-text part can reach everything the HTML links to."""
    hrefs = HtmlFacts(rendered.html).hrefs
    assert hrefs
    for href in hrefs:
        assert href in rendered.text


def test_text_twin_shows_the_same_resources(rendered: RenderedEmail, case: Case) -> None:
    """Each resource's title and link appear in both parts."""
    facts = HtmlFacts(rendered.html)
    for resource in case.resources:
        assert resource["title"] in facts.text
        assert resource["title"] in rendered.text
        assert resource["link"] in facts.hrefs
        assert resource["link"] in rendered.text


def test_text_twin_is_plain_text(rendered: RenderedEmail) -> None:
    """No HTML tags or entities leak into the text part."""
    for leak in ("<mj-", "<div", "<a ", "&amp;", "&#39;", "&middot;", "&#91;"):
        assert leak not in rendered.text


def test_recipient_fields_appear_in_both_parts(rendered: RenderedEmail, case: Case) -> None:
    """The greeting and this recipient's links are filled into HTML and text alike."""
    facts = HtmlFacts(rendered.html)
    for name in case.recipient_fields:
        value = RECIPIENT[name]
        assert value in rendered.text
        if name == "greeting":
            assert value in facts.text
        else:
            assert value in facts.hrefs
            assert html_lib.escape(value) in rendered.html  # & is &amp; in the href


def test_footer_names_the_charity(rendered: RenderedEmail) -> None:
    """Every email says who sent it and where they are."""
    facts = HtmlFacts(rendered.html)
    for part in (facts.text, rendered.text):
        assert "Anti-Slavery International" in part
        assert "1 Street, London" in part


# --- specific emails ------------------------------------------------------------------------


def digest(
    renderer: EmailRenderer, catalogue: Catalogue, site_url: str, audience: str, recipient: Any
) -> RenderedEmail:
    picks = select_resources(catalogue.resources, audience, [], PERIOD)
    context = variants.digest_context(catalogue.vocabulary, site_url, audience, [], PERIOD, picks)
    return renderer.render("digest", context, recipient)


@pytest.mark.parametrize(
    ("audience", "label"),
    [("schools", "schools"), ("faith-groups", "faith groups"), ("individuals", "individuals")],
)
def test_digest_subject_names_period_and_audience(
    renderer: EmailRenderer, real_catalogue: Catalogue, site_url: str, audience: str, label: str
) -> None:
    """Subject says which month and who it is for."""
    email = digest(renderer, real_catalogue, site_url, audience, RECIPIENT)
    assert email.subject == f"December 2026: free resources on modern slavery for {label}"


def test_digest_links_to_browse_its_audience(
    renderer: EmailRenderer, real_catalogue: Catalogue, site_url: str
) -> None:
    """The 'browse all' button opens the catalogue filtered to the reader's audience."""
    email = digest(renderer, real_catalogue, site_url, "faith-groups", RECIPIENT)
    assert f"{site_url}/?audience=faith-groups" in HtmlFacts(email.html).hrefs
    assert f"{site_url}/?audience=faith-groups" in email.text


def test_fixed_subjects(renderer: EmailRenderer, real_catalogue: Catalogue) -> None:
    """Confirmation and preferences emails have their fixed subjects."""
    vocab = real_catalogue.vocabulary
    confirm = renderer.render("confirm_subscription", notices.confirm_context(7), RECIPIENT)
    assert confirm.subject == "Please confirm your subscription"
    changed = renderer.render(
        "preferences_changed",
        notices.preferences_changed_context(vocab, "schools", []),
        RECIPIENT,
    )
    assert changed.subject == "Your subscription preferences have changed"
    assert "all topics" in changed.text


def test_announcement_subject_is_plain_text(
    renderer: EmailRenderer, vocabulary: Any, make_resource: Callable[..., Resource], site_url: str
) -> None:
    """Ampersands and apostrophes in a title reach the subject and text part unescaped."""
    resource = make_resource(id="rights-at-work", title="Survivors & workers' rights <today>")
    context = variants.announcement_context(vocabulary, site_url, "individuals", [], resource)
    email = renderer.render("announcement", context, RECIPIENT)
    assert email.subject == "New: Survivors & workers' rights <today>"
    assert "Survivors & workers' rights <today>" in email.text
    assert "Survivors &amp; workers&#39; rights &lt;today&gt;" in email.html
    assert "Survivors & workers' rights <today>" in HtmlFacts(email.html).text


def test_confirm_email_shows_the_period_of_validity(renderer: EmailRenderer) -> None:
    """The confirmation says how long its link works."""
    email = renderer.render("confirm_subscription", notices.confirm_context(7), RECIPIENT)
    assert "works for 7 days" in HtmlFacts(email.html).text
    assert "works for 7 days" in email.text


def test_confirm_email_uses_nothing_but_the_confirm_url(renderer: EmailRenderer) -> None:
    """Bots sign up strangers with spam in the name: only the confirm link may reach the email."""
    recipient = {
        "greeting": "Hello WIN A PRIZE at spam.example,",
        "manage_url": "https://spam.example/manage",
        "unsubscribe_url": "https://spam.example/unsubscribe",
        "confirm_url": "https://example.org/confirm?token=c-9",
    }
    email = renderer.render("confirm_subscription", notices.confirm_context(7), recipient)
    for part in (email.html, email.text, email.subject):
        assert "spam.example" not in part
        assert "WIN A PRIZE" not in part
    assert "https://example.org/confirm?token=c-9" in HtmlFacts(email.html).hrefs
    assert "https://example.org/confirm?token=c-9" in email.text


# --- escaping and injection -------------------------------------------------------------------


def test_recipient_name_is_escaped_in_html(
    renderer: EmailRenderer, real_catalogue: Catalogue, site_url: str
) -> None:
    """A name with markup shows as text in HTML and verbatim in the text part."""
    evil = "Hello <script>alert(1)</script>,"
    email = digest(renderer, real_catalogue, site_url, "schools", {**RECIPIENT, "greeting": evil})
    assert "<script>" not in email.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in email.html
    assert evil in HtmlFacts(email.html).text
    assert evil in email.text


def test_url_ampersand_is_escaped_in_href(
    renderer: EmailRenderer, real_catalogue: Catalogue, site_url: str
) -> None:
    """& in a link becomes &amp; inside the href attribute and stays & in the text part."""
    email = digest(renderer, real_catalogue, site_url, "schools", RECIPIENT)
    assert 'href="https://example.org/unsubscribe?token=u-123&amp;s=1"' in email.html
    assert "https://example.org/unsubscribe?token=u-123&s=1" not in email.html
    assert "https://example.org/unsubscribe?token=u-123&s=1" in email.text


@pytest.mark.parametrize(
    "trap",
    [
        "[[ recipient.unsubscribe_url ]]",
        "[% for x in y %]",
        "[# comment",
        "{{ 7 * 7 }}",
        "{% raw %}",
    ],
)
def test_template_syntax_in_content_renders_literally(
    renderer: EmailRenderer,
    vocabulary: Any,
    make_resource: Callable[..., Resource],
    site_url: str,
    trap: str,
) -> None:
    """Catalogue text that looks like a template field is shown as typed, never evaluated."""
    title = f"Report {trap} title"
    resource = make_resource(
        id="trap-resource", title=title, summary=f"Summary with {trap} inside."
    )
    context = variants.announcement_context(
        vocabulary, site_url, "individuals", [], resource, message=f"Note {trap}"
    )
    email = renderer.render("announcement", context, RECIPIENT)
    facts = HtmlFacts(email.html)
    for text in (title, f"Summary with {trap} inside.", f"Note {trap}"):
        assert text in facts.text
        assert text in email.text
    assert email.subject == f"New: {title}"
    # the unsubscribe link appears only where the footer puts it
    assert facts.hrefs.count(RECIPIENT["unsubscribe_url"]) == 1
    assert email.text.count(RECIPIENT["unsubscribe_url"]) == 1


@pytest.fixture(scope="module")
def shared_renderer(base_context: dict[str, str]) -> EmailRenderer:
    return EmailRenderer(TEMPLATE_DIR, base_context)


@settings(deadline=None)
@given(
    name=st.text(
        alphabet=st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1
    ).filter(lambda s: s.strip())
)
def test_any_greeting_reads_exactly_as_given(
    shared_renderer: EmailRenderer, vocabulary: Any, name: str
) -> None:
    """Whatever a subscriber's name holds, both parts show it as typed, and the HTML stays safe."""
    greeting = views.greeting(name)
    context = notices.preferences_changed_context(vocabulary, "schools", [])
    email = shared_renderer.render(
        "preferences_changed", context, {**RECIPIENT, "greeting": greeting}
    )
    assert " ".join(greeting.split()) in HtmlFacts(email.html).text
    assert greeting in email.text
    assert shared_renderer.compiles == 1


# --- the compile cache ------------------------------------------------------------------------


def test_one_compile_serves_many_recipients(
    renderer: EmailRenderer, real_catalogue: Catalogue, site_url: str
) -> None:
    """50 subscribers of one variant cost one MJML compile, each getting only their own links."""
    recipients = [
        {
            "greeting": f"Hello Person {i},",
            "manage_url": f"https://example.org/manage?token=m{i}x",
            "unsubscribe_url": f"https://example.org/unsubscribe?token=u{i}x",
        }
        for i in range(50)
    ]
    emails = [digest(renderer, real_catalogue, site_url, "schools", r) for r in recipients]
    assert renderer.compiles == 1
    for i, email in enumerate(emails):
        for part in (email.html, email.text):
            assert f"token=u{i}x" in part
            assert f"token=m{i}x" in part
            assert f"Hello Person {i}," in part
            others = [j for j in range(50) if j != i]
            assert not any(f"token=u{j}x" in part or f"token=m{j}x" in part for j in others)


def test_another_audience_is_another_compile(
    renderer: EmailRenderer, real_catalogue: Catalogue, site_url: str
) -> None:
    """A different audience is a different variant; returning to the first reuses the cache."""
    schools = digest(renderer, real_catalogue, site_url, "schools", RECIPIENT)
    faith = digest(renderer, real_catalogue, site_url, "faith-groups", RECIPIENT)
    assert renderer.compiles == 2
    assert schools.subject != faith.subject
    digest(renderer, real_catalogue, site_url, "schools", RECIPIENT)
    assert renderer.compiles == 2


def test_cache_is_bounded(base_context: dict[str, str], vocabulary: Any) -> None:
    """An evicted variant is compiled again rather than the cache growing without limit."""
    renderer = EmailRenderer(TEMPLATE_DIR, base_context, cache_size=1)
    schools = notices.preferences_changed_context(vocabulary, "schools", [])
    faith = notices.preferences_changed_context(vocabulary, "faith-groups", [])
    for context in (schools, faith, schools):
        renderer.render("preferences_changed", context, RECIPIENT)
    assert renderer.compiles == 3


# --- errors -----------------------------------------------------------------------------------


def test_unknown_template_names_the_known_ones(renderer: EmailRenderer) -> None:
    """A typo in a template name lists the real names."""
    with pytest.raises(TemplateNotFoundError, match="'newsletter'") as caught:
        renderer.render("newsletter", {}, RECIPIENT)
    for name in EMAILS:
        assert name in str(caught.value)
    assert renderer.compiles == 0


def test_missing_template_file(tmp_path: Path, base_context: dict[str, str]) -> None:
    """A known email whose file is missing is a TemplateNotFoundError naming the file."""
    renderer = EmailRenderer(tmp_path, base_context)
    with pytest.raises(TemplateNotFoundError, match=r"confirm_subscription\.mjml"):
        renderer.render("confirm_subscription", notices.confirm_context(7), RECIPIENT)


def test_missing_context_variable_is_an_error(
    renderer: EmailRenderer, real_catalogue: Catalogue, site_url: str
) -> None:
    """A context without a field the template uses fails loudly instead of sending a blank."""
    picks = select_resources(real_catalogue.resources, "schools", [], PERIOD)
    context = variants.digest_context(
        real_catalogue.vocabulary, site_url, "schools", [], PERIOD, picks
    )
    del context["intro"]
    with pytest.raises(TemplateContextError, match="'digest' is missing content: 'intro'"):
        renderer.render("digest", context, RECIPIENT)


def test_missing_recipient_field_is_an_error(
    renderer: EmailRenderer, real_catalogue: Catalogue, site_url: str
) -> None:
    """A recipient without an unsubscribe link cannot be sent a digest."""
    recipient = {k: v for k, v in RECIPIENT.items() if k != "unsubscribe_url"}
    with pytest.raises(TemplateContextError, match=r"missing a recipient field.*unsubscribe_url"):
        digest(renderer, real_catalogue, site_url, "schools", recipient)
