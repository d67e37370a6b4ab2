"""Paragraphs of plain text: lines, with hard-wrapped lines (PDF text, wrapped plain text) joined up."""

from __future__ import annotations

import codecs
import re
import unicodedata

from qa.read.document import HEADING, TEXT, Block, UnreadableError
from qa.read.outline import Outline

_LINE = re.compile(r"[^\n]+")
# A line this long that stops mid-sentence was wrapped, not ended.
WRAPPED_LINE = 40
_CLOSERS = (".", "!", "?", ":", ";", '"', "”", "’", "'", ")", "]", "…")
_LIST_ITEM = re.compile(r"(?:[-*•#>]|\d+[.)]\s)")

# A headline: a short line standing alone that does not end like a sentence.
HEADLINE_CHARS = 100
HEADLINE_WORDS = 15
_SENTENCE_END = (".", "!", "?", ":", ";", ",", "…")
_LETTER = re.compile(r"[^\W\d_]")
_UNDERLINE = re.compile(r"([=\-~^*#+])\1{2,}[ \t]*")


# A byte-order mark names its encoding: UTF-16 is what Windows "Unicode" text and PowerShell's
# redirection write. (UTF-32's marks begin with UTF-16's: tried first.)
_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Binary data behind such a mark decodes too, as letters no text uses: more than this share
# of code points unassigned or private tells it apart.
_NO_LETTER = 0.01


def decode(data: bytes, encoding: str = "utf-8-sig") -> str:
    """Text of a file's bytes, newlines made "\\n". Raises `UnreadableError` for binary data or a bad encoding."""
    marked = next((name for mark, name in _MARKS if data.startswith(mark)), None)
    if marked:
        return _decode_marked(data, marked)
    if b"\x00" in data:
        raise UnreadableError("binary data, not text")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        if not encoding.startswith("utf-8"):
            raise UnreadableError(f"not valid {encoding} (byte {exc.start})") from None
        # Guessing a legacy code page would quote wrong letters ("č" read as "è"): say how to fix it.
        raise UnreadableError(
            f"not valid UTF-8 (byte {exc.start}): save it as UTF-8 to read it, e.g. iconv -f cp1252 -t utf-8"
        ) from None
    return _text(text)


# A UTF-8 file with a stray byte or two (a quote mark pasted from a Windows program, a
# character cut in half) is read with each such byte shown as "\ufffd", and a warning; more
# than this share of such bytes is text in another encoding: guessing it would quote wrong
# letters, so the file is skipped with how to convert it.
STRAY_BYTES = 0.001


def decode_text(data: bytes) -> tuple[str, int]:
    """Text of a text file's bytes and how many of them were not UTF-8 (shown as U+FFFD).

    Raises `UnreadableError` as `decode` does, when more than STRAY_BYTES of them are not UTF-8.
    """
    try:
        return decode(data), 0
    except UnreadableError as exc:
        if "UTF-8" not in str(exc):
            raise
        text = data.decode("utf-8-sig", "replace")
        stray = text.count("\ufffd") - data.count("\ufffd".encode())
        if stray > STRAY_BYTES * len(data):
            raise
        return _text(text), stray


def _decode_marked(data: bytes, encoding: str) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise UnreadableError(f"not valid {encoding.upper()} though it begins as such (byte {exc.start})") from None
    head = text[:10000]
    categories = [unicodedata.category(ch) for ch in head]
    unassigned = sum(1 for c in categories if c in ("Cn", "Co"))
    # Text has spaces or punctuation somewhere; a few stray bytes read as letters have none.
    if unassigned > _NO_LETTER * len(head) or not any(c[0] in "PZ" or ch in "\n\t" for c, ch in zip(categories, head)):
        raise UnreadableError("binary data, not text")
    return _text(text)


def _text(text: str) -> str:
    head = text[:10000]
    controls = sum(1 for ch in head if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > 0.05 * len(head):
        raise UnreadableError("binary data, not text")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _spans(text: str) -> list[tuple[int, int]]:
    """Paragraphs: lines, with hard-wrapped lines (PDF text, wrapped plain text) joined up.

    A line continues on the next one when the paragraph so far is at least WRAPPED_LINE
    characters long and stops without closing punctuation, or when the next line starts
    in lower case, unless the next line starts a list item or a heading. Linear in the
    length of ``text``: nothing already joined is looked at again.
    """
    blocks: list[tuple[int, int]] = []
    # The current paragraph's start and the end of its last line without trailing space.
    para_start = para_end = -1
    for match in _LINE.finditer(text):
        start, end = match.span()
        line = match.group(0)
        stripped = line.strip()
        if not stripped:
            continue  # a line of white space only
        lead = len(line) - len(line.lstrip())
        first, last = start + lead, start + lead + len(stripped)
        if para_start >= 0:
            continues = (
                text.count("\n", para_end, start) == 1
                and not _LIST_ITEM.match(line, lead)
                and (
                    (para_end - para_start >= WRAPPED_LINE and not text.endswith(_CLOSERS, para_start, para_end))
                    or text[first].islower()
                )
            )
            if continues:
                blocks[-1] = (para_start, end)
                para_end = last
                continue
        blocks.append((start, end))
        para_start, para_end = start, last
    return blocks


def paragraphs(text: str) -> tuple[Block, ...]:
    """The paragraphs of ``text`` as TEXT blocks."""
    return tuple(Block(start, end) for start, end in _spans(text))


def _is_headline(text: str, start: int, end: int) -> bool:
    line = text[start:end].strip()
    return (
        len(line) <= HEADLINE_CHARS
        and len(line.split()) <= HEADLINE_WORDS
        and not line.endswith(_SENTENCE_END)
        and not _LIST_ITEM.match(line)
        and _LETTER.search(line) is not None
    )


def plain_blocks(text: str) -> tuple[Block, ...]:
    """Blocks of a plain-text file: its paragraphs, and headlines as headings.

    A headline is a single short line that does not end like a sentence, standing alone
    between blank lines (or first in the file), or underlined with ``===`` or ``---``; it
    heads the context of the paragraphs after it, up to the next headline.
    """
    spans = []
    for start, end in _spans(text):
        piece = text[start:end]
        body = piece.strip()
        start += len(piece) - len(piece.lstrip())
        spans.append((start, start + len(body)))
    outline = Outline()
    context = ""
    blocks: list[Block] = []
    skip_next = False
    for number, (start, end) in enumerate(spans):
        if skip_next:
            skip_next = False
            continue
        following = spans[number + 1] if number + 1 < len(spans) else None
        if (
            following
            and end - start <= HEADLINE_CHARS
            and not text.endswith(_SENTENCE_END, start, end)
            and text.find("\n", start, end) < 0
            and _is_headline(text, start, end)
        ):
            gap_after = text.count("\n", end, following[0])
            underlined = gap_after == 1 and _UNDERLINE.fullmatch(text, following[0], following[1]) is not None
            alone_before = number == 0 or text.count("\n", spans[number - 1][1], start) >= 2
            if underlined or (alone_before and gap_after >= 2):
                blocks.append(Block(start, end, HEADING, outline.heading(1, text[start:end]), 1))
                context = outline.context()
                skip_next = underlined
                continue
        blocks.append(Block(start, end, TEXT, context))
    return tuple(blocks)
