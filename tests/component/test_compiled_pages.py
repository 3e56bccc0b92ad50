"""The pages' templates compiled ahead (web/pages.py, made by `make build`): an app uses them
when they are there and gives the same HTML as from the templates' source, falls back to the
source for a page the build did not compile, and reads the source alone when there are none."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.templating import DispatchingJinjaLoader
from jinja2 import ModuleLoader

from mailer.container import Container
from web import create_app, page_environment, pages

# Pages whose HTML is the same at every request (no form token, no proof-of-work challenge).
STEADY = ("/", "/?audience=schools&topic=forced-labour", "/archive/", "/no/such/page")


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every page compiled as the build compiles them."""
    target = tmp_path_factory.mktemp("artifact") / "compiled_pages"
    names = pages.compile_pages(page_environment(), target)
    assert "catalogue.html" in names and "staff/layout.html" in names
    return target


def _app(container: Container, monkeypatch: pytest.MonkeyPatch, where: Path):
    """The app as deployed, with the build's compiled pages at `where` (or none there)."""
    monkeypatch.setattr(pages, "COMPILED", where)
    app = create_app(container)
    app.config["TESTING"] = True
    return app


def test_compiled_pages_are_used_and_give_the_same_html(
    container: Container, monkeypatch: pytest.MonkeyPatch, compiled: Path, tmp_path: Path
) -> None:
    from_source = _app(container, monkeypatch, tmp_path / "none")
    from_modules = _app(container, monkeypatch, compiled)
    resource = container.catalogue_files().resources[0].id
    for path in (*STEADY, f"/resources/{resource}"):
        expected = from_source.test_client().get(path)
        got = from_modules.test_client().get(path)
        assert (got.status_code, got.get_data()) == (expected.status_code, expected.get_data())
    page = from_modules.jinja_env.get_template("catalogue.html")
    assert page.filename == str(compiled / ModuleLoader.get_module_filename("catalogue.html"))


def test_without_compiled_pages_the_source_is_read(
    container: Container, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    app = _app(container, monkeypatch, tmp_path / "none")
    assert isinstance(app.jinja_env.loader, DispatchingJinjaLoader)  # Flask's own, alone
    page = app.jinja_env.get_template("catalogue.html")
    assert page.filename is not None and page.filename.endswith("templates/catalogue.html")
    assert app.test_client().get("/").status_code == 200


def test_a_page_not_compiled_is_read_from_its_source(
    container: Container, monkeypatch: pytest.MonkeyPatch, compiled: Path, tmp_path: Path
) -> None:
    partial = tmp_path / "compiled_pages"
    partial.mkdir()
    for module in compiled.glob("*.py"):
        if module.name != ModuleLoader.get_module_filename("resource.html"):
            (partial / module.name).write_bytes(module.read_bytes())
    app = _app(container, monkeypatch, partial)
    assert app.jinja_env.get_template("resource.html").filename.endswith("resource.html")
    assert app.jinja_env.get_template("base.html").filename.endswith(".py")
    resource = container.catalogue_files().resources[0].id
    assert app.test_client().get(f"/resources/{resource}").status_code == 200
