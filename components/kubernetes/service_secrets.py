"""Each service's own Kubernetes Secret, holding exactly the keys of ``secret_keys(service)`` (components/services.py).

Two sources, one map:

- ``SyncedServiceSecrets`` (AWS): a ``SecretSync`` per service (components/security/secret_sync.py)
  keeps ``<service>-secrets`` in step with Secrets Manager — the service's own database user's
  secret, the generated secrets it reads and, with MSK, the SCRAM login as a JAAS line the
  operator composes from the MSK user's secret; nothing else. Pulumi never holds these values on
  this path, and a rotation needs no ``pulumi up``. A service with a database also waits for
  the database bootstrap Job, which creates its login.
- ``LiteralServiceSecrets`` (kind): Pulumi writes ``<service>-secrets`` from the stack's generated
  values (no Secrets Manager there), with the same keys; every database service uses the
  in-cluster PostgreSQL's one user, as the spec's kind setup does.

A service without a key (the frontend) gets no Secret.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.base import Component
from components.data.database_users import DatabaseUser
from components.kubernetes.runtime import secret_data_of
from components.security.secret_sync import Composed, RemoteKey, SecretSync, SecretSyncArgs, SyncContext
from components.services import DATABASE_USER, KAFKA_LOGIN, SERVICES, Service, secret_keys, service_secret_name

# The client's SASL/SCRAM login as Kafka's clients read it (sasl.jaas.config), built by the operator from
# the MSK user's secret: the password never passes through Pulumi on AWS.
KAFKA_JAAS = ('org.apache.kafka.common.security.scram.ScramLoginModule required '
              'username="{{ .kafkaUsername }}" password="{{ .kafkaPassword }}";')


@dataclass(frozen=True)
class SyncedServiceSecrets:
    context: SyncContext
    secret_arns: Mapping[str, pulumi.Input[str]]  # generated secret (jwt-secret, ...) -> its ARN
    users: Mapping[str, DatabaseUser]  # service -> its database user
    redis_auth: bool
    database_ready: Sequence[pulumi.Resource] = field(default_factory=tuple)  # the bootstrap Job
    kafka_secret_arn: pulumi.Input[str] | None = None  # MSK's SCRAM user (None: no SASL login)


@dataclass(frozen=True)
class LiteralServiceSecrets:
    values: Mapping[str, pulumi.Input[str]]  # generated secret (jwt-secret, ...) -> value
    database_username: pulumi.Input[str]
    database_password: pulumi.Input[str]
    redis_auth: bool = False


@dataclass(frozen=True)
class ServiceSecret:
    name: str
    waits_for: list[pulumi.Resource]  # what must be done before a pod can start with it
    reload: bool  # synced: a change restarts the service (Reloader)


def build_service_secrets(owner: Component, namespace: pulumi.Output[str], namespace_name: str,
                          source: SyncedServiceSecrets | LiteralServiceSecrets) -> dict[str, ServiceSecret]:
    """service name -> its Secret, for every service that reads at least one secret."""
    built = {}
    kafka_auth = isinstance(source, SyncedServiceSecrets) and source.kafka_secret_arn is not None
    for service in SERVICES:
        keys = secret_keys(service, redis_auth=source.redis_auth, kafka_auth=kafka_auth)
        if not keys:
            continue
        name = service_secret_name(service)
        labels = {"app": service.name}
        if isinstance(source, SyncedServiceSecrets):
            remote = {key: _remote(service, secret, prop, source) for key, (secret, prop) in keys.items()
                      if secret != KAFKA_LOGIN}
            composed = {key: Composed(KAFKA_JAAS, {
                "kafkaUsername": RemoteKey(source.kafka_secret_arn, "username"),
                "kafkaPassword": RemoteKey(source.kafka_secret_arn, "password")})
                for key, (secret, _) in keys.items() if secret == KAFKA_LOGIN}
            sync = SecretSync(f"{owner._child_name(service.name)}-secrets", SecretSyncArgs(
                namespace=namespace, namespace_name=namespace_name, secret_name=name, keys=remote,
                context=source.context, labels=labels, composed=composed), opts=pulumi.ResourceOptions(parent=owner))
            waits = [sync.ready, *(source.database_ready if service.database else [])]
            built[service.name] = ServiceSecret(name, waits, reload=True)
        else:
            data = {key: _literal(secret, prop, source) for key, (secret, prop) in keys.items()}
            secret = k8s.core.v1.Secret(
                f"{owner._child_name(service.name)}-secret",
                metadata={"name": name, "namespace": namespace,
                          "labels": {"app.kubernetes.io/part-of": "tiketi", **labels}},
                type="Opaque", data=secret_data_of(data), opts=pulumi.ResourceOptions(parent=owner))
            built[service.name] = ServiceSecret(name, [secret], reload=False)
    return built


def _remote(service: Service, secret: str, prop: str | None, source: SyncedServiceSecrets) -> RemoteKey:
    if secret == DATABASE_USER:
        return RemoteKey(source.users[service.name].secret_arn, prop)
    return RemoteKey(source.secret_arns[secret], prop)


def _literal(secret: str, prop: str | None, source: LiteralServiceSecrets) -> pulumi.Input[str]:
    if secret == DATABASE_USER:
        return source.database_username if prop == "username" else source.database_password
    return source.values[secret]
