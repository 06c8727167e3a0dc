"""IAM roles for Kubernetes service accounts (IRSA): one trust-policy shape for every pod role."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.security import iam


@dataclass(frozen=True)
class OidcIssuer:
    """The cluster's OIDC provider, as IRSA trust policies name it."""

    provider_arn: pulumi.Input[str]
    url: pulumi.Input[str]  # https://oidc.eks.<region>.amazonaws.com/id/<id>


def irsa_annotations(role_arn: pulumi.Input[str]) -> dict[str, pulumi.Input[str]]:
    """A ServiceAccount's IRSA annotations: its role, and STS at the regional endpoint.

    ``sts-regional-endpoints: "true"`` makes the pod identity webhook set AWS_STS_REGIONAL_ENDPOINTS=regional
    (aws/amazon-eks-pod-identity-webhook README, "optional: When set to "true", adds AWS_STS_REGIONAL_ENDPOINTS
    env var to containers"). SDKs that still default to the global sts.amazonaws.com (Java and Go v1) would
    otherwise leave the VPC, which the NetworkPolicies allow only to the VPC CIDR (the STS endpoint is there).
    """
    return {"eks.amazonaws.com/role-arn": role_arn, "eks.amazonaws.com/sts-regional-endpoints": "true"}


def service_account_role(name: str, *, parent: pulumi.Resource, issuer: OidcIssuer, namespace: str,
                         service_account: str, description: str,
                         opts: pulumi.ResourceOptions | None = None) -> aws.iam.Role:
    """A role only ``system:serviceaccount:<namespace>:<service_account>`` may assume, via STS."""
    host = pulumi.Output.from_input(issuer.url).apply(lambda url: url.removeprefix("https://"))
    condition = pulumi.Output.all(host).apply(lambda values: {"StringEquals": {
        f"{values[0]}:sub": f"system:serviceaccount:{namespace}:{service_account}",
        f"{values[0]}:aud": "sts.amazonaws.com",
    }})
    trust = iam.document({
        "Effect": "Allow",
        "Principal": {"Federated": issuer.provider_arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": condition,
    })
    return aws.iam.Role(name, assume_role_policy=trust, description=description,
                        opts=pulumi.ResourceOptions.merge(pulumi.ResourceOptions(parent=parent), opts))
