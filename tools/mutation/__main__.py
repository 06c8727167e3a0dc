"""``make mutation``: change the program's literals one at a time and report the ones no test notices.

    python -m tools.mutation [--budget MINUTES] [--workers N] [--only PATH ...] [--names]
                             [--rerun REPORT] [--list] [--report build/mutation/report.json]

Prints one line per surviving mutant (``SURVIVED path:line  value -> mutation``) as it is found and
a summary with the score (killed / tested). Exit status: 0 when the score reaches ``--target``
(95 by default) over the tested mutants, 1 when it does not, 2 on a usage error or a baseline
that fails before anything is mutated.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from tools.mutation.literals import ROOT, SKIPPED, Literal, all_literals
from tools.mutation.runner import NOT_IN_PROCESS, Scheduler, test_files, warm_up


def _share(text: str) -> tuple[float, float]:
    low, _, high = text.rpartition(":")
    try:
        share = (float(low or 0), float(high))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--sample {text!r}: a percentage (5) or a range of them (5:10)") from None
    if not 0 <= share[0] < share[1] <= 100:
        raise argparse.ArgumentTypeError(f"--sample {text!r}: percentages from 0 to 100, the first below the second")
    return share


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make mutation", description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=float, default=60.0,
                        help="minutes after which no new mutant starts (default 60); the rest are reported untested")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="children at once (default: cores)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds one mutant may take before it counts as killed (default: three times the "
                             "unmutated run, at least 240: a loaded machine must not turn survivors into kills)")
    parser.add_argument("--only", nargs="*", default=[], help="only literals in these files or folders")
    parser.add_argument("--names", action="store_true", help="mutate resource logical names too")
    parser.add_argument("--rerun", type=Path, help="only the survivors (and untested) of an earlier report")
    parser.add_argument("--seed", type=int, default=21, help="order of the mutants (a budget-cut run is a sample)")
    parser.add_argument("--sample", type=_share, default=(0.0, 100.0), metavar="PERCENT|FROM:TO",
                        help="only this share of the mutants, chosen by a hash of file, source line and value, so "
                             "two commits sample (nearly) the same mutants and their scores compare; 5 is the "
                             "first 5 %%, 5:10 a second, disjoint 5 %% (default: all)")
    parser.add_argument("--target", type=float, default=95.0, help="score (percent) below which the exit is 1")
    parser.add_argument("--list", action="store_true", help="list the literals and how each is treated, run none")
    parser.add_argument("--report", type=Path, default=ROOT / "build" / "mutation" / "report.json")
    parser.add_argument("--no-baseline", action="store_true", help="skip the unmutated run (it must pass)")
    return parser.parse_args(argv)


def select(args: argparse.Namespace, literals: list[Literal]) -> list[Literal]:
    kinds = {"mutant", "name"} if args.names else {"mutant"}
    chosen = [lit for lit in literals if lit.kind in kinds]
    if args.only:
        prefixes = [p.rstrip("/") for p in args.only]
        chosen = [lit for lit in chosen if any(lit.path == p or lit.path.startswith(p + "/") for p in prefixes)]
    if args.rerun:
        previous = json.loads(args.rerun.read_text())
        again = {(m["path"], m["line"], m["value_repr"]) for m in previous["mutants"]
                 if m["status"] in ("survived", "untested", "error")}
        chosen = [lit for lit in chosen if (lit.path, lit.line, repr(lit.value)) in again]
    low, high = args.sample
    if (low, high) != (0.0, 100.0):
        chosen = [lit for lit in chosen if low * 100 <= lit.bucket() < high * 100]
    random.Random(args.seed).shuffle(chosen)  # noqa: S311 - an order, not a secret
    return chosen


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    os.chdir(ROOT)
    literals = list(all_literals())
    counts = Counter(lit.kind for lit in literals)
    if args.list:
        for lit in literals:
            print(f"{lit.kind:10} {lit.path}:{lit.line}  {lit.describe() if lit.kind == 'mutant' else repr(lit.value)}")
        return 0
    chosen = select(args, literals)
    files = test_files()
    print(f"literals: {len(literals)}; mutants: {len(chosen)} (left out by rule: "
          + ", ".join(f"{k} {counts[k]}" for k in SKIPPED if k != "name" or not args.names) + ")", flush=True)
    print(f"test files in the mutation run: {len(files)} (not in process: {', '.join(sorted(NOT_IN_PROCESS))})",
          flush=True)
    started = time.monotonic()
    warm_up(files)
    print(f"warm-up: {time.monotonic() - started:.0f} s", flush=True)
    scratch = Path(tempfile.mkdtemp(prefix="tiketi-mutation-"))
    scheduler = Scheduler(files=files, workers=max(1, args.workers), timeout=args.timeout or 240.0, scratch=scratch)
    if not args.no_baseline:
        baseline = scheduler.baseline()
        print(f"baseline (unmutated, every test file, one child): {baseline['seconds']:.0f} s", flush=True)
        if args.timeout is None:
            scheduler.timeout = max(240.0, 3 * baseline["seconds"])
        if baseline.get("killed"):
            print(f"error: the unmutated program fails in the mutation run: {baseline.get('by')}", file=sys.stderr)
            return 2
    results: dict[Literal, dict] = {}
    deadline = time.monotonic() + args.budget * 60

    def report(literal: Literal, result: dict) -> None:
        results[literal] = result
        if "error" in result:
            print(f"ERROR {result['error']}", flush=True)
        elif not result["killed"]:
            print(f"SURVIVED {literal.path}:{literal.line}  {literal.describe()}", flush=True)
        done = len(results)
        if done % 50 == 0:
            killed = sum(r["killed"] for r in results.values())
            print(f"... {done}/{len(chosen)} mutants, {killed} killed, "
                  f"{time.monotonic() - started:.0f} s", flush=True)

    scheduler.run(chosen, deadline, report)
    return summarise(args, chosen, results, counts, time.monotonic() - started)


def _shown(path: Path) -> str:
    path = path.resolve()
    return str(path.relative_to(ROOT)) if ROOT in path.parents else str(path)


def summarise(args, chosen: list[Literal], results: dict[Literal, dict], counts: Counter, seconds: float) -> int:
    errors = sum("error" in r for r in results.values())
    tested = len(results) - errors
    killed = sum(r["killed"] for r in results.values())
    timeouts = sum(r.get("by", "").startswith("timeout") for r in results.values())
    survivors = sorted((lit for lit, r in results.items() if not r["killed"] and "error" not in r),
                       key=lambda lit: (lit.path, lit.line))
    score = 100.0 * killed / tested if tested else 0.0
    mutants = []
    for lit in chosen:
        result = results.get(lit)
        status = ("untested" if result is None else "error" if "error" in result
                  else "killed" if result["killed"] else "survived")
        mutants.append({"path": lit.path, "line": lit.line, "value_repr": repr(lit.value), "mutation": lit.describe(),
                        "status": status, **({"by": result.get("by"), "seconds": result.get("seconds")}
                                             if result else {})})
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps({"score": round(score, 2), "tested": tested, "killed": killed,
                                       "timeouts": timeouts, "errors": errors,
                                       "untested": len(chosen) - tested - errors,
                                       "left_out_by_rule": {k: counts[k] for k in SKIPPED},
                                       "seconds": round(seconds), "mutants": mutants}, indent=1) + "\n")
    print()
    for lit in survivors:
        print(f"survivor: {lit.path}:{lit.line}  {lit.describe()}")
    print(f"\nmutation score: {score:.1f}% ({killed} killed of {tested} tested, {timeouts} by timeout; "
          f"{len(survivors)} survived; {len(chosen) - tested - errors} untested when the budget ran out; "
          f"{errors} not run: their file changed during the run) "
          f"in {seconds / 60:.1f} min; report: {_shown(args.report)}")
    return 0 if tested and score >= args.target else 1


if __name__ == "__main__":
    sys.exit(main())
