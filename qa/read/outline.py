"""The headings above a point of a document, and the terms it sits under: what a block's context says."""

from __future__ import annotations

import re
from collections.abc import Iterable

SEPARATOR = " › "
# A context is evidence for ranking, not a copy of the document: each part and the number
# of parts are capped, so a pathological heading cannot be repeated into every block.
PART_CHARS = 200
MAX_PARTS = 8

_SPACE = re.compile(r"\s+")


def clip(text: str, limit: int = PART_CHARS) -> str:
    """``text`` on one line, cut at a word boundary to at most ``limit`` characters."""
    text = _SPACE.sub(" ", text[: limit * 4]).strip()
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit].rstrip() + "…"


def join(parts: Iterable[str]) -> str:
    """Context parts joined by " › ", without repeats, keeping the first and the last ones when there are too many."""
    kept: list[str] = []
    for part in parts:
        if part and (not kept or kept[-1] != part):
            kept.append(part)
    if len(kept) > MAX_PARTS:
        kept = kept[:1] + kept[-(MAX_PARTS - 1) :]
    return SEPARATOR.join(kept)


class Outline:
    """The stack of headings above the current point of a document.

    A heading pops every heading at its level or deeper and takes their place; ``root``
    (a page title) stays above them all.
    """

    def __init__(self, root: str = "") -> None:
        self.root = clip(root)
        self._stack: list[tuple[int, str]] = []
        self._last: tuple[tuple[str, tuple[tuple[int, str], ...], tuple[str, ...]], str] | None = None

    def heading(self, level: int, text: str) -> str:
        """Enter a heading; returns the heading's own context (the headings above it)."""
        while self._stack and self._stack[-1][0] >= level:
            self._stack.pop()
        above = self.context()
        self._stack.append((level, clip(text)))
        return above

    def context(self, terms: Iterable[str] = ()) -> str:
        """The context of a block here: the heading path, then ``terms`` (innermost last)."""
        key = (self.root, tuple(self._stack), tuple(terms))
        if self._last is None or self._last[0] != key:  # blocks in a row mostly share their context
            parts = [self.root, *(text for _level, text in self._stack), *(clip(t) for t in key[2])]
            self._last = (key, join(parts))
        return self._last[1]
