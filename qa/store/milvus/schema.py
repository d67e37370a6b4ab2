"""The Milvus schema of an index: six collections per version, one alias naming the live one.

For a prefix ``qa`` (``milvus://host/NAME`` sets another) and a version ``v…``::

    qa_sentences                 alias → qa_v…_sentences: THE live index (moved atomically)
    qa_v…_sentences  id (pk) · doc · start · end · quotable · context · passages[] · key · rank
                     · text (analysed) → sparse (BM25 function) · vector (HNSW, IP) · pieces
    qa_v…_passages   id (pk) · doc · first · last · context · rank
                     · text (analysed) → sparse (BM25) · vector (HNSW, IP)
    qa_v…_contexts   id (pk: the text's hash) · text · vector (FLAT) · pieces
    qa_v…_documents  number (pk) · name · digest · text_digest · first/count of sentences and
                     passages · parts · page_starts
    qa_v…_texts      id (pk) · doc · part · text: each document's text in parts of 16,000 characters
    qa_v…_meta       key (pk) · gen · value: the manifest (JSON) and blobs (base64 parts): the
                     word-piece codebook, piece document frequencies, the score samples

Sentence ids of a document are consecutive in document order; ``rank`` is a fixed
pseudo-random number per id, so "the sample" is ``rank < threshold`` (stored in the
manifest). ``pieces`` holds each word piece's vocabulary id and its product-quantised
vector (`qa.embed.codec`), base64 in one VARCHAR: a rerank fetches 60 sentences' pieces
in one query. Collections Milvus needs to hold a vector field but that have none of
their own (documents, texts, meta) carry a 2-dimensional placeholder ``_v``.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from qa.split.terms import STOPWORDS

FORMAT = 1
KINDS = ("sentences", "passages", "contexts", "documents", "texts", "meta")
VARCHAR_MAX = 65535  # bytes
TEXT_PART = 16000  # characters of a document's text per row (at most 4 bytes each)
NAME_MAX = 4096
MAX_SPAN = 64  # most passages one sentence can lie in (window // stride + 1)
# BM25 as the folder index scores it: short units saturate early and normalise gently.
BM25_K1 = 0.9
BM25_B = 0.4
# Lower-cased, English stop words dropped, stemmed (Milvus Lite tokenises and drops stop
# words but does not stem; a Milvus server does all three).
ANALYZER: dict[str, Any] = {
    "tokenizer": "standard",
    "filter": [
        "lowercase",
        {"type": "stop", "stop_words": sorted(STOPWORDS)},
        {"type": "stemmer", "language": "english"},
    ],
}
HNSW = {"M": 16, "efConstruction": 200}
_VERSION = re.compile(r"^v\d{14}[0-9a-f]{6}$")


def new_version() -> str:
    return f"v{time.strftime('%Y%m%d%H%M%S')}{secrets.token_hex(3)}"


def alias(prefix: str) -> str:
    return f"{prefix}_sentences"


def name(prefix: str, version: str, kind: str) -> str:
    return f"{prefix}_{version}_{kind}"


def version_of(prefix: str, collection: str) -> str | None:
    """The version a collection belongs to (None for a collection of something else)."""
    head = f"{prefix}_"
    if not collection.startswith(head):
        return None
    version, _, kind = collection[len(head) :].partition("_")
    return version if _VERSION.match(version) and kind in KINDS else None


def create(client: Any, call: Any, prefix: str, version: str, dimension: int) -> None:
    """Create the six collections of a version (loaded, with their indexes)."""
    from pymilvus import DataType, Function, FunctionType

    def schema() -> Any:
        return client.create_schema(auto_id=False, enable_dynamic_field=False)

    def placeholder(s: Any, index: Any) -> None:
        s.add_field("_v", DataType.FLOAT_VECTOR, dim=2)
        index.add_index("_v", index_type="FLAT", metric_type="L2")

    def text_search(s: Any, index: Any) -> None:
        s.add_field("text", DataType.VARCHAR, max_length=VARCHAR_MAX, enable_analyzer=True, analyzer_params=ANALYZER)
        s.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        s.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
        s.add_function(
            Function(
                name="bm25", function_type=FunctionType.BM25, input_field_names=["text"], output_field_names=["sparse"]
            )
        )
        index.add_index(
            "sparse",
            index_type="SPARSE_INVERTED_INDEX",
            metric_type="BM25",
            params={"bm25_k1": BM25_K1, "bm25_b": BM25_B},
        )
        index.add_index("vector", index_type="HNSW", metric_type="IP", params=HNSW)

    collections = {}
    # sentences
    s, index = schema(), client.prepare_index_params()
    s.add_field("id", DataType.INT64, is_primary=True)
    s.add_field("doc", DataType.INT64)
    s.add_field("start", DataType.INT64)
    s.add_field("end", DataType.INT64)
    s.add_field("quotable", DataType.BOOL)
    s.add_field("context", DataType.INT64)
    s.add_field("passages", DataType.ARRAY, element_type=DataType.INT64, max_capacity=MAX_SPAN)
    s.add_field("key", DataType.INT64)
    s.add_field("rank", DataType.FLOAT)
    text_search(s, index)
    s.add_field("pieces", DataType.VARCHAR, max_length=VARCHAR_MAX)
    for field in ("doc", "key", "rank"):
        index.add_index(field, index_type="INVERTED")
    collections["sentences"] = (s, index)
    # passages
    s, index = schema(), client.prepare_index_params()
    s.add_field("id", DataType.INT64, is_primary=True)
    s.add_field("doc", DataType.INT64)
    s.add_field("first", DataType.INT64)
    s.add_field("last", DataType.INT64)
    s.add_field("context", DataType.INT64)
    s.add_field("rank", DataType.FLOAT)
    text_search(s, index)
    for field in ("doc", "rank"):
        index.add_index(field, index_type="INVERTED")
    collections["passages"] = (s, index)
    # contexts
    s, index = schema(), client.prepare_index_params()
    s.add_field("id", DataType.INT64, is_primary=True)
    s.add_field("text", DataType.VARCHAR, max_length=VARCHAR_MAX)
    s.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
    s.add_field("pieces", DataType.VARCHAR, max_length=VARCHAR_MAX)
    index.add_index("vector", index_type="FLAT", metric_type="IP")
    collections["contexts"] = (s, index)
    # documents
    s, index = schema(), client.prepare_index_params()
    s.add_field("number", DataType.INT64, is_primary=True)
    s.add_field("name", DataType.VARCHAR, max_length=NAME_MAX)
    s.add_field("digest", DataType.VARCHAR, max_length=128)
    s.add_field("text_digest", DataType.VARCHAR, max_length=128)
    for field in ("first_sentence", "sentences", "first_passage", "passages", "parts", "length"):
        s.add_field(field, DataType.INT64)
    s.add_field("page_starts", DataType.VARCHAR, max_length=VARCHAR_MAX)
    placeholder(s, index)
    collections["documents"] = (s, index)
    # texts
    s, index = schema(), client.prepare_index_params()
    s.add_field("id", DataType.INT64, is_primary=True)
    s.add_field("doc", DataType.INT64)
    s.add_field("part", DataType.INT64)
    s.add_field("text", DataType.VARCHAR, max_length=VARCHAR_MAX)
    placeholder(s, index)
    index.add_index("doc", index_type="INVERTED")
    collections["texts"] = (s, index)
    # meta
    s, index = schema(), client.prepare_index_params()
    s.add_field("key", DataType.VARCHAR, is_primary=True, max_length=256)
    s.add_field("gen", DataType.INT64)
    s.add_field("value", DataType.VARCHAR, max_length=VARCHAR_MAX)
    placeholder(s, index)
    collections["meta"] = (s, index)
    for kind in KINDS:
        s, index = collections[kind]
        collection = name(prefix, version, kind)
        call("create_collection", collection, schema=s)
        # Indexes of an empty collection are built at once: no need to poll for each (pymilvus
        # would wait half a second an index).
        call("create_index", collection, index, _async=True)
        call("load_collection", collection)


# -- values ---------------------------------------------------------------------------


def clip(text: str, limit: int = VARCHAR_MAX) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes (whole characters)."""
    data = text.encode("utf-8", "replace")
    if len(data) <= limit:
        return text.encode("utf-8", "replace").decode("utf-8")
    return data[:limit].decode("utf-8", "ignore")


