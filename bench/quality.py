"""Answer quality on SQuAD articles beside BM25, dense and txtai: question styles, extra quotes, abstention.

Usage:
    python -m bench.quality ../shared/eval/squad-dev-public.json [--articles N] [--skip-peer] [--json OUT]

Writes each article to a text file, indexes them together with `qa index`, asks every
question through `Assistant.ranked` against the pooled corpus and counts a hit at rank k
when the k-th quote covers the character where an annotated answer starts (SQuAD and
paraphrased questions) or contains the labelled answer text (search-box questions).
Scoring is `qa.evaluate`, the code `qa eval` uses.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from bench.squad import Question, load, write_corpus
from qa import Assistant
from qa.evaluate import K, Labelled, Report, Result, run, score
from qa.store.base import SENTENCES

PARAPHRASED = Path(__file__).with_name("paraphrased.json")
SEARCH = Path(__file__).with_name("search_questions.json")
System = Callable[[Sequence[Labelled]], list[Result]]


def qa_index(docs: Path, index: Path) -> float:
    """Build the index with the project's own CLI; returns wall seconds."""
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "qa", "index", str(docs), "--index", str(index), "--quiet"], check=True)
    return time.perf_counter() - began


def squad_labels(questions: Sequence[Question]) -> list[Labelled]:
    return [Labelled(q.text, document=q.document, answer_starts=q.answer_starts, kind="squad") for q in questions]


def paraphrased(questions: Sequence[Question]) -> list[Labelled]:
    by_id = {q.id: q for q in questions}
    items = json.loads(PARAPHRASED.read_text())["questions"]
    return [
        Labelled(item["question"], document=q.document, answer_starts=q.answer_starts, kind="paraphrased")
        for item in items
        if (q := by_id.get(item["id"]))
    ]


def search(articles: dict[str, str]) -> list[Labelled]:
    """The search-box questions; their answers are spans of the article texts (read from SQuAD, never stored)."""
    items = json.loads(SEARCH.read_text())["questions"]
    out = []
    for item in items:
        text = articles.get(item["document"])
        if text is None:
            continue
        spans = [item["answer"], *item.get("other_answers", [])] if item.get("answerable", True) else []
        answers = tuple(text[start:end] for start, end in spans)
        out.append(Labelled(item["question"], answers, item["document"], (), item.get("answerable", True), "search"))
    return out


def slipped(labels: Sequence[Labelled], seed: int = 0) -> list[Labelled]:
    """The same questions with one typing slip each: in one word of five or more letters (not a
    question word), two letters swapped, one dropped or one doubled ("remian", "electriity")."""
    rng = random.Random(seed)
    out = []
    for label in labels:
        words = [m for m in re.finditer(r"[A-Za-z]{5,}", label.question) if m.group(0).lower() not in _QUESTION_WORDS]
        if not words:
            continue
        word = rng.choice(words)
        w, i = word.group(0), rng.randrange(1, len(word.group(0)) - 2)
        slip = rng.choice(("swap", "drop", "double"))
        typed = {
            "swap": w[:i] + w[i + 1] + w[i] + w[i + 2 :],
            "drop": w[:i] + w[i + 1 :],
            "double": w[:i] + w[i] + w[i:],
        }
        question = label.question[: word.start()] + typed[slip] + label.question[word.end() :]
        out.append(replace(label, question=question, kind="slip"))
    return out


def unaccented(labels: Sequence[Labelled]) -> list[Labelled]:
    """The questions that have an accented letter, typed without accents ("Beyonce", "Krakow")."""
    out = []
    for label in labels:
        bare = "".join(c for c in unicodedata.normalize("NFKD", label.question) if not unicodedata.combining(c))
        bare = bare.translate(str.maketrans("øØłŁđĐ", "oOlLdD"))
        if bare != label.question:
            out.append(replace(label, question=bare, kind="unaccented"))
    return out


