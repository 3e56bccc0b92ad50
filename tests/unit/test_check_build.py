"""infra/check_build.py on small made-up builds: a complete one passes, and each way a build can
go wrong (a package in a function, one missing from the layer, a development package shipped,
the wrong ABI, a module without its bytecode, a function without the layer) is named."""

from __future__ import annotations

import shutil
from pathlib import Path

from infra.check_build import BYTECODE, COMPILED, LAMBDA_ABI, REPO, pinned, problems_in

TEMPLATE = """\
Globals:
  Function:
    Layers: [!Ref DependenciesLayer]
Resources:
  DependenciesLayer:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: DependenciesLayer}
  WebFunction:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: WebFunction, Handler: handlers.web.lambda_handler}
"""


def _build(root: Path) -> Path:
    """A build as `make build` leaves it: the layer's packages (empty stand-ins) and the code."""
    (root / "template.yaml").write_text(TEMPLATE)
    site = root / "DependenciesLayer" / "python"
    for package, version in pinned(REPO / "requirements.txt").items():
        (site / f"{package}-{version}.dist-info").mkdir(parents=True)
    for package in COMPILED:
        (site / package).mkdir(exist_ok=True)
        (site / package / f"_native.{LAMBDA_ABI}.so").touch()
    code = root / "WebFunction"
    for package in ("mailer", "web", "handlers"):
        shutil.copytree(REPO / "functions" / package, code / package)
    shutil.rmtree(code / "mailer" / "local")
    shutil.rmtree(code / "mailer" / "cli")
    shutil.copytree(REPO / "templates" / "email", code / "templates" / "email")
    shutil.copytree(REPO / "catalogue", code / "catalogue")
    for py in root.rglob("*.py"):  # as compileall leaves them
        (py.parent / "__pycache__").mkdir(exist_ok=True)
        (py.parent / "__pycache__" / f"{py.stem}.{BYTECODE}.pyc").touch()
    return root


def test_a_complete_build_passes(tmp_path: Path) -> None:
    assert problems_in(_build(tmp_path)) == []


def test_every_misplaced_or_missing_package_is_named(tmp_path: Path) -> None:
    build = _build(tmp_path)
    site = build / "DependenciesLayer" / "python"
    (build / "WebFunction" / "flask").mkdir()  # a package in the function, not the layer
    shutil.rmtree(site / "jinja2-3.1.6.dist-info")
    (site / "moto-5.2.5.dist-info").mkdir()
    (build / "WebFunction" / "handlers" / "web.py").with_name("extra.py").touch()
    for so in (site / "yaml").glob("*.so"):
        so.rename(so.with_name("_native.cpython-311-x86_64-linux-gnu.so"))
    assert sorted(problems_in(build)) == [
        "DependenciesLayer: development package shipped: moto",
        "DependenciesLayer: jinja2==3.1.6 missing from python/",
        f"DependenciesLayer: no {LAMBDA_ABI} (or abi3) build of yaml",
        f"WebFunction: 1 modules without {BYTECODE} bytecode: handlers/extra.py",
        "WebFunction: not our code, belongs in the layer: flask",
    ]


def test_a_function_without_the_layer_is_named(tmp_path: Path) -> None:
    build = _build(tmp_path)
    template = build / "template.yaml"
    template.write_text(template.read_text().replace("Layers: [!Ref DependenciesLayer]", "{}"))
    assert problems_in(build) == ["WebFunction: does not use the layer DependenciesLayer"]
