"""The database scripts containers run, run for real against PostgreSQL 15 and 16 servers.

- AWS (staging, prod): each service's ``ensure-database`` init container, its exact command
  (``sh -c <script>``, with ``sh`` being BusyBox ash as in the Alpine image) and exactly its
  environment variables (names and literal values from
  the rendered manifest; PGHOST/PGPORT/PGUSER/PGPASSWORD, which the manifest reads from the
  ConfigMap and Secret, point at the test server), over TLS (``PGSSLMODE=require``) with a
  SCRAM password, as a role that has CREATEDB but is not a superuser (RDS's master user).
  RDS runs PostgreSQL 16 (``tiketi:database.engineVersion``); 15 is checked too.
- kind: ``postgres-init-spring`` run the way the postgres image's entrypoint runs an init
  ``.sql`` file (docker-library/postgres docker-entrypoint.sh ``docker_process_sql -f``), on
  PostgreSQL 15 (the image is ``postgres:15-alpine``), then the readiness probe's command.

The servers come from tools/harness/real_servers.py; on a laptop without them the tests skip
and say how to install them; in CI a missing server fails the run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from components.services import DATABASES, SERVICES
from tests.support.manifests import manifest
from tests.support.real_programs import postgres, require
from tools.harness import real_servers

INIT_USER, INIT_PASSWORD = "tiketi_admin", "s3cret-Passw0rd-for-tests"
PG_ENV_FROM_CONFIG = {"PGHOST", "PGPORT", "PGUSER", "PGPASSWORD"}


@pytest.fixture(scope="module", params=[15, 16], ids=["postgresql-15", "postgresql-16"])
def server(request):
    server = postgres(request.param)
    # A fresh cluster state per module run: the RDS-like master user, no service databases yet.
    for database in DATABASES:
        server.psql(f"DROP DATABASE IF EXISTS {database}")
    server.psql(f"DROP ROLE IF EXISTS {INIT_USER}")
    server.psql(f"CREATE ROLE {INIT_USER} LOGIN CREATEDB PASSWORD '{INIT_PASSWORD}'")
    return server


def init_container(prod, service: str) -> dict:
    [init] = manifest(prod, "Deployment", service)["spec"]["template"]["spec"]["initContainers"]
    return init


def container_environment(init: dict, server, home: Path) -> dict[str, str]:
    """The init container's environment: literal values as rendered, references resolved to the test server."""
    resolved = {"PGHOST": server.host, "PGPORT": str(server.port), "PGUSER": INIT_USER, "PGPASSWORD": INIT_PASSWORD}
    env = {}
    for variable in init["env"]:
        if "value" in variable:
            env[variable["name"]] = variable["value"]
        else:
            env[variable["name"]] = resolved[variable["name"]]
    assert {v["name"] for v in init["env"] if "valueFrom" in v} == PG_ENV_FROM_CONFIG
    # The image's HOME is /tmp (an emptyDir); psql writes nothing there, but keep each run's own.
    env["HOME"] = str(home) if env.get("HOME") == "/tmp" else env["HOME"]
    # The postgres image puts psql on PATH; here it is Debian's (built with OpenSSL, as the image's),
    # and `sh` is BusyBox's, the Alpine image's shell.
    env["PATH"] = f"{alpine_shell(home)}:{real_servers.psql_bin()}:/usr/bin:/bin"
    return env


def alpine_shell(directory: Path) -> Path:
    """A directory whose ``sh`` is BusyBox ash (an applet picks its behaviour from its name)."""
    require("busybox", real_servers.busybox())
    shell_dir = directory / "alpine-bin"
    if not (shell_dir / "sh").exists():
        shell_dir.mkdir(exist_ok=True)
        (shell_dir / "sh").symlink_to(real_servers.busybox())
    return shell_dir


def run_init(init: dict, env: dict[str, str]) -> subprocess.CompletedProcess:
    assert init["command"][:2] == ["sh", "-c"]
    # Popen looks the program up on the PATH of env: sh is BusyBox's here.
    assert Path(shutil.which("sh", path=env["PATH"])).resolve() == Path(real_servers.busybox()).resolve()
    return subprocess.run(init["command"], env=env, capture_output=True, text=True, timeout=60, check=False)


def databases(server) -> set[str]:
    return set(server.psql("SELECT datname FROM pg_database").split())


def test_every_init_container_creates_its_database_over_tls_and_again_is_a_no_op(prod, server, tmp_path):
    inits = {s.name: init_container(prod, s.name) for s in SERVICES if s.database}
    envs = {name: container_environment(init, server, tmp_path) for name, init in inits.items()}
    assert all(env["PGSSLMODE"] == "require" and env["PGDATABASE"] == "postgres" for env in envs.values())
    with ThreadPoolExecutor(max_workers=len(inits)) as pool:
        for attempt in ("first", "second"):  # the second start of every pod finds its database
            results = dict(zip(inits, pool.map(lambda name: run_init(inits[name], envs[name]), inits), strict=True))
            failed = {name: r.stderr for name, r in results.items() if r.returncode}
            assert failed == {}, f"{attempt} run on PostgreSQL {server.version}: {failed}"
    assert databases(server) >= set(DATABASES)
    owners = server.psql("SELECT string_agg(DISTINCT pg_get_userbyid(datdba), ',') FROM pg_database "
                         f"WHERE datname IN ({', '.join(repr(d) for d in DATABASES)})")
    assert owners == INIT_USER


