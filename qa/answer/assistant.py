"""The assistant: open an index, answer questions with quoted sentences, or decline."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from qa.answer.answer import NOT_FOUND, Answer, Evidence, Quote
from qa.answer.explain import matched_words
from qa.answer.followup import context_of
from qa.answer.introduced import introduced_end
from qa.answer.kinds import WHY_NOT, asked_kind, holds
from qa.answer.sources import SourceCheck
from qa.config import Settings
from qa.embed.encoder import Encoder, OnnxEncoder
from qa.embed.model import model_name
from qa.errors import BadQuestionError, IndexMismatchError
from qa.rank.courtesy import without_courtesies
from qa.rank.parts import split_questions
from qa.rank.ranker import Query, Ranker, Ranking
from qa.rank.spelling import Correction, Speller
from qa.read.document import Document
from qa.read.markup import MARKDOWN_SUFFIXES
from qa.read.outline import SEPARATOR
from qa.store import open_index
from qa.store.base import SENTENCES, Index

MAX_QUESTION_CHARS = 2000
MAX_TOP_K = 20
# Answer only when the documents hold the question's words or its meaning: the best
# sentence's confidence, the larger of its word-piece match (IDF-weighted mean of best
# cosines, the question's own words left out: `qa.rank.ranker.QUESTION_WORD_WEIGHT`)
# and the best cosine of any candidate, reaches this: about the lowest threshold
# that declines 95% of SQuAD questions asked of an index without their article (0.475 on
# `qa eval --calibrate`'s grid; 0.48 is what the chat page shows): BENCHMARKS.md,
# "Abstention". An index can carry its own threshold (`qa index --min-confidence`).
MIN_CONFIDENCE = 0.48
# An extra quote is shown only when it carries evidence for the answer, never to fill top_k:
# its word-piece match is nearly as good as the first quote's (this share of it), or it is
# in the first quote's paragraph and matches at least SAME_PARAGRAPH_SHARE of it. On SQuAD,
# 0.71 of the extras shown hold the answer or lie in its paragraph (0.41 when the score share
# alone decides): BENCHMARKS.md, "Extra quotes".
EXTRA_QUOTE_SHARE = 0.92
SAME_PARAGRAPH_SHARE = 0.6
# Quotes offered to the conflict check: the best few, shown or not (a second source is often
# the third or fourth quote; the check itself ignores quotes that match the question weakly).
CONFLICT_CANDIDATES = 5
# Quotes looked at for one nearly as good as the best that holds the kind of answer asked for.
NEARLY_AS_GOOD = 5


_BLAS = None


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    """Answer with one BLAS thread: the ranker's products are small, and idle BLAS threads
    spinning beside ONNX Runtime's (or another request's) cost more than they save."""
    global _BLAS
    try:
        if _BLAS is None:
            from threadpoolctl import ThreadpoolController

            _BLAS = ThreadpoolController()
        limit = _BLAS.limit(limits=1, user_api="blas")
    except Exception:  # a speed setting only
        yield
        return
    with limit:
        yield


class Assistant:
    """Answers questions from an index with verbatim quotes.

    Args:
        index: the opened index (any engine).
        encoder: turns a question into vectors with the index's model.
    """

    def __init__(self, index: Index, encoder: Encoder) -> None:
        self.index = index
        self.encoder = encoder
        self.ranker = Ranker(index, encoder.word_mask, encoder.question_mask)
        self.speller = Speller(index.term_counts)
        self.min_confidence = index.info.min_confidence if index.info.min_confidence is not None else MIN_CONFIDENCE
        self.sources = SourceCheck(index.info.documents_root, lambda name: index.document(name).digest)

    @classmethod
    def open(cls, index_dir: str | Path = "embeddings", model: str | None = None, threads: int = 0) -> Assistant:
        """Open the index at ``index_dir`` (a folder, or a ``milvus:`` address).

        Args:
            model: the model the index must have been built with (default: $QA_MODEL).
            threads: ONNX Runtime threads for encoding questions (0: one per core).

        Raises:
            IndexMissingError, IndexCorruptError, IndexMismatchError: with what to run.
        """
        settings = Settings()
        model = model or settings.model
        index = open_index(index_dir, model_name(model))
        try:
            encoder = OnnxEncoder(model, settings.question_precision, settings.cache_dir, threads=threads)
            if encoder.dimension != index.info.dimension:
                raise IndexMismatchError(f"the index at {index_dir} has vectors of another size: run `qa index`")
        except BaseException:
            index.close()
            raise
        return cls(index, encoder)

    # -- the index -----------------------------------------------------------------
    @property
    def documents(self) -> list[str]:
        return self.index.document_names()

    def document(self, name: str) -> Document:
        """Raises `DocumentNotFoundError`, or `IndexCorruptError` when its stored text was damaged."""
        return self.index.document(name)

    def document_text(self, name: str) -> str:
        """The text that quote offsets index. Raises `DocumentNotFoundError`."""
        return self.document(name).text

    def locate(self, name: str, offset: int) -> str:
        """Where a character is, for people: "line 12" or "page 3"."""
        return self.document(name).locate(offset)

    def stats(self) -> dict:
        info = self.index.info
        return {
            "model": info.model,
            "documents": info.documents,
            "sentences": info.sentences,
            "built_at": info.built_at,
            "engine": info.engine,
            "min_confidence": self.min_confidence,
        }

    def is_current(self) -> bool:
        """False once the index was rebuilt or removed since this one was opened."""
        return self.index.is_current()

    def close(self) -> None:
        self.index.close()

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
        if not 1 <= top_k <= MAX_TOP_K:
            raise BadQuestionError(f"top_k must be between 1 and {MAX_TOP_K}")
        cleaned = [_clean(q) for q in questions]
        histories = histories or [None] * len(cleaned)
        parts = [split_questions(q) for q in cleaned]
        with _one_blas_thread():
            # One question a message (the usual case): encoded together.
            single = [i for i, p in enumerate(parts) if len(p) == 1]
            ranked = self._rank([cleaned[i] for i in single], [histories[i] for i in single]) if single else []
            answers: dict[int, Answer] = {
                i: self._answer(question, ranking, query, top_k)
                for i, (question, ranking, query) in zip(single, ranked)
            }
            for i, asked in enumerate(parts):
                if len(asked) > 1:
                    answers[i] = self._answer_parts(cleaned[i], asked, top_k, histories[i])
        took = (time.perf_counter() - began) * 1000 / max(len(questions), 1)
        return [replace(answers[i], took_ms=took) for i in range(len(cleaned))]

    def _answer_parts(
        self, question: str, parts: list[str], top_k: int, history: Sequence[Mapping[str, str]] | None
    ) -> Answer:
        """A message asking several questions: each answered on its own, a later one as a follow-up."""
        answers: list[Answer] = []
        for part in (without_courtesies(p, commands=False) for p in parts):  # "Hi! Who won?" shown as "Who won?"
            began = time.perf_counter()
            earlier = [{"question": answers[-1].question, "answer": answers[-1].answer}] if answers else history
            [(asked, ranking, query)] = self._rank([part], [earlier])
            answer = self._answer(asked, ranking, query, top_k)
            answers.append(replace(answer, took_ms=(time.perf_counter() - began) * 1000))
        quotes, seen = [], set()
        for rank in range(top_k):  # the first quote of each question, then the second of each, ...
            for answer in answers:
                if answer.answered and rank < len(answer.quotes):
                    quote = answer.quotes[rank]
                    if (quote.document, quote.start) not in seen:
                        seen.add((quote.document, quote.start))
                        quotes.append(quote)
        return Answer(
            question,
            any(a.answered for a in answers),
            quotes,
            0.0,
            max(a.confidence for a in answers),
            self.min_confidence,
            conflicts=[c for a in answers for c in a.conflicts],
            searched=" ".join(a.searched or a.question for a in answers),
            corrections=tuple(fix for a in answers for fix in a.corrections),
            parts=answers,
            changed_since_indexed=list(dict.fromkeys(name for a in answers for name in a.changed_since_indexed)),
        )

    def ranked(self, question: str, k: int = 10) -> Answer:
        """The best ``k`` quotes in order, none dropped, and whether the question would be answered (for evaluation)."""
        began = time.perf_counter()
        with _one_blas_thread():
            [(question, ranking, query)] = self._rank([question], None)
            confidence = self._confidence(ranking)
            candidates = _Candidates(self.index, ranking)
            picked, lacking = candidates.asked_for(query.text, candidates.pick(k, keep_all=True), k)
        took = (time.perf_counter() - began) * 1000
        lacking = lacking if confidence >= self.min_confidence else ""
        return Answer(
            question,
            confidence >= self.min_confidence and not lacking,
            [q for _, q in picked],
            took,
            confidence,
            self.min_confidence,
            searched=query.text,
            corrections=query.corrections,
            declined_because=lacking,
        )

    @staticmethod
    def _confidence(ranking: Ranking) -> float:
        return max(ranking.confidence, ranking.best_cosine) if len(ranking.sentences) else 0.0

    def _rank(
        self, questions: Sequence[str], histories: Sequence[Sequence[Mapping[str, str]] | None] | None
    ) -> list[tuple[str, Ranking, Query]]:
        questions = [_clean(q) for q in questions]
        histories = list(histories or [None] * len(questions))
        # Greetings, requests and thanks are left out; typing slips are corrected against the
        # documents' words (the answer says so).
        searched: list[Correction] = [self.speller.correct(without_courtesies(q)) for q in questions]
        contexts = [context_of(c.text, h) for c, h in zip(searched, histories)]
        contexts = [self.speller.correct(c).text if c else None for c in contexts]  # the earlier turn's slips too
        embedded = iter(self.encoder.embed([c.text for c in searched] + [c for c in contexts if c]))
        queries = [Query(c.text, next(embedded), c.fixes) for c in searched]
        out = []
        for question, query, context in zip(questions, queries, contexts):
            earlier = Query(context, next(embedded)) if context else None
            out.append((question, self.ranker.rank(query, earlier), query))
        return out

    def _answer(self, question: str, ranking: Ranking, query: Query, top_k: int) -> Answer:
        confidence = self._confidence(ranking)
        declined = Answer(
            question,
            False,
            [],
            0.0,
            confidence,
            self.min_confidence,
            searched=query.text,
            corrections=query.corrections,
        )
        if not len(ranking.sentences) or confidence < self.min_confidence:
            return declined
        candidates = _Candidates(self.index, ranking)
        shown, lacking = candidates.asked_for(query.text, candidates.pick(top_k, keep_all=False), top_k)
        if lacking:
            return replace(declined, declined_because=lacking)
        quotes = self._explained(shown, query)
        return replace(
            declined,
            answered=True,
            quotes=quotes,
            conflicts=self._conflicts(query.text, candidates),
            changed_since_indexed=self.sources.changed(quote.document for quote in quotes),
        )

    @staticmethod
    def _conflicts(question: str, candidates: _Candidates) -> list:  # type: ignore[type-arg]
        """Values of the same kind that the best few quotes state differently (from different documents)."""
        from qa.answer.conflicts import find_conflicts

        return find_conflicts(question, [q for _, q in candidates.pick(CONFLICT_CANDIDATES, keep_all=True)])

    def _explained(self, shown: list[tuple[int, Quote]], query: Query) -> list[Quote]:
        """The quotes with the question's words each holds marked."""
        tokenizer = getattr(self.encoder, "tokenizer", None)
        if tokenizer is None:
            return [quote for _, quote in shown]
        pieces = self.index.pieces(SENTENCES, [sentence for sentence, _ in shown])
        encoded = tokenizer.encode(query.text)
        return [
            replace(
                quote,
                matched=tuple(matched_words(tokenizer, query.text, query.embedded.tokens, quote.text, held, encoded)),
            )
            for (_, quote), held in zip(shown, pieces)
        ]


