"""A few seconds of the load test against the real server: no request may fail."""

from __future__ import annotations

from pathlib import Path

from bench import load


def test_short_load_has_no_errors(seed_index: Path) -> None:
    figures = load.run(seed_index, clients=8, seconds=4, server_workers=1)
    assert figures["requests"] > 8
    assert figures["errors"] == 0, figures["statuses"]
    assert not figures["worker_crash"]
