"""Data tier on the prod and staging snapshots: secrets, RDS, RDS Proxy, ElastiCache, alarms."""

from __future__ import annotations

import json

import pytest

from tests.support.aws_queries import ALARM, EGRESS, INGRESS, SG, group
from tools.harness.snapshot import Snapshot, unwrap


def ingress_sources(snap: Snapshot, target) -> dict[str, tuple]:
    """source group name -> (protocol, from, to) of every ingress rule on a group."""
    names = {r.id: r.inputs["tags"]["Name"].removeprefix(f"tiketi-{snap.stack}-") for r in snap.all(SG)}
    rules = snap.all(INGRESS, securityGroupId=target.id)
    assert all("cidrIpv4" not in r.inputs and "prefixListId" not in r.inputs for r in rules)
    return {names[r.inputs["referencedSecurityGroupId"]]: (r.inputs["ipProtocol"], r.inputs["fromPort"],
                                                           r.inputs["toPort"]) for r in rules}


def stack_topic(snap: Snapshot):
    """The alert topic in the stack's region (with CloudFront there is a second one in us-east-1)."""
    return snap.one("aws:sns/topic:Topic", kmsMasterKeyId=lambda arn: ":ap-northeast-2:" in arn)


def topic_arn(snap: Snapshot) -> str:
    return stack_topic(snap).outputs["arn"]


# --- secrets ------------------------------------------------------------------------------------


DB_SERVICES = ("auth-service", "community-service", "payment-service", "stats-service", "ticket-service")
ROLES = {"auth-service": "auth_service", "ticket-service": "ticket_service", "payment-service": "payment_service",
         "stats-service": "stats_service", "community-service": "community_service"}


def test_generated_secrets_lengths_and_character_sets(aws_stack):
    passwords = {r.name: r.inputs for r in aws_stack.all("random:index/randomPassword:RandomPassword")}
    generated = {name.removeprefix("secrets-"): p for name, p in passwords.items() if name.startswith("secrets-")}
    assert set(generated) == {"redis-auth-token", "queue-entry-token-secret", "internal-api-token", "jwt-secret",
                              "origin-verify"}
    assert generated["redis-auth-token"]["length"] == 64
    assert generated["redis-auth-token"]["overrideSpecial"] == "!&#$^<>-"  # ElastiCache's allowed specials
    assert 16 <= generated["redis-auth-token"]["length"] <= 128
    for role in ("queue-entry-token-secret", "jwt-secret"):
        assert generated[role]["length"] == 64 and generated[role]["special"] is False
    assert generated["internal-api-token"]["length"] == 48
    users = {name.removeprefix("database-users-"): p for name, p in passwords.items()
             if name.startswith("database-users-")}
    assert set(users) == set(DB_SERVICES)  # one login per service with a database
    assert all(p["length"] == 40 and p["special"] is False for p in users.values())
    # Letters and digits only: the SCRAM password sits inside password="..." in the services' JAAS line.
    kafka = passwords["kafka-services-password"]
    assert kafka["length"] == 32 and kafka["special"] is False
    # No master password is generated: RDS generates and rotates it (below).
    assert set(passwords) == ({f"secrets-{r}" for r in generated} | {f"database-users-{s}" for s in users}
                              | {"kafka-services-password"})


def test_secrets_are_stored_in_secrets_manager_with_the_recovery_window(aws_stack):
    secrets = aws_stack.all("aws:secretsmanager/secret:Secret")
    prefix = f"tiketi-{aws_stack.stack}/"
    assert sorted(s.inputs["name"] for s in secrets) == sorted(
        [prefix + role for role in ("redis-auth-token", "queue-entry-token-secret", "internal-api-token",
                                    "jwt-secret", "origin-verify")]
        + [f"{prefix}db/{service}" for service in DB_SERVICES] + [f"AmazonMSK_tiketi-{aws_stack.stack}-services"])
    assert all(s.inputs["recoveryWindowInDays"] == 7 for s in secrets)
    for version in aws_stack.all("aws:secretsmanager/secretVersion:SecretVersion"):
        assert version.inputs["secretString"]["4dabf18193072939515e22adb298388d"]  # wrapped as a secret