class _Candidates:
    """A ranking's sentences as quotes, each built once (the quotes shown and those the
    conflict check reads are mostly the same), with the rows of all of them and their
    neighbours read at once."""

    def __init__(self, index: Index, ranking: Ranking) -> None:
        self.index = index
        self.ranking = ranking
        self.rows = index.rows(ranking.sentences)
        self.before = index.rows(ranking.sentences - 1)
        self.after = index.rows(ranking.sentences + 1)
        self._made: dict[int, Quote] = {}

    def pick(self, top_k: int, keep_all: bool) -> list[tuple[int, Quote]]:
        """The best distinct quotes with their sentence ids; unless ``keep_all``, extras only when they deserve it."""
        ranking = self.ranking
        quotes: list[tuple[int, Quote]] = []
        best = float(ranking.scores[0]) if len(ranking.scores) else 0.0
        for rank, i in enumerate(ranking.sentences):
            score = float(ranking.scores[rank])
            if quotes and not keep_all and not self._deserves(score, best, rank):
                continue
            quote = self.quote(rank)
            if all(quote.text != q.text for _, q in quotes):
                quotes.append((int(i), quote))
            if len(quotes) == top_k:
                break
        return quotes

    def asked_for(
        self, question: str, shown: list[tuple[int, Quote]], top_k: int
    ) -> tuple[list[tuple[int, Quote]], str]:
        """``shown`` led by a quote that can hold the kind of answer asked for, or why none can.

        A question asking for a quantity ("How many people live in Iraq?") or a time ("When
        did ...?") is not answered by a sentence that states no number or places nothing in
        time: it is about the topic, but the answer is not in it (`qa.answer.kinds`). When the
        best quote cannot hold the answer, a quote nearly as good (EXTRA_QUOTE_SHARE of its
        score, as good as an extra quote must be) that can leads instead; when none can, the
        question is declined. BENCHMARKS.md, "Abstention: on the topic, the answer absent".
        """
        kind = asked_kind(question)
        if not shown or kind is None or holds(kind, shown[0][1].text):
            return shown, ""
        floor = EXTRA_QUOTE_SHARE * shown[0][1].score
        for sentence, quote in self.pick(NEARLY_AS_GOOD, keep_all=True)[1:]:
            if quote.score < floor:
                break
            if holds(kind, quote.text):
                return [(sentence, quote), *(pair for pair in shown if pair[0] != sentence)][:top_k], ""
        return shown, WHY_NOT[kind]

    def _deserves(self, score: float, best: float, rank: int) -> bool:
        """Whether an extra quote carries evidence: nearly as good as the first, or good and in its paragraph."""
        if score >= EXTRA_QUOTE_SHARE * best:
            return True
        return score >= SAME_PARAGRAPH_SHARE * best and self._same_paragraph(0, rank)

    def _same_paragraph(self, a: int, b: int) -> bool:
        """Whether two ranked sentences share a paragraph: same document, no line break between them."""
        rows = self.rows
        if rows.document[a] != rows.document[b]:
            return False
        text = self.index.document(rows.document[a]).text
        begin, end = min(int(rows.start[a]), int(rows.start[b])), max(int(rows.end[a]), int(rows.end[b]))
        return "\n" not in text[begin:end]

    def _new_headings(self, own: int, following: int) -> list[str]:
        """The headings and terms of context ``following`` that context ``own`` is not under."""
        known = [c for c in (own, following) if c >= 0]
        text = dict(zip(known, self.index.context_text(known)))
        mine, theirs = (text[c].split(SEPARATOR) if c >= 0 else [] for c in (own, following))
        same = 0
        while same < min(len(mine), len(theirs)) and mine[same] == theirs[same]:
            same += 1
        return theirs[same:]

    def quote(self, rank: int) -> Quote:
        if rank not in self._made:
            self._made[rank] = self._quote(rank)
        return self._made[rank]

    def _quote(self, rank: int) -> Quote:
        ranking, rows, before, after = self.ranking, self.rows, self.before, self.after
        document = self.index.document(rows.document[rank])
        start, end = int(rows.start[rank]), int(rows.end[rank])
        text = document.text
        same_before = bool(before.found[rank]) and before.document[rank] == document.name
        same_after = bool(after.found[rank]) and after.document[rank] == document.name
        # A sentence that introduces what follows ("... as follows:") is quoted with it.
        if text[start:end].endswith(":"):
            end = introduced_end(
                text,
                end,
                (int(after.start[rank]), int(after.end[rank])) if same_after else None,
                same_after and after.context[rank] == rows.context[rank],
                self._new_headings(int(rows.context[rank]), int(after.context[rank])) if same_after else [],
                document.name.lower().endswith(MARKDOWN_SUFFIXES),
            )
        begin = int(before.start[rank]) if same_before and before.quotable[rank] else start
        finish = int(after.end[rank]) if same_after and after.quotable[rank] else end
        cosine, word_match = float(ranking.dense[rank]), float(ranking.match[rank])
        asked_match = float(ranking.asked_match[rank])
        evidence = Evidence(
            cosine=round(cosine, 4),
            bm25=round(float(ranking.lexical[rank]), 4),
            passage=round(float(ranking.passage[rank]), 4),
            word_match=round(word_match, 4),
            confidence=round(max(asked_match, cosine), 4),
            lead=round(float(ranking.scores[rank]) - word_match, 4),
        )
        return Quote(
            text[start:end],
            document.name,
            start,
            end,
            round(float(ranking.scores[rank]), 4),
            text[min(start, begin) : max(end, finish)],
            (),
            evidence,
        )


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
