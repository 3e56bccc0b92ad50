"""Compiles the web pages' templates into a function's artifact (`make build` runs it on the
artifact's own code, so what is compiled is what ships): see functions/web/pages.py.

Usage: python -m infra.compile_pages ARTIFACT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    """Compile every page template into ARTIFACT_DIR/web/compiled_pages; say how many."""
    from web import page_environment
    from web.pages import COMPILED, compile_pages

    artifact = Path(argv[0])
    target = artifact / COMPILED.relative_to(COMPILED.parents[1])  # web/compiled_pages
    names = compile_pages(page_environment(), target)
    print(f"compiled {len(names)} page templates into {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
