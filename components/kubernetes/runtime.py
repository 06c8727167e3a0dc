"""What the Tiketi containers run and read, shared by the workloads and the kind platform.

The database init container's script, the JVM heap settings of the Spring services and the
``data`` of every Secret. Kept apart from the components so the tests can run exactly these
strings with real programs (tests/kubernetes/test_init_scripts_real_postgres.py,
test_jvm_memory_real_java.py).
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping

import pulumi

# Every init container takes this session-level advisory lock before it checks and creates its
# database, so replicas starting together (prod runs 3 of ticket-service) never race into
# "database already exists"; PostgreSQL releases it when psql disconnects.
DATABASE_LOCK_KEY = 7_310_001
# Room a Spring Boot service needs outside the heap (metaspace, code cache, thread stacks, direct
# buffers). 75 % of a 512 MiB limit leaves 128 MiB, less than that alone, and the container limit
# counts heap and non-heap together: past it the kernel OOM-kills the pod.
JVM_NON_HEAP_MIB = 256
JVM_MAX_HEAP_PERCENT = 75


def ensure_database_script(database: str) -> str:
    """The init container's shell script: create ``database`` unless it exists, safe to run concurrently.

    The SQL goes to psql on standard input: psql runs a backslash command given with ``-c`` only
    when the whole string is one (``psql -c "SELECT ...\\gexec"`` sends the backslash to the server:
    ``syntax error at or near "\\"``). ``\\gexec`` runs the generated ``CREATE DATABASE`` outside a
    transaction block, as it must be. tests/kubernetes/test_init_scripts_real_postgres.py runs this
    exact script against real PostgreSQL 15 and 16 servers.
    """
    return (
        "psql -v ON_ERROR_STOP=1 --no-psqlrc <<'SQL'\n"
        f"SELECT pg_advisory_lock({DATABASE_LOCK_KEY});\n"
        f"SELECT 'CREATE DATABASE {database}' "
        f"WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '{database}')\\gexec\n"
        "SQL\n"
    )


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
