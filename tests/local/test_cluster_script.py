"""local/cluster.sh (make local-up) with stand-in docker, kind and pulumi that record how they are called."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "local" / "cluster.sh"
IMAGES = [f"tiketi-spring-{s}:local" for s in ("gateway-service", "auth-service", "ticket-service", "payment-service",
                                               "stats-service", "queue-service", "community-service", "frontend")]
FAKES = {
    "docker": 'echo "docker $*" >> "$LOG"\ncase "$1" in image) [[ -n "${FAKE_IMAGES:-}" ]] ;; *) exit 0 ;; esac\n',
    "kind": 'echo "kind $*" >> "$LOG"\n[[ "$1" == version ]] && echo "kind v$FAKE_KIND_VERSION go1.25.5 linux/amd64"\n'
            "exit 0\n",
    "pulumi": 'echo "pulumi $*" >> "$LOG"\nwhile (($#)); do [[ "$1" == --config-file ]] && cp "$2" "$LOG.config"; '
              "shift; done\nexit 0\n",
}


def run(tmp_path: Path, kind_version: str = "0.31.0", images: bool = False, **env: str):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for tool in ("bash", "dirname", "sed", "sort", "head", "grep", "mkdir", "cp"):
        if not (bin_dir / tool).exists():
            (bin_dir / tool).symlink_to(shutil.which(tool))
    for tool, body in FAKES.items():
        (bin_dir / tool).write_text("#!/bin/bash\n" + body)
        (bin_dir / tool).chmod(0o755)
    log = tmp_path / "calls.log"
    log.write_text("")
    environment = {"PATH": str(bin_dir), "HOME": str(tmp_path), "LOG": str(log), "FAKE_KIND_VERSION": kind_version,
                   "PYTHON": sys.executable, **({"FAKE_IMAGES": "1"} if images else {}), **env}
    result = subprocess.run([str(bin_dir / "bash"), str(SCRIPT), "up"], capture_output=True, text=True,
                            env=environment, timeout=60, check=False)
    return result, log.read_text().splitlines(), log


def test_a_kind_that_fails_probes_under_network_policies_is_refused(tmp_path):
    result, calls, _ = run(tmp_path, kind_version="0.27.0", images=True)
    assert result.returncode == 1
    assert "kind v0.27.0 is too old" in result.stderr and "kubernetes-sigs/kind#3875" in result.stderr
    assert "v0.31.0" in result.stderr
    assert calls == ["docker info", "kind version"]  # nothing created


def test_another_recent_kind_is_accepted_with_a_warning(tmp_path):
    result, calls, _ = run(tmp_path, kind_version="0.30.0", images=True)
    assert result.returncode == 0, result.stderr
    assert calls[-1] == "pulumi up --stack local"
    assert "warning: kind v0.30.0; this stack pins v0.31.0" in result.stderr


def test_missing_images_stop_before_anything_is_created_and_say_what_to_do(tmp_path):
    result, calls, _ = run(tmp_path)
    assert result.returncode == 1
    for image in IMAGES:
        assert f"  {image}\n" in result.stderr
    assert "make local-up APP_DIR=/path/to/tiketi" in result.stderr and "make local-up MODE=platform" in result.stderr
    assert not [c for c in calls if c.startswith(("kind create", "kind load", "pulumi"))]


def test_images_built_locally_are_loaded_into_kind_then_the_stack_comes_up(tmp_path):
    result, calls, _ = run(tmp_path, images=True)
    assert result.returncode == 0, result.stderr
    assert "kind create cluster --config local/kind-config.yaml --wait 120s" in calls
    assert f"kind load docker-image --name tiketi {' '.join(IMAGES)}" in calls
    assert calls[-1] == "pulumi up --stack local"
    assert calls.index("kind create cluster --config local/kind-config.yaml --wait 120s") < calls.index(
        "pulumi up --stack local")


def test_app_dir_builds_every_image_from_the_checkout(tmp_path):
    app = tmp_path / "tiketi"
    for service in [i.split(":")[0].removeprefix("tiketi-spring-") for i in IMAGES]:
        directory = app / "frontend" if service == "frontend" else app / "services-spring" / service
        directory.mkdir(parents=True)
        (directory / "Dockerfile").write_text("FROM scratch\n")
    result, calls, _ = run(tmp_path, images=True, APP_DIR=str(app))
    assert result.returncode == 0, result.stderr
    builds = [c for c in calls if c.startswith("docker build")]
    assert builds[0] == f"docker build --tag tiketi-spring-gateway-service:local {app}/services-spring/gateway-service"
    assert builds[-1] == f"docker build --tag tiketi-spring-frontend:local {app}/frontend"
    assert len(builds) == 8
    assert f"kind load docker-image --name tiketi {' '.join(IMAGES)}" in calls


def test_app_dir_that_is_not_a_checkout_is_named(tmp_path):
    result, calls, _ = run(tmp_path, images=True, APP_DIR=str(tmp_path / "nowhere"))
    assert result.returncode == 1
    assert f"{tmp_path}/nowhere/services-spring/gateway-service/Dockerfile" in result.stderr
    assert not [c for c in calls if c.startswith(("docker build", "kind create", "pulumi"))]


def test_platform_mode_needs_no_images_and_turns_the_services_off(tmp_path):
    result, calls, log = run(tmp_path, MODE="platform")
    assert result.returncode == 0, result.stderr
    assert calls[-1] == "pulumi up --stack local --config-file build/local-up/Pulumi.local.yaml"
    assert not [c for c in calls if c.startswith(("kind load", "docker image"))]
    used = yaml.safe_load(Path(f"{log}.config").read_text())
    committed = yaml.safe_load((ROOT / "Pulumi.local.yaml").read_text())
    assert used["config"]["tiketi:workloads"] == {**committed["config"]["tiketi:workloads"], "deployServices": False}
    assert {k: v for k, v in used["config"].items() if k != "tiketi:workloads"} == {
        k: v for k, v in committed["config"].items() if k != "tiketi:workloads"}


def test_an_unknown_mode_is_refused(tmp_path):
    result, _, _ = run(tmp_path, MODE="everything")
    assert result.returncode == 2 and "expected full (the default) or platform" in result.stderr


def test_the_kind_node_image_is_pinned_by_digest():
    kind = yaml.safe_load((ROOT / "local" / "kind-config.yaml").read_text())
    [node] = kind["nodes"]
    image, digest = node["image"].split("@")
    assert image == "kindest/node:v1.35.0" and digest.startswith("sha256:") and len(digest) == 71
    assert os.access(SCRIPT, os.X_OK)
