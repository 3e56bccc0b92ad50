"""The README's map of the code names every module under functions/, each in its own package's
entry, and names no module that is not there."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ROOT / "functions"
# A module named in the map: `name.py` not part of a longer path (tests/unit/test_layout.py).
_MODULE = re.compile(r"(?<![/\w.])(\w+)\.py\b")
_ENTRY = re.compile(r"^( *)(\S+)")


def _map_lines() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    body = text.split("## Map of the code", 1)[1]
    return body.split("```", 2)[1].splitlines()


def named_modules() -> dict[Path, set[str]]:
    """Each package under functions/ and the module names its entry in the map gives."""
    named: dict[Path, set[str]] = {}
    stack: list[tuple[int, Path]] = []  # (indent, package) of the entries around this line
    package: Path | None = None
    for line in _map_lines():
        match = _ENTRY.match(line)
        if not match:
            continue
        indent, first = len(match[1]), match[2]
        if indent < 20:  # an entry's own line; deeper lines carry on the one above
            stack = [(i, p) for i, p in stack if i < indent]
            if first.endswith("/"):
                parent = stack[-1][1] if stack else ROOT
                package = parent / first.rstrip("/")
                stack.append((indent, package))
                line = line[len(match[0]) :]
            else:
                package = stack[-1][1] if stack else None
        if package is None or FUNCTIONS not in (package, *package.parents):
            continue
        found = named.setdefault(package, set())
        found.update(_MODULE.findall(line))
        if package.name == "handlers":  # named by function, without .py
            found.update(re.findall(r"\b(\w+)\b", line))
    return named


def test_the_map_names_every_module_in_its_package() -> None:
    named = named_modules()
    missing = [
        str(path.relative_to(FUNCTIONS))
        for path in FUNCTIONS.rglob("*.py")
        if path.name != "__init__.py"
        and "__pycache__" not in path.parts
        and path.stem not in named.get(path.parent, set())
    ]
    assert missing == []


def test_every_module_the_map_names_exists() -> None:
    absent = [
        f"{package.relative_to(FUNCTIONS)}/{name}.py"
        for package, names in named_modules().items()
        for name in names
        if package.name != "handlers" and not (package / f"{name}.py").exists()
    ]
    assert absent == []
