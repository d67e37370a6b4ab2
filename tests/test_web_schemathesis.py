"""Property-based tests of the live server against its own /openapi.json, with schemathesis.

Examples per operation and mode: $SCHEMATHESIS_MAX_EXAMPLES (100 by default). A long run:
SCHEMATHESIS_MAX_EXAMPLES=2000 pytest tests/test_web_schemathesis.py
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

schemathesis = pytest.importorskip("schemathesis")

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "100"))
OPERATIONS = [("/ask", "POST"), ("/health", "GET")]
# /health takes no input, so it has no invalid requests to draw.
CASES = [("/ask", "POST", "positive"), ("/ask", "POST", "negative"), ("/health", "GET", "positive")]


@pytest.fixture(scope="module")
def api_schema(live_server: str):
    return schemathesis.openapi.from_url(live_server + "/openapi.json")


def test_the_schema_lists_exactly_the_tested_operations(api_schema) -> None:
    listed = {(op.ok().path, op.ok().method.upper()) for op in api_schema.get_all_operations()}
    assert listed == set(OPERATIONS)


# schemathesis's own pytest loader (`from_fixture`) breaks on pytest 9, so the cases are
# drawn from its documented Hypothesis strategies instead; the checks are the same.
@pytest.mark.parametrize(("path", "method", "mode"), CASES)
def test_api_matches_its_openapi_description(api_schema, path: str, method: str, mode: str) -> None:
    strategy = api_schema[path][method].as_strategy(generation_mode=schemathesis.GenerationMode(mode))

    @given(case=strategy)
    @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case) -> None:
        # Every check: no 5xx; documented status codes, content types, headers and bodies;
        # valid requests accepted, invalid ones refused with a 4xx.
        case.call_and_validate()

    check()


def test_boundary_cases_with_the_schemathesis_cli(live_server: str, tmp_path: Path) -> None:
    """The CLI's deterministic phases: the schema's examples and its boundaries (lengths, ranges, types)."""
    options = "--phases examples,coverage --checks all --mode all --no-color".split()
    command = [sys.executable, "-m", "schemathesis.cli", "run", live_server + "/openapi.json", *options]
    # In a temporary folder: the CLI leaves a .schemathesis/ cache where it runs.
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
