"""Load test: many concurrent clients asking varied questions of `qa serve` on loopback.

Usage:
    python -m bench.load [--clients 32] [--seconds 60] [--workers 2] [--index DIR]

Stops by itself after the given time. Exits 1 when any request failed or got a status
other than 200, when a worker process died, or when memory grew after warm-up.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.httpload import free_port, hammer, start_server, stop_server, wait_healthy

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "How many troops will remain in Iraq?",
    "Which general was killed near Baghdad airport in 2020?",
    "What shot down the drones on Monday?",
    "Where is the Ain al-Asad airbase?",
    "Who contributed reporting?",
    "What words were painted on the drone?",
    "When did the coalition end its combat mission?",
    "What is the boiling point of water?",
    "Who won the 2018 World Cup?",
    "how many american soldiers stay",
    "drones Anbar province base",
    "What do pro-Iran factions want?",
    "<script>alert(1)</script> drones?",
    "'; DROP TABLE documents; --",
    "Дроны в Ираке? 🚁",
    "x" * 1500,
]
# Memory may rise while caches warm; after that it must stay within this share.
MEMORY_SLACK = 0.10


def rss_mb(pid: int) -> float:
    """Resident memory of the server: its master and every worker."""
    out = subprocess.run(["ps", "-o", "rss=", "--ppid", str(pid), "-p", str(pid)], capture_output=True, text=True)
    return sum(int(x) for x in out.stdout.split()) / 1024


def workers(pid: int) -> set[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return {int(p) for p in out.stdout.split()}


def run(index: Path, clients: int, seconds: float, server_workers: int) -> dict:
    port = free_port()
    server = start_server(index, port, workers=server_workers)
    try:
        wait_healthy(port)
        pids = workers(server.pid)
        samples: list[tuple[float, float]] = []
        done = threading.Event()

        def sample() -> None:
            began = time.monotonic()
            while not done.wait(1.0):
                samples.append((time.monotonic() - began, rss_mb(server.pid)))

        sampler = threading.Thread(target=sample)
        sampler.start()
        result = hammer(port, QUESTIONS, clients, seconds=seconds)
        done.set()
        sampler.join()
        crashed = server.poll() is not None or workers(server.pid) != pids
    finally:
        stop_server(server)
    warm = [m for t, m in samples if t >= min(10.0, seconds / 3)] or [m for _, m in samples] or [0.0]
    figures = result.summary()
    figures.update(
        clients=clients,
        seconds=round(result.seconds, 1),
        workers=server_workers,
        worker_crash=crashed,
        memory_mb_after_warmup=round(warm[0], 1),
        memory_mb_end=round(warm[-1], 1),
        memory_mb_max=round(max(warm), 1),
    )
    figures["memory_flat"] = figures["memory_mb_max"] <= figures["memory_mb_after_warmup"] * (1 + MEMORY_SLACK)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--index", type=Path, help="an index to serve (default: the seed article, built aside)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        index = args.index
        if index is None:
            index = Path(tmp) / "index"
            command = [sys.executable, "-m", "qa", "index", str(ROOT / "seeds"), "--index", str(index)]
            subprocess.run(command, check=True)
        figures = run(index, args.clients, args.seconds, args.workers)
    print(json.dumps(figures, indent=2))
    ok = figures["errors"] == 0 and not figures["worker_crash"] and figures["memory_flat"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
