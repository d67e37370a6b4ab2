"""The Milvus index, read side: the `Index` protocol over the collections of the live version.

Candidates come from Milvus searches (HNSW for meaning, the BM25 function for words);
features of the candidates from queries by primary key. What a question needs again
moments later (the rows of candidate sentences and their neighbours, word pieces,
passages' sentence ranges, documents) is kept in small caches: rows never change
under an id, and a build that changes the index makes `is_current` false, so a server
opens the new state instead.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from qa.embed.codec import PieceCodec
from qa.errors import DocumentNotFoundError, IndexCorruptError
from qa.read.document import Document
from qa.store.base import CONTEXTS, PASSAGES, SENTENCES, Hits, IndexInfo, Moments, Pieces, Rows, locate
from qa.store.milvus import schema
from qa.store.milvus.connection import Connection, parse
from qa.store.milvus.manifest import Live, codec_of, documents_table, live_filter, load, open_live, read_blobs

ROW_FIELDS = ["doc", "start", "end", "quotable", "context", "passages"]
CACHE_ROWS = 200_000
CACHE_PIECES = 20_000
CACHE_DOCUMENTS = 64
QUERY_BATCH = 2048  # ids per query
SEARCH_MAX = 16384  # Milvus's largest top-k
HNSW_EF = 128  # candidates HNSW explores per search (at least k)
READ_SECONDS = 30.0  # the longest one read for a question may take before it is an error


class _LRU:
    """A thread-safe least-recently-used map."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[Any, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get_many(self, keys: Sequence[Any]) -> dict[Any, Any]:
        with self.lock:
            out = {}
            for key in keys:
                value = self.items.get(key)
                if value is not None:
                    self.items.move_to_end(key)
                    out[key] = value
            return out

    def put_many(self, values: dict[Any, Any]) -> None:
        with self.lock:
            self.items.update(values)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


