"""Sentence splitters side by side: pySBD's Golden Rules, speed, and SQuAD answers cut by a sentence boundary.

Usage:
    python -m bench.splitter ../shared/eval/squad-dev-public.json [--mb 20] [--repeat 5]

Every candidate splits the same paragraphs (`qa.read.text.paragraphs`) and goes through
`qa.split.sentences.split_blocks`, so it gets the same furniture flags and the same cut of
sentences longer than MAX_SENTENCE_CHARS; only the splitting inside a paragraph differs:

- qa: the project's rules (`qa.split.sentences.split_block`);
- sentencex, pysbd: run on each paragraph when installed, their spans stripped.

Figures:
- golden: pySBD's 48 English Golden Rules (tests/data/golden_rules_en.json) passed;
- quotes: quoted-speech probes split as the project expects (speech is split like any text);
- MB/s (UTF-8 bytes, best of --repeat on SQuAD, one run otherwise) on the SQuAD contexts,
  on SQuAD prose repeated to --mb MB, on --mb MB of short lines (a block each), and on
  --mb MB without punctuation (one block). Finding paragraphs is not timed. pysbd runs on
  SQuAD only: it is too slow for the rest;
- crossing: the share of SQuAD answers (answer_start + len(text), in the article files of
  `bench.squad`) that no single sentence holds, lower is better; sentences: how many.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.squad import PARAGRAPH_BREAK
from qa.read.document import Block
from qa.read.text import paragraphs
from qa.split.sentences import BlockSplitter, cut, split_block, split_blocks

GOLDEN_RULES = Path(__file__).resolve().parent.parent / "tests" / "data" / "golden_rules_en.json"
# Quoted speech as the project splits it: a sentence inside quotes ends like any other.
QUOTE_PROBES = [
    (
        "“These are attacks,“ the official said. “We maintain a minimal footprint on Iraqi bases.” Then he left.",
        [
            "“These are attacks,“ the official said.",
            "“We maintain a minimal footprint on Iraqi bases.”",
            "Then he left.",
        ],
    ),
    ('He said, "We are done. We go home." Then he left.', ['He said, "We are done.', 'We go home."', "Then he left."]),
    ("“Stop. Now.” He left.", ["“Stop.", "Now.”", "He left."]),
    ('He asked: "Is it over?" She said no.', ['He asked: "Is it over?"', "She said no."]),
    ('She turned to him, "This is great." she said.', ['She turned to him, "This is great." she said.']),
    ("“It was my idea,” she said. “It worked.”", ["“It was my idea,” she said.", "“It worked.”"]),
]


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _adapter(boundaries: Callable[[str], list[tuple[int, int]]]) -> BlockSplitter:
    """A block splitter from a function giving a paragraph's sentence offsets."""

    def split(text: str, start: int, end: int) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        for s, e in boundaries(text[start:end]):
            s, e = _strip(text, start + s, start + e)
            if s < e:
                spans.extend(cut(text, s, e))
        return spans

    return split


def candidates() -> dict[str, BlockSplitter]:
    found: dict[str, BlockSplitter] = {"qa": split_block}
    try:
        import sentencex

        def sentencex_offsets(paragraph: str) -> list[tuple[int, int]]:
            return [(b["start_index"], b["end_index"]) for b in sentencex.get_sentence_boundaries("en", paragraph)]

        found["sentencex"] = _adapter(sentencex_offsets)
    except ImportError:
        pass
    try:
        import pysbd

        segmenter = pysbd.Segmenter(language="en", clean=False, char_span=True)

        def pysbd_offsets(paragraph: str) -> list[tuple[int, int]]:
            return [(span.start, span.end) for span in segmenter.segment(paragraph)]

        found["pysbd"] = _adapter(pysbd_offsets)
    except ImportError:
        pass
    return found


def sentences(text: str, split: BlockSplitter) -> list[str]:
    return [text[s.start : s.end] for s in split_blocks(text, paragraphs(text), split)]


