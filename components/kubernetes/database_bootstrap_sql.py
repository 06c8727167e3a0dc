"""The database bootstrap's SQL: one login role per service that owns only its own database.

Runs in the bootstrap Job's first container (``python3 -I database_bootstrap_sql.py --output
<file> auth_db=AUTH_SERVICE ...``), standard library only; the ConfigMap carries this file as it
is, and tests/kubernetes/test_database_bootstrap_real_postgres.py runs it and the psql that
reads its output against real PostgreSQL 15 and 16 servers. For each ``<database>=<PREFIX>`` it
reads the role's name and password from ``<PREFIX>_USERNAME`` and ``<PREFIX>_PASSWORD`` (the
Job's Secret, synced from the service's own Secrets Manager secret) and writes SQL for psql,
connected as the RDS master user, that is idempotent and safe to run while services run:

1. creates the role if missing and sets its password — as a SCRAM-SHA-256 *verifier*
   computed here, never the plaintext: the parameter group logs DDL (``log_statement = ddl``)
   to CloudWatch, and PostgreSQL logs a failed statement's text whatever that setting. With
   a verifier the log holds what ``pg_authid`` holds anyway. (The alternative, ``SET
   log_statement = none`` for the session, needs superuser or a ``GRANT SET ON PARAMETER`` on
   RDS, and a failing statement would still be logged with its plaintext.)
2. grants the role to the master (``CURRENT_USER``): PostgreSQL 16 gives a CREATEROLE user only
   ADMIN OPTION on the roles it creates (``createrole_self_grant`` is empty by default), but
   ``CREATE DATABASE ... OWNER`` needs the right to ``SET ROLE`` to the owner (15: membership);
3. creates the database owned by the role, or hands an existing one to it, and revokes
   CONNECT and TEMPORARY from PUBLIC, so no other service's role can even connect;
4. in that database, hands the role every table, view, sequence, function, type and schema
   the master still owns (databases the init containers of earlier releases created, whose
   tables Flyway created as the master), so the service can migrate its own schema.

Nothing here loosens anything: the role gets no CREATEDB, CREATEROLE or membership in
another role. PostgreSQL refuses SUPERUSER/REPLICATION/BYPASSRLS clauses from a
non-superuser (the RDS master is not one), so none is written.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import os
import re
import secrets
import sys

SCRIPT_NAME = "database_bootstrap_sql.py"  # the file name in the Job's ConfigMap
# Session-level advisory lock: the Job and an operator's re-run never interleave.
LOCK_KEY = 7_310_001
SCRAM_ITERATIONS = 4096  # PostgreSQL's default (scram_iterations, 16; fixed in 15)
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class BootstrapError(ValueError):
    """The Job's input is wrong; the message names what, never a password."""


def scram_sha_256_verifier(password: str, salt: bytes | None = None, iterations: int = SCRAM_ITERATIONS) -> str:
    """What PostgreSQL stores for ``password`` (RFC 5802/7677, as ``pg_be_scram_build_secret`` writes it)."""
    salt = secrets.token_bytes(16) if salt is None else salt
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode("ascii")

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def identifier(kind: str, name: str) -> str:
    if not _IDENTIFIER.fullmatch(name):
        raise BootstrapError(f"{kind} {name!r} is not a lower-case SQL identifier ([a-z_][a-z0-9_]*, at most 63)")
    return f'"{name}"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def role_sql(database: str, role: str, verifier: str) -> list[str]:
    """Step 1-3 for one service, run in the ``postgres`` database."""
    db, rl = identifier("database", database), identifier("role", role)
    return [
        f"-- {database}: owned by {role}",
        f"SELECT 'CREATE ROLE {rl} LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {literal(role)})"
        "\\gexec",
        f"ALTER ROLE {rl} WITH LOGIN NOCREATEDB NOCREATEROLE INHERIT PASSWORD {literal(verifier)};",
        f"SELECT 'GRANT {rl} TO CURRENT_USER' WHERE NOT pg_has_role(CURRENT_USER, {literal(role)}, 'USAGE')\\gexec",
        f"SELECT 'CREATE DATABASE {db} OWNER {rl}' "
        f"WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = {literal(database)})\\gexec",
        f"ALTER DATABASE {db} OWNER TO {rl};",
        f"REVOKE ALL ON DATABASE {db} FROM PUBLIC;",
    ]


