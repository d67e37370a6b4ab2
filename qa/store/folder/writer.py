"""Build a new version of a folder index, streaming: documents in, cache segments out, one atomic swap at the end.

Memory holds one chunk of texts waiting to be embedded and a few numbers per sentence;
vectors, word pieces and terms go to cache segments as soon as they are computed, and
the version's arrays (FAISS, BM25, passages) are assembled from the segments a chunk at
a time when the build commits.
"""

from __future__ import annotations

import array
import contextlib
import logging
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from qa.embed.codec import PieceCodec
from qa.embed.encoder import Embedded
from qa.errors import IndexCorruptError, IndexMismatchError, IndexMissingError, QAError
from qa.read.document import Document
from qa.split import Sentence
from qa.split.passages import windows
from qa.split.terms import term_keys
from qa.store.base import Moments
from qa.store.folder import bm25, dense
from qa.store.folder.documents import DocumentWriter
from qa.store.folder.files import fsync_dir, save_array, seal
from qa.store.folder.layout import CACHE, FORMAT_VERSION, POINTER, new_version_name, write_pointer
from qa.store.folder.segments import Cache, Gather, _ranges, text_key

log = logging.getLogger(__name__)

# Texts embedded per cache segment: a few seconds of work, so a killed build loses little.
CHUNK_TEXTS = 1024
# More segments than this in one version are merged into one (fewer files to open).
MAX_SEGMENTS = 16
# Rows kept fixed for score statistics (the whole index when it is smaller).
SAMPLE = 4096
SENTENCE_DTYPE = np.dtype(
    [
        ("doc", "<i4"),
        ("start", "<i4"),
        ("end", "<i4"),
        ("quotable", "u1"),
        ("context", "<i4"),
        ("seg", "<i4"),
        ("row", "<i8"),
    ]
)
UNIT_DTYPE = np.dtype([("seg", "<i4"), ("row", "<i8")])
PASSAGE_DTYPE = np.dtype([("first", "<i8"), ("last", "<i8"), ("context", "<i4")])


@dataclass
class Summary:
    """What a commit wrote."""

    version: str = ""
    sentences: int = 0
    documents: int = 0
    embedded: int = 0
    duplicates: list[tuple[str, str]] = field(default_factory=list)


class Previous:
    """The live version a build updates: which documents it can carry over unchanged."""

    def __init__(self, index) -> None:  # type: ignore[no-untyped-def]
        self.index = index
        self.manifest = index.manifest
        self.documents: dict[str, dict] = index.manifest["documents"]


