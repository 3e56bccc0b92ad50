"""Cold starts: for each function, in a fresh child process, the CPU time of importing its handler
and of its first event, scaled to the function's memory from the template.

moto answers the children's AWS calls from a threaded server in this process, so the CPU moto
spends answering (which on AWS is DynamoDB's and SQS's, not the function's) is not the child's,
and nothing moto imports is imported in the child before the handler is.

Lambda's filesystem is read-only, so a module without bytecode is compiled from source at every
cold start. The build compiles the layer's and the code's bytecode for 3.13 (the Makefile);
the runtime brings the standard library's. "As built" runs the `make build` output itself under
a Python 3.13 where both are here, else this machine's Python with every module's bytecode;
"without bytecode" runs this machine's Python with the standard library's bytecode alone (as a
build without it shipped), each from a PYTHONPYCACHEPREFIX a first, discarded round filled.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cold_stack import Stack, moto_stack
from .lambdas import cpu_slowdown, memory_of, timeout_of

REPO = Path(__file__).resolve().parents[1]
EVENTS = REPO / "tests" / "events"
BUILD = REPO / ".aws-sam" / "build"  # `make build`'s output
GOAL_SECONDS = 1.0  # the web function's cold start (import and first request) at its memory


@dataclass(frozen=True)
class FirstEvent:
    """A function, its handler's module, and what its first invocation does."""

    function: str  # logical id in the template
    module: str
    what: str  # the first event, in words
    event: Callable[[Stack], dict[str, Any]] | None = None  # None: build `build` instead
    build: tuple[str, ...] = ()


def _recorded(name: str, **changes: Any) -> Callable[[Stack], dict[str, Any]]:
    """A recorded event from tests/events, with `changes` made to its path."""

    def event(stack: Stack) -> dict[str, Any]:
        data = json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))
        if "path" in changes:
            data["rawPath"] = data["requestContext"]["http"]["path"] = changes["path"]
            data["rawQueryString"], data["queryStringParameters"] = "", {}
        return data

    return event


FUNCTIONS = (
    FirstEvent(
        "WebFunction",
        "handlers.web",
        "GET / (the catalogue page)",
        _recorded("http_get_catalogue"),
    ),
    FirstEvent(
        "StaffFunction",
        "handlers.staff",
        "GET /staff/sign-in",
        _recorded("http_get_catalogue", path="/staff/sign-in"),
    ),
    FirstEvent(
        "SesEventsFunction",
        "handlers.ses_events",
        "a permanent bounce",
        _recorded("ses_bounce_permanent"),
    ),
    FirstEvent(
        "DigestPlannerFunction",
        "handlers.digest_planner",
        "the 1st's digest schedule (prepare and plan)",
        _recorded("schedule_digest"),
    ),
    FirstEvent(
        "DigestSenderFunction",
        "handlers.digest_sender",
        "the first batch the planner queued",
        lambda stack: stack.first_batch(),
    ),
    FirstEvent(
        "SubscriberImportFunction",
        "handlers.subscriber_import",
        "built the importer and its starter (an import needs a staff upload)",
        build=("importer", "import_starter"),
    ),
)


@dataclass
class ColdStart:
    """One function's cold start: CPU seconds on one core of this machine, and at its memory."""

    function: str
    what: str
    memory_mb: int
    import_s: float  # as built: every module's bytecode compiled ahead
    first_s: float
    process_s: float  # the whole child (interpreter start and writing the result too)
    outcome: str
    module: str = ""
    runtime: str = ""  # where the figures above come from (Runtime.label)
    source_import_s: float = 0.0  # with no bytecode but the standard library's
    source_first_s: float = 0.0

    @property
    def slowdown(self) -> float:
        """Times longer than on one core: Lambda gives memory / 1,769 MB of a vCPU."""
        return cpu_slowdown(self.memory_mb)

    @property
    def cold_s(self) -> float:
        """Import and first event, at the function's memory."""
        return self.at(self.memory_mb)

    def at(self, memory_mb: int) -> float:
        """Import and first event in a function of `memory_mb`."""
        return (self.import_s + self.first_s) * cpu_slowdown(memory_mb)

    @property
    def source_cold_s(self) -> float:
        """The same without bytecode (every module compiled at the cold start)."""
        return (self.source_import_s + self.source_first_s) * self.slowdown


@dataclass
class ColdResult:
    """Every function's cold start (each says where its figures come from)."""

    starts: list[ColdStart] = field(default_factory=list)
    repeats: int = 1  # fresh processes each figure is the median of


@dataclass(frozen=True)
class Runtime:
    """How a child runs: which Python, where its modules come from, which bytecode it reads."""

    label: str
    python: str
    pycache: Path | None = None  # a PYTHONPYCACHEPREFIX; None: the modules' own __pycache__
    build: Path | None = None  # a `make build` output: the function's folder and the layer
    writes: bool = False  # the discarded first round fills `pycache`

    def environment(self, function: str) -> dict[str, str]:
        """The variables that say where the modules and their bytecode are."""
        env = {} if self.writes else {"PYTHONDONTWRITEBYTECODE": "1"}  # Lambda cannot write
        if self.pycache is not None:
            env["PYTHONPYCACHEPREFIX"] = str(self.pycache)
        if self.build is not None:
            layer = next(self.build.glob("*/python"))
            env["PYTHONPATH"] = f"{self.build / function}{os.pathsep}{layer}"
        else:  # this checkout's code, not whichever checkout the venv installed (-e)
            env["PYTHONPATH"] = str(REPO / "functions")
        return env


