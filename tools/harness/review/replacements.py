"""Which input changes make the provider replace a resource, for every type this program registers.

Where the lists come from (the providers' own code, which their schemas and docs are generated from):

- Kubernetes: pulumi-kubernetes ``provider/pkg/provider/diff.go`` (``forceNew``: per group/version/
  kind, plus ``.metadata.name``/``.metadata.namespace`` for every object; Secrets and ConfigMaps
  replace on data changes unless the provider sets ``enableSecretMutable``/``enableConfigMapMutable``)
  and ``helm_release.go`` (``.name``, ``.namespace``), read at commit 94977969d (2026-07-01).
- AWS: pulumi-aws bridges terraform-provider-aws, whose ``ForceNew: true`` schema attributes
  (``RequiresReplace`` plan modifiers for plugin-framework resources) become Pulumi's replacements.
  ``internal/service/<service>/<resource>.go``; the schemas of the types in ``READ`` were re-read
  for this table (at the commits the index holds), the others transcribed from the same files.
  Replacements a provider decides in its CustomizeDiff/ModifyPlan (a downgrade, a changed rule
  source) are functions of the old and new inputs in ``CONDITIONAL``.

Paths are Pulumi (camelCase) input names; ``a.b`` is a nested field, ``[*]`` any list element.
How the table stays honest: tests/harness/test_render_diff.py fails when any stack registers a
type missing here, so a new resource type is classified (with its source) when it is added.
"""

from __future__ import annotations

from typing import Any

