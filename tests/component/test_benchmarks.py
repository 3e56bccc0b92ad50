"""`make bench` in miniature: every benchmark runs with tiny sizes and writes its report, so the
benchmark code cannot rot between runs (the figures at these sizes mean nothing)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.report import Sizes, main


def test_the_benchmarks_run_and_report_every_goal(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"
    sizes = Sizes(
        recipients=45, rates=(14, 200), render_emails=10, planner_sizes=(300,), import_rows=250
    )
    text = main(sizes, out)
    assert out.read_text(encoding="utf-8") == text
    for section in ("## Quota use", "## Render", "## Planner", "## Cost", "## List import"):
        assert section in text
    # The simulated pipeline delivered every email once, with no failed batch, and finished.
    rows = [line for line in text.splitlines() if line.startswith(("| 14 |", "| 200 |"))]
    assert len(rows) == 2
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[5:8] == ["0", "0", "0"], row  # duplicates, not sent, failed batches
        assert cells[-1] == "yes", row
    assert "Correctness (0 duplicates, 0 not sent, 0 failed batches): **met**" in text
    assert text.count("**met**") + text.count("**not met**") >= 9
    assert "duplicates): **met**; the dry run's counts are the import's: **met**" in text
