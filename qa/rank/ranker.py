"""Hybrid ranking of sentences in two stages: retrieve with dense + BM25 evidence, rerank by word pieces.

Stage 1 scores every sentence. Each signal becomes a z-score over the corpus for this
question, so a weight means the same whatever the corpus::

    DENSE_WEIGHT * z(cos(q, sentence)) + coverage * z(bm25(q, sentence))
      + CONTEXT_WEIGHT * max over the passages holding it of
            [z(cos(q, passage)) + coverage * z(bm25(q, passage))]

``coverage`` is the share of the question's term weight (IDF) found in its best BM25
passage: when a question shares few words with the documents, BM25 ranks noise and
its say shrinks, leaving the dense model in charge.

Stage 2 orders the best RERANK_DEPTH sentences by how well each word piece of the
question finds a counterpart among the sentence's word pieces (the model's contextual
vectors, late interaction as in ColBERT), weighted by the piece's rarity. One vector per
sentence blurs which words matched; this keeps them apart. Stage 1 only chooses the
candidates: mixing its score into the order lowered P@1 on both question sets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa.embed.encoder import Embedded
from qa.split.terms import tokenize
from qa.store.folder import Corpus

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


@dataclass(frozen=True)
class Query:
    """A question prepared for ranking."""

    embedded: Embedded
    term_ids: list[int]
    passage_term_ids: list[int]


@dataclass(frozen=True)
class Ranking:
    """The best sentences, best first, with the evidence used to decide whether to answer."""

    sentences: np.ndarray  # sentence numbers, best first
    scores: np.ndarray  # their word-piece match, 0..1: the order
    dense: np.ndarray  # cosine of each to the question
    coverage: float  # share of the question's term weight found in its best BM25 passage
    confidence: float  # how well the best sentence matches what was asked, 0..1


def _z(x: np.ndarray) -> np.ndarray:
    std = float(x.std()) if len(x) else 0.0
    return (x - float(x.mean())) / std if std > 1e-9 else np.zeros_like(x)


class Ranker:
    """Ranks the sentences of a corpus for a question."""

    def __init__(self, corpus: Corpus, word_mask: np.ndarray | None = None) -> None:
        self.corpus = corpus
        # Punctuation pieces ("?", ",") carry no meaning to match; a question's are ignored.
        self.word_mask = word_mask
        self.sentence_vectors = corpus.sentences.vectors()
        self.passage_vectors = corpus.passages.vectors()
        # For each sentence, the passages that hold it (padded with the last, -inf, slot).
        n, passages = len(corpus), len(corpus.passages)
        owners: list[list[int]] = [[] for _ in range(n)]
        for p, (a, b) in enumerate(zip(corpus.pass_first, corpus.pass_last)):
            for i in range(int(a), int(b) + 1):
                owners[i].append(p)
        width = max((len(o) for o in owners), default=1) or 1
        self.owners = np.full((n, width), passages, dtype=np.int64)
        for i, o in enumerate(owners):
            self.owners[i, : len(o)] = o
        # Rarity of each word piece over the sentences, as BM25's IDF.
        sentence_of = np.repeat(np.arange(n), np.diff(corpus.token_ptr))
        pairs = np.unique(np.stack([corpus.token_ids.astype(np.int64), sentence_of]), axis=1)
        df = np.bincount(pairs[0], minlength=int(corpus.token_ids.max(initial=0)) + 1)
        self.piece_idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
        self.unseen_idf = float(np.log(1.0 + (n + 0.5) / 0.5))

    def query(self, text: str, embedded: Embedded) -> Query:
        tokens = tokenize(text)
        return Query(embedded, self.corpus.lexical.term_ids(tokens), self.corpus.passage_lexical.term_ids(tokens))

    def _coverage(self, query: Query, passage_lex: np.ndarray) -> float:
        """Share of the question's IDF mass present in its best BM25 passage."""
        if not query.passage_term_ids or not len(passage_lex):
            return 0.0
        lexical = self.corpus.passage_lexical
        idf = lexical.idf[query.passage_term_ids]
        present = lexical.contains(query.passage_term_ids, int(np.argmax(passage_lex)))
        return float(idf[present].sum() / max(float(idf.sum()), 1e-9))

    def _stage1(self, query: Query) -> tuple[np.ndarray, np.ndarray, float]:
        """Scores of every sentence; their cosines to the question; coverage."""
        vector = query.embedded.vector
        dense = self.sentence_vectors @ vector
        passage_dense = self.passage_vectors @ vector
        lex = self.corpus.lexical.scores(query.term_ids)
        passage_lex = self.corpus.passage_lexical.scores(query.passage_term_ids)
        coverage = self._coverage(query, passage_lex)
        passage = np.append(_z(passage_dense) + coverage * _z(passage_lex), -np.inf)
        context = passage[self.owners].max(axis=1)
        scores = DENSE_WEIGHT * _z(dense) + coverage * _z(lex) + CONTEXT_WEIGHT * context
        return scores, dense, coverage

    def _best_cosines(self, query: Embedded, sentences: list[int]) -> np.ndarray:
        """(sentences, question pieces): each piece's best cosine among a sentence's pieces."""
        ptr = self.corpus.token_ptr
        spans = [(int(ptr[i]), int(ptr[i + 1])) if i >= 0 else (0, 0) for i in sentences]
        lengths = np.array([b - a for a, b in spans])
        best = np.zeros((len(sentences), len(query.ids)), dtype=np.float32)
        if not lengths.sum():
            return best
        pieces = np.concatenate([np.asarray(self.corpus.tokens[a:b]) for a, b in spans]).astype(np.float32)
        sims = query.tokens @ pieces.T  # (question pieces, all sentences' pieces)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        filled = lengths > 0
        best[filled] = np.maximum.reduceat(sims, starts[filled], axis=1).T
        return best

    def token_match(self, query: Embedded, sentences: np.ndarray) -> np.ndarray:
        """How well each sentence (or, discounted, the one before it) holds the question's pieces.

        The IDF-weighted mean, over the question's word pieces, of each piece's best cosine.
        """
        if not len(query.ids) or not len(sentences):
            return np.zeros(len(sentences), dtype=np.float32)
        docs = self.corpus.sent_doc
        previous = [int(i) - 1 if i > 0 and docs[i - 1] == docs[i] else -1 for i in sentences]
        best = np.maximum(
            self._best_cosines(query, [int(i) for i in sentences]),
            PREVIOUS_SENTENCE * self._best_cosines(query, previous),
        )
        ids = query.ids
        weights = np.where(
            ids < len(self.piece_idf), self.piece_idf[np.minimum(ids, len(self.piece_idf) - 1)], self.unseen_idf
        )
        if self.word_mask is not None:
            weights = weights * self.word_mask[np.minimum(ids, len(self.word_mask) - 1)]
        return (best @ weights / max(float(weights.sum()), 1e-9)).astype(np.float32)

    def rank(self, query: Query, context: Query | None = None) -> Ranking:
        """Rank the quotable sentences; ``context`` is the turn a follow-up refers to."""
        # 1. Every sentence, by dense, BM25 and passage evidence (and the earlier turn's).
        scores, dense, coverage = self._stage1(query)
        if context is not None:
            scores = scores + self._stage1(context)[0]
        scores = np.where(self.corpus.quotable, scores, -np.inf)
        depth = min(RERANK_DEPTH, int(np.isfinite(scores).sum()))
        if depth == 0:
            empty = np.zeros(0, dtype=np.float32)
            return Ranking(np.zeros(0, dtype=np.int64), empty, empty, coverage, 0.0)
        candidates = np.argpartition(-scores, depth - 1)[:depth]
        candidates = candidates[np.argsort(-scores[candidates], kind="stable")]
        # 2. The best of them in order of word-piece match (ties keep stage 1's order).
        match = self.token_match(query.embedded, candidates)
        order = np.argsort(-match, kind="stable")
        best = candidates[order]
        confidence = float(match[order[0]])
        if context is not None:
            # A follow-up leaves its subject to the earlier turn: judge the answer by both.
            both = Embedded(
                query.embedded.vector,
                np.concatenate([query.embedded.tokens, context.embedded.tokens]),
                np.concatenate([query.embedded.ids, context.embedded.ids]),
            )
            confidence = max(confidence, float(self.token_match(both, best[:1])[0]))
        return Ranking(best, match[order], dense[best], coverage, confidence)
