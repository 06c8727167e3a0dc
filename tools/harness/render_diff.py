"""Render a base git ref and the working tree, and print what changes per stack.

    python -m tools.harness.render_diff --base origin/main [--stack prod] [--markdown comment.md]
    (or: make render-diff BASE=origin/main [STACK=prod])

The base is checked out into a temporary ``git worktree`` and rendered there by its own render
command with its own stack files (``tools/harness/render.py``, or ``tools/render.py`` for bases
from before the harness moved; the oldest supported base is the first commit with an offline
render, 34338e0). The working tree is rendered at the same time (two processes on two cores).
Both renders get the same random salt (``TIKETI_RENDER_SECRET_SALT``) so a changed secret
can be told from an unchanged one without its value, or a fingerprint of it, leaving them.

Exit status: 0 when no stack changes, 1 when any stack changes, 2 on an error (an unknown ref,
a base without an offline render, a program that does not evaluate).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import Any

from tools.harness.inventory import SECRET_SALT_ENV, load_inventory
from tools.harness.mock_engine import ROOT, available_stacks
from tools.harness.review import comment
from tools.harness.review.diff import StackDiff, compare, lines

OLDEST_SUPPORTED_BASE = "34338e0"
RENDER_MODULES = (("tools/harness/render.py", "tools.harness.render"), ("tools/render.py", "tools.render"))


class RenderDiffError(Exception):
    pass


def git(*args: str, cwd: Path = ROOT) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RenderDiffError(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout.strip()


def render_module(tree: Path) -> str:
    """The render module a tree carries."""
    for path, module in RENDER_MODULES:
        if (tree / path).exists():
            return module
    raise RenderDiffError(f"the base has no offline render (tools/harness/render.py or tools/render.py); "
                          f"the oldest supported base is {OLDEST_SUPPORTED_BASE}")


PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*==\s*([^\s;#]+)\s*(#.*)?$")


def satisfies(requirements: str) -> bool:
    """Does this interpreter have every package the requirements pin, at the pinned version?"""
    for line in requirements.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        pin = PIN.match(line)
        if pin is None:
            return False  # not a plain pin: let the base's own venv decide
        try:
            if metadata.version(pin.group(1)) != pin.group(3):
                return False
        except metadata.PackageNotFoundError:
            return False
    return True


def python_for(tree: Path, cache: Path) -> str:
    """This venv when it has everything the base pins; otherwise a cached venv of the base's requirements."""
    wanted = (tree / "requirements.txt").read_text()
    if satisfies(wanted):
        return sys.executable
    venv = cache / hashlib.sha256(wanted.encode()).hexdigest()[:16]
    python = venv / "bin" / "python"
    if not (venv / ".installed").exists():
        print(f"render-diff: the base pins packages this venv lacks; building {venv} once (slow)", file=sys.stderr)
        for command in ([sys.executable, "-m", "venv", str(venv)],
                        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r",
                         str(tree / "requirements.txt")]):
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0:
                raise RenderDiffError(f"could not build the base's venv ({' '.join(command[:3])}):\n{done.stderr}")
        (venv / ".installed").touch()
    return str(python)


# Every render since tools/render.py has main(argv) taking "STACK --out DIR --quiet"; calling it once
# per stack in one process imports Pulumi and the providers once (most of a render's time).
DRIVER = """
import sys
from importlib import import_module
main = import_module(sys.argv[1]).main
out, stacks = sys.argv[2], sys.argv[3:]
sys.exit(max((main([stack, "--out", out, "--quiet"]) or 0) for stack in stacks))
"""


def run_render(python: str, tree: Path, module: str, stacks: list[str], out: Path, env: dict[str, str]) -> str:
    """Render ``stacks`` of ``tree`` into ``out`` with that tree's own render; returns its stderr."""
    done = subprocess.run([python, "-c", DRIVER, module, str(out), *stacks], cwd=tree, env=env,
                          capture_output=True, text=True)
    return done.stderr


def load(out: Path, stack: str, where: str, messages: str) -> dict[str, Any] | None:
    path = out / stack / "resources.json"
    if not path.exists():
        raise RenderDiffError(f"the {where} render of {stack} wrote nothing:\n{messages.strip()}")
    return load_inventory(path)


def render_both(base_ref: str, stacks: list[str] | None, work: Path) -> tuple[list[StackDiff], dict[str, Any]]:
    sha = git("rev-parse", "--verify", "--quiet", f"{base_ref}^{{commit}}")
    tree = work / "base-tree"
    git("worktree", "add", "--detach", "--quiet", str(tree), sha)
    try:
        module = render_module(tree)
        base_stacks, head_stacks = set(available_stacks(tree)), set(available_stacks(ROOT))
        chosen = stacks or sorted(base_stacks | head_stacks)
        unknown = [s for s in chosen if s not in base_stacks | head_stacks]
        if unknown:
            raise RenderDiffError(f"no stack {', '.join(unknown)} in the base or the working tree")
        env = {**os.environ, SECRET_SALT_ENV: secrets.token_hex(16), "PYTHONDONTWRITEBYTECODE": "1"}
        python = python_for(tree, ROOT / "build" / ".render-diff-venvs")
        in_base = [s for s in chosen if s in base_stacks]
        in_head = [s for s in chosen if s in head_stacks]
        jobs = {}
        with ThreadPoolExecutor(max_workers=2) as pool:
            if in_head:
                jobs["head"] = pool.submit(run_render, sys.executable, ROOT, "tools.harness.render", in_head,
                                           work / "head", env)
            if in_base:
                jobs["base"] = pool.submit(run_render, python, tree, module, in_base, work / "base", env)
            messages = {name: job.result() for name, job in jobs.items()}
        base_messages = messages.get("base", "")
        diffs, heads = [], {}
        for stack in chosen:
            base = load(work / "base", stack, f"base ({base_ref})", base_messages) if stack in base_stacks \
                else None
            head = load(work / "head", stack, "working tree", messages.get("head", "")) if stack in head_stacks \
                else None
            diffs.append(compare(base, head))
            heads[stack] = head
        return diffs, heads
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="git ref to compare with (a branch, tag or commit)")
    parser.add_argument("--stack", action="append", dest="stacks", help="only this stack (repeatable)")
    parser.add_argument("--markdown", help="also write the pull-request comment (diff, cost, diagram) here")
    options = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="render-diff-"))
    try:
        diffs, heads = render_both(options.base, options.stacks, work)
    except RenderDiffError as error:
        print(f"render-diff: {error}", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for diff in diffs:
        print("\n".join(lines(diff)))
        print()
    if options.markdown:
        Path(options.markdown).write_text(comment.markdown(options.base, diffs, heads))
    changed = [d.stack for d in diffs if d.changed]
    print(f"render-diff against {options.base}: " + (f"changes in {', '.join(changed)}" if changed else "no changes"))
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
