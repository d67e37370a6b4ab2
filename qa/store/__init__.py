"""Store: the index on disk (a folder, or Milvus), and the protocol the ranker asks it through.

An index address is a folder path (the default engine: FAISS, BM25 arrays and SQLite
in versioned folders), ``milvus:PATH.db`` (Milvus Lite on a local file) or
``milvus://HOST:PORT`` (a Milvus server).
"""

from __future__ import annotations

from pathlib import Path

from qa.store.base import Index


def is_milvus(address: str | Path) -> bool:
    return str(address).startswith("milvus:")


def open_index(address: str | Path, model: str | None = None) -> Index:
    """Open the live index at ``address``.

    Raises:
        IndexMissingError, IndexCorruptError, IndexMismatchError: with what to run.
    """
    if is_milvus(address):
        from qa.store.milvus import MilvusIndex

        return MilvusIndex.open(str(address), model)
    from qa.store.folder import FolderIndex

    return FolderIndex.open(Path(address), model)
