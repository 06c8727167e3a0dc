"""Kubernetes rules: containers run non-root, without escalation or capabilities, with limits and pinned images."""

from __future__ import annotations

from policy_model import Resource, Rule, get

POD_SPEC_PATHS = {  # kind -> where its pod spec lives
    "Deployment": ("spec", "template", "spec"), "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"), "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"), "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Pod": ("spec",),
}


def kind_of(resource_type: str) -> str:
    return resource_type.rsplit(":", 1)[-1]


def _image_pinned(image: str) -> bool:
    if "@sha256:" in image:
        return True
    name = image.rsplit("/", 1)[-1]
    return ":" in name and not name.endswith(":latest")


def container_posture(r: Resource) -> list[str]:
    spec = get(r.props, *POD_SPEC_PATHS[kind_of(r.type)])
    if not isinstance(spec, dict):
        return []
    pod = spec.get("securityContext") or {}
    problems = []
    for container in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        name = container.get("name", "?")
        security = container.get("securityContext") or {}
        non_root = security.get("runAsNonRoot", pod.get("runAsNonRoot"))
        user = security.get("runAsUser", pod.get("runAsUser"))
        if non_root is not True or user == 0:
            problems.append(f"container {name} may run as root (set runAsNonRoot: true and a non-zero runAsUser)")
        if security.get("allowPrivilegeEscalation") is not False:
            problems.append(f"container {name} allows privilege escalation")
        if security.get("privileged") is True:
            problems.append(f"container {name} is privileged")
        if "ALL" not in (get(security, "capabilities", "drop") or []):
            problems.append(f"container {name} does not drop ALL capabilities")
        limits = get(container, "resources", "limits") or {}
        if not limits.get("cpu") or not limits.get("memory"):
            problems.append(f"container {name} has no cpu and memory limits")
        image = container.get("image")
        if not isinstance(image, str) or not _image_pinned(image):
            problems.append(f"container {name} image {image!r} is not pinned (no tag, or 'latest')")
    return problems


KUBERNETES_RULES: tuple[Rule, ...] = (
    Rule("k8s-container-hardening",
         "Containers run non-root, without privilege escalation, drop ALL capabilities, set limits, pin images",
         tuple(f"kubernetes:{group}:{kind}" for kind, group in (
             ("Deployment", "apps/v1"), ("StatefulSet", "apps/v1"), ("DaemonSet", "apps/v1"),
             ("ReplicaSet", "apps/v1"), ("Job", "batch/v1"), ("CronJob", "batch/v1"), ("Pod", "core/v1"))),
         container_posture),
)
