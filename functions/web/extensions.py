"""What every blueprint shares: CSRF protection and the app's container (no blueprint imports
the app factory, so the package has no import cycle)."""

from __future__ import annotations

from flask import Flask, current_app
from flask_wtf.csrf import CSRFProtect

from mailer.container import Container

csrf = CSRFProtect()


def container_of(app: Flask | None = None) -> Container:
    """The Container the app (by default the current one) was built with."""
    return (app or current_app).extensions["mailer"]
