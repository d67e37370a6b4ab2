"""Writing files so that a kill at any moment leaves either the old state or the new, and checking them."""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import secrets
from pathlib import Path

import numpy as np

CHUNK = 1 << 20


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def fsync_file(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def fsync_dir(path: Path) -> None:
    handle = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def seal(folder: Path, extra: dict) -> dict:
    """Checksum every file in ``folder``, fsync them, then write ``manifest.json`` last.

    The manifest lists each file's size and SHA-256, so a reader can tell a complete,
    intact folder from a damaged one.
    """
    files = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name != "manifest.json":
            fsync_file(path)
            files[path.relative_to(folder).as_posix()] = {"size": path.stat().st_size, "sha256": sha256(path)}
    manifest = {**extra, "files": files}
    write_json(folder / "manifest.json", manifest)
    fsync_dir(folder)
    return manifest


def write_json(path: Path, value: object) -> None:
    """Write JSON atomically (temporary file, fsync, rename)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(value, handle, ensure_ascii=False)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def save_array(path: Path, array: np.ndarray) -> None:
    np.save(path, np.ascontiguousarray(array), allow_pickle=False)


def load_array(path: Path, mmap: bool = True) -> np.ndarray:
    """An array from a .npy file, memory-mapped read-only by default.

    A mapped array is handed out as a plain ndarray view (the mapping stays alive as its
    base): np.memmap's Python-level indexing costs microseconds per call, and a question
    indexes these arrays thousands of times.
    """
    array = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    return array.view(np.ndarray) if isinstance(array, np.memmap) else array


def release(*arrays: np.ndarray) -> None:
    """Drop the pages of memory-mapped arrays from this process (the file and page cache keep them).

    A build reads and writes files larger than memory through mappings; pages it has
    touched count in its resident size until released. Plain arrays are left alone.
    """
    for array in arrays:
        base: np.ndarray | None = array
        while base is not None and not isinstance(base, np.memmap):
            base = base.base
        mapping = getattr(base, "_mmap", None)
        if mapping is not None and hasattr(mapping, "madvise"):
            mapping.madvise(mmap.MADV_DONTNEED)


def damaged(folder: Path, manifest: dict, full: bool) -> list[str]:
    """Files of ``folder`` that are missing, of the wrong size or (when ``full``) of the wrong checksum."""
    bad = []
    files = manifest.get("files")
    if not isinstance(files, dict):
        return ["manifest.json"]
    for name, expected in files.items():
        path = folder / name
        try:
            if (
                not isinstance(expected, dict)
                or path.stat().st_size != expected.get("size")
                or full
                and sha256(path) != expected.get("sha256")
            ):
                bad.append(name)
        except OSError:
            bad.append(name)
    return bad
