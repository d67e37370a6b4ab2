"""Scale: a documentation-sized folder from scratch at 100k, 300k and all sentences, with SQuAD as the needle.

Usage:
    python -m bench.scale ../shared/eval/squad-dev-public.json [--sizes 100000,300000,all] [--json OUT]

Corpus: the HTML documentation of four Debian packages (install as root with
`apt-get install -y python3.11-doc postgresql-doc-15 python-django-doc linux-doc-6.1`),
Sphinx's `_sources/` copies left out with `--exclude`. Each size takes whole files in a
fixed order until it holds that many sentences, plus the 12 SQuAD articles, so every
row also measures SQuAD questions among hundreds of thousands of distractor sentences.
For each size, from an empty index folder: `qa index` under /usr/bin/time -v (wall,
peak RSS, and what it printed without a terminal), disk per sentence, open time, cold
`qa ask`, in-process ask p50/p95, PSS/RSS per `qa serve` worker, SQuAD P@1/MRR, then an
update of one file and a killed-and-resumed build. Nothing is written into the project.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from bench.httpload import free_port, hammer, start_server, stop_server, wait_healthy
from bench.quality import squad_labels
from bench.squad import load, write_corpus
from qa.evaluate import run, score

ROOTS = [
    Path("/usr/share/doc/python3.11/html"),
    Path("/usr/share/doc/postgresql-doc-15/html"),
    Path("/usr/share/doc/python-django-doc/html"),
    Path("/usr/share/doc/linux-doc-6.1/html"),
]
EXCLUDE = ["_sources/", "_static/", "genindex*.html", "search.html", "py-modindex.html"]
DOCS_QUESTIONS = Path(__file__).with_name("docs_questions.json")
PASSES = 3  # over the documentation questions, after ten to warm up


def sentences_per_file(roots: list[Path]) -> list[tuple[Path, Path, int]]:
    """(root, file, sentences) for every indexable file, in a fixed order (the project's reader and splitter)."""
    from qa.read.files import discover, extract
    from qa.read.files import load as read
    from qa.split import split_document

    out = []
    for root in roots:
        if not root.is_dir():
            print(
                f"missing {root}: apt-get install -y python3.11-doc postgresql-doc-15 python-django-doc linux-doc-6.1"
            )
            continue
        for name, path in discover(root, exclude=EXCLUDE, on_skip=lambda n, r: None):
            try:
                document = extract(name, read(root, name, path, 20_000_000))
            except Exception:  # skipped by the build too
                continue
            out.append((root, path, sum(s.quotable for s in split_document(document))))
    return out


def make_corpus(files: list[tuple[Path, Path, int]], size: int | None, articles: dict[str, str], folder: Path) -> int:
    """Hard-link whole files (shuffled with a fixed seed) into ``folder`` until ``size`` sentences; add SQuAD."""
    order = list(files)
    random.Random(0).shuffle(order)
    total = 0
    for root, path, count in order:
        if size is not None and total >= size:
            break
        target = folder / root.parts[4] / path.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except OSError:
            shutil.copy(path, target)
        total += count
    write_corpus(articles, folder / "squad")
    return total


def timed_index(docs: Path, index: Path, extra: list[str] | None = None) -> dict:
    """`qa index` under GNU time: wall seconds, peak RSS, and the lines it printed (no terminal)."""
    command = ["/usr/bin/time", "-v", sys.executable, "-m", "qa", "index", str(docs), "--index", str(index)]
    command += extra or []
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1)) / 1024
    summary = re.search(r"(\d+) sentences \((\d+) embedded\)", done.stdout)
    progress = [line for line in done.stderr.splitlines() if line.startswith(("reading", "writing"))]
    return {
        "wall_s": wall,
        "peak_rss_mb": peak,
        "sentences": int(summary.group(1)),
        "embedded": int(summary.group(2)),
        "progress_lines": len(progress),
        "progress_sample": progress[len(progress) // 2] if progress else "",
    }


def sentences_in(index: Path) -> int:
    from qa.store.folder import FolderIndex

    opened = FolderIndex.open(index)
    try:
        return opened.info.sentences
    finally:
        opened.close()


def disk_mb(index: Path) -> float:
    """The live version and the embedding cache (the version before it is kept one build longer, then removed)."""
    live = (index / "CURRENT").read_text().strip()
    kept = [p for p in index.iterdir() if p.name == live or not p.name.startswith("v-")]
    return sum(f.stat().st_size for p in kept for f in ([p] if p.is_file() else p.rglob("*")) if f.is_file()) / 1e6


def questions() -> list[str]:
    items = json.loads(DOCS_QUESTIONS.read_text())["questions"]
    return [q["question"] for q in items]


def in_process(index: Path, asked: list[str], labels) -> dict:  # type: ignore[no-untyped-def]
    from qa import Assistant

    began = time.perf_counter()
    assistant = Assistant.open(index)
    opened = time.perf_counter() - began
    for q in asked[:10]:
        assistant.ask(q)
    passes = []
    for _ in range(PASSES):
        times = []
        for q in asked:
            t = time.perf_counter()
            assistant.ask(q)
            times.append(1000 * (time.perf_counter() - t))
        passes.append(times)
    times = passes[0]
    report = score(labels, run(assistant, labels))
    return {
        "open_s": opened,
        "ask_p50_ms": statistics.median(times),
        "ask_p95_ms": float(np.percentile(times, 95)),
        # A shared machine's noise is as large as the differences that matter: the p50 of
        # every pass, and of each question's fastest pass.
        "ask_p50_passes_ms": [statistics.median(t) for t in passes],
        "ask_p50_fastest_ms": statistics.median(np.min(passes, axis=0).tolist()),
        "squad_p1": report.p1,
        "squad_mrr": report.mrr,
    }


def cold_ask(index: Path, question: str, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "qa", "ask", question, "--index", str(index)], capture_output=True, check=True
        )
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def worker_memory(index: Path, asked: list[str]) -> dict:
    """RSS and PSS (the shared mapping counted once between processes) of each `qa serve` worker."""
    port = free_port()
    server = start_server(index, port, workers=2)
    try:
        wait_healthy(port, timeout=600)
        hammer(port, asked, 2, requests=200)
        workers = [
            int(p)
            for p in subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()
        ]
        figures = []
        for pid in workers:
            fields = {}
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                name, _, value = line.partition(":")
                if name in ("Rss", "Pss"):
                    fields[name] = int(value.split()[0]) / 1024
            figures.append(fields)
        return {
            "workers": len(figures),
            "rss_mb": max(f["Rss"] for f in figures),
            "pss_mb": max(f["Pss"] for f in figures),
        }
    finally:
        stop_server(server)


