"""One assistant per process: opened on first use, re-opened after a rebuild, a broken index remembered.

When the index cannot be opened (missing, damaged, built for another model), the loader
remembers why and answers every request with that reason without trying again, until
the index changes: the folder engine's ``CURRENT`` pointer is replaced (what every
rebuild does), or `RETRY_SECONDS` have passed (a repair that leaves the pointer alone;
an index at a ``milvus:`` address, which has no pointer file, after
`REMOTE_RETRY_SECONDS`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from qa import Assistant, QAError
from qa.errors import IndexMissingError
from qa.memory import release_memory

log = logging.getLogger(__name__)

# After the assistant of an old index is gone, how long to wait before handing its memory back.
RELEASE_DELAY_SECONDS = 1.0
# The folder engine's pointer to the live version (qa.store.folder.layout.POINTER): every
# rebuild replaces it, so a change of it is the signal to try a broken index again.
POINTER = "CURRENT"
# A broken index is tried again this long after it failed, even with its pointer unchanged.
RETRY_SECONDS = 10.0
# A `milvus:` index has no pointer file to watch: it is tried again this often.
REMOTE_RETRY_SECONDS = 5.0
# What a status says about an index that exists but cannot be used.
MISSING, BROKEN = "no index", "degraded"


@dataclass(frozen=True)
class Failure:
    """Why the index cannot be used, and what it looked like then.

    status: "no index" (none was ever built there) or "degraded" (damaged, built for
        another model, unreadable).
    message: one line for people, saying what to run.
    signature: the pointer file's identity and content when it failed (None: no file to watch).
    at: when it failed (`time.monotonic`).
    """

    status: str
    message: str
    signature: object
    at: float

    @property
    def code(self) -> str:
        """The machine-readable error code of the 503 answers."""
        return "no_index" if self.status == MISSING else "index_broken"


class IndexUnavailable(QAError):
    """The index cannot be used: the failure says why (status, code, message)."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


def is_remote(index: str | Path) -> bool:
    """True for a `milvus:` address: an index with no pointer file."""
    return str(index).startswith("milvus:")


class AssistantLoader:
    """Hands out the process's `Assistant`, opening it at most once per index version.

    The loader keeps no reference to an assistant it replaced: once the questions still
    using it are answered it is freed, and its memory handed back soon after. An index
    that fails to open is not tried again on every request (see the module's docstring).

    Args:
        index_dir: the index folder (or ``milvus:`` address) to open, and re-open when it is rebuilt.
        assistant: an already-open assistant to start with (tests).
        retry_seconds: how long a failure is remembered while the index does not change
            (default `RETRY_SECONDS`, or `REMOTE_RETRY_SECONDS` for a ``milvus:`` address).
        clock: the time source (tests).
    """

    def __init__(
        self,
        index_dir: str | Path,
        assistant: Assistant | None = None,
        retry_seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # A `milvus://host:port` address must stay a string: a Path would fold its "//".
        self.index_dir: str | Path = str(index_dir) if is_remote(index_dir) else Path(index_dir)
        if retry_seconds is None:
            retry_seconds = REMOTE_RETRY_SECONDS if is_remote(index_dir) else RETRY_SECONDS
        self.retry_seconds = retry_seconds
        self._clock = clock
        self._assistant = assistant
        self._failure: Failure | None = None
        self._lock = threading.Lock()

    def get(self) -> Assistant:
        """The current assistant.

        Raises:
            IndexUnavailable: the index is missing, damaged or built for another model;
                its failure says so in one line, with what to run.
        """
        assistant = self._assistant
        if assistant is not None and _is_current(assistant):
            return assistant
        with self._lock:
            # Another thread may have re-opened it while this one waited.
            assistant = self._assistant
            if assistant is not None and _is_current(assistant):
                return assistant
            if assistant is not None:
                _release_when_freed(assistant)
            del assistant
            self._assistant = None  # an index that is gone is not served from memory
            failure = self._failure
            if failure is not None and not self._may_retry(failure):
                raise IndexUnavailable(failure)
            signature = self._signature()  # before opening: a rebuild during the open is tried again
            try:
                self._assistant = Assistant.open(self.index_dir)
            except Exception as exc:  # never a traceback to a client, never a worker that fails to boot
                raise IndexUnavailable(self._remember(exc, signature)) from None
            if failure is not None:
                log.info("The index at %s is usable again.", self.index_dir)
            self._failure = None
            return self._assistant

    def failed(self, error: Exception, assistant: Assistant) -> Failure:
        """Report that ``assistant`` found its index damaged while answering (a document's
        stored text failing its digest): it is dropped and the failure remembered, as if
        opening had failed. Returns the failure to answer with.
        """
        with self._lock:
            if self._assistant is assistant:
                _release_when_freed(assistant)
                self._assistant = None
                return self._remember(error, self._signature())
        # Already replaced by a rebuilt index: only this request failed.
        return _failure_of(error, self._signature(), self._clock())

    @property
    def failure(self) -> Failure | None:
        """The failure being remembered, if any."""
        return self._failure

    # -- the failure ----------------------------------------------------------------

    def _remember(self, error: Exception, signature: object) -> Failure:
        failure = _failure_of(error, signature, self._clock())
        if not isinstance(error, QAError):
            log.error("Opening the index at %s failed unexpectedly", self.index_dir, exc_info=error)
        if self._failure is None or self._failure.message != failure.message:
            log.warning(
                "Index unavailable: %s. Answering 503 until it is rebuilt (tried again when it changes, or in %g s).",
                failure.message,
                self.retry_seconds,
            )
        self._failure = failure
        return failure

    def _may_retry(self, failure: Failure) -> bool:
        if self._clock() - failure.at >= self.retry_seconds:
            return True
        return failure.signature is not None and self._signature() != failure.signature

    def _signature(self) -> object:
        """The pointer file's identity and content (None for a `milvus:` index): any rebuild changes it."""
        if isinstance(self.index_dir, str):
            return None
        pointer = self.index_dir / POINTER
        try:
            with open(pointer, "rb") as handle:
                stat = os.fstat(handle.fileno())
                content = handle.read(256)
        except OSError as exc:  # absent, a folder, unreadable: a state of its own, compared like any other
            return ("unreadable", exc.errno)
        return (stat.st_dev, stat.st_ino, stat.st_mtime_ns, stat.st_size, content)


def _is_current(assistant: Assistant) -> bool:
    """Whether ``assistant`` still serves the live index; an index that cannot tell (a lost
    connection) is treated as replaced, and opened again."""
    try:
        return assistant.is_current()
    except Exception:
        log.warning("Could not tell whether the index is current; opening it again", exc_info=True)
        return False


def _failure_of(error: Exception, signature: object, at: float) -> Failure:
    if isinstance(error, IndexUnavailable):
        return error.failure
    if isinstance(error, QAError):
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    else:
        message = "the index could not be opened (see the server log): run `qa index` to rebuild it"
    status = MISSING if isinstance(error, IndexMissingError) else BROKEN
    return Failure(status=status, message=message, signature=signature, at=at)


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
