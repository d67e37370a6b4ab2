"""Hybrid ranking of sentences in two stages, asking the index only for candidates and their features.

Stage 1 gathers candidates (the nearest sentences and passages by meaning, the best by
BM25) and scores each. Every signal becomes a z-score against a fixed random sample of
the index, so a weight means the same whatever the corpus and however large::

    DENSE_WEIGHT * z(cos(q, sentence)) + coverage * z(bm25(q, sentence))
      + CONTEXT_WEIGHT * max over the passages holding it of
            [z(cos(q, passage)) + coverage * z(bm25(q, passage))]

``coverage`` is the share of the question's word-piece weight (IDF) found in its best
BM25 passage: when a question shares few words with the documents, BM25 ranks noise and
its say shrinks, leaving the dense model in charge.

Stage 2 orders the best RERANK_DEPTH candidates by how well each word piece of the
question finds a counterpart among the sentence's word pieces (the model's contextual
vectors, late interaction as in ColBERT), weighted by the piece's rarity; pieces of the
sentence before it and of the heading or definition it sits under count at a discount.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from qa.embed.encoder import Embedded
from qa.store.base import CONTEXTS, PASSAGES, SENTENCES, Index, Moments

# Dense and BM25 evidence count alike once both are z-scored (leaning either way by
# half moved P@1 on SQuAD by under 0.3 points once the rerank is in place).
DENSE_WEIGHT = 1.0
# A sentence's passage is evidence about it, but weaker than the sentence itself.
CONTEXT_WEIGHT = 0.5
# Stage 1 finds the answer among its best 30 for 97% of SQuAD questions (86% of the
# paraphrased ones); any depth from 20 to 100 gives the same P@1 within 0.2 points.
RERANK_DEPTH = 30
# A sentence often leans on the one before it ("It was the third-most watched..."):
# a question's piece found only there counts, at this discount.
PREVIOUS_SENTENCE = 0.8
# A heading or definition term names what the sentences under it are about
# ("os.makedirs(name, ...)" over "Recursive directory creation function."): its pieces
# count nearly as the sentence's own. On the two documentation benchmarks 0.9 ties 0.8 on
# the PostgreSQL manual (P@1 0.382 both, MRR 0.437 → 0.453) and gains on the Python
# library's "what does X do" (0.34 → 0.38, BENCHMARKS.md); 1.0 loses on the manual (0.336).
CONTEXT_PIECES = 0.9
# In documentation and wikis the first sentence under a heading or definition term says
# what it is or does ("REINDEX rebuilds an index ...", "Sets the base maximum amount of
# memory ..."), as a docstring's summary line does. Such a sentence gains this much, times
# how well its heading matches the question, in the order (up to 1; not in the confidence
# to answer). On the documentation benchmark 0.05 to 0.5 all help, 0.2 most; text without
# headings is untouched.
LEAD_SENTENCE = 0.2
# How far back over a list that opens a section the first sentence after it is looked for:
# Node.js lists an options object's fields one per item (30 and more); the bound keeps the
# work per candidate small. On its "what does X do" (three draws of 150): 4 → 0.41, 12 →
# 0.46, 50 → 0.47 P@1, against 0.28 with the first sentence under the heading alone.
LEAD_LIST_ITEMS = 50
# The confidence to answer rests on what a question asks about, not on the words that make
# it a question ("what", "is", "do": `qa.embed.encoder.QUESTION_WORDS`), which count this
# much there. A document rarely holds them, so the index weighs them as rare words, and over
# one short article "What is the C-RAM?" was declined on "what" and "is" (0.45). On the
# abstention split (BENCHMARKS.md), same threshold: SQuAD questions whose article is absent
# declined 0.970 → 0.965, search-box ones 0.860 → 0.853, the cost on answerable SQuAD 1.4 →
# 0.9 points (at 0.5: 0.968, 0.860, 1.04). The order keeps their full weight: there they
# carry what the question asks for (halving them costs the search-box style 2.9 points).
QUESTION_WORD_WEIGHT = 0.0
# Candidates asked of the index: enough that the answer is almost always among them
# (see BENCHMARKS.md, "Candidate recall"), few enough that no question touches the corpus.
DENSE_CANDIDATES = 100
LEXICAL_CANDIDATES = 100
PASSAGE_CANDIDATES = 30


@dataclass(frozen=True)
class Query:
    """A question prepared for ranking."""

    text: str  # as searched: typing slips corrected (`qa.rank.spelling`)
    embedded: Embedded
    corrections: tuple[tuple[str, str], ...] = ()  # (typed, searched) words


@dataclass(frozen=True)
class Ranking:
    """The best sentences, best first, with the evidence used to order and to decide whether to answer."""

    sentences: np.ndarray  # sentence ids, best first
    scores: np.ndarray  # the order, 0..1: word-piece match, plus the lead-sentence gain
    match: np.ndarray  # their word-piece match, 0..1
    asked_match: np.ndarray  # the match with the question's own words at QUESTION_WORD_WEIGHT: the confidence's
    dense: np.ndarray  # cosine of each to the question
    lexical: np.ndarray  # BM25 score of each
    passage: np.ndarray  # passage evidence (z-scored) of each
    stage1: np.ndarray  # the stage-1 score that made each a candidate
    coverage: float  # share of the question's word-piece weight found in its best BM25 passage
    confidence: float  # how well the best sentence holds what was asked about (its `asked_match`), 0..1
    best_cosine: float  # the highest cosine of any candidate to the question

    @staticmethod
    def empty(coverage: float = 0.0) -> Ranking:
        zf = np.zeros(0, dtype=np.float32)
        return Ranking(np.zeros(0, dtype=np.int64), zf, zf, zf, zf, zf, zf, zf, coverage, 0.0, 0.0)


@dataclass(frozen=True)
class _Stage1:
    ids: np.ndarray
    scores: np.ndarray
    dense: np.ndarray
    lexical: np.ndarray
    passage: np.ndarray
    coverage: float


class _Stats:
    """Mean and spread of a signal over the index's sample: turns raw scores into z-scores."""

    def __init__(self, mean: float, std: float) -> None:
        self.mean = mean
        self.std = std if std > 1e-9 else 0.0

    @staticmethod
    def of(values: np.ndarray) -> _Stats:
        return _Stats(float(values.mean()), float(values.std())) if len(values) else _Stats(0.0, 0.0)

    def z(self, x: np.ndarray) -> np.ndarray:
        return (x - self.mean) / self.std if self.std else np.zeros_like(x)


