"""One assistant per process: opened on first use, re-opened after a rebuild, thread-safe."""

from __future__ import annotations

import threading
from pathlib import Path

from qa import Assistant


class AssistantLoader:
    """Hands out the process's `Assistant`, opening it at most once per index version.

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
            self._assistant = None  # an index that is gone is not served from memory
            self._assistant = Assistant.open(self.index_dir)
            return self._assistant
