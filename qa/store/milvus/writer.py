"""Build or update a Milvus index: documents streamed in as they are embedded, one atomic step to go live.

Two ways to build, as the folder index has:

- **In place** (an index of the same model and chunking exists): new and changed documents
  are inserted under fresh document numbers and sentence ids while the build runs, hidden
  from readers (every read filters ``doc < next.doc``); the commit is one upsert of the
  manifest, which moves ``next.doc`` past them and lists the documents they replace as
  ``stale`` (hidden too); the replaced rows are then deleted by document.
- **A new version** (first build, another model or chunking, a damaged index): six new
  collections are filled, then the alias is moved to them in one `alter_alias`.

Either way a build killed at any moment leaves the previous answers served; what it
embedded stays in Milvus and the next build reuses it (by the text's hash) instead of
embedding it again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from qa.embed.codec import PieceCodec, default_codec
from qa.embed.encoder import Embedded
from qa.errors import IndexCorruptError, IndexMismatchError, QAError
from qa.read.document import Document
from qa.split import Sentence
from qa.split.passages import windows
from qa.split.terms import term_keys
from qa.store.folder.writer import Summary
from qa.store.milvus import schema
from qa.store.milvus.connection import Address, Connection, parse
from qa.store.milvus.lock import Lease, lock_file
from qa.store.milvus.manifest import (
    Live,
    codec_bytes,
    codec_of,
    documents_table,
    live_filter,
    live_version,
    load,
    query_all,
    read_blobs,
    read_manifest,
)

log = logging.getLogger(__name__)

# Texts embedded at a time (as the folder index: a few seconds of work).
CHUNK_TEXTS = 1024
# Rows kept fixed for score statistics (the whole index when it is smaller).
SAMPLE = 4096
# Rows per insert, keys per look-up.
INSERT_BATCH = 256
LOOKUP_BATCH = 512
# A passage's vector counts its heading or definition term like one more sentence.
CONTEXT_IN_PASSAGE = 1.0
# The codebook is trained once per index, on the first chunk's word pieces (as the folder index).
CODEC_PARTS = 48


def text_key(text: str) -> int:
    """A text's 64-bit key (BLAKE2b), the same the folder index's cache uses."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass
class _Waiting:
    """A document read and split, waiting for its texts' embeddings."""

    document: Document
    number: int
    first: int  # first sentence id
    first_passage: int
    sentences: Sequence[Sentence]
    texts: list[str]
    keys: list[int]
    contexts: np.ndarray  # int64 context id per sentence, -1 for none
    passage_first: np.ndarray  # local sentence numbers
    passage_last: np.ndarray
    digest: str


@dataclass
class _Source:
    """Collections of another version whose embeddings a build may reuse."""

    version: str
    codec: str  # digest of the codebook its pieces were coded with


