"""Templates compiled once a process: a second environment reuses the code, a changed template
is compiled again, and what renders is the same."""

from __future__ import annotations

from typing import Any

import jinja2

from mailer.compiled import ProcessBytecodeCache


class _CountingEnvironment(jinja2.Environment):
    """An environment that counts the templates it parses and compiles itself."""

    compiled = 0

    def compile(self, *args: Any, **kwargs: Any) -> Any:
        type(self).compiled += 1
        return super().compile(*args, **kwargs)


def _environment(cache: ProcessBytecodeCache, templates: dict[str, str]) -> jinja2.Environment:
    return _CountingEnvironment(
        loader=jinja2.DictLoader(templates), bytecode_cache=cache, autoescape=True
    )


def test_a_second_environment_renders_from_the_first_ones_code() -> None:
    cache, templates = ProcessBytecodeCache(), {"hello.html": "Hello {{ name }}!"}
    _CountingEnvironment.compiled = 0
    first = _environment(cache, templates).get_template("hello.html").render(name="<Ann>")
    second = _environment(cache, templates).get_template("hello.html").render(name="<Ann>")
    assert first == second == "Hello &lt;Ann&gt;!"
    assert _CountingEnvironment.compiled == 1


def test_a_changed_template_is_compiled_again() -> None:
    cache = ProcessBytecodeCache()
    _CountingEnvironment.compiled = 0
    _environment(cache, {"t.html": "old {{ x }}"}).get_template("t.html").render(x=1)
    changed = _environment(cache, {"t.html": "new {{ x }}"}).get_template("t.html").render(x=1)
    assert changed == "new 1"
    assert _CountingEnvironment.compiled == 2
