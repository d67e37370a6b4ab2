"""Build progress for people: a tqdm bar on a terminal, a line at least every 10 s anywhere else (logs, CI, docker)."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

from tqdm import tqdm

# Without a terminal, one line this often: enough to see a build is alive, few enough to read.
LOG_EVERY_SECONDS = 10.0


class Progress:
    """Counts one phase at a time ("reading", "writing"...), with a total when one is known.

    Args:
        stream: where to write (stderr by default).
        bar: draw a bar (a terminal); None: decide by whether ``stream`` is a terminal;
            False: plain lines every LOG_EVERY_SECONDS; nothing at all when ``quiet``.
    """

    def __init__(self, stream: TextIO | None = None, bar: bool | None = None, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.bar = self.stream.isatty() if bar is None else bar
        self.quiet = quiet
        self._tqdm: tqdm | None = None
        self.phase = ""
        self.total: int | None = None
        self.count = 0
        self.extra = ""
        self.began = time.monotonic()
        self._last_line = 0.0
        self._lock = threading.RLock()
        self._ticker: threading.Thread | None = None
        self._stop = threading.Event()

    def start(self, phase: str, total: int | None = None, unit: str = "it") -> None:
        """Begin a phase (ending the one before)."""
        self.close()
        self.phase, self.total, self.count, self.extra = phase, total, 0, ""
        self.unit = unit
        self.began = time.monotonic()
        self._last_line = self.began
        if self.quiet:
            return
        if self.bar:
            self._tqdm = tqdm(total=total, desc=phase, unit=unit, file=self.stream, dynamic_ncols=True, leave=True)
        else:
            self._line(force=True)
        self._start_ticker()

    def _start_ticker(self) -> None:
        """Keep the display alive through long steps that report nothing (an index build, a merge)."""
        if self._ticker is not None:
            return
        self._stop.clear()

        def tick() -> None:
            while not self._stop.wait(1.0):
                with self._lock:
                    if self._tqdm is not None:
                        self._tqdm.refresh()
                    elif self.phase:
                        self._line()

        self._ticker = threading.Thread(target=tick, name="progress", daemon=True)
        self._ticker.start()

    def update(self, n: int = 1, extra: str | None = None) -> None:
        with self._lock:
            self._update(n, extra)

    def _update(self, n: int, extra: str | None) -> None:
        self.count += n
        if extra is not None:
            self.extra = extra
        if self.quiet:
            return
        if self._tqdm is not None:
            if extra is not None:
                self._tqdm.set_postfix_str(extra, refresh=False)
            self._tqdm.update(n)
        else:
            self._line()

    def note(self, extra: str) -> None:
        """Change the detail shown (embedded sentences, rate) without counting."""
        self.update(0, extra)

    def _line(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_line < LOG_EVERY_SECONDS:
            return
        self._last_line = now
        meter = tqdm.format_meter(self.count, self.total, now - self.began, prefix=self.phase, unit=self.unit, ncols=0)
        detail = f" | {self.extra}" if self.extra else ""
        self.stream.write(f"{meter.strip()}{detail}\n")
        self.stream.flush()

    def message(self, text: str) -> None:
        """A line of its own, above the bar."""
        if self.quiet:
            return
        with self._lock:
            self._message(text)

    def _message(self, text: str) -> None:
        if self._tqdm is not None:
            self._tqdm.write(text, file=self.stream)
        else:
            self.stream.write(text + "\n")
            self.stream.flush()

    def close(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._tqdm is not None:
            self._tqdm.close()
            self._tqdm = None
        elif self.phase and not self.quiet:
            self._line(force=True)
        self.phase = ""

    def stop(self) -> None:
        """End the last phase and the ticker."""
        self.close()
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=2)
            self._ticker = None
