"""The seam between ranking and storage: what the ranker may ask of an index, whatever engine holds it.

An index holds three kinds of unit, each with a dense vector and (for the first two)
BM25 over its text:

- ``SENTENCES``: the quotable units. Ids of one document's sentences are consecutive,
  in document order, so ``id - 1`` is the previous sentence when it has the same document.
- ``PASSAGES``: overlapping windows of consecutive sentences under one heading, with that
  heading's text: evidence about the sentences they hold.
- ``CONTEXTS``: heading paths and definition terms ("os › os.makedirs(name, ...)") that
  govern sentences: evidence, never quoted. Dense vectors and word pieces only.

The ranker asks for candidates (``dense``, ``lexical``), then for features of those
candidates only (``vectors``, ``lexical_scores``, ``pieces``, ``rows``,
``passages_holding``), and for a fixed random ``sample`` of each kind to normalise
scores as over the whole corpus. It never touches arrays that only one engine has:
the folder index (FAISS, BM25 arrays, SQLite) and Milvus both implement this protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from qa.read.document import Document

SENTENCES = "sentences"
PASSAGES = "passages"
CONTEXTS = "contexts"


@dataclass(frozen=True)
class Hits:
    """Candidates, best first: ids and their scores (cosine for dense, BM25 for lexical)."""

    ids: np.ndarray  # int64
    scores: np.ndarray  # float32

    @staticmethod
    def empty() -> Hits:
        return Hits(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))


@dataclass(frozen=True)
class Rows:
    """Where sentences are: one entry per id asked for, in that order."""

    document: list[str]  # document name
    start: np.ndarray  # int64 character offsets in the document's text
    end: np.ndarray
    quotable: np.ndarray  # bool: False for page furniture
    context: np.ndarray  # int64 context id, -1 when none governs the sentence
    found: np.ndarray  # bool: False for ids the index does not hold


@dataclass(frozen=True)
class Pieces:
    """A unit's word pieces: vocabulary ids and (decoded, approximately normalised) vectors."""

    ids: np.ndarray  # int32 (pieces,)
    vectors: np.ndarray  # float32 (pieces, dimension)


@dataclass(frozen=True)
class Moments:
    """Mean and covariance of a sample's unit vectors: the mean and spread of their cosines
    to any question, without touching them (mean · q and sqrt(qᵀ C q), exactly).

    A question's z-scores need those two figures; computed from the 4,096 sample vectors
    they read 6 MB per kind per question, from the moments 0.6 MB.
    """

    mean: np.ndarray  # float32 (dimension,)
    covariance: np.ndarray  # float32 (dimension, dimension), population (ddof 0)

    @staticmethod
    def of(vectors: np.ndarray) -> Moments:
        vectors = np.asarray(vectors, dtype=np.float64)
        if not len(vectors):
            dimension = vectors.shape[1] if vectors.ndim == 2 else 0
            return Moments(np.zeros(dimension, np.float32), np.zeros((dimension, dimension), np.float32))
        mean = vectors.mean(axis=0)
        centered = vectors - mean
        covariance = centered.T @ centered / len(vectors)
        return Moments(mean.astype(np.float32), covariance.astype(np.float32))

    def packed(self) -> np.ndarray:
        """(dimension + 1, dimension): the mean, then the covariance's rows (how a version stores them)."""
        return np.vstack([self.mean[None, :], self.covariance]).astype(np.float32)

    @staticmethod
    def unpacked(array: np.ndarray, dimension: int) -> Moments:
        """Raises ValueError when ``array`` is not moments of ``dimension``-sized vectors."""
        array = np.asarray(array, dtype=np.float32)
        if array.shape != (dimension + 1, dimension) or not np.isfinite(array).all():
            raise ValueError("not the moments of the sample")
        return Moments(array[0].copy(), array[1:].copy())

    def spread(self, vector: np.ndarray) -> tuple[float, float]:
        """(mean, standard deviation) of the sample's cosines to ``vector``."""
        vector = np.asarray(vector, dtype=np.float32)
        variance = float(vector @ self.covariance @ vector)
        return float(self.mean @ vector), max(variance, 0.0) ** 0.5


@dataclass(frozen=True)
class IndexInfo:
    """What an index was built with, and what it holds."""

    model: str
    precision: str
    dimension: int
    documents: int
    sentences: int
    built_at: str
    engine: str  # "folder" or "milvus"
    address: str
    min_confidence: float | None = None  # the answer threshold chosen for this corpus, if any
    documents_root: str = ""  # the documents folder it was built from (absolute), if known


def locate(table: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of ``keys`` is in the sorted ``table`` (a valid index even when absent), and whether it is there."""
    if not len(table):
        return np.zeros(len(keys), dtype=np.int64), np.zeros(len(keys), dtype=bool)
    at = np.minimum(np.searchsorted(table, keys), len(table) - 1)
    return at, table[at] == keys


class Index(Protocol):
    """The read side of an index, as the ranker and the assistant use it."""

    info: IndexInfo

    # -- candidates ------------------------------------------------------------------
    def dense(self, kind: str, vector: np.ndarray, k: int) -> Hits:
        """The ``k`` units of ``kind`` nearest to ``vector`` (cosine), best first."""
        ...

    def lexical(self, kind: str, question: str, k: int) -> Hits:
        """The ``k`` units of ``kind`` with the highest BM25 score for ``question``."""
        ...

    # -- features of given units -----------------------------------------------------
    def vectors(self, kind: str, ids: np.ndarray) -> np.ndarray:
        """float32 (len(ids), dimension) dense vectors."""
        ...

    def lexical_scores(self, kind: str, question: str, ids: np.ndarray) -> np.ndarray:
        """BM25 score of each of ``ids`` for ``question`` (0 where no term matches)."""
        ...

    def term_counts(self, keys: np.ndarray) -> np.ndarray:
        """How many sentences hold each BM25 term (`qa.split.terms.term_key`); 0 where none does."""
        ...

    def pieces(self, kind: str, ids: Sequence[int]) -> list[Pieces]:
        """Word pieces of each unit (an empty `Pieces` for an id the index does not hold)."""
        ...

    def piece_idf(self) -> np.ndarray:
        """float32 per vocabulary id: rarity of the piece over the sentences (BM25's IDF)."""
        ...

    def sample(self, kind: str) -> np.ndarray:
        """A fixed random subset of unit ids (all of them in a small index), for score statistics."""
        ...

    def sample_moments(self, kind: str) -> Moments:
        """Mean and covariance of the ``sample``'s vectors (what ``vectors`` gives for them)."""
        ...

    # -- sentences and documents ----------------------------------------------------
    def rows(self, ids: np.ndarray) -> Rows:
        """Document and offsets of each sentence id."""
        ...

    def passages_holding(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pairs (position in ``ids``, passage id) for every passage holding each sentence."""
        ...

    def passage_sentences(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """First and last sentence id of each passage."""
        ...

    def context_text(self, ids: Sequence[int]) -> list[str]:
        """The text of each context id."""
        ...

    def document(self, name: str) -> Document:
        """A document's text as indexed (verified against its digest).

        Raises:
            DocumentNotFoundError: no document of that name.
            IndexCorruptError: the stored text does not match its digest.
        """
        ...

    def document_names(self) -> list[str]: ...

    # -- life cycle -------------------------------------------------------------------
    def is_current(self) -> bool:
        """False once the live index at the address is another version than this one."""
        ...

    def close(self) -> None: ...
