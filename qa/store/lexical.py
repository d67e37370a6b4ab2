"""BM25 over sentences (bm25s)."""

from __future__ import annotations

import logging
from pathlib import Path

import bm25s
import numpy as np

logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets itself to DEBUG

# Sentences are short: saturate term frequency early (k1) and normalise length
# gently (b), as short passages call for; measured on SQuAD in BENCHMARKS.md.
K1 = 0.9
B = 0.4


class Lexical:
    """A BM25 index over a list of texts, scored for every text at once."""

    def __init__(self, model: bm25s.BM25) -> None:
        self.model = model
        indptr = np.asarray(model.scores["indptr"])
        df = np.diff(indptr).astype(np.float64)
        n = float(model.scores["num_docs"])
        self.idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
        self.size = int(n)

    @classmethod
    def build(cls, token_lists: list[list[str]]) -> Lexical:
        model = bm25s.BM25(k1=K1, b=B)
        # An empty text still needs a row; "" is bm25s's placeholder token.
        model.index([tokens or [""] for tokens in token_lists] or [[""]], show_progress=False)
        return cls(model)

    def save(self, folder: Path) -> None:
        self.model.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> Lexical:
        return cls(bm25s.BM25.load(str(folder), show_progress=False, mmap=False))

    def term_ids(self, tokens: list[str]) -> list[int]:
        vocab = self.model.vocab_dict
        return [vocab[t] for t in dict.fromkeys(tokens) if t in vocab and t != ""]

    def contains(self, term_ids: list[int], doc: int) -> np.ndarray:
        """Which of the terms occur in text number ``doc``."""
        indptr, indices = self.model.scores["indptr"], self.model.scores["indices"]
        return np.array([bool(np.any(indices[indptr[t] : indptr[t + 1]] == doc)) for t in term_ids], dtype=bool)

    def scores(self, term_ids: list[int]) -> np.ndarray:
        """BM25 score of every indexed text for a query's term ids."""
        if not term_ids:
            return np.zeros(self.size, dtype=np.float32)
        return self.model.get_scores_from_ids(term_ids).astype(np.float32)
