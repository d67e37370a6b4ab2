"""Settings: one frozen object with defaults, overridable from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from qa.embed.encoder import DEFAULT_MODEL


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


@dataclass(frozen=True)
class Settings:
    """Where things are and how the index is built.

    Environment: QA_DOCS, QA_INDEX, QA_MODEL (a local sentence-transformers folder),
    QA_MAX_FILE_MB.
    """

    docs_dir: Path = field(default_factory=lambda: Path(_env("QA_DOCS", "seeds")))
    index_dir: Path = field(default_factory=lambda: Path(_env("QA_INDEX", "embeddings")))
    model: str = field(default_factory=lambda: _env("QA_MODEL", DEFAULT_MODEL))
    # A passage is this many consecutive sentences; passages overlap by window - stride.
    window: int = 5
    stride: int = 3
    max_file_bytes: int = field(default_factory=lambda: int(float(_env("QA_MAX_FILE_MB", "20")) * 1e6))
    # Small batches of length-sorted sentences pad least: fastest on 2 cores (BENCHMARKS.md).
    batch_size: int = 16
