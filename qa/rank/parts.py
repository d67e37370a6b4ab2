"""A message that asks several questions, split into them: "When was Tesla born? Where did he study?".

Searched whole, two questions' words compete for one ranking: of 300 pairs of SQuAD
questions asked in one message, the first two quotes held both answers for 12%, and 62%
once each question is answered on its own (BENCHMARKS.md, "Several questions in one
message"). A later question that points back ("he") is searched with the one before it,
as a follow-up is.

A question mark ends a question, and so does "and" before a question word and a verb
("When was he born and where did he study?"; not "... and what other trait?"). A question
needs `MIN_WORDS` words of its own (courtesies aside): "Who won? And when?" and "Who won?
Thanks!" stay one question, and so does "I read about Tesla. When was he born?".
"""

from __future__ import annotations

import re

from qa.rank.courtesy import without_courtesies

# At most this many questions a message; the rest is asked with the last.
MAX_PARTS = 3
# Fewer words than this ("And when?", "Why?") lean on the question before: asked with it.
MIN_WORDS = 3

# A question mark and what may close the question after it ('?"', "?)"), then a space.
_END = re.compile(r"\?[?!]*[\"'”’)\]]*(?=\s)")
_ASKS = re.compile(r"\?[?!]*[\"'”’)\]]*$")
_WORD = re.compile(r"\w+")
# "… and where did he study?": a second question joined by "and", told by its question word
# and verb ("and what other trait?" and "and who else?" complete a list: they stay).
_AUX = r"(?:did|does|do|is|are|was|were|can|could|will|would|has|have|had|should|may|might)"
_AND_ASKS = re.compile(
    r",?\s+and\s+(?=(?:who|what|when|where|which|why|whose|whom|how"
    r"|how (?:many|much|long|far|old|often|big) \w+(?: \w+)?)\s+" + _AUX + r"\b)",
    re.IGNORECASE,
)


def split_questions(text: str) -> list[str]:
    """The questions a message asks, in order (one item when it asks one)."""
    pieces, at = [], 0
    for match in _END.finditer(text):
        pieces.append(text[at : match.end()].strip())
        at = match.end()
    pieces.append(text[at:].strip())
    pieces = [joined for piece in pieces for joined in _split_at_and(piece)]
    parts: list[str] = []
    for piece in filter(None, pieces):
        asks = _ASKS.search(piece) is not None and len(_WORD.findall(without_courtesies(piece))) >= MIN_WORDS
        if parts and not asks:
            parts[-1] = f"{parts[-1]} {piece}"  # a fragment, a thanks or a last line without "?"
        else:
            parts.append(piece)
    if len(parts) > 1 and len(_WORD.findall(without_courtesies(parts[0]))) < MIN_WORDS:
        parts[:2] = [f"{parts[0]} {parts[1]}"]  # "Hi? Who won?"
    if len(parts) > MAX_PARTS:
        parts[MAX_PARTS - 1 :] = [" ".join(parts[MAX_PARTS - 1 :])]
    return parts


def _split_at_and(piece: str) -> list[str]:
    """The questions of "When was he born and where did he study?", each with its question mark."""
    match = _AND_ASKS.search(piece)
    if match is None or not _ASKS.search(piece):
        return [piece]
    first, rest = piece[: match.start()].strip(), piece[match.end() :].strip()
    if min(len(_WORD.findall(without_courtesies(first))), len(_WORD.findall(rest))) < MIN_WORDS:
        return [piece]
    return [f"{first}?", *_split_at_and(rest)]
