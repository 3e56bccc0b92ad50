"""Checks a `sam build` output: the dependencies layer holds the pinned runtime packages built for
Lambda, and every function's artifact holds our code and data and nothing else.

Usage: python -m infra.check_build .aws-sam/build
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
LAMBDA_ABI = "cpython-313-x86_64-linux-gnu"  # the runtime the template names
BYTECODE = "cpython-313"  # Lambda cannot write bytecode: the build compiles it for 3.13
# Development tooling (moto, the local stack, the CLI): never shipped, never imported by what is.
DEV_ONLY = ("mailer.local", "mailer.cli")
DEPLOYED_PACKAGES = ("mailer", "web", "handlers")
# A function's artifact is our code and data only; every third-party package is in the layer.
FUNCTION_ENTRIES = {*DEPLOYED_PACKAGES, "templates", "catalogue"}
COMPILED = ("mjml", "pydantic_core", "yaml")  # packages with native code, checked for the ABI


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
    """Everything missing from the build or shipped where it should not be, as sentences;
    empty when the build is complete."""
    template = yaml.load((build_dir / "template.yaml").read_text(), Loader=_Loader)  # noqa: S506
    resources = template["Resources"]
    functions = {k: v for k, v in resources.items() if v["Type"] == "AWS::Serverless::Function"}
    layers = {k: v for k, v in resources.items() if v["Type"] == "AWS::Serverless::LayerVersion"}
    if len(layers) != 1:
        return [f"one dependencies layer expected, found {len(layers)}: {sorted(layers)}"]
    layer_id, layer = next(iter(layers.items()))
    problems = layer_problems(layer_id, build_dir / layer["Properties"]["ContentUri"])
    shared = template.get("Globals", {}).get("Function", {}).get("Layers", [])
    for name, function in functions.items():
        if layer_id not in _layer_ids(function["Properties"].get("Layers", shared)):
            problems.append(f"{name}: does not use the layer {layer_id}")
        problems += function_problems(name, function["Properties"], build_dir)
    return problems


def layer_problems(name: str, root: Path) -> list[str]:
    """What the dependencies layer lacks: every pinned runtime package under python/, the
    compiled ones built for Lambda's ABI, and no development package."""
    site = root / "python"
    installed = {
        _normalised(p.name.split("-")[0]): p.name.removesuffix(".dist-info").split("-")[1]
        for p in site.glob("*.dist-info")
    }
    runtime = pinned(REPO / "requirements.txt")
    problems = [
        f"{name}: {package}=={version} missing from python/"
        for package, version in runtime.items()
        if installed.get(package) != version
    ]
    development = set(pinned(REPO / "requirements-dev.txt")) - set(runtime)
    problems += [
        f"{name}: development package shipped: {package}"
        for package in sorted(development & set(installed))
    ]
    problems += bytecode_problems(name, site)
    for package in COMPILED:
        if not list((site / package).glob(f"*{LAMBDA_ABI}*.so")) and not list(
            (site / package).glob("*abi3*.so")
        ):
            problems.append(f"{name}: no {LAMBDA_ABI} (or abi3) build of {package}")
    return problems


def function_problems(name: str, properties: dict, build_dir: Path) -> list[str]:
    """What one function's artifact lacks (its handler, the code, templates, catalogue) or
    holds that belongs elsewhere (development tooling, any third-party package)."""
    root = build_dir / properties["CodeUri"]
    module, _, _ = properties["Handler"].rpartition(".")
    emails = sorted(p.name for p in (REPO / "templates" / "email").iterdir())
    resources = sorted(p.name for p in (REPO / "catalogue" / "resources").glob("*.yaml"))
    wanted = [
        Path(*module.split(".")).with_suffix(".py"),
        Path("mailer/settings.py"),
        Path("web/templates/base.html"),
        Path("catalogue/vocabulary.yaml"),
    ]
    wanted += [Path("templates/email", e) for e in emails]
    wanted += [Path("catalogue/resources", r) for r in resources]
    problems = [f"{name}: {path} missing" for path in wanted if not (root / path).is_file()]
    problems += [
        f"{name}: development tooling shipped: {dev}"
        for dev in ("mailer/local", "mailer/cli")
        if (root / dev).exists()
    ]
    problems += [f"{name}: imports development tooling: {i}" for i in dev_only_imports(root)]
    problems += bytecode_problems(name, root)
    problems += [
        f"{name}: not our code, belongs in the layer: {entry.name}"
        for entry in sorted(root.iterdir())
        if entry.name not in FUNCTION_ENTRIES
    ]
    return problems


def bytecode_problems(name: str, root: Path) -> list[str]:
    """Modules under root without their Python 3.13 bytecode, which every cold start would
    then compile (one sentence, naming the first few)."""
    missing = sorted(
        str(py.relative_to(root))
        for py in root.rglob("*.py")
        if not (py.parent / "__pycache__" / f"{py.stem}.{BYTECODE}.pyc").is_file()
    )
    if not missing:
        return []
    return [f"{name}: {len(missing)} modules without {BYTECODE} bytecode: {', '.join(missing[:3])}"]


def pinned(requirements: Path) -> dict[str, str]:
    """A requirements file's pins (following -r), as normalised name -> version."""
    pins: dict[str, str] = {}
    for line in requirements.read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line.startswith("-r "):
            pins |= pinned(requirements.parent / line.removeprefix("-r ").strip())
        elif "==" in line:
            package, _, version = line.partition("==")
            pins[_normalised(package.split("[")[0])] = version.strip()
    return pins


def _normalised(package: str) -> str:
    """A distribution name as dist-info folders and pins can both be compared by."""
    return package.strip().lower().replace("-", "_").replace(".", "_")


def _layer_ids(layers: object) -> list[object]:
    """The logical ids a function's Layers name (`!Ref X` reads as {"Ref": "X"})."""
    refs = layers if isinstance(layers, list) else []
    return [ref.get("Ref") if isinstance(ref, dict) else ref for ref in refs]


class _Loader(yaml.SafeLoader):
    """Reads CloudFormation short forms (!Ref, !GetAtt) as plain values."""


def _short_form(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> object:
    """!Ref X as {"Ref": "X"} (how a function names its layer); other short forms as None."""
    if suffix == "Ref" and isinstance(node, yaml.ScalarNode):
        return {"Ref": loader.construct_scalar(node)}
    return None


_Loader.add_multi_constructor("!", _short_form)


def main() -> int:
    """Print a listing and any problems; exit 1 if the build is incomplete."""
    build_dir = Path(sys.argv[1] if len(sys.argv) > 1 else ".aws-sam/build")
    problems = problems_in(build_dir)
    for folder in sorted(p for p in build_dir.iterdir() if p.is_dir()):
        files = [p for p in folder.rglob("*") if p.is_file()]
        size = sum(p.stat().st_size for p in files) / 1e6
        if (folder / "python").is_dir():  # the layer
            packages = len(list((folder / "python").glob("*.dist-info")))
            print(f"{folder.name}: {len(files)} files, {size:.1f} MB, {packages} packages")
            continue
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
