"""What the mock engine answers in place of AWS and Kubernetes.

Resources echo their inputs plus the outputs the real provider computes (``id``, ``arn``,
endpoints, DNS names) in realistic shapes, so ``.apply`` code in the program runs on
values like the real ones. Invokes (data sources) answer only the questions the program is
meant to ask, with the arguments the real provider accepts (a managed prefix list or CloudFront
policy by its exact name, a public zone by name, the ELB account of a region AWS lists one for,
the caller's identity without arguments); any other question fails loudly, as AWS would, rather
than returning a plausible answer that a test would then check: a table that answered every name
with the same id would let the program ask for the wrong list unnoticed. An invoke the table does
not know fails too, rather than returning ``{}``.
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from collections.abc import Callable

import pulumi
from pulumi.runtime import rpc

# Not one of the accounts AWS documentation uses (123456789012, ...): those mark the committed
# placeholders the policy pack refuses, and the engine's own ARNs must not look like them.
ACCOUNT_ID = "210987654321"
# How the engine marks a secret inside serialized properties.
SECRET_SIG_KEY = rpc._special_sig_key
SECRET_SIG = rpc._special_secret_sig


def _short_hash(text: str, length: int = 8) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


class FakeCloud(pulumi.runtime.Mocks):
    def __init__(self, stack: str, region: str):
        self.stack = stack
        self.default_region = region
        self.region = region
        self._provider_regions: dict[str, str] = {}
        self.invokes: list[dict] = []  # every data-source call and its answer (the diagram names prefix lists by them)

    # --- resources -------------------------------------------------------------------

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        state = dict(args.inputs)
        resource_id = args.resource_id or f"{args.name}-{_short_hash(args.typ + args.name)}"
        if args.typ == "pulumi:providers:aws":
            self._provider_regions[args.name] = state.get("region", self.default_region)
        # Resources created through an explicit provider live in that provider's region.
        provider_name = (args.provider or "").rsplit("::", 2)[-2] if args.provider else None
        # pulumi-aws 7 takes a per-resource `region` too (it wins over the provider's).
        self.region = state.get("region") or self._provider_regions.get(provider_name, self.default_region)
        if args.typ.startswith("aws:"):
            # Pulumi auto-names resources whose name the program leaves open: <name>-<7 hex>.
            state.setdefault("name", f"{args.name}-{_short_hash(args.name, 7)}")
            state.setdefault("arn", self._arn(args.typ, args.name, state))
        computed = _COMPUTED.get(args.typ)
        if computed is not None:
            state.update(computed(self, args.name, state))
        if args.typ == "random:index/randomId:RandomId":
            # hex/dec of byteLength bytes, deterministic per name (two evaluations must agree).
            digest = hashlib.sha256(args.name.encode()).digest()[: int(state.get("byteLength", 8))]
            state.update({"hex": digest.hex(), "dec": str(int.from_bytes(digest, "big")),
                          "b64Url": base64.urlsafe_b64encode(digest).rstrip(b"=").decode()})
        elif args.typ.startswith("random:") and "result" not in state:
            # The random provider marks `result` secret; mirror it so the secret checks see it.
            value = ("mock" + hashlib.sha256(args.name.encode()).hexdigest())[: int(state.get("length", 32))]
            state["result"] = {SECRET_SIG_KEY: SECRET_SIG, "value": value}
        return resource_id, state

    def _arn(self, typ: str, name: str, state: dict) -> str:
        service = typ.split(":")[1].split("/")[0]
        resource = state.get("name") or name
        if service in ("iam", "s3", "cloudfront"):
            return f"arn:aws:{service}::{ACCOUNT_ID}:{resource}"
        return f"arn:aws:{service}:{self.region}:{ACCOUNT_ID}:{resource}"

    # --- invokes ---------------------------------------------------------------------

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        # An invoke answers for its provider's region (the default provider: the stack's).
        provider_name = args.provider.rsplit("::", 2)[-2] if args.provider else None
        self.region = self._provider_regions.get(provider_name, self.default_region)
        answer = _INVOKES.get(args.token)
        if answer is None:
            raise NotImplementedError(
                f"the mock engine has no answer for invoke {args.token}; add one to tools/harness/fake_cloud.py"
            )
        result = answer(self, args.args)
        self.invokes.append({"token": args.token, "args": dict(args.args), "result": result})
        return result


def _vpc_like(cloud: FakeCloud, name: str, state: dict) -> dict:
    return {"ownerId": ACCOUNT_ID}


def _log_group(cloud: FakeCloud, name: str, state: dict) -> dict:
    group = state.get("name") or name
    return {"arn": f"arn:aws:logs:{cloud.region}:{ACCOUNT_ID}:log-group:{group}"}


def _iam_role(cloud: FakeCloud, name: str, state: dict) -> dict:
    role = state.get("name") or name
    return {"arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{role}", "name": role, "uniqueId": "AROA" + _short_hash(role, 16)}


def _rds_instance(cloud: FakeCloud, name: str, state: dict) -> dict:
    address = f"{state['identifier']}.c9akciq32.{cloud.region}.rds.amazonaws.com"
    computed = {"address": address, "endpoint": f"{address}:{int(state.get('port', 5432))}",
                "arn": f"arn:aws:rds:{cloud.region}:{ACCOUNT_ID}:db:{state['identifier']}"}
    if state.get("manageMasterUserPassword"):
        # RDS names the secret it manages rds!db-<uuid> (Secrets Manager adds -<6 characters>).
        uuid = f"{_short_hash(name, 8)}-1b2c-4d3e-8f9a-{_short_hash(name + 'secret', 12)}"
        computed["masterUserSecrets"] = [{
            "secretArn": f"arn:aws:secretsmanager:{cloud.region}:{ACCOUNT_ID}:secret:rds!db-{uuid}-Xy1Z2w",
            "kmsKeyId": f"arn:aws:kms:{cloud.region}:{ACCOUNT_ID}:alias/aws/secretsmanager",
            "secretStatus": "active"}]
    return computed


def _rds_proxy(cloud: FakeCloud, name: str, state: dict) -> dict:
    return {"endpoint": f"{state['name']}.proxy-c9akciq32.{cloud.region}.rds.amazonaws.com",
            "arn": f"arn:aws:rds:{cloud.region}:{ACCOUNT_ID}:db-proxy:prx-{_short_hash(name, 17)}"}


def _replication_group(cloud: FakeCloud, name: str, state: dict) -> dict:
    group = state["replicationGroupId"]
    return {"primaryEndpointAddress": f"master.{group}.abc123.apn2.cache.amazonaws.com",
            "readerEndpointAddress": f"replica.{group}.abc123.apn2.cache.amazonaws.com",
            "memberClusters": [f"{group}-{i:03d}" for i in range(1, int(state.get("numCacheClusters", 1)) + 1)]}


def _kms_key(cloud: FakeCloud, name: str, state: dict) -> dict:
    key_id = f"{_short_hash(name, 8)}-1111-2222-3333-{_short_hash(name + 'key', 12)}"
    return {"keyId": key_id, "arn": f"arn:aws:kms:{cloud.region}:{ACCOUNT_ID}:key/{key_id}"}


def _secret(cloud: FakeCloud, name: str, state: dict) -> dict:
    return {"arn": f"arn:aws:secretsmanager:{cloud.region}:{ACCOUNT_ID}:secret:{state['name']}-AbCdEf"}


def _sqs_queue(cloud: FakeCloud, name: str, state: dict) -> dict:
    return {"url": f"https://sqs.{cloud.region}.amazonaws.com/{ACCOUNT_ID}/{state['name']}",
            "arn": f"arn:aws:sqs:{cloud.region}:{ACCOUNT_ID}:{state['name']}"}


def _elb_arn(cloud: FakeCloud) -> str:
    return f"arn:aws:elasticloadbalancing:{cloud.region}:{ACCOUNT_ID}"


def _load_balancer(cloud: FakeCloud, name: str, state: dict) -> dict:
    scheme = "internal-" if state.get("internal") else ""
    lb_name = state["name"]
    return {"dnsName": f"{scheme}{lb_name}-1234567890.{cloud.region}.elb.amazonaws.com",
            "zoneId": "ZWKZPGTI48KDX",
            "arnSuffix": f"app/{lb_name}/50dc6c495c0c9188",
            "arn": f"{_elb_arn(cloud)}:loadbalancer/app/{lb_name}/50dc6c495c0c9188"}


def _target_group(cloud: FakeCloud, name: str, state: dict) -> dict:
    return {"arn": f"{_elb_arn(cloud)}:targetgroup/{state['name']}/6d0ecf831eec9f09",
            "arnSuffix": f"targetgroup/{state['name']}/6d0ecf831eec9f09"}


def _lambda_function(cloud: FakeCloud, name: str, state: dict) -> dict:
    region = state.get("region") or cloud.region
    arn = f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{state['name']}"
    published = bool(state.get("publish"))
    return {"arn": arn, "version": "1" if published else "$LATEST",
            "qualifiedArn": f"{arn}:1" if published else f"{arn}:$LATEST",
            "invokeArn": f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations"}


def _bucket(cloud: FakeCloud, name: str, state: dict) -> dict:
    bucket = state.get("bucket") or f"{state.get('bucketPrefix', name + '-')}20261124000000000000000001"
    return {"bucket": bucket, "arn": f"arn:aws:s3:::{bucket}", "bucketDomainName": f"{bucket}.s3.amazonaws.com",
            "bucketRegionalDomainName": f"{bucket}.s3.{cloud.region}.amazonaws.com"}


def _distribution(cloud: FakeCloud, name: str, state: dict) -> dict:
    return {"domainName": "d1a2b3c4d5e6f7.cloudfront.net", "hostedZoneId": "Z2FDTNDATAQYW2",
            "arn": f"arn:aws:cloudfront::{ACCOUNT_ID}:distribution/E1A2B3C4D5E6F7"}


def _web_acl(cloud: FakeCloud, name: str, state: dict) -> dict:
    return {"arn": f"arn:aws:wafv2:{cloud.region}:{ACCOUNT_ID}:global/webacl/{state['name']}/a1b2c3d4"}


def _eks_cluster(cloud: FakeCloud, name: str, state: dict) -> dict:
    oidc_id = _short_hash(state["name"], 32).upper()
    return {"endpoint": f"https://{oidc_id}.gr7.{cloud.region}.eks.amazonaws.com",
            "certificateAuthority": {"data": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCm9mZmxpbmUtcmVuZGVyCi0tLS0tRU5E"},
            "identities": [{"oidcs": [{"issuer": f"https://oidc.eks.{cloud.region}.amazonaws.com/id/{oidc_id}"}]}],
            "vpcConfig": {**state.get("vpcConfig", {}), "clusterSecurityGroupId": f"sg-{_short_hash(name, 17)}"},
            # Left out, EKS picks 10.100.0.0/16 or 172.20.0.0/16 (CreateCluster API); this account's clusters got
            # the second, the one a 10.x VPC gets (awslabs/amazon-eks-ami bootstrap.sh, TEN_RANGE).
            "kubernetesNetworkConfig": {"serviceIpv4Cidr": "172.20.0.0/16", "ipFamily": "ipv4",
                                        **state.get("kubernetesNetworkConfig", {})},
            "arn": f"arn:aws:eks:{cloud.region}:{ACCOUNT_ID}:cluster/{state['name']}"}


def _oidc_provider(cloud: FakeCloud, name: str, state: dict) -> dict:
    return {"arn": f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{state['url'].removeprefix('https://')}"}


def _ecr_repository(cloud: FakeCloud, name: str, state: dict) -> dict:
    return {"repositoryUrl": f"{ACCOUNT_ID}.dkr.ecr.{cloud.region}.amazonaws.com/{state['name']}",
            "arn": f"arn:aws:ecr:{cloud.region}:{ACCOUNT_ID}:repository/{state['name']}"}


def _event_rule(cloud: FakeCloud, name: str, state: dict) -> dict:
    return {"arn": f"arn:aws:events:{cloud.region}:{ACCOUNT_ID}:rule/{state['name']}"}


def _access_entry(cloud: FakeCloud, name: str, state: dict) -> dict:
    principal = state["principalArn"].rsplit("/", 1)[-1]
    return {"accessEntryArn": f"arn:aws:eks:{cloud.region}:{ACCOUNT_ID}:access-entry/{state['clusterName']}/role/"
                              f"{ACCOUNT_ID}/{principal}/{_short_hash(name, 8)}",
            "kubernetesGroups": [], "userName": "system:node:{{EC2PrivateDNSName}}"
            if state.get("type") == "EC2_LINUX" else state["principalArn"]}


def _msk_cluster(cloud: FakeCloud, name: str, state: dict) -> dict:
    """MSK's computed outputs, shaped as DescribeCluster/GetBootstrapBrokers return them."""
    cluster, suffix = state["clusterName"], _short_hash(name, 6)
    uuid = f"{_short_hash(name, 8)}-{_short_hash(name + '1', 4)}-{_short_hash(name + '2', 4)}-" \
           f"{_short_hash(name + '3', 4)}-{_short_hash(name + '4', 12)}-2"
    brokers = int(state.get("numberOfBrokerNodes", 3))
    host = lambda n: f"b-{n}.{cluster}.{suffix}.c2.kafka.{cloud.region}.amazonaws.com"  # noqa: E731
    # The provider sorts each list; an endpoint list is set only for the listeners the cluster has
    # (client_broker TLS, SCRAM on, no IAM, no unauthenticated clients: SASL/SCRAM alone).
    auth = state.get("clientAuthentication") or {}
    tls_only = (state.get("encryptionInfo") or {}).get("encryptionInTransit", {}).get("clientBroker", "TLS") == "TLS"
    listing = lambda port, on: ",".join(sorted(f"{host(n)}:{port}" for n in range(1, brokers + 1))) if on else ""  # noqa: E731
    sasl = auth.get("sasl") or {}
    return {
        "arn": f"arn:aws:kafka:{cloud.region}:{ACCOUNT_ID}:cluster/{cluster}/{uuid}",
        "clusterUuid": uuid,
        "currentVersion": "K3AEGXETSR30VB",
        "bootstrapBrokers": listing(9092, not tls_only),
        "bootstrapBrokersTls": listing(9094, bool(auth.get("unauthenticated")) or "tls" in auth),
        "bootstrapBrokersSaslScram": listing(9096, bool(sasl.get("scram"))),
        "bootstrapBrokersSaslIam": listing(9098, bool(sasl.get("iam"))),
        "zookeeperConnectString": "",  # KRaft: no ZooKeeper
        "zookeeperConnectStringTls": "",
        "storageMode": state.get("storageMode", "LOCAL"),
    }


