"""The dense vector index: FAISS inner product over L2-normalised vectors."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np


class VectorIndex:
    """Exact cosine search over a fixed set of vectors (FAISS IndexFlatIP)."""

    def __init__(self, index: faiss.Index) -> None:
        self.index = index

    @classmethod
    def build(cls, vectors: np.ndarray, dimension: int) -> VectorIndex:
        index = faiss.IndexFlatIP(dimension)
        if len(vectors):
            index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return cls(index)

    def __len__(self) -> int:
        return int(self.index.ntotal)

    @property
    def dimension(self) -> int:
        return int(self.index.d)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of the ``k`` nearest vectors to one query vector, best first."""
        k = min(k, len(self))
        if k == 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        scores, ids = self.index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k)
        return scores[0], ids[0]

    def vectors(self) -> np.ndarray:
        """All stored vectors, in insertion order."""
        if len(self) == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        start = self.index.get_xb()  # type: ignore[attr-defined]  # flat indexes hold raw floats
        return faiss.rev_swig_ptr(start, len(self) * self.dimension).reshape(len(self), self.dimension)

    def save(self, path: Path) -> None:
        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path) -> VectorIndex:
        return cls(faiss.read_index(str(path)))
