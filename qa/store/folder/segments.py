"""The embedding cache: what the model made of every sentence text, in immutable segments.

A segment is a folder written once, then renamed into place (so it is whole or absent),
holding for each of its texts, keyed by a 64-bit hash of the text:

    keys.npy        uint64 (n,)            hash of the text
    vectors.npy     int8 (n, dim)          the sentence vector, scaled to ±127 ...
    scales.npy      float32 (n,)           ... by this (cosines within 0.001 of the float vectors)
    piece_ptr.npy   int64 (n + 1,)         text i's word pieces are [ptr[i], ptr[i + 1])
    piece_ids.npy   uint16/int32 (pieces,) vocabulary ids
    piece_codes.npy uint8 (pieces, parts)  product-quantised word-piece vectors
    term_ptr.npy    int64 (n + 1,)         text i's BM25 terms are [ptr[i], ptr[i + 1])
    terms.npy       uint64 (terms,)        hashes of its stemmed terms (with repeats)
    manifest.json   counts, codec and model, and every file's size and SHA-256

Segments are written as embedding goes, a few seconds of work each, so a build that is
killed loses at most the segment in progress; the next build finds the rest by key.
Index versions point into segments by (segment, row); segments no version uses are
removed after a build, and many small ones are merged into one.
"""

from __future__ import annotations

import hashlib
import secrets
import shutil
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.embed.codec import PieceCodec
from qa.embed.encoder import Embedded
from qa.store.folder.files import damaged, load_array, release, save_array, seal

PREFIX = "seg-"
FILES = ("keys", "vectors", "scales", "piece_ptr", "piece_ids", "piece_codes", "term_ptr", "terms")


def text_key(text: str) -> int:
    """A text's 64-bit key (BLAKE2b): a million texts collide with odds of about 1 in 30 million."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


def text_keys(texts: Iterable[str]) -> np.ndarray:
    return np.fromiter((text_key(t) for t in texts), dtype=np.uint64)


class Segment:
    """One complete segment, memory-mapped."""

    def __init__(self, folder: Path, manifest: dict) -> None:
        self.folder = folder
        self.name = folder.name
        self.manifest = manifest
        arrays = {name: load_array(folder / f"{name}.npy") for name in FILES}
        self.keys = arrays["keys"]
        self.codes = arrays["vectors"]
        self.scales = arrays["scales"]
        self.piece_ptr = arrays["piece_ptr"]
        self.piece_ids = arrays["piece_ids"]
        self.piece_codes = arrays["piece_codes"]
        self.term_ptr = arrays["term_ptr"]
        self.terms = arrays["terms"]
        n = len(self.keys)
        if not (
            len(self.codes) == len(self.scales) == n
            and self.codes.dtype == np.int8
            and len(self.piece_ptr) == n + 1
            and len(self.term_ptr) == n + 1
            and int(self.piece_ptr[-1]) == len(self.piece_ids) == len(self.piece_codes)
            and int(self.term_ptr[-1]) == len(self.terms)
            and n == manifest.get("count")
        ):
            raise ValueError(f"segment {folder.name} is inconsistent")

    def __len__(self) -> int:
        return len(self.keys)

    def release(self) -> None:
        """Drop the pages read so far from this process (see `files.release`)."""
        release(self.keys, self.codes, self.scales, self.piece_ptr, self.piece_ids, self.piece_codes)
        release(self.term_ptr, self.terms)

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        """float32 sentence vectors of the given rows."""
        rows = np.asarray(rows, dtype=np.int64)
        return np.asarray(self.codes[rows], dtype=np.float32) * np.asarray(self.scales[rows], dtype=np.float32)[:, None]

    def pieces(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = int(self.piece_ptr[row]), int(self.piece_ptr[row + 1])
        return np.asarray(self.piece_ids[a:b], dtype=np.int32), np.asarray(self.piece_codes[a:b])

    def term_list(self, row: int) -> np.ndarray:
        return np.asarray(self.terms[int(self.term_ptr[row]) : int(self.term_ptr[row + 1])])


class Gather:
    """Reads vectors, word pieces and terms of (segment, row) pairs from a list of segments."""

    def __init__(self, segments: Sequence[Segment]) -> None:
        self.segments = segments

    def release(self) -> None:
        for segment in self.segments:
            segment.release()

    def keys(self, seg: np.ndarray, row: np.ndarray) -> np.ndarray:
        """The text keys of (segment, row) pairs."""
        out = np.empty(len(seg), dtype=np.uint64)
        for s in np.unique(seg):
            mask = seg == s
            out[mask] = self.segments[int(s)].keys[row[mask]]
        return out

    def vectors(self, seg: np.ndarray, row: np.ndarray) -> np.ndarray:
        out = np.empty((len(seg), self.segments[0].codes.shape[1]), dtype=np.float32)
        for s in np.unique(seg):
            mask = seg == s
            out[mask] = self.segments[int(s)].vectors(row[mask])
        return out

    def ragged(self, seg: np.ndarray, row: np.ndarray, ptr: str, data: str) -> tuple[np.ndarray, np.ndarray]:
        """(lengths, concatenated values) of a ragged field for each pair, in the given order."""
        lengths, (values,) = self.ragged_fields(seg, row, ptr, (data,))
        return lengths, values

    def ragged_fields(
        self, seg: np.ndarray, row: np.ndarray, ptr: str, data: Sequence[str]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Like `ragged`, for several fields that share one pointer array (word-piece ids and codes)."""
        seg, row = np.asarray(seg), np.asarray(row, dtype=np.int64)
        lengths = np.zeros(len(seg), dtype=np.int64)
        parts = []
        for s in np.unique(seg):
            mask = np.flatnonzero(seg == s)
            pointers = getattr(self.segments[int(s)], ptr)
            starts = np.asarray(pointers[row[mask]], dtype=np.int64)
            lengths[mask] = np.asarray(pointers[row[mask] + 1], dtype=np.int64) - starts
            parts.append((int(s), mask, starts))
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        out = []
        for name in data:
            values = None
            for s, mask, starts in parts:
                source = getattr(self.segments[s], name)
                if values is None:
                    values = np.empty((int(offsets[-1]), *source.shape[1:]), dtype=source.dtype)
                values[_ranges(offsets[mask], lengths[mask])] = source[_ranges(starts, lengths[mask])]
            out.append(values if values is not None else np.zeros(0, dtype=np.uint64))
        return lengths, out


