"""The secret-sync deploy-order rules, and the key policy naming a role: each catches its defect (synthetic)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from tests.program.test_invariants import registration, synthetic
from tools.harness.deploy_order import check_deploy_order
from tools.harness.deploy_order.aws import AWS_RULES
from tools.harness.deploy_order.graph import check_rules
from tools.harness.deploy_order.kubernetes import KUBERNETES_RULES
from tools.harness.mock_engine import Registration

RULES = {rule.name: rule for rule in KUBERNETES_RULES + AWS_RULES}
NS = "tiketi-prod"
ROLE_ARN = "arn:aws:iam::123456789012:role/auth-secrets"
USER_SECRET = "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:tiketi-prod/db/auth-service-AbCdEf"


def _with(r: Registration, **changes) -> Registration:
    return dataclasses.replace(r, **changes)


def waiting_for(r: Registration, *others: Registration) -> Registration:
    return _with(r, all_dependencies=tuple(o.urn for o in others))


ESO = registration("eso", type_="kubernetes:helm.sh/v3:Release", inputs={"chart": "external-secrets"})
ROLE = _with(registration("role", type_="aws:iam/role:Role"), outputs={"arn": ROLE_ARN, "name": "role-1"})
READ = registration("read", type_="aws:iam/rolePolicy:RolePolicy", inputs={
    "role": "role-id", "policy": json.dumps({"Statement": [{"Action": ["secretsmanager:GetSecretValue"]}]})})
ACCOUNT = registration("account", type_="kubernetes:core/v1:ServiceAccount", inputs={
    "metadata": {"name": "auth-secrets-sync", "namespace": NS,
                 "annotations": {"eks.amazonaws.com/role-arn": ROLE_ARN}}})
STORE = registration("store", type_="kubernetes:external-secrets.io/v1:SecretStore", inputs={
    "metadata": {"name": "auth-secrets", "namespace": NS},
    "spec": {"provider": {"aws": {"auth": {"jwt": {"serviceAccountRef": {"name": "auth-secrets-sync"}}}}}}})


def external(name: str = "auth-secrets", keys: dict | None = None, awaited: bool = True) -> Registration:
    annotations = {"pulumi.com/waitFor": "condition=Ready"} if awaited else {}
    keys = keys or {"SPRING_DATASOURCE_PASSWORD": USER_SECRET}
    return registration(f"{name}-external", type_="kubernetes:external-secrets.io/v1:ExternalSecret", inputs={
        "metadata": {"name": name, "namespace": NS, "annotations": annotations},
        "spec": {"secretStoreRef": {"kind": "SecretStore", "name": "auth-secrets"}, "target": {"name": name},
                 "data": [{"secretKey": k, "remoteRef": {"key": v, "property": "password"}} for k, v in keys.items()]}})


def workload(name: str, secret: str, type_: str = "kubernetes:apps/v1:Deployment") -> Registration:
    pod = {"containers": [{"name": "app", "envFrom": [{"secretRef": {"name": secret}}]}]}
    return registration(name, type_=type_, inputs={"metadata": {"name": name, "namespace": NS},
                                                   "spec": {"template": {"spec": pod}}})


ROLE_WITH_ID = _with(ROLE, id="role-id")


def test_a_store_or_external_secret_created_beside_the_operator_is_reported():
    rule = RULES["external-secrets-object-after-the-operator"]
    es = external()
    assert check_rules(synthetic(ESO, es), [rule]) == [
        f"[external-secrets-object-after-the-operator] ExternalSecret {es.name} does not wait for Release eso: "
        f"{rule.why} ({rule.source})"]
    assert check_rules(synthetic(ESO, waiting_for(es, ESO)), [rule]) == []
    assert "not installed by this program" in check_rules(synthetic(STORE), [rule])[0]


def test_an_external_secret_must_wait_for_its_roles_read_permission():
    rule = RULES["external-secret-after-its-read-permission"]
    es = external()
    problems = check_rules(synthetic(ROLE_WITH_ID, READ, ACCOUNT, STORE, es), [rule])
    assert problems == [f"[external-secret-after-its-read-permission] ExternalSecret {es.name} does not wait for "
                        f"RolePolicy read: {rule.why} ({rule.source})"]
    assert check_rules(synthetic(ROLE_WITH_ID, READ, ACCOUNT, STORE, waiting_for(es, READ)), [rule]) == []
    # A store whose role no policy lets read is reported too (it could never sync).
    alone = check_rules(synthetic(ROLE_WITH_ID, ACCOUNT, STORE, es), [rule])
    assert "no policy grants the store's role" in alone[0]


def test_a_workload_reading_a_synced_secret_waits_for_an_awaited_external_secret():
    rule = RULES["workload-after-its-config"]
    es, app = external(), workload("auth", "auth-secrets")
    assert len(check_rules(synthetic(es, app), [rule])) == 1
    assert check_rules(synthetic(es, waiting_for(app, es)), [rule]) == []
    # Without pulumi.com/waitFor the ExternalSecret is "created" before its Secret exists: not enough.
    lazy = external(awaited=False)
    [problem] = check_rules(synthetic(lazy, waiting_for(app, lazy)), [rule])
    assert "which Pulumi does not wait for (no pulumi.com/waitFor: condition=Ready)" in problem


def test_a_database_service_waits_for_the_job_that_creates_its_login():
    rule = RULES["service-after-its-database-role"]
    service_secret = external("auth-secrets")
    job_secret = external("database-bootstrap", keys={"AUTH_SERVICE_PASSWORD": USER_SECRET, "PGPASSWORD": "master"})
    job = workload("bootstrap", "database-bootstrap", type_="kubernetes:batch/v1:Job")
    app = workload("auth", "auth-secrets")
    snap = synthetic(service_secret, job_secret, job, app)
    assert check_rules(snap, [rule]) == [
        f"[service-after-its-database-role] Deployment auth does not wait for Job bootstrap: {rule.why} "
        f"({rule.source})"]
    assert check_rules(synthetic(service_secret, job_secret, job, waiting_for(app, job)), [rule]) == []
    # No Job reads the user's secret: nothing creates the login.
    assert "no Job creates this service's database login" in check_rules(synthetic(service_secret, app), [rule])[0]
    # A service without database keys waits for no Job.
    redis = external("gw-secrets", keys={"SPRING_DATA_REDIS_PASSWORD": "arn:redis"})
    assert check_rules(synthetic(redis, job_secret, job, workload("gw", "gw-secrets")), [rule]) == []


def test_reloader_waits_for_the_namespace_it_watches():
    rule = RULES["reloader-after-the-namespace-it-watches"]
    namespace = registration("ns", type_="kubernetes:core/v1:Namespace", inputs={"metadata": {"name": NS}})
    reloader = registration("reloader", type_="kubernetes:helm.sh/v3:Release",
                            inputs={"chart": "reloader", "values": {"reloader": {"namespaces": [NS]}}})
    assert len(check_rules(synthetic(namespace, reloader), [rule])) == 1
    assert check_rules(synthetic(namespace, waiting_for(reloader, namespace)), [rule]) == []


@pytest.mark.parametrize("type_,key", [("aws:kms/key:Key", "policy"), ("aws:sqs/queuePolicy:QueuePolicy", "policy"),
                                       ("aws:iam/role:Role", "assumeRolePolicy")])
def test_a_policy_waits_for_the_roles_its_principals_name(type_, key):
    # aws.py's policy-principals-exist, extended to key policies for the EKS secrets key (it names the cluster role).
    rule = RULES["policy-principals-exist"]
    document = json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"AWS": [ROLE_ARN]}, "Action": "x"}]})
    policy = registration("policy", type_=type_, inputs={key: document})
    assert check_rules(synthetic(ROLE, policy), [rule]) == [
        f"[policy-principals-exist] {type_.split(':')[-1]} policy does not wait for Role role: "
        f"{rule.why} ({rule.source})"]
    assert check_rules(synthetic(ROLE, waiting_for(policy, ROLE)), [rule]) == []
    # A role the program does not create (an operator's, from config) is the operator's to provide.
    assert check_rules(synthetic(policy), [rule]) == []


def test_every_stack_passes_them(any_stack):
    assert check_deploy_order(any_stack) == []


def test_the_rules_apply_to_the_stacks_objects(prod):
    # Not vacuous: on prod each rule relates real resources.
    graph_rules = {rule.name: rule for rule in KUBERNETES_RULES + AWS_RULES}
    related = {name: sum(1 for r in prod.registrations if rule.applies_to(r) for _ in rule.related(prod, r))
               for name, rule in graph_rules.items() if name in {
                   "external-secrets-object-after-the-operator", "external-secret-after-its-read-permission",
                   "service-after-its-database-role", "reloader-after-the-namespace-it-watches",
                   "policy-principals-exist"}}
    assert related == {"external-secrets-object-after-the-operator": 16,
                       "external-secret-after-its-read-permission": 8,
                       "service-after-its-database-role": 5,
                       "reloader-after-the-namespace-it-watches": 1,
                       "policy-principals-exist": related["policy-principals-exist"]}
    # Among them the EKS secrets key naming the cluster role.
    key = prod.one("aws:kms/key:Key", description="tiketi-prod: EKS secrets envelope encryption")
    assert [r.name for r in RULES["policy-principals-exist"].related(prod, key)] == ["cluster-control-plane"]
