"""pySBD's 48 English Golden Rules, the published cases unchanged, through the project's splitter.

The cases are data (tests/data/golden_rules_en.json, MIT licence, from the pysbd 0.3.3
source distribution); the bar is at least REQUIRED of them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.split.sentences import split_sentences

RULES = json.loads((Path(__file__).resolve().parent / "data" / "golden_rules_en.json").read_text(encoding="utf-8"))
CASES = RULES["cases"]
REQUIRED = 43


def sentences(text: str) -> list[str]:
    return [text[s.start : s.end] for s in split_sentences(text)]


def test_the_published_cases_are_all_here() -> None:
    assert [case["number"] for case in CASES] == list(range(1, 49))
    assert "MIT" in RULES["license"] and "pysbd 0.3.3" in RULES["source"]


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case['number']:02d} {case['rule']}")
def test_golden_rule(case: dict) -> None:
    assert sentences(case["text"]) == case["expected"]


def test_enough_golden_rules_pass() -> None:
    failed = [case["number"] for case in CASES if sentences(case["text"]) != case["expected"]]
    assert len(CASES) - len(failed) >= REQUIRED, f"rules failed: {failed}"