# Courtesies around a question, as people write to a chat page: four batches of wrappers.
# The first was written with `qa.rank.courtesy`; each later one after the rule, measured
# unseen, then used to widen it (the second and third); the fourth is still unseen.
POLITE_WITH = (
    "Can you tell me {q}",
    "I'd like to know {q}",
    "Please tell me {q}",
    "Hi! {Q}",
    "Quick question: {q}",
    "Hey there, {q} Thanks!",
    "I was wondering {q}",
    "Do you know {q}",
    "{Q} Thank you.",
    "Could you please explain {q}",
)
POLITE_AFTER = (
    "Hello, I need to find out {q}",
    "Sorry to bother you, but {q}",
    "Any chance you know {q}",
    "{Q} Cheers",
    "Good morning! {Q}",
    "Would you mind telling me {q}",
    "Just curious, {q}",
    "My teacher asked: {Q}",
    "Help! {Q}",
    "{Q} Many thanks in advance.",
    "Can someone explain {q}",
    "Question for you: {Q}",
)
POLITE_UNSEEN = (
    "Hey! I'm trying to figure out {q}",
    "Morning. {Q}",
    "Hi team, {q}",
    "Can anyone tell me {q}",
    "{Q} Any help appreciated!",
    "OK so {q}",
    "I have a question. {Q}",
    "Need help: {q}",
    "Hello! Could you let me know {q}",
    "{Q} Thx",
)
POLITE_FRESH = (
    "Hey, so {q}",
    "Good evening, I'm curious: {q}",
    "hello {q}",
    "Could you help me with something? {Q}",
    "{Q} I'd really appreciate it.",
    "Pardon the interruption, {q}",
    "I'm hoping you can tell me {q}",
    "Dear assistant, {q}",
    "Quick one: {q}",
    "{Q} Thanks so much for your help!",
)


def polite(labels: Sequence[Labelled], wrappers: Sequence[str], seed: int = 0) -> list[Labelled]:
    """The same questions with a greeting, a request or thanks around them ("Hi! Can you tell me ...")."""
    rng = random.Random(seed)
    out = []
    for label in labels:
        q = label.question
        out.append(replace(label, question=rng.choice(wrappers).format(q=q[:1].lower() + q[1:], Q=q), kind="polite"))
    return out


# SQuAD questions asked as commands ("Name the ...", "Explain how ..."), by the kind of
# question; three batches: the first written before `qa.rank.courtesy` took commands, the
# second before it was widened after the first, the third after that, each measured unseen
# and then used to widen the rule (BENCHMARKS.md, "Commands").
_KINDS = (
    ("thing", re.compile(r"(?i)^(?:what|which) (?:is|was|are|were) ((?:the|a|an) .+)$")),
    ("how", re.compile(r"(?i)^((?:how|why) .+)$")),
    ("who", re.compile(r"(?i)^who (.+)$")),
    ("when", re.compile(r"(?i)^((?:when|where) .+)$")),
)
COMMANDS_FIRST = {
    "thing": ("Name {0}.", "Give me {0}.", "Find {0}.", "State {0}.", "Identify {0}."),
    "how": ("Explain {0}.", "Describe {0}."),
    "who": ("Name the person who {0}.", "Identify who {0}.", "Find out who {0}."),
    "when": ("Find out {0}.", "Explain {0}.", "Look up {0}."),
}
COMMANDS_SECOND = {
    "thing": ("Tell me {0}.", "I need {0}.", "Look up {0}.", "Show me {0}.", "Please give {0}.", "Provide {0}."),
    "how": ("Clarify {0}.", "Walk me through {0}.", "Tell me {0}."),
    "who": ("Say who {0}.", "Determine who {0}.", "Name who {0}.", "Tell me who {0}."),
    "when": ("Check {0}.", "Tell me {0}.", "Work out {0}."),
}
COMMANDS_THIRD = {
    "thing": ("Could you name {0}.", "I want {0}.", "Tell us {0}.", "Get me {0}.", "Please state {0}.", "Pull up {0}."),
    "how": ("Explain to me {0}.", "Help me understand {0}.", "Describe briefly {0}.", "Break down {0}."),
    "who": ("Find who {0}.", "Figure out who {0}.", "Tell me the person who {0}.", "Name the one who {0}."),
    "when": ("Explain to me {0}.", "Find {0}.", "Remind me {0}.", "Look into {0}."),
}


def _asked(label: Labelled) -> tuple[str, str] | None:
    """(kind, what is asked) of a question a command can ask: ("who", "won the game"); None otherwise."""
    text = label.question.strip().rstrip("?").strip()
    for kind, pattern in _KINDS:
        match = pattern.match(text)
        if match:
            rest = match.group(1)
            return kind, rest[:1].lower() + rest[1:] if kind in ("how", "when") else rest
    return None


