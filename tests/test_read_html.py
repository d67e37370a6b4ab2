"""HTML pages: main content only, headings, definition terms, code and tables as blocks with contexts."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.read.document import CODE, HEADING, KINDS, OTHER, TABLE, TERM, TEXT, Document
from qa.read.files import extract

DATA = Path(__file__).resolve().parent / "data"
FIXTURES = DATA / ".read"  # hidden: not part of the documents folders other tests index
PYTHON_DOCS = Path("/usr/share/doc/python3.11/html")


def check(doc: Document) -> None:
    """Blocks index the text exactly, in order, without overlapping or white space at their ends."""
    end = 0
    for block in doc.blocks:
        piece = doc.text[block.start : block.end]
        assert block.start >= end and piece and piece == piece.strip(), block
        assert block.kind in KINDS and (block.kind == HEADING) == (1 <= block.level <= 6)
        end = block.end


def of(doc: Document, kind: str) -> list[str]:
    return [doc.text[b.start : b.end] for b in doc.blocks if b.kind == kind]


def block(doc: Document, text: str):  # type: ignore[no-untyped-def]
    """The block that holds ``text``."""
    found = [b for b in doc.blocks if text in doc.text[b.start : b.end]]
    assert len(found) == 1, (text, found)
    return found[0]


def read(name: str) -> Document:
    doc = extract(name, (FIXTURES / name).read_bytes())
    check(doc)
    return doc


def test_sphinx_page() -> None:
    doc = read("sphinx.html")
    # Navigation, sidebar, search box, footer and permalinks are dropped.
    for furniture in ("Navigation", "Table of Contents", "Copyright", "¶", "index", "2.1 documentation"):
        assert furniture not in doc.text
    assert [(doc.text[b.start : b.end], b.level) for b in doc.blocks if b.kind == HEADING] == [
        ("harbour — Harbour management", 1),
        ("Berths", 2),
        ("Fees", 2),
    ]
    assert of(doc, TERM) == ["harbour.assign(boat, length=12)", "class harbour.Register", "leave(boat)"]
    answer = block(doc, "Give the boat the smallest free berth")
    assert answer.kind == TEXT
    assert answer.context == "harbour — Harbour management › Berths › harbour.assign(boat, length=12)"
    assert block(doc, "Free the berth").context.endswith("Berths › class harbour.Register › leave(boat)")
    assert block(doc, "Fees are halved").context == "harbour — Harbour management › Fees"
    assert of(doc, CODE) == [">>> assign(\"Northern Star\")\n'B7'", "$ harbour pay --berth B7"]
    assert of(doc, TABLE) == ["Length | Fee per day\nUp to 12 m | 30 euros\nOver 12 m | 55 euros"]
    assert "Note" in of(doc, OTHER)
    # The text reads well: terms and code on their own lines, list items marked.
    assert "\n\nharbour.assign(boat, length=12)\n\nGive the boat" in doc.text
    assert "\n- Fees are halved in winter.\n- Fishing boats pay nothing.\n" in doc.text
    assert "Boats longer than forty metres" in doc.text  # white space of the source collapsed


def test_docbook_page() -> None:
    doc = read("docbook.html")
    for furniture in ("Prev", "Next", "Home", "Chapter 4"):
        assert furniture not in doc.text
    assert doc.text.count("4.2.1. Tide Tables") == 1  # the page's table of contents is dropped
    answer = block(doc, "Returns the time of the first high water")
    assert answer.kind == TEXT and answer.context == "4.2. Tide Functions › high_water ( date ) → time"
    assert block(doc, "Names the port").context == "4.2. Tide Functions › tide_port (string)"
    assert of(doc, CODE) == ["SELECT high_water('2024-03-01');"]
    # "Note" labels a box; the section after the box is not under it.
    assert block(doc, "Note").kind == OTHER
    assert block(doc, "Predictions are less accurate").context == "4.2. Tide Functions"
    assert block(doc, "Tide tables are loaded").context == "4.2. Tide Functions › 4.2.1. Tide Tables"
    # The one-column function table lays out prose; its header cell is a label.
    assert block(doc, "Description").kind == OTHER


def test_news_page_drops_menu_script_and_footer() -> None:
    doc = extract("page.html", (DATA / "page.html").read_bytes())
    check(doc)
    for furniture in ("Sign in", "tracking", "Copyright", "Home"):
        assert furniture not in doc.text
    assert of(doc, HEADING) == ["The old harbour reopens"]
    assert block(doc, "Elena Vasquez").context == "The old harbour reopens"


def test_a_simple_page_is_read_whole_under_its_title() -> None:
    html = b"""<html><head><title>Boat notes</title></head><body>
    <h2>Engines</h2><p>Check the oil.<br>Then the fuel.</p><ul><li>Spare belt</li><li>Spare <b>fuse</b></li></ul>
    <pre>engine --start</pre></body></html>"""
    doc = extract("notes.html", html)
    check(doc)
    assert doc.text == (
        "Boat notes\n\nEngines\n\nCheck the oil.\nThen the fuel.\n\n- Spare belt\n- Spare fuse\n\nengine --start\n"
    )
    assert block(doc, "Spare fuse").context == "Boat notes › Engines"
    assert of(doc, CODE) == ["engine --start"]


def test_layout_tables_give_prose_and_data_tables_a_table() -> None:
    prose = (
        "The harbour was built in 1850 by the town council, and it has been rebuilt twice since then: "
        "once after the great storm of 1911 and once in 1987, when the outer quay was added."
    )
    html = f"""<html><head><meta name="generator" content="pandoc"></head><body>
    <table><tr><td><p>{prose}</p></td><td><p>Second column.</p></td></tr></table>
    <table role="presentation"><tr><td>Presented as layout.</td><td>Really.</td></tr></table>
    <table><tr><th>Day</th><th>Boats</th></tr><tr><td>Monday</td><td>12</td></tr></table>
    </body></html>"""
    doc = extract("layout.html", html.encode())
    check(doc)
    assert block(doc, "built in 1850").kind == TEXT and block(doc, "Presented as layout.").kind == TEXT
    assert of(doc, TABLE) == ["Day | Boats\nMonday | 12"]


def test_declared_charset_is_honoured() -> None:
    html = '<html><head><meta charset="iso-8859-1"><title>Café</title></head><body><p>Crème brûlée.</p></body></html>'
    doc = extract("latin1.html", html.encode("latin-1"))
    assert "Crème brûlée." in doc.text


@pytest.mark.parametrize(
    "html",
    [
        b"<div>" * 100_000 + b"Deep text." + b"</div>" * 100_000,
        b"<p>" + b"<b>bold " * 50_000 + b"</p>",
        b"<ul>" + b"<li>item" * 20_000 + b"</ul>",
        b"<table>" + b"<tr><td>a</td><td>b</td></tr>" * 20_000 + b"</table>",
        b"<h1>" + b"long heading " * 20_000 + b"</h1><p>Text under it.</p>",
    ],
)
def test_pathological_pages_are_read_or_refused(html: bytes) -> None:
    try:
        doc = extract("odd.html", html)
    except Exception as exc:  # refused with a reason: UnreadableError only
        assert type(exc).__name__ == "UnreadableError"
        return
    check(doc)
    assert all(len(b.context) < 2000 for b in doc.blocks)


@pytest.mark.skipif(not (PYTHON_DOCS / "library" / "os.html").exists(), reason="python3.11-doc is not installed")
def test_real_python_os_page() -> None:
    doc = extract("library/os.html", (PYTHON_DOCS / "library" / "os.html").read_bytes())
    check(doc)
    answer = block(doc, "Recursive directory creation function.")
    assert answer.kind == TEXT
    assert answer.context.startswith("os — Miscellaneous operating system interfaces › Files and Directories")
    assert answer.context.endswith("os.makedirs(name, mode=0o777, exist_ok=False)")
    example = block(doc, 'if os.access("myfile", os.R_OK):')
    assert example.kind == CODE
    assert not any(">>>" in text or "Previous topic" in text for text in of(doc, TEXT))
    assert "Navigation" not in doc.text and "¶" not in doc.text
    assert doc.text.startswith("os — Miscellaneous operating system interfaces\n")


@pytest.mark.skipif(
    not (PYTHON_DOCS / "_sources" / "library" / "os.rst.txt").exists(), reason="python3.11-doc is not installed"
)
def test_real_python_os_sources_copy() -> None:
    path = PYTHON_DOCS / "_sources" / "library" / "os.rst.txt"
    doc = extract("_sources/library/os.rst.txt", path.read_bytes())
    check(doc)
    answer = block(doc, "Recursive directory creation function.")
    assert answer.kind == TEXT
    assert answer.context.endswith("Files and Directories › os.makedirs(name, mode=0o777, exist_ok=False)")


def test_a_signature_with_an_empty_description_governs_what_follows() -> None:
    # Django's and the kernel's pages: <dl><dt>signature</dt><dd></dd></dl>, then the description.
    html = b"""<html><body><div role="main"><section><h2>Memory</h2>
    <dl class="c function"><dt class="sig sig-object c">void *kmalloc(size_t size)</dt><dd></dd></dl>
    <p>Allocate memory for the kernel.</p>
    <dl class="c function"><dt class="sig sig-object c">void kfree(const void *objp)</dt><dd></dd></dl>
    <p>Free memory that kmalloc allocated.</p></section>
    <section><h2>Pages</h2><p>Pages are 4 kB.</p></section></div></body></html>"""
    doc = extract("memory.html", html)
    check(doc)
    assert block(doc, "Allocate memory").context == "Memory › void *kmalloc(size_t size)"
    assert block(doc, "Free memory").context == "Memory › void kfree(const void *objp)"
    assert block(doc, "Pages are 4 kB.").context == "Pages"


def test_a_text_longer_than_libxml2s_default_limit_is_kept() -> None:
    words = b"word " * 2_200_000  # 11 MB in one text node: without huge_tree, libxml2 drops it silently
    doc = extract("long.html", b"<html><body><main><p>" + words + b"</p><p>The end.</p></main></body></html>")
    assert len(doc.text) > 11_000_000 and doc.text.rstrip().endswith("The end.")


def test_form_labels_are_not_text() -> None:
    # Django's tutorials put each console example in tabs: radio inputs and labels holding
    # icon-font glyphs. The glyphs were read as a paragraph between the sentence that
    # introduces the example and the example, so the quote ended in "\uf17c/\uf179".
    html = b"""<html><body><div role="main"><section><h2>Running tests</h2>
    <p>In the terminal, we can run our test:</p>
    <div class="console-block" id="console-block-1">
    <input class="c-tab-unix" id="c-tab-1-unix" type="radio" name="console-1" checked>
    <label for="c-tab-1-unix" title="Linux/macOS">&#xf17c/&#xf179</label>
    <input class="c-tab-win" id="c-tab-1-win" type="radio" name="console-1">
    <label for="c-tab-1-win" title="Windows">&#xf17a</label>
    <section class="c-content-unix"><div class="highlight"><pre>$ python manage.py test polls</pre></div></section>
    </div><p>The test fails.</p></section></div></body></html>"""
    doc = extract("tutorial.html", html)
    check(doc)
    assert "\uf17c" not in doc.text and "\uf17a" not in doc.text
    kinds = [(b.kind, doc.text[b.start : b.end]) for b in doc.blocks]
    assert kinds[1:] == [
        (TEXT, "In the terminal, we can run our test:"),
        (CODE, "$ python manage.py test polls"),
        (TEXT, "The test fails."),
    ]
