""" "What does fs.readFile do" over the Node.js API reference, written in Markdown.

Usage:
    python -m bench.nodedocs [--questions N] [--seed S] [--index DIR] [--json OUT]

A second API reference beside `bench.pydocs`, in another format and another house style:
the Markdown pages Debian's ``nodejs`` package installs under /usr/share/doc/nodejs/api
(the ``.html`` copies beside them are left out). Each entry is a heading holding the
signature (``## `path.join([...paths])` ``), a comment with its history, often a list of
its parameters, then the paragraph that says what it does. For N entries drawn at random
(seeded) the question is "what does path.join do"; the label is the first sentence of
that paragraph ("The `path.join()` method joins all given `path` segments together ...").
A hit: the quote holds the label's first 60 characters (white space aside) and comes from
the entry's page. Questions are made from the installed pages at run time, so no
documentation text is kept in the repository. Baselines rank the same sentences.
"""

from __future__ import annotations

import argparse
import random
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.pydocs import measure
from qa.evaluate import Labelled

ROOT = Path("/usr/share/doc/nodejs/api")
# An entry's heading: a function or method of a module or class, by its dotted name.
_ENTRY = re.compile(r"^#{2,5} `(?:new )?([\w$]+(?:\.[\w$]+)+)\(.*`\s*$")
_ITEM = re.compile(r"\s*[*-] ")
_SENTENCE_END = re.compile(r"(?<=[\w)`'\"])\.(?=\s|$)")
LABEL_CHARS = 60


@dataclass(frozen=True)
class Entry:
    name: str  # path.join
    page: str  # path.md
    summary: str  # the first sentence of the paragraph after its parameters


def _summary(lines: list[str], at: int) -> str:
    """The first sentence of the first paragraph under the heading at ``at`` (lists, comments, code skipped)."""
    paragraph: list[str] = []
    in_comment = in_code = False
    for line in lines[at + 1 :]:
        if line.startswith("```"):
            in_code = not in_code
            if paragraph:
                break
        elif in_code:
            continue
        elif line.startswith("#"):
            break
        elif in_comment or line.startswith("<!--"):
            in_comment = "-->" not in line
        elif not line.strip() or line.startswith(">") or _ITEM.match(line):
            if paragraph:
                break
        elif paragraph or not line.startswith(" "):  # an indented line before any prose continues a list item
            paragraph.append(line.strip())
    text = " ".join(paragraph)
    end = _SENTENCE_END.search(text)
    return text[: end.start() + 1] if end else text


def entries() -> list[Entry]:
    out = []
    for path in sorted(ROOT.glob("*.md")):
        lines = path.read_text(encoding="utf-8", errors="replace").split("\n")
        for at, line in enumerate(lines):
            match = _ENTRY.match(line)
            if match:
                summary = _summary(lines, at)
                if len(summary) >= 20 and not summary.startswith("See "):  # "See [`writable.cork()`][]."
                    out.append(Entry(match.group(1), path.name, summary))
    return out


def questions(n: int, seed: int) -> list[Labelled]:
    every = entries()
    names = Counter(e.name for e in every)
    pool = [e for e in every if names[e.name] == 1]  # "socket.setTimeout" of net or of dgram: ambiguous
    picked = random.Random(seed).sample(pool, min(n, len(pool)))
    return [
        Labelled(f"what does {e.name} do", (e.summary[:LABEL_CHARS],), e.page, kind="what does X do") for e in picked
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=150)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--index", type=Path, help="reuse (or keep) the index here")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not ROOT.is_dir():
        raise SystemExit(f"{ROOT} is missing: apt-get install -y nodejs")
    labels = questions(args.questions, args.seed)
    measure({page.name: page for page in sorted(ROOT.glob("*.md"))}, labels, args.seed, args.index, args.json)


if __name__ == "__main__":
    main()