def commands(labels: Sequence[Labelled], templates: dict[str, tuple[str, ...]], seed: int = 0) -> list[Labelled]:
    """The questions of a kind a command can ask ("Who won?" → "Find out who won."), asked that way."""
    rng = random.Random(seed)
    return [
        replace(label, question=rng.choice(templates[asked[0]]).format(asked[1]), kind="command")
        for label in labels
        if (asked := _asked(label))
    ]


def ours_with_courtesies(assistant: Assistant) -> System:
    """Ours searching the question whole, greetings and thanks included."""
    import qa.answer.assistant as module

    def system(labels: Sequence[Labelled]) -> list[Result]:
        strip, module.without_courtesies = module.without_courtesies, lambda question: question
        try:
            return run(assistant, labels, K)
        finally:
            module.without_courtesies = strip

    return system


_QUESTION_WORDS = frozenset("which where whose what when there their about".split())


def ours(assistant: Assistant) -> System:
    return lambda labels: run(assistant, labels, K)


def ours_as_typed(assistant: Assistant) -> System:
    """Ours with typing slips searched as typed (a speller that knows no word of the documents)."""
    from qa.rank.spelling import Speller

    def system(labels: Sequence[Labelled]) -> list[Result]:
        speller, assistant.speller = assistant.speller, Speller(lambda keys: np.zeros(len(keys), dtype=np.int64))
        try:
            return run(assistant, labels, K)
        finally:
            assistant.speller = speller

    return system


class Sentences:
    """The indexed sentences (the project's own split), for the baselines."""

    def __init__(self, assistant: Assistant) -> None:
        index = assistant.index
        ids = np.arange(index.info.sentences)
        rows = index.rows(ids)
        texts = {name: index.document(name).text for name in index.document_names()}
        self.spans = [(d, int(s), int(e)) for d, s, e in zip(rows.document, rows.start, rows.end)]
        self.texts = [texts[d][s:e] for d, s, e in self.spans]
        self.vectors = index.vectors(SENTENCES, ids)
        self.encoder = assistant.encoder

    def top(self, scores: np.ndarray) -> tuple[tuple[str, str, int, int], ...]:
        best = np.argsort(-scores, kind="stable")[:K]
        return tuple((self.texts[i], *self.spans[i]) for i in best)


def bm25_baseline(sentences: Sentences) -> System:
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    model = bm25s.BM25()
    model.index(
        bm25s.tokenize(sentences.texts, stopwords="en", stemmer=stemmer, show_progress=False), show_progress=False
    )

    def system(labels: Sequence[Labelled]) -> list[Result]:
        out = []
        for label in labels:
            began = time.perf_counter()
            tokens = bm25s.tokenize(
                [label.question], stopwords="en", stemmer=stemmer, return_ids=False, show_progress=False
            )[0]
            ids = [model.vocab_dict[t] for t in tokens if t in model.vocab_dict]
            scores = model.get_scores_from_ids(ids) if ids else np.zeros(len(sentences.texts))
            out.append(Result(sentences.top(scores), True, (time.perf_counter() - began) * 1000))
        return out

    return system


def dense_baseline(sentences: Sentences) -> System:
    def system(labels: Sequence[Labelled]) -> list[Result]:
        vectors = sentences.encoder.encode([label.question for label in labels])
        return [Result(sentences.top(sentences.vectors @ v)) for v in vectors]

    return system


def txtai_peer(sentences: Sentences, model_path: str) -> System | None:
    try:
        from txtai import Embeddings
    except ImportError:
        return None
    embeddings = Embeddings(path=model_path, content=True, hybrid=True)
    embeddings.index([(i, t, None) for i, t in enumerate(sentences.texts)])

    def system(labels: Sequence[Labelled]) -> list[Result]:
        out = []
        for label in labels:
            began = time.perf_counter()
            hits = embeddings.search(label.question.replace("'", " ").replace('"', " "), K)
            quotes = tuple((sentences.texts[int(h["id"])], *sentences.spans[int(h["id"])]) for h in hits)
            out.append(Result(quotes, True, (time.perf_counter() - began) * 1000))
        return out

    return system


