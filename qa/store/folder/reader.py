"""The folder index, read side: the `Index` protocol over memory-mapped files of one sealed version."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from qa.embed.codec import PieceCodec
from qa.errors import DocumentNotFoundError, IndexCorruptError, IndexMismatchError
from qa.read.document import Document
from qa.split.passages import holding
from qa.split.terms import term_keys
from qa.store.base import PASSAGES, SENTENCES, Hits, IndexInfo, Moments, Pieces, Rows
from qa.store.folder import bm25
from qa.store.folder.dense import Dense
from qa.store.folder.documents import DocumentTable
from qa.store.folder.files import damaged, load_array, release
from qa.store.folder.layout import CACHE, FORMAT_VERSION, REBUILD, read_pointer
from qa.store.folder.segments import Gather, Segment

# Opening checks every file's size and the arrays' bounds; below this total size it
# also checks every file's SHA-256 (SHA-256 runs near 400 MB/s here: at most 0.2 s of a
# cold `qa ask`). Larger indexes are checked in full by `qa check` and by every build
# that updates them; a quoted document's text is always checked against its digest.
FULL_CHECK_BYTES = 64 * 1024 * 1024
DOCUMENT_CACHE = 64
# Questions read word pieces and vectors at random places of files that can be larger than
# a worker's memory budget; every page touched stays mapped (with the kernel's fault-around,
# 64 KB per read), so a long-running worker would come to map them whole. Every this many
# reads of word pieces (a question makes about 6), those pages are let go: the page cache
# keeps them, the next read maps them again.
RELEASE_EVERY = 256


class FolderIndex:
    """One version of a folder index, opened read-only.

    Use `FolderIndex.open(root)`; it raises `IndexMissingError`, `IndexCorruptError` or
    `IndexMismatchError` with what to run, and never returns an index it found damaged.
    """

    def __init__(self, root: Path, name: str, manifest: dict, full_check: bool = False) -> None:
        self.root = root
        self.name = name
        self.folder = root / name
        self.manifest = manifest
        folder = self.folder
        counts = manifest["counts"]
        model = manifest["model"]
        self.dimension = int(model["dimension"])
        self.sentences = load_array(folder / "sentences.npy")
        self.contexts = load_array(folder / "contexts.npy")
        self.passages = load_array(folder / "passages.npy")
        self.passage_vectors = load_array(folder / "passage-vectors.npy")
        self.codec = PieceCodec.load(folder / "codec.npy")
        self.segments = [self._segment(name, full_check) for name in manifest["segments"]]
        self.gather = Gather(self.segments)
        self.table = DocumentTable(folder / "documents.sqlite")
        self._dense = {
            kind: Dense(folder / f"{kind}.faiss", counts[kind], self.dimension, manifest.get("dense", {}).get(kind))
            for kind in (SENTENCES, PASSAGES)
        }
        self._lexical = {
            SENTENCES: bm25.BM25(folder, "bm25-sentences", counts["sentences"]),
            PASSAGES: bm25.BM25(folder, "bm25-passages", counts["passages"]),
        }
        self._idf = np.asarray(load_array(folder / "piece-idf.npy", mmap=False), dtype=np.float32)
        self._samples = {
            k: np.asarray(load_array(folder / f"sample-{k}.npy", mmap=False)) for k in (SENTENCES, PASSAGES)
        }
        # Read (and checked) on open, so that `qa check` and a server's first question see the same.
        self._moments = {k: self._load_moments(k) for k in (SENTENCES, PASSAGES)}
        self._doc_first = np.searchsorted(self.sentences["doc"], np.arange(len(self.table.names) + 1))
        self._documents: OrderedDict[int, Document] = OrderedDict()
        self._lock = threading.Lock()
        self._reads = 0
        self.info = IndexInfo(
            model=model["name"],
            precision=model.get("precision", "fp32"),
            dimension=self.dimension,
            documents=counts["documents"],
            sentences=counts["sentences"],
            built_at=manifest.get("built_at", ""),
            engine="folder",
            address=str(root),
            min_confidence=manifest.get("min_confidence"),
            documents_root=str(manifest.get("documents_root") or ""),
        )
        self._check(counts)

    @classmethod
    def open(cls, root: str | Path, model: str | None = None, full_check: bool | None = None) -> FolderIndex:
        """Open the live version of the index at ``root``.

        Args:
            model: refuse an index built with another model.
            full_check: verify every file's checksum (default: when the version is small).
        """
        root = Path(root)
        name = read_pointer(root)
        folder = root / name
        try:
            manifest = json.loads((folder / "manifest.json").read_text())
            if not isinstance(manifest, dict):
                raise ValueError("not an object")
        except (OSError, ValueError) as exc:
            raise IndexCorruptError(f"the index manifest in {folder} is unreadable ({exc}): {REBUILD}") from None
        _check_manifest(manifest, model, root)
        sizes = sum(int(f.get("size", 0)) for f in manifest["files"].values() if isinstance(f, dict))
        full = sizes <= FULL_CHECK_BYTES if full_check is None else full_check
        bad = damaged(folder, manifest, full=full)
        if bad:
            raise IndexCorruptError(f"the index at {root} is damaged ({', '.join(bad[:3])}): {REBUILD}")
        try:
            return cls(root, name, manifest, full)
        except IndexCorruptError:
            raise
        except Exception as exc:  # any unreadable, truncated or inconsistent file
            detail = f"{type(exc).__name__}: {exc}"[:160]
            raise IndexCorruptError(f"the index at {root} is corrupt ({detail}): {REBUILD}") from None

    def _segment(self, name: str, full: bool) -> Segment:
        folder = self.root / CACHE
        matches = [p for p in folder.glob(f"*/{name}")] if folder.is_dir() else []
        if len(matches) != 1:
            raise IndexCorruptError(f"the index at {self.root} lacks its cache segment {name}: {REBUILD}")
        segment_manifest = json.loads((matches[0] / "manifest.json").read_text())
        bad = damaged(matches[0], segment_manifest, full=full)
        if bad:
            raise IndexCorruptError(f"the cache segment {name} of {self.root} is damaged: {REBUILD}")
        return Segment(matches[0], segment_manifest)

    def _lengths(self) -> list[int]:
        """Each document's text length: from the manifest, or (older versions) counted in SQLite."""
        states = self.manifest.get("documents", {})
        known = [states.get(name, {}).get("chars") if isinstance(states, dict) else None for name in self.table.names]
        if all(isinstance(n, int) for n in known):
            return known  # type: ignore[return-value]
        return self.table.lengths()

    def _check(self, counts: dict) -> None:
        """Cheap consistency checks: every array's length, and that every number points inside."""
        s, p, c = self.sentences, self.passages, self.contexts
        n, documents = counts["sentences"], len(self.table.names)
        lengths = np.asarray(self._lengths() + [0], dtype=np.int64)
        ok = (
            len(s) == n
            and len(p) == counts["passages"] == len(self.passage_vectors)
            and len(c) == counts["contexts"]
            and documents == counts["documents"]
            and self.codec.digest == self.manifest["codec"]["digest"]
            and self.codec.dimension == self.dimension
        )
        if ok and n:
            doc = s["doc"].astype(np.int64)
            ok = bool(
                doc.min() >= 0
                and doc.max() < documents
                and np.all(np.diff(doc) >= 0)
                and np.all(s["start"] >= 0)
                and np.all(s["start"] < s["end"])
                and np.all(s["end"] <= lengths[doc])
                and np.all(s["context"] < len(c))
                and _points_inside(s["seg"], s["row"], self.segments)
                and _points_inside(c["seg"], c["row"], self.segments)
                and (not len(p) or (p["first"].min() >= 0 and p["last"].max() < n and np.all(p["first"] <= p["last"])))
                and self._idf.ndim == 1
            )
        if not ok:
            raise IndexCorruptError(f"the index at {self.root} is inconsistent: {REBUILD}")

    # -- candidates ----------------------------------------------------------------------
    def dense(self, kind: str, vector: np.ndarray, k: int) -> Hits:
        ids, scores = self._dense[kind].search(vector, k)
        return Hits(ids, scores.astype(np.float32))

    def lexical(self, kind: str, question: str, k: int) -> Hits:
        ids, scores = self._lexical[kind].top(term_keys(question), k)
        return Hits(ids, scores)

    # -- features ----------------------------------------------------------------------
    def _units(self, kind: str, ids: np.ndarray) -> np.ndarray:
        return self.sentences[ids] if kind == SENTENCES else self.contexts[ids]

    def vectors(self, kind: str, ids: np.ndarray) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64)
        if kind == PASSAGES:
            return np.asarray(self.passage_vectors[ids], dtype=np.float32)
        units = self._units(kind, ids)
        out = np.empty((len(ids), self.dimension), dtype=np.float32)
        for s in np.unique(units["seg"]):
            mask = units["seg"] == s
            out[mask] = self.segments[int(s)].vectors(units["row"][mask])
        return out

    def lexical_scores(self, kind: str, question: str, ids: np.ndarray) -> np.ndarray:
        return self._lexical[kind].scores(term_keys(question), ids)

    def term_counts(self, keys: np.ndarray) -> np.ndarray:
        return self._lexical[SENTENCES].frequencies(keys)

    def pieces(self, kind: str, ids: Sequence[int]) -> list[Pieces]:
        self._reads += 1
        if self._reads % RELEASE_EVERY == 0:
            self.gather.release()
            release(self.passage_vectors)
        size = len(self.sentences) if kind == SENTENCES else len(self.contexts)
        wanted = np.asarray(ids, dtype=np.int64).reshape(-1)
        valid = (wanted >= 0) & (wanted < size)
        units = self._units(kind, wanted[valid])
        lengths, (piece_ids, codes) = self.gather.ragged_fields(
            units["seg"], units["row"], "piece_ptr", ("piece_ids", "piece_codes")
        )
        # One decode for all the units' pieces: the codebook lookup costs per call, not per piece.
        vectors = self.codec.decode(codes) if len(lengths) else np.zeros((0, self.dimension), np.float32)
        piece_ids = piece_ids.astype(np.int32)
        bounds = np.concatenate([[0], np.cumsum(lengths)]).tolist()
        empty = Pieces(np.zeros(0, np.int32), np.zeros((0, self.dimension), np.float32))
        out = [empty] * len(wanted)
        for k, at in enumerate(np.flatnonzero(valid).tolist()):
            a, b = bounds[k], bounds[k + 1]
            out[at] = Pieces(piece_ids[a:b], vectors[a:b])
        return out

    def piece_idf(self) -> np.ndarray:
        return self._idf

    def sample(self, kind: str) -> np.ndarray:
        return self._samples[kind]

    def sample_moments(self, kind: str) -> Moments:
        return self._moments[kind]

    def _load_moments(self, kind: str) -> Moments:
        # Kept in the version: gathering the sample's vectors touches pages all over the
        # vector files, which then stay mapped in every worker.
        path = self.folder / f"sample-{kind}-moments.npy"
        if path.is_file():
            try:
                return Moments.unpacked(load_array(path, mmap=False), self.dimension)
            except ValueError:
                raise IndexCorruptError(f"the index at {self.root} is inconsistent: {REBUILD}") from None
        older = self.folder / f"sample-{kind}-vectors.npy"  # versions of 2026-11-27 kept the vectors
        if not older.is_file():
            return Moments.of(self.vectors(kind, self._samples[kind]))
        vectors = load_array(older, mmap=False)
        if vectors.shape != (len(self._samples[kind]), self.dimension):
            raise IndexCorruptError(f"the index at {self.root} is inconsistent: {REBUILD}")
        return Moments.of(vectors)

    # -- sentences and documents ---------------------------------------------------------
    def rows(self, ids: np.ndarray) -> Rows:
        ids = np.asarray(ids, dtype=np.int64)
        found = (ids >= 0) & (ids < len(self.sentences))
        safe = np.where(found, ids, 0)
        s = self.sentences[safe] if len(self.sentences) else np.zeros(len(ids), dtype=self.sentences.dtype)
        return Rows(
            document=[self.table.names[int(d)] for d in s["doc"]],
            start=s["start"].astype(np.int64),
            end=s["end"].astype(np.int64),
            quotable=(s["quotable"] > 0) & found,
            context=np.where(found, s["context"], -1).astype(np.int64),
            found=found,
        )

    def passages_holding(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        span = self.manifest["chunking"]["window"] // self.manifest["chunking"]["stride"] + 1
        return holding(self.passages["first"], self.passages["last"], ids, span)

    def passage_sentences(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rows = self.passages[np.asarray(ids, dtype=np.int64)]
        return rows["first"].astype(np.int64), rows["last"].astype(np.int64)

    def context_text(self, ids: Sequence[int]) -> list[str]:
        return self.table.contexts([int(i) for i in ids])

    def document(self, name: str) -> Document:
        number = self.table.numbers.get(name)
        if number is None:
            raise DocumentNotFoundError(f"no document named {name!r} in the index")
        with self._lock:
            cached = self._documents.get(number)
            if cached is not None:
                self._documents.move_to_end(number)
                return cached
        document = self.table.get(number)
        expected = self.manifest["documents"].get(name, {}).get("text")
        if document is None or (expected and expected != self.table.text_digests[number]):
            raise IndexCorruptError(f"the stored text of {name} does not match its digest: {REBUILD}")
        with self._lock:
            self._documents[number] = document
            while len(self._documents) > DOCUMENT_CACHE:
                self._documents.popitem(last=False)
        return document

    def document_names(self) -> list[str]:
        return list(self.table.names)

    def doc_range(self, number: int) -> tuple[int, int]:
        return int(self._doc_first[number]), int(self._doc_first[number + 1])

    def is_current(self) -> bool:
        try:
            return read_pointer(self.root) == self.name
        except Exception:  # a broken or missing pointer: this version is no longer the live one
            return False

    def close(self) -> None:
        self._documents.clear()


def _points_inside(seg: np.ndarray, row: np.ndarray, segments: list[Segment]) -> bool:
    if not len(seg):
        return True
    if seg.min() < 0 or seg.max() >= len(segments) or row.min() < 0:
        return False
    sizes = np.asarray([len(x) for x in segments])
    return bool(np.all(row < sizes[seg]))


def _check_manifest(manifest: dict, model: str | None, root: Path) -> None:
    """Refuse an index of another format or model. Raises `IndexMismatchError` or `IndexCorruptError`."""
    if manifest.get("format") != FORMAT_VERSION:
        raise IndexMismatchError(
            f"the index at {root} has format {manifest.get('format')!r}, this version reads {FORMAT_VERSION}: {REBUILD}"
        )
    shape_ok = (
        isinstance(manifest.get("model"), dict)
        and isinstance(manifest["model"].get("name"), str)
        and isinstance(manifest["model"].get("dimension"), int)
        and isinstance(manifest.get("counts"), dict)
        and all(isinstance(manifest["counts"].get(k), int) for k in ("documents", "sentences", "passages", "contexts"))
        and isinstance(manifest.get("segments"), list)
        and isinstance(manifest.get("documents"), dict)
        and isinstance(manifest.get("files"), dict)
        and isinstance(manifest.get("codec"), dict)
        and isinstance(manifest.get("chunking"), dict)
        and isinstance(manifest["chunking"].get("window"), int)
        and isinstance(manifest["chunking"].get("stride"), int)
        and manifest["chunking"]["stride"] > 0
    )
    if not shape_ok:
        raise IndexCorruptError(f"the index manifest in {root} is malformed: {REBUILD}")
    if model is not None and manifest["model"]["name"] != model:
        raise IndexMismatchError(
            f"the index at {root} was built with model {manifest['model']['name']!r}, not {model!r}: {REBUILD}"
        )