# Step 4, in the service's database: what the master owns there becomes the role's. Sequences
# that belong to a column follow their table; extension members stay (their owner is the
# extension's); array and multirange types follow their element type.
_ADOPT = r"""DO $adopt$
DECLARE
  master oid := (SELECT oid FROM pg_roles WHERE rolname = CURRENT_USER);
  statement text;
BEGIN
  FOR statement IN
    SELECT format('ALTER SCHEMA %I OWNER TO %I', n.nspname, :role)
      FROM pg_namespace n
     WHERE n.nspowner = master AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
    UNION ALL
    SELECT format('ALTER %s %s OWNER TO %I',
                  CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                 WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'c' THEN 'TYPE' ELSE 'TABLE' END,
                  c.oid::regclass, :role)
      FROM pg_class c
     WHERE c.relowner = master AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S', 'c')
       AND c.relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
       AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                         AND (d.deptype = 'e' OR (c.relkind = 'S' AND d.deptype IN ('a', 'i'))))
    UNION ALL
    SELECT format('ALTER ROUTINE %s OWNER TO %I', p.oid::regprocedure, :role)
      FROM pg_proc p
     WHERE p.proowner = master
       AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                         AND d.deptype = 'e')
    UNION ALL
    SELECT format('ALTER TYPE %s OWNER TO %I', t.oid::regtype, :role)
      FROM pg_type t
     WHERE t.typowner = master AND t.typtype IN ('e', 'd', 'r')
       AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid
                         AND d.deptype = 'e')
  LOOP
    EXECUTE statement;
  END LOOP;
END
$adopt$;"""


def adopt_sql(database: str, role: str) -> list[str]:
    db, _ = identifier("database", database), identifier("role", role)
    return [f"\\connect {db}", _ADOPT.replace(":role", literal(role))]


def render(services: list[tuple[str, str]], environ: dict[str, str] | os._Environ) -> str:
    """The whole script for ``[(database, env prefix), ...]``."""
    users = []
    for database, prefix in services:
        role = environ.get(f"{prefix}_USERNAME", "")
        password = environ.get(f"{prefix}_PASSWORD", "")
        if not role or not password:
            raise BootstrapError(f"{database}: {prefix}_USERNAME and {prefix}_PASSWORD must both be set "
                                 "(the Job's Secret lacks the service's database user)")
        users.append((database, role, scram_sha_256_verifier(password)))
    if len({role for _, role, _ in users}) != len(users) or len({db for db, _, _ in users}) != len(users):
        raise BootstrapError("every database needs its own role, and every role its own database")
    lines = ["-- database bootstrap: SCRAM verifiers only, never a plaintext password",
             "\\set ON_ERROR_STOP on", f"SELECT pg_advisory_lock({LOCK_KEY});"]
    for database, role, verifier in users:
        lines += role_sql(database, role, verifier)
    for database, role, _ in users:
        lines += adopt_sql(database, role)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the database bootstrap SQL for psql.")
    parser.add_argument("--output", required=True, help="file to write (an in-memory emptyDir in the Job)")
    parser.add_argument("services", nargs="+", metavar="DATABASE=PREFIX")
    args = parser.parse_args(argv)
    try:
        services = [tuple(item.split("=", 1)) for item in args.services]
        if any(len(pair) != 2 for pair in services):
            raise BootstrapError("arguments are DATABASE=ENV_PREFIX pairs")
        sql = render(services, os.environ)  # type: ignore[arg-type]
    except BootstrapError as error:
        print(f"database bootstrap: {error}", file=sys.stderr)
        return 2
    descriptor = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as output:
        output.write(sql)
    print(f"database bootstrap: SQL for {len(services)} databases written", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
