"""The database bootstrap Job and the kind init SQL, run for real against PostgreSQL 15 and 16 servers.

- AWS (staging, prod): the ``database-bootstrap`` Job as rendered — its first container's exact
  command (the renderer from the Job's ConfigMap, run with the local Python: it is stdlib-only)
  and its second's (psql), each with exactly its environment (literal values as rendered; every
  ``secretKeyRef`` resolved from the keys the Job's ExternalSecret writes; PGHOST/PGPORT pointing
  at the test server), over TLS with SCRAM, as an RDS-like master: ``CREATEDB CREATEROLE``, not a
  superuser. The server logs DDL (``log_statement = ddl``), as the parameter group makes RDS do.
  RDS runs PostgreSQL 16 (``tiketi:database.engineVersion``); 15 is checked too.
- kind: ``postgres-init-spring`` run the way the postgres image's entrypoint runs an init
  ``.sql`` file (docker-library/postgres docker-entrypoint.sh ``docker_process_sql -f``), on
  PostgreSQL 15 (the image is ``postgres:15-alpine``), then the readiness probe's command.

The servers come from tools/harness/real_servers.py; on a laptop without them the tests skip
and say how to install them; in CI a missing server fails the run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from components.services import DATABASE_SERVICES, DATABASES
from tests.support.manifests import manifest
from tests.support.real_programs import postgres, require
from tools.harness import real_servers

MASTER, MASTER_PASSWORD = "tiketi_admin", "master-Passw0rd-for-tests"
NAMESPACE = "tiketi-prod-db-bootstrap"


def passwords(round_: int = 1) -> dict[str, str]:
    return {s.database_role: f"{s.database_role}-Secret-{round_}-x9" for s in DATABASE_SERVICES}


@pytest.fixture(scope="module", params=[15, 16], ids=["postgresql-15", "postgresql-16"])
def server(request):
    server = postgres(request.param)
    server.psql("ALTER SYSTEM SET log_statement = 'ddl'")  # the parameter group's setting
    server.psql("SELECT pg_reload_conf()")
    return server


@pytest.fixture
def fresh(server):
    """No service database or role yet, and the RDS-like master user."""
    for database in DATABASES:
        server.psql(f"DROP DATABASE IF EXISTS {database}")
    for service in DATABASE_SERVICES:
        server.psql(f"DROP ROLE IF EXISTS {service.database_role}")
    server.psql(f"DROP ROLE IF EXISTS {MASTER}")
    server.psql(f"CREATE ROLE {MASTER} LOGIN CREATEDB CREATEROLE PASSWORD '{MASTER_PASSWORD}'")
    return server


def job_pod(prod) -> dict:
    return manifest(prod, "Job", "database-bootstrap", NAMESPACE)["spec"]["template"]["spec"]


def synced_keys(prod) -> set[str]:
    external = manifest(prod, "ExternalSecret", "database-bootstrap", NAMESPACE)
    return {item["secretKey"] for item in external["spec"]["data"]}


def secret_values(users: dict[str, str]) -> dict[str, str]:
    """What the operator writes into the Job's Secret: the master's login and each user's."""
    values = {"PGUSER": MASTER, "PGPASSWORD": MASTER_PASSWORD}
    for role, password in users.items():
        values[f"{role.upper()}_USERNAME"] = role
        values[f"{role.upper()}_PASSWORD"] = password
    return values


def environment(container: dict, secret: dict[str, str], server, prod) -> dict[str, str]:
    env = {}
    for variable in container["env"]:
        if "value" in variable:
            env[variable["name"]] = variable["value"]
        else:
            ref = variable["valueFrom"]["secretKeyRef"]
            assert ref["name"] == "database-bootstrap" and ref["key"] in synced_keys(prod), ref
            env[variable["name"]] = secret[ref["key"]]
    if "PGHOST" in env:
        env.update(PGHOST=server.host, PGPORT=str(server.port))
    return env


