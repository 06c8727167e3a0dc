"""components/config/kubernetes.py: tiketi:cluster, tiketi:workloads and tiketi:kubernetes."""

from __future__ import annotations

from datetime import date

import pytest

from components.config import eks_versions, parse_stack_config
from components.config.errors import HIDDEN
from components.config.kubernetes import check_image_tag
from tests.support.config import CLUSTER, KIND, WORKLOADS, aws_config, parse, parse_aws, problem_with, problems_of

# --- tiketi:cluster -----------------------------------------------------------------------------


def test_prod_cluster_config():
    # A small fixed group for the controllers (one node per zone); Karpenter adds the services' nodes.
    config = parse("prod")
    cluster = config.cluster
    assert (cluster.version, cluster.instance_types, cluster.ami_type) == ("1.35", ["m7g.large"],
                                                                          "AL2023_ARM_64_STANDARD")
    assert cluster.support_type == "STANDARD"
    assert (cluster.capacity_type, cluster.min_size, cluster.desired_size, cluster.max_size) == (
        "ON_DEMAND", 3, 3, 6)
    assert [str(c) for c in cluster.public_access_cidrs] == ["203.0.113.0/24"]


def test_staging_cluster_keeps_its_controllers_on_demand_on_fewer_nodes():
    # The controllers (Karpenter among them) on on-demand nodes: a spot reclaim must not take the
    # autoscaler away when capacity is tight; the services' nodes may be spot (tiketi:autoscaling).
    cluster = parse("staging").cluster
    assert (cluster.capacity_type, cluster.min_size, cluster.desired_size, cluster.max_size) == ("ON_DEMAND", 2, 2, 4)
    assert cluster.instance_types == ["m7g.large"]


# The review's day (2026-11-28): 1.30 and 1.31 have left extended support, 1.32 and 1.33 are in it,
# 1.34 and 1.35 in standard support (components/config/eks_versions.py).
REVIEW_DAY = date(2026, 11, 28)


@pytest.fixture
def on_review_day(monkeypatch):
    monkeypatch.setattr(eks_versions, "today", lambda: REVIEW_DAY)


@pytest.mark.parametrize("version", ["1.29", "1.36", "2.0"])
def test_eks_version_range(version, on_review_day):  # ClusterSettings._eks_version
    assert problem_with("cluster", version=version) == (
        f'tiketi:cluster.version: "{version}" is not an EKS version with known support dates; expected one of '
        "1.32, 1.33, 1.34, 1.35 (dates in components/config/eks_versions.py)")


@pytest.mark.parametrize(("version", "ended"), [("1.30", "2026-07-23"), ("1.31", "2026-11-26")])
def test_a_version_past_extended_support_is_refused(version, ended, on_review_day):  # ClusterSettings._eks_version
    assert problem_with("cluster", version=version, supportType="EXTENDED") == (
        f'tiketi:cluster.version: "{version}" has reached the end of EKS extended support on {ended}: EKS creates no '
        "cluster at it and upgrades existing ones; expected one of 1.32, 1.33, 1.34, 1.35")


def test_the_day_before_extended_support_ends_the_version_is_still_accepted(monkeypatch):
    monkeypatch.setattr(eks_versions, "today", lambda: date(2026, 11, 25))
    assert parse_aws(**{"tiketi:cluster": {**CLUSTER, "version": "1.31", "supportType": "EXTENDED"}}
                     ).cluster.version == "1.31"


@pytest.mark.parametrize(("version", "left"), [("1.32", "2026-03-23"), ("1.33", "2026-07-29")])
def test_a_version_in_extended_support_needs_support_type_extended(version, left, on_review_day):
    # ClusterSettings._support
    assert problem_with("cluster", version=version) == (
        f'tiketi:cluster.version: "{version}" left EKS standard support on {left} and tiketi:cluster.supportType is '
        "STANDARD, which EKS allows only for versions in standard support; expected one of 1.34, 1.35, or set "
        "supportType to EXTENDED to pay $0.60 instead of $0.10 per cluster hour")
    extended = parse_aws(**{"tiketi:cluster": {**CLUSTER, "version": version, "supportType": "EXTENDED"}}).cluster
    assert (extended.version, extended.support_type) == (version, "EXTENDED")


