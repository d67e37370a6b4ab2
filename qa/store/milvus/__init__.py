"""The Milvus index: Milvus Lite on a local file (``milvus:PATH.db``) or a Milvus server (``milvus://HOST:PORT``).

The same `Index` protocol as the folder index (`qa.store.base`), so the ranker and the
assistant run unchanged on either. pymilvus is imported only when an address names Milvus.
"""

from __future__ import annotations

from qa.store.milvus.check import check_milvus
from qa.store.milvus.reader import MilvusIndex
from qa.store.milvus.writer import MilvusWriter

__all__ = ["MilvusIndex", "MilvusWriter", "check_milvus"]
