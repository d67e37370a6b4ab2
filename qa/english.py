"""The English word list (pyspellchecker's), read once on first need: which words are English."""

from __future__ import annotations

import gzip
import json
import threading
from importlib import resources

import numpy as np


class Dictionary:
    """The English word list, read on first need (0.2 s, 11 MB)."""

    def __init__(self) -> None:
        self._words: frozenset[str] | None = None
        self._lock = threading.Lock()

    def words(self) -> frozenset[str]:
        with self._lock:
            if self._words is None:
                self._words = _load_words()
            return self._words

    def holds(self, words: list[str]) -> np.ndarray:
        known = self.words()
        return np.fromiter((w in known for w in words), dtype=bool, count=len(words))


def _load_words() -> frozenset[str]:
    try:
        path = resources.files("spellchecker") / "resources" / "en.json.gz"
        with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as text:
            return frozenset(w.lower() for w in json.load(text))
    except (ImportError, OSError, ValueError):
        return frozenset()  # no word list: nothing is known to be English (correct, join nothing)


ENGLISH = Dictionary()
