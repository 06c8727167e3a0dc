"""The pull-request comment: every stack's render diff, its cost delta and its diagram (Mermaid).

One comment per pull request: the first line is a marker the posting workflow looks for, so
it edits its earlier comment instead of adding another. GitHub refuses comments over 65,536
characters, so long diffs are cut (the full text is in the workflow's artifact).
"""

from __future__ import annotations

from typing import Any

from tools.harness.review import diagram
from tools.harness.review.diff import StackDiff, cost_line, lines

MARKER = "<!-- tiketi-render-diff -->"
LIMIT = 60_000  # leave room under GitHub's 65,536 for the headers


def markdown(base_ref: str, diffs: list[StackDiff], heads: dict[str, dict[str, Any] | None]) -> str:
    out = [MARKER, "## Offline render diff", "",
           f"Rendered on Pulumi's mock engine against `{base_ref}`, no cloud credentials: values AWS computes "
           "are mock values, secrets are masked. `-/+` replaces a resource, `~` updates it in place, `+` adds, "
           "`-` deletes. Cost is the list-price estimate of `build/<stack>/cost.md`.", "",
           "| stack | change | monthly cost estimate |", "|---|---|---|"]
    for d in diffs:
        cost = cost_line(d).removeprefix("monthly cost estimate: ") if d.head_cost is not None or d.base_cost \
            is not None else ""
        out.append(f"| {d.stack} | {d.headline().split(': ', 1)[1]} | {cost} |")
    budget = LIMIT // max(1, len(diffs))
    for d in diffs:
        out += ["", f"### {d.stack}", ""]
        body = "\n".join(lines(d)[1:])
        if len(body) > budget:
            body = body[:budget] + "\n... (cut: the full diff is in the render-diff artifact)"
        if d.changed:
            out += ["<details open><summary>changes</summary>", "", "```diff", body, "```", "", "</details>"]
        else:
            out.append("No changes.")
        head = heads.get(d.stack)
        if head is not None:
            out += ["", "<details><summary>architecture (drawn from the registrations)</summary>", "",
                    "```mermaid", diagram.mermaid(diagram.build(head)).rstrip(), "```", "", "</details>"]
    return "\n".join(out) + "\n"
