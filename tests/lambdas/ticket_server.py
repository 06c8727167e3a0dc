"""A stand-in ticket-service on 127.0.0.1 that records every call and misbehaves on request.

The message's ``userId`` chooses the behaviour, so a test says what should happen in the
message itself: ``slow-<ms>`` answers after a delay, ``status-<code>`` answers with that
status, ``hang`` answers after ``hang_seconds`` (longer than the worker's timeout in tests).
``latency_seconds`` delays every answer (the benchmark uses 200 ms). ``accepted_tokens``, when
set, is what ticket-service's ``INTERNAL_API_TOKEN`` currently is: any other bearer token gets
401, as a rotation looks to the worker (the call is still recorded, with its ``status``).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Call:
    path: str
    headers: dict[str, str]
    body: dict
    started: float
    finished: float = 0.0
    status: int = 0


@dataclass
class TicketServer:
    latency_seconds: float = 0.0
    hang_seconds: float = 2.0
    calls: list[Call] = field(default_factory=list)
    accepted_tokens: set[str] | None = None

    def __post_init__(self):
        self._lock = threading.Lock()
        self._barriers: dict[int, threading.Barrier] = {}
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                started = time.monotonic()
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                call = Call(self.path, {k.lower(): v for k, v in self.headers.items()}, body, started)
                with owner._lock:
                    owner.calls.append(call)
                token = call.headers.get("authorization", "").removeprefix("Bearer ")
                if owner.accepted_tokens is not None and token not in owner.accepted_tokens:
                    status = 401
                else:
                    status = owner._behave(str(body.get("userId", "")))
                call.status = status
                payload = json.dumps({"ok": 200 <= status < 300}).encode()
                # Stamped before the answer leaves: the worker may act on the answer at once,
                # so a stamp taken after sending could still be missing when a test reads it.
                call.finished = time.monotonic()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False  # do not wait for "hang" answers nobody reads
        # A short poll interval so shutdown() returns at once instead of after half a second.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    def _behave(self, user: str) -> int:
        delay = self.latency_seconds
        status = 200
        if user.startswith("together-"):
            # Answer only once N requests are in flight at the same time: sequential callers
            # never get there (503 after the wait), concurrent ones always do, however slow the machine.
            parties = int(user.removeprefix("together-"))
            with self._lock:
                barrier = self._barriers.setdefault(parties, threading.Barrier(parties))
            try:
                barrier.wait(timeout=self.hang_seconds * 10)
            except threading.BrokenBarrierError:
                return 503
        elif user.startswith("slow-"):
            delay += int(user.removeprefix("slow-")) / 1000
        elif user.startswith("status-"):
            status = int(user.removeprefix("status-"))
        elif user == "hang":
            delay += self.hang_seconds
        if delay:
            time.sleep(delay)
        return status

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> TicketServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def keys(self) -> list[str]:
        return [c.headers.get("idempotency-key", "") for c in self.calls]