def by_document(labels: Sequence[Labelled], results: Sequence[Result]) -> dict[str, Report]:
    groups: dict[str, list[tuple[Labelled, Result]]] = defaultdict(list)
    for label, result in zip(labels, results):
        groups[label.document or ""].append((label, result))
    return {doc: score([a for a, _ in pairs], [b for _, b in pairs]) for doc, pairs in sorted(groups.items())}


def table(title: str, rows: list[tuple[str, Report]]) -> str:
    reference = rows[0][1]
    lines = [
        f"\n{title}",
        f"{'system':<26}{'P@1':>7}{'MRR@10':>8}{'R@5':>7}{'words':>7}{'answered':>9}  ratio P@1/MRR vs ours",
    ]
    for name, r in rows:
        ratio = f"{r.p1 / max(reference.p1, 1e-9):.2f} / {r.mrr / max(reference.mrr, 1e-9):.2f}"
        lines.append(f"{name:<26}{r.p1:>7.3f}{r.mrr:>8.3f}{r.r5:>7.3f}{r.words:>7.1f}{r.answered:>9.2f}  {ratio}")
    return "\n".join(lines)


def misses(failures: Sequence[dict], limit: int) -> str:
    """The first ``limit`` questions ours did not answer first, with what it quoted."""
    lines = ["\nfirst misses (ours):"]
    for f in failures[:limit]:
        lines.append(
            f"  - {f['question']}\n      expected: {f['expected']}\n      quoted:   {f['quoted']} ({f['document']})"
        )
    return "\n".join(lines)


def extra_quotes(assistant: Assistant, labels: Sequence[Labelled], articles: dict[str, str], top_k: int = 3) -> str:
    """Share of extra quotes that hold the answer or lie in its paragraph; Recall@3 of what is shown."""
    extras = good = shown_hits = full_hits = 0
    for label in labels:
        answer = assistant.ask(label.question, top_k=top_k)
        ranked = assistant.ranked(label.question, top_k).quotes
        if any(label.hit(q.text, q.document, q.start, q.end) for q in ranked):
            full_hits += 1
        if any(label.hit(q.text, q.document, q.start, q.end) for q in answer.quotes):
            shown_hits += 1
        for q in answer.quotes[1:]:
            extras += 1
            text = articles[q.document]
            para_start = text.rfind("\n\n", 0, q.start) + 1
            para_end = text.find("\n\n", q.end)
            para_end = len(text) if para_end < 0 else para_end
            if label.hit(q.text, q.document, q.start, q.end) or (
                q.document == label.document and any(para_start <= a < para_end for a in label.answer_starts)
            ):
                good += 1
    n = max(len(labels), 1)
    return (
        f"extra quotes: {extras} shown for {len(labels)} questions ({extras / n:.2f} each), "
        f"{good / max(extras, 1):.3f} hold the answer or lie in its paragraph; "
        f"Recall@3 of what is shown {shown_hits / n:.3f} (of the full top 3: {full_hits / n:.3f})"
    )


