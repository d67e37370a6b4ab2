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

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from qa.store.folder.files import load_array, save_array

# Sentences are short: saturate term frequency early (k1) and normalise length gently
# (b), as short passages call for; measured on SQuAD in BENCHMARKS.md.
K1 = 0.9
B = 0.4
SUFFIXES = ("terms", "indptr", "units", "weights")
# Up to this many postings a question's lists are merged whole; above it, MaxScore prunes.
MERGE_ALL = 20_000


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
        if not (
            len(self.indptr) == len(self.terms) + 1
            and int(self.indptr[-1]) == len(self.units_of) == len(self.weights)
            and self.terms.dtype == np.uint64
            and self.units_of.dtype == np.int32
        ):
            raise ValueError(f"BM25 arrays {prefix} are inconsistent")

    def columns(self, keys: np.ndarray) -> np.ndarray:
        """The term numbers of the question's term keys that the index holds (each once)."""
        keys = np.unique(np.asarray(keys, dtype=np.uint64))
        if not len(keys) or not len(self.terms):
            return np.zeros(0, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.terms, keys), len(self.terms) - 1)
        return at[self.terms[at] == keys].astype(np.int64)

    def _postings(self, column: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = int(self.indptr[column]), int(self.indptr[column + 1])
        units = np.asarray(self.units_of[a:b])
        if len(units) and (int(units[0]) < 0 or int(units[-1]) >= self.size):
            raise ValueError("a BM25 posting points outside the index")
        return units, np.asarray(self.weights[a:b])

    def top(self, keys: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(unit ids, scores) of the ``k`` best units for the question's terms, best first (ties: lower id).

        Exact, with MaxScore's pruning when the posting lists are long: a unit that holds
        only terms whose largest weights add up to less than the k-th best score found so
        far cannot be among the best, so those terms' lists are only looked up, not merged.
        """
        columns = self.columns(keys)
        if not len(columns) or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        postings = [self._postings(int(c)) for c in columns]
        if sum(len(units) for units, _ in postings) > MERGE_ALL:
            # A first k-th best from the rarest terms' units, then only the terms that can matter.
            rare, held = [], 0
            for i in np.argsort([len(units) for units, _ in postings], kind="stable"):
                rare.append(postings[i][0])
                held += len(postings[i][0])
                if held >= k:
                    break
            seed = np.unique(np.concatenate(rare))
            threshold = float(np.sort(self._sum(postings, seed))[-k]) if len(seed) >= k else 0.0
            bounds = np.array([float(w.max()) if len(w) else 0.0 for _, w in postings])
            by_bound = np.argsort(bounds, kind="stable")
            needless = set(by_bound[np.cumsum(bounds[by_bound]) < threshold].tolist())
            candidates = np.unique(np.concatenate([postings[i][0] for i in range(len(postings)) if i not in needless]))
            scores = self._sum(postings, candidates)
            touched = candidates
        else:
            units = np.concatenate([p[0] for p in postings])
            weights = np.concatenate([p[1] for p in postings])
            touched, inverse = np.unique(units, return_inverse=True)
            scores = np.bincount(inverse, weights=weights, minlength=len(touched)).astype(np.float32)
        return _best(touched.astype(np.int64), scores, k)

    @staticmethod
    def _sum(postings: list[tuple[np.ndarray, np.ndarray]], ids: np.ndarray) -> np.ndarray:
        """Each of ``ids``' score: its weights summed over the posting lists that hold it (as merging does)."""
        out = np.zeros(len(ids), dtype=np.float64)
        for units, weights in postings:
            if not len(units):
                continue
            at = np.minimum(np.searchsorted(units, ids), len(units) - 1)
            hit = units[at] == ids
            out[hit] += weights[at[hit]]
        return out.astype(np.float32)

    def scores(self, keys: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """BM25 score of each of ``ids`` (0 where none of the terms occurs)."""
        ids = np.asarray(ids, dtype=np.int64)
        return self._sum([self._postings(int(c)) for c in self.columns(keys)], ids)


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
