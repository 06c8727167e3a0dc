"""What the Tiketi containers run and read, shared by the workloads, the database bootstrap and the kind platform.

The security contexts every pod and container gets (UID 1001, spec 3.1), the JVM heap
settings of the Spring services and the ``data`` of every Secret Pulumi writes. Kept apart from
the components so the tests can check exactly these values with real programs
(tests/kubernetes/test_jvm_memory_real_java.py). The database bootstrap's SQL is its own module
(components/kubernetes/database_bootstrap_sql.py), shipped to the Job as a file.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping

import pulumi

UID = 1001
# Room a Spring Boot service needs outside the heap (metaspace, code cache, thread stacks, direct
# buffers). 75 % of a 512 MiB limit leaves 128 MiB, less than that alone, and the container limit
# counts heap and non-heap together: past it the kernel OOM-kills the pod.
JVM_NON_HEAP_MIB = 256
JVM_MAX_HEAP_PERCENT = 75


def pod_security() -> dict:
    """Every pod: non-root as UID 1001 (spec 3.1), seccomp RuntimeDefault (Pod Security "restricted")."""
    return {"runAsNonRoot": True, "runAsUser": UID, "runAsGroup": UID, "fsGroup": UID,
            "seccompProfile": {"type": "RuntimeDefault"}}


def container_security() -> dict:
    """Every container: no privilege escalation, all capabilities dropped, read-only root filesystem."""
    return {"runAsNonRoot": True, "runAsUser": UID, "runAsGroup": UID, "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True, "privileged": False, "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"}}


def mebibytes(quantity: str) -> int:
    """A Kubernetes memory quantity in Mi or Gi (the only units the service table uses), in MiB."""
    units = {"Mi": 1, "Gi": 1024}
    return int(quantity[:-2]) * units[quantity[-2:]]


def java_tool_options(memory_limit: str) -> str:
    """Heap as a share of the container limit that leaves JVM_NON_HEAP_MIB for everything else."""
    limit = mebibytes(memory_limit)
    percent = min(JVM_MAX_HEAP_PERCENT, math.floor((limit - JVM_NON_HEAP_MIB) * 100 / limit))
    return f"-XX:MaxRAMPercentage={percent} -XX:+ExitOnOutOfMemoryError -Djava.io.tmpdir=/tmp"


def secret_data_of(values: Mapping[str, pulumi.Input[str]]) -> pulumi.Output[dict]:
    """A Secret's ``data`` (base64), never ``stringData``.

    Under server-side apply (both Kubernetes providers here enable it) a key removed from
    ``stringData`` stays in the live Secret: the API server merges stringData into data, and
    the field manager never owned ``data.<key>`` (kubernetes/kubernetes#108008; the Kubernetes
    docs' Secret page warns about stringData with server-side apply). With ``data`` the
    manager owns every key and applying without one removes it.
    """
    encoded = pulumi.Output.all(**values).apply(
        lambda plain: {key: base64.b64encode(value.encode()).decode() for key, value in plain.items()})
    return pulumi.Output.secret(encoded)