def run_job(prod, server, tmp_path: Path, users: dict[str, str]) -> subprocess.CompletedProcess:
    """Both containers of the rendered Job, in order, with the Job's volumes as local directories."""
    pod = job_pod(prod)
    [render], [psql] = pod["initContainers"], pod["containers"]
    scripts, work = tmp_path / "scripts", tmp_path / "work"
    scripts.mkdir(exist_ok=True)
    work.mkdir(exist_ok=True)
    for key, text in manifest(prod, "ConfigMap", "database-bootstrap-script", NAMESPACE)["data"].items():
        (scripts / key).write_text(text)
    local = lambda args: [str(scripts) + a.removeprefix("/scripts") if a.startswith("/scripts/")  # noqa: E731
                          else str(work) + a.removeprefix("/work") if a.startswith("/work/") else a for a in args]
    secret = secret_values(users)
    assert render["command"][:2] == ["python3", "-I"]
    rendered = subprocess.run([sys.executable, *local(render["command"][1:])],
                              env={**environment(render, secret, server, prod), "PATH": "/usr/bin:/bin"},
                              capture_output=True, text=True, timeout=60, check=False)
    assert rendered.returncode == 0, rendered.stderr
    env = {**environment(psql, secret, server, prod), "HOME": str(tmp_path),
           "PATH": f"{real_servers.psql_bin()}:/usr/bin:/bin"}
    assert psql["command"][0] == "psql"
    return subprocess.run(local(psql["command"]), env=env, capture_output=True, text=True, timeout=120, check=False)


def login(server, role: str, password: str, database: str, sql: str = "SELECT current_user") -> tuple[int, str]:
    """A service's connection: over TLS, SCRAM, as the service's role."""
    env = {"PATH": f"{real_servers.psql_bin()}:/usr/bin:/bin", "HOME": "/tmp", "PGHOST": server.host,
           "PGPORT": str(server.port), "PGUSER": role, "PGPASSWORD": password, "PGDATABASE": database,
           "PGSSLMODE": "require"}
    done = subprocess.run(["psql", "-X", "-tA", "-v", "ON_ERROR_STOP=1", "-c", sql], env=env, capture_output=True,
                          text=True, timeout=30, check=False)
    return done.returncode, (done.stdout + done.stderr).strip()


def server_log(server) -> str:
    return (server.directory / "server.log").read_text(errors="replace")


def test_the_job_creates_each_services_login_owning_only_its_database(prod, fresh, tmp_path):
    users = passwords()
    for attempt in ("first", "second"):  # a re-run (a new service, a rotation) changes nothing else
        done = run_job(prod, fresh, tmp_path, users)
        assert done.returncode == 0, f"{attempt} run on PostgreSQL {fresh.version}: {done.stderr}"
    owners = dict(line.split("|") for line in fresh.psql(
        "SELECT datname, pg_get_userbyid(datdba) FROM pg_database WHERE datname LIKE '%\\_db'").splitlines())
    assert owners == {s.database: s.database_role for s in DATABASE_SERVICES}
    for service in DATABASE_SERVICES:
        role = service.database_role
        code, out = login(fresh, role, users[role], service.database,
                          "CREATE TABLE flyway_probe (id int); DROP TABLE flyway_probe; SELECT current_user")
        assert code == 0 and out.endswith(role), out
        other = next(s.database for s in DATABASE_SERVICES if s.database != service.database)
        code, out = login(fresh, role, users[role], other)
        assert code != 0 and "does not have CONNECT privilege" in out, out
    attributes = fresh.psql("SELECT string_agg(DISTINCT (rolsuper OR rolcreatedb OR rolcreaterole OR rolreplication"
                            " OR rolbypassrls)::text, ',') FROM pg_roles WHERE rolname LIKE '%\\_service'")
    assert attributes == "false"  # no service role can create, administer or bypass anything
    memberships = fresh.psql("SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member "
                             "WHERE r.rolname LIKE '%\\_service'")
    assert memberships == "0"  # and none is a member of another role


def test_a_rotated_password_takes_effect_when_the_job_runs_again(prod, fresh, tmp_path):
    assert run_job(prod, fresh, tmp_path, passwords(1)).returncode == 0
    assert run_job(prod, fresh, tmp_path, passwords(2)).returncode == 0
    role, database = "ticket_service", "ticket_db"
    assert login(fresh, role, passwords(2)[role], database)[0] == 0
    code, out = login(fresh, role, passwords(1)[role], database)
    assert code != 0 and "password authentication failed" in out


