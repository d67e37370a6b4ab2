"""The live version of a Milvus index: its alias, its manifest and its blobs, read and checked."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from qa.embed.codec import PieceCodec
from qa.errors import IndexCorruptError, IndexMismatchError, IndexMissingError, QAError
from qa.store.milvus import schema
from qa.store.milvus.connection import Connection, message


@dataclass
class Live:
    """The version the alias names, and its manifest."""

    version: str
    manifest: dict

    def collection(self, prefix: str, kind: str) -> str:
        return schema.name(prefix, self.version, kind)


def live_version(db: Connection) -> str | None:
    """The version the index's alias names, or None when there is no index yet.

    Raises:
        IndexCorruptError: the alias names a collection that is not a version of this index.
    """
    prefix = db.address.prefix
    listed = db.call("list_aliases")
    aliases = listed.get("aliases", []) if isinstance(listed, dict) else []
    if schema.alias(prefix) not in aliases:
        return None
    target = db.call("describe_alias", schema.alias(prefix)).get("collection_name", "")
    version = schema.version_of(prefix, target)
    if version is None:
        raise IndexCorruptError(f"the alias {schema.alias(prefix)} names {target!r}: {db.address.rebuild}")
    return version


def load(db: Connection, version: str, kinds: tuple[str, ...] = schema.KINDS) -> None:
    """Make the version's collections searchable (Milvus keeps them loaded; Milvus Lite loads on demand).

    Raises:
        IndexCorruptError: a collection of the version is missing.
    """
    for kind in kinds:
        collection = schema.name(db.address.prefix, version, kind)
        try:
            state = db.client.get_load_state(collection, timeout=60)
            if "NotLoad" in str(state.get("state", "")) or "Released" in str(state.get("state", "")):
                db.client.load_collection(collection, timeout=600)
        except Exception as exc:
            raise IndexCorruptError(
                f"the index at {db.address.text} lacks {collection} ({message(exc)[:120]}): {db.address.rebuild}"
            ) from None


def read_manifest(db: Connection, version: str) -> dict:
    """The version's manifest. Raises `IndexCorruptError` when missing or malformed."""
    meta = schema.name(db.address.prefix, version, "meta")
    try:
        load(db, version, ("meta",))
        rows = db.client.query(meta, ids=["manifest"], output_fields=["value"], consistency_level="Strong", timeout=60)
        manifest = json.loads(rows[0]["value"])
    except Exception as exc:  # missing collection or row, bad JSON: the version is unusable
        raise IndexCorruptError(
            f"the manifest of {db.address.text} is unreadable ({message(exc)[:120]}): {db.address.rebuild}"
        ) from None
    if not _well_formed(manifest):
        raise IndexCorruptError(f"the manifest of {db.address.text} is malformed: {db.address.rebuild}")
    return manifest


def open_live(db: Connection, model: str | None = None) -> Live:
    """The live version, checked against the format and the model.

    Raises:
        IndexMissingError, IndexCorruptError, IndexMismatchError: with what to run.
    """
    version = live_version(db)
    if version is None:
        raise IndexMissingError(f"no index at {db.address.text}: run `qa index --index {db.address.text}` to build one")
    manifest = read_manifest(db, version)
    if manifest["format"] != schema.FORMAT:
        raise IndexMismatchError(
            f"the index at {db.address.text} has format {manifest['format']!r}, "
            f"this version reads {schema.FORMAT}: {db.address.rebuild}"
        )
    if model is not None and manifest["model"]["name"] != model:
        raise IndexMismatchError(
            f"the index at {db.address.text} was built with model {manifest['model']['name']!r}, "
            f"not {model!r}: {db.address.rebuild}"
        )
    return Live(version, manifest)


