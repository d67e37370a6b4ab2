"""`qa check` for a Milvus index: read every row of the live state and check it against the manifest."""

from __future__ import annotations

import numpy as np

from qa.errors import IndexCorruptError, IndexMismatchError, IndexMissingError, QAError
from qa.store.check import unreadable_documents
from qa.store.milvus import schema
from qa.store.milvus.manifest import live_filter, query_all
from qa.store.milvus.reader import MilvusIndex


def check_milvus(address: str) -> tuple[list[str], str]:
    """(problems found, a one-line summary). Never raises for a damaged index: it reports it.

    Raises:
        QAError: a bad address, or Milvus cannot be reached (nothing was checked).
    """
    try:
        index = MilvusIndex.open(address)
    except (IndexMissingError, IndexCorruptError, IndexMismatchError) as exc:
        return [str(exc)], ""
    problems: list[str] = []
    try:
        problems += _check_rows(index)
        problems += unreadable_documents(index)
        manifest = index.manifest
        counts = manifest["counts"]
        others = sorted(
            {
                v
                for c in index.db.call("list_collections")
                if (v := schema.version_of(index.db.address.prefix, c)) not in (None, index.version)
            }
        )
        summary = (
            f"{counts['documents']} documents, {counts['sentences']} sentences, {counts['passages']} passages "
            f"in collections {index.db.address.prefix}_{index.version}_*"
            + (f" ({len(others)} other version{'s' if len(others) != 1 else ''} kept)" if others else "")
            + f", built {manifest.get('built_at', '?')}"
        )
    except QAError as exc:
        problems.append(str(exc))
        summary = ""
    finally:
        index.close()
    return problems, summary


def _check_rows(index: MilvusIndex) -> list[str]:
    """Every live sentence and passage: where its document says, in range, with readable word pieces."""
    problems: list[str] = []
    manifest = index.manifest
    expression = live_filter(manifest)
    records = {name: index._documents_by_name[name] for name in index.document_names()}
    by_number = {int(r["number"]): r for r in records.values()}
    sentences = query_all(
        index.db, index.collections["sentences"], expression, ["doc", "start", "end", "context", "pieces"], batch=1024
    )
    if len(sentences) != manifest["counts"]["sentences"]:
        problems.append(f"{len(sentences)} sentences are stored, the manifest counts {manifest['counts']['sentences']}")
    ids_of: dict[int, list[int]] = {}
    contexts: set[int] = set()
    bad_pieces = 0
    for row in sentences:
        record = by_number.get(int(row["doc"]))
        if record is None:
            problems.append(f"sentence {row['id']} belongs to no document")
            continue
        ids_of.setdefault(int(row["doc"]), []).append(int(row["id"]))
        if not 0 <= int(row["start"]) < int(row["end"]) <= int(record["length"]):
            problems.append(f"sentence {row['id']} of {record['name']} points outside its text")
        if int(row["context"]) >= 0:
            contexts.add(int(row["context"]))
        try:
            schema.unpack_pieces(str(row["pieces"]), index.codec.parts, index.wide)
        except ValueError:
            bad_pieces += 1
    if bad_pieces:
        problems.append(f"the word pieces of {bad_pieces} sentences are damaged")
    for number, record in by_number.items():
        first, count = int(record["first_sentence"]), int(record["sentences"])
        if sorted(ids_of.get(number, [])) != list(range(first, first + count)):
            problems.append(f"the sentences of {record['name']} are not the {count} its record lists")
    passages = query_all(index.db, index.collections["passages"], expression, ["doc", "first", "last"], batch=4096)
    if len(passages) != manifest["counts"]["passages"]:
        problems.append(f"{len(passages)} passages are stored, the manifest counts {manifest['counts']['passages']}")
    for row in passages:
        record = by_number.get(int(row["doc"]))
        first = int(record["first_sentence"]) if record else 0
        if record is None or not first <= int(row["first"]) <= int(row["last"]) < first + int(record["sentences"]):
            problems.append(f"passage {row['id']} points outside its document")
    if contexts:
        found = {int(r["id"]) for r in index._query("contexts", sorted(contexts), ["id"])}
        if missing := len(contexts - found):
            problems.append(f"{missing} headings or definition terms that sentences refer to are missing")
    sample = index.sample("sentences")
    if len(sample) and not np.all(np.isin(sample, np.fromiter((int(r["id"]) for r in sentences), dtype=np.int64))):
        problems.append("the score sample names sentences the index does not hold")
    return problems[:50]