def test_the_default_version_is_in_standard_support_with_the_standard_policy(on_review_day):
    cluster = parse_aws().cluster
    assert (cluster.version, cluster.support_type) == ("1.35", "STANDARD")
    assert eks_versions.phase("1.35", REVIEW_DAY) == "standard"


def test_support_type_allows_only_the_two_eks_values(on_review_day):
    assert problem_with("cluster", supportType="LONG") == (
        'tiketi:cluster.supportType: "LONG" is not allowed; expected "STANDARD" or "EXTENDED"')


def test_the_committed_stacks_are_in_standard_support_on_the_review_day():
    for stack in ("staging", "prod"):
        version = parse(stack).cluster.version
        assert eks_versions.phase(version, eks_versions.today()) == "standard", (stack, version)
    assert eks_versions.today() == REVIEW_DAY  # tests/conftest.py pins it


def test_eks_version_written_as_a_yaml_number_says_to_quote_it(on_review_day):
    # `version: 1.30` arrives as 1.3: without this check it would be refused as "1.3", a version
    # nobody wrote.
    assert problem_with("cluster", version=1.3) == (
        "tiketi:cluster.version: 1.3 is a YAML number, not a version string: YAML reads an unquoted 1.30 as 1.3 "
        'and 7.10 as 7.1; put the version in quotes as you mean it, e.g. "1.30"')
    # Quoted, "1.30" is read as 1.30 (and refused for its date, not its spelling).
    assert problem_with("cluster", version="1.30", supportType="EXTENDED").startswith(
        'tiketi:cluster.version: "1.30" has reached the end of EKS extended support on 2026-07-23')


def test_api_server_open_to_the_internet_is_refused():  # ClusterSettings._no_open_endpoint
    assert problem_with("cluster", publicAccessCidrs=["203.0.113.0/24", "0.0.0.0/0"]) == (
        'tiketi:cluster.publicAccessCidrs: ["203.0.113.0/24", "0.0.0.0/0"] must not include 0.0.0.0/0: list the '
        "ranges that may reach the API server")


def test_node_instance_types_must_exist():  # ClusterSettings._real_instance_types
    assert problem_with("cluster", instanceTypes=["m7g.large", "m7g.huge"]) == (
        'tiketi:cluster.instanceTypes: ["m7g.large", "m7g.huge"] is not an allowed EC2 instance type; m7g comes in '
        "medium, large, xlarge, 2xlarge, 4xlarge, 8xlarge, 12xlarge, 16xlarge, metal")
    assert problem_with("cluster", instanceTypes=["m9q.large"]).startswith(
        'tiketi:cluster.instanceTypes: ["m9q.large"] is not an allowed EC2 instance type; expected '
        "<family>.<size> with family one of t4g, m6g, m7g")


def test_node_instance_types_must_match_the_ami_architecture():  # ClusterSettings._sizes
    assert problem_with("cluster", instanceTypes=["m7g.large", "m7i.large"]) == (
        'tiketi:cluster.instanceTypes[1]: "m7i.large" does not run amiType AL2023_ARM_64_STANDARD')
    x86 = parse_aws(**{"tiketi:cluster": {**CLUSTER, "amiType": "AL2023_x86_64_STANDARD",
                                          "instanceTypes": ["m7i.large"]}})
    assert x86.cluster.instance_types == ["m7i.large"]


def test_desired_size_must_lie_between_min_and_max():  # ClusterSettings._sizes
    assert problem_with("cluster", minSize=2, desiredSize=5, maxSize=4) == (
        "tiketi:cluster.desiredSize: 5 must lie between minSize (2) and maxSize (4)")


def test_the_service_range_is_unset_in_the_committed_stacks():
    # Left to EKS (and read back from the cluster): naming a range on an existing cluster replaces it.
    assert parse("prod").cluster.service_ipv4_cidr is None and parse("staging").cluster.service_ipv4_cidr is None
    pinned = parse_aws(**{"tiketi:cluster": {**CLUSTER, "serviceIpv4Cidr": "10.200.0.0/20"}})
    assert str(pinned.cluster.service_ipv4_cidr) == "10.200.0.0/20"


