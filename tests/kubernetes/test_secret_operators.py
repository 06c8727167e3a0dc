"""The External Secrets Operator and Reloader releases: pinned charts, scoped to what this stack needs."""

from __future__ import annotations

from components.kubernetes.cluster_addons import OFF_KARPENTER_NODES
from tools.harness.deploy_order import DependencyGraph
from tools.harness.snapshot import unwrap


def release(snap, chart: str):
    return snap.one("kubernetes:helm.sh/v3:Release", chart=chart)


def test_the_operator_serves_namespaced_stores_only_and_pulls_nothing(aws_stack):
    eso = release(aws_stack, "external-secrets")
    assert (eso.inputs["version"], eso.inputs["namespace"], eso.inputs["createNamespace"]) == (
        "2.9.0", "external-secrets", True)
    assert eso.inputs["repositoryOpts"] == {"repo": "https://charts.external-secrets.io"}
    values = unwrap(eso.inputs["values"])
    assert values == {
        "installCRDs": True,
        # No ClusterSecretStore or ClusterExternalSecret could reach across namespaces; nothing is pushed.
        "processClusterStore": False, "processClusterExternalSecret": False,
        "processPushSecret": False, "processClusterPushSecret": False,
        "webhook": {"failurePolicy": "Fail", "affinity": OFF_KARPENTER_NODES},
        # No IRSA annotation: the controller itself may read nothing in Secrets Manager.
        "serviceAccount": {"create": True, "name": "external-secrets"},
        # All three Deployments on the managed node group, never on a node Karpenter may consolidate away.
        "affinity": OFF_KARPENTER_NODES, "certController": {"affinity": OFF_KARPENTER_NODES},
    }
    assert OFF_KARPENTER_NODES["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] == {
        "nodeSelectorTerms": [{"matchExpressions": [{"key": "karpenter.sh/nodepool", "operator": "DoesNotExist"}]}]}
    # Helm waits for the Deployments: the release waits for the nodes they run on.
    assert DependencyGraph(aws_stack).waits_for(eso, aws_stack.one("aws:eks/nodeGroup:NodeGroup"))


def test_reloader_watches_the_workloads_namespace_only(aws_stack):
    reloader = release(aws_stack, "reloader")
    assert (reloader.inputs["version"], reloader.inputs["namespace"]) == ("2.2.16", "reloader")
    assert reloader.inputs["repositoryOpts"] == {"repo": "https://stakater.github.io/stakater-charts"}
    values = unwrap(reloader.inputs["values"])["reloader"]
    namespace = aws_stack.config("tiketi:workloads")["namespace"]
    assert (values["watchGlobally"], values["namespaces"], values["reloadStrategy"]) == (False, [namespace],
                                                                                        "annotations")
    assert values["ignoreConfigMaps"] is True and values["readOnlyRootFileSystem"] is True
    assert values["deployment"]["containerSecurityContext"] == {
        "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}
    assert values["deployment"]["affinity"] == OFF_KARPENTER_NODES
    graph = DependencyGraph(aws_stack)
    assert graph.waits_for(reloader, aws_stack.one("aws:eks/nodeGroup:NodeGroup"))
    [workloads_ns] = [n for n in aws_stack.all("kubernetes:core/v1:Namespace")
                      if n.inputs["metadata"]["name"] == namespace]
    assert graph.waits_for(reloader, workloads_ns)


def test_every_store_and_external_secret_waits_for_the_operator(prod):
    graph = DependencyGraph(prod)
    eso = release(prod, "external-secrets")
    synced = prod.all("kubernetes:external-secrets.io/v1:ExternalSecret") + prod.all(
        "kubernetes:external-secrets.io/v1:SecretStore")
    assert len(synced) == 16 and all(graph.waits_for(r, eso) for r in synced)


def test_the_local_stack_has_no_operator(local):
    assert local.all("kubernetes:helm.sh/v3:Release") == []