def signed(keys: np.ndarray) -> np.ndarray:
    """uint64 hashes as the int64 Milvus stores."""
    return np.asarray(keys, dtype=np.uint64).view(np.int64)


def context_id(key: int) -> int:
    """A context's id: its text's hash, as a non-negative int64."""
    return int(key) & 0x7FFF_FFFF_FFFF_FFFF


def ranks(ids: np.ndarray) -> np.ndarray:
    """A fixed pseudo-random number in [0, 1) per id (float32, exact): what picks the sample."""
    x = np.asarray(ids, dtype=np.int64).astype(np.uint64)
    with np.errstate(over="ignore"):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return ((x >> np.uint64(40)).astype(np.float64) / float(1 << 24)).astype(np.float32)


def sample(ids: np.ndarray, size: int) -> tuple[np.ndarray, float]:
    """The sample of ``ids`` (those of lowest rank, at most ``size``) and the threshold that selects it."""
    ids = np.asarray(ids, dtype=np.int64)
    if len(ids) <= size:
        return np.sort(ids), 2.0
    r = ranks(ids)
    cut = np.partition(r, size - 1)[size - 1]
    threshold = float(np.nextafter(cut, np.float32(2.0)))
    return np.sort(ids[r < np.float32(threshold)]), threshold


def pack_pieces(ids: np.ndarray, codes: np.ndarray, wide: bool) -> str:
    """A unit's word pieces as base64: vocabulary ids (uint16, or int32 when ``wide``), then PQ codes."""
    id_type = "<i4" if wide else "<u2"
    data = np.asarray(ids).astype(id_type).tobytes() + np.ascontiguousarray(codes, dtype=np.uint8).tobytes()
    return base64.b64encode(data).decode("ascii")


