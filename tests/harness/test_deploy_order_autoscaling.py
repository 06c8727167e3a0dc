"""The scaling deploy-order rules: each catches the defect it names (synthetic), and the committed stacks pass."""

from __future__ import annotations

import dataclasses

import pytest

from tests.program.test_invariants import registration, synthetic
from tools.harness.deploy_order import ALL_RULES
from tools.harness.deploy_order.autoscaling import AUTOSCALING_AWS_RULES, AUTOSCALING_RULES
from tools.harness.deploy_order.graph import check_rules
from tools.harness.mock_engine import Registration

RULES = {rule.name: rule for rule in AUTOSCALING_RULES + AUTOSCALING_AWS_RULES}
RELEASE = "kubernetes:helm.sh/v3:Release"


def waiting(r: Registration, *others: Registration) -> Registration:
    return dataclasses.replace(r, all_dependencies=tuple(o.urn for o in others))


def with_outputs(r: Registration, **outputs) -> Registration:
    return dataclasses.replace(r, outputs=outputs)


def problems(rule: str, *registrations: Registration) -> list[str]:
    return check_rules(synthetic(*registrations), [RULES[rule]])


def test_every_rule_is_run_by_the_render_and_the_tests():
    assert all(rule in ALL_RULES for rule in AUTOSCALING_RULES + AUTOSCALING_AWS_RULES)


@pytest.mark.parametrize("rule", list(RULES))
def test_the_committed_stacks_keep_every_rule_and_it_applies_to_something(rule, aws_stack):
    assert check_rules(aws_stack, [RULES[rule]]) == []
    applied = [r for r in aws_stack.registrations if RULES[rule].applies_to(r) and RULES[rule].related(aws_stack, r)]
    assert applied, rule


# --- Karpenter's kinds ------------------------------------------------------------------------------------

CRDS = registration("crds", type_=RELEASE, inputs={"chart": "oci://public.ecr.aws/karpenter/karpenter-crd"})
CONTROLLER = registration("controller", type_=RELEASE, inputs={"chart": "oci://public.ecr.aws/karpenter/karpenter"})
POOL_TYPE = "kubernetes:karpenter.sh/v1:NodePool"
CLASS_TYPE = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"


def test_a_node_pool_created_beside_its_crd_chart_is_reported():
    pool = registration("pool", type_=POOL_TYPE, inputs={"metadata": {"name": "tiketi"}})
    assert problems("karpenter-kinds-after-their-crds", CRDS, pool) == [
        f"[karpenter-kinds-after-their-crds] NodePool pool does not wait for Release crds: "
        f"{RULES['karpenter-kinds-after-their-crds'].why} ({RULES['karpenter-kinds-after-their-crds'].source})"]
    assert problems("karpenter-kinds-after-their-crds", CRDS, waiting(pool, CRDS)) == []
    # Without the CRD chart in the program at all, the rule still fails.
    assert len(problems("karpenter-kinds-after-their-crds", pool)) == 1


def test_a_node_class_that_would_outlive_the_controller_on_destroy_is_reported():
    node_class = registration("class", type_=CLASS_TYPE, inputs={"metadata": {"name": "tiketi"}})
    [problem] = problems("karpenter-kinds-deleted-before-the-controller", CONTROLLER, waiting(node_class, CRDS))
    assert problem.startswith("[karpenter-kinds-deleted-before-the-controller] EC2NodeClass class does not wait for "
                              "Release controller")
    assert problems("karpenter-kinds-deleted-before-the-controller", CONTROLLER,
                    waiting(node_class, CONTROLLER)) == []


# --- the controller's permissions and queue ----------------------------------------------------------------