def update_one_file(docs: Path, index: Path) -> dict:
    """Append a paragraph to one file; time the rebuild; count what it embedded."""
    target = next(p for p in sorted((docs / "squad").glob("*.txt")))
    target.write_text(target.read_text() + "\nA paragraph added today says the survey counted 4,212 ravens.\n")
    return timed_index(docs, index)


def killed_and_resumed(docs: Path, index: Path, after_seconds: float, texts: int) -> dict:
    """Start a build from scratch, kill it after a while, start again: how much is embedded twice?

    ``texts``: how many texts (sentences and headings) a build from scratch embeds.
    """
    shutil.rmtree(index, ignore_errors=True)
    process = subprocess.Popen([sys.executable, "-m", "qa", "index", str(docs), "--index", str(index), "--quiet"])
    time.sleep(after_seconds)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done = sum(json.loads((s / "manifest.json").read_text())["count"] for s in index.glob("cache/*/seg-*"))
    resumed = timed_index(docs, index)
    again = max(0, done + resumed["embedded"] - texts)
    return {
        "embedded_before_kill": done,
        "embedded_after": resumed["embedded"],
        "re_embedded": again,
        "re_embedded_share": again / max(done, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("squad", type=Path)
    parser.add_argument("--sizes", default="100000,300000,all")
    parser.add_argument("--work", type=Path, help="keep the corpora and indexes here (default: a temporary folder)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--skip-resume", action="store_true")
    parser.add_argument(
        "--existing",
        action="store_true",
        help="measure the indexes already in --work (questions, memory, one file changed) without building them",
    )
    parser.add_argument("--plot", type=Path, help="write an SVG of latency and memory against corpus size here")
    parser.add_argument(
        "--seed-cache",
        type=Path,
        help="start the first size's embedding cache from this index's (each later size from the one before): "
        "the build then embeds only what that corpus lacks, and its time is not a build from scratch",
    )
    args = parser.parse_args()
    articles, squad = load(args.squad)
    # The articles sit in the corpus's squad/ folder: that is the document name quotes carry.
    labels = [replace(label, document=f"squad/{label.document}") for label in squad_labels(squad)]
    asked = questions()
    files = [] if args.existing else sentences_per_file(ROOTS)
    if files:
        print(f"{len(files)} files, {sum(c for *_, c in files)} quotable sentences in the four documentation packages")
    work = args.work or Path(tempfile.mkdtemp(prefix="qa-scale-"))
    rows = []
    for size_text in args.sizes.split(","):
        size = None if size_text == "all" else int(size_text)
        docs, index = work / f"docs-{size_text}", work / f"index-{size_text}"
        row: dict = {"size": size_text}
        if args.existing:
            row["build"] = {"sentences": sentences_in(index)}
        else:
            shutil.rmtree(docs, ignore_errors=True)
            shutil.rmtree(index, ignore_errors=True)
            docs.mkdir(parents=True)
            make_corpus(files, size, articles, docs)
            seed = args.seed_cache if not rows else work / f"index-{rows[-1]['size']}"
            if seed is not None and (seed / "cache").is_dir():
                shutil.copytree(seed / "cache", index / "cache")
                row["seeded_from"] = str(seed)
            row["build"] = timed_index(docs, index)
            row["build"]["sentences_per_s"] = row["build"]["sentences"] / row["build"]["wall_s"]
        row["disk_mb"] = disk_mb(index)
        row["disk_kb_per_sentence"] = 1000 * row["disk_mb"] / row["build"]["sentences"]
        row.update(in_process(index, asked, labels))
        row["cold_ask_s"] = cold_ask(index, asked[0])
        row["server"] = worker_memory(index, asked)
        row["update_one_file"] = update_one_file(docs, index)
        if not args.skip_resume and not args.existing:
            row["resume"] = killed_and_resumed(
                docs, work / f"resume-{size_text}", row["build"]["wall_s"] / 2, row["build"]["embedded"]
            )
            shutil.rmtree(work / f"resume-{size_text}", ignore_errors=True)
        print(json.dumps(row, indent=1), flush=True)
        rows.append(row)
    print(table(rows))
    if args.plot:
        from bench.plot import scale_svg

        args.plot.write_text(scale_svg(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


def table(rows: list[dict]) -> str:
    head = (
        "| size | sentences | build | sentences/s | peak RSS | disk / sentence | open | cold qa ask | ask p50 / p95 "
        "| worker RSS / PSS | SQuAD P@1 / MRR | one file changed |\n|" + "---|" * 12
    )
    lines = [head]
    for r in rows:
        b = r["build"]
        built = (
            f"{b['wall_s'] / 60:.1f} min{' (seeded cache)' if r.get('seeded_from') else ''} "
            f"| {b['sentences_per_s']:.0f} | {b['peak_rss_mb']:.0f} MB"
            if "wall_s" in b
            else "not built in this run | | "
        )
        lines.append(
            f"| {r['size']} | {b['sentences']:,} | {built} | {r['disk_kb_per_sentence']:.2f} KB | {r['open_s']:.2f} s "
            f"| {r['cold_ask_s']:.2f} s | {r['ask_p50_ms']:.1f} / {r['ask_p95_ms']:.1f} ms "
            f"| {r['server']['rss_mb']:.0f} / {r['server']['pss_mb']:.0f} MB "
            f"| {r['squad_p1']:.3f} / {r['squad_mrr']:.3f} | {r['update_one_file']['wall_s']:.1f} s "
            f"({r['update_one_file']['embedded']} embedded) |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
