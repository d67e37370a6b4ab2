"""Markdown, reStructuredText and plain text: blocks over the file's own text, in time linear in its size."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.read.document import CODE, HEADING, KINDS, OTHER, TABLE, TERM, TEXT, Block, Document
from qa.read.files import extract
from qa.read.markup import markdown_blocks, rst_blocks
from qa.read.text import _spans, plain_blocks

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "data" / ".read"
SEED = ROOT / "seeds" / "000_d9e46d3c2be1d409.txt"
# Each size below is read in a second or two; a quadratic pass over it takes minutes. The
# bound leaves room for a machine shared with other work.
LINEAR_SECONDS = 20


def check(text: str, blocks: tuple[Block, ...]) -> None:
    end = 0
    for block in blocks:
        piece = text[block.start : block.end]
        assert block.start >= end and piece and piece == piece.strip(), block
        assert block.kind in KINDS and (block.kind == HEADING) == (1 <= block.level <= 6)
        end = block.end


def listing(doc: Document) -> list[tuple[str, str, str]]:
    return [(b.kind, doc.text[b.start : b.end], b.context) for b in doc.blocks]


def test_markdown() -> None:
    doc = extract("guide.md", (FIXTURES / "guide.md").read_bytes())
    assert doc.text == (FIXTURES / "guide.md").read_text()  # the file is its own text
    check(doc.text, doc.blocks)
    guide, mooring, leaving = "Harbour guide", "Harbour guide › Mooring", "Harbour guide › Leaving"
    assert listing(doc) == [
        (OTHER, "title: Harbour guide", ""),
        (HEADING, "Harbour guide", ""),
        (
            TEXT,
            "The harbour opens at six in the morning.\nBoats must report to the harbour master\nbefore they moor.",
            guide,
        ),
        (HEADING, "Mooring", guide),
        (TEXT, "Call the office on channel 12.", mooring),
        (TEXT, "Wait for a berth number;\n   the office answers within ten minutes.", mooring),
        (TEXT, "Keep fenders out.", mooring),
        (CODE, "$ harbour moor --berth B7", mooring),
        (CODE, "indented code stays code", mooring),
        (TABLE, "| Boat length | Fee |\n|-------------|----:|\n| up to 12 m  | 30  |", mooring),
        (TEXT, "Storm warnings are posted\n> at the gate.", mooring),
        (HEADING, "Leaving", guide),
        (TEXT, "Pay the fee before you leave. ### not a closing", leaving),
        (OTHER, "[office]: https://example.org/office", leaving),
        (OTHER, "<!-- editors: update the fees every year -->", leaving),
    ]
    assert [b.level for b in doc.blocks if b.kind == HEADING] == [1, 2, 2]


def test_markdown_headings_and_code_in_lists() -> None:
    text = "# Title #\n\n- item one\n\n      code in a list\n\n  more of item one\n\nafter\n\n    top-level code\n"
    blocks = markdown_blocks(text)
    check(text, blocks)
    assert [(b.kind, text[b.start : b.end]) for b in blocks] == [
        (HEADING, "Title"),
        (TEXT, "item one"),
        (CODE, "code in a list"),
        (TEXT, "more of item one"),
        (TEXT, "after"),
        (CODE, "top-level code"),
    ]


def test_markdown_front_matter_in_toml_is_not_prose() -> None:
    text = '+++\ntitle = "Release process"\nweight = 10\n+++\n\nReleases are cut every second Tuesday.\n\n+++\n'
    blocks = markdown_blocks(text)
    check(text, blocks)
    assert [(b.kind, text[b.start : b.end]) for b in blocks] == [
        (OTHER, 'title = "Release process"\nweight = 10'),
        (TEXT, "Releases are cut every second Tuesday."),
        (TEXT, "+++"),  # only at the top
    ]


def test_restructuredtext() -> None:
    doc = extract("api.rst", (FIXTURES / "api.rst").read_bytes())
    check(doc.text, doc.blocks)
    berths = "The harbour API › Berths"
    assign = f"{berths} › harbour.assign(boat, length=12)"
    glossary = f"{berths} › Glossary"
    assert listing(doc) == [
        (OTHER, ".. _harbour-api:", ""),
        (HEADING, "The harbour API", ""),
        (TEXT, "The module keeps a register of every boat\nand of the berth it occupies.", "The harbour API"),
        (HEADING, "Berths", "The harbour API"),
        (TERM, "assign(boat, length=12)", berths),
        (
            TEXT,
            "Give the boat the smallest free berth that is long enough.  Boats longer\n"
            "   than forty metres go to the outer quay.",
            assign,
        ),
        (TEXT, "For example:", assign),
        (CODE, ">>> assign(\"Northern Star\")\n      'B7'", assign),
        (TEXT, "Berths on the outer quay\n      are not sheltered in a storm.", assign),
        (TEXT, "The *length* parameter.", assign),
        (CODE, "$ harbour pay --berth B7", berths),
        (HEADING, "Glossary", berths),
        (TERM, "berth", f"{berths} › Glossary"),
        (TEXT, "A place where a boat is moored.", f"{berths} › Glossary › berth"),
        (TERM, "quay", f"{berths} › Glossary"),
        (TEXT, "A stone platform beside the water.", f"{berths} › Glossary › quay"),
        (
            TABLE,
            "+--------+------+\n| Length | Fee  |\n+========+======+\n| 12 m   | 30   |\n+--------+------+",
            glossary,
        ),
        (TABLE, "=====  =====\nDay    Fee\n=====  =====\nMon    30\n=====  =====", glossary),
        (TEXT, "Fees are halved in winter.", glossary),
        (TEXT, "Fishing boats pay\n  nothing at all.", glossary),
        (OTHER, "berths\n   fees", glossary),
        (OTHER, ".. this comment is not text", glossary),
    ]
    assert [b.level for b in doc.blocks if b.kind == HEADING] == [1, 2, 3]


def test_sphinx_sources_copies_are_read_as_restructuredtext() -> None:
    data = (FIXTURES / "api.rst").read_bytes()
    assert extract("_sources/api.rst.txt", data).blocks == extract("api.rst", data).blocks
    # A .txt file is reStructuredText when it looks like it: underlined titles and directives.
    assert extract("api.txt", data).blocks == extract("api.rst", data).blocks
    plain = extract("note.txt", b"A note::\n\n    not code in plain text\n")
    assert [b.kind for b in plain.blocks] == [TEXT, TEXT]


def test_plain_text_headline_heads_what_follows() -> None:
    doc = extract(SEED.name, SEED.read_bytes())
    check(doc.text, doc.blocks)
    headline = "US-led coalition: Attack with 2 armed drones foiled in Iraq –"
    first, *rest = doc.blocks
    assert (first.kind, doc.text[first.start : first.end], first.level) == (HEADING, headline, 1)
    assert rest and all(b.kind == TEXT and b.context == headline for b in rest)


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("Title\n\nA sentence that follows.\n", [HEADING, TEXT]),
        ("Title\n=====\nA sentence that follows.\n", [HEADING, TEXT]),
        ("A sentence on its own.\n\nAnother one.\n", [TEXT, TEXT]),
        ("Ends with a colon:\n\nA list follows.\n", [TEXT, TEXT]),
        ("Sign In\nSign In\nText that follows.\n", [TEXT, TEXT, TEXT]),
        ("- a list item\n\nText.\n", [TEXT, TEXT]),
        ("Only a title\n", [TEXT]),
    ],
)
def test_plain_text_headlines(text: str, kinds: list[str]) -> None:
    blocks = plain_blocks(text)
    check(text, blocks)
    assert [b.kind for b in blocks] == kinds


@pytest.mark.parametrize(
    "text",
    [
        "ab cd\n" * 600_000,  # every line continues the one before: minutes when it was quadratic
        "Ab.\n" * 150_000,
        "word " * 3_800_000,  # 19 MB without a newline
        ("x" * 50 + "\n") * 100_000,
        " \n" * 500_000,
    ],
    ids=["lowercase-lines", "short-lines", "no-newline", "wrapped-lines", "blank-lines"],
)
def test_paragraphs_are_linear(text: str) -> None:
    began = time.process_time()
    _spans(text)
    plain_blocks(text)
    assert time.process_time() - began < LINEAR_SECONDS


@pytest.mark.parametrize(
    ("parse", "text"),
    [
        (markdown_blocks, "- item\n" * 200_000),
        (markdown_blocks, "text line\n" * 200_000),
        (markdown_blocks, "    code\n" * 200_000),
        (markdown_blocks, "```\n" + "x\n" * 200_000),
        (markdown_blocks, "#" * 1_000_000),
        (rst_blocks, "text line\n" * 200_000),
        (rst_blocks, "".join(" " * (i % 50) + "- item\n" for i in range(100_000))),
        (rst_blocks, ".. note::\n\n" + "   text\n" * 200_000),
        (rst_blocks, "Title\n=====\n\n" * 50_000),
        (rst_blocks, ".. " + "a" * 1_000_000 + "::"),
    ],
)
def test_markup_parsers_are_linear(parse, text: str) -> None:  # type: ignore[no-untyped-def]
    began = time.process_time()
    check(text, parse(text))
    assert time.process_time() - began < LINEAR_SECONDS


# Pieces of markup that parsers must cope with in any order, split on "¦".
_PIECES = st.sampled_from(
    "\n¦\n\n¦ ¦   ¦\t¦word¦Word.¦- ¦* ¦1. ¦#¦## ¦```¦~~~¦    ¦|¦---¦===¦> ¦.. ¦::¦.. note::¦.. function:: f(x)"
    "¦:param x:¦+--+--+¦<!--¦-->¦[a]: b¦`x`¦é¦\u00a0¦**¦>>> ¦   .. code-block:: py¦  :opt: 1¦Title\n=====\n".split("¦")
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=60).map("".join))
def test_blocks_always_index_the_text(text: str) -> None:
    for parse in (markdown_blocks, rst_blocks, plain_blocks):
        check(text, parse(text))