class MilvusWriter:
    """Writes the next state of the Milvus index at ``address``.

    Args:
        address: ``milvus:PATH.db`` or ``milvus://HOST:PORT[/NAME]``.
        identity: model name, precision, dimension, vocabulary size: what the vectors are.
        chunking: splitter version, window, stride: how sentences and passages are made.
        embed: turns texts into embeddings (called a chunk at a time).
        min_confidence: the answer threshold to record (default: keep the index's).
        wait: wait for another build of the index to finish; else raise `BuildLockedError`.
        on_wait: told, once, that another build holds the index.
    """

    def __init__(
        self,
        address: str,
        identity: dict,
        chunking: dict,
        embed: Callable[[list[str]], list[Embedded]],
        min_confidence: float | None = None,
        *,
        wait: bool = True,
        on_wait: Callable[[str], None] | None = None,
    ) -> None:
        self.address: Address = parse(address)
        self.identity = identity
        self.chunking = chunking
        self.embed = embed
        self.min_confidence = min_confidence
        self.documents_root = ""  # the documents folder, set by the build: quotes are checked against it
        self.rebuilt_because = ""
        self.embedded = 0
        self.wide = int(identity.get("vocabulary", 0)) > 1 << 16
        span = int(chunking["window"]) // int(chunking["stride"]) + 1
        if span > schema.MAX_SPAN:
            raise QAError(f"passages of {chunking['window']} sentences every {chunking['stride']} overlap too much")
        self.db: Connection | None = None
        self._file_lock: Any = None
        self._lease: Lease | None = None
        # What this build has seen and written.
        self.kept: set[str] = set()
        self.waiting: list[_Waiting] = []
        self.written: list[dict] = []
        self.text_owner: dict[str, str] = {}
        self.duplicates: list[tuple[str, str]] = []
        # Texts waiting to be embedded, and embeddings waiting to be written, by text key.
        self.pending: dict[int, str] = {}
        self.resolved: dict[int, tuple[np.ndarray, str]] = {}
        # Contexts (headings, definition terms) by id: their text, embedding, and whether stored.
        self.context_text: dict[int, str] = {}
        self.context_keys: set[int] = set()
        self.context_values: dict[int, tuple[np.ndarray, str]] = {}
        self.context_stored: set[int] = set()
        self.candidates: list[_Source] = []
        self.codec_descriptor: dict = {}
        try:
            if self.address.lite:
                self._file_lock = lock_file(self.address, wait, on_wait)
            self.db = Connection.open(self.address, create=True)
            if not self.address.lite:
                self._lease = Lease(self.db, wait, on_wait)
            self._start()
        except BaseException:
            self._release()
            raise

    def _release(self) -> None:
        if self._lease is not None:
            self._lease.release()
            self._lease = None
        if self.db is not None:
            self.db.close()
            self.db = None
        if self._file_lock is not None:
            self._file_lock.release()
            self._file_lock = None

    # -- the index this build updates or replaces -------------------------------------------
    def _start(self) -> None:
        db = self._db
        prefix = self.address.prefix
        self.live: Live | None = None
        problem = ""
        try:
            version = live_version(db)
            if version is not None:
                self.live = Live(version, read_manifest(db, version))
        except (IndexCorruptError, IndexMismatchError) as exc:
            problem = str(exc).split(":")[0]
        manifest = self.live.manifest if self.live else None
        same_model = manifest is not None and {
            k: manifest["model"].get(k) for k in ("name", "precision", "dimension")
        } == {
            "name": self.identity["model"],
            "precision": self.identity["precision"],
            "dimension": self.identity["dimension"],
        }
        if manifest is not None and manifest["format"] != schema.FORMAT:
            problem = f"the index has format {manifest['format']!r}, this version writes {schema.FORMAT}"
        elif manifest is not None and not same_model:
            problem = "the index was built with another model or precision"
        elif manifest is not None and manifest.get("chunking") != self.chunking:
            problem = "the way documents are read, split into sentences or into passages changed"
        self.codec: PieceCodec | None = None
        self.df = np.zeros(max(int(self.identity.get("vocabulary", 0)), 1), dtype=np.int64)
        self.terms: Counter[int] = Counter()  # sentences holding each BM25 term key (typing slips)
        if self.live is not None and not problem:
            try:
                self._in_place(self.live)
                return
            except IndexCorruptError as exc:
                problem = str(exc).split(":")[0]
        self.rebuilt_because = problem
        self._new_version(prefix, same_model)

    def _in_place(self, live: Live) -> None:
        """Update the live version: new rows under fresh numbers, hidden until the commit."""
        db, manifest = self._db, live.manifest
        load(db, live.version)
        codec_blob, df_blob = read_blobs(db, live.version, [manifest["blobs"]["codec"], manifest["blobs"]["df"]])
        try:
            self.codec = codec_of(codec_blob, manifest)
            df = np.frombuffer(df_blob, dtype="<i8")
        except ValueError as exc:
            raise IndexCorruptError(
                f"the index at {self.address.text} is damaged ({exc}): {self.address.rebuild}"
            ) from None
        self.df[: len(df)] = df[: len(self.df)]
        if "terms" in manifest["blobs"]:
            try:
                keys, counts = schema.unpack_terms(read_blobs(db, live.version, [manifest["blobs"]["terms"]])[0])
            except ValueError as exc:
                raise IndexCorruptError(
                    f"the index at {self.address.text} is damaged ({exc}): {self.address.rebuild}"
                ) from None
            self.terms = Counter(dict(zip(keys.tolist(), counts.tolist())))
        else:  # a version from before term counts were kept: count its live sentences once
            sentences = schema.name(self.address.prefix, live.version, "sentences")
            for row in query_all(db, sentences, live_filter(manifest), ["text"]):
                self._count_terms(str(row["text"]), 1)
        self.codec_descriptor = manifest["blobs"]["codec"]
        self.fresh = False
        self.version = live.version
        self.table = {row["name"]: row for row in documents_table(db, live.version, manifest)}
        nxt = dict(manifest["next"])
        reserved = self._reserved()
        # Rows a killed build left (numbers from next up to what it reserved) are reused as
        # an embedding cache, then deleted at the commit; this build numbers past them.
        self.leftover = {k: (int(nxt[k]), max(int(nxt[k]), int(reserved.get(k, 0)))) for k in nxt}
        self.counters = {k: hi for k, (lo, hi) in self.leftover.items()}
        self.sources = [_Source(live.version, self.codec.digest)]
        self.min_confidence = self.min_confidence if self.min_confidence is not None else manifest.get("min_confidence")

    def _new_version(self, prefix: str, same_model: bool) -> None:
        """Start a new version: six new collections, filled before the alias moves to them."""
        db = self._db
        self.fresh = True
        self.table = {}
        self.leftover = {}
        self.counters = {"doc": 0, "sentence": 0, "passage": 0}
        self.version = schema.new_version()
        candidates = self._reusable(prefix, same_model)
        self.codec = default_codec(self.identity["model"], self.identity["dimension"])
        if self.codec is None and candidates:
            self.codec = candidates[0][1]
        schema.create(db.client, db.call, prefix, self.version, int(self.identity["dimension"]))
        self.sources = [_Source(self.version, "")]
        self.candidates = [_Source(version, codec.digest) for version, codec in candidates]
        if self.codec is not None:
            self._codec_known()
        if self.live is not None and same_model and self.min_confidence is None:
            self.min_confidence = self.live.manifest.get("min_confidence")

    def _reusable(self, prefix: str, same_model: bool) -> list[tuple[str, PieceCodec]]:
        """Versions made with this model whose embeddings can be reused: the live one, then killed builds'."""
        db = self._db
        versions = sorted(
            {v for c in db.call("list_collections") if (v := schema.version_of(prefix, c)) is not None}, reverse=True
        )
        if self.live is not None:
            versions = [self.live.version] + [v for v in versions if v != self.live.version]
        out = []
        for version in versions:
            with contextlib.suppress(QAError, KeyError, ValueError, TypeError):
                load(db, version, ("meta", "sentences", "contexts"))
                identity = json.loads(self._meta_value(version, "identity"))
                if identity["model"] != self._identity_key() or not identity.get("codec"):
                    continue
                codec = codec_of(read_blobs(db, version, [identity["codec"]])[0], identity["manifest"])
                out.append((version, codec))
        return out

    def _identity_key(self) -> dict:
        return {k: self.identity[k] for k in ("model", "precision", "dimension")}

    def _meta_value(self, version: str, key: str) -> str:
        rows = self._db.call(
            "query", schema.name(self.address.prefix, version, "meta"), ids=[key], output_fields=["value"]
        )
        if not rows:
            raise KeyError(key)
        return str(rows[0]["value"])

    def _reserved(self) -> dict:
        try:
            return dict(json.loads(self._meta_value(self.version, "reserved")))
        except (KeyError, ValueError, TypeError):
            return {}

    def _codec_known(self) -> None:
        """Record the codebook with the new version (so a killed build's embeddings can be reused)."""
        assert self.codec is not None
        if self.fresh:
            rows, descriptor = schema.blob_rows("codec", 0, codec_bytes(self.codec))
            identity = {
                "model": self._identity_key(),
                "codec": descriptor,
                "manifest": {
                    "codec": {"digest": self.codec.digest},
                    "model": {"dimension": int(self.identity["dimension"])},
                },
            }
            rows.append({"key": "identity", "gen": 0, "value": json.dumps(identity), "_v": [0.0, 0.0]})
            self._db.call("upsert", self._name("meta"), rows)
            self.codec_descriptor = descriptor
            self.sources += [c for c in self.candidates if c.codec == self.codec.digest]
        for source in self.sources:
            source.codec = source.codec or self.codec.digest

    def _name(self, kind: str, version: str | None = None) -> str:
        return schema.name(self.address.prefix, version or self.version, kind)

    @property
    def _db(self) -> Connection:
        if self.db is None:
            raise QAError("the build was already committed or aborted")
        return self.db

    # -- documents ------------------------------------------------------------------------
    def known(self) -> dict[str, str]:
        """File digest of every document the live version holds and can keep."""
        return {name: str(row["digest"]) for name, row in self.table.items()}

    def keep(self, name: str) -> bool:
        """Keep an unchanged document as it is (its rows stay where they are).

        Returns False when it cannot be kept (its stored record is incomplete): the
        caller reads the file again and calls `add`.
        """
        row = self.table.get(name)
        if row is None or self.fresh:
            return False
        if not (row["sentences"] >= 0 and row["first_sentence"] >= 0 and row["parts"] >= 1):
            log.warning("the stored record of %s is incomplete: reading it again", name)
            return False
        self.kept.add(name)
        self._own(name, str(row["text_digest"]))
        return True

    def add(self, document: Document, sentences: Sequence[Sentence]) -> None:
        """A new or changed document and its sentences."""
        number = self._take("doc", 1)
        texts = [document.text[s.start : s.end] for s in sentences]
        keys = [text_key(t) for t in texts]
        contexts = np.asarray([self._context(s.context) for s in sentences], dtype=np.int64)
        first = self._take("sentence", len(sentences))
        starts = np.zeros(len(sentences), dtype=bool)
        if len(sentences):
            starts[0] = True
        head, tail = windows(contexts, starts, int(self.chunking["window"]), int(self.chunking["stride"]))
        first_passage = self._take("passage", len(head))
        digest = text_digest(document.text)
        self._own(document.name, digest)
        self.waiting.append(
            _Waiting(document, number, first, first_passage, sentences, texts, keys, contexts, head, tail, digest)
        )
        self._want(keys, texts)

    def _take(self, counter: str, count: int) -> int:
        first = self.counters[counter]
        self.counters[counter] += count
        return first

    def _own(self, name: str, digest: str) -> None:
        if digest in self.text_owner:
            self.duplicates.append((name, self.text_owner[digest]))
        else:
            self.text_owner[digest] = name

    def _context(self, text: str) -> int:
        if not text:
            return -1
        key = text_key(text)
        number = schema.context_id(key)
        if number not in self.context_text:
            self.context_text[number] = text
            self.context_keys.add(key)
            self._want([key], [text])
        return number

    def _want(self, keys: list[int], texts: list[str]) -> None:
        """Queue texts not yet embedded in this build; embed a chunk once enough are waiting."""
        for key, text in zip(keys, texts):
            if key not in self.resolved:
                self.pending.setdefault(key, text)
        if len(self.pending) >= CHUNK_TEXTS:
            self.flush()

    # -- embedding and writing ------------------------------------------------------------
    def flush(self) -> None:
        """Embed what is waiting (reusing stored embeddings of the same texts) and write the documents ready."""
        if self.pending:
            keys = list(self.pending)
            found = self._lookup(keys) if self.codec is not None else {}
            missing = [k for k in keys if k not in found]
            if missing:
                embedded = self.embed([self.pending[k] for k in missing])
                if self.codec is None:
                    self.codec = _train_codec(embedded)
                    self._codec_known()
                limit = schema.max_pieces(self.codec.parts, self.wide)
                for key, e in zip(missing, embedded):
                    ids, tokens = e.ids[:limit], e.tokens[:limit]
                    pieces = schema.pack_pieces(ids, self.codec.encode(tokens), self.wide)
                    found[key] = (np.asarray(e.vector, dtype=np.float32), pieces)
                self.embedded += len(missing)
            for key, value in found.items():
                if key in self.context_keys:
                    self.context_values[schema.context_id(key)] = value
            self.resolved.update(found)
            self.pending.clear()
        if self.waiting:
            self._write_waiting()
            _pause("embedding")
        if self._lease is not None:
            self._lease.renew()

    def _lookup(self, keys: list[int]) -> dict[int, tuple[np.ndarray, str]]:
        """Vectors and pieces already stored for these texts (as contexts or as sentences), by key."""
        db = self._db
        found: dict[int, tuple[np.ndarray, str]] = {}
        contexts = [k for k in keys if k in self.context_keys]
        for source in self.sources:
            wanted = [k for k in contexts if k not in found]
            for a in range(0, len(wanted), LOOKUP_BATCH):
                part = wanted[a : a + LOOKUP_BATCH]
                by_id = {schema.context_id(k): k for k in part}
                rows = db.call(
                    "query",
                    self._name("contexts", source.version),
                    ids=list(by_id),
                    output_fields=["vector", "pieces"],
                    consistency_level="Strong",
                )
                for row in rows:
                    key = by_id[int(row["id"])]
                    found[key] = (np.asarray(row["vector"], dtype=np.float32), str(row["pieces"]))
                    if source.version == self.version:
                        self.context_stored.add(int(row["id"]))
        for source in self.sources:
            wanted = [k for k in keys if k not in found]
            for a in range(0, len(wanted), LOOKUP_BATCH):
                signed = schema.signed(np.asarray(wanted[a : a + LOOKUP_BATCH], dtype=np.uint64))
                rows = db.call(
                    "query",
                    self._name("sentences", source.version),
                    filter=f"key in [{','.join(map(str, signed.tolist()))}]",
                    output_fields=["key", "vector", "pieces"],
                    limit=16384,
                    consistency_level="Strong",
                )
                for row in rows:
                    key = int(np.int64(row["key"]).astype(np.uint64))
                    if key not in found:
                        found[key] = (np.asarray(row["vector"], dtype=np.float32), str(row["pieces"]))
        return found

    def _write_waiting(self) -> None:
        """Insert every waiting document: its contexts, sentences, passages, text and record."""
        assert self.codec is not None
        rows: dict[str, list[dict]] = {kind: [] for kind in ("contexts", "sentences", "passages", "texts", "documents")}
        if not self.fresh:
            self._db.call(
                "upsert",
                self._name("meta"),
                [{"key": "reserved", "gen": 0, "value": json.dumps(self.counters), "_v": [0.0, 0.0]}],
            )
        for doc in self.waiting:
            self._rows(doc, rows)
            for kind, batch in rows.items():
                if len(batch) >= INSERT_BATCH:
                    self._insert(kind, batch)
        for kind, batch in rows.items():
            self._insert(kind, batch)
        self.waiting.clear()
        self.resolved.clear()

    def _insert(self, kind: str, batch: list[dict]) -> None:
        for a in range(0, len(batch), INSERT_BATCH):
            self._db.call("insert", self._name(kind), batch[a : a + INSERT_BATCH])
        batch.clear()

    def _rows(self, doc: _Waiting, rows: dict[str, list[dict]]) -> None:
        assert self.codec is not None
        n = len(doc.sentences)
        dimension = int(self.identity["dimension"])
        vectors = np.zeros((n, dimension), dtype=np.float32)
        pieces = []
        for i, key in enumerate(doc.keys):
            vectors[i], packed = self.resolved[key]
            pieces.append(packed)
        # contexts not stored yet
        for number in np.unique(doc.contexts[doc.contexts >= 0]).tolist():
            if number not in self.context_stored:
                vector, packed = self.context_values[number]
                rows["contexts"].append(
                    {
                        "id": number,
                        "text": schema.clip(self.context_text[number]),
                        "vector": vector.tolist(),
                        "pieces": packed,
                    }
                )
                self.context_stored.add(number)
        # passages: the normalised sum of their sentences' vectors and their context's
        holding: list[list[int]] = [[] for _ in range(n)]
        cumulative = np.vstack([np.zeros((1, dimension), np.float32), np.cumsum(vectors, axis=0)])
        ids = np.arange(doc.first_passage, doc.first_passage + len(doc.passage_first), dtype=np.int64)
        passage_ranks = schema.ranks(ids)
        for p, (a, b) in enumerate(zip(doc.passage_first.tolist(), doc.passage_last.tolist())):
            total = cumulative[b + 1] - cumulative[a]
            context = int(doc.contexts[a])
            heading = ""
            if context >= 0:
                total = total + CONTEXT_IN_PASSAGE * self.context_values[context][0]
                heading = self.context_text[context]
            total = total / max(float(np.linalg.norm(total)), 1e-12)
            for s in range(a, b + 1):
                holding[s].append(int(ids[p]))
            text = " ".join([heading, *doc.texts[a : b + 1]]) if heading else " ".join(doc.texts[a : b + 1])
            rows["passages"].append(
                {
                    "id": int(ids[p]),
                    "doc": doc.number,
                    "first": doc.first + a,
                    "last": doc.first + b,
                    "context": context,
                    "rank": float(passage_ranks[p]),
                    "text": schema.clip(text),
                    "vector": total.astype(np.float32).tolist(),
                }
            )
        # sentences
        sentence_ids = np.arange(doc.first, doc.first + n, dtype=np.int64)
        sentence_ranks = schema.ranks(sentence_ids)
        keys = schema.signed(np.asarray(doc.keys, dtype=np.uint64)).tolist()
        for i, sentence in enumerate(doc.sentences):
            piece_ids, _ = schema.unpack_pieces(pieces[i], self.codec.parts, self.wide)
            self._count(piece_ids)
            self._count_terms(schema.clip(doc.texts[i]), 1)  # as stored: what an update subtracts
            rows["sentences"].append(
                {
                    "id": int(sentence_ids[i]),
                    "doc": doc.number,
                    "start": int(sentence.start),
                    "end": int(sentence.end),
                    "quotable": bool(sentence.quotable),
                    "context": int(doc.contexts[i]),
                    "passages": holding[i],
                    "key": int(keys[i]),
                    "rank": float(sentence_ranks[i]),
                    "text": schema.clip(doc.texts[i]),
                    "vector": vectors[i].tolist(),
                    "pieces": pieces[i],
                }
            )
        # the text, in parts, and the record
        text = doc.document.text
        parts = [text[i : i + schema.TEXT_PART] for i in range(0, len(text), schema.TEXT_PART)] or [""]
        for i, part in enumerate(parts):
            rows["texts"].append(
                {"id": doc.number * 1_000_000 + i, "doc": doc.number, "part": i, "text": part, "_v": [0.0, 0.0]}
            )
        rows["documents"].append(
            {
                "number": doc.number,
                "name": doc.document.name,
                "digest": doc.document.digest,
                "text_digest": doc.digest,
                "first_sentence": doc.first,
                "sentences": n,
                "first_passage": doc.first_passage,
                "passages": len(doc.passage_first),
                "parts": len(parts),
                "length": len(text),
                "page_starts": json.dumps(list(doc.document.page_starts)),
                "_v": [0.0, 0.0],
            }
        )
        self.written.append(
            {
                "name": doc.document.name,
                "number": doc.number,
                "first_sentence": doc.first,
                "sentences": n,
                "first_passage": doc.first_passage,
                "passages": len(doc.passage_first),
            }
        )

    def _count(self, piece_ids: np.ndarray) -> None:
        unique = np.unique(piece_ids[piece_ids >= 0])
        if len(unique) and int(unique[-1]) >= len(self.df):
            self.df = np.concatenate([self.df, np.zeros(int(unique[-1]) + 1 - len(self.df), dtype=np.int64)])
        self.df[unique] += 1

    def _count_terms(self, text: str, sign: int) -> None:
        for key in np.unique(term_keys(text)).tolist():
            self.terms[key] += sign

    # -- commit -----------------------------------------------------------------------------
    def commit(self, on_phase: Callable[[str], None] = lambda phase: None) -> Summary:
        """Write the statistics and make the new state live in one step. Returns what was written."""
        self.flush()
        live_rows = [row for name, row in self.table.items() if name in self.kept] + self.written
        if not live_rows:
            raise QAError("no readable documents: nothing to index")
        assert self.codec is not None
        db = self._db
        _pause("writing")
        on_phase("statistics")
        stale = [int(row["number"]) for name, row in self.table.items() if name not in self.kept]
        if self._unchanged(stale):
            live = self.live.manifest if self.live is not None else {}
            summary = Summary(self.version, int(live["counts"]["sentences"]), len(live_rows), 0, list(self.duplicates))
            self._release()
            return summary
        if stale:
            self._uncount(stale)
        if not self.fresh and self.live is not None:
            stale += [int(n) for n in self.live.manifest.get("stale", [])]
        sentences = _ranges(live_rows, "first_sentence", "sentences")
        passages = _ranges(live_rows, "first_passage", "passages")
        n = len(sentences)
        idf_df = np.maximum(self.df, 0)
        sample_s, threshold_s = schema.sample(sentences, SAMPLE)
        sample_p, threshold_p = schema.sample(passages, SAMPLE)
        generation = 1 if self.fresh or self.live is None else int(self.live.manifest["generation"]) + 1
        blobs = {
            "df": idf_df.astype("<i8").tobytes(),
            "terms": schema.pack_terms(self.terms),
            "sample-sentences": sample_s.astype("<i8").tobytes(),
            "sample-passages": sample_p.astype("<i8").tobytes(),
        }
        meta_rows: list[dict] = []
        # The codebook never changes within a version: the copy written when it was chosen serves.
        descriptors = {"codec": self.codec_descriptor}
        for key, data in blobs.items():
            rows, descriptors[key] = schema.blob_rows(key, generation, data)
            meta_rows += rows
        on_phase("flushing")
        self._flush(*schema.KINDS)
        contexts = _count_rows(db, self._name("contexts"))
        manifest = {
            "format": schema.FORMAT,
            "engine": "milvus",
            "model": {
                "name": self.identity["model"],
                "precision": self.identity["precision"],
                "dimension": int(self.identity["dimension"]),
                "vocabulary": int(self.identity.get("vocabulary", 0)),
            },
            "codec": {"parts": self.codec.parts, "digest": self.codec.digest},
            "pieces": {"wide": self.wide},
            "chunking": self.chunking,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "generation": generation,
            "counts": {"documents": len(live_rows), "sentences": n, "passages": len(passages), "contexts": contexts},
            "next": dict(self.counters),
            "stale": sorted(set(stale)),
            "samples": {"sentences": threshold_s, "passages": threshold_p},
            "blobs": descriptors,
            "sentences_sampled": len(sample_s),
            "min_confidence": self.min_confidence,
            "documents_root": self.documents_root,
            "duplicates": self.duplicates,
        }
        on_phase("going live")
        if self.fresh:
            self._commit_version(meta_rows, manifest)
        else:
            self._commit_in_place(meta_rows, manifest)
        summary = Summary(self.version, n, len(live_rows), self.embedded, list(self.duplicates))
        self._release()
        return summary

    def _unchanged(self, stale: list[int]) -> bool:
        """Did this in-place build change nothing (no document added, changed or removed, nothing to tidy)?"""
        if self.fresh or self.live is None or self.written or stale:
            return False
        manifest = self.live.manifest
        leftover = any(hi > lo for lo, hi in self.leftover.values())
        return not leftover and not manifest.get("stale") and self.min_confidence == manifest.get("min_confidence")

    def _uncount(self, numbers: list[int]) -> None:
        """Take the word pieces of documents this build replaces out of the document frequencies."""
        assert self.codec is not None
        for a in range(0, len(numbers), 256):
            part = numbers[a : a + 256]
            rows = query_all(
                self._db,
                self._name("sentences"),
                f"doc in [{','.join(map(str, part))}]",
                ["pieces", "text"],
                batch=1024,
            )
            for row in rows:
                self._count_terms(str(row["text"]), -1)
                ids, _ = schema.unpack_pieces(str(row["pieces"]), self.codec.parts, self.wide)
                unique = np.unique(ids[(ids >= 0) & (ids < len(self.df))])
                self.df[unique] -= 1

    def _commit_version(self, meta_rows: list[dict], manifest: dict) -> None:
        """A new version: its meta, then the alias moves to it (the one atomic step)."""
        db, prefix = self._db, self.address.prefix
        meta_rows.append(
            {"key": "manifest", "gen": manifest["generation"], "value": json.dumps(manifest), "_v": [0.0, 0.0]}
        )
        db.call("upsert", self._name("meta"), meta_rows)
        self._flush("meta")
        target = self._name("sentences")
        _pause("swap")
        if self.live is None and schema.alias(prefix) not in db.call("list_aliases").get("aliases", []):
            db.call("create_alias", target, schema.alias(prefix))
        else:
            db.call("alter_alias", target, schema.alias(prefix))
        _pause("cleanup")
        # Versions other than this one and the one before it (a reader that opened it just
        # before the swap can finish its question) are dropped: old versions, killed builds.
        keep = {self.version} | ({self.live.version} if self.live is not None else set())
        self._drop_versions(lambda version: version not in keep)

    def _drop_versions(self, doomed: Callable[[str], bool]) -> None:
        db, prefix = self._db, self.address.prefix
        for collection in db.call("list_collections"):
            version = schema.version_of(prefix, collection)
            if version is not None and doomed(version):
                with contextlib.suppress(QAError):
                    db.call("drop_collection", collection)

    def _committed(self, version: str) -> bool:
        """Did a build of ``version`` ever go live (write its manifest)?"""
        try:
            load(self._db, version, ("meta",))
            self._meta_value(version, "manifest")
            return True
        except (KeyError, QAError):
            return False

    def _commit_in_place(self, meta_rows: list[dict], manifest: dict) -> None:
        """In place: rows of killed builds go, the manifest is upserted (the one atomic step), replaced rows go."""
        db = self._db
        generation = manifest["generation"]
        leftover = self.leftover["doc"]
        if leftover[1] > leftover[0]:
            self._delete_documents(f"doc >= {leftover[0]} and doc < {leftover[1]}")
        db.call("upsert", self._name("meta"), meta_rows)  # new keys: nobody reads them yet
        row = {"key": "manifest", "gen": generation, "value": json.dumps(manifest), "_v": [0.0, 0.0]}
        _pause("swap")
        db.call("upsert", self._name("meta"), [row])
        self._flush("meta")
        _pause("cleanup")
        # Live now. The replaced documents are hidden by the manifest; delete their rows.
        if manifest["stale"]:
            self._delete_documents(f"doc in [{','.join(map(str, manifest['stale']))}]")
            manifest = {**manifest, "stale": []}
            db.call(
                "upsert",
                self._name("meta"),
                [{"key": "manifest", "gen": generation, "value": json.dumps(manifest), "_v": [0.0, 0.0]}],
            )
        # Blobs of the generation before the previous one are no longer read by anyone.
        with contextlib.suppress(QAError):
            db.call("delete", self._name("meta"), filter=f"gen > 0 and gen < {generation - 1}")
            db.call("delete", self._name("meta"), ids=["reserved"])
        with contextlib.suppress(QAError):
            self._flush(*schema.KINDS)
        # Collections of builds killed before they went live are of no more use.
        self._drop_versions(lambda version: version != self.version and not self._committed(version))

    def _flush(self, *kinds: str) -> None:
        """Milvus Lite: seal what was written into segments with their indexes (searching rows
        still in memory rebuilds their BM25 index on every search). A Milvus server needs no
        flush to serve new rows, and limits how often a collection may be flushed."""
        if self.address.lite:
            for kind in kinds:
                self._db.call("flush", self._name(kind))

    def _delete_documents(self, expression: str) -> None:
        db = self._db
        for kind in ("sentences", "passages", "texts"):
            db.call("delete", self._name(kind), filter=expression)
        db.call("delete", self._name("documents"), filter=expression.replace("doc", "number"))

    def abort(self) -> None:
        """Stop without going live. What was embedded stays for the next build to reuse."""
        self._release()


def _ranges(rows: list[dict], first: str, count: str) -> np.ndarray:
    """Every id of the given ranges, concatenated."""
    parts = [np.arange(int(r[first]), int(r[first]) + int(r[count]), dtype=np.int64) for r in rows if int(r[count])]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _count_rows(db: Connection, collection: str) -> int:
    rows = db.call("query", collection, filter="", output_fields=["count(*)"], consistency_level="Strong")
    return int(rows[0]["count(*)"]) if rows else 0


def _train_codec(embedded: Sequence[Embedded]) -> PieceCodec:
    sample = np.concatenate([e.tokens for e in embedded if len(e.tokens)])
    return PieceCodec.train(sample, CODEC_PARTS)


def _pause(phase: str) -> None:
    """For the crash tests: with QA_TEST_PAUSE=<phase>, stop at that phase (and say so) until killed."""
    import os
    import sys

    if os.environ.get("QA_TEST_PAUSE") != phase:
        return
    print(f"paused at {phase}", file=sys.stderr, flush=True)
    time.sleep(3600)