def test_each_database_user_secret_has_the_shape_rds_proxy_reads(aws_stack):
    passwords = {r.name: unwrap(r.outputs["result"])
                 for r in aws_stack.all("random:index/randomPassword:RandomPassword")}
    for service, role in ROLES.items():
        secret = aws_stack.one("aws:secretsmanager/secret:Secret", name=f"tiketi-{aws_stack.stack}/db/{service}")
        version = aws_stack.one("aws:secretsmanager/secretVersion:SecretVersion", secretId=secret.id)
        # username/password only: "The proxy ignores other fields" (RDS User Guide, rds-proxy-secrets-arns)
        assert json.loads(unwrap(version.inputs["secretString"])) == {
            "username": role, "password": passwords[f"database-users-{service}"]}
    assert aws_stack.outputs["databaseUserSecretArns"] == {
        service: aws_stack.one("aws:secretsmanager/secret:Secret",
                               name=f"tiketi-{aws_stack.stack}/db/{service}").outputs["arn"] for service in ROLES}


def test_the_master_password_is_managed_and_rotated_by_rds(aws_stack):
    instance = aws_stack.one("aws:rds/instance:Instance")
    assert instance.inputs["manageMasterUserPassword"] is True and "password" not in instance.inputs
    assert instance.inputs["username"] == "tiketi_admin"
    master_arn = instance.outputs["masterUserSecrets"][0]["secretArn"]
    assert ":secret:rds!db-" in master_arn
    rotation = aws_stack.one("aws:secretsmanager/secretRotation:SecretRotation")
    assert rotation.inputs["secretId"] == master_arn
    assert rotation.inputs["rotationRules"] == {"automaticallyAfterDays": 7}
    assert rotation.inputs["rotateImmediately"] is False and "rotationLambdaArn" not in rotation.inputs
    assert aws_stack.outputs["secretArns"]["databaseMaster"] == master_arn


def test_only_secret_arns_are_exported(aws_stack):
    arns = aws_stack.outputs["secretArns"]
    assert set(arns) == {"databaseMaster", "redisAuthToken", "queueEntryTokenSecret", "internalApiToken",
                         "jwtSecret", "originVerify"}
    assert all(arn.startswith("arn:aws:secretsmanager:ap-northeast-2:") for arn in arns.values())
    generated = {unwrap(r.outputs["result"]) for r in aws_stack.all("random:index/randomPassword:RandomPassword")}
    exported = json.dumps(unwrap(aws_stack.outputs))
    assert not any(value in exported for value in generated)


# --- RDS ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack,multi_az,retention,protected,final", [
    ("prod", True, 14, True, True), ("staging", False, 1, False, False)])
def test_postgres_instance(stack, multi_az, retention, protected, final, request):
    snap = request.getfixturevalue(stack)
    db = snap.one("aws:rds/instance:Instance")
    expect = {
        "identifier": f"tiketi-{stack}-postgres", "engine": "postgres", "engineVersion": "16",
        "allowMajorVersionUpgrade": False,
        "storageType": "gp3", "storageEncrypted": True, "publiclyAccessible": False, "multiAz": multi_az,
        "backupWindow": "03:00-04:00", "maintenanceWindow": "Mon:04:00-Mon:05:00",
        "backupRetentionPeriod": retention, "performanceInsightsEnabled": True,
        "performanceInsightsRetentionPeriod": 7, "databaseInsightsMode": "standard",
        "deletionProtection": protected, "skipFinalSnapshot": not final,
        "enabledCloudwatchLogsExports": ["postgresql", "upgrade"], "port": 5432, "applyImmediately": False,
    }
    assert {k: db.inputs.get(k) for k in expect} == expect
    assert db.inputs["vpcSecurityGroupIds"] == [group(snap, "db").id]
    if final:
        # A suffix generated once per stack life: a second destroy of a re-created stack would
        # otherwise fail with DBSnapshotAlreadyExists.
        [suffix] = [r for r in snap.all("random:index/randomId:RandomId") if r.name == "database-final-snapshot"]
        assert db.inputs["finalSnapshotIdentifier"] == f"tiketi-{stack}-postgres-final-{suffix.outputs['hex']}"
    else:
        assert "finalSnapshotIdentifier" not in db.inputs
    subnets = snap.one("aws:rds/subnetGroup:SubnetGroup")
    assert db.inputs["dbSubnetGroupName"] == subnets.outputs["name"]
    assert sorted(subnets.inputs["subnetIds"]) == sorted(snap.outputs["dataSubnetIds"])