def _msk_configuration(cloud: FakeCloud, name: str, state: dict) -> dict:
    configuration = state["name"]
    return {"arn": f"arn:aws:kafka:{cloud.region}:{ACCOUNT_ID}:configuration/{configuration}/"
                   f"{_short_hash(name, 8)}-1111-2222-3333-{_short_hash(name, 12)}-2",
            "latestRevision": 1}


def _scalable_target(cloud: FakeCloud, name: str, state: dict) -> dict:
    return {"arn": f"arn:aws:application-autoscaling:{cloud.region}:{ACCOUNT_ID}:scalable-target/"
                   f"056{_short_hash(name, 28)}",
            "roleArn": f"arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/kafka.application-autoscaling.amazonaws.com/"
                       "AWSServiceRoleForApplicationAutoScaling_KafkaCluster"}


def _scaling_policy(cloud: FakeCloud, name: str, state: dict) -> dict:
    return {"arn": f"arn:aws:autoscaling:{cloud.region}:{ACCOUNT_ID}:scalingPolicy:{_short_hash(name, 8)}-"
                   f"1111-2222-3333-{_short_hash(name, 12)}:resource/kafka/{state['resourceId']}:"
                   f"policyName/{state['name']}",
            "alarmArns": [f"arn:aws:cloudwatch:{cloud.region}:{ACCOUNT_ID}:alarm:TargetTracking-{state['name']}-"
                          f"{kind}-{_short_hash(name + kind, 8)}" for kind in ("AlarmHigh",)]}


