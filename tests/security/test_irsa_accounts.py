"""Every IRSA service account asks the pod identity webhook for the regional STS endpoint.

``eks.amazonaws.com/sts-regional-endpoints: "true"`` makes the webhook set AWS_STS_REGIONAL_ENDPOINTS=regional
(aws/amazon-eks-pod-identity-webhook README). The pods' egress reaches 443 only inside the VPC, where the STS
interface endpoint is; an SDK that defaulted to the global sts.amazonaws.com would be dropped (review finding 8).
"""

from __future__ import annotations

from collections.abc import Iterator

from tools.harness.render import kubernetes_objects
from tools.harness.snapshot import Snapshot

ROLE = "eks.amazonaws.com/role-arn"
REGIONAL = "eks.amazonaws.com/sts-regional-endpoints"


def _annotated(value, where: str) -> Iterator[tuple[str, dict]]:
    """Every dict under ``value`` that names an IRSA role (Helm values nest the account's annotations)."""
    if isinstance(value, dict):
        if ROLE in value:
            yield where, value
        for key, inner in value.items():
            yield from _annotated(inner, f"{where}.{key}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _annotated(inner, f"{where}[{index}]")


def irsa_accounts(snap: Snapshot) -> dict[str, dict]:
    found = {}
    for _, m in kubernetes_objects(snap):
        if m["kind"] == "ServiceAccount" and ROLE in m["metadata"].get("annotations", {}):
            found[f"ServiceAccount {m['metadata']['namespace']}/{m['metadata']['name']}"] = m["metadata"]["annotations"]
    for release in snap.all("kubernetes:helm.sh/v3:Release"):
        chart = release.inputs["chart"].rsplit("/", 1)[-1]
        for where, found_annotations in _annotated(release.inputs.get("values", {}), f"Release {chart}"):
            found[where] = found_annotations
    return found


def test_every_irsa_account_uses_the_regional_sts_endpoint(aws_stack):
    accounts = irsa_accounts(aws_stack)
    ns = aws_stack.config("tiketi:workloads")["namespace"]
    # Not vacuous: ticket-service's SQS producer, both collectors, each Secrets Manager reader (one per workload
    # with a Secret, and the database bootstrap's) and the two controller charts.
    readers = [f"{ns}/{s}-service-secrets-sync" for s in ("auth", "community", "gateway", "payment", "queue",
                                                           "stats", "ticket")]
    assert set(accounts) == {
        *(f"ServiceAccount {a}" for a in (f"{ns}/ticket-service", "observability/adot-collector",
                                          "observability/adot-metrics", f"{ns}-db-bootstrap/database-bootstrap-sync",
                                          *readers)),
        "Release aws-load-balancer-controller.serviceAccount.annotations",
        "Release karpenter.serviceAccount.annotations"}
    assert {where: annotations.get(REGIONAL) for where, annotations in accounts.items()} == {
        where: "true" for where in accounts}