@dataclass(frozen=True)
class Entry:
    """What is cached for one text."""

    vector: np.ndarray
    piece_ids: np.ndarray
    piece_codes: np.ndarray
    terms: np.ndarray


def write_segment(
    folder: Path,
    keys: np.ndarray,
    embedded: Sequence[Embedded],
    terms: Sequence[np.ndarray],
    codec: PieceCodec,
    identity: dict,
) -> Segment:
    """Write a new segment under ``folder`` atomically; returns it opened."""
    return _write(folder, keys, _entries(embedded, terms, codec), codec, identity)


def _entries(embedded: Sequence[Embedded], terms: Sequence[np.ndarray], codec: PieceCodec) -> list[Entry]:
    # One encode for every piece of the segment: per sentence, the codec's fixed cost
    # per call was twice its arithmetic.
    counts = [len(e.tokens) for e in embedded]
    tokens = [e.tokens for e in embedded if len(e.tokens)]
    codes = codec.encode(np.concatenate(tokens)) if tokens else np.zeros((0, codec.parts), np.uint8)
    bounds = np.concatenate([[0], np.cumsum(counts)]).tolist()
    return [Entry(e.vector, e.ids, codes[a:b], t) for e, t, a, b in zip(embedded, terms, bounds, bounds[1:])]


def _write(folder: Path, keys: np.ndarray, entries: Sequence[Entry], codec: PieceCodec, identity: dict) -> Segment:
    name = f"{PREFIX}{time.strftime('%Y%m%d%H%M%S')}-{secrets.token_hex(4)}"
    tmp = folder / f".tmp-{name}"
    tmp.mkdir(parents=True)
    piece_counts = [len(e.piece_ids) for e in entries]
    term_counts = [len(e.terms) for e in entries]
    dimension = identity["dimension"]
    vectors = np.stack([e.vector for e in entries]).astype(np.float32) if entries else np.zeros((0, dimension))
    codes, scales = quantise(vectors)
    id_type = np.uint16 if identity.get("vocabulary", 1 << 16) <= 1 << 16 else np.int32
    save_array(tmp / "keys.npy", np.asarray(keys, dtype=np.uint64))
    save_array(tmp / "vectors.npy", codes)
    save_array(tmp / "scales.npy", scales)
    save_array(tmp / "piece_ptr.npy", np.concatenate([[0], np.cumsum(piece_counts)]).astype(np.int64))
    save_array(tmp / "piece_ids.npy", _concat([e.piece_ids for e in entries], id_type))
    piece_codes = [e.piece_codes.reshape(-1, codec.parts) for e in entries]
    save_array(
        tmp / "piece_codes.npy", np.concatenate(piece_codes) if piece_codes else np.zeros((0, codec.parts), np.uint8)
    )
    save_array(tmp / "term_ptr.npy", np.concatenate([[0], np.cumsum(term_counts)]).astype(np.int64))
    save_array(tmp / "terms.npy", _concat([e.terms for e in entries], np.uint64))
    manifest = seal(tmp, {**identity, "codec": codec.digest, "count": len(entries)})
    final = folder / name
    tmp.rename(final)
    return Segment(final, manifest)


