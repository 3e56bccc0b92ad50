"""Where the data files live: next to the code in the Lambda artifact, at the repo root locally."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from mailer.errors import SettingsError


@cache
def project_root() -> Path:
    """The nearest folder above this package that holds templates/email and catalogue/."""
    for folder in Path(__file__).resolve().parents:
        if (folder / "templates" / "email").is_dir() and (folder / "catalogue").is_dir():
            return folder
    raise SettingsError("cannot find templates/email and catalogue/ above the mailer package")


def email_templates_dir() -> Path:
    """The MJML and text templates of every email."""
    return project_root() / "templates" / "email"


def catalogue_dir() -> Path:
    """The catalogue folder: vocabulary.yaml and resources/*.yaml."""
    return project_root() / "catalogue"
