"""Split document text into sentences with exact character offsets, and flag page furniture."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from qa.read.document import Block
from qa.read.text import paragraphs

# Words that end with a period without ending a sentence. Single capital letters
# (initials such as "J. Smith") are handled separately.
ABBREVIATIONS = frozenset(
    (
        "mr mrs ms dr prof sr jr st gen col lt sgt capt cmdr adm maj gov sen rep pres rev hon "
        "fr mt ft no nos vs etc al approx dept est fig figs vol vols ed eds inc ltd co corp bros "
        "jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun "
        "e.g i.e u.s u.k u.n a.m p.m ph.d b.c a.d e.u d.c u.s.a cf ca op cit ibid"
    ).split()
)

# A sentence ends at . ! ? (or an ellipsis), plus any closing quotes or brackets.
_END = re.compile(r"""(?:\.{3}|…|[.!?]+)["'”’»)\]]*(?=\s)""")
# What may start the next sentence: optional opening quote/bracket, then a capital or digit.
_NEXT = re.compile(r"""\s+["'“‘«(\[]*[A-Z0-9]""")
_LAST_WORD = re.compile(r"""([A-Za-z][A-Za-z.]*)\.$""")
_WORD = re.compile(r"\w+")

# Notices that sit around articles on web pages: never an answer about the content.
_FURNITURE = re.compile(
    r"\b(?:copyright (?:owned|©|\(c\)|\d{4})|all rights reserved|sign in|sign up|log in"
    r"|privacy policy|terms of (?:use|service)|non-commercial use|permissions/licensing"
    r"|republication or distribution|skip to (?:main )?content|cookie (?:policy|settings))\b",
    re.IGNORECASE,
)
# A notice is a short paragraph: a long one that mentions such words is prose about them.
NOTICE_MAX_WORDS = 80


@dataclass(frozen=True)
class Span:
    """A sentence of a document: ``text[start:end]`` of that document."""

    start: int
    end: int
    quotable: bool = True


def _is_abbreviation(text: str, dot: int) -> bool:
    """True when the period at ``dot`` closes an abbreviation or an initial."""
    match = _LAST_WORD.search(text, max(0, dot - 20), dot + 1)
    if not match:
        return False
    word = match.group(1).lower()
    if word in ABBREVIATIONS:
        return True
    # Initials ("J.", "U.S.", "e.g.") are one letter per dot.
    return all(len(part) == 1 for part in word.split("."))


def _split_line(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans inside one line of text."""
    spans = []
    begin = start
    for match in _END.finditer(text, start, end):
        stop = match.end()
        nxt = _NEXT.match(text, stop, end)
        if not nxt:
            continue
        last = match.group(0).rstrip("\"'”’»)]")
        if last.endswith(".") and not last.endswith("..") and _is_abbreviation(text, match.start()):
            continue
        spans.append((begin, stop))
        begin = stop
    spans.append((begin, end))
    return [_strip(text, s, e) for s, e in spans if text[s:e].strip()]


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _is_furniture(sentence: str, line: str, repeated: bool) -> bool:
    """Lines that are page furniture (menus, headings, notices) rather than prose."""
    words = _WORD.findall(sentence)
    line_words = len(_WORD.findall(line))
    if repeated and line_words < 12:
        return True
    if _FURNITURE.search(sentence) or (line_words <= NOTICE_MAX_WORDS and _FURNITURE.search(line)):
        return True
    if len(words) < 2:
        return True
    # Short lines with no sentence punctuation are headings or menu items.
    return line_words <= 4 and not line.rstrip().endswith((".", "!", "?", '"', "”"))


def split_blocks(text: str, blocks: Sequence[Block]) -> list[Span]:
    """Split ``text`` into sentences; every span satisfies ``text[start:end] == sentence``.

    A paragraph break always ends a sentence; within a paragraph, sentences end at
    terminal punctuation followed by a capitalised word, except after abbreviations and
    initials.
    """
    counts = Counter(text[b.start : b.end].strip() for b in blocks)
    spans: list[Span] = []
    for b in blocks:
        block_start, block_end = b.start, b.end
        block = text[block_start:block_end]
        repeated = counts[block.strip()] > 1
        for start, end in _split_line(text, block_start, block_end):
            quotable = not _is_furniture(text[start:end], block, repeated)
            spans.append(Span(start, end, quotable))
    return spans


def split_sentences(text: str) -> list[Span]:
    """Split plain ``text`` into sentences (paragraphs found as in a .txt file)."""
    return split_blocks(text, paragraphs(text))
