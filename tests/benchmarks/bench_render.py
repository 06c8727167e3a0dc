"""Benchmarks for the offline render (``make bench``). Prints medians of 3; asserts nothing.

- ``make render STACK=prod``'s command, a fresh interpreter each time (wall and CPU time);
- a three-stack render diff of the working tree against its own commit (both sides render).

CPU time (user + sys of the process and its children) is printed beside wall time: on a
shared machine it is the figure that says what the render costs; wall time says what a
reviewer waits.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

from tools.harness.mock_engine import ROOT

RUNS = 3


def timed(command: list[str]) -> tuple[float, float, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.returncode


def bench(label: str, command: list[str]) -> None:
    results = [timed(command) for _ in range(RUNS)]
    walls, cpus, codes = zip(*results, strict=True)
    print(f"{label}: median wall {statistics.median(walls):.2f} s, median CPU {statistics.median(cpus):.2f} s "
          f"(walls {', '.join(f'{w:.2f}' for w in walls)}; exit {sorted(set(codes))}; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores)")


def main() -> None:
    with tempfile.TemporaryDirectory() as out:
        bench("render prod", [sys.executable, "-m", "tools.harness.render", "prod", "--quiet", "--out", out])
    bench("render-diff, three stacks, against HEAD",
          [sys.executable, "-m", "tools.harness.render_diff", "--base", "HEAD"])


if __name__ == "__main__":
    main()