def test_postgres_logs_are_kept(prod):
    log_group = prod.one("aws:cloudwatch/logGroup:LogGroup", name="/aws/rds/instance/tiketi-prod-postgres/postgresql")
    assert log_group.inputs["retentionInDays"] == 90


def test_parameter_group(aws_stack):
    parameters = aws_stack.one("aws:rds/parameterGroup:ParameterGroup")
    assert parameters.inputs["family"] == "postgres16"
    values = {p["name"]: p["value"] for p in parameters.inputs["parameters"]}
    # max_connections explicit (90 % of RDS's formula for the class: 4 GiB -> 405, 16 GiB -> 1622), so
    # the connection budget is a known number; static, so it applies on (re)boot.
    max_connections = {"staging": "405", "prod": "1622"}[aws_stack.stack]
    assert values == {"shared_preload_libraries": "pg_stat_statements", "log_statement": "ddl",
                      "log_min_duration_statement": "1000", "rds.force_ssl": "1", "max_connections": max_connections}
    methods = {p["name"]: p["applyMethod"] for p in parameters.inputs["parameters"]}
    assert methods["max_connections"] == "pending-reboot"
    assert aws_stack.one("aws:rds/instance:Instance").inputs["parameterGroupName"] == parameters.outputs["name"]


def test_database_admits_postgres_only_from_the_app_groups_and_the_proxy(aws_stack):
    assert ingress_sources(aws_stack, group(aws_stack, "db")) == {
        "eks-nodes": ("tcp", 5432, 5432), "worker": ("tcp", 5432, 5432), "proxy": ("tcp", 5432, 5432)}


def test_without_a_proxy_the_database_admits_only_the_app_groups(staging_without_proxy_or_waf):
    snap = staging_without_proxy_or_waf
    assert ingress_sources(snap, group(snap, "db")) == {
        "eks-nodes": ("tcp", 5432, 5432), "worker": ("tcp", 5432, 5432)}


# --- RDS Proxy ----------------------------------------------------------------------------------


def test_proxy_settings_and_its_own_attached_security_group(aws_stack):
    prod, stack = aws_stack, aws_stack.stack  # staging composes the proxy as prod does
    proxy = prod.one("aws:rds/proxy:Proxy")
    proxy_sg = group(prod, "proxy")
    assert proxy.inputs["engineFamily"] == "POSTGRESQL"
    assert proxy.inputs["requireTls"] is True
    assert proxy.inputs["idleClientTimeout"] == 1800
    assert proxy.inputs["vpcSecurityGroupIds"] == [proxy_sg.id]
    assert sorted(proxy.inputs["vpcSubnetIds"]) == sorted(prod.outputs["appSubnetIds"])
    users = {service: prod.one("aws:secretsmanager/secret:Secret", name=f"tiketi-{stack}/db/{service}").outputs["arn"]
             for service in DB_SERVICES}
    # One SECRETS auth per service user, and none for the master (it is not a proxy user).
    assert proxy.inputs["auths"] == [
        {"authScheme": "SECRETS", "secretArn": users[service], "iamAuth": "DISABLED",
         "clientPasswordAuthType": "POSTGRES_SCRAM_SHA_256", "description": f"{service} database user"}
        for service in DB_SERVICES]
    master = prod.one("aws:rds/instance:Instance").outputs["masterUserSecrets"][0]["secretArn"]
    assert master not in json.dumps(proxy.inputs)
    pool = prod.one("aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup", dbProxyName=proxy.outputs["name"])
    assert pool.inputs["connectionPoolConfig"] == {"maxConnectionsPercent": 100, "maxIdleConnectionsPercent": 50,
                                                   "connectionBorrowTimeout": 120}
    target = prod.one("aws:rds/proxyTarget:ProxyTarget")
    assert target.inputs["dbInstanceIdentifier"] == f"tiketi-{stack}-postgres"