def passed(cases: list[tuple[str, list[str]]], split: BlockSplitter) -> int:
    return sum(sentences(text, split) == expected for text, expected in cases)


def squad(path: Path) -> list[tuple[str, list[tuple[int, int]]]]:
    """Article texts as `bench.squad` writes them, each with its answers' (start, end) offsets."""
    articles = []
    for article in json.loads(path.read_text())["data"]:
        text, answers = "", set()
        for paragraph in article["paragraphs"]:
            base = len(text)
            text += paragraph["context"] + PARAGRAPH_BREAK
            for qa in paragraph["qas"]:
                answers |= {
                    (base + a["answer_start"], base + a["answer_start"] + len(a["text"])) for a in qa["answers"]
                }
        articles.append((text, sorted(answers)))
    return articles


def crossing(articles: list[tuple[str, list[tuple[int, int]]]], split: BlockSplitter) -> tuple[float, int]:
    """The share of answers no single sentence holds, and the number of sentences."""
    crossed = total = count = 0
    for text, answers in articles:
        spans = split_blocks(text, paragraphs(text), split)
        count += len(spans)
        i = 0
        for start, end in answers:  # sorted by start, as the spans are
            while i + 1 < len(spans) and spans[i + 1].start <= start:
                i += 1
            total += 1
            crossed += not (spans[i].start <= start and end <= spans[i].end)
    return crossed / total, count


def mb_per_s(text: str, blocks: Sequence[Block], split: BlockSplitter, repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        split_blocks(text, blocks, split)
        best = min(best, time.perf_counter() - began)
    return len(text.encode()) / 1e6 / best


def line_blocks(text: str) -> list[Block]:
    blocks, start = [], 0
    for line in text.splitlines(keepends=True):
        blocks.append(Block(start, start + len(line.rstrip("\n"))))
        start += len(line)
    return blocks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("squad", type=Path, help="SQuAD v1.1 JSON (../shared/eval/squad-dev-public.json)")
    parser.add_argument("--mb", type=float, default=20, help="size of each synthetic text, in MB")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs on SQuAD (the best counts)")
    args = parser.parse_args()

    rules = json.loads(GOLDEN_RULES.read_text())["cases"]
    golden = [(case["text"], case["expected"]) for case in rules]
    articles = squad(args.squad)
    contexts = "".join(text for text, _ in articles)
    size = int(args.mb * 1e6)
    prose = contexts * (size // len(contexts.encode()) + 1)
    short_lines = "".join(f"Item {i} of a long list\n" for i in range(size // 24))
    no_punctuation = ("word " * (size // 5 + 1))[:size]
    synthetic = [
        ("prose", prose, paragraphs(prose)),
        ("lines", short_lines, line_blocks(short_lines)),
        ("no punct.", no_punctuation, [Block(0, len(no_punctuation))]),
    ]

    print(f"SQuAD: {len(articles)} articles, {len(contexts.encode()) / 1e6:.2f} MB; synthetic texts of {args.mb:g} MB")
    header = f"{'splitter':<10} {'golden':>7} {'quotes':>7} {'SQuAD MB/s':>11}"
    header += "".join(f" {name + ' MB/s':>15}" for name, _, _ in synthetic)
    print(header + f" {'crossing':>9} {'sentences':>10}")
    for name, split in candidates().items():
        row = f"{name:<10} {passed(golden, split):>4}/{len(golden):<2}"
        row += f" {passed(QUOTE_PROBES, split):>4}/{len(QUOTE_PROBES):<2}"
        repeat = 1 if name == "pysbd" else args.repeat
        row += f" {mb_per_s(contexts, paragraphs(contexts), split, repeat):>11.1f}"
        for _, text, blocks in synthetic:
            row += f" {'-':>15}" if name == "pysbd" else f" {mb_per_s(text, blocks, split):>15.1f}"
        share, count = crossing(articles, split)
        print(row + f" {share:>9.2%} {count:>10}", flush=True)


if __name__ == "__main__":
    main()
