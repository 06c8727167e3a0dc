"""Deploy prerequisites (review m7): the AWS CLI the Kubernetes provider runs is listed and checked."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAKE = shutil.which("make")


def recipe(target: str) -> str:
    makefile = (ROOT / "Makefile").read_text()
    return re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n)+)", makefile, flags=re.MULTILINE).group(1)


@pytest.mark.parametrize("target", ["preview", "up", "up-infra"])
def test_every_target_that_runs_pulumi_checks_for_the_aws_cli(target):
    lines = [line.strip() for line in recipe(target).splitlines()]
    assert lines.index("$(call require_aws)") == lines.index("$(call require_pulumi)") + 1


def run_check(tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([MAKE, "--no-print-directory", "--eval", "check-aws: ; $(call require_aws)", "check-aws"],
                          cwd=ROOT, env={"PATH": str(tmp_path)}, capture_output=True, text=True)


def test_without_the_aws_cli_the_check_stops_and_says_why(tmp_path):
    done = run_check(tmp_path)
    assert done.returncode == 2
    assert "error: the AWS CLI (v2) is not installed: the Kubernetes provider runs 'aws eks get-token'." \
        in done.stderr


def test_with_the_aws_cli_on_the_path_the_check_passes(tmp_path):
    (tmp_path / "aws").symlink_to(shutil.which("true"))
    assert run_check(tmp_path).returncode == 0


def test_the_readme_lists_the_aws_cli_among_the_deploy_prerequisites():
    readme = (ROOT / "README.md").read_text()
    step = readme[readme.index("## Deploying for real"):readme.index("2. Choose a state backend")]
    assert "AWS CLI v2 (the Kubernetes provider's kubeconfig runs `aws eks get-token`" in step
