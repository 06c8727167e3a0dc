"""Offline render: evaluate the real program for one stack on the mock engine, no cloud needed.

    python -m tools.harness.render STACK [--out build]      (or: make render STACK=prod)

Writes ``build/<stack>/``:

- ``resources.json``: every registration (type, name, parent, provider, inputs) with
  secret values masked;
- ``summary.txt``: component -> resources and their key settings (also printed);
- ``kubernetes/*.yaml``: every Kubernetes object, once the stack has any;
- ``lambda/*.zip``: every Lambda deployment archive, once the stack has any.

Exits 1 with a readable message when the program fails (bad config included) or a
program-wide rule (tools/harness/invariants.py) is violated.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pulumi
import yaml

from tools.harness.deploy_order import check_deploy_order
from tools.harness.invariants import check_all
from tools.harness.mock_engine import ROOT, ProgramError, Registration, available_stacks, is_secret, run_program
from tools.harness.policy_check import check as check_policies
from tools.harness.snapshot import Snapshot

MASK = "[secret]"

# Input keys worth a glance in the summary, per resource type (first match wins).
KEY_SETTINGS: dict[str, tuple[str, ...]] = {
    "aws:ec2/vpc:Vpc": ("cidrBlock",),
    "aws:ec2/subnet:Subnet": ("cidrBlock", "availabilityZone", "tags.Tier"),
    "aws:ec2/route:Route": ("destinationCidrBlock", "gatewayId", "natGatewayId"),
    "aws:ec2/routeTable:RouteTable": ("tags.Tier",),
    "aws:ec2/natGateway:NatGateway": ("subnetId",),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("serviceName", "vpcEndpointType"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (
        "ipProtocol", "fromPort", "toPort", "cidrIpv4", "referencedSecurityGroupId", "prefixListId",
    ),
    "aws:ec2/flowLog:FlowLog": ("trafficType", "logDestinationType", "maxAggregationInterval"),
    "aws:cloudwatch/logGroup:LogGroup": ("name", "retentionInDays"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("metricName", "comparisonOperator", "threshold"),
    "aws:lb/loadBalancer:LoadBalancer": ("name", "internal", "dropInvalidHeaderFields"),
    "aws:lb/listener:Listener": ("port", "protocol", "sslPolicy"),
    "aws:lb/targetGroup:TargetGroup": ("port", "protocol", "targetType"),
    "aws:lambda/function:Function": ("name", "runtime", "memorySize", "timeout"),
    "aws:lambda/eventSourceMapping:EventSourceMapping": ("batchSize", "functionResponseTypes"),
    "aws:sqs/queue:Queue": ("name", "visibilityTimeoutSeconds"),
    "aws:rds/instance:Instance": ("identifier", "instanceClass", "engineVersion", "multiAz"),
    "aws:rds/proxy:Proxy": ("name", "requireTls"),
    "aws:elasticache/replicationGroup:ReplicationGroup": ("replicationGroupId", "nodeType", "numCacheClusters"),
    "aws:cloudfront/distribution:Distribution": ("aliases", "priceClass"),
    "aws:wafv2/webAcl:WebAcl": ("name", "scope"),
    "aws:s3/bucket:Bucket": ("bucketPrefix",),
    "aws:eks/cluster:Cluster": ("name", "version"),
    "pulumi:providers:aws": ("region",),
    "aws:eks/nodeGroup:NodeGroup": ("instanceTypes", "capacityType"),
    "aws:eks/addon:Addon": ("addonName",),
    "aws:ecr/repository:Repository": ("name", "imageTagMutability"),
    "aws:secretsmanager/secret:Secret": ("name",),
    "kubernetes:apps/v1:Deployment": ("metadata.name", "spec.replicas"),
    "kubernetes:core/v1:Service": ("metadata.name", "spec.type"),
    "kubernetes:networking.k8s.io/v1:NetworkPolicy": ("metadata.name",),
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": ("metadata.name", "spec.minReplicas", "spec.maxReplicas"),
    "kubernetes:policy/v1:PodDisruptionBudget": ("metadata.name", "spec.minAvailable"),
}


def mask(value: Any) -> Any:
    """Replace secret values with ``[secret]``, keeping the shape (keys stay readable)."""
    if is_secret(value):
        return _mask_leaves(value["value"])
    if isinstance(value, dict):
        return {k: mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v) for v in value]
    if isinstance(value, (pulumi.Asset, pulumi.Archive)):
        return f"<{type(value).__name__}>"
    return value


def _mask_leaves(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _mask_leaves(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_leaves(v) for v in value]
    return MASK


def _lookup(inputs: dict, dotted: str) -> Any:
    value: Any = inputs
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _format(value: Any, names_by_id: dict[str, str]) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str) and value in names_by_id:
        return f"->{names_by_id[value]}"  # a reference to another resource: show its name
    return MASK if is_secret(value) else str(value)


def key_settings(resource: Registration, names_by_id: dict[str, str]) -> str:
    keys = KEY_SETTINGS.get(resource.type, ())
    shown = [(k, _lookup(resource.inputs, k)) for k in keys]
    return "  ".join(f"{k.split('.')[-1]}={_format(v, names_by_id)}" for k, v in shown if v is not None)


def summary(snap: Snapshot) -> str:
    names_by_id = {r.id: r.name for r in snap.registrations if r.id}
    groups: dict[str, list[Registration]] = {}
    # Registration order depends on the event loop; sort so two renders diff cleanly.
    for resource in sorted(snap.registrations, key=lambda r: (r.type, r.name)):
        if not resource.custom:
            continue
        top = snap.component_of(resource)
        label = f"{top.name} ({top.type})" if top else "(stack level)"
        groups.setdefault(label, []).append(resource)
    custom = sum(len(v) for v in groups.values())
    lines = [f"tiketi/{snap.stack}: {custom} resources in {len(snap.components())} components"]
    for label, resources in groups.items():
        lines.append("")
        lines.append(label)
        for r in resources:
            lines.append(f"  {r.type:<58} {r.name:<40} {key_settings(r, names_by_id)}".rstrip())
    if snap.outputs:
        lines += ["", "stack outputs"]
        for key, value in sorted(snap.outputs.items()):
            lines.append(f"  {key} = {json.dumps(mask(value))}")
    return "\n".join(lines) + "\n"


# Apply order, as kubectl would: what others refer to first.
KIND_ORDER = ("Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "ConfigMap",
              "Secret", "PersistentVolumeClaim", "Service", "Deployment", "StatefulSet", "DaemonSet", "Job",
              "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy")


def _tidy(value: Any) -> Any:
    """Undo the mock engine's number and ordering noise: 3.0 -> 3, keys sorted."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _tidy(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_tidy(v) for v in value]
    return value


