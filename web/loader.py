"""One assistant per process: opened on first use, re-opened after a rebuild, thread-safe."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import threading
import weakref
from collections.abc import Callable
from pathlib import Path

from qa import Assistant

# After the assistant of an old index is gone, how long to wait before handing its memory back.
RELEASE_DELAY_SECONDS = 1.0


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, or None where there is none (musl, macOS)."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim  # type: ignore[no-any-return]
    except (OSError, AttributeError):
        return None


_MALLOC_TRIM = _malloc_trim()


def release_memory() -> None:
    """Collect garbage, then give the heap's free pages back to the system.

    Request threads allocate from their own malloc arenas, and an index freed from
    several of them leaves each partly empty: without this, every rebuild served
    added tens of megabytes to the process for good.
    """
    gc.collect()
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


class AssistantLoader:
    """Hands out the process's `Assistant`, opening it at most once per index version.

    The loader keeps no reference to an assistant it replaced: once the questions still
    using it are answered it is freed, and its memory handed back soon after.

    Args:
        index_dir: the index folder to open (and re-open when it is rebuilt).
        assistant: an already-open assistant to start with (tests).
    """

    def __init__(self, index_dir: str | Path, assistant: Assistant | None = None) -> None:
        self.index_dir = Path(index_dir)
        self._assistant = assistant
        self._lock = threading.Lock()

    def get(self) -> Assistant:
        """The current assistant.

        Raises:
            QAError: the index is missing, corrupt or built for another model; the
                message says what to run.
        """
        assistant = self._assistant
        if assistant is not None and assistant.is_current():
            return assistant
        with self._lock:
            # Another thread may have re-opened it while this one waited.
            assistant = self._assistant
            if assistant is not None and assistant.is_current():
                return assistant
            if assistant is not None:
                _release_when_freed(assistant)
            del assistant
            self._assistant = None  # an index that is gone is not served from memory
            self._assistant = Assistant.open(self.index_dir)
            return self._assistant


def _release_when_freed(assistant: Assistant) -> None:
    """Give the memory back once ``assistant`` is freed.

    Its finalizer runs as it starts being freed, before its arrays are, so the release
    waits a moment, on a timer thread that costs no request anything.
    """

    def later() -> None:
        timer = threading.Timer(RELEASE_DELAY_SECONDS, release_memory)
        timer.daemon = True
        timer.start()

    weakref.finalize(assistant, later).atexit = False
