"""Paragraphs of plain text: lines, with hard-wrapped lines (PDF text, wrapped plain text) joined up."""

from __future__ import annotations

import re

from qa.read.document import Block

_LINE = re.compile(r"[^\n]+")
# A line this long that stops mid-sentence was wrapped, not ended.
WRAPPED_LINE = 40
_CLOSERS = (".", "!", "?", ":", ";", '"', "”", "’", "'", ")", "]", "…")
_LIST_ITEM = re.compile(r"^(?:[-*•#>]|\d+[.)]\s)")


def _spans(text: str) -> list[tuple[int, int]]:
    """Paragraphs: lines, with hard-wrapped lines (PDF text, wrapped plain text) joined up.

    A line continues on the next one when it is at least WRAPPED_LINE characters long and
    stops without closing punctuation, or when the next line starts in lower case, unless
    the next line starts a list item or a heading.
    """
    blocks: list[tuple[int, int]] = []
    for match in _LINE.finditer(text):
        start, end = match.span()
        if not match.group(0).strip():
            continue
        if blocks:
            prev_start, prev_end = blocks[-1]
            previous = text[prev_start:prev_end].rstrip()
            gap = text[prev_end:start]
            line = match.group(0).lstrip()
            continues = (
                gap.count("\n") == 1
                and not _LIST_ITEM.match(line)
                and ((len(previous) >= WRAPPED_LINE and not previous.endswith(_CLOSERS)) or line[:1].islower())
            )
            if continues:
                blocks[-1] = (prev_start, end)
                continue
        blocks.append((start, end))
    return blocks


def paragraphs(text: str) -> tuple[Block, ...]:
    """The paragraphs of ``text`` as TEXT blocks."""
    return tuple(Block(start, end) for start, end in _spans(text))
