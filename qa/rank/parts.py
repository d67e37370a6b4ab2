"""A message that asks several questions, split into them: "When was Tesla born? Where did he study?".

Searched whole, two questions' words compete for one ranking: of 300 pairs of SQuAD
questions asked in one message, the quotes shown held both answers for 18% (BENCHMARKS.md,
"Several questions in one message"). Each question is answered on its own, and one that
points back ("he") is searched with the one before it, as a follow-up is.

Only a question mark ends a question, and a question needs `MIN_WORDS` words of its own
(courtesies aside): "Who won? And when?" and "Who won? Thanks!" stay one question, and so
does "I read about Tesla. When was he born?".
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


def split_questions(text: str) -> list[str]:
    """The questions a message asks, in order (one item when it asks one)."""
    pieces, at = [], 0
    for match in _END.finditer(text):
        pieces.append(text[at : match.end()].strip())
        at = match.end()
    pieces.append(text[at:].strip())
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
