"""The code's shape, checked: packages import only downward, no import cycles, and nothing that
ships to Lambda imports the development tooling."""

from __future__ import annotations

import ast
from pathlib import Path

from infra.check_build import dev_only_imports

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"
# Lowest first: a module may import its own layer or any below it, never one above.
LAYERS = [
    "mailer.errors",
    "mailer.text",
    "mailer.settings",
    "mailer.paths",
    "mailer.compiled",
    "mailer.aws",
    "mailer.catalogue",
    "mailer.emails",
    "mailer.subscribers",
    "mailer.campaigns",
    "mailer.imports",
    "mailer.staff",
    "mailer.container",
    "web",
    "handlers",
    "mailer.local",
    "mailer.cli",
]


def _modules() -> dict[str, Path]:
    return {
        ".".join(p.relative_to(FUNCTIONS).with_suffix("").parts).removesuffix(".__init__"): p
        for p in FUNCTIONS.rglob("*.py")
    }


def _imports(module: str, path: Path) -> set[str]:
    """First-party modules `module` imports, anywhere in its body, resolved to full names."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            names = [f"{base}.{a.name}" for a in node.names] + [base]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found |= {n for n in names if n.split(".")[0] in ("mailer", "web", "handlers")}
    return found


def _layer(module: str) -> int:
    return (
        max(
            i
            for i, prefix in enumerate(LAYERS)
            if module == prefix or module.startswith(prefix + ".")
        )
        if any(module == p or module.startswith(p + ".") for p in LAYERS)
        else -1
    )


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {
        name: {i for i in _imports(name, path) if i in modules and i != name}
        for name, path in modules.items()
    }


def test_every_module_belongs_to_a_layer() -> None:
    unplaced = [m for m in _modules() if _layer(m) < 0 and m not in ("mailer",)]
    assert unplaced == []


def test_nothing_imports_upward() -> None:
    upward = [
        f"{module} imports {target}"
        for module, targets in _graph().items()
        for target in targets
        if _layer(target) > _layer(module)
    ]
    assert upward == []


def test_there_are_no_import_cycles() -> None:
    graph = _graph()
    cycles: list[list[str]] = []
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_what_ships_to_lambda_never_imports_the_development_tooling() -> None:
    assert dev_only_imports(FUNCTIONS) == []
