"""Checks a `sam build` output: every function's artifact holds what it needs to run on Lambda.

Usage: python -m infra.check_build .aws-sam/build
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
LAMBDA_ABI = "cpython-313-x86_64-linux-gnu"  # the runtime the template names
# Development tooling (moto, the local stack, the CLI): never shipped, never imported by what is.
DEV_ONLY = ("mailer.local", "mailer.cli")
DEPLOYED_PACKAGES = ("mailer", "web", "handlers")


def dev_only_imports(root: Path) -> list[str]:
    """Imports of DEV_ONLY modules in the deployed packages under root, as "file: module"."""
    found = []
    for package in DEPLOYED_PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            module = ".".join(path.relative_to(root).with_suffix("").parts)
            if module.startswith(DEV_ONLY):
                continue  # the tooling itself, when checking the source tree
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = (
                    [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else []
                )
                found += [
                    f"{path.relative_to(root)}: {name}"
                    for name in names
                    if name.startswith(DEV_ONLY)
                ]
    return found


def problems_in(build_dir: Path) -> list[str]:
    """Everything missing from the build, as sentences; empty when the build is complete."""
    template = yaml.load((build_dir / "template.yaml").read_text(), Loader=_Loader)  # noqa: S506
    functions = {
        k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::Serverless::Function"
    }
    emails = sorted(p.name for p in (REPO / "templates" / "email").iterdir())
    resources = sorted(p.name for p in (REPO / "catalogue" / "resources").glob("*.yaml"))
    problems = []
    for name, function in functions.items():
        root = build_dir / function["Properties"]["CodeUri"]
        module, _, _ = function["Properties"]["Handler"].rpartition(".")
        wanted = [
            Path(*module.split(".")).with_suffix(".py"),
            Path("mailer/settings.py"),
            Path("web/templates/base.html"),
            Path("catalogue/vocabulary.yaml"),
        ]
        wanted += [Path("templates/email", e) for e in emails]
        wanted += [Path("catalogue/resources", r) for r in resources]
        problems += [f"{name}: {path} missing" for path in wanted if not (root / path).is_file()]
        problems += [
            f"{name}: development tooling shipped: {dev}"
            for dev in ("mailer/local", "mailer/cli")
            if (root / dev).exists()
        ]
        problems += [f"{name}: imports development tooling: {i}" for i in dev_only_imports(root)]
        for package in ("mjml", "pydantic_core", "yaml"):
            if not list((root / package).glob(f"*{LAMBDA_ABI}*.so")) and not list(
                (root / package).glob("*abi3*.so")
            ):
                problems.append(f"{name}: no {LAMBDA_ABI} (or abi3) build of {package}")
    return problems


class _Loader(yaml.SafeLoader):
    """Reads CloudFormation short forms (!Ref, !GetAtt) as plain values."""


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)


def main() -> int:
    """Print a listing and any problems; exit 1 if the build is incomplete."""
    build_dir = Path(sys.argv[1] if len(sys.argv) > 1 else ".aws-sam/build")
    problems = problems_in(build_dir)
    for folder in sorted(p for p in build_dir.iterdir() if p.is_dir()):
        files = [p for p in folder.rglob("*") if p.is_file()]
        size = sum(p.stat().st_size for p in files) / 1e6
        emails = len(list((folder / "templates" / "email").glob("*")))
        resources = len(list((folder / "catalogue" / "resources").glob("*.yaml")))
        print(
            f"{folder.name}: {len(files)} files, {size:.1f} MB, "
            f"templates/email {emails} files, catalogue/resources {resources} files"
        )
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
