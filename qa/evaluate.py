"""Scoring answers against labelled questions: shared by `qa eval` and the benchmarks.

A labelled question says what a right answer is: a text the quote must contain
(``answer``, or any of ``answers``), the document it must come from (``document``), the
character offsets where an answer starts in that document (``answer_starts``, as SQuAD
gives them), or that the documents do not answer it (``answerable: false``).
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from qa.errors import QAError

K = 10
_SPACE = re.compile(r"\s+")


def _normal(text: str) -> str:
    return _SPACE.sub(" ", text).strip().casefold()


@dataclass(frozen=True)
class Labelled:
    """One question and what counts as answering it."""

    question: str
    answers: tuple[str, ...] = ()
    document: str | None = None
    answer_starts: tuple[int, ...] = ()
    answerable: bool = True
    kind: str = ""
    # Other places that answer equally well: (document, text the quote must contain).
    also: tuple[tuple[str, str], ...] = ()

    def hit(self, text: str, document: str, start: int, end: int) -> bool:
        """Does this quote answer the question?"""
        if any(document == d and _normal(a) in _normal(text) for d, a in self.also):
            return True
        if self.document is not None and document != self.document:
            return False
        if self.answer_starts:
            return any(start <= a < end for a in self.answer_starts)
        if self.answers:
            quote = _normal(text)
            return any(_normal(a) in quote for a in self.answers)
        return self.document is not None


@dataclass(frozen=True)
class Result:
    """What a system returned for one question: ranked quotes (text, document, start, end), and whether it answered."""

    quotes: tuple[tuple[str, str, int, int], ...]
    answered: bool = True
    ms: float = 0.0
    confidence: float = 0.0


@dataclass
class Report:
    """The figures of one run over a question set."""

    questions: int = 0
    answerable: int = 0
    p1: float = 0.0
    mrr: float = 0.0
    r5: float = 0.0
    answered: float = 0.0
    abstention_precision: float | None = None
    abstention_recall: float | None = None
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    words: float = 0.0
    failures: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "questions": self.questions,
            "answerable": self.answerable,
            "P@1": round(self.p1, 4),
            "MRR@10": round(self.mrr, 4),
            "R@5": round(self.r5, 4),
            "answered": round(self.answered, 4),
            "abstention_precision": None if self.abstention_precision is None else round(self.abstention_precision, 4),
            "abstention_recall": None if self.abstention_recall is None else round(self.abstention_recall, 4),
            "p50_ms": round(self.p50_ms, 2),
            "p95_ms": round(self.p95_ms, 2),
            "words": round(self.words, 1),
            "failures": self.failures,
        }


def first_hit(label: Labelled, result: Result, k: int = K) -> int | None:
    """Rank (1-based) of the first quote that answers, or None."""
    if not result.answered:
        return None
    for rank, (text, document, start, end) in enumerate(result.quotes[:k], 1):
        if label.hit(text, document, start, end):
            return rank
    return None


def score(labels: Sequence[Labelled], results: Sequence[Result], k: int = K) -> Report:
    """P@1, MRR@k, R@5 over the answerable questions (a declined one is a miss), and how well declining works."""
    report = Report(questions=len(labels))
    answerable = [(label, r) for label, r in zip(labels, results) if label.answerable]
    unanswerable = [(label, r) for label, r in zip(labels, results) if not label.answerable]
    report.answerable = len(answerable)
    p1 = mrr = r5 = 0.0
    for label, result in answerable:
        rank = first_hit(label, result, k)
        if rank is not None:
            p1 += rank == 1
            mrr += 1 / rank
            r5 += rank <= 5
        if rank != 1:
            got = result.quotes[0] if result.answered and result.quotes else None
            report.failures.append(
                {
                    "question": label.question,
                    "expected": label.answers[0] if label.answers else (label.document or ""),
                    "quoted": got[0] if got else None,
                    "document": got[1] if got else None,
                    "rank": rank,
                }
            )
    n = max(len(answerable), 1)
    report.p1, report.mrr, report.r5 = p1 / n, mrr / n, r5 / n
    report.answered = sum(r.answered for r in results) / max(len(results), 1)
    declined_right = sum(not r.answered for _, r in unanswerable)
    declined = sum(not r.answered for r in results)
    if unanswerable:
        report.abstention_recall = declined_right / len(unanswerable)
        report.abstention_precision = declined_right / declined if declined else 1.0
        for label, result in unanswerable:
            if result.answered:
                report.failures.append(
                    {
                        "question": label.question,
                        "expected": "(not answerable)",
                        "quoted": result.quotes[0][0] if result.quotes else None,
                        "document": result.quotes[0][1] if result.quotes else None,
                        "rank": None,
                    }
                )
    times = [r.ms for r in results if r.ms]
    if times:
        report.p50_ms = statistics.median(times)
        report.p95_ms = float(np.percentile(times, 95))
    words = [len(r.quotes[0][0].split()) for r in results if r.answered and r.quotes]
    report.words = statistics.fmean(words) if words else 0.0
    return report


def load_questions(path: Path) -> list[Labelled]:
    """Read a JSON Lines file of labelled questions (one object a line).

    Each line: ``question``, and one of ``answer`` (a text the top quote must contain;
    ``answers`` for several), ``document`` (the file it must come from; may be combined
    with ``answer``), or ``"answerable": false``.

    Raises:
        QAError: the file is unreadable or a line is malformed (its number is given).
    """
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise QAError(f"cannot read {path} ({getattr(exc, 'strerror', None) or exc})") from None
    out = []
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            item = json.loads(line)
        except ValueError:
            raise QAError(f"{path}, line {number}: not valid JSON") from None
        out.append(_labelled(item, f"{path}, line {number}"))
    if not out:
        raise QAError(f"{path} holds no questions")
    return out


def _labelled(item: object, where: str) -> Labelled:
    if not isinstance(item, dict) or not isinstance(item.get("question"), str) or not item["question"].strip():
        raise QAError(f'{where}: needs a "question" string')
    answers = item.get("answers", [])
    if "answer" in item:
        answers = [item["answer"], *answers]
    if not isinstance(answers, list) or not all(isinstance(a, str) and a.strip() for a in answers):
        raise QAError(f'{where}: "answer" must be a non-empty string ("answers" a list of them)')
    document = item.get("document")
    if document is not None and not isinstance(document, str):
        raise QAError(f'{where}: "document" must be a string')
    answerable = item.get("answerable", True)
    if not isinstance(answerable, bool):
        raise QAError(f'{where}: "answerable" must be true or false')
    if answerable and not answers and document is None:
        raise QAError(f'{where}: give "answer", "document" or "answerable": false')
    return Labelled(item["question"].strip(), tuple(answers), document, (), answerable, str(item.get("kind", "") or ""))


def run(assistant, labels: Iterable[Labelled], k: int = K) -> list[Result]:  # type: ignore[no-untyped-def]
    """Ask every question of ``assistant`` (a `qa.Assistant`); the quotes are its full ranking."""
    out = []
    for label in labels:
        answer = assistant.ranked(label.question, k)
        quotes = tuple((q.text, q.document, q.start, q.end) for q in answer.quotes)
        out.append(Result(quotes, answer.answered, answer.took_ms, answer.confidence))
    return out


def calibrate(labels: Sequence[Labelled], results: Sequence[Result]) -> tuple[float | None, list[dict]]:
    """The answer threshold that best separates answerable from unanswerable questions, and the trade-off table.

    For each candidate threshold: the share of answerable questions still answered, the
    share of unanswerable ones declined, and P@1 over the answerable ones. The suggestion
    maximises the mean of the two shares (balanced accuracy); None without both kinds.
    """
    pairs = [(label, r) for label, r in zip(labels, results)]
    good = [r.confidence for label, r in pairs if label.answerable]
    bad = [r.confidence for label, r in pairs if not label.answerable]
    rows = []
    best, best_value = None, -1.0
    for threshold in np.round(np.arange(0.30, 0.81, 0.025), 3):
        answered = sum(c >= threshold for c in good) / max(len(good), 1)
        declined = sum(c < threshold for c in bad) / max(len(bad), 1) if bad else None
        p1 = sum(
            1
            for label, r in pairs
            if label.answerable and r.confidence >= threshold and first_hit(label, replace(r, answered=True), 1) == 1
        ) / max(len(good), 1)
        rows.append({"threshold": float(threshold), "answered": answered, "declined": declined, "P@1": p1})
        if declined is not None and good:
            value = (answered + declined) / 2
            if value > best_value + 1e-9:
                best, best_value = float(threshold), value
    return best, rows
