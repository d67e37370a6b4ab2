"""`qa eval` on a user's own labelled questions: figures, failures, JSON, the CI gate, calibration."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from qa.errors import QAError
from qa.evaluate import Labelled, Result, calibrate, load_questions, score
from tests.conftest import DATA, ROOT

QUESTIONS = DATA / "seed_questions.jsonl"


def qa(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qa", *args], cwd=ROOT, capture_output=True, text=True)


def test_eval_prints_every_figure(seed_index: Path) -> None:
    out = qa("eval", str(QUESTIONS), "--index", str(seed_index))
    assert out.returncode == 0, out.stderr
    for figure in ("P@1", "MRR@10", "Recall@5", "answered", "declining: recall", "latency   p50"):
        assert figure in out.stdout


def test_eval_json_and_the_ci_gate(seed_index: Path) -> None:
    out = qa("eval", str(QUESTIONS), "--index", str(seed_index), "--json")
    figures = json.loads(out.stdout)
    assert figures["questions"] == 8 and figures["answerable"] == 5
    assert figures["P@1"] >= 0.8 and figures["abstention_recall"] == 1.0
    assert out.returncode == 0 and figures["passed"] is True
    strict = qa("eval", str(QUESTIONS), "--index", str(seed_index), "--min-p1", "1.0", "--json")
    assert strict.returncode == (0 if figures["P@1"] == 1.0 else 1)


def test_eval_lists_what_was_quoted_instead(seed_index: Path, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.jsonl"
    wrong.write_text(json.dumps({"question": "How many troops will remain in Iraq?", "answer": "3,000 troops"}) + "\n")
    out = qa("eval", str(wrong), "--index", str(seed_index), "--min-p1", "0.5")
    assert out.returncode == 1
    assert "expected: 3,000 troops" in out.stdout and "Some 2,500 troops" in out.stdout
    # A quote that opens with its own quotation mark is not wrapped in a second one.
    said = tmp_path / "said.jsonl"
    said.write_text(
        json.dumps({"question": "When did the coalition end its combat mission?", "answer": "month"}) + "\n"
    )
    out = qa("eval", str(said), "--index", str(seed_index))
    assert "quoted:   “While we have ended our combat mission" in out.stdout and "““" not in out.stdout


def test_calibrate_suggests_a_threshold(seed_index: Path) -> None:
    out = qa("eval", str(QUESTIONS), "--index", str(seed_index), "--calibrate")
    assert out.returncode == 0, out.stderr
    assert "Suggested threshold" in out.stdout and "--min-confidence" in out.stdout


def test_the_index_remembers_a_chosen_threshold(tmp_path: Path) -> None:
    index = tmp_path / "index"
    assert qa("index", str(ROOT / "seeds"), "--index", str(index), "--min-confidence", "0.95").returncode == 0
    strict = json.loads(qa("ask", "How many troops will remain in Iraq?", "--index", str(index), "--json").stdout)
    assert strict["answered"] is False and strict["threshold"] == 0.95
    # A later build without the option keeps it; giving it again changes it.
    assert qa("index", str(ROOT / "seeds"), "--index", str(index)).returncode == 0
    assert json.loads(qa("ask", "x y z", "--index", str(index), "--json").stdout)["threshold"] == 0.95
    assert qa("index", str(ROOT / "seeds"), "--index", str(index), "--min-confidence", "0.5").returncode == 0
    relaxed = json.loads(qa("ask", "How many troops will remain in Iraq?", "--index", str(index), "--json").stdout)
    assert relaxed["answered"] is True and relaxed["threshold"] == 0.5


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "line 1: not valid JSON"),
        ('{"answer": "x"}', 'needs a "question"'),
        ('{"question": "q"}', 'give "answer", "document" or "answerable": false'),
        ('{"question": "q", "answer": 3}', '"answer" must be a non-empty string'),
        ('{"question": "q", "answerable": "no"}', '"answerable" must be true or false'),
    ],
)
def test_bad_question_files_are_one_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(QAError, match=message.replace("(", r"\(")):
        load_questions(path)


def test_scoring_counts_declines_as_misses_and_separates_them() -> None:
    labels = [
        Labelled("a", ("alpha",)),
        Labelled("b", ("beta",)),
        Labelled("c", answerable=False),
        Labelled("d", answerable=False),
    ]
    results = [
        Result((("the alpha one", "d", 0, 13),), True, 10.0, 0.8),
        Result((("gamma", "d", 0, 5), ("beta here", "d", 6, 15)), False, 12.0, 0.4),
        Result((), False, 8.0, 0.3),
        Result((("noise", "d", 0, 5),), True, 9.0, 0.6),
    ]
    report = score(labels, results)
    assert report.p1 == 0.5 and report.mrr == 0.5 and report.r5 == 0.5  # the declined right answer is a miss
    assert report.abstention_recall == 0.5 and report.abstention_precision == 0.5
    best, table = calibrate(labels, results)
    assert best is not None and 0.3 < best <= 0.6
    assert {"threshold", "answered", "declined", "P@1"} <= set(table[0])


def test_other_places_that_answer_count_as_hits() -> None:
    label = Labelled(
        "How is space reclaimed?", ("VACUUM reclaims",), "a.html", also=(("b.html", "VACUUM FULL compacts"),)
    )
    assert label.hit("Plain VACUUM reclaims space.", "a.html", 0, 1)
    assert label.hit("VACUUM  FULL compacts tables.", "b.html", 0, 1)  # whitespace does not matter
    assert not label.hit("VACUUM FULL compacts tables.", "c.html", 0, 1)  # the right text, the wrong page
    assert not label.hit("VACUUM reclaims space.", "b.html", 0, 1)