ROLE = with_outputs(registration("role", type_="aws:iam/role:Role"), arn="arn:aws:iam::1:role/karpenter")
POLICY = registration("policy", type_="aws:iam/rolePolicy:RolePolicy", inputs={"role": ROLE.id})
QUEUE = with_outputs(registration("queue", inputs={"name": "tiketi-prod-karpenter-interruptions"}),
                     name="tiketi-prod-karpenter-interruptions",
                     arn="arn:aws:sqs:ap-northeast-2:1:tiketi-prod-karpenter-interruptions",
                     url="https://sqs.ap-northeast-2.amazonaws.com/1/tiketi-prod-karpenter-interruptions")
CONTROLLER_WITH_VALUES = dataclasses.replace(CONTROLLER, inputs={**CONTROLLER.inputs, "values": {
    "serviceAccount": {"annotations": {"eks.amazonaws.com/role-arn": ROLE.outputs["arn"]}},
    "settings": {"interruptionQueue": "tiketi-prod-karpenter-interruptions"}}})


def test_a_controller_that_starts_before_its_policy_or_queue_is_reported():
    rule = "karpenter-controller-after-its-permissions"
    found = problems(rule, ROLE, POLICY, QUEUE, waiting(CONTROLLER_WITH_VALUES, ROLE))
    assert [p.split(":")[0] for p in found] == [f"[{rule}] Release controller does not wait for RolePolicy policy",
                                               f"[{rule}] Release controller does not wait for Queue queue"]
    assert problems(rule, ROLE, POLICY, QUEUE, waiting(CONTROLLER_WITH_VALUES, POLICY, QUEUE)) == []
    # A queue the program never creates is reported as missing, not passed.
    [missing] = problems(rule, ROLE, POLICY, waiting(CONTROLLER_WITH_VALUES, POLICY))
    assert missing.startswith(f"[{rule}] Release controller does not wait for Missing the interruption queue (not in "
                              "this program)")


def test_an_eventbridge_target_created_before_the_queue_policy_is_reported():
    rule = "interruption-target-after-its-queue-policy"
    queue_policy = registration("queue-policy", type_="aws:sqs/queuePolicy:QueuePolicy",
                                inputs={"queueUrl": QUEUE.outputs["url"]})
    target = registration("target", type_="aws:cloudwatch/eventTarget:EventTarget",
                          inputs={"arn": QUEUE.outputs["arn"]})
    [problem] = problems(rule, QUEUE, queue_policy, waiting(target, QUEUE))
    assert problem.startswith(f"[{rule}] EventTarget target does not wait for QueuePolicy queue-policy")
    assert problems(rule, QUEUE, queue_policy, waiting(target, queue_policy)) == []
    assert len(problems(rule, QUEUE, waiting(target, QUEUE))) == 1  # no queue policy at all


# --- the NodePool's class and node access ------------------------------------------------------------------

NODE_ROLE = with_outputs(registration("node-role", type_="aws:iam/role:Role"),
                         arn="arn:aws:iam::1:role/node", name="node-role-1234567")
ENTRY = registration("entry", type_="aws:eks/accessEntry:AccessEntry",
                     inputs={"principalArn": "arn:aws:iam::1:role/node"})
NODE_CLASS = registration("class", type_=CLASS_TYPE,
                          inputs={"metadata": {"name": "tiketi"}, "spec": {"role": "node-role-1234567"}})
