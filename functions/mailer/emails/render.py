"""Renders emails: Jinja2 + MJML compiled once per content variant, then filled per recipient."""

from __future__ import annotations

import json
import re
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

from mailer.compiled import ProcessBytecodeCache
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
class Fields:
    """A body as its variant's fixed text around one recipient's values, for the MIME builder
    to encode only what differs (the body is statics[0] + values[0] + statics[1] + ...)."""

    statics: tuple[str, ...]
    values: tuple[str, ...]


@dataclass(frozen=True)
class RenderedEmail:
    """One email, ready for the MIME builder (`html_fields`/`text_fields`: the same bodies as
    fixed text and fields, when the renderer knows them)."""

    name: str
    subject: str
    html: str
    text: str
    html_fields: Fields | None = None
    text_fields: Fields | None = None


@dataclass(frozen=True)
class _Slots:
    """A compiled body's fixed pieces and the recipient fields between them; `escape`: HTML."""

    statics: tuple[str, ...]
    names: tuple[str, ...]
    escape: bool

    def fill(self, recipient: Mapping[str, str]) -> Fields:
        """This recipient's values in the slots (KeyError for a field the recipient lacks)."""
        if self.escape:
            values = tuple(str(escape(recipient[name])) for name in self.names)
        else:
            values = tuple(str(recipient[name]) for name in self.names)
        return Fields(self.statics, values)


@dataclass(frozen=True)
class _CompiledVariant:
    subject: str
    html: jinja2.Template  # compiled MJML output; only [[ recipient.* ]] fields left to fill
    text: jinja2.Template
    context: Mapping[str, Any]
    # The same two bodies as fixed pieces and slots, when a probe showed they fill exactly as
    # the templates render (None: render with Jinja per recipient).
    html_slots: _Slots | None = None
    text_slots: _Slots | None = None


# A second-pass field as the compiled HTML holds it, and the marker the text twin is rendered
# with once per variant to find where its fields go (NUL: no content holds it, text.py).
_HTML_FIELD = re.compile(r"\[\[\s*recipient\.(\w+)\s*\]\]")
_TEXT_FIELD = re.compile(r"\x00(\w+)\x00")


class _Markers(dict[str, str]):
    """A recipient whose every field renders as its marker."""

    def __missing__(self, name: str) -> str:
        return f"\x00{name}\x00"


def _joined(fields: Fields) -> str:
    parts = [fields.statics[0]]
    for value, static in zip(fields.values, fields.statics[1:], strict=True):
        parts += (value, static)
    return "".join(parts)


def _probes(names: tuple[str, ...]) -> list[dict[str, str]]:
    """Recipients that tell a plain substitution from anything else a template might do with a
    field (escape it, test it, change its case): odd characters, and empty values."""
    return [
        {n: f"Probe <{n}> & 'x' \"\u00e9\" ~[1]" for n in names},
        dict.fromkeys(names, ""),
    ]


def _escape_for_second_pass(value: Any) -> Markup:
    """Escape a first-pass value so nothing in content can open a [[ ]] or [% %] field later."""
    if value is None:
        return Markup("")
    return Markup(str(escape(value)).replace("[", "&#91;"))  # noqa: S704 (escaped just now)


# Each environment's compiled templates, once a process (one cache per configuration: the
# cache's key is the template, not the options it was compiled with).
_MJML_CODE, _TEXT_CODE = ProcessBytecodeCache(), ProcessBytecodeCache()


class EmailRenderer:
    """Renders the named emails in templates/email/, caching each compiled variant."""

    def __init__(
        self, template_dir: Path, base_context: Mapping[str, Any], cache_size: int = 512
    ) -> None:
        loader = jinja2.FileSystemLoader(template_dir)
        common = {"loader": loader, "undefined": jinja2.StrictUndefined, "auto_reload": False}
        self._mjml_env = jinja2.Environment(
            autoescape=True,
            finalize=_escape_for_second_pass,
            bytecode_cache=_MJML_CODE,
            **common,
        )
        # Plain text is never parsed as HTML, so HTML-escaping it would only corrupt "&" and "<".
        self._text_env = jinja2.Environment(
            autoescape=False,  # noqa: S701
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            bytecode_cache=_TEXT_CODE,
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
        html_fields = text_fields = None
        try:
            if variant.html_slots is None:
                html = variant.html.render(recipient=recipient)
            else:
                html_fields = variant.html_slots.fill(recipient)
                html = _joined(html_fields)
            if variant.text_slots is None:
                text = variant.text.render(**variant.context, recipient=recipient)
            else:
                text_fields = variant.text_slots.fill(recipient)
                text = _joined(text_fields)
        except (jinja2.UndefinedError, KeyError) as exc:
            raise TemplateContextError(
                f"email {name!r} is missing a recipient field: {exc}"
            ) from None
        return RenderedEmail(name, variant.subject, html, text, html_fields, text_fields)

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
        html_template = self._recipient_env.from_string(html)
        return _CompiledVariant(
            subject=shorten_subject(subject),
            html=html_template,
            text=text_template,
            context=context,
            html_slots=_html_slots(html, html_template),
            text_slots=_text_slots(text_template, context),
        )


def _checked(slots: _Slots, render: Any) -> _Slots | None:
    """The slots, if filling them gives what rendering gives for every probe recipient."""
    try:
        same = all(_joined(slots.fill(p)) == render(p) for p in _probes(slots.names))
    except (jinja2.TemplateError, KeyError):
        return None
    return slots if same else None


def _html_slots(html: str, template: jinja2.Template) -> _Slots | None:
    """The compiled HTML's fixed pieces around its [[ recipient.* ]] fields."""
    parts = _HTML_FIELD.split(html.removesuffix("\n"))  # Jinja drops one final newline
    statics, names = tuple(parts[0::2]), tuple(parts[1::2])
    if any(mark in s for s in statics for mark in ("[[", "[%", "[#")):
        return None  # some other second-pass syntax: leave it to Jinja
    return _checked(_Slots(statics, names, escape=True), lambda r: template.render(recipient=r))


def _text_slots(template: jinja2.Template, context: Mapping[str, Any]) -> _Slots | None:
    """The text twin rendered once with markers for its fields, split where they are."""
    try:
        marked = template.render(**context, recipient=_Markers())
    except jinja2.TemplateError:
        return None
    parts = _TEXT_FIELD.split(marked)
    slots = _Slots(tuple(parts[0::2]), tuple(parts[1::2]), escape=False)
    return _checked(slots, lambda r: template.render(**context, recipient=r))
