"""Offline render: evaluate the real program for each stack on the mock engine, no cloud needed.

    python -m tools.harness.render STACK [STACK ...] [--out build] [--verbose | --quiet]
    (or: make render STACK=prod, make render-all)

Writes ``build/<stack>/``, byte-identical for the same commit and config:

- ``resources.json``: every registration (type, name, URN, parent, provider, inputs with
  secrets masked, the URNs each input came from, update-relevant options), keys sorted,
  integers as integers, and a note that values AWS computes are mock values;
- ``summary.txt``: tier -> component -> resources -> key settings (``--verbose`` prints it);
- ``cost.md``: the monthly cost estimate (tools/harness/review/cost.py);
- ``architecture.svg`` and ``architecture.mmd``: the diagram drawn from the registrations;
- ``kubernetes/*.yaml``: every Kubernetes object, once the stack has any;
- ``lambda/*.zip``: every Lambda deployment archive (fixed timestamps, sorted members);
- ``dashboard.json``: the CloudWatch dashboard's body, once the stack has one.

The terminal gets a short summary per stack (tiers, components, resource counts, cost, and the
capacity check's figures, which ``summary.txt`` holds too) and, on a terminal, a progress line
while the program runs. Exits 1 with a readable message when the program fails (bad config
included), a program-wide rule, a deploy-order rule or a policy-pack rule is violated, or the
stack cannot hold its own maximums (tools/harness/capacity.py).

Documentation placeholders in the stack config (certificate ARNs in account 123456789012,
``*.example.com``, 203.0.113.0/24) are the one policy finding the offline render keeps: it
lists them at the end of ``summary.txt`` and in its last line; ``make preview``/``make up``
refuse them (tools/ops/preflight.py).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from tools.harness import artifacts, capacity, inventory, summary
from tools.harness.artifacts import archive_bytes, lambda_archives
from tools.harness.deploy_order import check_deploy_order
from tools.harness.invariants import check_all
from tools.harness.mock_engine import ROOT, ProgramError, Registration, available_stacks, run_program
from tools.harness.policy_check import PLACEHOLDER_RULE, config_placeholders
from tools.harness.policy_check import check as check_policies
from tools.harness.review import cost, diagram
from tools.harness.snapshot import Snapshot

# Kept importable from here: tests and older callers use render.mask and render.kubernetes_objects(snap).
mask = inventory.mask


def kubernetes_objects(snap: Snapshot, only: Callable[[Registration], bool] | None = None,
                       ) -> list[tuple[str, dict[str, Any]]]:
    """Every Kubernetes object of a program run (or those ``only`` accepts), as the manifest the provider
    applies, in apply order."""
    accepted = {r.urn for r in snap.registrations if only is None or only(r)}
    return artifacts.kubernetes_objects([e for e in inventory.entries(snap)
                                         if artifacts.is_kubernetes_object(e) and e["urn"] in accepted])


def dashboard_body(snap: Snapshot) -> dict[str, Any] | None:
    """The stack's CloudWatch dashboard body (None without a dashboard)."""
    dashboards = snap.all("aws:cloudwatch/dashboard:Dashboard")
    if not dashboards:
        return None
    [dashboard] = dashboards
    return json.loads(dashboard.inputs["dashboardBody"])


class Progress:
    """One updating status line on stderr, only when stderr is a terminal."""

    def __init__(self, stream: TextIO = sys.stderr):
        self.stream = stream
        self.enabled = stream.isatty()
        self.stack = ""

    def show(self, text: str) -> None:
        if self.enabled:
            self.stream.write(f"\r\033[K{self.stack}: {text}")
            self.stream.flush()

    def registered(self, count: int) -> None:
        if count % 10 == 0:
            self.show(f"evaluating the program on the mock engine, {count} resources registered")

    def done(self) -> None:
        if self.enabled:
            self.stream.write("\r\033[K")
            self.stream.flush()


def placeholder_note(snap: Snapshot) -> str:
    """The summary's last section: the config values that only stand in for the team's own."""
    kept = config_placeholders(snap.run.config, snap.run.secret_config_keys)
    if not kept:
        return ""
    lines = [f"placeholders kept in this offline render ({len(kept)}; make preview/up refuse them until "
             "replaced with the team's values)", *(f"  {line}" for line in kept), ""]
    return "\n".join(lines) + "\n"


def capacity_section(report: capacity.Report) -> str:
    return "capacity (requests; tools/harness/capacity.py)\n" + "".join(f"  {line}\n" for line in report.lines)


