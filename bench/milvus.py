"""The folder index and Milvus Lite side by side on SQuAD: build time, P@1, MRR@10, ask latency.

Usage:
    python -m bench.milvus ../shared/eval/squad-dev-public.json [--questions N] [--keep DIR]

Writes the 12 articles to text files and indexes them twice with the project's CLI
(`qa index DOCS --index FOLDER`, then `--index milvus:FILE.db`): a build from scratch,
then, after the questions, again once one article gained a paragraph (only it is
embedded again). Every question (or an even spread of N) is asked through
`Assistant.ranked` of each engine (built from scratch),
scored with `qa.evaluate` as `qa eval` scores; latency is `Answer.took_ms` per question,
after 20 warm-up questions. One process, one engine at a time.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.squad import load, write_corpus
from qa import Assistant
from qa.evaluate import Labelled, Report, run, score

WARM_UP = 20


def qa_index(docs: Path, index: str) -> float:
    """Build with the CLI, as a user would; returns wall seconds (model start-up included)."""
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "qa", "index", str(docs), "--index", index, "--quiet"], check=True)
    return time.perf_counter() - began


def measure(index: str, labels: list[Labelled]) -> tuple[Report, float]:
    """(the scores, seconds to open the assistant)."""
    began = time.perf_counter()
    assistant = Assistant.open(index)
    opened = time.perf_counter() - began
    try:
        for label in labels[:WARM_UP]:
            assistant.ranked(label.question)
        return score(labels, run(assistant, labels)), opened
    finally:
        assistant.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("squad", type=Path)
    parser.add_argument("--questions", type=int, default=0, help="ask an even spread of this many (default: all)")
    parser.add_argument("--keep", type=Path, default=None, help="build in this folder and keep it")
    args = parser.parse_args()

    articles, questions = load(args.squad)
    if args.questions and args.questions < len(questions):
        step = len(questions) / args.questions
        questions = [questions[int(i * step)] for i in range(args.questions)]
    labels = [Labelled(q.text, document=q.document, answer_starts=q.answer_starts) for q in questions]
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-milvus-"))
    docs = work / "docs"
    write_corpus(articles, docs)
    first = sorted(articles)[0]
    engines = {"folder": str(work / "folder-index"), "Milvus Lite": f"milvus:{work / 'milvus-index.db'}"}
    rows = []
    for engine, index in engines.items():
        write_corpus(articles, docs)  # every engine starts from the same files
        scratch = qa_index(docs, index)
        report, opened = measure(index, labels)
        (docs / first).write_text(articles[first] + "A new closing paragraph was added to this article today.\n")
        changed = qa_index(docs, index)
        rows.append((engine, scratch, changed, opened, report))
        print(f"{engine}: done", file=sys.stderr)

    print(f"\nSQuAD dev, {len(articles)} articles pooled, {len(labels)} questions\n")
    print("| engine | build (s) | one file changed (s) | open (s) | P@1 | MRR@10 | ask p50 (ms) | ask p95 (ms) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for engine, scratch, changed, opened, r in rows:
        print(
            f"| {engine} | {scratch:.1f} | {changed:.1f} | {opened:.2f} | {r.p1:.3f} | {r.mrr:.3f} "
            f"| {r.p50_ms:.0f} | {r.p95_ms:.0f} |"
        )
    if len(rows) == 2:
        print(f"\nP@1 difference (Milvus Lite − folder): {100 * (rows[1][4].p1 - rows[0][4].p1):+.1f} points")
    if args.keep is None:
        subprocess.run(["rm", "-rf", str(work)], check=False)


if __name__ == "__main__":
    main()
