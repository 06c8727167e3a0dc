"""Every rendered Kubernetes object validates against the Kubernetes 1.31 OpenAPI schemas (strict)."""

from __future__ import annotations

import jsonschema
import kubernetes_validate
import pytest

from tools.harness.render import kubernetes_objects

# Custom resources have no schema in the Kubernetes distribution; their CRDs (the AWS Load
# Balancer Controller's, Karpenter's) are installed by Helm. Karpenter's objects are checked by
# value and against its CRD's patterns in tests/kubernetes/test_node_autoscaling.py.
CUSTOM_KINDS = {"TargetGroupBinding", "NodePool", "EC2NodeClass"}


@pytest.mark.parametrize("stack", ["local", "staging", "prod"])
def test_every_object_is_valid_kubernetes_1_31(stack, request):
    snap = request.getfixturevalue(stack)
    objects = kubernetes_objects(snap)
    assert len(objects) > 40
    checked = 0
    for name, manifest in objects:
        if manifest["kind"] in CUSTOM_KINDS:
            continue
        try:
            kubernetes_validate.validate(manifest, "1.31", strict=True)
        except (kubernetes_validate.ValidationError, jsonschema.ValidationError) as error:
            pytest.fail(f"{stack} {name}: {error.message} at {list(error.path)}")
        checked += 1
    assert checked == len([o for o in objects if o[1]["kind"] not in CUSTOM_KINDS])


def test_the_validator_rejects_what_it_should():
    bad = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
           "spec": {"replicas": "three", "selector": {}, "template": {}}}
    with pytest.raises((kubernetes_validate.ValidationError, jsonschema.ValidationError)):
        kubernetes_validate.validate(bad, "1.31", strict=True)