class FolderWriter:
    """Writes the next version of the index at ``root``.

    Args:
        root: the index folder (created if missing).
        identity: model name, precision, dimension, vocabulary size: what the vectors are.
        chunking: splitter version, window, stride: how sentences and passages are made.
        embed: turns texts into embeddings (called a chunk at a time).
        codec: quantiser for word-piece vectors, or None to train one on the first chunk.
    """

    def __init__(
        self,
        root: Path,
        identity: dict,
        chunking: dict,
        embed: Callable[[list[str]], list[Embedded]],
        codec: PieceCodec | None,
        min_confidence: float | None = None,
    ) -> None:
        self.root = root
        self.identity = identity
        self.chunking = chunking
        self.embed = embed
        self.rebuilt_because = ""
        _check_writable(root)
        self.previous = self._previous()
        self.cache_folder = root / CACHE / _safe(f"{identity['model']}-{identity['precision']}")
        self.codec = codec or _stored_codec(self.cache_folder)
        self.cache: Cache | None = None
        if self.codec is not None:
            self._open_cache()
        self.min_confidence = min_confidence
        if min_confidence is None and self.previous is not None:
            self.min_confidence = self.previous.manifest.get("min_confidence")
        self.documents_root = ""  # the documents folder, set by the build: quotes are checked against it
        self.name = new_version_name()
        self.tmp = root / f".tmp-{self.name}"
        self.tmp.mkdir()
        self.docs = DocumentWriter(self.tmp / "documents.sqlite")
        self.doc_names: list[str] = []
        self.doc_state: dict[str, dict] = {}
        self.text_owner: dict[str, str] = {}
        self.duplicates: list[tuple[str, str]] = []
        self.contexts: dict[str, int] = {}
        self.context_of_previous: dict[int, int] = {}
        self.context_keys = array.array("Q")
        self.rows = {name: array.array(code) for name, code in (("doc", "i"), ("start", "i"), ("end", "i"))}
        self.quotable = array.array("b")
        self.fresh = array.array("b")  # 1 for sentences of documents new or changed in this build
        self.previous_row = array.array("q")  # a carried-over sentence's id in the live version, else -1
        self.kept: list[int] = []  # the live version's numbers of the documents carried over
        self.context = array.array("i")
        self.keys = array.array("Q")
        self.pending: dict[int, str] = {}
        self.embedded = 0

    # -- the previous version -----------------------------------------------------------
    def _previous(self) -> Previous | None:
        from qa.store.folder.reader import FolderIndex

        try:
            index = FolderIndex.open(self.root, full_check=True)
        except IndexMissingError:
            return None
        except (IndexCorruptError, IndexMismatchError) as exc:
            self.rebuilt_because = str(exc).split(":")[0]
            return None
        manifest = index.manifest
        same = {k: manifest["model"].get(k) for k in ("name", "precision", "dimension")} == {
            "name": self.identity["model"],
            "precision": self.identity["precision"],
            "dimension": self.identity["dimension"],
        }
        if not same:
            self.rebuilt_because = "the index was built with another model or precision"
            index.close()
            return None
        if manifest.get("chunking") != self.chunking:
            self.rebuilt_because = "the way documents are read, split into sentences or into passages changed"
            index.close()
            return None
        return Previous(index)

    def known(self) -> dict[str, str]:
        """File digest of every document the live version holds and can carry over."""
        if self.previous is None:
            return {}
        return {name: str(state.get("digest", "")) for name, state in self.previous.documents.items()}

    # -- documents ---------------------------------------------------------------------
    def keep(self, name: str) -> bool:
        """Carry an unchanged document over from the live version.

        Its rows, text keys and contexts are copied as arrays (nothing is split or hashed
        again). Returns False when it cannot be (its stored text does not check out): the
        caller reads the file again and calls `add`.
        """
        if self.previous is None or name not in self.previous.documents or self.cache is None:
            return False
        index = self.previous.index
        number = index.table.numbers.get(name)
        if number is None:
            return False
        document = index.table.get(number)
        if document is None:
            log.warning("the stored text of %s does not match its digest: reading it again", name)
            return False
        lo, hi = index.doc_range(number)
        table = index.sentences[lo:hi]
        keys = index.gather.keys(table["seg"], table["row"])
        contexts = self._carry_contexts(table["context"])
        quotable = table["quotable"]
        self._add_rows(document, table["start"], table["end"], quotable, contexts, keys, previous_rows=(lo, hi))
        self.kept.append(number)
        return True

    def _carry_contexts(self, old: np.ndarray) -> np.ndarray:
        """This version's context numbers for the live version's ``old`` ones (-1 stays -1).

        Contexts first seen here are registered in one batch, their keys read from the live
        version's segments rather than hashed again.
        """
        assert self.previous is not None
        index = self.previous.index
        numbers = np.unique(old[old >= 0]).tolist()
        unseen = [c for c in numbers if c not in self.context_of_previous]
        if unseen:
            units = index.contexts[np.asarray(unseen, dtype=np.int64)]
            keys = index.gather.keys(units["seg"], units["row"])
            new_texts, new_keys, rows = [], [], []
            for c, text, key in zip(unseen, index.table.contexts(unseen), keys.tolist()):
                number = self.contexts.get(text) if text else -1
                if number is None:
                    number = self.contexts[text] = len(self.contexts)
                    rows.append((number, text))
                    new_texts.append(text)
                    new_keys.append(key)
                self.context_of_previous[c] = number
            self.docs.add_contexts(rows)
            self.context_keys.frombytes(np.asarray(new_keys, dtype=np.uint64).tobytes())
            self._want(np.asarray(new_keys, dtype=np.uint64), lambda i: new_texts[i])
        out = np.full(len(old), -1, dtype=np.int32)
        if numbers:
            mapped = np.asarray([self.context_of_previous[c] for c in numbers], dtype=np.int32)
            has = old >= 0
            out[has] = mapped[np.searchsorted(np.asarray(numbers), old[has])]
        return out

    def add(self, document: Document, sentences: Sequence[Sentence]) -> None:
        """A new or changed document and its sentences."""
        texts = [document.text[s.start : s.end] for s in sentences]
        keys = np.fromiter((text_key(t) for t in texts), dtype=np.uint64, count=len(texts))
        self._add_rows(
            document,
            np.fromiter((s.start for s in sentences), dtype=np.int32, count=len(sentences)),
            np.fromiter((s.end for s in sentences), dtype=np.int32, count=len(sentences)),
            np.fromiter((s.quotable for s in sentences), dtype=np.int8, count=len(sentences)),
            np.fromiter((self._context(s.context) for s in sentences), dtype=np.int32, count=len(sentences)),
            keys,
        )

    def _add_rows(
        self,
        document: Document,
        start: np.ndarray,
        end: np.ndarray,
        quotable: np.ndarray,
        context: np.ndarray,
        keys: np.ndarray,
        previous_rows: tuple[int, int] | None = None,
    ) -> None:
        """Append a document's sentences; ``previous_rows``: their ids in the live version, if carried over."""
        number = len(self.doc_names)
        digest = self.docs.add(number, document)
        self.doc_names.append(document.name)
        self.doc_state[document.name] = {
            "digest": document.digest,
            "text": digest,
            "sentences": len(keys),
            "chars": len(document.text),  # for the bounds check at open, without reading every text
        }
        if digest in self.text_owner:
            self.duplicates.append((document.name, self.text_owner[digest]))
        else:
            self.text_owner[digest] = document.name
        count = len(keys)
        self.rows["doc"].frombytes(np.full(count, number, dtype=np.int32).tobytes())
        self.rows["start"].frombytes(np.asarray(start, dtype=np.int32).tobytes())
        self.rows["end"].frombytes(np.asarray(end, dtype=np.int32).tobytes())
        self.quotable.frombytes((np.asarray(quotable) > 0).astype(np.int8).tobytes())
        self.fresh.frombytes(np.full(count, 0 if previous_rows else 1, dtype=np.int8).tobytes())
        rows = np.arange(*previous_rows, dtype=np.int64) if previous_rows else np.full(count, -1, dtype=np.int64)
        self.previous_row.frombytes(rows.tobytes())
        self.context.frombytes(np.asarray(context, dtype=np.int32).tobytes())
        self.keys.frombytes(np.asarray(keys, dtype=np.uint64).tobytes())
        self._want(keys, lambda i: document.text[int(start[i]) : int(end[i])])

    def _context(self, text: str) -> int:
        if not text:
            return -1
        number = self.contexts.get(text)
        if number is None:
            number = self.contexts[text] = len(self.contexts)
            self.docs.add_context(number, text)
            key = text_key(text)
            self.context_keys.append(key)
            self._want(np.array([key], dtype=np.uint64), lambda i: text)
        return number

    def _want(self, keys: np.ndarray, text_of: Callable[[int], str]) -> None:
        """Queue the texts the cache lacks (``text_of(i)``: key i's text); embed a chunk once enough wait."""
        keys = np.asarray(keys, dtype=np.uint64)
        if self.cache is not None and len(keys):
            seg, _ = self.cache.lookup(keys)
            missing = np.flatnonzero(seg < 0).tolist()
        else:
            missing = list(range(len(keys)))
        for i in missing:
            self.pending.setdefault(int(keys[i]), text_of(i))
        if len(self.pending) >= CHUNK_TEXTS:
            self.flush()

    def flush(self) -> None:
        """Embed the waiting texts and persist them as one cache segment."""
        if not self.pending:
            return
        keys = np.fromiter(self.pending.keys(), dtype=np.uint64, count=len(self.pending))
        texts = list(self.pending.values())
        _pause("embedding")
        embedded = self.embed(texts)
        if self.codec is None:
            self.codec = _train_codec(embedded, self.cache_folder)
            self._open_cache()
        assert self.cache is not None
        self.cache.add(keys, embedded, [term_keys(t) for t in texts])
        self.embedded += len(texts)
        self.pending.clear()

    def _open_cache(self) -> None:
        assert self.codec is not None
        self.cache = Cache(self.cache_folder, self.codec, self.identity)
        # A damaged segment is never used: its texts are embedded again.
        for segment in list(self.cache.segments):
            from qa.store.folder.files import damaged

            if damaged(segment.folder, segment.manifest, full=True):
                log.warning("cache segment %s is damaged: its sentences will be embedded again", segment.name)
                shutil.rmtree(segment.folder, ignore_errors=True)
                self.cache = None
                break
        if self.cache is None:
            self.cache = Cache(self.cache_folder, self.codec, self.identity)

    # -- commit ---------------------------------------------------------------------
    def commit(self, on_phase: Callable[[str], None] = lambda phase: None) -> Summary:
        """Write the version's arrays, seal it and make it live. Returns what was written."""
        on_phase("embedding the last sentences")
        self.flush()
        if not self.doc_names:
            raise QAError("no readable documents: nothing to index")
        assert self.cache is not None and self.codec is not None
        self.docs_close()
        _pause("writing")
        on_phase("sentences")
        keys = np.frombuffer(self.keys, dtype=np.uint64) if len(self.keys) else np.zeros(0, np.uint64)
        context_keys = (
            np.frombuffer(self.context_keys, dtype=np.uint64) if self.context_keys else np.zeros(0, np.uint64)
        )
        seg, row = self.cache.lookup(keys)
        cseg, crow = self.cache.lookup(context_keys)
        if (seg < 0).any() or (cseg < 0).any():
            raise QAError("internal error: a sentence was left without its embedding")
        seg, row, cseg, crow = self._compact(seg, row, cseg, crow)
        used = sorted(set(np.unique(seg).tolist()) | set(np.unique(cseg).tolist()))
        renumber = np.full(len(self.cache.segments), -1, dtype=np.int32)
        renumber[used] = np.arange(len(used), dtype=np.int32)
        segments = [self.cache.segments[i] for i in used]

        n = len(keys)
        table = np.zeros(n, dtype=SENTENCE_DTYPE)
        for name, values in self.rows.items():
            table[name] = np.frombuffer(values, dtype=np.int32) if len(values) else 0
        table["quotable"] = np.frombuffer(self.quotable, dtype=np.int8) if len(self.quotable) else 0
        table["context"] = np.frombuffer(self.context, dtype=np.int32) if len(self.context) else -1
        table["seg"], table["row"] = renumber[seg], row
        contexts = np.zeros(len(context_keys), dtype=UNIT_DTYPE)
        contexts["seg"], contexts["row"] = renumber[cseg], crow
        save_array(self.tmp / "sentences.npy", table)
        save_array(self.tmp / "contexts.npy", contexts)

        gather = Gather(segments)
        doc_starts = np.ones(n, dtype=bool)
        doc_starts[1:] = table["doc"][1:] != table["doc"][:-1]
        first, last = windows(table["context"], doc_starts, self.chunking["window"], self.chunking["stride"])
        passages = np.zeros(len(first), dtype=PASSAGE_DTYPE)
        passages["first"], passages["last"] = first, last
        passages["context"] = table["context"][first] if len(first) else -1
        save_array(self.tmp / "passages.npy", passages)
        on_phase("passage vectors")
        source, same = self._carried_passages(passages)
        self._passage_vectors(table, contexts, passages, gather, source, same)
        before = np.frombuffer(self.previous_row, dtype=np.int64) if n else np.zeros(0, np.int64)
        passage_vectors = np.load(self.tmp / "passage-vectors.npy", mmap_mode="r")
        gather.release()
        on_phase("dense index")
        dimension = self.identity["dimension"]
        fresh = np.frombuffer(self.fresh, dtype=np.int8).astype(bool) if len(self.fresh) else np.zeros(0, bool)
        built = {
            "sentences": dense.build(
                self.tmp / "sentences.faiss",
                n,
                dimension,
                lambda a, b: gather.vectors(table["seg"][a:b], table["row"][a:b]),
                previous=self._previous_dense("sentences"),
                new=int(fresh.sum()),
                carried=lambda a, b: before[a:b],
            ),
            "passages": dense.build(
                self.tmp / "passages.faiss",
                len(passages),
                dimension,
                lambda a, b: passage_vectors[a:b].astype(np.float32),
                previous=self._previous_dense("passages"),
                new=int(fresh[first].sum()) if len(first) else 0,
                carried=lambda a, b: same[a:b],
            ),
        }
        kinds = {kind: k for kind, (k, _) in built.items()}
        training = {kind: t.as_dict() for kind, (_, t) in built.items() if t is not None}
        gather.release()
        on_phase("BM25")
        bm25.build(self.tmp, "bm25-sentences", _sentence_terms(table, gather), n)
        bm25.build(self.tmp, "bm25-passages", _passage_terms(table, contexts, passages, gather), len(passages))
        gather.release()
        df = self._piece_df(table, gather, fresh)
        save_array(self.tmp / "piece-df.npy", df)
        save_array(self.tmp / "piece-idf.npy", np.log(1.0 + (n - df + 0.5) / (df + 0.5)).astype(np.float32))
        rng = np.random.default_rng(0)
        for kind, count in (("sentences", n), ("passages", len(passages))):
            sample = np.sort(rng.choice(count, min(count, SAMPLE), replace=False)) if count else np.zeros(0)
            sample = sample.astype(np.int64)
            save_array(self.tmp / f"sample-{kind}.npy", sample)
            vectors = (
                gather.vectors(table["seg"][sample], table["row"][sample])
                if kind == "sentences"
                else np.asarray(passage_vectors[sample], dtype=np.float32)
            )
            save_array(
                self.tmp / f"sample-{kind}-moments.npy", Moments.of(vectors.reshape(len(sample), dimension)).packed()
            )
        self.codec.save(self.tmp / "codec.npy")

        on_phase("sealing")
        manifest = {
            "format": FORMAT_VERSION,
            "model": {
                "name": self.identity["model"],
                "precision": self.identity["precision"],
                "dimension": dimension,
                "vocabulary": self.identity.get("vocabulary", 0),
            },
            "codec": {"parts": self.codec.parts, "digest": self.codec.digest},
            "chunking": self.chunking,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "counts": {
                "documents": len(self.doc_names),
                "sentences": n,
                "passages": len(passages),
                "contexts": len(contexts),
            },
            "dense": kinds,
            "dense_training": training,
            "segments": [s.name for s in segments],
            "documents": self.doc_state,
            "min_confidence": self.min_confidence,
            "documents_root": self.documents_root,
            "duplicates": self.duplicates,
        }
        seal(self.tmp, manifest)
        final = self.root / self.name
        self.tmp.rename(final)
        fsync_dir(self.root)
        _pause("swap")
        write_pointer(self.root, self.name)
        if self.previous is not None:
            self.previous.index.close()
        self._remove_stale()
        return Summary(self.name, n, len(self.doc_names), self.embedded, list(self.duplicates))

    def _previous_dense(self, kind: str) -> tuple[Path, dense.Training] | None:
        """The live version's IVF index of ``kind`` and what it was trained on, for its lists to be reused."""
        if self.previous is None:
            return None
        trained = self.previous.manifest.get("dense_training", {}).get(kind)
        if not isinstance(trained, dict):
            return None
        try:
            training = dense.Training(int(trained["trained_on"]), int(trained["new_since"]))
        except (KeyError, TypeError, ValueError):
            return None
        path = self._previous_file(f"{kind}.faiss")
        return (path, training) if path is not None else None

    def _piece_df(self, table: np.ndarray, gather: Gather, fresh: np.ndarray) -> np.ndarray:
        """In how many sentences each vocabulary id occurs: the live version's counts, less the sentences
        of documents not carried over, plus the new ones (or counted afresh when there are none)."""
        vocabulary = self.identity.get("vocabulary", 0)
        old_path = self._previous_file("piece-df.npy")
        if old_path is None:
            return _piece_df(gather, table["seg"], table["row"], vocabulary)
        assert self.previous is not None
        old = self.previous.index.sentences
        gone = ~np.isin(old["doc"], np.asarray(self.kept, dtype=np.int64))
        df = np.load(old_path, allow_pickle=False).astype(np.int64)
        df = _add(df, -_piece_df(self.previous.index.gather, old["seg"][gone], old["row"][gone], 0))
        return _add(df, _piece_df(gather, table["seg"][fresh], table["row"][fresh], vocabulary))

    def _previous_file(self, name: str) -> Path | None:
        """A file of the live version (verified when it was opened), if it has one."""
        if self.previous is None or name not in self.previous.manifest.get("files", {}):
            return None
        return self.previous.index.root / self.previous.index.name / name

    def docs_close(self) -> None:
        if self.docs is not None:
            self.docs.close()

    def _compact(
        self, seg: np.ndarray, row: np.ndarray, cseg: np.ndarray, crow: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Merge the used rows into one segment when the version would span too many."""
        assert self.cache is not None
        all_seg = np.concatenate([seg, cseg])
        all_row = np.concatenate([row, crow])
        used = np.unique(all_seg)
        if len(used) <= MAX_SEGMENTS:
            return seg, row, cseg, crow
        rows = {int(s): np.unique(all_row[all_seg == s]) for s in used}
        moved = self.cache.merge(rows)
        new_seg = np.empty_like(all_seg)
        new_row = np.empty_like(all_row)
        for s, (target, positions) in moved.items():
            mask = all_seg == s
            new_seg[mask] = target
            new_row[mask] = positions[np.searchsorted(rows[s], all_row[mask])]
        k = len(seg)
        return new_seg[:k], new_row[:k], new_seg[k:], new_row[k:]

    def _passage_vectors(
        self,
        table: np.ndarray,
        contexts: np.ndarray,
        passages: np.ndarray,
        gather: Gather,
        source: Path | None,
        same: np.ndarray,
    ) -> None:
        """A passage's vector: the normalised sum of its sentences' vectors and its context's.

        A passage of a document carried over is the live version's passage over the same
        sentences, under the same heading: its vector is copied.
        """
        out = np.lib.format.open_memmap(
            self.tmp / "passage-vectors.npy",
            mode="w+",
            dtype=np.float16,
            shape=(len(passages), self.identity["dimension"]),
        )
        todo = np.arange(len(passages))
        if source is not None:
            old = np.load(source, mmap_mode="r", allow_pickle=False)
            copied = np.flatnonzero(same >= 0)
            for a in range(0, len(copied), 65536):
                part = copied[a : a + 65536]
                out[part] = old[same[part]]
            todo = np.flatnonzero(same < 0)
        for a in range(0, len(todo), 4096):
            chunk = passages[todo[a : a + 4096]]
            counts = (chunk["last"] - chunk["first"] + 1).astype(np.int64)
            members = _ranges(chunk["first"].astype(np.int64), counts)
            vectors = gather.vectors(table["seg"][members], table["row"][members])
            sums = np.add.reduceat(vectors, np.concatenate([[0], np.cumsum(counts)[:-1]]), axis=0)
            has = chunk["context"] >= 0
            if has.any():
                ctx = contexts[chunk["context"][has]]
                sums[has] += CONTEXT_IN_PASSAGE * gather.vectors(ctx["seg"], ctx["row"])
            out[todo[a : a + 4096]] = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
        out.flush()
        del out

    def _carried_passages(self, passages: np.ndarray) -> tuple[Path | None, np.ndarray]:
        """The live version's passage vectors file, and for each passage the live passage it repeats (else -1)."""
        same = np.full(len(passages), -1, dtype=np.int64)
        source = self._previous_file("passage-vectors.npy")
        if source is None or not len(passages):
            return None, same
        assert self.previous is not None
        before = np.frombuffer(self.previous_row, dtype=np.int64)
        a, b = before[passages["first"]], before[passages["last"]]
        carried = (a >= 0) & (b - a == passages["last"] - passages["first"])
        old = self.previous.index.passages
        width = len(self.previous.index.sentences) + 1
        old_keys = old["first"].astype(np.int64) * width + old["last"].astype(np.int64)
        order = np.argsort(old_keys, kind="stable")
        keys = a * width + b
        at = np.minimum(np.searchsorted(old_keys[order], keys), max(len(order) - 1, 0))
        found = carried & (old_keys[order][at] == keys) if len(order) else np.zeros(len(passages), bool)
        same[found] = order[at[found]]
        return source, same

    def _remove_stale(self) -> None:
        """Remove leftovers of killed builds, and versions older than the one before the live one.

        The previous version stays one build longer: a reader that read the pointer just
        before the swap can still open it.
        """
        keep = {self.name}
        if self.previous is not None:
            keep.add(self.previous.index.name)
        segments_kept: set[str] = set()
        for path in self.root.iterdir():
            name = path.name
            if name in keep:
                segments_kept.update(_segments_of(path))
                continue
            if name.startswith((".tmp-v-", f".{POINTER}.")) or (name.startswith("v-") and path.is_dir()):
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
        cache_root = self.root / CACHE
        for folder in cache_root.iterdir() if cache_root.is_dir() else []:
            if folder == self.cache_folder:
                assert self.cache is not None
                self.cache.remove_except(segments_kept | {"codec.npy"})
            elif folder.is_dir():
                shutil.rmtree(folder, ignore_errors=True)

    def abort(self) -> None:
        """Drop the unfinished version and any half-written cache segment (finished ones stay for the next build).

        A build that failed on a full disk so gives back what it took; the build lock keeps
        any other writer out of the cache meanwhile.
        """
        with contextlib.suppress(Exception):  # already closed or broken: nothing to keep
            self.docs_close()
        shutil.rmtree(self.tmp, ignore_errors=True)
        if self.cache_folder is not None and self.cache_folder.is_dir():
            for unfinished in self.cache_folder.glob(".tmp-*"):
                shutil.rmtree(unfinished, ignore_errors=True)
        if self.previous is not None:
            self.previous.index.close()


# A passage's vector counts its heading or definition term like one more sentence.
CONTEXT_IN_PASSAGE = 1.0


def _sentence_terms(table: np.ndarray, gather: Gather, step: int = 65536):  # type: ignore[no-untyped-def]
    for a in range(0, len(table), step):
        lengths, terms = gather.ragged(table["seg"][a : a + step], table["row"][a : a + step], "term_ptr", "terms")
        yield np.repeat(np.arange(a, a + len(lengths)), lengths), terms


def _passage_terms(table, contexts, passages, gather, step: int = 16384):  # type: ignore[no-untyped-def]
    for a in range(0, len(passages), step):
        chunk = passages[a : a + step]
        lo, hi = int(chunk["first"][0]), int(chunk["last"].max()) + 1
        lengths, terms = gather.ragged(table["seg"][lo:hi], table["row"][lo:hi], "term_ptr", "terms")
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        starts = offsets[chunk["first"] - lo]
        counts = offsets[chunk["last"] - lo + 1] - starts
        units = np.repeat(np.arange(a, a + len(chunk)), counts)
        values = terms[_ranges(starts, counts)]
        has = chunk["context"] >= 0
        if has.any():
            ctx = contexts[chunk["context"][has]]
            clengths, cterms = gather.ragged(ctx["seg"], ctx["row"], "term_ptr", "terms")
            units = np.concatenate([units, np.repeat(np.arange(a, a + len(chunk))[has], clengths)])
            values = np.concatenate([values, cterms])
        yield units, values


def _piece_df(gather: Gather, seg: np.ndarray, row: np.ndarray, vocabulary: int, step: int = 65536) -> np.ndarray:
    """In how many of the given sentences each vocabulary id occurs (at least ``vocabulary`` entries)."""
    df = np.zeros(max(vocabulary, 1), dtype=np.int64)
    for a in range(0, len(seg), step):
        lengths, ids = gather.ragged(seg[a : a + step], row[a : a + step], "piece_ptr", "piece_ids")
        sentence = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
        pairs = np.unique(ids.astype(np.int64) * (step + 1) + sentence)
        df = _add(df, np.bincount(pairs // (step + 1)))
    return df


def _add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a + b for count vectors of different lengths."""
    out = np.zeros(max(len(a), len(b)), dtype=np.int64)
    out[: len(a)] += a
    out[: len(b)] += b
    return out


def _segments_of(version: Path) -> set[str]:
    import json

    try:
        return set(json.loads((version / "manifest.json").read_text()).get("segments", []))
    except (OSError, ValueError, AttributeError):
        return set()


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)[:120]


def _stored_codec(folder: Path) -> PieceCodec | None:
    path = folder / "codec.npy"
    if not path.is_file():
        return None
    try:
        return PieceCodec.load(path)
    except (OSError, ValueError):
        log.warning("the word-piece codebook in %s is unreadable: the cache there is rebuilt", folder)
        shutil.rmtree(folder, ignore_errors=True)
        return None


# The codebook is trained once per cache, on the first chunk's word pieces.
CODEC_PARTS = 64


def _train_codec(embedded: Sequence[Embedded], folder: Path) -> PieceCodec:
    from qa.store.folder.files import fsync_file

    sample = np.concatenate([e.tokens for e in embedded if len(e.tokens)])
    codec = PieceCodec.train(sample, CODEC_PARTS)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / ".codec.npy.tmp"
    codec.save(tmp)
    fsync_file(tmp)
    os.replace(tmp, folder / "codec.npy")
    return codec


def _pause(phase: str) -> None:
    """For the crash tests: with QA_TEST_PAUSE=<phase>, stop at that phase (and say so) until killed."""
    if os.environ.get("QA_TEST_PAUSE") != phase:
        return
    import sys
    import time

    print(f"paused at {phase}", file=sys.stderr, flush=True)
    time.sleep(3600)


def _check_writable(root: Path) -> None:
    """Fail before any embedding when the index folder cannot be written."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        probe = root / f".probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise QAError(f"cannot write the index folder {root} ({exc.strerror or exc})") from None
