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