TF = "terraform-provider-aws internal/service/"
K8S = "pulumi-kubernetes provider/pkg/provider/diff.go"
READ = frozenset({"aws:eks/nodeGroup:NodeGroup", "aws:rds/instance:Instance", "aws:eks/cluster:Cluster",
                  "aws:elasticache/replicationGroup:ReplicationGroup", "aws:lb/targetGroup:TargetGroup",
                  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws:lb/loadBalancer:LoadBalancer"})

AWS: dict[str, tuple[str, tuple[str, ...]]] = {
    "aws:ec2/vpc:Vpc": (TF + "ec2/vpc_.go", ("cidrBlock", "ipv4IpamPoolId", "ipv4NetmaskLength")),
    "aws:ec2/subnet:Subnet": (TF + "ec2/vpc_subnet.go", ("vpcId", "cidrBlock", "availabilityZone",
                                                         "availabilityZoneId", "outpostArn", "ipv6Native")),
    "aws:ec2/route:Route": (TF + "ec2/vpc_route.go", ("routeTableId", "destinationCidrBlock",
                                                      "destinationIpv6CidrBlock", "destinationPrefixListId")),
    "aws:ec2/routeTable:RouteTable": (TF + "ec2/vpc_route_table.go", ("vpcId",)),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": (TF + "ec2/vpc_route_table_association.go",
                                                            ("subnetId", "gatewayId")),
    "aws:ec2/internetGateway:InternetGateway": (TF + "ec2/vpc_internet_gateway.go", ()),
    "aws:ec2/natGateway:NatGateway": (TF + "ec2/vpc_nat_gateway.go", ("allocationId", "subnetId",
                                                                      "connectivityType", "privateIp")),
    "aws:ec2/eip:Eip": (TF + "ec2/ec2_eip.go", ("domain", "address", "networkBorderGroup", "publicIpv4Pool",
                                                "customerOwnedIpv4Pool")),
    "aws:ec2/vpcEndpoint:VpcEndpoint": (TF + "ec2/vpc_endpoint.go", ("vpcId", "serviceName", "vpcEndpointType",
                                                                     "serviceRegion")),
    "aws:ec2/securityGroup:SecurityGroup": (TF + "ec2/vpc_security_group.go", ("name", "namePrefix", "description",
                                                                               "vpcId")),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (TF + "ec2/vpc_security_group_ingress_rule.go",
                                                                  ("securityGroupId",)),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": (TF + "ec2/vpc_security_group_egress_rule.go",
                                                                ("securityGroupId",)),
    "aws:ec2/flowLog:FlowLog": (TF + "ec2/vpc_flow_log.go", (
        "vpcId", "subnetId", "eniId", "trafficType", "logDestination", "logDestinationType", "iamRoleArn",
        "maxAggregationInterval", "logFormat", "destinationOptions", "deliverCrossAccountRole")),
    "aws:ec2/launchTemplate:LaunchTemplate": (TF + "ec2/ec2_launch_template.go", ("name", "namePrefix")),
    "aws:cloudwatch/logGroup:LogGroup": (TF + "logs/group.go", ("name", "namePrefix", "logGroupClass")),
    "aws:cloudwatch/metricAlarm:MetricAlarm": (TF + "cloudwatch/metric_alarm.go", ("name",)),
    "aws:cloudwatch/dashboard:Dashboard": (TF + "cloudwatch/dashboard.go", ("dashboardName",)),
    "aws:cloudwatch/eventRule:EventRule": (TF + "events/rule.go", ("name", "namePrefix", "eventBusName")),
    "aws:cloudwatch/eventTarget:EventTarget": (TF + "events/target.go", ("rule", "targetId", "eventBusName")),
    "aws:cloudfront/monitoringSubscription:MonitoringSubscription": (TF + "cloudfront/monitoring_subscription.go",
                                                                    ("distributionId",)),
    "aws:lb/loadBalancer:LoadBalancer": (TF + "elbv2/load_balancer.go", ("name", "namePrefix", "internal",
                                                                         "loadBalancerType",
                                                                         "customerOwnedIpv4Pool")),
    "aws:lb/listener:Listener": (TF + "elbv2/listener.go", ("loadBalancerArn",)),
    "aws:lb/listenerRule:ListenerRule": (TF + "elbv2/listener_rule.go", ("listenerArn",)),
    "aws:lb/targetGroup:TargetGroup": (TF + "elbv2/target_group.go", ("name", "namePrefix", "port", "protocol",
                                                                      "protocolVersion", "targetType", "vpcId",
                                                                      "ipAddressType")),
    "aws:lambda/function:Function": (TF + "lambda/function.go", ("name", "packageType")),
    "aws:lambda/eventSourceMapping:EventSourceMapping": (TF + "lambda/event_source_mapping.go", (
        "eventSourceArn", "startingPosition", "startingPositionTimestamp", "selfManagedEventSource", "topics",
        "queues", "amazonManagedKafkaEventSourceConfig", "selfManagedKafkaEventSourceConfig")),
    "aws:sqs/queue:Queue": (TF + "sqs/queue.go", ("name", "namePrefix", "fifoQueue")),
    "aws:sqs/queuePolicy:QueuePolicy": (TF + "sqs/queue_policy.go", ("queueUrl",)),
    "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": (TF + "sqs/queue_redrive_allow_policy.go", ("queueUrl",)),
    "aws:rds/instance:Instance": (TF + "rds/instance.go", (
        "identifier", "identifierPrefix", "engine", "dbName", "username", "storageEncrypted", "kmsKeyId",
        "availabilityZone", "characterSetName", "ncharCharacterSetName", "timezone", "snapshotIdentifier",
        "restoreToPointInTime", "s3Import", "customIamInstanceProfile")),
    "aws:rds/subnetGroup:SubnetGroup": (TF + "rds/subnet_group.go", ("name", "namePrefix")),
    "aws:rds/parameterGroup:ParameterGroup": (TF + "rds/parameter_group.go", ("name", "namePrefix", "family",
                                                                              "description")),
    "aws:rds/proxy:Proxy": (TF + "rds/proxy.go", ("name", "engineFamily", "vpcSubnetIds")),
    "aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup": (TF + "rds/proxy_default_target_group.go",
                                                                ("dbProxyName",)),
    "aws:rds/proxyTarget:ProxyTarget": (TF + "rds/proxy_target.go", ("dbProxyName", "targetGroupName",
                                                                     "dbInstanceIdentifier", "dbClusterIdentifier")),
    "aws:elasticache/replicationGroup:ReplicationGroup": (TF + "elasticache/replication_group.go", (
        "replicationGroupId", "subnetGroupName", "atRestEncryptionEnabled", "kmsKeyId", "port",
        "snapshotArns", "snapshotName", "globalReplicationGroupId", "securityGroupNames", "dataTieringEnabled",
        "networkType")),
    "aws:elasticache/subnetGroup:SubnetGroup": (TF + "elasticache/subnet_group.go", ("name",)),
    "aws:elasticache/parameterGroup:ParameterGroup": (TF + "elasticache/parameter_group.go", ("name", "family",
                                                                                              "description")),
    "aws:msk/cluster:Cluster": (TF + "kafka/cluster.go", (
        "clusterName", "brokerNodeGroupInfo.clientSubnets", "brokerNodeGroupInfo.securityGroups",
        "brokerNodeGroupInfo.azDistribution", "encryptionInfo.encryptionAtRestKmsKeyArn",
        "encryptionInfo.encryptionInTransit.inCluster")),
    "aws:msk/configuration:Configuration": (TF + "kafka/configuration.go", ("name", "kafkaVersions")),
    "aws:msk/scramSecretAssociation:ScramSecretAssociation": (TF + "kafka/scram_secret_association.go",
                                                              ("clusterArn",)),
    "aws:cloudfront/distribution:Distribution": (TF + "cloudfront/distribution.go", ()),
    "aws:cloudfront/cachePolicy:CachePolicy": (TF + "cloudfront/cache_policy.go", ()),
    "aws:cloudfront/originAccessControl:OriginAccessControl": (TF + "cloudfront/origin_access_control.go", ()),
    "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy": (TF + "cloudfront/response_headers_policy.go", ()),
    "aws:wafv2/webAcl:WebAcl": (TF + "wafv2/web_acl.go", ("name", "namePrefix", "scope")),
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": (
        TF + "wafv2/web_acl_logging_configuration.go", ("resourceArn",)),
    # pulumi-aws 7's per-resource region: the resource lives there, a new region is a new resource.
    "aws:acm/certificate:Certificate": (TF + "acm/certificate.go", (
        "domainName", "subjectAlternativeNames", "validationMethod", "keyAlgorithm", "certificateAuthorityArn",
        "validationOptions", "region")),
    "aws:acm/certificateValidation:CertificateValidation": (TF + "acm/certificate_validation.go", (
        "certificateArn", "validationRecordFqdns", "region")),
    "aws:route53/zone:Zone": (TF + "route53/zone.go", ("name", "delegationSetId")),
    "aws:route53/record:Record": (TF + "route53/record.go", ("name", "zoneId")),
    "aws:cloudwatch/logDeliverySource:LogDeliverySource": (TF + "logs/delivery_source.go",
                                                           ("logType", "name", "resourceArn")),
    # destination_resource_arn replaces only when its service changes (RequiresReplaceIf).
    "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination": (TF + "logs/delivery_destination.go",
                                                                     ("name", "outputFormat")),
    "aws:cloudwatch/logDelivery:LogDelivery": (TF + "logs/delivery.go",
                                               ("deliveryDestinationArn", "deliverySourceName")),
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": (TF + "logs/resource_policy.go",
                                                           ("policyName", "resourceArn")),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": (TF + "ec2/vpc_default_security_group.go", ("vpcId",)),
    "aws:s3/bucket:Bucket": (TF + "s3/bucket.go", ("bucket", "bucketPrefix", "objectLockEnabled")),
    "aws:s3/bucketPolicy:BucketPolicy": (TF + "s3/bucket_policy.go", ("bucket",)),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": (TF + "s3/bucket_public_access_block.go",
                                                              ("bucket",)),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": (TF + "s3/bucket_ownership_controls.go",
                                                              ("bucket",)),
    "aws:s3/bucketVersioning:BucketVersioning": (TF + "s3/bucket_versioning.go", ("bucket", "expectedBucketOwner")),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        TF + "s3/bucket_server_side_encryption_configuration.go", ("bucket", "expectedBucketOwner")),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": (
        TF + "s3/bucket_lifecycle_configuration.go", ("bucket", "expectedBucketOwner")),
    "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration": (TF + "s3/bucket_cors_configuration.go",
                                                              ("bucket", "expectedBucketOwner")),
    # vpcConfig subnets and security groups are updated in place (UpdateClusterConfig).
    "aws:eks/cluster:Cluster": (TF + "eks/cluster.go", (
        "name", "roleArn", "kubernetesNetworkConfig.ipFamily", "kubernetesNetworkConfig.serviceIpv4Cidr",
        "outpostConfig.controlPlaneInstanceType", "outpostConfig.controlPlanePlacement", "remoteNetworkConfig",
        "accessConfig.bootstrapClusterCreatorAdminPermissions", "bootstrapSelfManagedAddons")),
    "aws:eks/nodeGroup:NodeGroup": (TF + "eks/node_group.go", (
        "amiType", "capacityType", "clusterName", "diskSize", "instanceTypes", "launchTemplate.id",
        "launchTemplate.name", "nodeGroupName", "nodeGroupNamePrefix", "nodeRoleArn", "remoteAccess", "subnetIds")),
    "aws:eks/addon:Addon": (TF + "eks/addon.go", ("addonName", "clusterName")),
    "aws:eks/accessEntry:AccessEntry": (TF + "eks/access_entry.go", ("clusterName", "principalArn", "type")),
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": (TF + "eks/access_policy_association.go", (
        "clusterName", "principalArn", "policyArn", "accessScope")),
    "aws:appautoscaling/target:Target": (TF + "appautoscaling/target.go", ("resourceId", "scalableDimension",
                                                                          "serviceNamespace")),
    "aws:appautoscaling/policy:Policy": (TF + "appautoscaling/policy.go", ("name", "resourceId", "scalableDimension",
                                                                          "serviceNamespace")),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": (TF + "iam/openid_connect_provider.go", ("url",)),
    "aws:iam/role:Role": (TF + "iam/role.go", ("name", "namePrefix", "path")),
    "aws:iam/rolePolicy:RolePolicy": (TF + "iam/role_policy.go", ("name", "namePrefix", "role")),
    "aws:iam/policy:Policy": (TF + "iam/policy.go", ("name", "namePrefix", "path", "description")),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": (TF + "iam/role_policy_attachment.go",
                                                          ("role", "policyArn")),
    "aws:kms/key:Key": (TF + "kms/key.go", ("customKeyStoreId", "xksKeyId", "multiRegion")),
    "aws:kms/alias:Alias": (TF + "kms/alias.go", ("name", "namePrefix")),
    "aws:secretsmanager/secret:Secret": (TF + "secretsmanager/secret.go", ("name", "namePrefix")),
    "aws:secretsmanager/secretPolicy:SecretPolicy": (TF + "secretsmanager/secret_policy.go", ("secretArn",)),
    "aws:secretsmanager/secretRotation:SecretRotation": (TF + "secretsmanager/secret_rotation.go", ("secretId",)),
    "aws:secretsmanager/secretVersion:SecretVersion": (TF + "secretsmanager/secret_version.go",
                                                      ("secretId", "secretString", "secretBinary")),
    "aws:ecr/repository:Repository": (TF + "ecr/repository.go", ("name", "encryptionConfigurations")),
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": (TF + "ecr/lifecycle_policy.go", ("repository",)),
    "aws:sns/topic:Topic": (TF + "sns/topic.go", ("name", "namePrefix", "fifoTopic")),
    "aws:sns/topicPolicy:TopicPolicy": (TF + "sns/topic_policy.go", ("arn",)),
    "aws:sns/topicSubscription:TopicSubscription": (TF + "sns/topic_subscription.go",
                                                    ("topic", "protocol", "endpoint")),
    "random:index/randomId:RandomId": ("terraform-provider-random internal/provider/resource_id.go",
                                       ("byteLength", "prefix", "keepers")),
    "random:index/randomPassword:RandomPassword": ("terraform-provider-random internal/provider/resource_password.go",
                                                   ("length", "special", "upper", "lower", "numeric", "minNumeric",
                                                    "minUpper", "minLower", "minSpecial", "overrideSpecial",
                                                    "keepers")),
    # Providers: a changed provider input is shown; whether its resources are replaced is the
    # provider's DiffConfig call at preview time (a region change does replace them).
    "pulumi:providers:aws": ("pulumi-aws provider DiffConfig", ("region",)),
    "pulumi:providers:kubernetes": ("pulumi-kubernetes provider DiffConfig", ()),
}

