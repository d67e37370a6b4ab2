"""Compress word-piece vectors for the rerank: product quantisation, 1 byte per sub-vector.

A sentence has about 30 word pieces of 384 floats: 46 KB as float32, far too much to
keep for a million sentences. Product quantisation (Jégou et al. 2011, as in FAISS and
ColBERT's PLAID) splits each vector into ``parts`` sub-vectors and stores, for each,
the number of its nearest of 256 centroids: ``parts`` bytes a piece. Decoding is a
table look-up, so the rerank decodes only the few sentences it compares.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

CENTROIDS = 256  # one byte a code
# Vectors encoded at a time: their (rows, 256) table of scores (512 KB) stays in cache.
ENCODE_ROWS = 512


class PieceCodec:
    """Product quantiser for L2-normalised word-piece vectors.

    Args:
        centroids: float32 (parts, 256, dimension // parts).
    """

    def __init__(self, centroids: np.ndarray) -> None:
        self.centroids = np.ascontiguousarray(centroids, dtype=np.float32)
        self.parts, self.size, self.sub = self.centroids.shape
        self.dimension = self.parts * self.sub
        self.digest = hashlib.sha256(self.centroids.tobytes()).hexdigest()[:16]
        self._half_norms = (self.centroids**2).sum(-1) / 2  # (parts, 256)
        self._transposed = np.ascontiguousarray(self.centroids.transpose(0, 2, 1))

    @classmethod
    def train(cls, vectors: np.ndarray, parts: int, seed: int = 1234) -> PieceCodec:
        """Fit the centroids to a sample of word-piece vectors (k-means per sub-space)."""
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if len(vectors) < CENTROIDS:  # too few to fit 256 centroids: repeat them, slightly shaken
            rng = np.random.default_rng(seed)
            copies = np.resize(vectors, (CENTROIDS, vectors.shape[1]))
            vectors = (copies + rng.normal(0.0, 1e-3, copies.shape)).astype(np.float32)
        dimension = vectors.shape[1]
        if dimension % parts:
            raise ValueError(f"{dimension} dimensions do not split into {parts} parts")
        pq = faiss.ProductQuantizer(dimension, parts, 8)
        pq.cp.seed = seed
        pq.cp.max_points_per_centroid = 1000
        pq.cp.verbose = False
        pq.cp.min_points_per_centroid = 1  # a small first build trains on what it has
        pq.train(vectors)
        centroids = faiss.vector_to_array(pq.centroids).reshape(parts, CENTROIDS, dimension // parts)
        return cls(centroids)

    def encode(self, vectors: np.ndarray) -> np.ndarray:
        """uint8 (n, parts): the nearest centroid of each sub-vector."""
        out = np.empty((len(vectors), self.parts), dtype=np.uint8)
        x = np.asarray(vectors, dtype=np.float32).reshape(len(vectors), self.parts, self.sub)
        table = np.empty((ENCODE_ROWS, self.size), dtype=np.float32)  # stays in cache, reused
        for begin in range(0, len(x), ENCODE_ROWS):
            chunk = x[begin : begin + ENCODE_ROWS]
            for p in range(self.parts):
                # argmin |x - c|^2 = argmax (x.c - |c|^2 / 2)
                scores = np.matmul(chunk[:, p], self._transposed[p], out=table[: len(chunk)])
                scores -= self._half_norms[p]
                out[begin : begin + len(chunk), p] = scores.argmax(axis=1)
        return out

    def decode(self, codes: np.ndarray) -> np.ndarray:
        """float32 (n, dimension): each piece rebuilt from its centroids."""
        codes = np.asarray(codes)
        flat = self.centroids.reshape(self.parts * self.size, self.sub)
        rows = codes.astype(np.intp) + np.arange(self.parts) * self.size
        return flat.take(rows.reshape(-1), axis=0).reshape(len(codes), self.dimension)

    def save(self, path: Path) -> None:
        with open(path, "wb") as handle:  # a handle: np.save would add ".npy" to other names
            np.save(handle, self.centroids.astype(np.float32), allow_pickle=False)

    @classmethod
    def load(cls, path: Path) -> PieceCodec:
        centroids = np.load(path, allow_pickle=False)
        if centroids.ndim != 3 or centroids.shape[1] != CENTROIDS:
            raise ValueError(f"{path} is not a word-piece codebook")
        return cls(centroids)


CODEBOOKS = Path(__file__).with_name("codebooks")


def default_codec(model: str, dimension: int) -> PieceCodec | None:
    """The codebook shipped for ``model``, if any (else a build trains one on its first sentences)."""
    path = CODEBOOKS / f"{model}.npy"
    if not path.is_file():
        return None
    codec = PieceCodec.load(path)
    return codec if codec.dimension == dimension else None