def test_replicas_starting_together_all_succeed(prod, server, tmp_path):
    # prod starts 3 replicas of ticket-service at once, and every service at the same time.
    server.psql("DROP DATABASE IF EXISTS ticket_db")
    server.psql("DROP DATABASE IF EXISTS payment_db")
    jobs = [init_container(prod, name) for name in ("ticket-service",) * 3 + ("payment-service",) * 3]
    envs = [container_environment(init, server, tmp_path) for init in jobs]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        results = list(pool.map(run_init, jobs, envs))
    assert [r.returncode for r in results] == [0] * len(jobs), [r.stderr for r in results if r.returncode]
    assert {"ticket_db", "payment_db"} <= databases(server)


def test_the_service_user_can_create_its_tables_in_the_new_database(prod, server, tmp_path):
    # PostgreSQL 15 took CREATE on schema public away from PUBLIC; the database's owner keeps it.
    init = init_container(prod, "auth-service")
    env = container_environment(init, server, tmp_path)
    assert run_init(init, env).returncode == 0
    created = subprocess.run([str(real_servers.psql_bin() / "psql"), "-X", "-v", "ON_ERROR_STOP=1", "-d", "auth_db",
                              "-c", "CREATE TABLE IF NOT EXISTS flyway_probe (id int)"],
                             env=env, capture_output=True, text=True, check=False)
    assert created.returncode == 0, created.stderr


def test_the_old_one_line_form_is_what_failed(server, tmp_path):
    # Finding 1 of issue 13: psql sends a -c string that does not start with a backslash to the
    # server whole, "\gexec" included.
    env = {"PATH": f"{real_servers.psql_bin()}:/usr/bin:/bin", "PGHOST": server.host, "PGPORT": str(server.port),
           "PGUSER": INIT_USER, "PGPASSWORD": INIT_PASSWORD, "PGDATABASE": "postgres", "PGSSLMODE": "require",
           "HOME": str(tmp_path)}
    old = ("psql -v ON_ERROR_STOP=1 -c \"SELECT 'CREATE DATABASE old_db' "
           "WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'old_db')\\gexec\"")
    result = subprocess.run(["sh", "-c", old], env=env, capture_output=True, text=True, check=False)
    assert result.returncode != 0 and 'syntax error at or near "\\"' in result.stderr


def test_kind_postgres_init_sql_runs_as_the_image_entrypoint_runs_it(local, tmp_path):
    server = postgres(15)  # postgres:15-alpine
    container = manifest(local, "Deployment", "postgres-spring")["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "postgres:15-alpine"
    env_values = {e["name"]: e["value"] for e in container["env"]}
    user = "tiketi_user"  # POSTGRES_USER from the postgres-credentials Secret: initdb makes it the superuser
    for database in DATABASES:
        server.psql(f"DROP DATABASE IF EXISTS {database}")
    server.psql(f"DROP ROLE IF EXISTS {user}")
    server.psql(f"CREATE ROLE {user} LOGIN SUPERUSER")
    sql = tmp_path / "01-databases.sql"
    sql.write_text(manifest(local, "ConfigMap", "postgres-init-spring")["data"]["01-databases.sql"])
    sql.chmod(0o644)
    # The entrypoint is bash (docker-entrypoint.sh); the exec probe's `sh` is BusyBox ash.
    env = {"PATH": f"{alpine_shell(tmp_path)}:{real_servers.psql_bin()}:/usr/bin:/bin", "POSTGRES_USER": user,
           "POSTGRES_DB": env_values["POSTGRES_DB"], "PGHOST": str(server.socket_dir), "PGPORT": str(server.port),
           "HOME": str(tmp_path)}
    # docker_process_sql: psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc
    #                     --dbname "$POSTGRES_DB" -f <file>  (over the server's Unix socket)
    script = ('psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc '
              '--dbname "$POSTGRES_DB" -f "$1"')
    result = subprocess.run(["bash", "-c", script, "docker_process_sql", str(sql)], env=env, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert databases(server) >= set(DATABASES)
    # The readiness and liveness probes, exactly as the kubelet runs them inside the container.
    probe = container["readinessProbe"]["exec"]["command"]
    assert probe == container["livenessProbe"]["exec"]["command"]
    ready = subprocess.run(probe, env=env, capture_output=True, text=True, check=False)
    assert ready.returncode == 0, ready.stdout + ready.stderr
    stopped = subprocess.run(probe, env={**env, "PGPORT": "1"}, capture_output=True, text=True, check=False)
    assert stopped.returncode != 0  # the probe fails when nothing answers


def test_servers_are_the_versions_named(server):
    assert server.version.split(".")[0] == str(server.major)
    assert server.psql("SHOW ssl") == "on"
    assert os.path.exists(server.directory / "data" / "PG_VERSION")