def read_blobs(db: Connection, version: str, descriptors: list[dict]) -> list[bytes]:
    """The bytes of each blob. Raises `IndexCorruptError` when one is missing or altered."""
    meta = schema.name(db.address.prefix, version, "meta")
    keys = [k for d in descriptors for k in schema.blob_keys(d)]
    values: dict[str, str] = {}
    for a in range(0, len(keys), 256):
        rows = db.call("query", meta, ids=keys[a : a + 256], output_fields=["value"], consistency_level="Strong")
        values.update({r["key"]: r["value"] for r in rows})
    try:
        return [schema.blob_join(d, values) for d in descriptors]
    except (KeyError, ValueError) as exc:
        raise IndexCorruptError(f"the index at {db.address.text} is damaged ({exc}): {db.address.rebuild}") from None


def codec_of(data: bytes, manifest: dict) -> PieceCodec:
    """The word-piece codebook from its blob. Raises ValueError when it is not the one the manifest names."""
    import io

    centroids = np.load(io.BytesIO(data), allow_pickle=False)
    codec = PieceCodec(centroids)
    if codec.digest != manifest["codec"]["digest"] or codec.dimension != manifest["model"]["dimension"]:
        raise ValueError("the word-piece codebook is not the one the manifest names")
    return codec


def codec_bytes(codec: PieceCodec) -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, codec.centroids.astype(np.float32), allow_pickle=False)
    return buffer.getvalue()


def live_filter(manifest: dict, field: str = "doc") -> str:
    """The filter that hides rows a build has written but not committed, and documents it has replaced."""
    expression = f"{field} < {int(manifest['next']['doc'])}"
    stale = [int(n) for n in manifest.get("stale", [])]
    if stale:
        expression += f" and {field} not in [{','.join(map(str, stale))}]"
    return expression


def _well_formed(manifest: object) -> bool:
    if not isinstance(manifest, dict):
        return False
    try:
        model, counts, nxt, chunking = manifest["model"], manifest["counts"], manifest["next"], manifest["chunking"]
        return (
            isinstance(manifest["format"], int)
            and isinstance(model["name"], str)
            and isinstance(model["dimension"], int)
            and all(isinstance(counts[k], int) for k in ("documents", "sentences", "passages", "contexts"))
            and all(isinstance(nxt[k], int) for k in ("doc", "sentence", "passage"))
            and isinstance(chunking["window"], int)
            and isinstance(chunking["stride"], int)
            and chunking["stride"] > 0
            and isinstance(manifest["codec"]["digest"], str)
            and isinstance(manifest["codec"]["parts"], int)
            and all(k in manifest["blobs"] for k in ("codec", "df", "sample-sentences", "sample-passages"))
            and isinstance(manifest["generation"], int)
            and isinstance(manifest.get("stale", []), list)
        )
    except (KeyError, TypeError):
        return False


def documents_table(db: Connection, version: str, manifest: dict) -> list[dict]:
    """The rows of the documents the version holds live (no texts), in number order.

    A row is live when a commit made it so (number below ``next.doc``) and no later commit
    replaced it (not ``stale``); of two rows with one name, the newer wins.
    """
    collection = schema.name(db.address.prefix, version, "documents")
    fields = [
        "number",
        "name",
        "digest",
        "text_digest",
        "first_sentence",
        "sentences",
        "first_passage",
        "passages",
        "parts",
        "length",
        "page_starts",
    ]
    rows = query_all(db, collection, live_filter(manifest, "number"), fields)
    newest: dict[str, dict] = {}
    for row in rows:
        current = newest.get(row["name"])
        if current is None or row["number"] > current["number"]:
            newest[row["name"]] = row
    return sorted(newest.values(), key=lambda r: r["number"])


def query_all(db: Connection, collection: str, expression: str, fields: list[str], batch: int = 4096) -> list[dict]:
    """Every row matching ``expression`` (read in batches, ordered by primary key)."""
    try:
        iterator = db.client.query_iterator(
            collection, batch_size=batch, filter=expression, output_fields=fields, timeout=120
        )
    except Exception as exc:
        raise QAError(f"{db.address.where}: reading {collection} failed ({message(exc)})") from None
    out: list[dict] = []
    try:
        while True:
            rows = iterator.next()
            if not rows:
                break
            out.extend(dict(r) for r in rows)
    except Exception as exc:
        raise QAError(f"{db.address.where}: reading {collection} failed ({message(exc)})") from None
    finally:
        iterator.close()
    return out
