"""A small run of the quality benchmark: it runs end to end and ours beats BM25 and dense."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

SQUAD = ROOT.parent / "shared" / "eval" / "squad-dev-public.json"


@pytest.mark.skipif(not SQUAD.is_file() and not os.environ.get("CI"), reason="needs ../shared/eval")
def test_quality_benchmark_smoke(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    args = ["--articles", "1", "--questions", "60", "--skip-peer", "--skip-abstention", "--json", str(out)]
    run = subprocess.run(
        [sys.executable, "-m", "bench.quality", str(SQUAD), *args], cwd=ROOT, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "ours (qa.Assistant)" in run.stdout and "BM25 (bm25s)" in run.stdout
    rows = json.loads(out.read_text())["SQuAD questions"]
    ours = rows["ours (qa.Assistant)"]
    assert ours["P@1"] >= rows["BM25 (bm25s)"]["P@1"] and ours["P@1"] >= rows["dense (MiniLM cosine)"]["P@1"]
    assert 0.2 < ours["P@1"] <= ours["MRR@10"] <= 1.0


@pytest.mark.skipif(not SQUAD.is_file() and not os.environ.get("CI"), reason="needs ../shared/eval")
def test_ontopic_benchmark_smoke(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    args = ["--articles", "1", "--sizes", "3000", "--json", str(out)]
    run = subprocess.run(
        [sys.executable, "-m", "bench.ontopic", str(SQUAD), *args], cwd=ROOT, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr[-2000:]
    [figures] = json.loads(out.read_text())
    ours, plain = figures["ours"], figures["ours without the answer-kind rule"]
    # Off the topic (other articles' questions) nearly everything is declined; on it, the rule only adds.
    assert ours["off the topic, declined"] >= 0.9
    assert ours["on the topic, absent, declined"] >= plain["on the topic, absent, declined"]
    assert ours["answered in the part"]["squad"]["p1"] >= figures["dense"]["answered in the part"]["squad"]["p1"]


def test_scale_plot_draws_every_size() -> None:
    from xml.etree import ElementTree

    from bench.plot import scale_svg

    rows = [
        {
            "build": {"sentences": n, "peak_rss_mb": 900 + n / 1000},
            "ask_p50_ms": 20 + n / 1e5,
            "ask_p95_ms": 30 + n / 1e5,
            "server": {"pss_mb": 500 + n / 1000, "rss_mb": 600 + n / 1000},
        }
        for n in (2_732, 135_437, 300_000)
    ]
    svg = ElementTree.fromstring(scale_svg(rows))
    lines = svg.findall("{http://www.w3.org/2000/svg}polyline")
    assert len(lines) == 5  # p50, p95; worker PSS, RSS, build peak
    for line in lines:
        xs = [float(p.split(",")[0]) for p in line.get("points", "").split()]
        assert len(xs) == 3 and xs == sorted(xs)
    labels = "".join(t.text or "" for t in svg.iter("{http://www.w3.org/2000/svg}text"))
    assert "ask p50 (ms)" in labels and "server worker PSS (MB)" in labels and "300k" in labels