def full_summary(doc: dict[str, Any], report: capacity.Report, snap: Snapshot | None = None) -> str:
    """``summary.full`` with the capacity figures, then the placeholders, above its closing total line."""
    listing, _, total = summary.full(doc).rstrip("\n").rpartition("\n")
    placeholders = placeholder_note(snap) if snap is not None else ""
    return f"{listing}\n{capacity_section(report)}\n{placeholders}{total}\n"


def write(snap: Snapshot, out: Path, report: capacity.Report | None = None) -> dict[str, Any]:
    """Write every render file of one stack into ``out`` (replaced); returns the inventory document."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    doc = inventory.document(snap)
    (out / "resources.json").write_text(inventory.dumps(doc))
    (out / "summary.txt").write_text(full_summary(doc, report or capacity.report(snap), snap))
    (out / "cost.md").write_text(cost.markdown(doc))
    model = diagram.build(doc)
    (out / "architecture.svg").write_text(diagram.svg(model))
    (out / "architecture.mmd").write_text(diagram.mermaid(model))
    objects = artifacts.kubernetes_objects(doc["resources"])
    if objects:
        (out / "kubernetes").mkdir()
        for index, (name, manifest) in enumerate(objects):
            path = out / "kubernetes" / f"{index:03d}-{name}.yaml"
            import yaml

            path.write_text(yaml.safe_dump(manifest, sort_keys=False))
    body = dashboard_body(snap)
    if body is not None:
        (out / "dashboard.json").write_text(json.dumps(body, indent=2, sort_keys=True) + "\n")
    archives = lambda_archives(snap)
    if archives:
        (out / "lambda").mkdir()
        for name, archive, secret in archives:
            (out / "lambda" / f"{name}.zip").write_bytes(archive_bytes(archive, masked=secret))
    return doc


def render_stack(stack: str, out_root: Path, verbose: bool, quiet: bool, progress: Progress) -> int:
    started = time.perf_counter()
    progress.stack = stack
    try:
        # Without a terminal there is nothing to show (and callers may stand in a one-argument run_program).
        snap = Snapshot(run_program(stack, progress=progress.registered) if progress.enabled else run_program(stack))
    except ProgramError as error:
        progress.done()
        print(f"render {stack}: the program failed:\n{error}", file=sys.stderr)
        return 1
    progress.show("checking program rules, deploy order, the policy pack and capacity")
    report = capacity.report(snap)
    # Placeholders are the one policy finding the offline render keeps (the summary lists them).
    problems = check_all(snap) + check_deploy_order(snap) + [
        str(v) for v in check_policies(snap) if v.rule != PLACEHOLDER_RULE] + capacity.problems(report)
    progress.show("writing files")
    out = out_root / stack
    doc = write(snap, out, report)
    progress.done()
    if not quiet:
        print(full_summary(doc, report) if verbose else summary.short(doc), end="")
        lines = cost.estimate(doc)
        if lines:
            print(f"  {'cost':<14} {cost.money(cost.total(lines))} a month estimated ({out / 'cost.md'})")
        if not verbose:
            print(capacity_section(report), end="")
    elapsed = time.perf_counter() - started
    if problems:
        print(f"\nrender {stack}: {len(problems)} rule violation(s):", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    layout = summary.Layout(doc["resources"], order=[])
    kept = config_placeholders(snap.run.config, snap.run.secret_config_keys)
    note = f"; {len(kept)} placeholder value(s) kept (listed in summary.txt)" if kept else ""
    print(f"rendered {stack} to {out} in {elapsed:.2f}s: {layout.counts()}; "
          f"program rules, deploy order, policy pack and capacity ok{note}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stacks", nargs="+", metavar="stack", help=f"one or more of: {', '.join(available_stacks())}")
    parser.add_argument("--out", default=str(ROOT / "build"), help="output folder (default: build/)")
    detail = parser.add_mutually_exclusive_group()
    detail.add_argument("--verbose", "-v", action="store_true", help="print the full listing (summary.txt)")
    detail.add_argument("--quiet", "-q", action="store_true", help="print only the closing line")
    options = parser.parse_args(argv)

    progress = Progress()
    status = 0
    for stack in options.stacks:
        status = max(status, render_stack(stack, Path(options.out), options.verbose, options.quiet, progress))
    return status


if __name__ == "__main__":
    sys.exit(main())
