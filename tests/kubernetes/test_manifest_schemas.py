"""Every rendered Kubernetes object validates against its schema, strictly.

Built-in kinds: the Kubernetes 1.31 OpenAPI schemas (kubernetes-validate). The External Secrets
Operator's kinds: the v1 schemas of its CRDs at chart 2.9.0 (tests/kubernetes/schemas/, with the
source recorded in the file), made strict the way kubernetes-validate's strict schemas are (no
property the schema does not name), so a misspelt field fails here instead of being pruned by the
API server.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest

from tools.harness.render import kubernetes_objects

# The AWS Load Balancer Controller's CRDs (and Karpenter's) are installed by Helm; no schema is vendored for
# them. Karpenter's objects are checked by value and against its CRD's patterns in
# tests/kubernetes/test_node_autoscaling.py.
UNCHECKED_KINDS = {"TargetGroupBinding", "NodePool", "EC2NodeClass"}
CRD_SCHEMAS = json.loads((Path(__file__).parent / "schemas" / "external-secrets-v1.json").read_text())


def strict(schema: dict) -> dict:
    """The schema with ``additionalProperties: false`` wherever it lists properties (and allows no others)."""
    schema = copy.deepcopy(schema)

    def walk(node: dict) -> None:
        if not isinstance(node, dict):
            return
        if "properties" in node and "additionalProperties" not in node \
                and not node.get("x-kubernetes-preserve-unknown-fields"):
            node["additionalProperties"] = False
        for key in ("properties", "patternProperties"):
            for child in node.get(key, {}).values():
                walk(child)
        for key in ("items", "additionalProperties", "not"):
            walk(node.get(key))
        for key in ("allOf", "anyOf", "oneOf"):
            for child in node.get(key, []):
                walk(child)

    walk(schema)
    return schema


STRICT = {}


def validate_custom(manifest: dict) -> None:
    if manifest["kind"] not in STRICT:
        STRICT[manifest["kind"]] = jsonschema.Draft7Validator(strict(CRD_SCHEMAS[manifest["kind"]]))
    # The CRD's schema types metadata as a bare object; the API server validates it as ObjectMeta.
    kubernetes_validate.validate({"apiVersion": "v1", "kind": "ConfigMap", "metadata": manifest["metadata"]},
                                 "1.31", strict=True)
    STRICT[manifest["kind"]].validate(manifest)


@pytest.mark.parametrize("stack", ["local", "staging", "prod"])
def test_every_object_is_valid(stack, request):
    snap = request.getfixturevalue(stack)
    objects = kubernetes_objects(snap)
    assert len(objects) > 40
    checked = 0
    for name, manifest in objects:
        if manifest["kind"] in UNCHECKED_KINDS:
            continue
        try:
            if manifest["apiVersion"] == "external-secrets.io/v1":
                validate_custom(manifest)
            else:
                kubernetes_validate.validate(manifest, "1.31", strict=True)
        except (kubernetes_validate.ValidationError, jsonschema.ValidationError) as error:
            pytest.fail(f"{stack} {name}: {error.message} at {list(error.path)}")
        checked += 1
    assert checked == len([o for o in objects if o[1]["kind"] not in UNCHECKED_KINDS])
    synced = [m for _, m in objects if m["apiVersion"] == "external-secrets.io/v1"]
    assert len(synced) == (0 if stack == "local" else 16)  # 8 SecretStores and 8 ExternalSecrets


def test_the_validator_rejects_what_it_should():
    bad = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
           "spec": {"replicas": "three", "selector": {}, "template": {}}}
    with pytest.raises((kubernetes_validate.ValidationError, jsonschema.ValidationError)):
        kubernetes_validate.validate(bad, "1.31", strict=True)


@pytest.mark.parametrize("field,value", [
    ("refreshIntervall", "5m"),  # misspelt: the API server would prune it and keep the 1h default
    ("data", [{"secretKey": "A", "remoteRef": {"key": "k", "propery": "password"}}]),
    ("target", {"name": "x", "creationPolicy": "Sometimes"}),  # not one of the policies
])
def test_the_external_secret_schema_rejects_what_it_should(field, value):
    good = {"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
            "metadata": {"name": "x", "namespace": "tiketi-prod"},
            "spec": {"refreshInterval": "5m", "secretStoreRef": {"kind": "SecretStore", "name": "x"},
                     "target": {"name": "x", "creationPolicy": "Owner"},
                     "data": [{"secretKey": "A", "remoteRef": {"key": "k", "property": "password"}}]}}
    validate_custom(good)
    bad = copy.deepcopy(good)
    bad["spec"][field] = value
    with pytest.raises(jsonschema.ValidationError):
        validate_custom(bad)
