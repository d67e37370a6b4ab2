"""Split: documents into sentences, and text into the terms BM25 matches."""

from __future__ import annotations

from dataclasses import dataclass

from qa.read.document import TEXT, Document
from qa.split.sentences import split_blocks


@dataclass(frozen=True)
class Sentence:
    """A sentence of a document, ``document.text[start:end]``.

    ``quotable`` is False for page furniture (menus, notices, lines that are not
    sentences); ``context`` is the governing headings and term of its block.
    """

    start: int
    end: int
    quotable: bool = True
    context: str = ""


def split_document(document: Document) -> list[Sentence]:
    """The sentences of a document's TEXT blocks, in order, with exact offsets."""
    text_blocks = [b for b in document.blocks if b.kind == TEXT]
    spans = split_blocks(document.text, text_blocks)
    out = []
    # Every span lies inside one block: walk both in order to hand down each block's context.
    index = 0
    for span in spans:
        while text_blocks[index].end < span.end:
            index += 1
        out.append(Sentence(span.start, span.end, span.quotable, text_blocks[index].context))
    return out
