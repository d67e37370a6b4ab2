"""Speed: index build, `Assistant.ask` latency, a cold one-off `qa ask`, `/ask` over HTTP, peak memory.

Usage:
    python -m bench.speed ../shared/eval/squad-dev-public.json [--questions 600] [--skip-peer]

Medians throughout: the machine is noisy. txtai's hybrid index over the same sentences is
timed in the same run as the peer.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.httpload import free_port, hammer, start_server, stop_server, wait_healthy
from bench.squad import load, write_corpus
from qa import Assistant

ROOT = Path(__file__).resolve().parent.parent
SEED_QUESTION = "How many troops will remain in Iraq?"


def run_qa(*args: str) -> float:
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "qa", *args], check=True, capture_output=True)
    return time.perf_counter() - began


def children_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def build_speed(articles: dict[str, str], work: Path) -> dict:
    docs, index = work / "docs", work / "index"
    write_corpus(articles, docs)
    scratch = run_qa("index", str(docs), "--index", str(index))
    peak = children_peak_mb()
    sentences = Assistant.open(index).index.info.sentences
    first = sorted(articles)[0]
    (docs / first).write_text(articles[first] + "A new closing paragraph was added to this article today.\n")
    changed = run_qa("index", str(docs), "--index", str(index))
    unchanged = run_qa("index", str(docs), "--index", str(index))
    return {
        "sentences": sentences,
        "scratch_s": scratch,
        "sentences_per_s": sentences / scratch,
        "one_file_changed_s": changed,
        "nothing_changed_s": unchanged,
        "build_peak_mb": peak,
    }


def ask_latency(index: Path, questions: list[str]) -> dict:
    assistant = Assistant.open(index)
    for q in questions[:20]:
        assistant.ask(q)  # warm caches
    times = []
    for q in questions:
        began = time.perf_counter()
        assistant.ask(q)
        times.append(1000 * (time.perf_counter() - began))
    return {"p50_ms": statistics.median(times), "p95_ms": percentile(times, 95), "n": len(times)}


def peer_latency(index: Path, questions: list[str]) -> dict | None:
    try:
        from txtai import Embeddings
    except ImportError:
        return None
    from bench.quality import Sentences
    from qa.embed.model import resolve_model

    texts = Sentences(Assistant.open(index)).texts
    began = time.perf_counter()
    embeddings = Embeddings(path=str(resolve_model()), content=True, hybrid=True)
    embeddings.index([(i, t, None) for i, t in enumerate(texts)])
    build = time.perf_counter() - began
    for q in questions[:20]:
        embeddings.search(q.replace("'", " "), 10)
    times = []
    for q in questions:
        began = time.perf_counter()
        embeddings.search(q.replace("'", " "), 10)
        times.append(1000 * (time.perf_counter() - began))
    return {
        "p50_ms": statistics.median(times),
        "p95_ms": percentile(times, 95),
        "index_s": build,
        "sentences_per_s": len(texts) / build,
    }


def cold_ask(work: Path, runs: int = 7) -> dict:
    index = work / "seed-index"
    run_qa("index", str(ROOT / "seeds"), "--index", str(index))
    times = [run_qa("ask", SEED_QUESTION, "--index", str(index)) for _ in range(runs)]
    bare = [run_qa("--version") for _ in range(3)]
    return {"p50_s": statistics.median(times), "min_s": min(times), "cli_start_s": statistics.median(bare)}


def http(index: Path, questions: list[str], requests: int) -> dict:
    port = free_port()
    server = start_server(index, port, workers=2)
    try:
        wait_healthy(port)
        out = {}
        for clients in (1, 8):
            hammer(port, questions[:50], clients, requests=50)  # warm-up
            result = hammer(port, questions, clients, requests=requests)
            out[f"{clients}_clients"] = result.summary()
        out["server_peak_mb"] = server_peak_mb(server.pid)
        return out
    finally:
        stop_server(server)


def server_peak_mb(pid: int) -> float:
    """Largest peak resident memory among the server's processes (VmHWM)."""
    peaks = []
    for task in [pid, *children(pid)]:
        try:
            for line in Path(f"/proc/{task}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        except OSError:
            continue
    return max(peaks, default=0.0)


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("squad", type=Path)
    parser.add_argument("--questions", type=int, default=600, help="questions timed for latency")
    parser.add_argument("--requests", type=int, default=400, help="HTTP requests per concurrency level")
    parser.add_argument("--skip-peer", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    articles, questions = load(args.squad)
    rng = np.random.default_rng(0)
    sample = [questions[i].text for i in rng.choice(len(questions), args.questions, replace=False)]
    figures: dict = {"machine": f"{os.cpu_count()} cores, {platform_line()}"}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        figures["build"] = build_speed(articles, work)
        print("build", json.dumps(figures["build"], indent=1))
        figures["ask"] = ask_latency(work / "index", sample)
        print("ask", figures["ask"])
        if not args.skip_peer:
            figures["peer_txtai"] = peer_latency(work / "index", sample)
            print("txtai peer", figures["peer_txtai"])
        figures["cold_ask"] = cold_ask(work)
        print("cold qa ask", figures["cold_ask"])
        figures["http"] = http(work / "index", sample, args.requests)
        print("http", json.dumps(figures["http"], indent=1))
        shutil.rmtree(work / "docs", ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


def platform_line() -> str:
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        model = "unknown CPU"
    return f"{model}, Python {sys.version.split()[0]}"


if __name__ == "__main__":
    main()
