"""The text of a PDF, page by page, with words the typesetter broke at a line end made whole.

A PDF holds lines, not paragraphs: a word hyphenated across a line break reads
"iden-\\ntifier", which no question matches and which a quote would show broken. Such a
break is joined when the whole word is a word: one the document uses elsewhere, or an
English one ("identifier", "manipulation"); a hyphen that belongs to the word
("YYMMDDhhmm-hh", "state-of-the-\\nart") is kept.
"""

from __future__ import annotations

import io
import re

from qa.english import ENGLISH

# Letters, a hyphen at the end of a line, letters ("iden-\ntifier", "OP-\nTIONAL"); not the
# last part of a hyphenated compound ("state-of-the-").
_BROKEN = re.compile(r"(?<![\w-])([^\W\d_]+)-\n([^\W\d_]+)")
_WORD = re.compile(r"[^\W\d_]+")


def pdf_pages(data: bytes) -> list[str]:
    """Each page's text (NUL characters removed), hyphenated line breaks joined."""
    from pypdf import PdfReader  # imported here: only PDFs need it

    reader = PdfReader(io.BytesIO(data))
    return dehyphenate([(page.extract_text() or "").replace("\x00", "") for page in reader.pages])


def dehyphenate(pages: list[str]) -> list[str]:
    """``pages`` with each "word-\\npart" written "wordpart" when that is a word of theirs or of English."""
    if not any(_BROKEN.search(page) for page in pages):
        return pages
    used = {word.lower() for page in pages for word in _WORD.findall(_BROKEN.sub(" ", page))}

    def join(match: re.Match[str]) -> str:
        whole = match.group(1) + match.group(2)
        known = whole.lower() in used or whole.lower() in ENGLISH.words()
        return whole if known else match.group(0)

    return [_BROKEN.sub(join, page) for page in pages]