def _topic_subscription(cloud: FakeCloud, name: str, state: dict) -> dict:
    # Email and HTTP(S) subscriptions wait for the endpoint's owner to confirm; SNS confirms Lambda ones itself.
    protocol = state.get("protocol")
    return {"pendingConfirmation": protocol in ("email", "email-json", "http", "https"),
            "confirmationWasAuthenticated": protocol == "lambda",
            "arn": f"{state['topic']}:{_short_hash(name, 8)}-aaaa-bbbb-cccc-{_short_hash(name + 's', 12)}"}


def _certificate(cloud: FakeCloud, name: str, state: dict) -> dict:
    """ACM's answer to RequestCertificate with DNS validation: one CNAME per name to validate.

    ACM derives the CNAME from the account and the name without ``*.``: a wildcard and its apex
    share one record, and so do two certificates (or regions) naming the same domain
    (terraform-aws-modules/terraform-aws-acm#8, hashicorp/terraform-provider-aws#13653)."""
    names = [state["domainName"], *state.get("subjectAlternativeNames", [])]
    certificate_id = str(uuid.UUID(hashlib.sha256((cloud.region + name).encode()).hexdigest()[:32]))

    def option(domain: str) -> dict:
        base = domain.removeprefix("*.")
        token = _short_hash(ACCOUNT_ID + base, 32)
        return {"domainName": domain, "resourceRecordName": f"_{token}.{base}.", "resourceRecordType": "CNAME",
                "resourceRecordValue": f"_{_short_hash(token, 32)}.{_short_hash(base, 10)}.acm-validations.aws."}

    return {"arn": f"arn:aws:acm:{cloud.region}:{ACCOUNT_ID}:certificate/{certificate_id}",
            "domainValidationOptions": [option(domain) for domain in names], "status": "PENDING_VALIDATION",
            "keyAlgorithm": state.get("keyAlgorithm", "RSA_2048")}


