"""The README is the newcomer's map: its configuration table must match the settings."""

from __future__ import annotations

from pathlib import Path

from mailer.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_configuration_table_lists_every_setting_with_its_default() -> None:
    text = README.read_text(encoding="utf-8")
    rows = {line for line in text.splitlines() if line.startswith("| `")}
    expected = {f"| `{env}` | {default} | {doc} |" for env, default, doc in Settings.describe()}
    assert rows == expected
