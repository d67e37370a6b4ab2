"""The assistant: open an index, answer questions with quoted sentences, or decline."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from qa.answer.answer import NOT_FOUND, Answer, Quote
from qa.answer.followup import context_of
from qa.config import Settings
from qa.embed.encoder import Encoder, NumpyEncoder, model_name
from qa.errors import BadQuestionError, DocumentNotFoundError
from qa.rank.ranker import Ranker, Ranking
from qa.read.document import Document
from qa.store import folder as store

MAX_QUESTION_CHARS = 2000
MAX_TOP_K = 20
# Answer only when the documents hold the question's words or its meaning: the best
# sentence matches the question's word pieces at least MIN_MATCH (IDF-weighted mean of
# best cosines), or some candidate sentence's cosine reaches MIN_COSINE. Calibrated on
# SQuAD questions asked of an index without their article: BENCHMARKS.md, "Abstention".
MIN_MATCH = 0.50
MIN_COSINE = 0.50


class Assistant:
    """Answers questions from an index with verbatim quotes.

    Args:
        corpus: the loaded index.
        encoder: turns a question into a vector with the index's model.
        index_dir: where the index was loaded from, to notice a rebuild.
    """

    def __init__(self, corpus: store.Corpus, encoder: Encoder, index_dir: Path | None = None) -> None:
        self.corpus = corpus
        self.encoder = encoder
        self.index_dir = index_dir
        self.ranker = Ranker(corpus, encoder.word_mask)
        self._by_name = {doc.name: number for number, doc in enumerate(corpus.documents)}
        self._version = self._live_version()
        self.min_match = MIN_MATCH
        self.min_cosine = MIN_COSINE

    @classmethod
    def open(cls, index_dir: str | Path = "embeddings", model: str | None = None) -> Assistant:
        """Load the index at ``index_dir``.

        Raises:
            IndexMissingError, IndexCorruptError, IndexMismatchError: with what to run.
        """
        index_dir = Path(index_dir)
        model = model or Settings().model
        corpus = store.load(index_dir, model_name(model))
        return cls(corpus, NumpyEncoder(model), index_dir)

    # -- the index -----------------------------------------------------------------

    @property
    def documents(self) -> list[str]:
        return [doc.name for doc in self.corpus.documents]

    def document(self, name: str) -> Document:
        try:
            return self.corpus.documents[self._by_name[name]]
        except KeyError:
            raise DocumentNotFoundError(f"no document named {name!r} in the index") from None

    def document_text(self, name: str) -> str:
        """The text that quote offsets index. Raises `DocumentNotFoundError`."""
        return self.document(name).text

    def locate(self, name: str, offset: int) -> str:
        """Where a character is, for people: "line 12" or "page 3"."""
        return self.document(name).locate(offset)

    def stats(self) -> dict:
        manifest = self.corpus.manifest
        return {
            "model": manifest["model"]["name"],
            "documents": len(self.corpus.documents),
            "sentences": len(self.corpus),
            "built_at": manifest.get("built_at", ""),
        }

    def _live_version(self) -> str | None:
        if self.index_dir is None:
            return None
        try:
            return (self.index_dir / store.POINTER).read_text().strip()
        except OSError:
            return None

    def is_current(self) -> bool:
        """False once the index on disk was rebuilt or removed since this one was opened."""
        return self.index_dir is None or self._live_version() == self._version

    # -- questions -----------------------------------------------------------------

    def ask(self, question: str, top_k: int = 3, history: Sequence[Mapping[str, str]] | None = None) -> Answer:
        """Answer one question. Raises `BadQuestionError` for an empty or oversized one."""
        return self.ask_batch([question], top_k, [history] if history else None)[0]

    def ask_batch(
        self,
        questions: Sequence[str],
        top_k: int = 3,
        histories: Sequence[Sequence[Mapping[str, str]] | None] | None = None,
    ) -> list[Answer]:
        """Answer several questions, encoding them in one batch."""
        began = time.perf_counter()
        questions = [_clean(q) for q in questions]
        if not 1 <= top_k <= MAX_TOP_K:
            raise BadQuestionError(f"top_k must be between 1 and {MAX_TOP_K}")
        histories = histories or [None] * len(questions)
        contexts = [context_of(q, h) for q, h in zip(questions, histories)]
        embedded = iter(self.encoder.embed(questions + [c for c in contexts if c]))
        question_embedded = [next(embedded) for _ in questions]
        answers = []
        for question, embedding, context in zip(questions, question_embedded, contexts):
            # 1. Rank the sentences for the question (and the turn it follows up on).
            query = self.ranker.query(question, embedding)
            ranking = self.ranker.rank(query, self.ranker.query(context, next(embedded)) if context else None)
            # 2. Quote the best, or decline when even the best is not close enough.
            answered = bool(len(ranking.sentences)) and self._confident(ranking)
            quotes = self._quotes(ranking, top_k) if answered else []
            answers.append(Answer(question, answered, quotes))
        took = (time.perf_counter() - began) * 1000 / max(len(questions), 1)
        return [Answer(a.question, a.answered, a.quotes, took) for a in answers]

    def _confident(self, ranking: Ranking) -> bool:
        return ranking.confidence >= self.min_match or float(ranking.dense.max()) >= self.min_cosine

    def _quotes(self, ranking: Ranking, top_k: int) -> list[Quote]:
        quotes: list[Quote] = []
        for i, score in zip(ranking.sentences, ranking.scores):
            quote = self._quote(int(i), float(score))
            if all(quote.text != q.text for q in quotes):
                quotes.append(quote)
            if len(quotes) == top_k:
                break
        return quotes

    def _quote(self, i: int, score: float) -> Quote:
        corpus = self.corpus
        doc = corpus.documents[corpus.sent_doc[i]]
        start, end = int(corpus.sent_start[i]), int(corpus.sent_end[i])
        # A sentence that introduces what follows ("... as follows:") is quoted with it.
        if doc.text[start:end].endswith(":") and self._same_doc(i, i + 1):
            end = int(corpus.sent_end[i + 1])
        before = i - 1 if self._same_doc(i, i - 1) and corpus.quotable[i - 1] else i
        after = i + 1 if self._same_doc(i, i + 1) and corpus.quotable[i + 1] else i
        context = doc.text[min(start, int(corpus.sent_start[before])) : max(end, int(corpus.sent_end[after]))]
        return Quote(doc.text[start:end], doc.name, start, end, round(score, 4), context)

    def _same_doc(self, i: int, j: int) -> bool:
        return 0 <= j < len(self.corpus) and self.corpus.sent_doc[i] == self.corpus.sent_doc[j]


def text_only(text: str) -> str:
    """``text`` with lone surrogates (unencodable halves of a pair) replaced."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _clean(question: object) -> str:
    if not isinstance(question, str):
        raise BadQuestionError("the question must be text")
    question = " ".join("".join(ch for ch in text_only(question) if ch.isprintable() or ch.isspace()).split())
    if not question:
        raise BadQuestionError("the question is empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise BadQuestionError(f"the question is longer than {MAX_QUESTION_CHARS} characters")
    return question


__all__ = ["Assistant", "NOT_FOUND"]
