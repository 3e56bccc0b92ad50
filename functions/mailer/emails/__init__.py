"""Turning content into email: MJML and Jinja rendering, MIME, and shared view helpers."""
