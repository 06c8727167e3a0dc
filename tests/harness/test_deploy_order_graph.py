"""The deploy-order graph follows Pulumi's dependency semantics (tools/harness/deploy_order/graph.py)."""

from __future__ import annotations

import dataclasses

from tests.program.test_invariants import COMPONENT, registration, synthetic
from tools.harness.deploy_order import DependencyGraph, OrderRule, check_rules
from tools.harness.mock_engine import Registration


def _with(r: Registration, **changes) -> Registration:
    return dataclasses.replace(r, **changes)


BUCKET = registration("bucket", type_="aws:s3/bucket:Bucket")
POLICY = registration("policy", type_="aws:s3/bucketPolicy:BucketPolicy")
OTHER_COMPONENT = Registration(urn="urn:pulumi:prod::tiketi::tiketi:test:Other::other", type="tiketi:test:Other",
                               name="other", parent=None, provider=None, custom=False, inputs={},
                               all_dependencies=(POLICY.urn,))
CHILD = _with(registration("child", type_="aws:lb/loadBalancer:LoadBalancer"), parent=OTHER_COMPONENT.urn)


def test_a_child_waits_for_what_its_component_depends_on():
    graph = DependencyGraph(synthetic(BUCKET, POLICY, OTHER_COMPONENT, CHILD))
    assert graph.waits_for(CHILD, POLICY)
    assert [r.name for r in graph.path(CHILD, POLICY)] == ["child", "other", "policy"]
    assert not graph.waits_for(CHILD, BUCKET)


def test_dependencies_and_property_dependencies_are_edges_and_transitive():
    policy = _with(POLICY, dependencies={"bucket": (BUCKET.urn,)})
    alb = _with(registration("alb", type_="aws:lb/loadBalancer:LoadBalancer"), all_dependencies=(policy.urn,))
    graph = DependencyGraph(synthetic(BUCKET, policy, alb))
    assert graph.waits_for(alb, BUCKET)
    assert not graph.waits_for(BUCKET, alb)


def test_a_resource_waits_for_its_provider_and_what_the_provider_was_built_from():
    cluster = registration("eks", type_="aws:eks/cluster:Cluster")
    provider = _with(registration("k8s", type_="pulumi:providers:kubernetes"),
                     dependencies={"kubeconfig": (cluster.urn,)})
    deployment = _with(registration("app", type_="kubernetes:apps/v1:Deployment"),
                       provider=f"{provider.urn}::{provider.id}")
    graph = DependencyGraph(synthetic(cluster, provider, deployment))
    assert graph.waits_for(deployment, cluster)


NEEDS_POLICY = OrderRule("needs-policy", ("aws:lb/loadBalancer:LoadBalancer",),
                         related=lambda snap, r: snap.all("aws:s3/bucketPolicy:BucketPolicy"),
                         why="access logs need the bucket policy", source="AWS ELB docs")


def test_a_needs_rule_reports_the_missing_wait_and_passes_once_it_exists():
    alb = registration("alb", type_="aws:lb/loadBalancer:LoadBalancer")
    assert check_rules(synthetic(POLICY, alb), [NEEDS_POLICY]) == [
        "[needs-policy] LoadBalancer alb does not wait for BucketPolicy policy: access logs need the bucket policy "
        "(AWS ELB docs)"]
    assert check_rules(synthetic(POLICY, _with(alb, all_dependencies=(POLICY.urn,))), [NEEDS_POLICY]) == []


def test_a_must_not_wait_rule_names_the_chain():
    rule = OrderRule("no-wait", ("aws:lb/loadBalancer:LoadBalancer",),
                     related=lambda snap, r: snap.all("aws:s3/bucketPolicy:BucketPolicy"),
                     why="it would deadlock", source="test", kind="must-not-wait")
    assert check_rules(synthetic(BUCKET, POLICY, OTHER_COMPONENT, CHILD), [rule]) == [
        "[no-wait] LoadBalancer child waits for BucketPolicy policy (LoadBalancer child -> Other other -> "
        "BucketPolicy policy): it would deadlock (test)"]


def test_components_are_never_the_subject_of_a_rule():
    every = OrderRule("every", ("*",), related=lambda snap, r: [POLICY], why="x", source="y")
    assert every.applies_to(BUCKET) and not every.applies_to(COMPONENT)


def test_on_the_real_stack_kubernetes_objects_wait_for_the_eks_cluster_through_their_provider(prod):
    graph = DependencyGraph(prod)
    [cluster] = prod.all("aws:eks/cluster:Cluster")
    bindings = prod.all("kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding")
    assert len(bindings) == 3
    assert all(graph.waits_for(binding, cluster) for binding in bindings)
