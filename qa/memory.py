"""Giving freed memory back to the system (glibc keeps a process's freed heap pages)."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from collections.abc import Callable


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, or None where there is none (musl, macOS)."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim  # type: ignore[no-any-return]
    except (OSError, AttributeError):
        return None


_MALLOC_TRIM = _malloc_trim()


def release_memory() -> None:
    """Collect garbage, then give the heap's free pages back to the system.

    Memory freed by many threads (request threads, ONNX Runtime's pool) stays in their
    malloc arenas; without this, a process keeps the high-water mark of what it freed.
    """
    gc.collect()
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)
