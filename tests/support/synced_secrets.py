"""What the External Secrets Operator writes: each ExternalSecret resolved against the stack's Secrets Manager.

On AWS the services' Secrets never pass through Pulumi: each ExternalSecret names Secrets Manager
secrets by ARN. ``materialise`` plays the operator: it resolves every ``data`` entry against what
the stack wrote into Secrets Manager (the SecretVersions' values, from the generated passwords)
and what RDS generates for the master (a stand-in value), then renders the template the way the
operator does (mergePolicy Replace: only the template's keys, ``{{ .name }}`` replaced), so tests
can compare the resulting Secrets value by value.
"""

from __future__ import annotations

import json
import re

from tests.support.manifests import of_kind
from tools.harness.snapshot import Snapshot, unwrap

MASTER_VALUE = {"username": "tiketi_admin", "password": "rds-generated-master-password"}


def secrets_manager(snap: Snapshot) -> dict[str, object]:
    """ARN -> current value, as the stack leaves Secrets Manager (JSON secrets parsed)."""
    by_id = {r.id: r for r in snap.all("aws:secretsmanager/secret:Secret")}
    values: dict[str, object] = {}
    for version in snap.all("aws:secretsmanager/secretVersion:SecretVersion"):
        text = unwrap(version.inputs["secretString"])
        values[by_id[unwrap(version.inputs["secretId"])].outputs["arn"]] = (
            json.loads(text) if text.startswith("{") else text)
    master = snap.one("aws:rds/instance:Instance").outputs["masterUserSecrets"][0]["secretArn"]
    values[master] = MASTER_VALUE
    return values


def materialise(snap: Snapshot, external: dict) -> dict[str, str]:
    """The Secret the operator writes for the ExternalSecret manifest ``external``."""
    store = secrets_manager(snap)
    fetched = {}
    for item in external["spec"]["data"]:
        value = store[item["remoteRef"]["key"]]
        prop = item["remoteRef"].get("property")
        fetched[item["secretKey"]] = value[prop] if prop else value
    template = external["spec"]["target"].get("template")
    if not template:
        return fetched
    assert template["engineVersion"] == "v2" and template["mergePolicy"] == "Replace"
    return {key: re.sub(r"\{\{ \.(\w+) \}\}", lambda m: fetched[m[1]], text) for key, text in template["data"].items()}


def services_secrets(snap: Snapshot) -> dict[str, dict[str, str]]:
    """service -> its Secret, for every service with one."""
    namespace = snap.config("tiketi:workloads")["namespace"]
    return {name.removesuffix("-secrets"): materialise(snap, external)
            for name, external in of_kind(snap, "ExternalSecret", namespace).items()}
