"""Nearest vectors by cosine with FAISS: exact below a size, an IVF index with 8-bit codes above it.

The only module that imports faiss. Indexes are memory-mapped when opened, so every
server worker shares one copy through the page cache.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import faiss
import numpy as np

# Up to this many vectors an exact scan takes a few milliseconds: no approximation.
EXACT_MAX = 100_000
# IVF: about 4 * sqrt(n) lists, each question scanning enough of them to find the
# nearest candidates reliably (recall is measured in BENCHMARKS.md).
LISTS_PER_ROOT = 4
PROBE_SHARE = 1 / 32
MIN_PROBES = 24
TRAIN_PER_LIST = 40
CHUNK = 65536


def build(path: Path, count: int, dimension: int, vectors: Callable[[int, int], np.ndarray]) -> str:
    """Write an index of ``count`` vectors read by ``vectors(begin, end)`` a chunk at a time.

    Returns:
        The kind of index written: "exact" or "ivf".
    """
    if count <= EXACT_MAX:
        index: faiss.Index = faiss.IndexFlatIP(dimension)
        kind = "exact"
    else:
        lists = int(LISTS_PER_ROOT * math.sqrt(count))
        quantizer = faiss.IndexFlatIP(dimension)
        index = faiss.IndexIVFScalarQuantizer(
            quantizer, dimension, lists, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
        )
        # Train on an even spread of the vectors, read chunk by chunk.
        step = max(1, count // (lists * TRAIN_PER_LIST))
        sample = np.concatenate(
            [vectors(b, min(b + CHUNK, count))[(-b) % step :: step] for b in range(0, count, CHUNK)]
        )
        index.train(np.ascontiguousarray(sample, dtype=np.float32))
        kind = "ivf"
    for begin in range(0, count, CHUNK):
        index.add(np.ascontiguousarray(vectors(begin, min(begin + CHUNK, count)), dtype=np.float32))
    faiss.write_index(index, str(path))
    return kind


class Dense:
    """A FAISS index opened memory-mapped."""

    def __init__(self, path: Path, count: int, dimension: int) -> None:
        flags = faiss.IO_FLAG_READ_ONLY | faiss.IO_FLAG_MMAP_IFC
        index = faiss.read_index(str(path), flags)
        if isinstance(index, faiss.IndexIVF):
            index = faiss.read_index(str(path), faiss.IO_FLAG_READ_ONLY | faiss.IO_FLAG_MMAP)
            ivf = faiss.extract_index_ivf(index)
            ivf.nprobe = max(MIN_PROBES, int(ivf.nlist * PROBE_SHARE))
        if int(index.ntotal) != count or int(index.d) != dimension:
            raise ValueError(f"{path.name} holds {index.ntotal} vectors of {index.d}, not {count} of {dimension}")
        self.index = index

    def search(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(ids, cosines) of the ``k`` nearest vectors, best first."""
        k = min(k, int(self.index.ntotal))
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores, ids = self.index.search(np.ascontiguousarray(vector.reshape(1, -1), dtype=np.float32), k)
        keep = ids[0] >= 0
        return ids[0][keep].astype(np.int64), scores[0][keep]