def _zone(cloud: FakeCloud, name: str, state: dict) -> dict:
    zone_id = zone_id_for(state["name"])
    return {"zoneId": zone_id, "arn": f"arn:aws:route53:::hostedzone/{zone_id}",
            "nameServers": [] if state.get("vpcs") else [f"ns-{i}.awsdns-{i:02d}.org" for i in (1, 2)]}


def _record(cloud: FakeCloud, name: str, state: dict) -> dict:
    return {"fqdn": state["name"].rstrip(".")}


def _log_delivery_arn(kind: str) -> Callable[[FakeCloud, str, dict], dict]:
    def computed(cloud: FakeCloud, name: str, state: dict) -> dict:
        return {"arn": f"arn:aws:logs:{cloud.region}:{ACCOUNT_ID}:{kind}:{state['name']}"}
    return computed


def _default_security_group(cloud: FakeCloud, name: str, state: dict) -> dict:
    group_id = f"sg-{_short_hash(name, 17)}"
    return {"name": "default", "arn": f"arn:aws:ec2:{cloud.region}:{ACCOUNT_ID}:security-group/{group_id}"}


def zone_id_for(zone_name: str) -> str:
    """The id Route 53 gives the zone called ``zone_name`` in the fake account (stable, realistic shape)."""
    return "Z" + hashlib.sha256(zone_name.encode()).hexdigest()[:20].upper()