def test_a_database_the_master_owned_is_handed_to_its_service(prod, fresh, tmp_path):
    # What the init containers of earlier releases left: auth_db owned by the master, and Flyway's
    # tables, sequences, views, functions and types created by the services logged in as the master.
    fresh.psql(f"CREATE DATABASE auth_db OWNER {MASTER}")
    fresh.psql(f"SET ROLE {MASTER}; CREATE SCHEMA audit; CREATE TABLE flyway_schema_history (id serial PRIMARY KEY,"
               " v text); CREATE TABLE audit.events (id bigint GENERATED ALWAYS AS IDENTITY, at timestamptz);"
               " CREATE SEQUENCE ticket_numbers; CREATE VIEW recent AS SELECT * FROM flyway_schema_history;"
               " CREATE TYPE mood AS ENUM ('ok'); CREATE FUNCTION answer() RETURNS int LANGUAGE sql AS 'SELECT 42'",
               database="auth_db")
    users = passwords()
    assert run_job(prod, fresh, tmp_path, users).returncode == 0
    left = fresh.psql(f"SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                      f"WHERE pg_get_userbyid(c.relowner) = '{MASTER}' AND n.nspname NOT IN "
                      "('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'", database="auth_db")
    assert left == "0"
    code, out = login(fresh, "auth_service", users["auth_service"], "auth_db",
                      "INSERT INTO flyway_schema_history (v) VALUES ('2'); ALTER TABLE flyway_schema_history ADD "
                      "COLUMN checksum int; INSERT INTO audit.events (at) VALUES (now()); "
                      "SELECT nextval('ticket_numbers'), answer(), 'ok'::mood, count(*) FROM recent")
    assert code == 0 and out.endswith("1|42|ok|1"), out


def test_no_plaintext_password_reaches_the_server_log(prod, fresh, tmp_path):
    users = passwords(7)
    # A statement that fails is logged with its text whatever log_statement says: make ALTER ROLE fail
    # (the master may not alter a superuser) and look at what the log kept.
    fresh.psql("CREATE ROLE stats_service LOGIN SUPERUSER")
    start = len(server_log(fresh))  # what the Job makes the server log, not the test's own setup
    failed = run_job(prod, fresh, tmp_path, users)
    assert failed.returncode != 0 and "superuser" in failed.stderr.lower()
    fresh.psql("DROP ROLE stats_service")
    assert run_job(prod, fresh, tmp_path, users).returncode == 0
    log = server_log(fresh)[start:]
    assert 'ERROR:  permission denied' in log or "ERROR:  must be superuser" in log
    assert 'ALTER ROLE "stats_service" WITH LOGIN' in log and "PASSWORD 'SCRAM-SHA-256$4096:" in log
    assert not [password for password in users.values() if password in log]
    assert MASTER_PASSWORD not in log


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
    assert set(server.psql("SELECT datname FROM pg_database").split()) >= set(DATABASES)
    # The readiness and liveness probes, exactly as the kubelet runs them inside the container.
    probe = container["readinessProbe"]["exec"]["command"]
    assert probe == container["livenessProbe"]["exec"]["command"]
    ready = subprocess.run(probe, env=env, capture_output=True, text=True, check=False)
    assert ready.returncode == 0, ready.stdout + ready.stderr
    stopped = subprocess.run(probe, env={**env, "PGPORT": "1"}, capture_output=True, text=True, check=False)
    assert stopped.returncode != 0  # the probe fails when nothing answers


def alpine_shell(directory: Path) -> Path:
    """A directory whose ``sh`` is BusyBox ash (an applet picks its behaviour from its name)."""
    require("busybox", real_servers.busybox())
    shell_dir = directory / "alpine-bin"
    if not (shell_dir / "sh").exists():
        shell_dir.mkdir(exist_ok=True)
        (shell_dir / "sh").symlink_to(real_servers.busybox())
    return shell_dir


def test_servers_are_the_versions_named(server):
    assert server.version.split(".")[0] == str(server.major)
    assert server.psql("SHOW ssl") == "on" and server.psql("SHOW log_statement") == "ddl"
    assert os.path.exists(server.directory / "data" / "PG_VERSION")
