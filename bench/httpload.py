"""Drive `qa serve` on loopback: start it, send questions from concurrent clients, stop it.

Only 127.0.0.1 is ever a target; every loop is bounded by a request count or a deadline.
"""

from __future__ import annotations

import http.client
import json
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def start_server(index: Path, port: int, workers: int = 1, threads: int | None = None) -> subprocess.Popen:
    args = [sys.executable, "-m", "qa", "serve", "--host", HOST, "--port", str(port), "--index", str(index)]
    args += ["--workers", str(workers)]
    if threads:
        args += ["--threads", str(threads)]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_healthy(port: int, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=2)
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"the server on port {port} did not become healthy in {timeout:.0f}s")


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


@dataclass
class Result:
    """What the clients saw."""

    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def errors(self) -> int:
        return len(self.failures) + sum(n for status, n in self.statuses.items() if status != 200)

    def summary(self) -> dict:
        lat = self.latencies_ms or [0.0]
        return {
            "requests": len(self.latencies_ms),
            "errors": self.errors,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "requests_per_s": len(self.latencies_ms) / max(self.seconds, 1e-9),
            "p50_ms": statistics.median(lat),
            "p99_ms": float(np.percentile(lat, 99)),
        }


def hammer(
    port: int, questions: list[str], clients: int, requests: int | None = None, seconds: float | None = None
) -> Result:
    """``clients`` threads, each on one keep-alive connection, asking in turn until the
    shared request budget or the deadline is spent."""
    if requests is None and seconds is None:
        raise ValueError("give a request count or a duration")
    result = Result()
    lock = threading.Lock()
    counter = iter(range(requests if requests is not None else 10**9))
    deadline = time.monotonic() + (seconds if seconds is not None else 10**9)

    def client(number: int) -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=60)
        while time.monotonic() < deadline:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            body = json.dumps({"question": questions[(i * 7 + number) % len(questions)], "top_k": 3})
            began = time.perf_counter()
            try:
                connection.request("POST", "/ask", body, {"Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    result.failures.append(type(exc).__name__)
                connection.close()
                connection = http.client.HTTPConnection(HOST, port, timeout=60)
                continue
            elapsed = 1000 * (time.perf_counter() - began)
            with lock:
                result.latencies_ms.append(elapsed)
                result.statuses[status] = result.statuses.get(status, 0) + 1
        connection.close()

    began = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.seconds = time.perf_counter() - began
    return result