_SELECTOR = ("spec.selector",)
_POD_SPEC = ("affinity", "automountServiceAccountToken", "dnsConfig", "dnsPolicy", "enableServiceLinks",
             "hostAliases", "hostIPC", "hostNetwork", "hostPID", "hostname", "imagePullSecrets", "nodeName",
             "nodeSelector", "overhead", "preemptionPolicy", "priority", "priorityClassName", "readinessGates",
             "restartPolicy", "runtimeClassName", "schedulerName", "securityContext", "serviceAccount",
             "serviceAccountName", "shareProcessNamespace", "subdomain", "terminationGracePeriodSeconds", "volumes")
KUBERNETES: dict[str, tuple[str, ...]] = {
    "apps/v1:Deployment": _SELECTOR,
    "apps/v1:DaemonSet": _SELECTOR,
    "apps/v1:StatefulSet": ("spec.podManagementPolicy", "spec.revisionHistoryLimit", "spec.selector",
                            "spec.serviceName", "spec.volumeClaimTemplates"),
    "batch/v1:Job": ("spec.completions", "spec.parallelism", "spec.selector", "spec.template"),
    "core/v1:PersistentVolumeClaim": ("spec.accessModes", "spec.selector", "spec.storageClassName",
                                      "spec.volumeName"),
    "core/v1:Pod": (*tuple(f"spec.{p}" for p in _POD_SPEC), "spec.containers", "spec.initContainers"),
    "core/v1:Service": ("spec.clusterIP",),
    "core/v1:Secret": ("type",),  # plus data/stringData unless enableSecretMutable (below)
    "core/v1:ConfigMap": (),      # data/binaryData unless enableConfigMapMutable (below)
    "core/v1:ResourceQuota": ("spec.scopes",),
    "rbac.authorization.k8s.io/v1:ClusterRoleBinding": ("roleRef",),
    "rbac.authorization.k8s.io/v1:RoleBinding": ("roleRef",),
    "storage.k8s.io/v1:StorageClass": ("parameters", "provisioner"),
    "helm.sh/v3:Release": ("name", "namespace"),
}
KUBERNETES_METADATA = ("metadata.name", "metadata.namespace")


