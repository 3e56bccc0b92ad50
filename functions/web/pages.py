"""The pages' templates compiled ahead of time: `make build` compiles every template under
web/templates into a Python module in web/compiled_pages/ (and the build's bytecode step compiles
those), so a cold start's first request imports its page instead of parsing the template and
generating its code. Where the build made none (tests, the local stack, a checkout) the app
reads the templates' source, as it always did.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from jinja2 import BaseLoader, ChoiceLoader, Environment, ModuleLoader

COMPILED = Path(__file__).parent / "compiled_pages"  # where the build puts them


def compile_pages(environment: Environment, target: Path) -> list[str]:
    """Compile every template `environment` can load into `target` (replaced), failing on the
    first that does not compile; the templates' names."""
    names = environment.list_templates()
    shutil.rmtree(target, ignore_errors=True)
    environment.compile_templates(target, zip=None, ignore_errors=False)
    return names


def page_loader(source: BaseLoader, compiled: Path | None = None) -> BaseLoader:
    """The compiled pages first, then `source` for any the build did not compile; `source`
    alone when there are none (`compiled`: by default COMPILED)."""
    compiled = COMPILED if compiled is None else compiled
    if not compiled.is_dir():
        return source
    return ChoiceLoader([ModuleLoader(compiled), source])
