"""Benchmarks for the Lambda handlers (``make bench``). Prints medians; asserts nothing.

Edge function: per-request time for valid, invalid and bypass requests and for a
realistic mix, and its cold import time in a fresh interpreter. Worker: one batch of 10
records in 10 groups against a local ticket-service that answers in 200 ms.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.lambdas.conftest import LAMBDAS, load_handler, packaged_edge_function
from tests.lambdas.events import EVENT_ID, seat_reserve, sign, sqs_event, sqs_record, viewer_request
from tests.lambdas.ticket_server import TicketServer

RUNS = 7


def median_per_call_us(function, requests: list, runs: int = RUNS) -> float:
    results = []
    for _ in range(runs):
        started = time.perf_counter_ns()
        for request in requests:
            function(request)
        results.append((time.perf_counter_ns() - started) / len(requests) / 1000)
    return statistics.median(results)


def bench_edge(directory: Path) -> None:
    edge = load_handler(directory, "edge_bench")
    now = int(time.time())
    protected = f"/api/seats/{EVENT_ID}/reserve"

    def event(uri: str, token: str | None = None) -> dict:
        return viewer_request(uri, {"Cookie": f"_ga=GA1.2.3; tiketi-entry-token={token}"} if token else None)

    # 200 admitted users, each sending their own token on every call.
    tokens = [sign({"sub": EVENT_ID, "iat": now, "exp": now + 3600, "uid": f"user-{i}"}) for i in range(200)]
    forged = [sign({"sub": EVENT_ID, "iat": now, "exp": now + 3600, "uid": f"x-{i}"}, secret="wrong")
              for i in range(200)]
    valid = [event(protected, tokens[i % 200]) for i in range(5000)]
    invalid = [event(protected, forged[i % 200]) for i in range(5000)]
    missing = [event(protected) for _ in range(5000)]
    bypass = [event(u) for u in ("/api/events/list", "/api/queue/status", "/health", "/api/auth/me") * 1250]

    rng = random.Random(7)
    mix = []
    for _ in range(10000):  # 60 % protected with a valid token, 10 % without or with a bad one, 30 % other
        roll = rng.random()
        if roll < 0.6:
            mix.append(event(f"/api/seats/{EVENT_ID}/reserve", tokens[rng.randrange(200)]))
        elif roll < 0.65:
            mix.append(event(protected))
        elif roll < 0.7:
            mix.append(event(protected, forged[rng.randrange(200)]))
        else:
            mix.append(event(rng.choice(["/api/events/list", "/api/queue/status", "/", "/api/stats/live"])))

    handler = lambda e: edge.handler(e, None)  # noqa: E731
    for warmup in (valid, invalid, bypass, mix):
        for e in warmup[:500]:
            handler(e)
    print(f"edge_queue_check (per request, median of {RUNS} runs)")
    print(f"  valid token (cached after first use)   {median_per_call_us(handler, valid):7.2f} us")
    edge._verified.clear()
    uncached = median_per_call_us(lambda e: (edge._verified.clear(), handler(e)), valid)
    print(f"  valid token, cache cleared per request  {uncached:7.2f} us")
    print(f"  invalid signature                       {median_per_call_us(handler, invalid):7.2f} us")
    print(f"  no token                                {median_per_call_us(handler, missing):7.2f} us")
    print(f"  bypass path                             {median_per_call_us(handler, bypass):7.2f} us")
    print(f"  realistic mix                           {median_per_call_us(handler, mix):7.2f} us")


COLD_IMPORT = """
import importlib.util, sys, time
started = time.perf_counter()
spec = importlib.util.spec_from_file_location("handler", sys.argv[1] + "/handler.py")
module = sys.modules["handler"] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print((time.perf_counter() - started) * 1000)
"""


def bench_cold_import(directory: Path, name: str, env: dict | None = None) -> None:
    times = []
    for _ in range(RUNS):
        out = subprocess.run([sys.executable, "-c", COLD_IMPORT, str(directory)], check=True, capture_output=True,
                             text=True, env={**os.environ, **(env or {})})
        times.append(float(out.stdout))
    print(f"  cold import of {name:<24} {statistics.median(times):7.2f} ms (median of {RUNS} fresh interpreters)")


def bench_worker() -> None:
    worker = load_handler(LAMBDAS / "ticket_worker", "worker_bench")
    server = TicketServer(latency_seconds=0.2).start()
    os.environ["TICKET_SERVICE_URL"] = server.url
    os.environ["INTERNAL_API_TOKEN"] = "bench-token"
    try:
        times = []
        for run in range(RUNS):
            batch = sqs_event(*[sqs_record(json.dumps(seat_reserve(user=f"u{i}")), group=f"g{i}",
                                           message_id=f"r{run}-m{i}") for i in range(10)])
            started = time.perf_counter()
            result = worker.handler(batch, None)
            times.append(time.perf_counter() - started)
            assert result == {"batchItemFailures": []}, result
    finally:
        server.stop()
    print("ticket_worker")
    print(f"  batch of 10 records in 10 groups, server answering in 200 ms: "
          f"{statistics.median(times):.3f} s (median of {RUNS}; sequential would be >= 2.0 s)")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        directory = packaged_edge_function(Path(tmp))
        bench_edge(directory)
        bench_cold_import(directory, "edge_queue_check")
    bench_cold_import(LAMBDAS / "ticket_worker", "ticket_worker", {"INTERNAL_API_TOKEN": "x"})
    bench_worker()


if __name__ == "__main__":
    main()
