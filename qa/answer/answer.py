"""Typed results of a question: `Quote` and `Answer`, serialised to JSON only at the edges."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

NOT_FOUND = "I could not find an answer to that in the documents."


@dataclass(frozen=True)
class Quote:
    """One verbatim span of a document: ``document_text(document)[start:end] == text``."""

    text: str
    document: str
    start: int
    end: int
    score: float
    context: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    """The result of `Assistant.ask`: quotes, best first, or an abstention."""

    question: str
    answered: bool
    quotes: list[Quote] = field(default_factory=list)
    took_ms: float = 0.0

    @property
    def answer(self) -> str:
        """The text to show a person: the best quote, or a plain not-found message."""
        return self.quotes[0].text if self.answered and self.quotes else NOT_FOUND

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answered": self.answered,
            "answer": self.answer,
            "quotes": [q.to_dict() for q in self.quotes],
            "took_ms": round(self.took_ms, 2),
        }
