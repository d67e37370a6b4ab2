"""Build progress: a tqdm bar on a terminal; without one, a plain line at least every 10 s."""

from __future__ import annotations

import io

import pytest

from qa import progress as module
from qa.progress import Progress


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(module.time, "monotonic", fake)
    return fake


def test_without_a_terminal_a_line_every_ten_seconds(clock: Clock) -> None:
    out = io.StringIO()
    progress = Progress(stream=out, bar=False)
    progress.start("reading", total=1000, unit="file")
    for _ in range(100):
        clock.now += 0.5  # 50 s in all
        progress.update(10, extra="4,000 sentences embedded (250/s)")
    progress.close()
    lines = out.getvalue().splitlines()
    assert 5 <= len(lines) <= 8  # the start, one every 10 s, the end
    assert all("\r" not in line and line.startswith("reading:") for line in lines)
    assert "1000/1000" in lines[-1] and "250/s" in lines[-1]
    middle = lines[2]
    assert "file/s" in middle and "<" in middle  # rate and time left, as tqdm shows them


def test_on_a_terminal_a_tqdm_bar(clock: Clock) -> None:
    out = io.StringIO()
    progress = Progress(stream=out, bar=True)
    progress.start("reading", total=3, unit="file")
    for _ in range(3):
        clock.now += 1
        progress.update(1)
    progress.close()
    assert "\r" in out.getvalue() and "3/3" in out.getvalue()


def test_quiet_prints_nothing(clock: Clock) -> None:
    out = io.StringIO()
    progress = Progress(stream=out, quiet=True)
    progress.start("reading", total=3)
    progress.update(3)
    progress.message("warning: skipped x")
    progress.close()
    assert out.getvalue() == ""
