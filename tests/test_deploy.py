"""The Dockerfile and the Makefile stay in step with the project: what they copy and run exists here."""

from __future__ import annotations

import json
import re
import shlex

import click
import pytest
from click.testing import CliRunner

from qa.cli import cli
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


def parse_qa_command(command: str) -> click.Context:
    """Parse a `qa ...` command line as the CLI does, options and their values included,
    without running it.

    Raises:
        click.ClickException: an unknown command or option, or a value the option refuses.
    """
    args = shlex.split(command)
    assert args[0] == "qa" and "--help" not in args, command  # --help is eager: it would skip the checks
    name, *rest = args[1:]
    if name not in cli.commands:
        raise click.UsageError(f"no such command {name!r}")
    with cli.make_context("qa", [name]) as parent:
        return cli.commands[name].make_context(name, rest, parent=parent)


def makefile_commands() -> list[str]:
    """The `qa` commands of the Makefile's recipes, its variables filled in with their defaults."""
    variables = dict(re.findall(r"^(\w+)\s*[?:]?=\s*(.*?)\s*$", MAKEFILE, re.M))
    commands = []
    for line in re.findall(r"^\t\$\(BIN\)/(qa .*)$", MAKEFILE, re.M):
        commands.append(re.sub(r"\$\((\w+)\)", lambda m: variables[m.group(1)], line))
    return commands


def dockerfile_commands() -> list[str]:
    commands = [c.strip() for c in instructions("RUN") for c in c.split("&&") if c.strip().startswith("qa ")]
    return [*commands, shlex.join(json.loads(instructions("CMD")[0]))]


def test_the_qa_commands_they_run_parse() -> None:
    docker, make = dockerfile_commands(), makefile_commands()
    for commands in (docker, make):
        assert any(c.startswith("qa serve ") for c in commands) and any(c.startswith("qa index ") for c in commands)
    for command in docker + make:
        context = parse_qa_command(command)
        if context.info_name == "serve":
            assert 1 <= context.params["workers"] <= 64 and 1 <= context.params["port"] <= 65535
    # The container must be reachable from outside it; `make run` stays on loopback.
    serve = parse_qa_command(next(c for c in docker if c.startswith("qa serve ")))
    assert serve.params["host"] == "0.0.0.0" and serve.params["port"] == 8000
    assert parse_qa_command(next(c for c in make if c.startswith("qa serve "))).params["host"] == "127.0.0.1"


@pytest.mark.parametrize(
    "command",
    [
        "qa serve --workers zero",
        "qa serve --workers 0",
        "qa serve --port 0",
        "qa serve --threads",
        "qa serve --no-such-option",
        "qa index seeds --index",
        "qa serv --port 8000",
    ],
)
def test_a_bad_command_would_fail_the_check(command: str) -> None:
    with pytest.raises(click.ClickException):
        parse_qa_command(command)


def test_help_would_hide_a_bad_option() -> None:
    """Why the check parses rather than runs `qa ... --help`: click answers --help before checking values."""
    assert CliRunner().invoke(cli, ["serve", "--workers", "zero", "--help"]).exit_code == 0
