"""The issue's own scenario: "what does this function do" over pages of the Python documentation.

Usage:
    python -m bench.pydocs [--questions N] [--seed S] [--index DIR] [--json OUT]

Copies a fixed set of pages of Debian's python3.11-doc (the tutorial, the how-tos and the
library reference of 26 everyday modules) into a folder, indexes it with `qa index`, and
asks, for N functions and methods drawn at random (seeded) from those library pages,
"what does os.makedirs do". The label is the first sentence of the entry's description,
the sentence a reader would quote ("Recursive directory creation function."): it rarely
names the function, whose name is in the signature above it. A hit: the quote holds the
label's first 60 characters and comes from the entry's page. The questions are made from
the installed pages at run time, so no documentation text is kept in the repository.
Baselines rank the same sentences.
"""

from __future__ import annotations

import argparse
import html
import json
import random
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.quality import Sentences, bm25_baseline, dense_baseline, misses, ours, qa_index, table
from qa import Assistant
from qa.evaluate import Labelled, score

ROOT = Path("/usr/share/doc/python3.11/html")
MODULES = (
    "argparse bisect collections csv datetime functools glob heapq io itertools json logging math os os.path "
    "pathlib random re shutil statistics string subprocess sys tempfile textwrap time"
).split()
# One entry: its signature(s), then the description, whose first paragraph opens with the summary.
_ENTRY = re.compile(
    r'<dl class="py (?:function|method)">\s*<dt class="sig sig-object py" id="([\w.]+)">'
    r"(?:(?!<dd>).)*?</dt>\s*<dd>\s*<p>(.*?)</p>",
    re.S,
)
_TAG = re.compile(r"<[^>]+>")
_SENTENCE_END = re.compile(r"(?<=[\w)`'\"])\.(?=\s|$)")
LABEL_CHARS = 60


@dataclass(frozen=True)
class Entry:
    name: str  # os.makedirs
    page: str  # library/os.html
    summary: str  # the description's first sentence


def pages() -> list[str]:
    """The pages indexed, relative to ROOT."""
    chosen = [f"library/{m}.html" for m in MODULES]
    chosen += sorted(str(p.relative_to(ROOT)) for d in ("tutorial", "howto") for p in (ROOT / d).glob("*.html"))
    return [p for p in chosen if (ROOT / p).is_file()]


def entries(page: str) -> list[Entry]:
    out = []
    for match in _ENTRY.finditer((ROOT / page).read_text(encoding="utf-8", errors="replace")):
        text = html.unescape(re.sub(r"\s+", " ", _TAG.sub("", match.group(2)))).strip()
        end = _SENTENCE_END.search(text)
        summary = text[: end.start() + 1] if end else text
        if len(summary) >= 20:
            out.append(Entry(match.group(1), page, summary))
    return out


def questions(n: int, seed: int) -> list[Labelled]:
    pool = [e for page in pages() if page.startswith("library/") for e in entries(page)]
    picked = random.Random(seed).sample(pool, min(n, len(pool)))
    return [
        Labelled(f"what does {e.name} do", (e.summary[:LABEL_CHARS],), e.page, kind="what does X do") for e in picked
    ]


def measure(pages: dict[str, Path], labels: list[Labelled], seed: int, index: Path | None, out: Path | None) -> None:
    """Index ``pages`` (name in the folder → installed file), ask ``labels`` of ours and the
    baselines, print the table and ours' first misses (and write the figures to ``out``)."""
    with tempfile.TemporaryDirectory() as tmp:
        docs = Path(tmp) / "docs"
        for name, source in pages.items():
            (docs / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, docs / name)
        index = index or Path(tmp) / "index"
        seconds = qa_index(docs, index)
        assistant = Assistant.open(index)
        print(
            f"{assistant.index.info.documents} pages, {assistant.index.info.sentences} sentences; "
            f"indexed in {seconds:.0f}s; {len(labels)} questions (seed {seed})"
        )
        sentences = Sentences(assistant)
        rows = [
            (name, score(labels, system(labels)))
            for name, system in (
                ("ours (qa.Assistant)", ours(assistant)),
                ("BM25 (bm25s)", bm25_baseline(sentences)),
                ("dense (MiniLM cosine)", dense_baseline(sentences)),
            )
        ]
        print(table(f'"what does X do": {len(labels)}', rows))
        print(misses(rows[0][1].failures, 10))
        if out:
            out.write_text(json.dumps({name: report.to_dict() for name, report in rows}, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--index", type=Path, help="reuse (or keep) the index here")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not ROOT.is_dir():
        raise SystemExit(f"{ROOT} is missing: apt-get install -y python3.11-doc")
    labels = questions(args.questions, args.seed)
    measure({page: ROOT / page for page in pages()}, labels, args.seed, args.index, args.json)


if __name__ == "__main__":
    main()