def test_proxy_chain_nodes_and_worker_to_proxy_to_database(prod):
    proxy_sg, db_sg = group(prod, "proxy"), group(prod, "db")
    assert ingress_sources(prod, proxy_sg) == {"eks-nodes": ("tcp", 5432, 5432), "worker": ("tcp", 5432, 5432)}
    egress = {(r.inputs["ipProtocol"], r.inputs["fromPort"], r.inputs["toPort"],
               r.inputs.get("referencedSecurityGroupId") or r.inputs.get("cidrIpv4"))
              for r in prod.all(EGRESS, securityGroupId=proxy_sg.id)}
    # to the instance, and to Secrets Manager's VPC endpoint for the credentials; nothing else
    assert egress == {("tcp", 5432, 5432, db_sg.id), ("tcp", 443, 443, "10.0.0.0/16")}


def test_proxy_role_reads_exactly_the_user_secrets(prod):
    proxy = prod.one("aws:rds/proxy:Proxy")
    role = next(r for r in prod.all("aws:iam/role:Role") if r.outputs["arn"] == proxy.inputs["roleArn"])
    [trust] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "rds.amazonaws.com"} and trust["Action"] == "sts:AssumeRole"
    [policy] = prod.all("aws:iam/rolePolicy:RolePolicy", role=role.id)
    users = [prod.one("aws:secretsmanager/secret:Secret", name=f"tiketi-prod/db/{s}").outputs["arn"]
             for s in DB_SERVICES]
    assert json.loads(policy.inputs["policy"])["Statement"] == [
        {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": users,
         "Sid": "ReadServiceUserSecrets"}]
    assert prod.all("aws:iam/rolePolicyAttachment:RolePolicyAttachment", role=role.id) == []


def test_without_a_proxy_the_instance_endpoint_is_exported(staging_without_proxy_or_waf):
    snap = staging_without_proxy_or_waf
    assert snap.all("aws:rds/proxy:Proxy") == []
    assert snap.outputs["databaseEndpoint"] == snap.one("aws:rds/instance:Instance").outputs["address"]


def test_the_proxy_endpoint_is_exported(aws_stack):
    assert aws_stack.outputs["databaseEndpoint"] == aws_stack.one("aws:rds/proxy:Proxy").outputs["endpoint"]
    assert aws_stack.outputs["databasePort"] == 5432


# --- ElastiCache --------------------------------------------------------------------------------


@pytest.mark.parametrize("stack,nodes,failover,node_type,snapshots,log_days", [
    ("prod", 2, True, "cache.r6g.large", 7, 90), ("staging", 1, False, "cache.t4g.small", 1, 14)])
def test_replication_group(stack, nodes, failover, node_type, snapshots, log_days, request):
    snap = request.getfixturevalue(stack)
    cache = snap.one("aws:elasticache/replicationGroup:ReplicationGroup")
    expect = {
        "replicationGroupId": f"tiketi-{stack}-redis", "engine": "redis", "engineVersion": "7.1",
        "nodeType": node_type, "numCacheClusters": nodes, "automaticFailoverEnabled": failover,
        "multiAzEnabled": failover, "atRestEncryptionEnabled": True, "transitEncryptionEnabled": True,
        "maintenanceWindow": "sun:05:00-sun:07:00", "snapshotWindow": "03:00-05:00",
        "snapshotRetentionLimit": snapshots, "port": 6379,
    }
    assert {k: cache.inputs.get(k) for k in expect} == expect
    assert cache.inputs["authToken"] == {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
                                         "value": unwrap(snap.one("random:index/randomPassword:RandomPassword",
                                                                  length=64, overrideSpecial="!&#$^<>-")
                                                         .outputs["result"])}
    assert cache.inputs["securityGroupIds"] == [group(snap, "redis").id]
    assert cache.inputs["authTokenUpdateStrategy"] == "ROTATE"
    deliveries = {d["logType"]: d for d in cache.inputs["logDeliveryConfigurations"]}
    assert set(deliveries) == {"slow-log", "engine-log"}
    for log_type, delivery in deliveries.items():
        assert (delivery["destinationType"], delivery["logFormat"]) == ("cloudwatch-logs", "json")
        log_group = snap.one("aws:cloudwatch/logGroup:LogGroup", name=delivery["destination"])
        assert log_group.inputs["name"] == f"/aws/elasticache/tiketi-{stack}-redis/{log_type}"
        assert log_group.inputs["retentionInDays"] == log_days


def test_cache_parameters(aws_stack):
    parameters = aws_stack.one("aws:elasticache/parameterGroup:ParameterGroup")
    assert parameters.inputs["family"] == "redis7"
    assert {p["name"]: p["value"] for p in parameters.inputs["parameters"]} == {
        "timeout": "300", "maxmemory-policy": "allkeys-lru"}