def _rule_source(inputs: dict[str, Any]) -> str | None:
    return next((k for k in ("cidrIpv4", "cidrIpv6", "prefixListId", "referencedSecurityGroupId") if inputs.get(k)),
                None)


def _version(text: Any) -> tuple[int, ...]:
    return tuple(int(p) for p in str(text or "0").split(".") if p.isdigit())


def _changed_rule_source(old: dict[str, Any], new: dict[str, Any]) -> str | None:
    # ModifyPlan: "When you modify a rule, you cannot change the rule's source type."
    before, after = _rule_source(old), _rule_source(new)
    return f"the rule's source changes from {before} to {after}" if before != after else None


def _engine_downgrade(old: dict[str, Any], new: dict[str, Any]) -> str | None:
    # customizeDiffEngineVersionForceNewOnDowngrade / customizeDiffEngineForceNewOnDowngrade
    if old.get("engine") == "valkey" and new.get("engine") == "redis":
        return "the engine goes back from valkey to redis"
    if _version(new.get("engineVersion")) < _version(old.get("engineVersion")):
        return f"engineVersion goes down from {old.get('engineVersion')} to {new.get('engineVersion')}"
    return None


def _encryption_removed(old: dict[str, Any], new: dict[str, Any]) -> str | None:
    # ForceNewIfChange("encryption_config"): envelope encryption cannot be turned off.
    return "encryptionConfig is removed" if old.get("encryptionConfig") and not new.get("encryptionConfig") else None


