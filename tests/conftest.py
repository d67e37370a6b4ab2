"""Shared pytest fixtures: the real model once per session, small corpora on temporary paths."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qa import Assistant
from qa.build import build_index
from qa.embed.encoder import OnnxEncoder

pytest_plugins = ["tests.web_fixtures"]

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
DATA = Path(__file__).resolve().parent / "data"
SEED = "000_d9e46d3c2be1d409.txt"


@pytest.fixture(scope="session")
def encoder() -> OnnxEncoder:
    """The real all-MiniLM-L6-v2 (ONNX Runtime, the default precision), loaded once for every index the tests build."""
    return OnnxEncoder()


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory, encoder: OnnxEncoder) -> Path:
    """An index of the seed article, built once per session."""
    index = tmp_path_factory.mktemp("seed-index")
    build_index(SEEDS, index, encoder=encoder)
    return index


@pytest.fixture(scope="session")
def assistant(seed_index: Path) -> Assistant:
    return Assistant.open(seed_index)


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    """A writable copy of the seed article and the small test documents."""
    folder = tmp_path / "docs"
    shutil.copytree(SEEDS, folder)
    shutil.copytree(DATA, folder / "more")
    return folder
