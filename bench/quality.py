"""Answer quality on SQuAD (ReQA protocol) beside BM25, dense and txtai baselines, plus abstention.

Usage:
    python -m bench.quality ../shared/eval/squad-dev-public.json [--articles N] [--skip-peer]

Writes each article to a text file, indexes them together with `qa index`, asks every
question through `Assistant.ask` against the pooled corpus and counts a hit at rank k
when the k-th quote covers the character where an annotated answer starts.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from bench.squad import Question, load, write_corpus
from qa import Assistant

K = 10
PARAPHRASED = Path(__file__).with_name("paraphrased.json")
Span = tuple[str, int, int]  # document, start, end
System = Callable[[Sequence[Question]], list[list[Span]]]


def qa_index(docs: Path, index: Path) -> float:
    """Build the index with the project's own CLI; returns wall seconds."""
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "qa", "index", str(docs), "--index", str(index)], check=True)
    return time.perf_counter() - began


def metrics(questions: Sequence[Question], ranked: list[list[Span]], quote_words: list[int]) -> dict:
    p1 = mrr = r5 = 0.0
    for q, spans in zip(questions, ranked):
        for rank, (doc, start, end) in enumerate(spans[:K], 1):
            if doc == q.document and any(start <= a < end for a in q.answer_starts):
                p1 += rank == 1
                mrr += 1 / rank
                r5 += rank <= 5
                break
    n = max(len(questions), 1)
    return {
        "P@1": p1 / n,
        "MRR@10": mrr / n,
        "R@5": r5 / n,
        "words": statistics.fmean(quote_words) if quote_words else 0.0,
        "answered": sum(1 for s in ranked if s) / n,
    }


def ours(assistant: Assistant) -> System:
    def run(questions: Sequence[Question]) -> list[list[Span]]:
        out = []
        for q in questions:
            answer = assistant.ask(q.text, top_k=K)
            out.append([(x.document, x.start, x.end) for x in answer.quotes])
        return out

    return run


class Sentences:
    """The project's own sentences of the indexed corpus, for the baselines."""

    def __init__(self, assistant: Assistant) -> None:
        c = assistant.corpus
        self.spans = [(c.documents[d].name, int(s), int(e)) for d, s, e in zip(c.sent_doc, c.sent_start, c.sent_end)]
        self.texts = [c.sentence_text(i) for i in range(len(c))]
        self.vectors = c.sentences.vectors()
        self.encoder = assistant.encoder

    def top(self, scores: np.ndarray) -> list[Span]:
        return [self.spans[i] for i in np.argsort(-scores, kind="stable")[:K]]


def bm25_baseline(sentences: Sentences) -> System:
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    model = bm25s.BM25()
    model.index(
        bm25s.tokenize(sentences.texts, stopwords="en", stemmer=stemmer, show_progress=False), show_progress=False
    )

    def run(questions: Sequence[Question]) -> list[list[Span]]:
        out = []
        for q in questions:
            tokens = bm25s.tokenize([q.text], stopwords="en", stemmer=stemmer, return_ids=False, show_progress=False)[0]
            ids = [model.vocab_dict[t] for t in tokens if t in model.vocab_dict]
            scores = model.get_scores_from_ids(ids) if ids else np.zeros(len(sentences.texts))
            out.append(sentences.top(scores))
        return out

    return run


def dense_baseline(sentences: Sentences) -> System:
    def run(questions: Sequence[Question]) -> list[list[Span]]:
        vectors = sentences.encoder.encode([q.text for q in questions])
        return [sentences.top(sentences.vectors @ v) for v in vectors]

    return run


def txtai_peer(sentences: Sentences, model_path: str) -> System | None:
    try:
        from txtai import Embeddings
    except ImportError:
        return None
    embeddings = Embeddings(path=model_path, content=True, hybrid=True)
    embeddings.index([(i, t, None) for i, t in enumerate(sentences.texts)])

    def run(questions: Sequence[Question]) -> list[list[Span]]:
        out = []
        for q in questions:
            hits = embeddings.search(q.text.replace("'", " ").replace('"', " "), K)
            out.append([sentences.spans[int(h["id"])] for h in hits])
        return out

    return run


def evaluate(name: str, system: System, questions: Sequence[Question], texts: dict[str, str]) -> dict:
    began = time.perf_counter()
    ranked = system(questions)
    seconds = time.perf_counter() - began
    words = [len(texts[s[0][0]][s[0][1] : s[0][2]].split()) for s in ranked if s]
    result = metrics(questions, ranked, words)
    result["ms_per_question"] = 1000 * seconds / max(len(questions), 1)
    by_article = defaultdict(list)
    for q, spans in zip(questions, ranked):
        by_article[q.document].append((q, spans))
    result["articles"] = {
        doc: metrics([q for q, _ in pairs], [s for _, s in pairs], []) for doc, pairs in sorted(by_article.items())
    }
    result["name"] = name
    return result