@pytest.mark.parametrize("cidr", ["100.64.0.0/16", "10.0.0.0/11", "172.20.0.0/25"])
def test_the_service_range_follows_the_eks_api_rules(cidr):  # StackConfig._service_cidr
    assert problem_with("cluster", serviceIpv4Cidr=cidr) == (
        f'tiketi:cluster.serviceIpv4Cidr: "{cidr}" is not allowed; expected a /12 to /24 inside 10.0.0.0/8, '
        "172.16.0.0/12 or 192.168.0.0/16 (EKS API), e.g. 172.20.0.0/16")


def test_the_service_range_stays_off_docker_and_the_vpc():  # StackConfig._service_cidr
    assert problem_with("cluster", serviceIpv4Cidr="172.16.0.0/12") == (
        'tiketi:cluster.serviceIpv4Cidr: "172.16.0.0/12" must not overlap 172.17.0.0/16, the Docker bridge range '
        "on EKS nodes")
    assert problem_with("cluster", serviceIpv4Cidr="10.0.128.0/20") == (
        'tiketi:cluster.serviceIpv4Cidr: "10.0.128.0/20" overlaps the VPC (10.0.0.0/16); EKS needs a Service range '
        "outside it")


# --- tiketi:workloads ---------------------------------------------------------------------------


# --- EKS access entries (issue 12, finding 4) ----------------------------------------------------------

ROLE = "arn:aws:iam::210987654321:role/"


def with_entries(entries: dict) -> dict:
    return {"tiketi:cluster": {**CLUSTER, "accessEntries": entries}}


def test_the_same_principal_twice_is_refused_before_eks_says_409():  # ClusterSettings._access
    entries = {"ci-deploy": {"principalArn": ROLE + "deploy"}, "platform": {"principalArn": ROLE + "deploy"}}
    assert problems_of(aws_config(**with_entries(entries))) == [
        f'tiketi:cluster.accessEntries.platform.principalArn: "{ROLE}deploy" is also entry ci-deploy; EKS allows '
        "one access entry per principal (the second fails with 409 ResourceInUseException)"]


def test_without_a_cluster_admin_entry_nobody_could_apply_the_kubernetes_objects():  # ClusterSettings._access
    [problem] = problems_of(aws_config(**with_entries({"auditors": {"principalArn": ROLE + "audit",
                                                                    "access": "view"}})))
    assert problem == ('tiketi:cluster.accessEntries: {"auditors": "view"} must give at least one principal '
                       "cluster-admin access: the cluster has no creator entry, so the identity running Pulumi "
                       "needs one to apply the Kubernetes objects")
    assert problems_of(aws_config(**with_entries({}))) == [problem.replace('{"auditors": "view"}', "{}")]


@pytest.mark.parametrize("arn", [
    "arn:aws:sts::210987654321:assumed-role/AWSReservedSSO_Admin_0123/someone",  # a session, not the role
    "arn:aws:iam::2109876543:role/short-account",
    "tiketi-ci-deploy",
])
def test_principals_are_iam_role_or_user_arns(arn):  # AccessEntrySettings._iam_arn
    [problem] = problems_of(aws_config(**with_entries({"ci-deploy": {"principalArn": arn}})))
    assert problem.startswith(f'tiketi:cluster.accessEntries.ci-deploy.principalArn: "{arn}" is not an IAM role '
                              "or user ARN; expected arn:aws:iam::<account>:role/<path/><name>")


def test_entry_names_become_resource_names_so_they_are_simple():  # ClusterSettings._entry_names
    [problem] = problems_of(aws_config(**with_entries({"CI Deploy": {"principalArn": ROLE + "deploy"}})))
    assert problem.startswith("tiketi:cluster.accessEntries: ") and "names an entry 'CI Deploy'" in problem