def kubernetes_objects(snap: Snapshot) -> list[tuple[str, dict]]:
    """Every Kubernetes object the stack registers, as the manifest the provider applies, in apply order."""
    objects = []
    for r in snap.registrations:
        if not r.custom or r.is_provider or not r.type.startswith("kubernetes:"):
            continue
        group_version, kind = r.type.split(":")[1:]
        if group_version.startswith("helm.sh/") or kind.endswith("List"):
            continue
        manifest = {"apiVersion": group_version.removeprefix("core/"), "kind": kind}
        body = _tidy({k: v for k, v in mask(r.inputs).items() if k not in ("apiVersion", "kind")})
        manifest.update({k: body.pop(k) for k in ("metadata",) if k in body})
        manifest.update(body)
        objects.append((f"{kind.lower()}-{manifest['metadata'].get('name', r.name)}", manifest))
    rank = {kind: index for index, kind in enumerate(KIND_ORDER)}
    return sorted(objects, key=lambda item: (rank.get(item[1]["kind"], len(rank)), item[0]))


def archive_bytes(archive: pulumi.Archive, masked: bool = False) -> bytes:
    """Zip an archive the way the Pulumi engine uploads it.

    ``masked``: the archive is a secret (the edge function's, whose config.json holds the
    token secret), so generated text members are written as ``[secret]``.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
        _add_archive(zipped, archive, "", masked)
    return buffer.getvalue()


def _add_archive(zipped: zipfile.ZipFile, archive: Any, prefix: str, masked: bool) -> None:
    if isinstance(archive, pulumi.FileArchive):
        root = Path(archive.path)
        for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            zipped.write(path, prefix + path.relative_to(root).as_posix())
    elif isinstance(archive, pulumi.AssetArchive):
        for name, member in sorted(archive.assets.items()):
            if isinstance(member, pulumi.StringAsset):
                zipped.writestr(prefix + name, MASK if masked else member.text)
            elif isinstance(member, pulumi.FileAsset):
                zipped.write(member.path, prefix + name)
            else:
                # A nested archive under "." is merged into the root, as the engine does.
                _add_archive(zipped, member, prefix if name in (".", "") else f"{prefix}{name}/", masked)
    else:
        raise TypeError(f"cannot render archive of type {type(archive).__name__}")


def lambda_archives(snap: Snapshot) -> list[tuple[str, pulumi.Archive, bool]]:
    """(name, archive, is_secret) of every Lambda deployment package."""
    found = []
    for r in snap.all("aws:lambda/function:Function"):
        code = r.inputs.get("code")
        secret = is_secret(code)
        code = code["value"] if secret else code
        if isinstance(code, pulumi.Archive):
            found.append((r.name, code, secret))
    return found


def write(snap: Snapshot, out: Path) -> None:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    inventory = [
        {"type": r.type, "name": r.name, "urn": r.urn, "parent": r.parent, "provider": r.provider,
         "custom": r.custom, "inputs": mask(r.inputs)}
        for r in sorted(snap.registrations, key=lambda r: r.urn)
    ]
    (out / "resources.json").write_text(json.dumps(inventory, indent=2, sort_keys=True) + "\n")
    (out / "summary.txt").write_text(summary(snap))
    objects = kubernetes_objects(snap)
    if objects:
        (out / "kubernetes").mkdir()
        for index, (name, manifest) in enumerate(objects):
            path = out / "kubernetes" / f"{index:03d}-{name}.yaml"
            path.write_text(yaml.safe_dump(manifest, sort_keys=False))
    archives = lambda_archives(snap)
    if archives:
        (out / "lambda").mkdir()
        for name, archive, secret in archives:
            (out / "lambda" / f"{name}.zip").write_bytes(archive_bytes(archive, masked=secret))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stack", help=f"one of: {', '.join(available_stacks())}")
    parser.add_argument("--out", default=str(ROOT / "build"), help="output folder (default: build/)")
    parser.add_argument("--quiet", action="store_true", help="do not print the summary")
    options = parser.parse_args(argv)

    started = time.perf_counter()
    try:
        snap = Snapshot(run_program(options.stack))
    except ProgramError as error:
        print(f"render {options.stack}: the program failed:\n{error}", file=sys.stderr)
        return 1
    out = Path(options.out) / options.stack
    write(snap, out)
    if not options.quiet:
        print(summary(snap), end="")
    problems = check_all(snap) + check_deploy_order(snap) + [str(v) for v in check_policies(snap)]
    elapsed = time.perf_counter() - started
    if problems:
        print(f"\nrender {options.stack}: {len(problems)} rule violation(s):", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print(f"\nrendered {options.stack} to {out} in {elapsed:.2f}s: {len(snap.registrations)} registrations, "
          "program rules, deploy order and policy pack ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
