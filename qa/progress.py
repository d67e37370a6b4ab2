"""Build progress for people: a tqdm bar on a terminal, a line at least every 10 s anywhere else (logs, CI, docker)."""

from __future__ import annotations

import sys
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

    def update(self, n: int = 1, extra: str | None = None) -> None:
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
        if self._tqdm is not None:
            self._tqdm.write(text, file=self.stream)
        else:
            self.stream.write(text + "\n")
            self.stream.flush()

    def close(self) -> None:
        if self._tqdm is not None:
            self._tqdm.close()
            self._tqdm = None
        elif self.phase and not self.quiet:
            self._line(force=True)
        self.phase = ""
