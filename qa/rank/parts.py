"""A message that asks several questions, split into them: "When was Tesla born? Where did he study?".

Searched whole, two questions' words compete for one ranking: of 300 pairs of SQuAD
questions asked in one message, the first two quotes held both answers for 12%, and 62%
once each question is answered on its own (BENCHMARKS.md, "Several questions in one
message"). A later question that points back ("he") is searched with the one before it,
as a follow-up is.

A question mark ends a question, and so does "and" before a question word and a verb
("When was he born and where did he study?"; not "... and what other trait?"), also in a
message without a question mark that opens as a question does, and the full stop of a
command ("Describe the attack. Who claimed it?"). A question
needs `MIN_WORDS` words of its own (courtesies aside): "Who won? And when?" and "Who won?
Thanks!" stay one question, and so does "I read about Tesla. When was he born?".
"""

from __future__ import annotations

import re

from qa.rank.courtesy import asks_by_command, only_courtesy, without_courtesies
from qa.split.sentences import split_sentences

# At most this many questions a message; the rest is asked with the last.
MAX_PARTS = 3
# Fewer words than this ("And when?", "Why?") lean on the question before: asked with it.
MIN_WORDS = 3

# A question mark and what may close the question after it ('?"', "?)"), then a space.
_END = re.compile(r"(?<![?!])\?[?!]*+[\"'”’)\]]*+(?=\s)")  # once a run of marks: linear
_ASKS = re.compile(r"(?<![?!])\?[?!]*+[\"'”’)\]]*+$")
_WORD = re.compile(r"\w+")
_QUESTION_WORD = re.compile(
    r"(?:who|what|when|where|which|why|whose|whom|how|is|are|was|were|do|does|did|can|could)\b", re.I
)
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
    parts: list[str] = []
    for piece, command in (apart for whole in filter(None, pieces) for apart in _commands_apart(whole)):
        asks = (command or _ASKS.search(piece) is not None) and _own_words(piece) >= MIN_WORDS
        if parts and not asks:
            parts[-1] = f"{parts[-1]} {piece}"  # a fragment, a thanks or a last line without "?"
        else:
            parts.append(piece)
    first = parts[0] if parts else ""
    if len(parts) > 1 and (only_courtesy(first) or _own_words(first) < MIN_WORDS):
        parts[:2] = [f"{parts[0]} {parts[1]}"]  # "Hi? Who won?", "Could you help me with something? Who won?"
    # A message without a question mark, typed as into a search box, is split only at "and".
    if len(parts) == 1 and "?" not in text and not _QUESTION_WORD.match(without_courtesies(text)):
        return parts
    parts = [question for part in parts for question in _split_at_and(part)]
    if len(parts) > MAX_PARTS:
        parts[MAX_PARTS - 1 :] = [" ".join(parts[MAX_PARTS - 1 :])]
    return parts


def _commands_apart(piece: str) -> list[tuple[str, bool]]:
    """(text, asked as a command) of a piece: "Describe the attack." before "Who claimed it?" asks on its own."""
    spans = split_sentences(piece) if "." in piece or "!" in piece else []
    out: list[tuple[str, bool]] = []
    at = 0
    for span in spans[:-1]:
        sentence = piece[at : span.end].strip()
        if only_courtesy(sentence):
            continue  # "Hi!" goes with what follows it
        if not (asks_by_command(sentence) and _own_words(sentence) >= MIN_WORDS):
            break
        out.append((sentence, True))
        at = span.end
    rest = piece[at:].strip()
    return [*out, (rest, asks_by_command(rest))] if rest else out


def _split_at_and(part: str) -> list[str]:
    """The questions of "When was he born and where did he study?", each with the part's question mark."""
    match = _AND_ASKS.search(part)
    if match is None:
        return [part]
    first, rest = part[: match.start()].strip(), part[match.end() :].strip()
    if min(_own_words(first), len(_WORD.findall(rest))) < MIN_WORDS:
        return [part]
    mark = "?" if "?" in part else ""
    return [f"{first}{mark}", *_split_at_and(rest)]


def _own_words(text: str) -> int:
    """How many words ``text`` has, courtesies aside."""
    return len(_WORD.findall(without_courtesies(text)))