class MilvusIndex:
    """The live version of a Milvus index, opened for reading.

    Use `MilvusIndex.open(address)`; it raises `IndexMissingError`, `IndexCorruptError`
    or `IndexMismatchError` with what to run, and `QAError` when Milvus cannot be reached.
    """

    # `is_current` asks Milvus at most this often (a server calls it before every question).
    CHECK_SECONDS = 1.0

    def __init__(self, db: Connection, live: Live) -> None:
        self.db = db
        self.live = live
        self.version = live.version
        manifest = self.manifest = live.manifest
        prefix = db.address.prefix
        self.collections = {kind: schema.name(prefix, live.version, kind) for kind in schema.KINDS}
        self.dimension = int(manifest["model"]["dimension"])
        self.wide = bool(manifest.get("pieces", {}).get("wide", False))
        self.filter = live_filter(manifest)
        self.next = manifest["next"]
        blobs = manifest["blobs"]
        codec, df, sample_s, sample_p = read_blobs(
            db, live.version, [blobs["codec"], blobs["df"], blobs["sample-sentences"], blobs["sample-passages"]]
        )
        try:
            self.codec: PieceCodec = codec_of(codec, manifest)
        except ValueError as exc:
            raise IndexCorruptError(
                f"the index at {db.address.text} is damaged ({exc}): {db.address.rebuild}"
            ) from None
        n = max(int(manifest["counts"]["sentences"]), 0)
        df_array = np.frombuffer(df, dtype="<i8").astype(np.float64)
        self._idf = np.log(1.0 + (n - df_array + 0.5) / (df_array + 0.5)).astype(np.float32)
        self._samples = {
            SENTENCES: np.frombuffer(sample_s, dtype="<i8").astype(np.int64),
            PASSAGES: np.frombuffer(sample_p, dtype="<i8").astype(np.int64),
        }
        self._thresholds = {SENTENCES: manifest["samples"]["sentences"], PASSAGES: manifest["samples"]["passages"]}
        # Term counts (for typing slips); versions written before they were kept have none.
        self._terms = (np.zeros(0, np.uint64), np.zeros(0, np.int64))
        if "terms" in blobs:
            try:
                self._terms = schema.unpack_terms(read_blobs(db, live.version, [blobs["terms"]])[0])
            except ValueError as exc:
                raise IndexCorruptError(
                    f"the index at {db.address.text} is damaged ({exc}): {db.address.rebuild}"
                ) from None
        table = documents_table(db, live.version, manifest)
        self._names = [str(r["name"]) for r in table]
        self._documents_by_name = {str(r["name"]): r for r in table}
        self._live_docs = {int(r["number"]) for r in table}
        self._names_by_number = {int(r["number"]): str(r["name"]) for r in table}
        self._rows = _LRU(CACHE_ROWS)
        self._pieces = {SENTENCES: _LRU(CACHE_PIECES), CONTEXTS: _LRU(CACHE_PIECES)}
        self._passages = _LRU(CACHE_ROWS)
        self._texts = _LRU(CACHE_DOCUMENTS)
        self._checked = (time.monotonic(), True)
        model = manifest["model"]
        self.info = IndexInfo(
            model=model["name"],
            precision=model.get("precision", "fp32"),
            dimension=self.dimension,
            documents=len(table),
            sentences=int(manifest["counts"]["sentences"]),
            built_at=manifest.get("built_at", ""),
            engine="milvus",
            address=db.address.text,
            min_confidence=manifest.get("min_confidence"),
            documents_root=str(manifest.get("documents_root") or ""),
        )
        if len(table) != manifest["counts"]["documents"]:
            raise IndexCorruptError(
                f"the index at {db.address.text} lists {len(table)} documents, "
                f"not {manifest['counts']['documents']}: {db.address.rebuild}"
            )

    @classmethod
    def open(cls, address: str, model: str | None = None) -> MilvusIndex:
        """Open the live version of the index at ``address``.

        Args:
            model: refuse an index built with another model.
        """
        parsed = parse(address)
        db = Connection.open(parsed)
        try:
            live = open_live(db, model)
            load(db, live.version)
            return cls(db, live)
        except BaseException:
            db.close()
            raise

    # -- calls --------------------------------------------------------------------------
    def _query(self, kind: str, ids: Sequence[int], fields: list[str]) -> list[dict]:
        out: list[dict] = []
        ids = [int(i) for i in ids]
        for a in range(0, len(ids), QUERY_BATCH):
            part = ids[a : a + QUERY_BATCH]
            out += self.db.call("query", self.collections[kind], ids=part, output_fields=fields, timeout=READ_SECONDS)
        return out

    def _search(self, kind: str, data: Any, field: str, k: int, expression: str, params: dict) -> Hits:
        k = min(int(k), SEARCH_MAX)
        if k <= 0:
            return Hits.empty()
        results = self.db.call(
            "search",
            self.collections[kind],
            data=[data],
            anns_field=field,
            limit=k,
            filter=expression,
            output_fields=["id"],
            search_params=params,
            timeout=READ_SECONDS,
        )
        hits = results[0] if results else []
        ids = np.fromiter((int(h["id"]) for h in hits), dtype=np.int64, count=len(hits))
        scores = np.fromiter((float(h["distance"]) for h in hits), dtype=np.float32, count=len(hits))
        return Hits(ids, scores)

    # -- candidates ------------------------------------------------------------------------
    def dense(self, kind: str, vector: np.ndarray, k: int) -> Hits:
        params = {"metric_type": "IP", "params": {"ef": max(int(k), HNSW_EF)}}
        data = np.asarray(vector, dtype=np.float32).reshape(-1).tolist()
        return self._search(kind, data, "vector", k, self.filter, params)

    def lexical(self, kind: str, question: str, k: int) -> Hits:
        hits = self._search(kind, question, "sparse", k, self.filter, {"metric_type": "BM25"})
        # Milvus Lite reports BM25 as a negative distance, a Milvus server as a positive score.
        return Hits(hits.ids, np.abs(hits.scores))

    # -- features ---------------------------------------------------------------------------
    def vectors(self, kind: str, ids: np.ndarray) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64)
        out = np.zeros((len(ids), self.dimension), dtype=np.float32)
        if not len(ids):
            return out
        unique = np.unique(ids)
        if kind == SENTENCES:
            # The ranker asks where these sentences are next: their rows come in the same query.
            rows = self._query(kind, unique.tolist(), ["vector", *ROW_FIELDS])
            self._rows.put_many({int(r["id"]): {k: r[k] for k in ("id", *ROW_FIELDS)} for r in rows})
        else:
            rows = self._query(kind, unique.tolist(), ["vector"])
        found = {int(r["id"]): r["vector"] for r in rows}
        for position, i in enumerate(ids.tolist()):
            vector = found.get(i)
            if vector is not None:
                out[position] = np.asarray(vector, dtype=np.float32)
        return out

    def lexical_scores(self, kind: str, question: str, ids: np.ndarray) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64)
        out = np.zeros(len(ids), dtype=np.float32)
        if not len(ids):
            return out
        sample = self._samples.get(kind)
        params = {"metric_type": "BM25"}
        if sample is not None and len(sample) == len(ids) and np.array_equal(sample, ids):
            # The score sample: chosen by the rank field, no list of ids to send.
            threshold = self._thresholds[kind]
            expression = self.filter if threshold > 1.0 else f"rank < {threshold!r} and {self.filter}"
            hits = self._search(kind, question, "sparse", len(ids), expression, params)
            by_id = dict(zip(hits.ids.tolist(), np.abs(hits.scores).tolist()))
        else:
            by_id = {}
            unique = np.unique(ids)
            for a in range(0, len(unique), SEARCH_MAX):
                part = unique[a : a + SEARCH_MAX]
                expression = f"id in [{','.join(map(str, part.tolist()))}] and {self.filter}"
                hits = self._search(kind, question, "sparse", len(part), expression, params)
                by_id.update(zip(hits.ids.tolist(), np.abs(hits.scores).tolist()))
        for position, i in enumerate(ids.tolist()):
            out[position] = by_id.get(i, 0.0)
        return out

    def term_counts(self, keys: np.ndarray) -> np.ndarray:
        table, counts = self._terms
        if not len(table):
            return np.zeros(len(keys), dtype=np.int64)
        at, held = locate(table, np.asarray(keys, dtype=np.uint64))
        return np.where(held, counts[at], 0).astype(np.int64)

    def pieces(self, kind: str, ids: Sequence[int]) -> list[Pieces]:
        wanted = [int(i) for i in ids]
        cache = self._pieces[SENTENCES if kind == SENTENCES else CONTEXTS]
        known = cache.get_many(wanted)
        missing = sorted({i for i in wanted if i >= 0 and i not in known})
        if missing:
            if kind == SENTENCES:
                # The rerank asks for the sentences before these next: fetch them in the same query.
                extra = {i - 1 for i in missing if i > 0} - set(cache.get_many([i - 1 for i in missing]))
                missing = sorted(set(missing) | extra)
            rows = self._query(SENTENCES if kind == SENTENCES else CONTEXTS, missing, ["pieces"])
            fetched = {}
            for row in rows:
                try:
                    piece_ids, codes = schema.unpack_pieces(str(row["pieces"]), self.codec.parts, self.wide)
                except ValueError:
                    raise IndexCorruptError(
                        f"the word pieces of {kind} {row['id']} in {self.db.address.text} are damaged: "
                        f"{self.db.address.rebuild}"
                    ) from None
                fetched[int(row["id"])] = Pieces(piece_ids, self.codec.decode(codes))
            cache.put_many(fetched)
            known.update(fetched)
        empty = Pieces(np.zeros(0, np.int32), np.zeros((0, self.dimension), np.float32))
        return [known.get(i, empty) for i in wanted]

    def piece_idf(self) -> np.ndarray:
        return self._idf

    def sample(self, kind: str) -> np.ndarray:
        return self._samples[kind]

    def sample_moments(self, kind: str) -> Moments:
        return Moments.of(self.vectors(kind, self._samples[kind]))

    # -- sentences and documents -----------------------------------------------------------
    def _sentence_rows(self, ids: Sequence[int]) -> dict[int, dict]:
        """Rows of the given sentence ids (and, in the same query, their neighbours)."""
        wanted = [int(i) for i in ids if int(i) >= 0]
        known = self._rows.get_many(wanted)
        missing = {i for i in wanted if i not in known}
        if missing:
            neighbours = {j for i in missing for j in (i - 1, i + 1) if j >= 0}
            fetch = sorted(missing | (neighbours - set(self._rows.get_many(sorted(neighbours)))))
            rows = {int(r["id"]): r for r in self._query(SENTENCES, fetch, ROW_FIELDS)}
            self._rows.put_many(rows)
            known.update({i: rows[i] for i in missing if i in rows})
        return {i: row for i, row in known.items() if int(row["doc"]) in self._live_docs}

    def rows(self, ids: np.ndarray) -> Rows:
        ids = np.asarray(ids, dtype=np.int64)
        found_rows = self._sentence_rows(ids.tolist())
        n = len(ids)
        document = [""] * n
        start, end = np.zeros(n, np.int64), np.zeros(n, np.int64)
        quotable, found = np.zeros(n, bool), np.zeros(n, bool)
        context = np.full(n, -1, np.int64)
        names = self._names_by_number
        for position, i in enumerate(ids.tolist()):
            row = found_rows.get(i)
            if row is None:
                continue
            found[position] = True
            document[position] = names[int(row["doc"])]
            start[position], end[position] = int(row["start"]), int(row["end"])
            quotable[position] = bool(row["quotable"])
            context[position] = int(row["context"])
        return Rows(document, start, end, quotable, context, found)

    def passages_holding(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ids = np.asarray(ids, dtype=np.int64)
        rows = self._sentence_rows(ids.tolist())
        position: list[int] = []
        passage: list[int] = []
        for p, i in enumerate(ids.tolist()):
            row = rows.get(i)
            for held in row["passages"] if row is not None else ():
                position.append(p)
                passage.append(int(held))
        return np.asarray(position, dtype=np.int64), np.asarray(passage, dtype=np.int64)

    def passage_sentences(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ids = np.asarray(ids, dtype=np.int64)
        known = self._passages.get_many(ids.tolist())
        missing = sorted({i for i in ids.tolist() if i not in known})
        if missing:
            fetched = {
                int(r["id"]): (int(r["first"]), int(r["last"]))
                for r in self._query(PASSAGES, missing, ["first", "last"])
            }
            self._passages.put_many(fetched)
            known.update(fetched)
        first = np.asarray([known.get(i, (0, -1))[0] for i in ids.tolist()], dtype=np.int64)
        last = np.asarray([known.get(i, (0, -1))[1] for i in ids.tolist()], dtype=np.int64)
        return first, last

    def context_text(self, ids: Sequence[int]) -> list[str]:
        wanted = [int(i) for i in ids]
        rows = {int(r["id"]): str(r["text"]) for r in self._query(CONTEXTS, [i for i in wanted if i >= 0], ["text"])}
        return [rows.get(i, "") for i in wanted]

    def document(self, name: str) -> Document:
        record = self._documents_by_name.get(name)
        if record is None:
            raise DocumentNotFoundError(f"no document named {name!r} in the index")
        number = int(record["number"])
        cached = self._texts.get_many([number]).get(number)
        if cached is not None:
            return cached
        parts = self.db.call(
            "query",
            self.collections["texts"],
            filter=f"doc == {number}",
            output_fields=["part", "text"],
            limit=max(int(record["parts"]), 1),
            timeout=READ_SECONDS,
        )
        text = "".join(str(r["text"]) for r in sorted(parts, key=lambda r: int(r["part"])))
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
        if len(parts) != int(record["parts"]) or digest != record["text_digest"]:
            raise IndexCorruptError(f"the stored text of {name} does not match its digest: {self.db.address.rebuild}")
        try:
            pages = [int(p) for p in json.loads(record["page_starts"] or "[]")]
        except (ValueError, TypeError):
            pages = []
        document = Document(name, text, str(record["digest"]), pages)
        self._texts.put_many({number: document})
        return document

    def document_names(self) -> list[str]:
        return list(self._names)

    # -- life cycle ----------------------------------------------------------------------------
    def is_current(self) -> bool:
        checked, current = self._checked
        if not current or time.monotonic() - checked < self.CHECK_SECONDS:
            return current
        current = self._still_live()
        self._checked = (time.monotonic(), current)
        return current

    def _still_live(self) -> bool:
        prefix = self.db.address.prefix
        try:
            target = self.db.client.describe_alias(schema.alias(prefix), timeout=10).get("collection_name", "")
            if schema.version_of(prefix, target) != self.version:
                return False
            rows = self.db.client.query(
                self.collections["meta"],
                ids=["manifest"],
                output_fields=["gen"],
                consistency_level="Strong",
                timeout=10,
            )
            return bool(rows) and int(rows[0]["gen"]) == int(self.manifest["generation"])
        except Exception:  # the alias or the meta collection is gone, or Milvus is: this state is not live
            return False

    def close(self) -> None:
        for cache in (self._rows, self._passages, self._texts, *self._pieces.values()):
            cache.clear()
        self.db.close()
