"""Nearest vectors by cosine with FAISS, by size: a float scan, an 8-bit scan, then IVF with 8-bit codes.

A question's cost is mostly reading the vectors it compares: a float32 scan reads 1.5 KB
a vector (30 MB, about 3 ms, at FLOAT_MAX); an 8-bit scan decodes about 12 million
vectors a second with 99 of the float scan's best 30 in every 100 (4 ms at EXACT_MAX);
IVF reads only the lists near the question (under 1 ms at 135k vectors, 0.97 of the
best 30 on documentation questions).

The only module that imports faiss. Indexes are memory-mapped when opened, so every
server worker shares one copy through the page cache.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

# Up to this many vectors a float32 scan costs a few milliseconds: no approximation.
FLOAT_MAX = 20_000
# Up to this many an 8-bit scan still does; above it, IVF.
EXACT_MAX = 50_000
# IVF: about 4 * sqrt(n) lists, each question scanning enough of them to find the
# nearest candidates reliably (recall is measured in BENCHMARKS.md).
LISTS_PER_ROOT = 4
PROBE_SHARE = 1 / 32
MIN_PROBES = 24
TRAIN_PER_LIST = 40
# An update keeps the previous version's trained lists while the corpus has changed by
# less than half of what they were trained on (and their number still suits its size).
RETRAIN_SHARE = 0.5
CHUNK = 65536


@dataclass(frozen=True)
class Training:
    """What an IVF index's lists were trained on: how many vectors, and how many came new since."""

    trained_on: int
    new_since: int

    def as_dict(self) -> dict:
        return {"trained_on": self.trained_on, "new_since": self.new_since}


def kind_for(count: int) -> str:
    return "exact" if count <= FLOAT_MAX else "flat-sq8" if count <= EXACT_MAX else "ivf"


def build(
    path: Path,
    count: int,
    dimension: int,
    vectors: Callable[[int, int], np.ndarray],
    previous: tuple[Path, Training] | None = None,
    new: int = 0,
    carried: Callable[[int, int], np.ndarray] | None = None,
) -> tuple[str, Training | None]:
    """Write an index of ``count`` vectors read by ``vectors(begin, end)`` a chunk at a time.

    Args:
        previous: the previous version's IVF index and its training, to reuse its lists.
        new: how many of the vectors were not in the previous version.
        carried: for vectors ``begin`` to ``end``, their ids in the previous version (-1
            for new ones): a carried-over vector goes to the list it was in, unsearched.

    Returns:
        The kind of index written ("exact", "flat-sq8" or "ivf") and, for IVF, its training.
    """
    kind = kind_for(count)
    training: Training | None = None
    lists_of: np.ndarray | None = None
    ivf: faiss.IndexIVF | None = None
    if kind == "exact":
        index: faiss.Index = faiss.IndexFlatIP(dimension)
    elif kind == "flat-sq8":
        index = faiss.IndexScalarQuantizer(dimension, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
        index.train(_sample(count, vectors, count // 8))
    else:
        lists = min(count, int(LISTS_PER_ROOT * math.sqrt(count)))
        reused = _reused(previous, lists, dimension, new)
        if reused is not None:
            ivf, training, lists_of = reused
        else:
            ivf, training = _trained(count, dimension, lists, vectors)
        index = ivf
    for begin in range(0, count, CHUNK):
        chunk = np.ascontiguousarray(vectors(begin, min(begin + CHUNK, count)), dtype=np.float32)
        if ivf is None or lists_of is None or carried is None:
            index.add(chunk)
            continue
        # Assigning a vector to its nearest list is most of the cost of adding it.
        before = np.asarray(carried(begin, begin + len(chunk)), dtype=np.int64)
        known = (before >= 0) & (before < len(lists_of))
        assign = np.full(len(chunk), -1, dtype=np.int64)
        assign[known] = lists_of[before[known]]
        todo = assign < 0
        if todo.any():
            _, nearest = ivf.quantizer.search(chunk[todo], 1)
            assign[todo] = nearest[:, 0]
        ivf.add_core(len(chunk), faiss.swig_ptr(chunk), None, faiss.swig_ptr(assign))
    try:
        faiss.write_index(index, str(path))
    except RuntimeError as exc:  # FAISS reports a failed write (a full disk) as a C++ error
        raise OSError(f"cannot write {path.name}: {str(exc).rsplit(': ', 1)[-1]}") from None
    return kind, training


def _trained(
    count: int, dimension: int, lists: int, vectors: Callable[[int, int], np.ndarray]
) -> tuple[faiss.IndexIVF, Training]:
    quantizer = faiss.IndexFlatIP(dimension)
    index = faiss.IndexIVFScalarQuantizer(
        quantizer, dimension, lists, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
    )
    index.train(_sample(count, vectors, lists * TRAIN_PER_LIST))
    return index, Training(count, 0)


def _reused(
    previous: tuple[Path, Training] | None, lists: int, dimension: int, new: int
) -> tuple[faiss.IndexIVF, Training, np.ndarray] | None:
    """The previous version's IVF index emptied of its vectors, when its lists still fit,
    with the list each of its vectors was in."""
    if previous is None:
        return None
    path, training = previous
    changed = training.new_since + new
    if changed > RETRAIN_SHARE * training.trained_on:
        return None
    try:
        index = faiss.read_index(str(path))
    except RuntimeError:
        return None
    if not isinstance(index, faiss.IndexIVF) or index.d != dimension or not lists / 2 <= index.nlist <= lists * 2:
        return None
    stored = index.invlists
    if stored is None:
        return None
    lists_of = np.full(index.ntotal, -1, dtype=np.int64)
    for number in range(index.nlist):
        size = stored.list_size(number)
        if size:
            lists_of[faiss.rev_swig_ptr(stored.get_ids(number), size)] = number
    index.reset()
    return index, Training(training.trained_on, changed), lists_of


def _sample(count: int, vectors: Callable[[int, int], np.ndarray], size: int) -> np.ndarray:
    """About ``size`` vectors spread evenly over the whole set, read chunk by chunk.

    Each chunk's rows are copied out, so the chunk itself is freed before the next is read.
    """
    step = max(1, count // max(size, 1))
    parts = [np.array(vectors(b, min(b + CHUNK, count))[(-b) % step :: step]) for b in range(0, count, CHUNK)]
    return np.ascontiguousarray(np.concatenate(parts), dtype=np.float32)


class Dense:
    """A FAISS index opened memory-mapped."""

    def __init__(self, path: Path, count: int, dimension: int, kind: str | None = None) -> None:
        # The manifest names the kind; without it, a first read tells (and, for IVF, loads every list).
        if kind != "ivf":
            index = faiss.read_index(str(path), faiss.IO_FLAG_READ_ONLY | faiss.IO_FLAG_MMAP_IFC)
        if kind == "ivf" or isinstance(index, faiss.IndexIVF):
            index = faiss.read_index(str(path), faiss.IO_FLAG_READ_ONLY | faiss.IO_FLAG_MMAP)
            ivf = faiss.extract_index_ivf(index)
            ivf.nprobe = max(MIN_PROBES, int(ivf.nlist * PROBE_SHARE))
            # Mapped lists are read in place; FAISS's default of 32 prefetch threads per
            # question costs 2-3 ms and buys nothing once the file is in the page cache.
            lists = faiss.downcast_InvertedLists(ivf.invlists) if ivf.invlists is not None else None
            if lists is not None and hasattr(lists, "prefetch_nthread"):
                lists.prefetch_nthread = 0
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
