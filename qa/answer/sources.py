"""Has a quoted document changed since it was indexed? Quotes are of the indexed text.

A quote is exact for the file as it was when `qa index` read it. When the file has since
been edited or removed, a user who opens it may not find the quote: the answer says so
("changed since indexed"), so that nobody is shown as current what the file no longer
says. The check is a `stat` per quoted file; a file is read and hashed again only when
its size or modification time differs from the last check.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from qa.errors import QAError
from qa.read.files import file_digest

# Files larger than this are not hashed at question time (the build does not read them
# either, by default): such a file counts as changed.
MAX_CHECKED_BYTES = 64 * 2**20


class SourceCheck:
    """Compares quoted documents with the files under the folder the index was built from.

    Args:
        root: the documents folder, as recorded at build time ("" when unknown: no check).
        indexed_digest: the SHA-256 of a document's bytes when it was indexed.
    """

    def __init__(self, root: str, indexed_digest: Callable[[str], str]) -> None:
        self.root = Path(root) if root else None
        self.indexed_digest = indexed_digest
        self._seen: dict[str, tuple[tuple[int, int, int], bool]] = {}
        self._lock = threading.Lock()

    def changed(self, names: Iterable[str]) -> list[str]:
        """The documents among ``names`` whose file differs from the indexed one or is gone, in order."""
        if self.root is None or not self.root.is_dir():  # moved or on another machine: nothing to compare
            return []
        return [name for name in dict.fromkeys(names) if self._changed(name)]

    def _changed(self, name: str) -> bool:
        assert self.root is not None
        path = self.root / name
        try:
            info = os.stat(path)
        except OSError:
            return True  # removed (or no longer readable) since it was indexed
        key = (info.st_mtime_ns, info.st_size, info.st_ino)
        with self._lock:
            seen = self._seen.get(name)
        if seen is not None and seen[0] == key:
            return seen[1]
        try:
            changed = self._read_digest(path) != self.indexed_digest(name)
        except (OSError, QAError):
            return True
        with self._lock:
            self._seen[name] = (key, changed)
        return changed

    @staticmethod
    def _read_digest(path: Path) -> str | None:
        """SHA-256 of a regular file's bytes; None for a FIFO, a device or a huge file (never waited on)."""
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_CHECKED_BYTES:
                return None
            return file_digest(handle.read(MAX_CHECKED_BYTES + 1))
