"""Secrets: every generated secret of the stack, kept in AWS Secrets Manager.

Generates (pulumi-random) and stores:

- the Redis AUTH token (64 characters from the set ElastiCache accepts);
- the queue-entry-token secret shared by queue-service and the edge function;
- the internal API token the worker presents to ticket-service;
- the JWT signing secret of auth-service;
- the origin-verify value CloudFront sends to the ALB (which answers 403 without it).

Other components receive the values only as secret Outputs (the ALB, ElastiCache and the
edge function, which take them at deploy time) or the secrets' ARNs (``arn_of``: the workloads
and the worker read the current value from Secrets Manager at run time, so a rotation there
reaches them without a ``pulumi up``), and the stack exports only the ARNs. Deleting a secret
is recoverable for ``recovery_window_days``; the secrets are ``protect``ed by config
(tiketi:protection.stateful). A secret's name is its only input that forces a replacement, so
its fixed name can never collide with the secret it replaces.

Not here: the RDS master password (RDS generates, stores and rotates it in a secret of its own,
components/data/database.py) and the services' database users (components/data/database_users.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.base import Component

# ElastiCache AUTH tokens: 16-128 printable characters; these are the specials it documents.
REDIS_TOKEN_SPECIALS = "!&#$^<>-"  # noqa: S105 - a character set, not a token


@dataclass(frozen=True)
class SecretsArgs:
    name_prefix: str
    recovery_window_days: int = 7
    protect: bool = True  # tiketi:protection.stateful


class Secrets(Component):
    TYPE = "tiketi:security:Secrets"
    redis_auth_token: pulumi.Output[str]
    queue_entry_token_secret: pulumi.Output[str]
    internal_api_token: pulumi.Output[str]
    jwt_secret: pulumi.Output[str]
    origin_verify_secret: pulumi.Output[str]
    arns: dict[str, pulumi.Output[str]]  # camelCase name -> ARN (the stack output)
    arn_of: dict[str, pulumi.Output[str]]  # secret name (redis-auth-token, ...) -> ARN

    def __init__(self, name: str, args: SecretsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, args, opts)

        self.redis_auth_token = self._generate("redis-auth-token", 64, REDIS_TOKEN_SPECIALS)
        self.queue_entry_token_secret = self._generate("queue-entry-token-secret", 64)
        self.internal_api_token = self._generate("internal-api-token", 48)
        self.jwt_secret = self._generate("jwt-secret", 64)
        self.origin_verify_secret = self._generate("origin-verify", 48)

        self.arns, self.arn_of = {}, {}
        for role, value, description in (
            ("redis-auth-token", self.redis_auth_token, "ElastiCache AUTH token"),
            ("queue-entry-token-secret", self.queue_entry_token_secret,
             "HS256 secret of queue-entry tokens (queue-service signs, the edge function verifies)"),
            ("internal-api-token", self.internal_api_token, "Bearer token of ticket-service's internal API"),
            ("jwt-secret", self.jwt_secret, "auth-service JWT signing secret"),
            ("origin-verify", self.origin_verify_secret, "X-Origin-Verify value CloudFront sends to the ALB"),
        ):
            secret = self._secret(role, description)
            aws.secretsmanager.SecretVersion(f"{name}-{role}", secret_id=secret.id, secret_string=value,
                                             opts=pulumi.ResourceOptions(parent=self))
            self.arns[_camel(role)] = secret.arn
            self.arn_of[role] = secret.arn

        self.register_outputs({"arns": self.arns})

    def _generate(self, role: str, length: int, specials: str | None = None) -> pulumi.Output[str]:
        password = random.RandomPassword(
            f"{self._name}-{role}",
            length=length,
            special=specials is not None,
            override_special=specials,
            min_lower=1, min_upper=1, min_numeric=1,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return pulumi.Output.secret(password.result)

    def _secret(self, role: str, description: str) -> aws.secretsmanager.Secret:
        return aws.secretsmanager.Secret(
            f"{self._name}-{role}",
            name=f"{self._args.name_prefix}/{role}",
            description=description,
            recovery_window_in_days=self._args.recovery_window_days,
            opts=self._child(protect=self._args.protect),
        )


def _camel(role: str) -> str:
    head, *rest = role.split("-")
    return head + "".join(part.title() for part in rest)