def unpack_pieces(text: str, parts: int, wide: bool) -> tuple[np.ndarray, np.ndarray]:
    """(int32 ids, uint8 codes (n, parts)) from `pack_pieces`. Raises ValueError when malformed."""
    data = base64.b64decode(text.encode("ascii"), validate=True)
    width = 4 if wide else 2
    n, extra = divmod(len(data), width + parts)
    if extra:
        raise ValueError("word pieces of the wrong size")
    ids = np.frombuffer(data[: n * width], dtype="<i4" if wide else "<u2").astype(np.int32)
    codes = np.frombuffer(data[n * width :], dtype=np.uint8).reshape(n, parts)
    return ids, codes


def max_pieces(parts: int, wide: bool) -> int:
    """Most word pieces one VARCHAR holds."""
    return (VARCHAR_MAX // 4 * 3) // ((4 if wide else 2) + parts)


# -- blobs in the meta collection -------------------------------------------------------

BLOB_PART = 60000  # base64 characters a row


def blob_rows(key: str, gen: int, data: bytes) -> tuple[list[dict], dict]:
    """Meta rows holding ``data``, and the descriptor the manifest keeps (parts, digest)."""
    text = base64.b64encode(data).decode("ascii")
    parts = [text[i : i + BLOB_PART] for i in range(0, len(text), BLOB_PART)] or [""]
    rows = [{"key": f"{key}@{gen}/{i}", "gen": gen, "value": part, "_v": [0.0, 0.0]} for i, part in enumerate(parts)]
    return rows, {"key": key, "gen": gen, "parts": len(parts), "sha256": hashlib.sha256(data).hexdigest()}


def pack_terms(counts: Mapping[int, int]) -> bytes:
    """Sentences holding each BM25 term key: the sorted keys (uint64), then the counts (int64)."""
    held = sorted(k for k, n in counts.items() if n > 0)
    keys = np.asarray(held, dtype="<u8")
    return keys.tobytes() + np.asarray([counts[k] for k in held], dtype="<i8").tobytes()


def unpack_terms(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(keys, counts) of `pack_terms`. Raises ValueError when the bytes cannot be such a table."""
    if len(data) % 16:
        raise ValueError("the stored term counts have a wrong length")
    n = len(data) // 16
    keys = np.frombuffer(data[: 8 * n], dtype="<u8").astype(np.uint64)
    counts = np.frombuffer(data[8 * n :], dtype="<i8").astype(np.int64)
    if n and (np.any(np.diff(keys) == 0) or np.any(keys[1:] < keys[:-1]) or counts.min() < 1):
        raise ValueError("the stored term counts are not a sorted table")
    return keys, counts


def blob_keys(descriptor: dict) -> list[str]:
    return [f"{descriptor['key']}@{descriptor['gen']}/{i}" for i in range(int(descriptor["parts"]))]


def blob_join(descriptor: dict, values: dict[str, str]) -> bytes:
    """The blob's bytes from its rows' values. Raises ValueError when a part is missing or altered."""
    data = base64.b64decode("".join(values[k] for k in blob_keys(descriptor)).encode("ascii"))
    if hashlib.sha256(data).hexdigest() != descriptor["sha256"]:
        raise ValueError(f"the stored {descriptor['key']} does not match its digest")
    return data