class Ranker:
    """Ranks the sentences of an index for a question.

    Args:
        index: any engine behind the `Index` protocol.
        word_mask: per vocabulary id, False for punctuation pieces (ignored in questions).
        question_mask: per vocabulary id, True for the words that make a question ("what",
            "is", "do"): they count at QUESTION_WORD_WEIGHT in the confidence to answer.
    """

    def __init__(
        self, index: Index, word_mask: np.ndarray | None = None, question_mask: np.ndarray | None = None
    ) -> None:
        self.index = index
        self.word_mask = word_mask
        self.question_mask = question_mask
        self.piece_idf = np.asarray(index.piece_idf(), dtype=np.float32)
        self.samples = {kind: np.asarray(index.sample(kind), dtype=np.int64) for kind in (SENTENCES, PASSAGES)}
        self.moments: dict[str, Moments] = {kind: index.sample_moments(kind) for kind in self.samples}

    # -- stage 1 ------------------------------------------------------------------------
    def _coverage(self, query: Query, best_passage: int) -> float:
        """Share of the question's word-piece IDF present, piece for piece, in the best BM25 passage."""
        ids = query.embedded.ids
        if not len(ids) or best_passage < 0:
            return 0.0
        weights = self._piece_weights(ids)
        first, last = self.index.passage_sentences(np.asarray([best_passage]))
        pieces = self.index.pieces(SENTENCES, list(range(int(first[0]), int(last[0]) + 1)))
        present_ids = np.unique(np.concatenate([p.ids for p in pieces])) if pieces else np.zeros(0, np.int32)
        present = np.isin(ids, present_ids)
        total = float(weights.sum())
        return float(weights[present].sum() / total) if total > 1e-9 else 0.0

    def _stage1(self, query: Query) -> _Stage1:
        index, vector = self.index, query.embedded.vector
        # 1. Candidates: sentences and passages near in meaning, and the best by BM25.
        dense_hits = index.dense(SENTENCES, vector, DENSE_CANDIDATES)
        lexical_hits = index.lexical(SENTENCES, query.text, LEXICAL_CANDIDATES)
        passage_dense = index.dense(PASSAGES, vector, PASSAGE_CANDIDATES)
        passage_lexical = index.lexical(PASSAGES, query.text, PASSAGE_CANDIDATES)
        passages = np.unique(np.concatenate([passage_dense.ids, passage_lexical.ids]))
        firsts, lasts = index.passage_sentences(passages)
        members = [np.arange(a, b + 1) for a, b in zip(firsts.tolist(), lasts.tolist())]
        ids = np.unique(np.concatenate([dense_hits.ids, lexical_hits.ids, *members]).astype(np.int64))
        if not len(ids):
            nothing = np.zeros(0, np.float32)
            return _Stage1(ids, nothing, nothing, nothing, nothing, 0.0)
        best_passage = int(passage_lexical.ids[0]) if len(passage_lexical.ids) else -1
        coverage = self._coverage(query, best_passage)
        # 2. Their evidence, z-scored against the index's sample.
        dense = index.vectors(SENTENCES, ids) @ vector
        lexical = index.lexical_scores(SENTENCES, query.text, ids)
        z_dense = _Stats(*self.moments[SENTENCES].spread(vector)).z(dense)
        sample_lexical = index.lexical_scores(SENTENCES, query.text, self.samples[SENTENCES])
        z_lexical = _Stats.of(sample_lexical).z(lexical)
        position, passage = index.passages_holding(ids)
        held = np.unique(passage)
        passage_dense_scores = index.vectors(PASSAGES, held) @ vector
        passage_lexical_scores = index.lexical_scores(PASSAGES, query.text, held)
        sample_pl = index.lexical_scores(PASSAGES, query.text, self.samples[PASSAGES])
        passage_evidence = _Stats(*self.moments[PASSAGES].spread(vector)).z(
            passage_dense_scores
        ) + coverage * _Stats.of(sample_pl).z(passage_lexical_scores)
        context = np.full(len(ids), -np.inf, dtype=np.float32)
        np.maximum.at(context, position, passage_evidence[np.searchsorted(held, passage)])
        context = np.where(np.isfinite(context), context, 0.0).astype(np.float32)
        scores = DENSE_WEIGHT * z_dense + coverage * z_lexical + CONTEXT_WEIGHT * context
        return _Stage1(ids, scores.astype(np.float32), dense.astype(np.float32), lexical, context, coverage)

    # -- stage 2 ------------------------------------------------------------------------
    def _piece_weights(self, ids: np.ndarray) -> np.ndarray:
        idf = self.piece_idf
        weights = np.where(ids < len(idf), idf[np.minimum(ids, len(idf) - 1)], float(idf.max(initial=1.0)))
        if self.word_mask is not None:
            weights = weights * self.word_mask[np.minimum(ids, len(self.word_mask) - 1)]
        return weights.astype(np.float32)

    def _confidence_weights(self, ids: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """``weights`` with the question's own words ("what", "is", "do") at QUESTION_WORD_WEIGHT."""
        if self.question_mask is None:
            return weights
        asking = self.question_mask[np.minimum(ids, len(self.question_mask) - 1)] & (ids < len(self.question_mask))
        return np.where(asking, QUESTION_WORD_WEIGHT * weights, weights).astype(np.float32)

    def best_cosines(self, query: Embedded, pieces: list) -> np.ndarray:  # type: ignore[type-arg]
        """(units, question pieces): each question piece's best cosine among a unit's pieces."""
        best = np.zeros((len(pieces), len(query.ids)), dtype=np.float32)
        lengths = np.array([len(p.ids) for p in pieces])
        if not len(pieces) or not lengths.sum():
            return best
        stacked = np.concatenate([p.vectors for p in pieces if len(p.ids)])
        sims = query.tokens @ stacked.T
        starts = np.concatenate([[0], np.cumsum(lengths[lengths > 0])[:-1]])
        best[lengths > 0] = np.maximum.reduceat(sims, starts, axis=1).T
        return best

    def token_match(self, query: Embedded, sentences: np.ndarray) -> np.ndarray:
        """How well each sentence (or, discounted, the one before it and its heading) holds the question's pieces.

        The IDF-weighted mean, over the question's word pieces, of each piece's best cosine.
        """
        return self._matches(query, sentences)[0]

    def _matches(self, query: Embedded, sentences: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(`token_match`, lead-sentence gain, the match as the confidence weighs it) of each sentence."""
        if not len(query.ids) or not len(sentences):
            nothing = np.zeros(len(sentences), dtype=np.float32)
            return nothing, nothing, nothing
        sentences = np.asarray(sentences, dtype=np.int64)
        rows = self.index.rows(np.concatenate([sentences, sentences - 1]))
        n = len(sentences)
        same = rows.found[n:] & np.array([a == b for a, b in zip(rows.document[:n], rows.document[n:])])
        previous = np.where(same, sentences - 1, -1)
        contexts = rows.context[:n]
        # Each unit once: a candidate is often the sentence before another, and sentences
        # under one heading share its context.
        units, at = np.unique(np.concatenate([sentences, previous]), return_inverse=True)
        per_unit = self.best_cosines(query, self.index.pieces(SENTENCES, units.tolist()))
        heads, under_at = np.unique(contexts, return_inverse=True)
        under = self.best_cosines(query, self.index.pieces(CONTEXTS, heads.tolist()))[under_at]
        best = np.maximum(per_unit[at[:n]], np.maximum(PREVIOUS_SENTENCE * per_unit[at[n:]], CONTEXT_PIECES * under))
        weights = self._piece_weights(query.ids)
        total = max(float(weights.sum()), 1e-9)
        lead = self._leads(sentences, rows.document[:n], contexts, rows.start[:n])
        asking = self._confidence_weights(query.ids, weights)
        return (
            (best @ weights / total).astype(np.float32),
            (lead * (under @ weights) / total).astype(np.float32),
            (best @ asking / max(float(asking.sum()), 1e-9)).astype(np.float32),
        )

    def _leads(
        self, sentences: np.ndarray, documents: list[str], contexts: np.ndarray, starts: np.ndarray
    ) -> np.ndarray:
        """Whether each sentence opens what is under its heading.

        That is the first sentence under it and, when the section opens with a list, the
        first sentence after the list too: API references list a function's parameters
        before saying what it does (Node.js: "* `path` {string}", "* Returns: {string}",
        then "The `path.join()` method joins ...").
        """
        n = len(sentences)
        lead = np.zeros(n, dtype=bool)
        under = np.flatnonzero(contexts >= 0)
        if not len(under):
            return lead
        back = np.arange(1, LEAD_LIST_ITEMS + 2)
        rows = self.index.rows((sentences[under, None] - back[None, :]).ravel())
        texts: dict[str, str] = {}

        def is_item(document: str, start: int) -> bool:
            if document not in texts:
                texts[document] = self.index.document(document).text
            return _in_list_item(texts[document], start)

        def heads(j: int, at: int) -> bool:  # row j is in another document or under another heading
            return not rows.found[j] or rows.document[j] != documents[at] or rows.context[j] != contexts[at]

        for row, at in enumerate(under.tolist()):
            first = row * len(back)
            if heads(first, at):
                lead[at] = True
            elif not is_item(documents[at], int(starts[at])):
                for j in range(first, first + len(back)):  # back over the list that opens the section
                    if heads(j, at):
                        lead[at] = True
                        break
                    if not is_item(rows.document[j], int(rows.start[j])):
                        break
        return lead

    # -- both ---------------------------------------------------------------------------
    def rank(self, query: Query, context: Query | None = None) -> Ranking:
        """Rank the quotable sentences; ``context`` is the turn a follow-up refers to."""
        # 1. Candidates by dense, BM25 and passage evidence (and the earlier turn's).
        first = self._stage1(query)
        ids, scores = first.ids, first.scores
        dense, lexical, passage = first.dense, first.lexical, first.passage
        if context is not None:
            other = self._stage1(context)
            ids = np.union1d(first.ids, other.ids)
            scores = _on(ids, first.ids, first.scores) + _on(ids, other.ids, other.scores)
            dense = _on(ids, first.ids, first.dense, fill=np.nan)
            missing = np.isnan(dense)
            if missing.any():
                dense[missing] = self.index.vectors(SENTENCES, ids[missing]) @ query.embedded.vector
            lexical = _on(ids, first.ids, first.lexical)
            passage = _on(ids, first.ids, first.passage)
        if not len(ids):
            return Ranking.empty(first.coverage)
        rows = self.index.rows(ids)
        scores = np.where(rows.quotable, scores, -np.inf)
        depth = min(RERANK_DEPTH, int(np.isfinite(scores).sum()))
        if depth == 0:
            return Ranking.empty(first.coverage)
        top = np.argpartition(-scores, depth - 1)[:depth]
        top = top[np.lexsort((ids[top], -scores[top]))]
        # 2. The best of them in order of word-piece match (ties keep stage 1's order).
        match, lead, asked_match = self._matches(query.embedded, ids[top])
        order_by = np.minimum(1.0, match + LEAD_SENTENCE * lead).astype(np.float32)
        by_match = np.argsort(-order_by, kind="stable")
        order, match, order_by = top[by_match], match[by_match], order_by[by_match]
        asked_match = asked_match[by_match]
        confidence = float(asked_match[0])
        if context is not None:
            # A follow-up leaves its subject to the earlier turn: judge the answer by both.
            both = Embedded(
                query.embedded.vector,
                np.concatenate([query.embedded.tokens, context.embedded.tokens]),
                np.concatenate([query.embedded.ids, context.embedded.ids]),
            )
            confidence = max(confidence, float(self._matches(both, ids[order[:1]])[2][0]))
        return Ranking(
            sentences=ids[order],
            scores=order_by,
            match=match,
            asked_match=asked_match,
            dense=dense[order],
            lexical=lexical[order],
            passage=passage[order],
            stage1=scores[order],
            coverage=first.coverage,
            confidence=confidence,
            best_cosine=float(np.max(dense[np.isfinite(scores)])),
        )


_LIST_MARKER = re.compile(r"[ \t]*(?:[-*+\u2022]|\(?\d{1,3}[.)]|\(?[a-z][.)])[ \t]")


def _in_list_item(text: str, start: int) -> bool:
    """Whether the paragraph holding ``text[start]`` is a list item ("- ", "* ", "1. ", "a) ")."""
    gap = text.rfind("\n\n", 0, start)
    paragraph = gap + 2 if gap >= 0 else 0
    return bool(_LIST_MARKER.match(text, paragraph, start + 1))


def _on(target: np.ndarray, ids: np.ndarray, values: np.ndarray, fill: float = 0.0) -> np.ndarray:
    """``values`` (aligned with sorted ``ids``) spread over sorted ``target``; ``fill`` elsewhere."""
    out = np.full(len(target), fill, dtype=np.float32)
    at = np.searchsorted(target, ids)
    out[at] = values
    return out