def two_in_one(assistant: Assistant, baselines: Sequence[tuple[str, System]], labels: Sequence[Labelled]) -> str:
    """Two questions about one article asked in one message: how often the first quotes hold both answers.

    Pairs drawn at random (seed 0) from the SQuAD questions of one article, asked one after
    the other ("When was he born? Where did he study?": 300 pairs) or joined by "and"
    ("When was he born and where did he study?": the pairs whose second question opens with
    a question word and a verb, from 1,000 drawn), also without the question mark when the
    first opens so too ("when was he born and where did he study"). Ours answers each question with one
    quote (top_k=1); searched whole, and for the baselines, the first two quotes count.
    """
    import qa.answer.assistant as module

    rng = random.Random(0)
    by_article: dict[str | None, list[Labelled]] = defaultdict(list)
    for label in labels:
        by_article[label.document].append(label)
    articles = sorted(a for a in by_article if a and len(by_article[a]) > 1)
    drawn = [tuple(rng.sample(by_article[rng.choice(articles)], 2)) for _ in range(1000)]
    asking = re.compile(r"^(?:who|what|when|where|which|why|how) (?:did|does|do|is|are|was|were|can|could|will)\b")
    askable = [(a, b) for a, b in drawn[:300] if _asked(a)]
    # A question drawn twice is asked as the same command (its last drawing) both times.
    as_command = {id(a): c.question for (a, _), c in zip(askable, commands([a for a, _ in askable], COMMANDS_FIRST))}
    forms = {
        "one after the other": [(a, b, f"{a.question} {b.question}") for a, b in drawn[:300]],
        "a command, then a question": [(a, b, f"{as_command[id(a)]} {b.question}") for a, b in askable],
        'joined by "and"': [
            (a, b, f"{a.question.rstrip(' ?')} and {b.question[:1].lower()}{b.question[1:]}")
            for a, b in drawn
            if asking.match(b.question.lower()) and a.question.rstrip().endswith("?")
        ],
        'joined by "and", no question mark': [
            (a, b, f"{a.question.rstrip(' ?')} and {b.question[:1].lower()}{b.question[1:].rstrip(' ?')}")
            for a, b in drawn
            if asking.match(b.question.lower()) and asking.match(a.question.lower())
        ],
    }

    def holds(label: Labelled, quotes: Sequence[tuple[str, str, int, int]]) -> bool:
        return any(label.hit(*quote) for quote in quotes)

    lines = []
    for form, triples in forms.items():
        messages = [replace(a, question=message) for a, _, message in triples]

        def shown(top_k: int) -> list[list[tuple[str, str, int, int]]]:
            answers = [assistant.ask(m.question, top_k=top_k) for m in messages]  # noqa: B023
            return [[(q.text, q.document, q.start, q.end) for q in a.quotes] if a.answered else [] for a in answers]

        rows = [("ours, each question answered (top_k=1)", shown(1))]
        split, module.split_questions = module.split_questions, lambda message: [message]
        try:
            rows.append(("ours, the message searched whole (top_k=2)", shown(2)))
        finally:
            module.split_questions = split
        for name, system in baselines:
            rows.append((f"{name}, first 2", [list(r.quotes[:2]) for r in system(messages)]))
        lines.append(f"two questions in one message, {form} ({len(triples)} pairs): answered by the quotes shown")
        for name, quotes in rows:
            both = np.mean([holds(a, q) and holds(b, q) for (a, b, _), q in zip(triples, quotes)])
            first = np.mean([holds(a, q) for (a, _, _), q in zip(triples, quotes)])
            second = np.mean([holds(b, q) for (_, b, _), q in zip(triples, quotes)])
            lines.append(f"  {name:<46} both {both:.3f}   first {first:.3f}   second {second:.3f}")
    return "\n".join(lines)