def lambda_python() -> str | None:
    """A Python 3.13 that runs (LAMBDA_PY, else pyenv's, else python3.13): the Makefile's."""
    candidates = [os.environ.get("LAMBDA_PY", "")]
    candidates += sorted(str(p) for p in Path.home().glob(".pyenv/versions/3.13*/bin/python3.13"))
    candidates.append(shutil.which("python3.13") or "")
    for python in filter(None, candidates):
        if subprocess.run([python, "-c", ""], capture_output=True).returncode == 0:  # noqa: S603
            return python
    return None


def _child(spec: FirstEvent, stack: Stack, runtime: Runtime, work: Path) -> dict[str, Any]:
    """Run one cold start in a fresh process; its figures, plus its whole CPU from wait4."""
    first = f"build:{','.join(spec.build)}"
    if spec.event is not None:
        event_file = work / f"{spec.module}.json"
        event_file.write_text(json.dumps(spec.event(stack)), encoding="utf-8")
        first = str(event_file)
    out = work / f"{spec.module}.out.json"
    env = {
        **stack.environment(spec.function),
        **runtime.environment(spec.function),
        "COLD_START_TIMEOUT_MS": str(timeout_of(spec.function) * 1000),
    }
    command = [runtime.python, "-m", "benchmarks.cold_child", spec.module, first, spec.function]
    process = subprocess.Popen([*command, str(out)], cwd=REPO, env=env)  # noqa: S603
    _, status, usage = os.wait4(process.pid, 0)  # its own CPU: user and system, all threads
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so Popen knows
    if process.returncode != 0:
        raise RuntimeError(f"{spec.function}'s cold start failed under {runtime.label}")
    figures = json.loads(out.read_text(encoding="utf-8"))
    return {**figures, "process": usage.ru_utime + usage.ru_stime}


def _keep_stdlib(warm: Path, compiled: Path, shipped: Path) -> None:
    """Copy the filled cache whole, and its standard library part alone."""
    shutil.copytree(warm, compiled)
    stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
    source = warm / stdlib.relative_to(stdlib.anchor)
    target = shipped / stdlib.relative_to(stdlib.anchor)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("site-packages"))


def _as_built(build: Path, compiled: Path, artifact: bool) -> Runtime:
    """The `make build` output on Python 3.13 where there is one (and a 3.13), else this
    machine's Python with every module's bytecode. A build from before the layer (an old
    `.aws-sam/build`, no `*/python` folder) is not one."""
    layered = (build / "template.yaml").is_file() and any(build.glob("*/python"))
    python = lambda_python() if artifact and layered else None
    if python is not None:
        version = subprocess.run(  # noqa: S603
            [python, "-c", "import platform; print(platform.python_version())"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return Runtime(f"the `make build` output on Python {version}", python, build=build)
    here = f"Python {sys.version.split()[0]} with every module's bytecode (no `make build` output)"
    return Runtime(here, sys.executable, pycache=compiled)


# Fresh processes a function's cold start is the median of, per runtime: one sample's CPU time
# varies by a third from run to run on this machine (0.73 s and 1.01 s for the web function as
# built, minutes apart), which is more than the goal's margin.
REPEATS = 5


def _median(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """The sample whose import and first event together are the median of the samples."""
    ordered = sorted(samples, key=lambda s: s["import"] + s["first"])
    return ordered[len(ordered) // 2]


def run(
    functions: Sequence[FirstEvent] = FUNCTIONS,
    build: Path = BUILD,
    artifact: bool = True,
    repeats: int = REPEATS,
) -> ColdResult:
    """Each function's cold start as built (`artifact`: the build output itself, when there is
    one) and without bytecode, the median of `repeats` fresh processes; the stack as
    provisioned again for every round, so each first event is a first."""
    result = ColdResult(repeats=max(1, repeats))
    with (
        moto_stack() as stack,
        tempfile.TemporaryDirectory(prefix="cold-start-") as tmp,
    ):
        work = Path(tmp)
        warm = Runtime("warm-up", sys.executable, pycache=work / "warm", writes=True)
        source = Runtime("no bytecode", sys.executable, pycache=work / "stdlib")
        rounds: dict[str, dict[str, dict[str, Any]]] = {}
        for runtime in (warm, None, source):
            if runtime is None:  # after the warm-up filled its cache
                _keep_stdlib(work / "warm", work / "compiled", work / "stdlib")
                runtime = built = _as_built(build, work / "compiled", artifact)
            samples: dict[str, list[dict[str, Any]]] = {s.module: [] for s in functions}
            for _ in range(1 if runtime is warm else max(1, repeats)):
                stack.reset()
                for spec in functions:
                    samples[spec.module].append(_child(spec, stack, runtime, work))
            rounds[runtime.label] = {m: _median(found) for m, found in samples.items()}
        for spec in functions:
            ahead, cold = rounds[built.label][spec.module], rounds[source.label][spec.module]
            result.starts.append(
                ColdStart(
                    function=spec.function,
                    what=spec.what,
                    memory_mb=memory_of(spec.function),
                    import_s=ahead["import"],
                    first_s=ahead["first"],
                    process_s=ahead["process"],
                    outcome=ahead["outcome"],
                    module=spec.module,
                    runtime=built.label,
                    source_import_s=cold["import"],
                    source_first_s=cold["first"],
                )
            )
    return result


if __name__ == "__main__":
    for start in run().starts:
        print(start)
