"""Declining on the topic: questions about a document whose answer it does not hold.

Usage:
    python -m bench.ontopic ../shared/eval/squad-dev-public.json [--sizes 3000 12000] [--articles N] [--json OUT]

A user with one short document asks about its topic, and the answer is not in it. Each SQuAD
article is cut to its first paragraphs (at least ``size`` characters: about 25 sentences for
3,000, 85 for 12,000) and indexed alone. Its questions whose answers all lie in the part left
out must be declined ("on the topic, absent"), as must 60 questions drawn from the other
articles ("off the topic"); its questions answered in the part (SQuAD, paraphrased and
search-box) measure what declining costs. Ours is run with and without the rule that a
question asking for a quantity or a time needs a quote that can hold one (`qa.answer.kinds`); dense and
BM25 rank the same sentences in the same run (they never decline). The last table gives the
shares at other answer thresholds (the threshold is fixed; this shows what moving it with
the size of the index would trade).
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from bench.quality import Sentences, bm25_baseline, dense_baseline, paraphrased, qa_index, search, squad_labels
from bench.squad import load, write_corpus
from qa import Assistant
from qa.answer import assistant as assistant_module
from qa.evaluate import K, Labelled, Result, run, score

OFF_TOPIC = 60
THRESHOLDS = (0.40, 0.44, 0.48)


def first_part(text: str, size: int) -> str:
    """The article's first paragraphs, at least ``size`` characters of them."""
    kept = ""
    for paragraph in text.split("\n\n"):
        if len(kept) >= size or not paragraph:
            break
        kept += paragraph + "\n\n"
    return kept


def without_kind_rule(assistant: Assistant, labels: Sequence[Labelled]) -> list[Result]:
    rule = assistant_module._Candidates.asked_for
    assistant_module._Candidates.asked_for = lambda self, question, shown, top_k: (shown, "")  # type: ignore[method-assign]
    try:
        return run(assistant, labels, K)
    finally:
        assistant_module._Candidates.asked_for = rule  # type: ignore[method-assign]


def measure(articles: dict[str, str], labels: list[Labelled], size: int, work: Path, rng: random.Random) -> dict:
    groups: dict[str, dict[str, list]] = {}
    for number, name in enumerate(sorted(articles)):
        part = first_part(articles[name], size)
        docs, index = work / f"{size}-{number:02d}" / "docs", work / f"{size}-{number:02d}" / "index"
        write_corpus({name: part}, docs)
        qa_index(docs, index)
        assistant = Assistant.open(index)
        mine = [label for label in labels if label.document == name]
        inside = [
            label
            for label in mine
            if (label.answer_starts and max(label.answer_starts) < len(part))
            or (label.answers and all(answer in part for answer in label.answers))
        ]
        absent = [label for label in mine if label.kind == "squad" and min(label.answer_starts) >= len(part)]
        others = [label for label in labels if label.document not in (name, None) and label.kind == "squad"]
        off = rng.sample(others, min(OFF_TOPIC, len(others)))
        assistant.min_confidence = min(THRESHOLDS)  # each threshold is applied below
        sentences = Sentences(assistant)
        systems = {
            "ours": lambda qs, a=assistant: run(a, qs, K),
            "ours without the answer-kind rule": lambda qs, a=assistant: without_kind_rule(a, qs),
            "dense": dense_baseline(sentences),
            "BM25": bm25_baseline(sentences),
        }
        for system_name, system in systems.items():
            group = groups.setdefault(system_name, {"inside": [], "inside_results": [], "absent": [], "off": []})
            group["inside"] += inside
            group["inside_results"] += system(inside)
            if system_name.startswith("ours"):
                group["absent"] += system(absent)
                group["off"] += system(off)
        assistant.close()
    figures: dict = {"size": size}
    for system_name, group in groups.items():
        raw = group
        if system_name.startswith("ours"):
            group = {"inside": raw["inside"], **_at(raw, assistant_module.MIN_CONFIDENCE)}
        by_kind = {}
        for kind in ("squad", "paraphrased", "search"):
            pairs = [(a, r) for a, r in zip(group["inside"], group["inside_results"]) if a.kind == kind]
            report = score([a for a, _ in pairs], [r for _, r in pairs])
            by_kind[kind] = {"p1": report.p1, "answered": report.answered, "questions": len(pairs)}
        entry: dict = {"answered in the part": by_kind}
        if group["absent"]:
            entry["on the topic, absent, declined"] = float(np.mean([not r.answered for r in group["absent"]]))
            entry["off the topic, declined"] = float(np.mean([not r.answered for r in group["off"]]))
            entry["absent questions"] = (len(group["absent"]), len(group["off"]))
            if system_name == "ours":
                entry["at other thresholds"] = _thresholds(raw)
        figures[system_name] = entry
    return figures


def _at(group: dict, threshold: float) -> dict:
    """The group's results as answered at ``threshold`` (they were asked at the lowest one)."""
    return {
        key: [replace(r, answered=r.answered and r.confidence >= threshold) for r in results]
        for key, results in group.items()
        if key != "inside"
    }


def _thresholds(group: dict) -> dict:
    """Declined shares and SQuAD P@1 in the part at each of THRESHOLDS."""
    out = {}
    for t in THRESHOLDS:
        at = _at(group, t)
        squad = [(label, r) for label, r in zip(group["inside"], at["inside_results"]) if label.kind == "squad"]
        out[f"{t:.2f}"] = {
            "on the topic, absent, declined": float(np.mean([not r.answered for r in at["absent"]])),
            "off the topic, declined": float(np.mean([not r.answered for r in at["off"]])),
            "SQuAD P@1 in the part": score([a for a, _ in squad], [r for _, r in squad]).p1,
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("squad", type=Path)
    parser.add_argument("--sizes", type=int, nargs="+", default=[3000, 12000])
    parser.add_argument("--articles", type=int, default=0, help="use only the first N articles (smoke runs)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    articles, questions = load(args.squad)
    if args.articles:
        articles = {name: articles[name] for name in sorted(articles)[: args.articles]}
    labels = squad_labels(questions) + paraphrased(questions) + [q for q in search(articles) if q.answerable]
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            figures = measure(articles, labels, size, Path(tmp), random.Random(size))
            out.append(figures)
            print(f"\nEach article cut to its first {size:,} characters and indexed alone")
            print(
                "| system | on the topic, absent: declined | off the topic: declined "
                "| P@1 / answered: SQuAD | paraphrased | search-box |"
            )
            print("|---|---|---|---|---|---|")
            for name, entry in figures.items():
                if name == "size":
                    continue
                kinds = entry["answered in the part"]
                cells = " | ".join(f"{k['p1']:.3f} / {k['answered']:.3f} ({k['questions']})" for k in kinds.values())
                declined = (
                    f"{entry['on the topic, absent, declined']:.3f} ({entry['absent questions'][0]}) | "
                    f"{entry['off the topic, declined']:.3f} ({entry['absent questions'][1]})"
                    if "absent questions" in entry
                    else "— | —"
                )
                print(f"| {name} | {declined} | {cells} |")
            print("\nOurs at other answer thresholds (declined on the topic / off the topic; SQuAD P@1 in the part)")
            for t, row in figures["ours"]["at other thresholds"].items():
                print(f"  {t}: {' / '.join(f'{v:.3f}' for v in row.values())}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
