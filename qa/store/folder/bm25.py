"""BM25 over the units of an index, as memory-mapped posting lists (the layout bm25s uses, keyed by term hash).

Files, under a name prefix:

    <prefix>.terms.npy    uint64 (terms,)       sorted term keys (qa.split.terms.term_key)
    <prefix>.indptr.npy   int64 (terms + 1,)    term t's postings are [indptr[t], indptr[t + 1])
    <prefix>.units.npy    int32 (postings,)     unit ids, ascending within a term
    <prefix>.weights.npy  float32 (postings,)   the BM25 contribution of the term to the unit

Scores are Lucene's BM25: idf(t) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avglen)),
idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5)), precomputed per posting as bm25s does, so a
question's scores are sums over its terms' posting lists: never a pass over every unit
for a rare term, and a top-k from only the units that hold a question term.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.store.base import locate
from qa.store.folder.files import load_array, save_array

# Sentences are short: saturate term frequency early (k1) and normalise length gently
# (b), as short passages call for; measured on SQuAD in BENCHMARKS.md.
K1 = 0.9
B = 0.4
SUFFIXES = ("terms", "indptr", "units", "weights")


def build(folder: Path, prefix: str, chunks: Iterable[tuple[np.ndarray, np.ndarray]], units: int) -> None:
    """Write the BM25 arrays of ``units`` units.

    Args:
        chunks: (unit id of each term occurrence, term key of each occurrence) arrays,
            in any order and any number of pieces.
        units: how many units there are (ids 0 .. units - 1).
    """
    unit_parts, key_parts = [], []
    for unit_ids, keys in chunks:
        unit_parts.append(np.asarray(unit_ids, dtype=np.int64))
        key_parts.append(np.asarray(keys, dtype=np.uint64))
    all_units = np.concatenate(unit_parts) if unit_parts else np.zeros(0, np.int64)
    all_keys = np.concatenate(key_parts) if key_parts else np.zeros(0, np.uint64)
    del unit_parts, key_parts
    vocabulary, term = np.unique(all_keys, return_inverse=True)
    del all_keys
    # One code per (term, unit) pair: sorting the codes sorts by term, then unit.
    codes, tf = np.unique(term.astype(np.int64) * max(units, 1) + all_units, return_counts=True)
    del term
    lengths = np.bincount(all_units, minlength=units).astype(np.float32)
    del all_units
    pair_term = codes // max(units, 1)
    pair_unit = (codes % max(units, 1)).astype(np.int32)
    df = np.bincount(pair_term, minlength=len(vocabulary))
    indptr = np.concatenate([[0], np.cumsum(df)]).astype(np.int64)
    n = float(max(units, 1))
    idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
    average = float(lengths.mean()) if units else 1.0
    norm = K1 * (1.0 - B + B * lengths[pair_unit] / max(average, 1e-9))
    weights = (idf[pair_term] * tf * (K1 + 1.0) / (tf + norm)).astype(np.float32)
    save_array(folder / f"{prefix}.terms.npy", vocabulary.astype(np.uint64))
    save_array(folder / f"{prefix}.indptr.npy", indptr)
    save_array(folder / f"{prefix}.units.npy", pair_unit)
    save_array(folder / f"{prefix}.weights.npy", weights)


class BM25:
    """A BM25 index opened from its files (memory-mapped)."""

    def __init__(self, folder: Path, prefix: str, units: int) -> None:
        self.terms = load_array(folder / f"{prefix}.terms.npy")
        self.indptr = load_array(folder / f"{prefix}.indptr.npy")
        self.units_of = load_array(folder / f"{prefix}.units.npy")
        self.weights = load_array(folder / f"{prefix}.weights.npy")
        self.size = units
        self._last = threading.local()
        if not (
            len(self.indptr) == len(self.terms) + 1
            and int(self.indptr[-1]) == len(self.units_of) == len(self.weights)
            and self.terms.dtype == np.uint64
            and self.units_of.dtype == np.int32
        ):
            raise ValueError(f"BM25 arrays {prefix} are inconsistent")

    def columns(self, keys: np.ndarray) -> np.ndarray:
        """The term numbers of the question's term keys that the index holds (each once)."""
        at, held = locate(self.terms, np.unique(np.asarray(keys, dtype=np.uint64)))
        return at[held].astype(np.int64)

    def frequencies(self, keys: np.ndarray) -> np.ndarray:
        """How many units hold each term key (0 for a term the index does not hold)."""
        at, held = locate(self.terms, np.asarray(keys, dtype=np.uint64))
        return np.where(held, np.asarray(self.indptr[at + 1]) - np.asarray(self.indptr[at]), 0).astype(np.int64)

    def _postings(self, column: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = int(self.indptr[column]), int(self.indptr[column + 1])
        units = np.asarray(self.units_of[a:b])
        if len(units) and (int(units[0]) < 0 or int(units[-1]) >= self.size):
            raise ValueError("a BM25 posting points outside the index")
        return units, np.asarray(self.weights[a:b])

    def _accumulate(self, keys: np.ndarray) -> _Scored:
        """Every unit's score for the question's terms, from their posting lists only.

        The last question's scores are kept per thread: the ranker asks for the top, then
        for the scores of candidates and of the sample, of the same question.
        """
        columns = self.columns(keys)
        cached = getattr(self._last, "scored", None)
        if cached is not None and np.array_equal(cached.columns, columns):
            return cached
        postings = [self._postings(int(c)) for c in columns]
        units = np.concatenate([u for u, _ in postings]) if postings else np.zeros(0, np.int32)
        weights = np.concatenate([w for _, w in postings]) if postings else np.zeros(0, np.float32)
        # One float64 slot per unit, written only where a posting points (the rest stays
        # untouched zero pages); summed in float64 as a merge would.
        scores = np.bincount(units, weights=weights, minlength=self.size)
        scored = _Scored(columns, units, scores)
        self._last.scored = scored
        return scored

    def top(self, keys: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(unit ids, scores) of the ``k`` best units for the question's terms, best first (ties: lower id).

        Exact. A unit appears once per question term it holds, so the ``k * terms`` best
        postings by their unit's score hold at least ``k`` units, and every unit scoring
        at least the ``k``-th best: only those are sorted.
        """
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scored = self._accumulate(keys)
        units, per_posting = scored.units, scored.scores[scored.units]
        enough = k * len(scored.columns)
        if len(units) > enough:
            at_least = np.partition(per_posting, len(units) - enough)[len(units) - enough]
            units = units[per_posting >= at_least]
        touched = np.unique(units).astype(np.int64)
        return _best(touched, scored.scores[touched].astype(np.float32), k)

    def scores(self, keys: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """BM25 score of each of ``ids`` (0 where none of the terms occurs)."""
        ids = np.asarray(ids, dtype=np.int64)
        scores = self._accumulate(keys).scores
        inside = (ids >= 0) & (ids < len(scores))
        return np.where(inside, scores[np.where(inside, ids, 0)], 0.0).astype(np.float32)


@dataclass(frozen=True)
class _Scored:
    """One question's terms (column numbers), their postings' units, and every unit's score."""

    columns: np.ndarray
    units: np.ndarray
    scores: np.ndarray


def _best(ids: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best (ids, scores), best first; equal scores in id order, also at the k-th place."""
    k = min(k, len(ids))
    if k <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    kth = np.partition(scores, len(scores) - k)[len(scores) - k]
    above = np.flatnonzero(scores > kth)
    tied = np.flatnonzero(scores == kth)
    pick = np.concatenate([above, tied[np.argsort(ids[tied], kind="stable")][: k - len(above)]])
    pick = pick[np.lexsort((ids[pick], -scores[pick]))]
    return ids[pick], scores[pick]


def files(prefix: str) -> list[str]:
    return [f"{prefix}.{suffix}.npy" for suffix in SUFFIXES]