def test_cache_admits_6379_only_from_the_app_groups(aws_stack):
    assert ingress_sources(aws_stack, group(aws_stack, "redis")) == {
        "eks-nodes": ("tcp", 6379, 6379), "worker": ("tcp", 6379, 6379)}
    subnets = aws_stack.one("aws:elasticache/subnetGroup:SubnetGroup")
    assert sorted(subnets.inputs["subnetIds"]) == sorted(aws_stack.outputs["dataSubnetIds"])


def test_cache_endpoint_is_exported(aws_stack):
    cache = aws_stack.one("aws:elasticache/replicationGroup:ReplicationGroup")
    assert aws_stack.outputs["cachePrimaryEndpoint"] == cache.outputs["primaryEndpointAddress"]
    assert aws_stack.outputs["cachePort"] == 6379


# --- alarms and the alert topic -----------------------------------------------------------------


def alarms_by_metric(snap: Snapshot, namespace: str) -> dict:
    found = {}
    # The component's own alarms; the user-facing ones (components/observability) are tested there.
    for alarm in snap.all(ALARM, namespace=namespace):
        if snap.component_of(alarm).type == "tiketi:observability:UserAlarms":
            continue
        key = (alarm.inputs["metricName"], *alarm.inputs["dimensions"].values())
        found[key] = alarm.inputs
    return found


def test_rds_alarms(aws_stack):
    alarms = alarms_by_metric(aws_stack, "AWS/RDS")
    ident = f"tiketi-{aws_stack.stack}-postgres"
    expected = {
        ("CPUUtilization", ident): ("Average", "GreaterThanThreshold", 80, 3),
        ("FreeStorageSpace", ident): ("Minimum", "LessThanThreshold", 10 * 1024**3, 1),
        ("DatabaseConnections", ident): ("Average", "GreaterThanThreshold", 400, 2),
    }
    assert {k: (a["statistic"], a["comparisonOperator"], a["threshold"], a["evaluationPeriods"])
            for k, a in alarms.items()} == expected
    for alarm in alarms.values():
        assert alarm["period"] == 300
        assert alarm["alarmActions"] == alarm["okActions"] == [topic_arn(aws_stack)]


@pytest.mark.parametrize("stack,nodes", [("prod", 2), ("staging", 1)])
def test_cache_alarms_watch_every_node(stack, nodes, request):
    snap = request.getfixturevalue(stack)
    alarms = alarms_by_metric(snap, "AWS/ElastiCache")
    expected = {}
    for index in range(1, nodes + 1):
        node = f"tiketi-{stack}-redis-{index:03d}"
        expected[("EngineCPUUtilization", node)] = ("Average", "GreaterThanThreshold", 80, 3)
        expected[("DatabaseMemoryUsagePercentage", node)] = ("Average", "GreaterThanThreshold", 80, 3)
        expected[("Evictions", node)] = ("Sum", "GreaterThanThreshold", 100, 1)
    assert {k: (a["statistic"], a["comparisonOperator"], a["threshold"], a["evaluationPeriods"])
            for k, a in alarms.items()} == expected
    assert all(a["alarmActions"] == [topic_arn(snap)] for a in alarms.values())


def test_alert_topic_is_encrypted_with_a_key_cloudwatch_may_use(aws_stack):
    topic = stack_topic(aws_stack)
    key = next(k for k in aws_stack.all("aws:kms/key:Key") if k.outputs["arn"] == topic.inputs["kmsMasterKeyId"])
    assert "alert topic" in key.inputs["description"]
    assert topic.inputs["kmsMasterKeyId"] == key.outputs["arn"]
    assert key.inputs["enableKeyRotation"] is True
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    assert statements["CloudWatchAlarmsEncrypt"]["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert statements["CloudWatchAlarmsEncrypt"]["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    policy = aws_stack.one("aws:sns/topicPolicy:TopicPolicy", arn=topic.outputs["arn"])
    publish = json.loads(policy.inputs["policy"])["Statement"][0]
    assert publish["Principal"] == {"Service": "cloudwatch.amazonaws.com"} and publish["Action"] == "sns:Publish"
    assert aws_stack.outputs["alertTopicArn"] == topic.outputs["arn"]
