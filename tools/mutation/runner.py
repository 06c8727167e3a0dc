"""Run the tests against each mutant in a forked child of one warm process (a fork server).

Why not mutmut: it starts the test command afresh for every mutant, and a fresh ``pytest`` here pays
for importing pulumi, pulumi_aws, pulumi_kubernetes and the tests (about 4 s) and then for the
whole suite (about 65 s of CPU): hours for a few thousand literals on two cores (the README has the
measurement). Here the parent imports every third-party module once (a collection pass and one
program run per stack), drops the repository's own modules from ``sys.modules`` and forks a child
per mutant. The child imports the repository afresh, with an import hook that serves the mutated
module (``__main__.py`` through ``runpy.run_path``), so the tests' module-level imports, the stack
snapshots in ``tests/conftest.py`` and every fixture see the mutant; it runs pytest in-process with
``-x``: first the test files that killed this module's earlier mutants and the mutated tier's own,
then, only if they all pass, the rest. The first failing test kills the mutant and ends the child.

Tests that can only see the files on disk (they start another process that imports the program,
or test code the components never reach) are left out of the mutation run: ``NOT_IN_PROCESS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib.abc
import importlib.util
import json
import os
import runpy
import signal
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tools.mutation.literals import ROOT, Literal, mutated_code

# Each with why it cannot see an in-process mutant (or cannot be affected by one).
NOT_IN_PROCESS = {
    "tests/harness/test_render_diff.py": "renders git worktrees in other processes, from the files on disk",
    "tests/local/test_cluster_script.py": "runs local/cluster.sh, which the components never reach",
    "tests/ops/test_workflows.py": "lints the CI workflows",
    "tests/harness/test_mutation.py": "tests the mutation tool itself",
    "tests/lambdas/test_edge_queue_check.py": "Lambda handler code only (lambdas/ is not mutated)",
    "tests/lambdas/test_edge_properties.py": "Lambda handler code only",
    "tests/lambdas/test_worker_sqs_e2e.py": "Lambda handler code only",
    "tests/lambdas/test_ticket_worker.py": "Lambda handler code only",
}
PYTEST_ARGS = ["-x", "-q", "--no-header", "-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:randomly"]


def test_files() -> list[str]:
    found = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "tests").rglob("test_*.py"))
    return [f for f in found if f not in NOT_IN_PROCESS]


def module_name(path: str) -> str:
    parts = path.removesuffix(".py").split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def tier_tests(path: str, files: list[str]) -> list[str]:
    """The mutated tier's own tests: ``components/edge/cdn.py`` -> ``tests/edge/``; config models and
    the shared modules first meet their own test file, then the program's."""
    parts = path.split("/")
    tier = "program" if path == "__main__.py" or len(parts) == 2 else parts[1]
    own = [f for f in files if f.startswith(f"tests/{tier}/")]
    named = [f for f in own if f.endswith(f"/test_{parts[-1]}")]
    return named + [f for f in own if f not in named]


# --- the warm parent ------------------------------------------------------------------------


def _repository_modules() -> list[str]:
    mine = Path(__file__).resolve().parent
    names = []
    for name, module in list(sys.modules.items()):
        location = getattr(module, "__file__", None)
        paths = [Path(location)] if location else [Path(p) for p in getattr(module, "__path__", []) or []]
        if not paths:
            continue
        resolved = paths[0].resolve()
        if ROOT in resolved.parents and "venv" not in resolved.relative_to(ROOT).parts[:1] \
                and mine not in (resolved, *resolved.parents):
            names.append(name)
    return names


