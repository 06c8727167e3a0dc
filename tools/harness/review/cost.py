"""Monthly cost estimate of one rendered stack, from its inventory and the price table (prices.yaml).

Pricing is keyed by resource type (``PRICERS``): a type that costs money has a function
turning its inputs into cost lines; a type that costs nothing by itself is listed in
``FREE``. ``unpriced_types`` names any registered AWS type that is in neither, and a test
requires it to be empty, so a new component (MSK, a dashboard, ...) is priced when it lands.
Usage-driven lines (data processed, requests, log volume) say the assumption they use.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from components.config import eks_versions
from tools.harness.summary import Layout

PRICES = Path(__file__).with_name("prices.yaml")


@dataclass(frozen=True)
class Line:
    component: str
    resource: str
    what: str
    quantity: str
    monthly: float | None  # None: the table has no price for this size
    assumption: str = ""


@cache
def price_table(path: Path = PRICES) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


class Pricer:
    """Looks prices up for one region and builds the lines of one resource."""

    def __init__(self, doc: dict[str, Any], region: str, table: dict[str, Any]):
        self.table, self.region, self.hours = table, region, table["hours_per_month"]
        self.assume = table["assumptions"]
        self.by_urn = {e["urn"]: e for e in doc["resources"]}
        self.dependents: dict[str, list[dict[str, Any]]] = {}
        for e in doc["resources"]:
            for urns in e.get("dependencies", {}).values():
                for urn in urns:
                    self.dependents.setdefault(urn, []).append(e)

    def price(self, key: str, region: str | None = None) -> float:
        return float(self.table["prices"][key][region or self.region])

    def size(self, family: str, size: str, region: str | None = None) -> dict[str, Any] | None:
        row = self.table["instances"][family].get(size)
        if row is None or (region or self.region) not in row:
            return None
        return row

    def region_of(self, entry: dict[str, Any]) -> str:
        if entry["inputs"].get("region"):
            return entry["inputs"]["region"]
        provider = self.by_urn.get(entry.get("provider") or "")
        return (provider or {}).get("inputs", {}).get("region") or self.region

    def referenced(self, entry: dict[str, Any], prop: str) -> list[dict[str, Any]]:
        return [self.by_urn[u] for u in entry.get("dependencies", {}).get(prop, []) if u in self.by_urn]


def money(amount: float) -> str:
    return f"${amount:,.2f}"


Lines = Iterator[tuple[str, str, float | None, str]]  # (what, quantity, monthly, assumption)


def _nat_gateway(p: Pricer, e: dict[str, Any]) -> Lines:
    yield "NAT gateway", f"{p.hours} h", p.hours * p.price("nat_gateway_hour"), ""
    gb = p.assume["nat_gb_per_gateway"]
    yield "NAT data processing", f"{gb} GB", gb * p.price("nat_gateway_gb"), f"{gb} GB a month through it"


def _eip(p: Pricer, e: dict[str, Any]) -> Lines:
    yield "public IPv4 address", f"{p.hours} h", p.hours * p.price("public_ipv4_hour"), ""


def _vpc_endpoint(p: Pricer, e: dict[str, Any]) -> Lines:
    if e["inputs"].get("vpcEndpointType", "Gateway") != "Interface":
        return  # gateway endpoints (S3, DynamoDB) have no charge
    zones = len(e["inputs"].get("subnetIds") or []) or 1
    service = e["inputs"].get("serviceName", "").rsplit(".", 1)[-1]
    yield f"interface endpoint {service}", f"{zones} AZ × {p.hours} h", \
        zones * p.hours * p.price("interface_endpoint_hour"), ""
    gb = p.assume["endpoint_gb_per_endpoint"]
    yield f"endpoint {service} data", f"{gb} GB", gb * p.price("interface_endpoint_gb"), f"{gb} GB a month"


def _load_balancer(p: Pricer, e: dict[str, Any]) -> Lines:
    if e["inputs"].get("loadBalancerType", "application") != "application":
        return
    yield "application load balancer", f"{p.hours} h", p.hours * p.price("alb_hour"), ""
    lcu = p.assume["internal_alb_lcu" if e["inputs"].get("internal") else "alb_lcu"]
    yield "ALB capacity units", f"{lcu} LCU × {p.hours} h", lcu * p.hours * p.price("alb_lcu_hour"), \
        f"{lcu} LCU on average"


def _rds_instance(p: Pricer, e: dict[str, Any]) -> Lines:
    inputs = e["inputs"]
    copies = 2 if inputs.get("multiAz") else 1
    label = "Multi-AZ (primary + standby)" if copies == 2 else "Single-AZ"
    row = p.size("rds-postgresql", inputs.get("instanceClass", ""))
    yield (f"PostgreSQL {inputs.get('instanceClass')} {label}", f"{copies} × {p.hours} h",
           copies * p.hours * row[p.region] if row else None, "")
    storage = int(inputs.get("allocatedStorage") or 0)
    yield f"gp3 storage {label}", f"{copies} × {storage} GB", copies * storage * p.price("rds_gp3_gb_month"), \
        "allocated storage (autoscaling may grow it to maxAllocatedStorage)"


def _rds_proxy(p: Pricer, e: dict[str, Any]) -> Lines:
    targets = [t for t in p.dependents.get(e["urn"], []) if t["type"] == "aws:rds/proxyTarget:ProxyTarget"]
    instances = [i for t in targets for i in p.referenced(t, "dbInstanceIdentifier")]
    vcpus = 0
    for instance in instances:
        row = p.size("rds-postgresql", instance["inputs"].get("instanceClass", ""))
        vcpus += row["vcpus"] if row else 0
    vcpus = max(vcpus, 2)  # RDS Proxy bills at least 2 vCPUs
    yield "RDS Proxy", f"{vcpus} vCPU × {p.hours} h", vcpus * p.hours * p.price("rds_proxy_vcpu_hour"), ""


def _replication_group(p: Pricer, e: dict[str, Any]) -> Lines:
    inputs = e["inputs"]
    nodes = int(inputs.get("numCacheClusters") or
                int(inputs.get("numNodeGroups") or 1) * (int(inputs.get("replicasPerNodeGroup") or 0) + 1))
    row = p.size("elasticache", inputs.get("nodeType", ""))
    yield (f"ElastiCache {inputs.get('nodeType')}", f"{nodes} nodes × {p.hours} h",
           nodes * p.hours * row[p.region] if row else None, "")


def _msk_cluster(p: Pricer, e: dict[str, Any]) -> Lines:
    info = e["inputs"].get("brokerNodeGroupInfo") or {}
    brokers = int(e["inputs"].get("numberOfBrokerNodes") or 0)
    row = p.size("msk", info.get("instanceType", ""))
    yield (f"MSK broker {info.get('instanceType')}", f"{brokers} brokers × {p.hours} h",
           brokers * p.hours * row[p.region] if row else None, "")
    ebs = ((info.get("storageInfo") or {}).get("ebsStorageInfo") or {}).get("volumeSize") or 0
    yield "MSK storage", f"{brokers} × {ebs} GB", brokers * int(ebs) * p.price("msk_storage_gb_month"), ""


def _eks_cluster(p: Pricer, e: dict[str, Any]) -> Lines:
    version, policy = e["inputs"].get("version") or "", e["inputs"].get("upgradePolicy") or {}  # unset: EXTENDED
    if left := eks_versions.extended_since(version, policy.get("supportType", "EXTENDED"), eks_versions.today()):
        yield (f"EKS control plane {version} (extended support)", f"{p.hours} h",
               p.hours * p.price("eks_cluster_extended_hour"), f"{version} left standard support on {left}")
    else:
        yield "EKS control plane", f"{p.hours} h", p.hours * p.price("eks_cluster_hour"), ""


def _node_group(p: Pricer, e: dict[str, Any]) -> Lines:
    inputs = e["inputs"]
    desired = int((inputs.get("scalingConfig") or {}).get("desiredSize") or 0)
    instance_type = (inputs.get("instanceTypes") or ["?"])[0]
    row = p.size("ec2", instance_type)
    spot = " (on-demand price; SPOT is cheaper)" if inputs.get("capacityType") == "SPOT" else ""
    yield (f"EKS nodes {instance_type}{spot}", f"{desired} nodes × {p.hours} h",
           desired * p.hours * row[p.region] if row else None, "desiredSize nodes all month")
    # A base rendered before references were recorded: the launch template beside the node group.
    templates = p.referenced(e, "launchTemplate") or [
        t for t in p.by_urn.values() if t["type"] == "aws:ec2/launchTemplate:LaunchTemplate"
        and t.get("parent") == e.get("parent") and not e.get("dependencies")]
    for template in templates:
        for mapping in template["inputs"].get("blockDeviceMappings") or []:
            size = int((mapping.get("ebs") or {}).get("volumeSize") or 0)
            if size:
                yield "node gp3 volumes", f"{desired} × {size} GB", desired * size * p.price("ebs_gp3_gb_month"), ""


def _node_pool(p: Pricer, e: dict[str, Any]) -> Lines:
    """Karpenter's nodes at rest: what the workloads' minimums need beyond the fixed node group (after each
    node's DaemonSets), on the allowed type that costs least for it; on-sale peaks add more."""
    from tools.harness.capacity import baseline_nodes

    priced = [(count * p.size("ec2", t)[p.region], count, t) for t, count in baseline_nodes(
        list(p.by_urn.values())).items() if p.size("ec2", t)]
    if not priced:
        yield "Karpenter nodes", "at the workloads' minimums", None, "no allowed instance type has a price"
        return
    hourly, nodes, cheapest = min(priced)
    spot = " (on-demand price; spot is cheaper)" if "spot" in str(e["inputs"].get("spec")) else ""
    yield (f"Karpenter nodes {cheapest}{spot}", f"{nodes} nodes × {p.hours} h", hourly * p.hours,
           "the workloads at their minimums beyond the fixed node group; on-sale peaks add nodes up to limits.cpu")


def _distribution(p: Pricer, e: dict[str, Any]) -> Lines:
    gb, requests = p.assume["cloudfront_gb"], p.assume["cloudfront_million_requests"]
    yield "CloudFront data to viewers (no monthly base fee)", f"{gb} GB", gb * p.price("cloudfront_gb"), \
        f"{gb} GB a month"
    yield "CloudFront HTTPS requests", f"{requests} M", requests * 100 * p.price("cloudfront_10k_https"), \
        f"{requests} million requests a month"


def _web_acl(p: Pricer, e: dict[str, Any]) -> Lines:
    rules = len(e["inputs"].get("rules") or [])
    requests = p.assume["cloudfront_million_requests"]
    region = p.region_of(e)
    yield "WAF web ACL", "1", p.price("waf_web_acl_month", region), ""
    yield "WAF rules", f"{rules} rules", rules * p.price("waf_rule_month", region), ""
    yield "WAF requests", f"{requests} M", requests * p.price("waf_million_requests", region), \
        f"{requests} million requests a month"


def _function(p: Pricer, e: dict[str, Any]) -> Lines:
    inputs, region = e["inputs"], p.region_of(e)
    memory_gb = int(inputs.get("memorySize") or 128) / 1024
    if inputs.get("publish") and region == "us-east-1" and p.region != "us-east-1":
        requests = p.assume["cloudfront_million_requests"]  # Lambda@Edge: one call per viewer request
        yield "Lambda@Edge requests", f"{requests} M", requests * p.price("lambda_edge_million_requests", region), \
            f"{requests} million viewer requests a month"
        seconds = requests * 1e6 * 0.005
        yield "Lambda@Edge compute", f"{memory_gb:g} GB × {seconds:,.0f} s", \
            memory_gb * seconds * p.price("lambda_edge_gb_second", region), "5 ms a request"
        return
    invocations, duration = p.assume["worker_million_invocations"], p.assume["worker_seconds"]
    arch = "arm" if "arm64" in (inputs.get("architectures") or []) else "x86"
    yield "Lambda requests", f"{invocations} M", invocations * p.price("lambda_million_requests", region), \
        f"{invocations} million invocations a month"
    seconds = invocations * 1e6 * duration
    yield "Lambda compute", f"{memory_gb:g} GB × {seconds:,.0f} s", \
        memory_gb * seconds * p.price(f"lambda_{arch}_gb_second", region), f"{duration} s an invocation"


def _queue(p: Pricer, e: dict[str, Any]) -> Lines:
    if e["inputs"].get("redrivePolicy"):  # count the traffic once, on the main queue
        requests = p.assume["sqs_million_requests"]
        yield "SQS FIFO requests", f"{requests} M", requests * p.price("sqs_fifo_million_requests"), \
            f"{requests} million requests a month"


def _flat(key: str, what: str, assumption_key: str | None = None, unit_of: str = "") -> Callable[..., Lines]:
    def lines(p: Pricer, e: dict[str, Any]) -> Lines:
        amount = p.assume[assumption_key] if assumption_key else 1
        note = f"{amount} {unit_of} a month" if assumption_key else ""
        yield what, f"{amount} {unit_of}".strip(), amount * p.price(key, p.region_of(e)), note
    return lines


def _log_group(p: Pricer, e: dict[str, Any]) -> Lines:
    amount, region = p.assume["log_gb_per_group"], p.region_of(e)
    note = f"{amount} GB a month"
    if region not in p.table["prices"]["logs_ingest_gb"]:
        # Lambda@Edge log groups sit in every region replicas may run in; the table has two regions' rates.
        note += f", at {p.region}'s rate (the table has no figure for {region})"
        region = p.region
    yield "log ingestion", f"{amount} GB", amount * p.price("logs_ingest_gb", region), note


PRICERS: dict[str, Callable[[Pricer, dict[str, Any]], Lines]] = {
    "aws:ec2/natGateway:NatGateway": _nat_gateway,
    "aws:ec2/eip:Eip": _eip,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _vpc_endpoint,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:rds/instance:Instance": _rds_instance,
    "aws:rds/proxy:Proxy": _rds_proxy,
    "aws:elasticache/replicationGroup:ReplicationGroup": _replication_group,
    "aws:msk/cluster:Cluster": _msk_cluster,
    "aws:eks/cluster:Cluster": _eks_cluster,
    "aws:eks/nodeGroup:NodeGroup": _node_group,
    "kubernetes:karpenter.sh/v1:NodePool": _node_pool,
    "aws:cloudfront/distribution:Distribution": _distribution,
    "aws:wafv2/webAcl:WebAcl": _web_acl,
    "aws:lambda/function:Function": _function,
    "aws:sqs/queue:Queue": _queue,
    "aws:secretsmanager/secret:Secret": _flat("secret_month", "secret"),
    "aws:kms/key:Key": _flat("kms_key_month", "customer managed key"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": _flat("alarm_month", "alarm"),
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:cloudwatch/dashboard:Dashboard": _flat("dashboard_month", "dashboard"),
    "aws:cloudfront/monitoringSubscription:MonitoringSubscription": _flat(
        "cloudfront_additional_metrics_month", "CloudFront additional metrics"),
    "aws:s3/bucket:Bucket": _flat("s3_standard_gb_month", "S3 Standard storage", "s3_gb_per_bucket", "GB"),
    "aws:ecr/repository:Repository": _flat("ecr_gb_month", "image storage", "ecr_gb_per_repository", "GB"),
    # Public and private zones alike; the public zone the stack looks up is the team's, not priced here.
    "aws:route53/zone:Zone": _flat("route53_zone_month", "hosted zone"),
    "aws:cloudwatch/logDelivery:LogDelivery": _flat("vended_logs_s3_gb", "access logs delivered to S3",
                                                    "cloudfront_log_gb", "GB"),
}

# Types with no charge of their own (their cost, if any, is on a priced type: a subnet is free,
# its NAT gateway is not; a target group is part of its ALB's LCUs).
FREE = frozenset({
    "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/routeTable:RouteTable", "aws:ec2/route:Route",
    "aws:ec2/routeTableAssociation:RouteTableAssociation", "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/securityGroup:SecurityGroup", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "aws:ec2/securityGroupRule:SecurityGroupRule",
    "aws:ec2/flowLog:FlowLog", "aws:ec2/launchTemplate:LaunchTemplate", "aws:iam/role:Role",
    "aws:iam/rolePolicy:RolePolicy", "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/policy:Policy",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "aws:kms/alias:Alias", "aws:lb/listener:Listener",
    "aws:lb/listenerRule:ListenerRule", "aws:lb/targetGroup:TargetGroup", "aws:rds/subnetGroup:SubnetGroup",
    "aws:rds/parameterGroup:ParameterGroup", "aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup",
    "aws:rds/proxyTarget:ProxyTarget", "aws:elasticache/subnetGroup:SubnetGroup",
    "aws:elasticache/parameterGroup:ParameterGroup", "aws:msk/configuration:Configuration",
    "aws:msk/scramSecretAssociation:ScramSecretAssociation", "aws:eks/addon:Addon",
    "aws:eks/accessEntry:AccessEntry", "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
    "aws:cloudfront/cachePolicy:CachePolicy", "aws:cloudfront/originAccessControl:OriginAccessControl",
    "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy",
    "aws:cloudfront/originRequestPolicy:OriginRequestPolicy",
    "aws:s3/bucketPolicy:BucketPolicy", "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration", "aws:secretsmanager/secretVersion:SecretVersion",
    "aws:secretsmanager/secretRotation:SecretRotation", "aws:secretsmanager/secretPolicy:SecretPolicy",
    "aws:appautoscaling/target:Target", "aws:appautoscaling/policy:Policy", "aws:ecr/lifecyclePolicy:LifecyclePolicy",
    "aws:lambda/eventSourceMapping:EventSourceMapping", "aws:lambda/permission:Permission",
    "aws:sqs/queuePolicy:QueuePolicy", "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy", "aws:sns/topic:Topic",
    "aws:sns/topicPolicy:TopicPolicy", "aws:sns/topicSubscription:TopicSubscription",
    # Public ACM certificates cost nothing; alias queries to AWS resources are free (Route 53 pricing).
    "aws:acm/certificate:Certificate", "aws:acm/certificateValidation:CertificateValidation",
    "aws:route53/record:Record", "aws:cloudwatch/logDeliverySource:LogDeliverySource",
    "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination",
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy",
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",  # ingestion: on the log group
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    # AWS service events (EC2, AWS Health) on the default event bus are delivered free; the interruption
    # queue's SQS requests are on the queue.
    "aws:cloudwatch/eventRule:EventRule", "aws:cloudwatch/eventTarget:EventTarget",
})


def region_of_stack(doc: dict[str, Any]) -> str:
    if doc.get("region"):
        return doc["region"]
    for e in doc["resources"]:  # a base rendered before the region was recorded: read it from an ARN
        found = re.search(r"arn:aws:[a-z0-9-]+:([a-z]{2}-[a-z]+-\d):", str(e["inputs"]))
        if found and found.group(1) != "us-east-1":
            return found.group(1)
    return "ap-northeast-2"


def unpriced_types(resources: list[dict[str, Any]]) -> list[str]:
    return sorted({e["type"] for e in resources if e["custom"] and e["type"].startswith("aws:")
                   and e["type"] not in PRICERS and e["type"] not in FREE})


def estimate(doc: dict[str, Any], table: dict[str, Any] | None = None) -> list[Line]:
    table = table or price_table()
    region = region_of_stack(doc)
    pricer = Pricer(doc, region, table)
    layout = Layout(doc["resources"], order=[])
    lines = []
    for entry in sorted(doc["resources"], key=lambda e: e["urn"]):
        price = PRICERS.get(entry["type"]) if entry["custom"] else None
        if price is None:
            continue
        top = layout.top_component(entry)
        for what, quantity, monthly, assumption in price(pricer, entry):
            lines.append(Line(top["name"] if top else "(stack)", entry["name"], what, quantity,
                              None if monthly is None else round(monthly, 2), assumption))
    return lines


def total(lines: list[Line]) -> float:
    return round(sum(line.monthly or 0.0 for line in lines), 2)


def by_component(lines: list[Line]) -> dict[str, float]:
    sums: dict[str, float] = {}
    for line in lines:
        sums[line.component] = round(sums.get(line.component, 0.0) + (line.monthly or 0.0), 2)
    return dict(sorted(sums.items(), key=lambda kv: (-kv[1], kv[0])))


def markdown(doc: dict[str, Any], table: dict[str, Any] | None = None) -> str:
    table = table or price_table()
    lines, region = estimate(doc, table), region_of_stack(doc)
    if not lines and not any(e["type"].startswith("aws:") for e in doc["resources"]):
        return (f"# Estimated monthly cost: {doc['stack']}\n\n$0.00: this stack creates no AWS resources "
                "(it runs on a local kind cluster).\n")
    out = [f"# Estimated monthly cost: {doc['stack']} ({region})", "",
           f"**{money(total(lines))} a month**: on-demand list prices from `tools/harness/review/prices.yaml` "
           f"(compiled {table['compiled']}, {table['hours_per_month']} h a month, no free tier or discounts); "
           "usage-driven lines state their assumption. An estimate, not a bill.", "",
           "| component | monthly |", "|---|---:|"]
    out += [f"| {name} | {money(amount)} |" for name, amount in by_component(lines).items()]
    out += ["", "| component | resource | line | quantity | monthly | assumption |", "|---|---|---|---|---:|---|"]
    for line in sorted(lines, key=lambda ln: (ln.component, ln.resource, ln.what)):
        amount = money(line.monthly) if line.monthly is not None else "no price in table"
        out.append(f"| {line.component} | {line.resource} | {line.what} | {line.quantity} | {amount} | "
                   f"{line.assumption} |")
    missing = [line for line in lines if line.monthly is None]
    unpriced = unpriced_types(doc["resources"])
    if missing or unpriced:
        out += ["", "## Not priced", ""]
        out += [f"- {line.resource}: {line.what} has no price in prices.yaml" for line in missing]
        out += [f"- {t}: no pricing rule (tools/harness/review/cost.py)" for t in unpriced]
    out.append("")
    return "\n".join(out)
