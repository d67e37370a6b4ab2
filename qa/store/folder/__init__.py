"""The folder index: FAISS, BM25 arrays and SQLite documents in versioned folders, an embedding cache beside them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from qa.errors import BuildLockedError, QAError
from qa.store.folder.layout import LOCK
from qa.store.folder.reader import FolderIndex
from qa.store.folder.writer import FolderWriter

__all__ = ["FolderIndex", "FolderWriter", "build_lock"]


@contextmanager
def build_lock(root: Path, wait: bool = True, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the index's build lock (an OS file lock: released if the process dies).

    Args:
        wait: wait for a running build to finish; else fail at once.
        on_wait: told, once, that another build holds the lock.

    Raises:
        BuildLockedError: another build holds it and ``wait`` is False.
    """
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise QAError(f"cannot create the index folder {root} ({exc.strerror or exc})") from None
    lock = FileLock(root / LOCK)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if not wait:
            raise BuildLockedError(f"another `qa index` is building {root}: try again when it has finished") from None
        if on_wait:
            on_wait(f"another `qa index` is building {root}: waiting for it to finish")
        lock.acquire()
    except OSError as exc:
        raise QAError(f"cannot lock the index folder {root} ({exc.strerror or exc})") from None
    try:
        yield
    finally:
        lock.release()
