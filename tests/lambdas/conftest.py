"""Fixtures for the Lambda handlers: load them from lambdas/ as Lambda would, and a local ticket-service."""

from __future__ import annotations

import importlib.util
import json
import shutil
import socket
import sys
from pathlib import Path

import pytest

from tests.lambdas.events import SECRET
from tests.lambdas.ticket_server import TicketServer

LAMBDAS = Path(__file__).resolve().parents[2] / "lambdas"


def load_handler(directory: Path, module_name: str):
    """Import ``directory/handler.py`` under a fresh module name (each load re-runs its init code)."""
    spec = importlib.util.spec_from_file_location(module_name, directory / "handler.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def packaged_edge_function(tmp: Path, secret: str | None = SECRET) -> Path:
    """The edge function's directory as deployed: handler.py plus the config.json the deploy writes."""
    shutil.copy(LAMBDAS / "edge_queue_check" / "handler.py", tmp / "handler.py")
    if secret is not None:
        (tmp / "config.json").write_text(json.dumps({"secret": secret}))
    return tmp


@pytest.fixture(scope="session")
def edge(tmp_path_factory):
    directory = packaged_edge_function(tmp_path_factory.mktemp("edge"))
    return load_handler(directory, "edge_queue_check_under_test")


@pytest.fixture(scope="session")
def worker_module():
    return load_handler(LAMBDAS / "ticket_worker", "ticket_worker_under_test")


@pytest.fixture
def ticket_server():
    server = TicketServer().start()
    yield server
    server.stop()


@pytest.fixture
def worker(worker_module, ticket_server, monkeypatch):
    """The worker pointed at the local ticket-service, with a short request timeout for tests."""
    monkeypatch.setenv("TICKET_SERVICE_URL", ticket_server.url)
    monkeypatch.setenv("INTERNAL_API_TOKEN", "internal-api-token-for-tests")
    monkeypatch.setattr(worker_module, "REQUEST_TIMEOUT_SECONDS", 0.5)
    monkeypatch.setattr(worker_module, "SAFETY_MARGIN_MS", 100)
    return worker_module


def closed_port() -> int:
    """A loopback port nothing listens on (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
