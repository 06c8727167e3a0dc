"""DatabaseUsers: one PostgreSQL login per service with a database, its password in its own secret.

Owns, per service of the table that has a database (components/services.py): a generated
password (pulumi-random, 40 letters and digits) and the Secrets Manager secret
``tiketi-<stack>/db/<service>`` holding ``{"username": "<role>", "password": ...}`` — the shape
RDS Proxy reads ("The proxy ignores other fields"; RDS User Guide, rds-proxy-secrets-arns).

Who reads each secret: RDS Proxy (one SECRETS auth per user, components/data/database.py), the
database bootstrap Job that creates the role (components/kubernetes/database_bootstrap.py) and
the service itself, through its synced Kubernetes Secret. Nothing here creates the role:
nothing outside the VPC can reach the database, so the Job does it from inside the cluster.
The secrets are ``protect``ed by config (tiketi:protection.stateful), like every generated
secret (the passwords are not: as in components/security/secrets.py, the secret holds the value).

Pulumi writes the first value only. A rotation puts a new version in Secrets Manager
(docs/operations.md): the pods and the proxy read the current version, and Pulumi's seed
version stays behind as an older one, so ``pulumi up`` writes nothing back.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.base import Component
from components.services import DATABASE_SERVICES


@dataclass(frozen=True)
class DatabaseUser:
    service: str
    database: str
    role: str
    secret_arn: pulumi.Output[str]
    secret_value: aws.secretsmanager.SecretVersion  # what a reader of the first value waits for


@dataclass(frozen=True)
class DatabaseUsersArgs:
    name_prefix: str
    recovery_window_days: int = 7
    protect: bool = True  # tiketi:protection.stateful: the secrets


class DatabaseUsers(Component):
    TYPE = "tiketi:data:DatabaseUsers"
    users: dict[str, DatabaseUser]  # service name -> its user

    def __init__(self, name: str, args: DatabaseUsersArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, args, opts)
        self.users = {}
        for service in DATABASE_SERVICES:
            role = f"{name}-{service.name}"
            # Letters and digits only: the value travels through JSON, a Kubernetes Secret and a JDBC
            # login, and 40 of them are 238 bits.
            password = random.RandomPassword(role, length=40, special=False, min_lower=1, min_upper=1,
                                             min_numeric=1, opts=self._child())
            secret = aws.secretsmanager.Secret(
                role, name=f"{args.name_prefix}/db/{service.name}",
                description=f"{service.name}: PostgreSQL login {service.database_role}, owner of {service.database}",
                recovery_window_in_days=args.recovery_window_days, opts=self._child(protect=args.protect))
            value = aws.secretsmanager.SecretVersion(
                role, secret_id=secret.id,
                secret_string=pulumi.Output.secret(pulumi.Output.json_dumps(
                    {"username": service.database_role, "password": password.result})),
                opts=self._child())
            self.users[service.name] = DatabaseUser(service.name, service.database, service.database_role,
                                                    secret.arn, value)
        self.register_outputs({"secretArns": {s: u.secret_arn for s, u in self.users.items()}})
