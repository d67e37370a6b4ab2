"""How far the quote of a sentence that introduces what follows ("To dump a table:") runs.

Such a sentence is not the answer alone: the command, example or table after it is. Its
quote runs on through what follows: to the end of the next sentence when that sentence
is in the same section (it usually says what the example does), else up to the heading
of the next section, never into it; at the end of a document, through the block after it.
An example longer than MAX_INTRODUCED characters is not pulled in (the document page
shows it). Offsets only: the quote stays the document's own text.
"""

from __future__ import annotations

import re

from qa.answer.answer import BLANK_LINE
from qa.read.markup import ATX_HEADING

# About a screen of example: longer listings stay on the document page.
MAX_INTRODUCED = 2000
_FENCE = re.compile(r"[ \t]*(```|~~~)")
_NOT_WORD = re.compile(r"[\W_]+")


def _normal(text: str) -> str:
    return _NOT_WORD.sub("", text).casefold()


def _first_block(text: str, start: int, stop: int) -> int:
    """End of the first block of ``text[start:stop]``: a fenced example whole, else a paragraph."""
    begin = start + len(text[start:stop]) - len(text[start:stop].lstrip())
    fence = _FENCE.match(text, begin, stop)
    if fence:
        close = text.find("\n" + fence.group(1), fence.end(), stop)
        if close >= 0:
            line_end = text.find("\n", close + 1, stop)
            return stop if line_end < 0 else line_end
    gap = BLANK_LINE.search(text, begin, stop)
    return gap.start() if gap else stop


def _atx(line: str) -> bool:
    """A Markdown heading line: "#" to "######" indented by at most three spaces (more is code)."""
    indent = len(line) - len(line.lstrip(" "))
    return indent <= 3 and ATX_HEADING.match(line, indent) is not None


def _heading_at(text: str, start: int, stop: int, headings: set[str], markdown: bool) -> int:
    """Where the first heading line of ``text[start:stop]`` begins (outside fenced code), or -1.

    A heading line is one of ``headings``, or in Markdown any "# ..." line (a section
    without sentences of its own is in no sentence's context).
    """
    at, fenced = start, False
    while at < stop:
        line_end = text.find("\n", at, stop)
        line_end = stop if line_end < 0 else line_end
        line = text[at:line_end]
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and line.strip() and (_normal(line) in headings or (markdown and _atx(line))):
            return at
        at = line_end + 1
    return -1


def introduced_end(
    text: str,
    end: int,
    next_sentence: tuple[int, int] | None,
    same_section: bool,
    next_headings: list[str],
    markdown: bool = False,
) -> int:
    """Where the quote of the sentence ``text[..end]`` ending in ":" ends.

    Args:
        next_sentence: (start, end) of the next sentence of the same document, if any.
        same_section: whether that sentence is under the same headings.
        next_headings: the headings (and terms) that sentence is under and this one is not.
        markdown: the document is Markdown, whose headings are "#" lines.
    """
    if next_sentence is not None and same_section:
        stop = next_sentence[1]
    else:
        limit = next_sentence[0] if next_sentence is not None else len(text)
        heading = _heading_at(text, end, limit, {_normal(h) for h in next_headings if _normal(h)}, markdown)
        stop = heading if heading >= 0 else _first_block(text, end, limit)
        stop = end + len(text[end:stop].rstrip())
    return stop if stop - end <= MAX_INTRODUCED else end
