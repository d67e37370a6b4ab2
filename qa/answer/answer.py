"""Typed results of a question: `Quote` and `Answer`, serialised to JSON only at the edges."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

NOT_FOUND = "I could not find an answer to that in the documents."


@dataclass(frozen=True)
class Match:
    """A word of the question that the quote holds: ``quote.text[start:end]`` is where."""

    word: str
    start: int
    end: int
    similarity: float  # cosine of the question word's pieces to the quote's, 0..1


@dataclass(frozen=True)
class Evidence:
    """Why a quote was chosen: the signals that ranked it (all for this question).

    cosine: meaning, the cosine of the sentence's vector to the question's (-1..1).
    bm25: words, the sentence's BM25 score for the question (0 when no word is shared).
    passage: the sentences around it, their passage's evidence (z-score; 0 is average).
    word_match: how well the sentence's word pieces match the question's, piece by piece
        (IDF-weighted mean of best cosines, 0..1).
    confidence: the larger of cosine and the word-piece match of what the question asks
        about (its own words, "what", "is", "do", left out): an answer is given only when the
        best quote's confidence reaches the index's threshold.
    lead: what the quote's score gained as the first sentence under a heading that matches
        the question (score = word_match + lead; 0 for other sentences).
    """

    cosine: float
    bm25: float
    passage: float
    word_match: float
    confidence: float
    lead: float = 0.0


@dataclass(frozen=True)
class Quote:
    """One verbatim span of a document: ``document_text(document)[start:end] == text``."""

    text: str
    document: str
    start: int
    end: int
    score: float
    context: str
    matched: tuple[Match, ...] = ()
    evidence: Evidence | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["matched"] = [asdict(m) for m in self.matched]
        return out


@dataclass(frozen=True)
class Answer:
    """The result of `Assistant.ask`: quotes, best first, or an abstention."""

    question: str
    answered: bool
    quotes: list[Quote] = field(default_factory=list)
    took_ms: float = 0.0
    confidence: float = 0.0
    threshold: float = 0.0
    conflicts: list[Any] = field(default_factory=list)  # qa.answer.conflicts.Conflict
    searched: str = ""  # the question as searched: courtesies left out, typing slips corrected ("" = as asked)
    corrections: tuple[tuple[str, str], ...] = ()  # (typed, searched) words
    # A message asking several questions: each one's own answer, in order (`qa.rank.parts`);
    # the quotes above are theirs, the first of each answered question first.
    parts: list[Answer] = field(default_factory=list)
    # Quoted documents whose file was edited or removed since indexing (`qa.answer.sources`).
    changed_since_indexed: list[str] = field(default_factory=list)
    # Why a question whose confidence reached the threshold was declined all the same, for
    # people ("" otherwise): the closest sentence is on topic but lacks what was asked for.
    declined_because: str = ""

    @property
    def answer(self) -> str:
        """The text to show a person: the best quote (of each question asked), or a plain not-found message."""
        if self.parts:
            found = dict.fromkeys(part.answer for part in self.parts if part.answered and part.quotes)
            return " ".join(found) if found else NOT_FOUND
        return self.quotes[0].text if self.answered and self.quotes else NOT_FOUND

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answered": self.answered,
            "answer": self.answer,
            "quotes": [q.to_dict() for q in self.quotes],
            "confidence": round(self.confidence, 4),
            "threshold": round(self.threshold, 4),
            "conflicts": [c.to_dict() for c in self.conflicts],
            "took_ms": round(self.took_ms, 2),
            "searched": self.searched or self.question,
            "corrections": [{"typed": typed, "searched": fixed} for typed, fixed in self.corrections],
            "parts": [part.to_dict() for part in self.parts],
            "changed_since_indexed": list(self.changed_since_indexed),
            "declined_because": self.declined_because,
        }


BLANK_LINE = re.compile(r"\n[ \t]*\n")  # a paragraph break
_LINE_BREAK = re.compile(r"[ \t]*\n[ \t]*")


def quoted(text: str) -> str:
    """A quote as plain text shows it: in quotation marks (unless it opens with one), and on
    one line when it is one paragraph (a hard-wrapped source's line breaks are not the
    author's; the chat page lets it flow the same way)."""
    if not BLANK_LINE.search(text):
        text = _LINE_BREAK.sub(" ", text)
    return text if text[:1] in "\"'“‘«" else f"“{text}”"
