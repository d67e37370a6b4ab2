"""Documentation questions: the PostgreSQL 15 manual, indexed whole, asked in the four ways users ask.

Usage:
    python -m bench.docs [--index DIR] [--skip-peer] [--json OUT]

Indexes all of /usr/share/doc/postgresql-doc-15/html (Debian's postgresql-doc-15) with
`qa index`, then asks bench/docs_questions.json: "what does X do", questions in the
user's own words, version or number facts, "how do I", and questions the manual does not
answer. A hit: the quote contains the labelled answer sentence's text (whitespace
normalised) and comes from the labelled page. Baselines rank the same sentences.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import defaultdict
from pathlib import Path

from bench.quality import Sentences, System, bm25_baseline, dense_baseline, misses, ours, qa_index, txtai_peer
from qa import Assistant
from qa.evaluate import Labelled, Report, run, score

QUESTIONS = Path(__file__).with_name("docs_questions.json")


def labels(pooled: bool = True) -> tuple[Path, list[Labelled]]:
    """The questions; ``pooled=False`` leaves out the answers added by pooled judgment (see the file's "method")."""
    data = json.loads(QUESTIONS.read_text())
    out = []
    for item in data["questions"]:
        if item.get("answerable", True):
            others = [o for o in item.get("other_answers", []) if pooled or "judged" not in o]
            also = tuple((other["document"], other["answer"]) for other in others)
            out.append(Labelled(item["question"], (item["answer"],), item["document"], (), True, item["kind"], also))
        else:
            out.append(Labelled(item["question"], (), None, (), False, item["kind"]))
    return Path(data["root"]), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", type=Path, help="reuse (or keep) the index here")
    parser.add_argument("--skip-peer", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    root, questions = labels()
    _, strict = labels(pooled=False)
    if not root.is_dir():
        raise SystemExit(f"{root} is missing: apt-get install -y postgresql-doc-15")
    with tempfile.TemporaryDirectory() as tmp:
        index = args.index or Path(tmp) / "index"
        seconds = qa_index(root, index)
        assistant = Assistant.open(index)
        print(
            f"{assistant.index.info.documents} pages, {assistant.index.info.sentences} sentences; "
            f"indexed in {seconds:.0f}s"
        )
        answerable = [q for q in questions if q.answerable]
        answerable_strict = [q for q in strict if q.answerable]
        sentences = Sentences(assistant)
        systems: list[tuple[str, System]] = [
            ("ours (qa.Assistant)", ours(assistant)),
            ("BM25 (bm25s)", bm25_baseline(sentences)),
            ("dense (MiniLM cosine)", dense_baseline(sentences)),
        ]
        if not args.skip_peer:
            from qa.embed.model import resolve_model

            peer = txtai_peer(sentences, str(resolve_model()))
            if peer:
                systems.append(("txtai hybrid (peer)", peer))
        kinds = sorted({q.kind for q in answerable})
        figures: dict[str, dict] = defaultdict(dict)
        header = (
            f"{'system':<24}{'all P@1':>9}{'MRR':>7}"
            + "".join(f"{k + ' P@1':>15}" for k in kinds)
            + f"{'labels alone P@1':>18}"
        )
        print(header)
        for name, system in systems:
            results = system(answerable)
            overall = score(answerable, results)
            by_kind: dict[str, Report] = {}
            for kind in kinds:
                pairs = [(q, r) for q, r in zip(answerable, results) if q.kind == kind]
                by_kind[kind] = score([q for q, _ in pairs], [r for _, r in pairs])
            alone = score(answerable_strict, results)  # without the pooled answers: the labels as first drafted
            figures[name] = {"all": overall.to_dict() | {"failures": len(overall.failures)}} | {
                k: {"P@1": round(v.p1, 4), "n": v.answerable} for k, v in by_kind.items()
            }
            figures[name]["labels_alone"] = {"P@1": round(alone.p1, 4), "MRR": round(alone.mrr, 4)}
            print(
                f"{name:<24}{overall.p1:>9.3f}{overall.mrr:>7.3f}"
                + "".join(f"{by_kind[k].p1:>15.3f}" for k in kinds)
                + f"{alone.p1:>18.3f}"
            )
        everything = score(questions, run(assistant, questions))
        unanswerable = [q for q in questions if not q.answerable]
        print(
            f"\nours on all {len(questions)} questions: answered {everything.answered:.3f}; "
            f"of the {len(unanswerable)} the manual does not answer, declined {everything.abstention_recall:.3f}"
        )
        print(misses([f for f in everything.failures if f["expected"] != "(not answerable)"], 15))
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
