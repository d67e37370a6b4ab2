"""The Dockerfile stays in step with the project: what it copies and runs exists here."""

from __future__ import annotations

import re
import shlex

from click.testing import CliRunner

from qa.cli import main
from tests.conftest import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text()
MAKEFILE = (ROOT / "Makefile").read_text()


def instructions(name: str) -> list[str]:
    joined = DOCKERFILE.replace("\\\n", " ")
    return [line.split(None, 1)[1] for line in joined.splitlines() if line.startswith(name + " ")]


def test_base_image_user_and_healthcheck() -> None:
    assert instructions("FROM") == ["python:3.11-slim"]
    users = instructions("USER")
    assert users and users[-1] not in ("root", "0")
    assert "/health" in instructions("HEALTHCHECK")[0]


def test_copied_paths_exist() -> None:
    for copy in instructions("COPY"):
        *sources, _target = shlex.split(copy)
        for source in sources:
            assert (ROOT / source).exists(), source


def test_installs_like_the_makefile() -> None:
    torch = re.findall(r"torch==[\d.]+", MAKEFILE)
    assert torch and set(re.findall(r"torch==[\d.]+", DOCKERFILE)) == set(torch)
    assert "pip install" in " ".join(instructions("RUN"))


def test_qa_commands_it_runs_exist() -> None:
    commands = [c for c in instructions("RUN") for c in c.split("&&") if c.strip().startswith("qa ")]
    import json

    commands.append(" ".join(json.loads(instructions("CMD")[0])))
    assert any(" serve " in f" {c} " for c in commands) and any(" index " in f" {c} " for c in commands)
    for command in commands:
        args = shlex.split(command)[1:]
        # `--help` after the arguments parses every option without running the command.
        result = CliRunner().invoke(main, [*args, "--help"])
        assert result.exit_code == 0, (command, result.output)
