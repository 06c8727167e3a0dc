"""What the render writes besides the inventory: Kubernetes manifests and Lambda archives, byte-stable.

- ``kubernetes_objects``: every Kubernetes object as the manifest the provider applies, in
  kubectl's apply order, built from inventory entries (so the diff can rebuild a base's too);
- ``archive_bytes``: a Lambda deployment archive zipped the way the engine uploads it, with
  fixed timestamps and permissions and sorted members, so the same sources give the same bytes
  on any checkout (git sets file times to checkout time).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pulumi
import yaml

from tools.harness.inventory import MASK
from tools.harness.mock_engine import is_secret
from tools.harness.snapshot import Snapshot

# Apply order, as kubectl would: what others refer to first.
KIND_ORDER = ("Namespace", "PriorityClass", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role",
              "RoleBinding", "ConfigMap", "Secret", "PersistentVolumeClaim", "Service", "Deployment", "StatefulSet",
              "DaemonSet", "Job", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy")

# The zip epoch (zip cannot store earlier dates): every member gets it, whatever the file's mtime.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def is_kubernetes_object(entry: dict[str, Any]) -> bool:
    if not entry["custom"] or not entry["type"].startswith("kubernetes:"):
        return False
    group_version, kind = entry["type"].split(":")[1:]
    return not group_version.startswith("helm.sh/") and not kind.endswith("List")


def manifest(entry: dict[str, Any]) -> dict[str, Any]:
    """One inventory entry of a Kubernetes type -> its manifest (apiVersion, kind, metadata first)."""
    group_version, kind = entry["type"].split(":")[1:]
    document = {"apiVersion": group_version.removeprefix("core/"), "kind": kind}
    body = {k: v for k, v in entry["inputs"].items() if k not in ("apiVersion", "kind")}
    if "metadata" in body:
        document["metadata"] = body.pop("metadata")
    document.update(body)
    return document


def manifest_name(entry: dict[str, Any]) -> str:
    document = manifest(entry)
    return f"{document['kind'].lower()}-{document.get('metadata', {}).get('name', entry['name'])}"


def manifest_yaml(entry: dict[str, Any]) -> str:
    return yaml.safe_dump(manifest(entry), sort_keys=False)


def kubernetes_objects(resources: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(file stem, manifest) of every Kubernetes object, in apply order."""
    rank = {kind: index for index, kind in enumerate(KIND_ORDER)}
    objects = [(manifest_name(e), manifest(e)) for e in resources if is_kubernetes_object(e)]
    return sorted(objects, key=lambda item: (rank.get(item[1]["kind"], len(rank)), item[0]))


# --- Lambda archives --------------------------------------------------------------------------------


def archive_members(archive: Any, masked: bool = False, prefix: str = "") -> dict[str, bytes]:
    """Member name -> bytes of an archive, as the engine flattens it.

    ``masked``: the archive is a secret (the edge function's, whose config.json holds the
    token secret), so generated text members are written as ``[secret]``.
    """
    members: dict[str, bytes] = {}
    if isinstance(archive, pulumi.FileArchive):
        # Every file below the folder, __pycache__ included, as the engine packs it: which is why
        # the program names its Lambda files instead (components/lambda_code.py).
        root = Path(archive.path)
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            members[prefix + path.relative_to(root).as_posix()] = path.read_bytes()
    elif isinstance(archive, pulumi.AssetArchive):
        for name, member in sorted(archive.assets.items()):
            if isinstance(member, pulumi.StringAsset):
                members[prefix + name] = (MASK if masked else member.text).encode()
            elif isinstance(member, pulumi.FileAsset):
                members[prefix + name] = Path(member.path).read_bytes()
            else:
                # A nested archive under "." is merged into the root, as the engine does.
                members.update(archive_members(member, masked, prefix if name in (".", "") else f"{prefix}{name}/"))
    else:
        raise TypeError(f"cannot render archive of type {type(archive).__name__}")
    return members


def archive_bytes(archive: pulumi.Archive, masked: bool = False) -> bytes:
    """Zip an archive with sorted members, a fixed timestamp and 0644 permissions."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name, data in sorted(archive_members(archive, masked).items()):
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, so external_attr carries the mode on every platform
            info.external_attr = 0o100644 << 16
            zipped.writestr(info, data)
    return buffer.getvalue()


def lambda_archives(snap: Snapshot) -> list[tuple[str, pulumi.Archive, bool]]:
    """(name, archive, is_secret) of every Lambda deployment package."""
    found = []
    for r in snap.all("aws:lambda/function:Function"):
        code = r.inputs.get("code")
        secret = is_secret(code)
        code = code["value"] if secret else code
        if isinstance(code, pulumi.Archive):
            found.append((r.name, code, secret))
    return sorted(found, key=lambda item: item[0])