def _concat(arrays: Sequence[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate([np.asarray(a, dtype=dtype) for a in arrays]) if arrays else np.zeros(0, dtype=dtype)


class Cache:
    """The segments of one model (name, precision, dimension, codec) under ``folder``.

    Args:
        folder: the cache folder for this model.
        codec: the word-piece quantiser segments are written with.
        identity: model name, precision, dimension and vocabulary size; a segment made
            with anything else is not used.
    """

    def __init__(self, folder: Path, codec: PieceCodec, identity: dict) -> None:
        self.folder = folder
        self.codec = codec
        self.identity = identity
        self.segments: list[Segment] = []
        self.unusable: list[str] = []
        folder.mkdir(parents=True, exist_ok=True)
        for path in sorted(folder.glob(f"{PREFIX}*")):
            segment = self._open(path)
            if segment is not None:
                self.segments.append(segment)
        self._index_keys()

    def _open(self, path: Path) -> Segment | None:
        import json

        try:
            manifest = json.loads((path / "manifest.json").read_text())
            if not isinstance(manifest, dict) or manifest.get("codec") != self.codec.digest:
                raise ValueError("made with another codec")
            if any(manifest.get(k) != v for k, v in self.identity.items()):
                raise ValueError("made with another model")
            if damaged(path, manifest, full=False):
                raise ValueError("damaged")
            return Segment(path, manifest)
        except (OSError, ValueError):
            self.unusable.append(path.name)
            return None

    def _index_keys(self) -> None:
        keys = [s.keys for s in self.segments]
        all_keys = np.concatenate(keys) if keys else np.zeros(0, dtype=np.uint64)
        seg = np.repeat(np.arange(len(self.segments), dtype=np.int32), [len(k) for k in keys])
        row = np.concatenate([np.arange(len(k), dtype=np.int64) for k in keys]) if keys else np.zeros(0, np.int64)
        order = np.argsort(all_keys, kind="stable")
        self._keys, self._seg, self._row = all_keys[order], seg[order], row[order]

    def lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(segment number, row) of each key, -1 where the text was never embedded."""
        keys = np.asarray(keys, dtype=np.uint64)
        at = np.searchsorted(self._keys, keys)
        at = np.minimum(at, max(len(self._keys) - 1, 0))
        hit = (self._keys[at] == keys) if len(self._keys) else np.zeros(len(keys), dtype=bool)
        seg = np.where(hit, self._seg[at] if len(self._keys) else -1, -1).astype(np.int32)
        row = np.where(hit, self._row[at] if len(self._keys) else -1, -1).astype(np.int64)
        return seg, row

    def add(self, keys: np.ndarray, embedded: Sequence[Embedded], terms: Sequence[np.ndarray]) -> None:
        """Persist new texts' embeddings as one segment and make them findable."""
        if not len(keys):
            return
        segment = write_segment(self.folder, keys, embedded, terms, self.codec, self.identity)
        self.segments.append(segment)
        number = len(self.segments) - 1
        # Merge the new keys into the sorted lookup arrays.
        new_keys = np.asarray(keys, dtype=np.uint64)
        order = np.argsort(new_keys, kind="stable")
        at = np.searchsorted(self._keys, new_keys[order])
        self._keys = np.insert(self._keys, at, new_keys[order])
        self._seg = np.insert(self._seg, at, np.full(len(keys), number, dtype=np.int32))
        self._row = np.insert(self._row, at, order.astype(np.int64))

    def merge(self, used: dict[int, np.ndarray]) -> dict[int, tuple[int, np.ndarray]]:
        """Copy the used rows of the given segments into one new segment, a chunk at a time.

        Args:
            used: segment number -> the rows of it still in use (sorted, unique).

        Returns:
            segment number -> (new segment number, new row of each used row).
        """
        parts = sorted(used.items())
        rows_total = sum(len(rows) for _, rows in parts)
        pieces_total = sum(int(np.sum(_lengths(self.segments[n].piece_ptr, r))) for n, r in parts)
        terms_total = sum(int(np.sum(_lengths(self.segments[n].term_ptr, r))) for n, r in parts)
        name = f"{PREFIX}{time.strftime('%Y%m%d%H%M%S')}-{secrets.token_hex(4)}"
        tmp = self.folder / f".tmp-{name}"
        tmp.mkdir(parents=True)
        first = self.segments[parts[0][0]]
        out = {
            "keys": _create(tmp / "keys.npy", np.uint64, (rows_total,)),
            "vectors": _create(tmp / "vectors.npy", np.int8, (rows_total, first.codes.shape[1])),
            "scales": _create(tmp / "scales.npy", np.float32, (rows_total,)),
            "piece_ptr": _create(tmp / "piece_ptr.npy", np.int64, (rows_total + 1,)),
            "piece_ids": _create(tmp / "piece_ids.npy", first.piece_ids.dtype, (pieces_total,)),
            "piece_codes": _create(tmp / "piece_codes.npy", np.uint8, (pieces_total, self.codec.parts)),
            "term_ptr": _create(tmp / "term_ptr.npy", np.int64, (rows_total + 1,)),
            "terms": _create(tmp / "terms.npy", np.uint64, (terms_total,)),
        }
        out["piece_ptr"][0] = out["term_ptr"][0] = 0
        moved: dict[int, np.ndarray] = {}
        row_at = piece_at = term_at = 0
        for number, all_rows in parts:
            segment = self.segments[number]
            moved[number] = np.arange(row_at, row_at + len(all_rows), dtype=np.int64)
            for begin in range(0, len(all_rows), 65536):
                rows = np.asarray(all_rows[begin : begin + 65536], dtype=np.int64)
                n = len(rows)
                out["keys"][row_at : row_at + n] = segment.keys[rows]
                out["vectors"][row_at : row_at + n] = segment.codes[rows]
                out["scales"][row_at : row_at + n] = segment.scales[rows]
                for ptr_name, data_names, at in (
                    ("piece_ptr", ("piece_ids", "piece_codes"), piece_at),
                    ("term_ptr", ("terms",), term_at),
                ):
                    ptr = getattr(segment, ptr_name)
                    lengths = _lengths(ptr, rows)
                    out[ptr_name][row_at + 1 : row_at + n + 1] = at + np.cumsum(lengths)
                    index = _ranges(np.asarray(ptr[rows]), lengths)
                    for data in data_names:
                        out[data][at : at + len(index)] = getattr(segment, data)[index]
                piece_at = int(out["piece_ptr"][row_at + n])
                term_at = int(out["term_ptr"][row_at + n])
                row_at += n
                release(*out.values())  # what is written stays in the file, not in this process
            segment.release()
        for array in out.values():
            array.flush()
        del out
        manifest = seal(tmp, {**self.identity, "codec": self.codec.digest, "count": rows_total})
        final = self.folder / name
        tmp.rename(final)
        self.segments.append(Segment(final, manifest))
        new = len(self.segments) - 1
        return {number: (new, rows) for number, rows in moved.items()}

    def remove_except(self, keep: set[str]) -> None:
        """Delete segments (and leftovers of killed writes) whose name is not in ``keep``."""
        for path in self.folder.iterdir():
            if path.name in keep or not path.name.startswith((PREFIX, ".tmp-")):
                continue
            shutil.rmtree(path, ignore_errors=True)


def _create(path: Path, dtype: type | np.dtype, shape: tuple[int, ...]) -> np.memmap:
    return np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=shape)


def _lengths(ptr: np.ndarray, rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.int64)
    return np.asarray(ptr[rows + 1]) - np.asarray(ptr[rows])


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The concatenation of range(start, start + length) for each pair, without a Python loop."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(np.asarray(starts, dtype=np.int64) - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return np.arange(total, dtype=np.int64) + offsets


def quantise(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 codes and a float32 scale per vector: ``codes * scale`` is within 1/254 of each component."""
    vectors = np.asarray(vectors, dtype=np.float32)
    scales = np.maximum(np.abs(vectors).max(axis=1), 1e-12) / 127.0 if len(vectors) else np.zeros(0, np.float32)
    codes = (
        np.clip(np.rint(vectors / scales[:, None]), -127, 127).astype(np.int8)
        if len(vectors)
        else np.zeros(vectors.shape, np.int8)
    )
    return codes, scales.astype(np.float32)