def test_an_sso_role_path_is_kept_and_cluster_admin_is_the_default():
    arn = ROLE + "aws-reserved/sso.amazonaws.com/ap-northeast-2/AWSReservedSSO_Admin_0123456789abcdef"
    entry = parse_aws(**with_entries({"admins": {"principalArn": arn}})).cluster.access_entries["admins"]
    assert (entry.principal_arn, entry.policy_arn) == (
        arn, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy")


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_committed_stacks_give_deploys_write_access_and_previews_view(stack):
    entries = parse(stack).cluster.access_entries
    assert sorted(entries) == ["ci-deploy", "ci-preview", "platform-admins"]
    # Pull-request previews run unreviewed code: view only (their server-side dry runs fall back to
    # client-side previews); whoever runs `pulumi up` needs cluster-admin (review M2).
    assert {name: e.access for name, e in entries.items()} == {
        "ci-deploy": "cluster-admin", "ci-preview": "view", "platform-admins": "cluster-admin"}
    assert entries["ci-preview"].policy_arn == "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
    assert entries["ci-deploy"].principal_arn.endswith(f"role/tiketi-ci-deploy-{stack}")
    assert entries["ci-preview"].principal_arn.endswith(f"role/tiketi-ci-preview-{stack}")  # one role per stack


def test_prod_workloads_follow_the_spec_tables():
    workloads = parse("prod").workloads
    assert workloads.namespace == "tiketi-prod" and workloads.image_tag == "1.0.0"
    assert workloads.replicas_for("gateway-service") == 3 and workloads.replicas_for("frontend") == 2
    assert (workloads.autoscaling["ticket-service"].min, workloads.autoscaling["ticket-service"].max) == (3, 10)
    assert (workloads.cpu_target_percent, workloads.disruption_budgets, workloads.topology_spread) == (70, True, True)
    # Every service with more than one replica in prod has an HPA whose floor is its spec 2.3 replicas.
    assert {s: (r.min, r.max) for s, r in workloads.autoscaling.items()} == {
        "gateway-service": (3, 10), "auth-service": (2, 6), "ticket-service": (3, 10), "payment-service": (2, 6),
        "stats-service": (2, 4), "queue-service": (3, 8), "community-service": (2, 4), "frontend": (2, 6)}
    assert all(workloads.autoscaling[s].min == n for s, n in workloads.replicas.items())
    assert workloads.priority_classes is True and workloads.pdb_min_available is None
    assert (workloads.pre_stop_seconds, workloads.termination_grace_seconds, workloads.database_pool_size) == (
        40, 75, 10)


def test_hpa_behaviour_scales_up_fast_and_down_slowly_by_default():
    behaviour = parse("prod").workloads.hpa_behaviour
    assert (behaviour.scale_up_percent, behaviour.scale_up_pods, behaviour.scale_up_period_seconds) == (100, 4, 15)
    assert (behaviour.scale_down_stabilization_seconds, behaviour.scale_down_pods,
            behaviour.scale_down_period_seconds) == (300, 1, 60)


def test_local_pods_stop_without_a_pre_stop_delay():
    assert parse("local").workloads.pre_stop_seconds == 0


def test_staging_runs_one_replica_each_and_the_prod_hpas_smaller():
    workloads = parse("staging").workloads
    assert workloads.replicas == {}
    assert {s: workloads.replicas_for(s) for s in ("gateway-service", "auth-service", "frontend")} == {
        "gateway-service": 1, "auth-service": 1, "frontend": 1}
    assert {s: (r.min, r.max) for s, r in workloads.autoscaling.items()} == {
        "gateway-service": (1, 3), "ticket-service": (1, 3), "queue-service": (1, 2), "payment-service": (1, 2),
        "auth-service": (1, 2), "stats-service": (1, 2), "community-service": (1, 2), "frontend": (1, 2)}


def test_local_workloads_use_the_default_tag():
    workloads = parse("local").workloads
    assert (workloads.namespace, workloads.image_tag) == ("tiketi-spring", "local")


def test_an_autoscaled_service_without_replicas_starts_at_its_minimum():
    autoscaling = {**WORKLOADS["autoscaling"], "queue-service": {"min": 2, "max": 4}}
    workloads = parse_aws(**{"tiketi:workloads": {**WORKLOADS, "autoscaling": autoscaling}})
    assert workloads.workloads.replicas_for("queue-service") == 2
    assert workloads.workloads.replicas_for("auth-service") == 1


def test_autoscaling_range_must_be_ordered():  # AutoscalingRange._ordered
    assert problem_with("workloads", autoscaling={"ticket-service": {"min": 5, "max": 2}}) == (
        'tiketi:workloads.autoscaling.ticket-service: {"min": 5, "max": 2} has min 5 above max 2')


@pytest.mark.parametrize("namespace", ["Tiketi", "tiketi_prod", "-tiketi", "a" * 64])
def test_namespace_must_be_a_dns_label(namespace):  # WorkloadsSettings._namespace
    assert problem_with("workloads", namespace=namespace) == (
        f'tiketi:workloads.namespace: "{namespace}" is not a Kubernetes namespace name (lower-case DNS label)')


@pytest.mark.parametrize("tag", ["latest", "bad tag", ".hidden"])
def test_image_tag_must_be_pinned(tag):  # WorkloadsSettings._tag, check_image_tag
    assert problem_with("workloads", imageTag=tag) == (
        f"tiketi:workloads.imageTag: \"{tag}\" is not allowed; expected a pinned image tag (not 'latest'), e.g. "
        "3f9c2ab-20261124")
    with pytest.raises(ValueError, match="pinned image tag"):
        check_image_tag(tag)


def test_image_tag_written_as_a_yaml_number_says_to_quote_it():
    assert problem_with("workloads", imageTag=1.1).startswith(
        "tiketi:workloads.imageTag: 1.1 is a YAML number, not a version string")
    assert problem_with("workloads", imageTags={"ticket-service": 2.10}).startswith(
        "tiketi:workloads.imageTags.ticket-service: 2.1 is a YAML number, not a version string")


def test_per_service_tags_are_pinned_too():  # WorkloadsSettings._tags
    assert problem_with("workloads", imageTags={"ticket-service": "latest"}) == (
        'tiketi:workloads.imageTags: {"ticket-service": "latest"} is not allowed; expected a pinned image tag '
        "(not 'latest'), e.g. 3f9c2ab-20261124")


@pytest.mark.parametrize("key", ["imageTags", "replicas", "autoscaling"])
def test_per_service_maps_name_real_services(key):  # WorkloadsSettings._known_services
    value = {"imageTags": "1.0.1", "replicas": 2, "autoscaling": {"min": 1, "max": 2}}[key]
    problem = problem_with("workloads", **{key: {"ticket-servce": value}})
    assert problem.startswith(f'tiketi:workloads.{key}: {{"ticket-servce": ')
    assert problem.endswith("names 'ticket-servce', which is not a service; expected one of gateway-service, "
                            "auth-service, ticket-service, payment-service, stats-service, queue-service, "
                            "community-service, frontend (did you mean ticket-service?)")


def test_an_hpa_floor_below_the_replicas_the_stack_asks_for_is_refused():  # WorkloadsSettings._consistent
    assert problem_with("workloads", replicas={"gateway-service": 3},
                        autoscaling={"gateway-service": {"min": 2, "max": 10},
                                     "ticket-service": {"min": 1, "max": 10}}) == (
        "tiketi:workloads.autoscaling.gateway-service.min: 2 is below tiketi:workloads.replicas.gateway-service (3): "
        "the HPA would scale the service under the replicas the stack asks for")


def test_a_pdb_that_would_forbid_every_eviction_is_refused():  # WorkloadsSettings._consistent
    # minAvailable 1 on a service that may run one replica: no drain could ever evict it.
    assert problem_with("workloads", disruptionBudgets=True, pdbMinAvailable=1) == (
        "tiketi:workloads.pdbMinAvailable: 1 forbids every eviction of gateway-service, which may run 1 replica(s): "
        "node drains, Karpenter consolidation and node-group updates would wait forever; leave it unset "
        "(maxUnavailable 1) or below every budgeted service's fewest replicas")
    prod_like = parse("prod").workloads.model_dump(by_alias=True, exclude_none=True)
    allowed = parse_aws(**{"tiketi:workloads": {**prod_like, "pdbMinAvailable": 1}})
    assert allowed.workloads.pdb_min_available == 1  # every prod service runs at least 2


def test_termination_grace_must_cover_the_pre_stop_and_the_graceful_shutdown():  # WorkloadsSettings._consistent
    assert problem_with("workloads", preStopSeconds=40, terminationGraceSeconds=60) == (
        "tiketi:workloads.terminationGraceSeconds: 60 does not cover preStopSeconds (40) plus Spring's 30 s graceful "
        "shutdown: the kubelet would kill pods with requests in flight")


def test_budgeted_services_are_the_backend_ones_and_every_autoscaled_one():
    workloads = parse("prod").workloads
    assert workloads.budgeted_services == ("gateway-service", "auth-service", "ticket-service", "payment-service",
                                           "stats-service", "queue-service", "community-service", "frontend")
    backend_only = parse_aws(**{"tiketi:workloads": {**WORKLOADS, "disruptionBudgets": True}}).workloads
    assert "frontend" not in backend_only.budgeted_services and "ticket-service" in backend_only.budgeted_services
    assert parse("local").workloads.budgeted_services == ()


def test_every_replica_count_is_at_least_one():  # WorkloadsSettings._replicas
    assert problem_with("workloads", replicas={"frontend": 0}) == (
        'tiketi:workloads.replicas: {"frontend": 0} must give every service at least 1 replica')


# --- tiketi:kubernetes (kind) -------------------------------------------------------------------


def test_kind_settings_default_to_the_kind_tiketi_context():
    config = parse_stack_config("tiketi", "local", KIND)
    assert config.kubernetes.context == "kind-tiketi"


def test_kind_settings_on_an_aws_stack_are_refused():
    assert problems_of(aws_config(**{"tiketi:kubernetes": {"context": "kind-tiketi"}})) == [
        "tiketi:kubernetes: is only for tiketi:platform kind, not aws; remove it"]


# --- tiketi:workloads.kafkaBootstrapServers: an external Kafka cluster ---------------------------


def external_kafka(servers: str) -> dict:
    return aws_config(**{"tiketi:workloads": {**WORKLOADS, "kafkaBootstrapServers": servers}})


def test_an_external_kafka_host_port_list_is_accepted():
    config = parse_stack_config("tiketi", "prod", external_kafka("b-1.kafka.example.com:9096, 10.0.64.10:9094"))
    assert config.workloads.kafka_ports == (9094, 9096)


@pytest.mark.parametrize("servers", [
    "services:Sup3rS3cretPassw0rd@b-1.kafka.example.com:9096",
    "app:pw@b-1:9096",
    "SASL_SSL://b-1.kafka.example.com:9096",
    "b-1.kafka.example.com:9096?password=Sup3rS3cretPassw0rd",
])
def test_a_credential_or_url_in_the_bootstrap_list_is_refused_unechoed(servers):  # WorkloadsSettings._bootstrap_servers
    [problem] = problems_of(external_kafka(servers))
    assert problem == (f"tiketi:workloads.kafkaBootstrapServers: {HIDDEN} entry 1 holds a user, password or URL; "
                       "expected only host:port pairs (the services' Kafka credentials belong in their Secret)")
    assert all(part not in problem for part in ("Sup3rS3cret", "pw@", "SASL_SSL"))


@pytest.mark.parametrize("servers,entry", [("b-1.kafka.example.com", 1), ("b-1.kafka.example.com:9096,", 2),
                                           ("host:70000", 1), ("host_name:9092", 1), ("b-1:9096 b-2:9096", 1)])
def test_a_malformed_bootstrap_list_is_refused_naming_the_entry(servers, entry):
    [problem] = problems_of(external_kafka(servers))
    assert problem == (f"tiketi:workloads.kafkaBootstrapServers: {HIDDEN} entry {entry} is not host:port; expected "
                       "a comma-separated list such as b-1.kafka.example.com:9096,b-2.kafka.example.com:9096")


def test_the_secret_operators_charts_are_pinned_versions():
    cluster = parse("prod").cluster
    assert (cluster.external_secrets_chart, cluster.reloader_chart) == ("2.9.0", "2.2.16")
    assert problem_with("cluster", reloaderChart=2.3).startswith("tiketi:cluster.reloaderChart: 2.3 is a YAML number")
