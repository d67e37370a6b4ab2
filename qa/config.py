"""Settings: one frozen object with defaults, overridable from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from qa.embed.model import DEFAULT_MODEL, PRECISIONS
from qa.errors import ConfigError


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def _number(name: str, default: str, low: float, high: float) -> float:
    raw = _env(name, default)
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}={raw!r} is out of range ({low:g} to {high:g})")
    return value


# float32 reproduces the model exactly; int8 builds faster but lost more than half a point
# of P@1 on two of the three question sets (BENCHMARKS.md, "Encoder precision").
DEFAULT_PRECISION = "fp32"


# Questions are encoded by the int8 model whatever the index's precision: a question is one
# short pass, where int8 is 1.6 times as fast (under 5 ms), and encoding only the question
# in int8 moved P@1 by at most 0.5 points on every question set, and declining not at all
# (BENCHMARKS.md, "Question encoder").
DEFAULT_QUESTION_PRECISION = "int8"


def _precision(name: str = "QA_PRECISION", default: str = DEFAULT_PRECISION) -> str:
    value = _env(name, default)
    if value not in PRECISIONS:
        raise ConfigError(f"{name}={value!r}: use one of {', '.join(PRECISIONS)}")
    return value


def default_cache_dir() -> Path:
    """Where exported models are kept: $QA_CACHE_DIR, else $XDG_CACHE_HOME or ~/.cache, /extractive-qa."""
    if os.environ.get("QA_CACHE_DIR"):
        return Path(os.environ["QA_CACHE_DIR"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "extractive-qa"


@dataclass(frozen=True)
class Settings:
    """Where things are and how the index is built.

    Environment: QA_DOCS, QA_INDEX, QA_MODEL (a local sentence-transformers folder),
    QA_PRECISION (int8 or fp32: the index's vectors), QA_QUESTION_PRECISION (int8 or fp32:
    the question's), QA_CACHE_DIR, QA_MAX_FILE_MB.

    Raises:
        ConfigError: an environment variable holds a value that cannot be used.
    """

    docs_dir: Path = field(default_factory=lambda: Path(_env("QA_DOCS", "seeds")))
    index: str = field(default_factory=lambda: _env("QA_INDEX", "embeddings"))
    model: str = field(default_factory=lambda: _env("QA_MODEL", DEFAULT_MODEL))
    precision: str = field(default_factory=_precision)
    question_precision: str = field(
        default_factory=lambda: _precision("QA_QUESTION_PRECISION", DEFAULT_QUESTION_PRECISION)
    )
    cache_dir: Path = field(default_factory=default_cache_dir)
    # A passage is this many consecutive sentences; passages overlap by window - stride.
    window: int = 5
    stride: int = 3
    max_file_bytes: int = field(default_factory=lambda: int(_number("QA_MAX_FILE_MB", "20", 0.001, 1e6) * 1e6))
    # Small batches of length-sorted sentences pad least: fastest on 2 cores (BENCHMARKS.md).
    batch_size: int = 16
