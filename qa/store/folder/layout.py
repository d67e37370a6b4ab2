"""The folder index on disk: versions, the live pointer, the build lock and the embedding cache.

    IX/
      .lock              held by the one build running (readers never take it)
      CURRENT            name of the live version (replaced atomically)
      cache/<model>/     embedding cache segments (qa.store.folder.segments), shared by versions
      v-<time>-<rand>/   one version, immutable once sealed (manifest.json written last)

A build writes a new version folder, seals it, then replaces CURRENT: a build killed at
any moment leaves the previous version live and loadable, and its finished cache
segments for the next build to reuse.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from pathlib import Path

from qa.errors import IndexCorruptError, IndexMissingError
from qa.store.folder.files import fsync_dir

FORMAT_VERSION = 2
POINTER = "CURRENT"
LOCK = ".lock"
CACHE = "cache"
VERSION = re.compile(r"^v-\d{14}-[0-9a-f]{8}$")
REBUILD = "run `qa index` to rebuild it"


def new_version_name() -> str:
    return f"v-{time.strftime('%Y%m%d%H%M%S')}-{secrets.token_hex(4)}"


def read_pointer(root: Path) -> str:
    """The live version's name.

    Raises:
        IndexMissingError: no index was ever built here.
        IndexCorruptError: the pointer is unreadable or names no valid version.
    """
    pointer = root / POINTER
    try:
        raw = pointer.read_bytes()[:200]
    except FileNotFoundError:
        if root.exists() and not root.is_dir():
            raise IndexCorruptError(f"{root} is not a folder") from None
        raise IndexMissingError(f"no index at {root}: run `qa index` to build one") from None
    except IsADirectoryError:
        raise IndexCorruptError(f"the index pointer {pointer} is a folder: {REBUILD}") from None
    except OSError as exc:
        raise IndexCorruptError(f"cannot read the index at {root} ({exc.strerror}): {REBUILD}") from None
    try:
        name = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        name = ""
    if not VERSION.match(name):
        raise IndexCorruptError(f"the index pointer {pointer} is garbled: {REBUILD}")
    if not (root / name).is_dir():
        raise IndexCorruptError(f"the index at {root} points to a missing version: {REBUILD}")
    return name


def write_pointer(root: Path, name: str) -> None:
    """Make ``name`` the live version, atomically and durably."""
    pointer = root / POINTER
    if pointer.is_dir() and not pointer.is_symlink():  # a garbled pointer: replaced like any other
        import shutil

        shutil.rmtree(pointer)
    tmp = root / f".{POINTER}.{secrets.token_hex(4)}"
    with open(tmp, "w") as handle:
        handle.write(name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, root / POINTER)
    fsync_dir(root)