@contextlib.contextmanager
def _silenced():
    saved = os.dup(1), os.dup(2)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 1)
        os.dup2(null.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def warm_up(files: list[str]) -> None:
    """Import everything the tests import and run each stack once, then forget the repository's modules."""
    import pytest

    from tools.harness.mock_engine import run_program

    with _silenced():
        pytest.main(["--collect-only", *PYTEST_ARGS, *files])
        for stack in ("local", "staging", "prod"):
            run_program(stack)
    # A program run leaves an event loop whose default executor holds threads; a forked child would
    # inherit the executor without its threads (and the loop's epoll descriptor with its siblings)
    # and wait forever on its first invoke. Each child makes its own loop.
    loop = asyncio.get_event_loop()
    loop.run_until_complete(loop.shutdown_default_executor())
    loop.close()
    asyncio.set_event_loop(None)
    if threading.active_count() != 1:
        raise RuntimeError(f"threads left after the warm-up, a fork would lose them: {threading.enumerate()}")
    for name in _repository_modules():
        del sys.modules[name]
    gc.collect()
    gc.freeze()  # the children share these pages instead of copying them on their first collection


# --- the child ------------------------------------------------------------------------------


class _MutantLoader(importlib.abc.Loader):
    def __init__(self, code):
        self.code = code

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        exec(self.code, module.__dict__)  # noqa: S102 - the mutated module's own code


class _MutantFinder(importlib.abc.MetaPathFinder):
    def __init__(self, name: str, path: Path, code):
        self.name, self.path, self.code = name, path, code

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.name:
            return None
        package = self.path.name == "__init__.py"
        return importlib.util.spec_from_file_location(
            fullname, self.path, loader=_MutantLoader(self.code),
            submodule_search_locations=[str(self.path.parent)] if package else None)


def _install(literal: Literal, code) -> None:
    path = ROOT / literal.path
    if literal.path == "__main__.py":
        original = runpy.run_path

        def run_path(path_name, init_globals=None, run_name=None):
            if Path(path_name).resolve() != path:
                return original(path_name, init_globals, run_name)
            namespace = {"__name__": run_name or "<run_path>", "__file__": str(path), **(init_globals or {})}
            exec(code, namespace)  # noqa: S102 - the mutated program
            return namespace

        runpy.run_path = run_path
    else:
        sys.meta_path.insert(0, _MutantFinder(module_name(literal.path), path, code))


class _FirstFailure:
    def __init__(self):
        self.nodeid: str | None = None

    def pytest_runtest_logreport(self, report):
        if report.failed and self.nodeid is None:
            self.nodeid = report.nodeid

    def pytest_collectreport(self, report):
        if report.failed and self.nodeid is None:
            self.nodeid = f"{report.nodeid or 'collection'} (collection error)"


def _run_stages(stages: list[list[str]]) -> dict:
    import pytest

    for number, files in enumerate(stages, 1):
        if not files:
            continue
        outcome = _FirstFailure()
        code = pytest.main([*PYTEST_ARGS, *files], plugins=[outcome])
        if outcome.nodeid or code not in (0, 5):
            return {"killed": True, "by": outcome.nodeid or f"pytest exit {int(code)}", "stage": number}
    return {"killed": False}


def child(literal: Literal | None, code, stages: list[list[str]], result_path: str) -> None:
    """In the forked child: install the mutant (None: the unmutated baseline), run the stages, report."""
    os.setpgid(0, 0)  # its own group, so a timeout ends whatever it started too
    asyncio.set_event_loop(asyncio.new_event_loop())
    try:
        with _silenced():
            if literal is not None:
                _install(literal, code)
            result = _run_stages(stages)
    except BaseException as error:  # noqa: BLE001 - a mutant that breaks the import is killed
        result = {"killed": True, "by": f"{type(error).__name__}: {error}"[:300], "stage": 0}
    Path(result_path).write_text(json.dumps(result))
    os._exit(0)


# --- scheduling -----------------------------------------------------------------------------


@dataclass
class Job:
    literal: Literal | None
    pid: int
    started: float
    result_path: str


@dataclass
class Scheduler:
    files: list[str]
    workers: int
    timeout: float
    scratch: Path
    killers: dict[str, Counter] = field(default_factory=dict)  # module -> test file -> kills
    overall: Counter = field(default_factory=Counter)

    def stages(self, literal: Literal) -> list[list[str]]:
        learned = [f for f, _ in self.killers.get(literal.path, Counter()).most_common(6)]
        first = list(dict.fromkeys([*learned, *tier_tests(literal.path, self.files)]))
        rest = sorted((f for f in self.files if f not in first), key=lambda f: -self.overall[f])
        return [first, rest]

    def start(self, literal: Literal | None, stages: list[list[str]]) -> Job:
        # Compiled here, before the fork: a file edited since the literals were listed is an error the
        # parent reports (RuntimeError), never a mutant the child would count as killed.
        code = mutated_code(literal) if literal is not None else None
        result_path = str(self.scratch / f"{os.getpid()}-{time.monotonic_ns()}.json")
        pid = os.fork()
        if pid == 0:
            child(literal, code, stages, result_path)
        return Job(literal, pid, time.monotonic(), result_path)

    def finish(self, job: Job) -> dict:
        path = Path(job.result_path)
        result = json.loads(path.read_text()) if path.exists() else {"killed": True, "by": "child died"}
        path.unlink(missing_ok=True)
        result["seconds"] = round(time.monotonic() - job.started, 1)
        killer = result.get("by", "")
        if job.literal is not None and result.get("killed") and killer.startswith("tests/"):
            test_file = killer.split("::", 1)[0]
            self.killers.setdefault(job.literal.path, Counter())[test_file] += 1
            self.overall[test_file] += 1
        return result

    def baseline(self) -> dict:
        job = self.start(None, [self.files])
        _, _status = os.waitpid(job.pid, 0)
        return self.finish(job)

    def run(self, literals: list[Literal], deadline: float, report) -> None:
        """Run every mutant until the deadline (no new mutant starts after it); ``report(literal, result)``."""
        pending = list(literals)
        running: dict[int, Job] = {}
        while pending or running:
            while pending and len(running) < self.workers and time.monotonic() < deadline:
                literal = pending.pop(0)
                try:
                    job = self.start(literal, self.stages(literal))
                except RuntimeError as error:  # the source changed under the run
                    report(literal, {"killed": False, "error": str(error)})
                    continue
                running[job.pid] = job
            if not running:
                break
            pid, _ = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                now = time.monotonic()
                for job in list(running.values()):
                    if now - job.started > self.timeout:
                        with contextlib.suppress(ProcessLookupError):
                            os.killpg(job.pid, signal.SIGKILL)
                        os.waitpid(job.pid, 0)
                        del running[job.pid]
                        report(job.literal, {"killed": True, "by": f"timeout after {self.timeout:.0f} s",
                                             "seconds": round(now - job.started, 1)})
                time.sleep(0.05)
                continue
            job = running.pop(pid, None)
            if job is not None:
                report(job.literal, self.finish(job))