_COMPUTED: dict[str, Callable[[FakeCloud, str, dict], dict]] = {
    "aws:cloudwatch/eventRule:EventRule": _event_rule,
    "aws:eks/accessEntry:AccessEntry": _access_entry,
    "aws:sns/topicSubscription:TopicSubscription": _topic_subscription,
    "aws:cloudwatch/dashboard:Dashboard": lambda cloud, name, state: {
        "dashboardArn": f"arn:aws:cloudwatch::{ACCOUNT_ID}:dashboard/{state['dashboardName']}"},
    "aws:msk/cluster:Cluster": _msk_cluster,
    "aws:msk/configuration:Configuration": _msk_configuration,
    "aws:appautoscaling/target:Target": _scalable_target,
    "aws:appautoscaling/policy:Policy": _scaling_policy,
    "aws:acm/certificate:Certificate": _certificate,
    "aws:route53/zone:Zone": _zone,
    "aws:route53/record:Record": _record,
    "aws:cloudwatch/logDeliverySource:LogDeliverySource": _log_delivery_arn("delivery-source"),
    "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination": _log_delivery_arn("delivery-destination"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _default_security_group,
    "aws:eks/cluster:Cluster": _eks_cluster,
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _oidc_provider,
    "aws:ecr/repository:Repository": _ecr_repository,
    "aws:ec2/launchTemplate:LaunchTemplate": lambda cloud, name, state: {"latestVersion": 1},
    "aws:s3/bucket:Bucket": _bucket,
    "aws:cloudfront/distribution:Distribution": _distribution,
    "aws:wafv2/webAcl:WebAcl": _web_acl,
    "aws:sqs/queue:Queue": _sqs_queue,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:lb/targetGroup:TargetGroup": _target_group,
    "aws:lambda/function:Function": _lambda_function,
    "aws:rds/instance:Instance": _rds_instance,
    "aws:rds/proxy:Proxy": _rds_proxy,
    "aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup": lambda cloud, name, state: {"name": "default"},
    "aws:elasticache/replicationGroup:ReplicationGroup": _replication_group,
    "aws:kms/key:Key": _kms_key,
    "aws:secretsmanager/secret:Secret": _secret,
    "aws:ec2/vpc:Vpc": _vpc_like,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:iam/role:Role": _iam_role,
}

# The ELB log-delivery account of each region this program may use (Elastic Load Balancing User Guide,
# "Enable access logs for your Application Load Balancer", regions available before August 2022).
ELB_ACCOUNTS = {"ap-northeast-2": "600734575887", "us-east-1": "127311923021"}

# AWS-managed CloudFront policies (names and ids as AWS publishes them: "Use managed cache policies",
# "Use managed origin request policies", CloudFront Developer Guide). The program looks them up by
# name; a name outside this table does not exist in any account, as a custom policy would not here.
MANAGED_CACHE_POLICIES = {"Managed-CachingDisabled": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
                          "Managed-CachingOptimized": "658327ea-f89d-4fab-a63d-7e88639e58f6"}
MANAGED_ORIGIN_REQUEST_POLICIES = {"Managed-AllViewer": "216adef6-5c7f-47e4-b989-5492eafa07d3",
                                   "Managed-AllViewerExceptHostHeader": "b689b0a8-53d0-40ab-baf2-68738e2966ac"}
# AWS-managed prefix lists the fake account holds, by name: CloudFront's origin-facing servers (a
# weight of 55 against a security group's rules: VPC User Guide, "AWS-managed prefix lists") and, so
# that a wrong name that exists in every region is not mistaken for it, the S3 gateway list. The ids
# are per region in AWS and not documented; these are the fake account's.
MANAGED_PREFIX_LISTS = {"com.amazonaws.global.cloudfront.origin-facing": ("pl-22a6434b", 55),
                        "com.amazonaws.{region}.s3": ("pl-78a54011", 1)}
_HOST_NAME = re.compile(r"^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


def _given(args: dict) -> dict:
    return {key: value for key, value in args.items() if value not in (None, "", {}, [])}


def _managed_policy(kind: str, table: dict[str, str]) -> Callable[[FakeCloud, dict], dict]:
    def answer(cloud: FakeCloud, args: dict) -> dict:
        given = _given(args)
        if set(given) != {"name"} or given["name"] not in table:
            raise ValueError(f"no CloudFront {kind} policy matches {given}; the fake account has AWS's managed "
                             f"ones, asked for by name: {', '.join(table)}")
        return {"id": table[given["name"]], "name": given["name"], "etag": "E23ZP02F085DFQ",
                "arn": f"arn:aws:cloudfront::aws:{kind}-policy/{table[given['name']]}"}
    return answer


def _public_zone(cloud: FakeCloud, args: dict) -> dict:
    """A public hosted zone found by name (what the program asks): any well-formed name exists in the
    fake account, so a team's own domain renders too; anything else is an error, as in the provider."""
    given = _given({key: value for key, value in args.items() if key != "privateZone"})
    name = given.get("name")
    if set(given) != {"name"} or args.get("privateZone") is not False or not _HOST_NAME.match(name or ""):
        raise ValueError(f"getZone: the program looks a public zone up by its name only (name without a trailing "
                         f"dot, privateZone false); asked {args}")
    zone_id = zone_id_for(name)
    return {"id": zone_id, "zoneId": zone_id, "name": name, "privateZone": False, "arn":
            f"arn:aws:route53:::hostedzone/{zone_id}", "nameServers": ["ns-1.awsdns-01.org", "ns-2.awsdns-02.org"],
            "resourceRecordSetCount": 2, "callerReference": "fake", "comment": "", "tags": {}}


def _invoke_region(cloud: FakeCloud, args: dict, what: str) -> str:
    """The region an invoke answers for: its own ``region`` argument (pulumi-aws 7) or the provider's."""
    region = args.get("region") or cloud.region
    if region not in ELB_ACCOUNTS:
        raise ValueError(f"{what}: region {region!r} is not one this program deploys to ({', '.join(ELB_ACCOUNTS)})")
    return region


def _prefix_list(cloud: FakeCloud, args: dict) -> dict:
    """A managed prefix list by its exact name, as the program asks; ids, filters or another name fail
    as a name that matches nothing does in EC2 (``DescribeManagedPrefixLists`` finds no list)."""
    given = _given(args)
    region = _invoke_region(cloud, given, "getManagedPrefixList")
    given.pop("region", None)
    names = {name.format(region=region): value for name, value in MANAGED_PREFIX_LISTS.items()}
    if set(given) != {"name"} or given["name"] not in names:
        raise ValueError(f"getManagedPrefixList: no managed prefix list matches {given} in {region}; the program "
                         f"asks for one by its exact name ({', '.join(names)})")
    list_id, max_entries = names[given["name"]]
    return {"id": list_id, "name": given["name"], "addressFamily": "IPv4", "maxEntries": max_entries,
            "arn": f"arn:aws:ec2:{region}:aws:prefix-list/{list_id}", "ownerId": "AWS", "entries": [],
            "version": 1, "tags": {}}


def _elb_service_account(cloud: FakeCloud, args: dict) -> dict:
    """The ELB log-delivery account of the invoke's region; a region AWS lists no account for fails."""
    given = _given(args)
    if set(given) - {"region"}:
        raise ValueError(f"getServiceAccount takes only a region; asked {given}")
    account = ELB_ACCOUNTS[_invoke_region(cloud, given, "getServiceAccount")]
    return {"id": account, "arn": f"arn:aws:iam::{account}:root"}


def _caller_identity(cloud: FakeCloud, args: dict) -> dict:
    if _given(args):
        raise ValueError(f"getCallerIdentity takes no arguments; asked {args}")
    return {"accountId": ACCOUNT_ID, "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/offline-render",
            "userId": "AIDAOFFLINERENDER", "id": ACCOUNT_ID}


# Only the invokes the program makes: another data source (getRegion, getPartition, getAvailabilityZones:
# the program takes the region and zones from its config) fails loudly, see FakeCloud.call.
_INVOKES: dict[str, Callable[[FakeCloud, dict], dict]] = {
    "aws:route53/getZone:getZone": _public_zone,
    "aws:cloudfront/getCachePolicy:getCachePolicy": _managed_policy("cache", MANAGED_CACHE_POLICIES),
    "aws:cloudfront/getOriginRequestPolicy:getOriginRequestPolicy": _managed_policy(
        "origin-request", MANAGED_ORIGIN_REQUEST_POLICIES),
    "aws:ec2/getManagedPrefixList:getManagedPrefixList": _prefix_list,
    "aws:elb/getServiceAccount:getServiceAccount": _elb_service_account,
    "aws:index/getCallerIdentity:getCallerIdentity": _caller_identity,
}
