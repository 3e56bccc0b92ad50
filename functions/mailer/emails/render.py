"""Renders emails: Jinja2 + MJML compiled once per content variant, then filled per recipient."""

from __future__ import annotations

import json
import textwrap
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from pathlib import Path
from threading import Lock
from typing import Any

import jinja2
from markupsafe import Markup, escape
from mjml import mjml2html

from mailer.errors import EmailRenderError, TemplateContextError, TemplateNotFoundError

EMAILS = (
    "confirm_subscription",
    "manage_subscription",
    "digest",
    "announcement",
    "preferences_changed",
    "repermission",
)
GMAIL_CLIP_BYTES = 102 * 1024
# Inboxes cut subjects around here, and long ones look like marketing; the body keeps every word.
SUBJECT_MAX = 70


def shorten_subject(subject: str, limit: int = SUBJECT_MAX) -> str:
    """One line of at most `limit` characters, cut at a word boundary with an ellipsis."""
    return textwrap.shorten(subject, limit, placeholder="…")


@dataclass(frozen=True)
class RenderedEmail:
    """One email, ready for the MIME builder."""

    name: str
    subject: str
    html: str
    text: str


@dataclass(frozen=True)
class _CompiledVariant:
    subject: str
    html: jinja2.Template  # compiled MJML output; only [[ recipient.* ]] fields left to fill
    text: jinja2.Template
    context: Mapping[str, Any]


def _escape_for_second_pass(value: Any) -> Markup:
    """Escape a first-pass value so nothing in content can open a [[ ]] or [% %] field later."""
    if value is None:
        return Markup("")
    return Markup(str(escape(value)).replace("[", "&#91;"))  # noqa: S704 (escaped just now)


class EmailRenderer:
    """Renders the named emails in templates/email/, caching each compiled variant."""

    def __init__(
        self, template_dir: Path, base_context: Mapping[str, Any], cache_size: int = 512
    ) -> None:
        loader = jinja2.FileSystemLoader(template_dir)
        common = {"loader": loader, "undefined": jinja2.StrictUndefined, "auto_reload": False}
        self._mjml_env = jinja2.Environment(
            autoescape=True, finalize=_escape_for_second_pass, **common
        )
        # Plain text is never parsed as HTML, so HTML-escaping it would only corrupt "&" and "<".
        self._text_env = jinja2.Environment(
            autoescape=False,  # noqa: S701
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            **common,
        )
        self._recipient_env = jinja2.Environment(
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            variable_start_string="[[",
            variable_end_string="]]",
            block_start_string="[%",
            block_end_string="%]",
            comment_start_string="[#",
            comment_end_string="#]",
        )
        self._base_context = dict(base_context)
        self._cache: OrderedDict[tuple[str, Hashable], _CompiledVariant] = OrderedDict()
        self._cache_size = cache_size
        self._lock = Lock()
        self.compiles = 0  # how many MJML compiles happened: the cache's effect, for tests/bench

    def render(
        self,
        name: str,
        context: Mapping[str, Any],
        recipient: Mapping[str, str],
        variant_key: Hashable | None = None,
    ) -> RenderedEmail:
        """Render one email for one recipient; context is shared by everyone in the variant."""
        variant = self._variant(name, context, variant_key)
        try:
            html = variant.html.render(recipient=recipient)
            text = variant.text.render(**variant.context, recipient=recipient)
        except jinja2.UndefinedError as exc:
            raise TemplateContextError(
                f"email {name!r} is missing a recipient field: {exc}"
            ) from None
        return RenderedEmail(name=name, subject=variant.subject, html=html, text=text)

    def _variant(
        self, name: str, context: Mapping[str, Any], variant_key: Hashable | None
    ) -> _CompiledVariant:
        if name not in EMAILS:
            raise TemplateNotFoundError(
                f"unknown email template {name!r} (known: {', '.join(EMAILS)})"
            )
        if variant_key is None:
            variant_key = json.dumps(context, sort_keys=True, default=str)
        key = (name, variant_key)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        compiled = self._compile(name, {**self._base_context, **context})
        with self._lock:
            self._cache[key] = compiled
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return compiled

    def _compile(self, name: str, context: dict[str, Any]) -> _CompiledVariant:
        try:
            mjml_template = self._mjml_env.get_template(f"{name}.mjml")
            text_template = self._text_env.get_template(f"{name}.txt")
        except jinja2.TemplateNotFound as exc:
            raise TemplateNotFoundError(f"email template file missing: {exc.name}") from None
        try:
            return self._compile_templates(mjml_template, text_template, context)
        except jinja2.UndefinedError as exc:
            raise TemplateContextError(f"email {name!r} is missing content: {exc}") from None

    def _compile_templates(
        self,
        mjml_template: jinja2.Template,
        text_template: jinja2.Template,
        context: dict[str, Any],
    ) -> _CompiledVariant:
        subject_block = mjml_template.blocks["subject"]
        # The block's output is already escaped HTML; unescape it back to plain header text.
        rendered_subject = "".join(subject_block(mjml_template.new_context(context)))
        subject = Markup(rendered_subject).unescape()  # noqa: S704 (unescaped, not trusted)
        if context.get("test"):  # a staff test: marked in the subject, and by a banner
            subject = f"[Test] {subject}"
        try:
            html = mjml2html(mjml_template.render(context))
        except ValueError as exc:  # mjml-python's only complaint: input it cannot parse
            raise EmailRenderError(f"the MJML compiler refused this email: {exc}") from None
        self.compiles += 1
        return _CompiledVariant(
            subject=shorten_subject(subject),
            html=self._recipient_env.from_string(html),
            text=text_template,
            context=context,
        )
