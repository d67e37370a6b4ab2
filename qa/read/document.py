"""What reading a file gives: a `Document`'s text, and `Block`s that say what each part of it is."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

# Kinds of block. Only TEXT is split into sentences and may be quoted; headings and
# definition terms name what the text under them is about (ranking evidence, never
# quoted); code, tables and other lines are neither quoted nor indexed.
TEXT = "text"
HEADING = "heading"
TERM = "term"
CODE = "code"
TABLE = "table"
OTHER = "other"
KINDS = frozenset({TEXT, HEADING, TERM, CODE, TABLE, OTHER})


@dataclass(frozen=True)
class Block:
    """A paragraph-level part of a document: ``text[start:end]``.

    ``context`` is what a reader of the block knows it is about, for TEXT blocks: the
    headings above it and the definition term it belongs to, joined by " › " (for
    example "os — Miscellaneous operating system interfaces › Files and Directories ›
    os.makedirs(name, mode=0o777, exist_ok=False)"); empty when nothing governs it.
    """

    start: int
    end: int
    kind: str = TEXT
    context: str = ""
    level: int = 0  # 1-6 for headings


@dataclass(frozen=True)
class Document:
    """A document's extracted text; quote offsets index ``text``.

    ``blocks`` are in text order and do not overlap; text outside every block (blank
    lines, markup residue) is never indexed.
    """

    name: str
    text: str
    digest: str
    page_starts: list[int] = field(default_factory=list)
    blocks: tuple[Block, ...] = ()
    warning: str = ""  # read, but not quite as written (bytes that are not UTF-8)

    def locate(self, offset: int) -> str:
        """Human-readable place of a character: "page 3" for PDFs, else "line 12"."""
        if self.page_starts:
            return f"page {bisect_right(self.page_starts, offset)}"
        return f"line {self.text.count(chr(10), 0, offset) + 1}"


class UnreadableError(Exception):
    """A file that cannot be turned into text; the message says why."""