CONDITIONAL: dict[str, Any] = {
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _changed_rule_source,
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _changed_rule_source,
    "aws:elasticache/replicationGroup:ReplicationGroup": _engine_downgrade,
    "aws:eks/cluster:Cluster": _encryption_removed,
}


def conditional_replacement(type_: str, old: dict[str, Any], new: dict[str, Any]) -> str | None:
    """Why the provider replaces the resource for this particular change, when that depends on old and new."""
    check = CONDITIONAL.get(type_)
    return check(old, new) if check else None


def source_of(type_: str) -> str | None:
    if type_ in AWS:
        return AWS[type_][0]
    if type_.startswith("kubernetes:"):
        return K8S
    return None


def known(type_: str) -> bool:
    """Is the type classified? (Every Kubernetes kind is: metadata.name/namespace at least.)"""
    return type_ in AWS or type_.startswith("kubernetes:")


def replace_paths(type_: str, provider_inputs: dict[str, Any] | None = None) -> tuple[str, ...]:
    if type_ in AWS:
        return AWS[type_][1]
    if type_.startswith("kubernetes:"):
        kind = type_.split(":", 1)[1]
        paths = KUBERNETES.get(kind, ())
        if kind == "helm.sh/v3:Release":
            return paths
        flags = provider_inputs or {}
        if kind == "core/v1:Secret" and str(flags.get("enableSecretMutable", "")).lower() != "true":
            paths += ("data", "stringData")
        if kind == "core/v1:ConfigMap" and str(flags.get("enableConfigMapMutable", "")).lower() != "true":
            paths += ("data", "binaryData")
        return KUBERNETES_METADATA + paths
    return ()


def forces_replacement(type_: str, path: str, provider_inputs: dict[str, Any] | None = None) -> bool:
    """Does a change at ``path`` (dotted, list indexes as ``[n]``) replace a resource of ``type_``?"""
    plain = ".".join(part.split("[")[0] for part in path.split("."))
    for candidate in replace_paths(type_, provider_inputs):
        if plain == candidate or plain.startswith(candidate + "."):
            return True
    return False
