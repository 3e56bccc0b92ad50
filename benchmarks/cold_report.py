"""The report's Cold start and artifacts section: each function's import and first event at its
memory, the web function's goal marked met or not met, and each artifact's size from a
`make build` output (or said to be not measured)."""

from __future__ import annotations

import datetime as dt
import os
import platform
from dataclasses import dataclass
from pathlib import Path

from .cold_start import BUILD, GOAL_SECONDS, ColdResult, ColdStart
from .lambdas import ONE_VCPU_MB
from .render import mark

WEB = "WebFunction"
DEFAULT_MB = 512  # the template's Globals, and the web function's before this benchmark


@dataclass(frozen=True)
class Artifact:
    """One folder of a `sam build` output: a function's code or the layer."""

    name: str
    files: int
    mb: float


def artifacts(build: Path = BUILD) -> list[Artifact]:
    """Each artifact's file count and size in MB (10^6 bytes); none without a build."""
    if not (build / "template.yaml").is_file():
        return []
    found = []
    for folder in sorted(p for p in build.iterdir() if p.is_dir()):
        files = [p for p in folder.rglob("*") if p.is_file()]
        found.append(Artifact(folder.name, len(files), sum(p.stat().st_size for p in files) / 1e6))
    return found


def met_from(start: ColdStart) -> str:
    """The least memory at which this cold start takes under GOAL_SECONDS."""
    cpu = start.import_s + start.first_s
    if cpu >= GOAL_SECONDS:
        return (
            f"at no memory: it is {cpu:.2f} s of CPU on a full core, and above "
            f"{ONE_VCPU_MB:,} MB Python still runs on one core"
        )
    return f"from {ONE_VCPU_MB * cpu / GOAL_SECONDS:,.0f} MB"


def _row(s: ColdStart) -> str:
    return (
        f"| {s.function} | {s.memory_mb:,} | {s.what} | {s.import_s:.2f} | {s.first_s:.2f} "
        f"| **{s.cold_s:.2f}** | {s.source_cold_s:.2f} |"
    )


def _artifact_lines(found: list[Artifact]) -> list[str]:
    if not found:
        return [
            "Artifacts: not measured (no `make build` output in `.aws-sam/build`). Before "
            "the layer, issue 20's review measured each function's artifact at 62 MB in "
            "3,829 files, the same for all four.",
        ]
    return [
        "Artifacts, from the `make build` output in `.aws-sam/build` (MB of 10^6 bytes, "
        "bytecode included). Before the layer, issue 20's review measured each function's "
        "artifact at 62 MB in 3,829 files, the same for all four.",
        "",
        "| Artifact | files | MB |",
        "|---|---|---|",
        *(f"| {a.name} | {a.files:,} | {a.mb:.1f} |" for a in found),
    ]


def section(result: ColdResult, found: list[Artifact] | None = None) -> list[str]:
    """The Cold start and artifacts section."""
    found = artifacts() if found is None else found
    web = next((s for s in result.starts if s.function == WEB), None)
    machine = (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    )
    built = result.starts[0].runtime if result.starts else "not run"
    lines = [
        "## Cold start and artifacts",
        "",
        f"Measured by `benchmarks/cold_start.py` on {machine}. Each function's first "
        f"invocation runs in a fresh process (each figure the median of {result.repeats} such "
        "processes, since one varies by a third from run to run here): the CPU time (user "
        "and system, of that process alone; not wall time, since other work shared the "
        "machine) of importing its handler's module, then of its first event through "
        "`lambda_handler`, on one core of this machine and at the function's memory from "
        f"the template (Lambda gives memory / {ONE_VCPU_MB:,} MB of a vCPU). moto answers "
        "AWS from a threaded server in the benchmark's own process, so its work is not "
        "counted; neither are TLS handshakes to AWS nor Lambda's own runtime start before our "
        "module is imported. As built: "
        f"{built}, its bytecode compiled by the build. Without bytecode: this machine's "
        "Python with the standard library's bytecode only, as a build without it shipped "
        "before this one (Lambda cannot write bytecode, so such a cold start compiles every "
        "module it imports).",
        "",
        "| Function | MB | first event | import (s CPU, one core) | first event (s CPU, one "
        "core) | cold start at its memory (s) | without bytecode, at its memory (s) |",
        "|---|---|---|---|---|---|---|",
        *(_row(s) for s in result.starts),
        "",
    ]
    if web is None:
        lines.append("Goal: the web function's cold start under 1 s at its memory: not run.")
    else:
        lines.append(
            f"Goal: the web function's cold start (import and first request) under "
            f"{GOAL_SECONDS:g} s at its {web.memory_mb:,} MB: {web.cold_s:.2f} s, "
            f"{mark(web.cold_s < GOAL_SECONDS)} (at {DEFAULT_MB} MB, the other functions' "
            f"memory, {web.at(DEFAULT_MB):.2f} s); it is met {met_from(web)}."
        )
    return [*lines, "", *_BEFORE, "", *_artifact_lines(found), ""]


# Measured once, by this benchmark on this machine on 2026-12-02 at a498f2d: the build shipped
# no bytecode, the container imported every module, every function ran at 512 MB.
_BEFORE = [
    "Before the layer, the bytecode and the container's lazy imports (this benchmark at "
    "a498f2d, 2026-12-02, every function at 512 MB, without bytecode): the web function "
    "3.04 s of CPU importing and 0.68 s on its first request on one core, 12.85 s at 512 MB; "
    "staff 12.21 s, SES events 9.61 s, planner 9.98 s, sender 11.35 s, import 10.66 s. What "
    "the web function's cold start still spends (`-X importtime` and cProfile on the build "
    "under 3.13): importing boto3 and botocore about 0.3 s, Flask 0.17 s, pydantic (the "
    "vocabulary) 0.16 s and Powertools 0.1 s; on the first request, the SSM and DynamoDB "
    "clients (botocore loads each service's model), the vocabulary and the page's templates "
    "(since 2026-12-03 the SSM client only when a page first signs or reads a cookie). "
    "Lambda's vCPU is taken to be one core of this machine, as in the other sections.",
]
