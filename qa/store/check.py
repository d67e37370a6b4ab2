"""`qa check`: verify an index completely (every checksum, every bound), reading it all."""

from __future__ import annotations

import json
from pathlib import Path

from qa.errors import QAError
from qa.store import is_milvus


def check_index(address: str) -> tuple[list[str], str]:
    """(problems found, a one-line summary). Never raises for a damaged index: it reports it."""
    if is_milvus(address):
        from qa.store.milvus import check_milvus

        return check_milvus(address)
    return _check_folder(Path(address))


def unreadable_documents(index) -> list[str]:  # type: ignore[no-untyped-def]
    """Why each document whose stored text cannot be read (or fails its digest) is bad."""
    problems = []
    for name in index.document_names():
        try:
            index.document(name)
        except QAError as exc:
            problems.append(str(exc))
    return problems


def _check_folder(root: Path) -> tuple[list[str], str]:
    from qa.errors import IndexMissingError
    from qa.store.folder import FolderIndex

    try:
        # Opening with full_check verifies every file's checksum, the cache segments' too.
        index = FolderIndex.open(root, full_check=True)
    except IndexMissingError:
        raise
    except QAError as exc:
        return [str(exc)], ""
    try:
        problems = unreadable_documents(index)
        info = index.info
        summary = f"{info.documents} documents, {info.sentences} sentences, {len(index.segments)} cache segments"
        manifest = json.loads((index.folder / "manifest.json").read_text())
        summary += f", built {manifest.get('built_at', '?')}"
    finally:
        index.close()
    return problems, summary
