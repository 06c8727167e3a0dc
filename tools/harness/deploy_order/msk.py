"""Create-time preconditions of Amazon MSK and what it relies on (components/data/kafka.py).

Each rule names what MSK (or Application Auto Scaling) checks when a resource is created and
where that is documented; tests/harness/test_deploy_order_msk.py gives each a synthetic case
that breaks it. ``pulumi destroy`` walks the same edges backwards, so the association goes
before the secrets it reads and the scaling policy before its target.
"""

from __future__ import annotations

from collections.abc import Iterable

from tools.harness.deploy_order.graph import OrderRule
from tools.harness.mock_engine import Registration
from tools.harness.snapshot import Snapshot, unwrap

CLUSTER = "aws:msk/cluster:Cluster"
CONFIGURATION = "aws:msk/configuration:Configuration"
SCRAM_ASSOCIATION = "aws:msk/scramSecretAssociation:ScramSecretAssociation"
SINGLE_SCRAM_ASSOCIATION = "aws:msk/singleScramSecretAssociation:SingleScramSecretAssociation"
# Type tokens, not secrets.
SECRET = "aws:secretsmanager/secret:Secret"  # noqa: S105
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"  # noqa: S105
SECRET_POLICY = "aws:secretsmanager/secretPolicy:SecretPolicy"  # noqa: S105
KMS_KEY = "aws:kms/key:Key"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
SCALABLE_TARGET = "aws:appautoscaling/target:Target"
SCALING_POLICY = "aws:appautoscaling/policy:Policy"


def associated_secrets(snap: Snapshot, association: Registration) -> list[Registration]:
    """The Secrets Manager secrets a SCRAM association names (by ARN)."""
    inputs = association.inputs
    arns = set(unwrap(inputs.get("secretArnLists") or [])) | ({unwrap(inputs["secretArn"])} if "secretArn" in inputs
                                                              else set())
    return [secret for secret in snap.all(SECRET) if secret.outputs.get("arn") in arns]


def _secret_values(snap: Snapshot, association: Registration) -> Iterable[Registration]:
    for secret in associated_secrets(snap, association):
        yield from snap.all(SECRET_VERSION, secretId=secret.id)


def _secret_policies(snap: Snapshot, association: Registration) -> Iterable[Registration]:
    for secret in associated_secrets(snap, association):
        yield from snap.all(SECRET_POLICY, secretArn=secret.outputs["arn"])


def _secret_keys(snap: Snapshot, association: Registration) -> Iterable[Registration]:
    for secret in associated_secrets(snap, association):
        key_id = secret.inputs.get("kmsKeyId")
        yield from (key for key in snap.all(KMS_KEY) if key_id in (key.outputs.get("arn"), key.outputs.get("keyId")))


def _broker_log_group(snap: Snapshot, cluster: Registration) -> Iterable[Registration]:
    logs = ((cluster.inputs.get("loggingInfo") or {}).get("brokerLogs") or {}).get("cloudwatchLogs") or {}
    if logs.get("enabled"):
        yield from snap.all(LOG_GROUP, name=logs.get("logGroup"))


def _configuration(snap: Snapshot, cluster: Registration) -> Iterable[Registration]:
    arn = (cluster.inputs.get("configurationInfo") or {}).get("arn")
    return [c for c in snap.all(CONFIGURATION) if arn and c.outputs.get("arn") == arn]


def _scaled_cluster(snap: Snapshot, target: Registration) -> Iterable[Registration]:
    if target.inputs.get("serviceNamespace") != "kafka":
        return []
    return [c for c in snap.all(CLUSTER) if c.outputs.get("arn") == target.inputs.get("resourceId")]


def _scalable_target(snap: Snapshot, policy: Registration) -> Iterable[Registration]:
    inputs = policy.inputs
    return snap.all(SCALABLE_TARGET, resourceId=inputs.get("resourceId"),
                    scalableDimension=inputs.get("scalableDimension"), serviceNamespace=inputs.get("serviceNamespace"))


ASSOCIATIONS = (SCRAM_ASSOCIATION, SINGLE_SCRAM_ASSOCIATION)

MSK_RULES: tuple[OrderRule, ...] = (
    OrderRule(
        "msk-scram-association-after-secret-value", ASSOCIATIONS, _secret_values,
        why="BatchAssociateScramSecret reports a secret MSK cannot read yet as unprocessed (InvalidSecretArn "
            "\"Amazon MSK wasn't able to access the provided secret.\"), which the provider turns into an error",
        source="aws/aws-cdk#34794; ibm-mas/ansible-devops#2302; pulumi-aws msk.ScramSecretAssociation example "
               "(depends_on the secret version)"),
    OrderRule(
        "msk-scram-association-after-secret-policy", ASSOCIATIONS, _secret_policies,
        why="MSK reads the secret as kafka.amazonaws.com under the secret's resource policy; managed here so the "
            "association never races it and the state carries the policy MSK would attach",
        source="pulumi-aws msk.ScramSecretAssociation docs (\"you must use the aws.secretsmanager.SecretPolicy\"); "
               "MSK developer guide, msk-password"),
    OrderRule(
        "msk-scram-association-after-secret-key", ASSOCIATIONS, _secret_keys,
        why="a SCRAM secret must be encrypted with a customer-managed KMS key MSK is granted at association; "
            "\"A secret created with the default AWS KMS key cannot be used with an Amazon MSK cluster\"",
        source="https://docs.aws.amazon.com/msk/latest/developerguide/msk-password-tutorial.html"),
    OrderRule(
        "msk-cluster-after-broker-log-group", (CLUSTER,), _broker_log_group,
        why="\"You must create a destination resource before you configure your cluster to deliver broker logs "
            "to it. Amazon MSK doesn't create these destination resources\"",
        source="https://docs.aws.amazon.com/msk/latest/developerguide/msk-logging.html"),
    OrderRule(
        "msk-cluster-after-configuration", (CLUSTER,), _configuration,
        why="CreateCluster takes configurationInfo (ARN and revision) of an existing configuration revision",
        source="https://docs.aws.amazon.com/msk/1.0/apireference/clusters.html#clusters-model-configurationinfo"),
    OrderRule(
        "msk-storage-target-after-cluster", (SCALABLE_TARGET,), _scaled_cluster,
        why="RegisterScalableTarget needs the cluster: \"You can't implement automatic scaling when you create a "
            "cluster\"",
        source="https://docs.aws.amazon.com/msk/latest/developerguide/msk-autoexpand.html"),
    OrderRule(
        "msk-storage-policy-after-target", (SCALING_POLICY,), _scalable_target,
        why="PutScalingPolicy fails with ObjectNotFoundException (\"thrown if the scalable target with the "
            "specified service namespace, resource ID, and scalable dimension does not exist\") until it is registered",
        source="https://docs.aws.amazon.com/autoscaling/application/APIReference/API_PutScalingPolicy.html "
               "(Errors: ObjectNotFoundException)"),
)
