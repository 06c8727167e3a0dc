"""Fixtures for tests that run real programs: skip with the reason on a laptop, fail in CI.

CI (``CI=true``) installs everything in ``.ci/run`` (tools/harness/real_servers.py), so a
missing program there is a broken install, never a reason to skip.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tools.harness import real_servers


def require(what: str, available: object) -> None:
    if available:
        return
    message = f"{what} is not installed; `make real-servers` installs it (tools/harness/real_servers.py)"
    if real_servers.in_ci():
        pytest.fail(f"CI=true: {message}", pytrace=False)
    pytest.skip(message)


MAJORS = (15, 16)
_servers: dict[int, real_servers.PostgresServer] = {}


def postgres(major: int) -> real_servers.PostgresServer:
    """One server per major version for the whole session (started on first use, stopped at exit).

    The first call starts every installed major at once (the tests use both), in parallel.
    """
    require(f"PostgreSQL {major} server", real_servers.postgres_bin(major))
    require("psql", real_servers.psql_bin())
    require("openssl", real_servers.shutil.which("openssl"))
    if major not in _servers:
        wanted = [m for m in MAJORS if m not in _servers and real_servers.postgres_bin(m)]
        with ThreadPoolExecutor(max_workers=len(wanted)) as pool:
            _servers.update(zip(wanted, pool.map(real_servers.start_postgres, wanted), strict=True))
    return _servers[major]


def stop_all() -> None:
    while _servers:
        _servers.popitem()[1].stop()