def abstention(articles: dict[str, str], questions: list[Question], work: Path) -> str:
    """Index half of the articles; the other half's questions (SQuAD and search-box) must be declined."""
    names = sorted(articles)
    inside = set(names[0::2])
    docs, index = work / "half-docs", work / "half-index"
    write_corpus({n: t for n, t in articles.items() if n in inside}, docs)
    qa_index(docs, index)
    assistant = Assistant.open(index)
    squad = squad_labels(questions)
    out_squad = [q for q in squad if q.document not in inside]
    # Search-box questions about the other articles, and those no article answers (asked of
    # the half index): the second kind, about an indexed article that does not answer them
    # ("how many employees does sky have"), is counted on its own too.
    out_search = [q for q in search(articles) if q.document not in inside or not q.answerable]
    on_topic = [q for q in out_search if q.document in inside]
    in_squad = [q for q in squad if q.document in inside]
    declined = {
        name: sum(not assistant.ranked(q.question, 1).answered for q in qs) / max(len(qs), 1)
        for name, qs in (("SQuAD", out_squad), ("search-box", out_search), ("on-topic", on_topic))
    }
    with_threshold = score(in_squad, run(assistant, in_squad))
    threshold = assistant.min_confidence
    assistant.min_confidence = -1.0
    without = score(in_squad, run(assistant, in_squad))
    assistant.min_confidence = threshold
    return (
        f"\nAbstention (index {len(inside)} articles, ask the other {len(names) - len(inside)} articles' questions)\n"
        f"out-of-corpus questions declined: SQuAD {declined['SQuAD']:.3f} ({len(out_squad)}), "
        f"search-box {declined['search-box']:.3f} ({len(out_search)}; of them about an indexed article "
        f"that does not answer them: {declined['on-topic']:.3f} of {len(on_topic)})\n"
        f"in-corpus P@1 with threshold {with_threshold.p1:.3f}, without {without.p1:.3f} "
        f"(cost {100 * (without.p1 - with_threshold.p1):.1f} points); in-corpus answered {with_threshold.answered:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("squad", type=Path, help="SQuAD v1.1 JSON (../shared/eval/squad-dev-public.json)")
    parser.add_argument("--articles", type=int, default=0, help="use only the first N articles (smoke runs)")
    parser.add_argument("--questions", type=int, default=0, help="ask only the first N questions of each set")
    parser.add_argument("--skip-peer", action="store_true", help="leave out txtai even when installed")
    parser.add_argument("--skip-abstention", action="store_true")
    parser.add_argument("--index", type=Path, help="reuse (or keep) the index of the articles here")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    articles, questions = load(args.squad)
    if args.articles:
        keep = set(sorted(articles)[: args.articles])
        articles = {n: t for n, t in articles.items() if n in keep}
        questions = [q for q in questions if q.document in keep]
    sets = [
        ("SQuAD questions", squad_labels(questions)),
        ("paraphrased questions (little word overlap)", paraphrased(questions)),
        ("search-box questions (written without looking at the answer)", search(articles)),
        (
            "SQuAD and search-box questions with a typing slip (one word, one letter swapped, dropped or doubled)",
            slipped(squad_labels(questions) + [label for label in search(articles) if label.answerable]),
        ),
        *(
            (
                f"SQuAD and search-box questions asked politely, courtesies {batch}",
                polite(squad_labels(questions) + [label for label in search(articles) if label.answerable], wrappers),
            )
            for batch, wrappers in (
                ("written with the rule", POLITE_WITH),
                ("written after it (rule widened since)", POLITE_AFTER),
                ("written after the widened rule (widened again since)", POLITE_UNSEEN),
                ("unseen by the rule", POLITE_FRESH),
            )
        ),
        *(
            (f"SQuAD questions asked as commands, {batch}", commands(squad_labels(questions), templates))
            for batch, templates in (
                ("first batch (written before the rule)", COMMANDS_FIRST),
                ("second batch (unseen by the first rule)", COMMANDS_SECOND),
                ("third batch (unseen by the second rule)", COMMANDS_THIRD),
            )
        ),
        (
            "questions with an accented letter, typed without accents (all styles)",
            unaccented(squad_labels(questions) + paraphrased(questions) + search(articles)),
        ),
    ]
    if args.questions:
        sets = [(title, labels[: args.questions]) for title, labels in sets]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        write_corpus(articles, work / "docs")
        index = args.index or work / "index"
        seconds = qa_index(work / "docs", index)
        assistant = Assistant.open(index)
        print(f"{len(articles)} articles, {assistant.index.info.sentences} sentences; indexed in {seconds:.1f}s")
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
            else:
                print("txtai is not installed (pip install '.[bench]'): peer row left out")
        figures: dict[str, dict] = {}
        for title, labels in sets:
            if not labels:
                continue
            answerable = [label for label in labels if label.answerable]
            rows = []
            per_doc = {}
            extra = []
            if "typing slip" in title or "without accents" in title:
                extra = [("ours, searched as typed", ours_as_typed(assistant))]
            elif "politely" in title or "as commands" in title:
                extra = [("ours, courtesies searched too", ours_with_courtesies(assistant))]
            for name, system in systems[:1] + extra + systems[1:]:
                results = system(answerable)
                rows.append((name, score(answerable, results)))
                per_doc[name] = by_document(answerable, results)
            figures[title] = {name: r.to_dict() | {"failures": len(r.failures)} for name, r in rows}
            print(table(f"{title}: {len(answerable)}", rows))
            worse = [
                doc
                for doc, r in per_doc[systems[0][0]].items()
                if any(r.p1 < per_doc[name][doc].p1 for name, _ in systems[1:3])
            ]
            print(f"articles where ours is below BM25 or dense on P@1: {worse or 'none'}")
        print(extra_quotes(assistant, squad_labels(questions)[: args.questions or None], articles))
        print(two_in_one(assistant, systems[1:3], squad_labels(questions)))
        if not args.skip_abstention:
            print(abstention(articles, questions, work))
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