def paraphrased(questions: Sequence[Question]) -> list[Question]:
    if not PARAPHRASED.is_file():
        return []
    by_id = {q.id: q for q in questions}
    items = json.loads(PARAPHRASED.read_text())["questions"]
    return [
        Question(q.id, item["question"], q.document, q.answer_starts) for item in items if (q := by_id.get(item["id"]))
    ]


def table(title: str, rows: list[dict], reference: dict) -> str:
    lines = [
        f"\n{title}",
        f"{'system':<26}{'P@1':>7}{'MRR@10':>8}{'R@5':>7}{'words':>7}{'answered':>9}  ratio P@1/MRR vs ours",
    ]
    for r in rows:
        ratio = f"{r['P@1'] / max(reference['P@1'], 1e-9):.2f} / {r['MRR@10'] / max(reference['MRR@10'], 1e-9):.2f}"
        figures = f"{r['P@1']:>7.3f}{r['MRR@10']:>8.3f}{r['R@5']:>7.3f}{r['words']:>7.1f}{r['answered']:>9.2f}"
        lines.append(f"{r['name']:<26}{figures}  {ratio}")
    return "\n".join(lines)


def abstention(articles: dict[str, str], questions: list[Question], work: Path) -> str:
    """Index half of the articles; the other half's questions must be declined."""
    names = sorted(articles)
    inside = set(names[0::2])
    docs, index = work / "half-docs", work / "half-index"
    write_corpus({n: t for n, t in articles.items() if n in inside}, docs)
    qa_index(docs, index)
    assistant = Assistant.open(index)
    in_q = [q for q in questions if q.document in inside]
    out_q = [q for q in questions if q.document not in inside]
    declined = sum(not a.answered for a in (assistant.ask(q.text) for q in out_q)) / len(out_q)
    texts = {n: articles[n] for n in inside}
    with_threshold = evaluate("ours", ours(assistant), in_q, texts)
    thresholds = assistant.min_match, assistant.min_cosine
    assistant.min_match = assistant.min_cosine = -1.0
    without = evaluate("ours, no threshold", ours(assistant), in_q, texts)
    assistant.min_match, assistant.min_cosine = thresholds
    return (
        f"\nAbstention (index {len(inside)} articles, ask the other {len(names) - len(inside)} articles' questions)\n"
        f"out-of-corpus questions declined: {declined:.3f} ({len(out_q)} questions)\n"
        f"in-corpus P@1 with threshold {with_threshold['P@1']:.3f}, without {without['P@1']:.3f} "
        f"(cost {100 * (without['P@1'] - with_threshold['P@1']):.1f} points); "
        f"in-corpus answered {with_threshold['answered']:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("squad", type=Path, help="SQuAD v1.1 JSON (../shared/eval/squad-dev-public.json)")
    parser.add_argument("--articles", type=int, default=0, help="use only the first N articles (smoke runs)")
    parser.add_argument("--questions", type=int, default=0, help="ask only the first N questions (smoke runs)")
    parser.add_argument("--skip-peer", action="store_true", help="leave out txtai even when installed")
    parser.add_argument("--skip-abstention", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    articles, questions = load(args.squad)
    if args.articles:
        keep = set(sorted(articles)[: args.articles])
        articles = {n: t for n, t in articles.items() if n in keep}
        questions = [q for q in questions if q.document in keep]
    if args.questions:
        questions = questions[: args.questions]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        write_corpus(articles, work / "docs")
        seconds = qa_index(work / "docs", work / "index")
        assistant = Assistant.open(work / "index")
        print(
            f"{len(articles)} articles, {len(questions)} questions, {len(assistant.corpus)} sentences; "
            f"indexed in {seconds:.1f}s"
        )
        sentences = Sentences(assistant)
        systems: list[tuple[str, System]] = [
            ("ours (qa.Assistant)", ours(assistant)),
            ("BM25 (bm25s)", bm25_baseline(sentences)),
            ("dense (MiniLM cosine)", dense_baseline(sentences)),
        ]
        if not args.skip_peer:
            from qa.embed.encoder import resolve_model

            peer = txtai_peer(sentences, str(resolve_model()))
            if peer:
                systems.append(("txtai hybrid (peer)", peer))
            else:
                print("txtai is not installed (pip install '.[bench]'): peer row left out")
        figures: dict[str, list[dict]] = {}
        sets = [("SQuAD questions", questions), ("paraphrased questions (little word overlap)", paraphrased(questions))]
        for title, qs in sets:
            if not qs:
                continue
            rows = [evaluate(name, system, qs, articles) for name, system in systems]
            figures[title] = rows
            print(table(f"{title}: {len(qs)}", rows, rows[0]))
            worst = [
                doc
                for doc, m in rows[0]["articles"].items()
                if any(
                    m["P@1"] < r["articles"][doc]["P@1"] or m["MRR@10"] < r["articles"][doc]["MRR@10"]
                    for r in rows[1:3]
                )
            ]
            print(f"articles where ours is below a baseline on P@1 or MRR: {worst or 'none'}")
        if not args.skip_abstention:
            print(abstention(articles, questions, work))
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