POOL = registration("pool", type_=POOL_TYPE, inputs={"metadata": {"name": "tiketi"}, "spec": {"template": {
    "spec": {"nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "tiketi"}}}}})


def test_a_node_pool_whose_nodes_could_not_join_is_reported():
    rule = "node-pool-after-its-class-and-node-access"
    [problem] = problems(rule, NODE_ROLE, ENTRY, NODE_CLASS, waiting(POOL, NODE_CLASS))
    assert problem.startswith(f"[{rule}] NodePool pool does not wait for AccessEntry entry")
    assert problems(rule, NODE_ROLE, ENTRY, NODE_CLASS, waiting(POOL, NODE_CLASS, ENTRY)) == []
    # No access entry for the class's role anywhere: reported as missing, not passed.
    assert len(problems(rule, NODE_ROLE, NODE_CLASS, waiting(POOL, NODE_CLASS))) == 1


# --- workloads: priority classes and readiness gates ------------------------------------------------------

NS = "tiketi-prod"


def deployment(name: str, pod: dict) -> Registration:
    return registration(name, type_="kubernetes:apps/v1:Deployment", inputs={
        "metadata": {"name": name, "namespace": NS},
        "spec": {"template": {"metadata": {"labels": {"app": name}}, "spec": pod}}})


def test_a_deployment_created_before_its_priority_class_is_reported():
    rule = "workload-after-its-priority-class"
    critical = registration("critical", type_="kubernetes:scheduling.k8s.io/v1:PriorityClass",
                            inputs={"metadata": {"name": "tiketi-critical"}})
    gateway = deployment("gateway-service", {"priorityClassName": "tiketi-critical"})
    [problem] = problems(rule, critical, gateway)
    assert problem.startswith(f"[{rule}] Deployment gateway-service does not wait for PriorityClass critical")
    assert problems(rule, critical, waiting(gateway, critical)) == []
    assert len(problems(rule, gateway)) == 1  # the class is created nowhere
    assert problems(rule, deployment("x", {"priorityClassName": "system-cluster-critical"})) == []  # built in


def test_a_bound_deployment_created_before_its_binding_gets_no_readiness_gate():
    rule = "bound-workload-after-its-binding"
    namespace = registration("ns", type_="kubernetes:core/v1:Namespace", inputs={"metadata": {
        "name": NS, "labels": {"elbv2.k8s.aws/pod-readiness-gate-inject": "enabled"}}})
    service = registration("svc", type_="kubernetes:core/v1:Service", inputs={
        "metadata": {"name": "gateway-service", "namespace": NS}, "spec": {"selector": {"app": "gateway-service"}}})
    binding = registration("binding", type_="kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding", inputs={
        "metadata": {"name": "gateway-service", "namespace": NS}, "spec": {"serviceRef": {"name": "gateway-service"}}})
    gateway = deployment("gateway-service", {})
    [problem] = problems(rule, namespace, service, binding, gateway)
    assert problem.startswith(f"[{rule}] Deployment gateway-service does not wait for TargetGroupBinding binding")
    assert problems(rule, namespace, service, binding, waiting(gateway, binding)) == []
    # Without readiness gates on the namespace, there is nothing to wait for.
    plain = dataclasses.replace(namespace, inputs={"metadata": {"name": NS, "labels": {}}})
    assert problems(rule, plain, service, binding, gateway) == []


def test_a_controller_chart_installed_before_any_node_is_reported():
    rule = "controller-chart-after-its-nodes"
    nodes = registration("nodes", type_="aws:eks/nodeGroup:NodeGroup")
    metrics = registration("metrics", type_=RELEASE, inputs={"chart": "metrics-server"})
    [problem] = problems(rule, nodes, metrics)
    assert problem.startswith(f"[{rule}] Release metrics does not wait for NodeGroup nodes")
    assert problems(rule, nodes, waiting(metrics, nodes)) == []
    assert problems(rule, nodes, CRDS) == []  # a chart of CRDs runs no pod


def test_a_pod_workload_applied_before_any_eks_node_is_reported():
    rule = "pod-workload-after-its-nodes"
    cluster = registration("eks", type_="aws:eks/cluster:Cluster")
    nodes = registration("nodes", type_="aws:eks/nodeGroup:NodeGroup")
    collector = deployment("adot-collector", {})
    [problem] = problems(rule, cluster, nodes, collector)
    assert problem.startswith(f"[{rule}] Deployment adot-collector does not wait for NodeGroup nodes")
    assert problems(rule, cluster, nodes, waiting(collector, nodes)) == []
    # kind's nodes exist before Pulumi runs: nothing to wait for there.
    assert problems(rule, collector) == []
