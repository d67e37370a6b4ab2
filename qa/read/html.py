"""HTML pages to text and blocks: the main content, with its headings, definition terms, code and tables.

Documentation pages (Sphinx, DocBook, pages that mark their main content) are walked
element by element with lxml: menus, sidebars, footers and permalinks are dropped,
h1-h6 become HEADING blocks, ``<dt>`` TERM blocks that head their ``<dd>``, ``<pre>``
CODE, data tables TABLE, and paragraphs and list items TEXT. Other web pages go through
trafilatura first, which is better at telling an article from what surrounds it; its
XML output is walked the same way.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from lxml import etree

from qa.read.document import CODE, HEADING, OTHER, TABLE, TERM, TEXT, Block, UnreadableError
from qa.read.outline import Outline, clip
from qa.read.text import decode

_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True, collect_ids=False, huge_tree=True)

# Elements whose content is never text of the page.
_SKIP_TAGS = frozenset(
    "head title meta link base script style noscript template svg math canvas iframe object embed "
    "button input label select textarea option datalist map audio video nav form dialog".split()
)
# Parts of a page around its main content; inside a declared main content only a footer is.
_PAGE_TAGS = frozenset("header footer aside".split())
_SKIP_ROLES = frozenset("navigation search banner contentinfo complementary menu menubar toolbar dialog".split())
_SKIP_CLASSES = frozenset(
    # Sphinx, Read the Docs and DocBook page furniture
    "headerlink related sphinxsidebar sphinxsidebarwrapper footer navheader navfooter toc mobile-nav "
    "wy-breadcrumbs rst-footer-buttons viewcode-link viewcode-back linenos copybutton "
    # common web page furniture
    "breadcrumb breadcrumbs nav navbar nav-links pagination skip-link skiplink skip-to-content "
    "screen-reader-text sr-only visually-hidden cookie-banner".split()
)
_FURNITURE_TAGS = frozenset("nav header footer aside form iframe".split())
_FURNITURE_NAMES = re.compile(
    r"nav|menu|sidebar|footer|header|banner|comment|share|social|related|advert|cookie|breadcrumb|widget|promo"
    r"|subscribe|newsletter|masthead"
)
_SKIP_IDS = frozenset("sidebar footer navigation breadcrumbs searchbox toc hd ft".split())
_PERMALINKS = frozenset("¶ # § 🔗".split())
# Boxes whose own heading ("Note", "Warning") is a label, not a section of the page.
_ADMONITIONS = frozenset("note warning tip caution important admonition seealso attention danger error hint".split())
# Paragraphs that name what the rest of their table cell describes (PostgreSQL's function
# and catalog tables): terms, like a <dt>.
_TERM_CLASSES = frozenset("func_signature column_definition".split())

_BLOCK_TAGS = frozenset(
    "address article aside blockquote body caption center dd details dir div dl dt fieldset figcaption "
    "figure footer h1 h2 h3 h4 h5 h6 header hgroup hr html legend li main menu ol p pre section summary "
    "table tbody td tfoot th thead tr ul".split()
)
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_CELL_BLOCKS = "./div|./ul|./ol|./dl|./table|./h1|./h2|./h3|./h4|./h5|./h6|./blockquote"

# Generators of documentation whose whole page body is the content once furniture is dropped.
_DOC_GENERATORS = re.compile(
    r"docbook|docutils|sphinx|pandoc|mkdocs|doxygen|javadoc|makeinfo|texi2any|texi2html|asciidoctor|rustdoc",
    re.IGNORECASE,
)
_SPACE = re.compile(r"[ \t\n\r\f]+")
_BR = "\x00"  # stands for <br> until a block's white space is collapsed
_BR_SPACE = re.compile(r" ?\x00[ \x00]*")
_CHARSET = re.compile(rb"""<meta[^>]{0,300}?charset\s*=\s*["']?\s*([\w.:-]{1,40})""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([\w.:-]{1,40})""")
_TITLE_SITE = re.compile(
    r"\s+(?:—|–|\||·|::|-)\s+[^—–|·]*(?:documentation|docs|manual|guide|handbook|wiki)[^—–|·]*$", re.I
)
# A cell this long in a table without header cells holds prose: the table lays out a page.
LAYOUT_CELL_WORDS = 25
# A link-only line this short is a menu or index entry, not prose.
LINK_LINE_WORDS = 12


def decode_html(data: bytes) -> str:
    """A page's text: UTF-8, or the encoding its ``<meta charset>`` or XML declaration names."""
    try:
        return decode(data)
    except UnreadableError as exc:
        declared = _XML_ENCODING.match(data[:1024]) or _CHARSET.search(data[:4096])
        if not declared or "UTF-8" not in str(exc):
            raise
        try:
            encoding = codecs.lookup(declared.group(1).decode("ascii")).name
        except LookupError:
            raise exc from None
        if encoding.startswith("utf"):
            raise
        return decode(data, encoding)


def clean_title(title: str) -> str:
    """A page title without the site's name: "os — … — Python 3.11 documentation" → "os — …"."""
    return _TITLE_SITE.sub("", clip(title, 300))


def _words(text: str) -> int:
    return len(text.split())


@dataclass
class _List:
    ordered: bool
    number: int = 0


@dataclass
class _Definitions:
    term: str = ""
    in_description: bool = False
    after_term: bool = False
    depth: int = 0  # how deep the list is in the page: contexts list terms outermost first
    signature: bool = False  # the term is an API signature (Sphinx's <dt class="sig">)
    described_from: int = -1  # the number of blocks when the description began


def _text_of(element: etree._Element) -> str:
    return "".join(element.itertext())


def _drop(element: etree._Element) -> None:
    """Remove an element, keeping the text that follows it."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _is_data_table(table: etree._Element) -> bool:
    """A table of data (rows and columns), not one used to lay out prose.

    Layout: ``role="presentation"``, a single column, tables inside it, or prose in its
    cells (a cell of more than LAYOUT_CELL_WORDS words in a table without header cells,
    or sections of prose in a table with them).
    """
    if table.get("role") in ("presentation", "none"):
        return False
    rows = table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr")
    if not rows or max(len(row.xpath("./td|./th")) for row in rows) < 2:
        return False
    if table.xpath(".//table"):
        return False
    headed = bool(table.xpath("./thead|./tr/th|./tbody/tr/th"))
    for row in rows:
        for cell in row.xpath("./td"):
            words = _words(_text_of(cell))
            if words > 60 and cell.xpath(_CELL_BLOCKS) if headed else words > LAYOUT_CELL_WORDS:
                return False
    return True


def _table_text(table: etree._Element) -> str:
    lines = []
    caption = table.find("caption")
    if caption is not None:
        lines.append(_SPACE.sub(" ", _text_of(caption)).strip())
    for row in table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr"):
        cells = [_SPACE.sub(" ", _text_of(cell)).strip() for cell in row.xpath("./td|./th")]
        if any(cells):
            lines.append(" | ".join(cells))
    return "\n".join(line for line in lines if line)


def _code_text(element: etree._Element) -> str:
    for number in element.xpath(".//*[contains(@class, 'lineno')]"):
        _drop(number)
    lines = _text_of(element).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(lines).rstrip()


class _Walker:
    """Walks an element tree once, writing the text and its blocks."""

    def __init__(self, title: str = "") -> None:
        self.parts: list[str] = []
        self.length = 0
        self.blocks: list[Block] = []
        self.outline = Outline()
        self.title = title
        self.buffer: list[str] = []  # the text of the block being read
        self.link_chars = 0
        self.in_link = 0
        self.has_text = False  # the block being read has more than white space
        self.kind = TEXT  # kind of the block being read
        self.level = 0
        self.atomic: etree._Element | None = None  # the heading or term being read: blocks in it are part of it
        self.lists: list[_List] = []
        self.definitions: list[_Definitions] = []
        # Terms that govern the rest of an element, and whether they float (see `_float_term`).
        self.scoped: list[tuple[etree._Element, str, bool, int]] = []
        self.depth = 0  # of the element being read
        self.labels: etree._Element | None = None  # a layout table's header cell: labels, not prose
        self.prefix = ""  # a list item's bullet, written before its first block
        self.listed = False  # the last block written was a list item's

    # -- output

    def _terms(self) -> list[str]:
        terms = [(d.depth, d.term) for d in self.definitions if d.in_description and d.term]
        if self.scoped:
            terms = sorted(terms + [(depth, term) for _owner, term, _floating, depth in self.scoped])
        return [term for _depth, term in terms]

    def emit(self, kind: str, text: str, level: int = 0) -> None:
        """Write a block; its text is written whole (a code block's indentation too), its bounds stripped."""
        body = text.strip()
        if not body:
            return
        if kind == HEADING:
            context = self.outline.heading(level, body)
            if self.scoped:
                self.scoped = [entry for entry in self.scoped if not entry[2]]
        else:
            context = self.outline.context(self._terms())
        item = bool(self.prefix)
        separator = ("\n" if item and self.listed else "\n\n") if self.length else ""
        lead = separator + self.prefix
        self.prefix = ""
        self.listed = bool(self.lists)
        self.parts.append(lead)
        start = self.length + len(lead)
        self.parts.append(text)
        self.length = start + len(text)
        start += len(text) - len(text.lstrip())
        self.blocks.append(Block(start, start + len(body), kind, context, level))

    def flush(self) -> str:
        """Write the block being read; returns its text."""
        if not self.buffer:
            return ""
        raw = "".join(self.buffer)
        self.buffer.clear()
        self.has_text = False
        text = _SPACE.sub(" ", raw)
        if _BR in text:
            text = _BR_SPACE.sub("\n", text.strip(" " + _BR))
        text = text.strip()
        kind, level = self.kind, self.level
        if kind == TEXT and self.labels is not None:
            kind = OTHER
        if kind == TEXT and self.link_chars and self.link_chars >= 0.9 * len(text) and _words(text) <= LINK_LINE_WORDS:
            kind = OTHER  # a menu or index entry
        self.link_chars = 0
        self.emit(kind, text, level)
        return text

    def add(self, text: str | None) -> None:
        if text:
            self.buffer.append(text)
            if not self.has_text:
                self.has_text = not text.isspace()
            if self.in_link:
                self.link_chars += len(text.strip())

    # -- the walk

    def skip(self, element: etree._Element, tag: str, in_main: bool) -> bool:
        """True for page furniture: menus, sidebars, footers, permalinks, hidden parts."""
        if tag in _SKIP_TAGS or (tag in _PAGE_TAGS and (not in_main or tag == "footer")):
            return True
        attrib = element.attrib
        if not attrib:
            return False
        if attrib.get("role") in _SKIP_ROLES or "hidden" in attrib or attrib.get("aria-hidden") == "true":
            return True
        classes = attrib.get("class")
        if classes and not _SKIP_CLASSES.isdisjoint(classes.lower().split()):
            return True
        ident = attrib.get("id")
        if ident and ident.lower() in _SKIP_IDS:
            return True
        style = attrib.get("style")
        if style and "display:none" in style.replace(" ", "").lower():
            return True
        if tag == "a" and attrib.get("href", "").startswith("#"):
            label = (element.text or "").strip()
            return label in _PERMALINKS or label.lower().startswith("skip to")
        return False

    def start(self, element: etree._Element, tag: str) -> bool:
        """Handle an element's start; True when its content was read whole (code, tables)."""
        if tag in _BLOCK_TAGS:
            if self.atomic is not None:
                self.add(" ")
                return False
            self.flush()
            if tag in _HEADINGS:
                self.kind, self.level = HEADING, _HEADINGS[tag]
                self.atomic = element
                box = element.getparent()
                if box is not None and not _ADMONITIONS.isdisjoint((box.get("class") or "").split()):
                    self.kind, self.level = OTHER, 0
            elif tag == "dt":
                if self.definitions:
                    current = self.definitions[-1]
                    if not current.after_term:
                        current.term = ""
                    current.in_description = False
                    current.signature = "sig" in (element.get("class") or "").split()
                self.kind = TERM
                self.atomic = element
            elif tag == "dd":
                if self.definitions:
                    self.definitions[-1].in_description = True
                    self.definitions[-1].after_term = False
                    self.definitions[-1].described_from = len(self.blocks)
            elif tag == "dl":
                self.definitions.append(_Definitions(depth=self.depth))
            elif tag in ("ul", "ol", "menu", "dir"):
                self.lists.append(_List(tag == "ol"))
            elif tag == "li":
                self.prefix = ""
                if self.lists:
                    current_list = self.lists[-1]
                    current_list.number += 1
                    marker = f"{current_list.number}." if current_list.ordered else "-"
                    self.prefix = "  " * (len(self.lists) - 1) + marker + " "
            elif tag == "pre":
                self.emit(CODE, _code_text(element))
                return True
            elif tag == "table" and _is_data_table(element):
                self.emit(TABLE, _table_text(element))
                return True
            elif tag == "p" and element.get("class"):
                classes = element.get("class", "").split()
                if "admonition-title" in classes:
                    self.kind = OTHER
                elif self.labels is None and not _TERM_CLASSES.isdisjoint(classes):
                    self.kind = TERM
            elif tag == "th" and self.labels is None:
                self.labels = element
        elif tag == "br":
            self.add(_BR)
        elif tag == "a":
            self.in_link += 1
        elif tag == "code" and self.atomic is None and not self.has_text:
            code = _text_of(element)
            if "\n" in code.strip():  # a code block written without <pre>
                self.emit(CODE, _code_text(element))
                return True
        self.add(element.text)
        return False

    def end(self, element: etree._Element, tag: str) -> None:
        if self.atomic is not None and element is not self.atomic:
            if tag == "a":
                self.in_link = max(0, self.in_link - 1)
            return  # inside a heading or term
        if tag in _BLOCK_TAGS:
            if element is self.atomic:
                self.atomic = None
                text = self.flush()
                if tag == "dt" and self.definitions:
                    current = self.definitions[-1]
                    current.term = f"{current.term}; {text}" if current.term and text else current.term or text
                    current.after_term = True
            else:
                kind = self.kind
                text = self.flush()
                parent = element.getparent()
                if kind == TERM and text and parent is not None:  # a term for the rest of its cell
                    if self.scoped and self.scoped[-1][0] is parent:
                        text = f"{self.scoped.pop()[1]}; {text}"
                    self.scoped.append((parent, text, False, self.depth - 1))
            self.kind, self.level = TEXT, 0
            if self.scoped and self.scoped[-1][0] is element:
                self.scoped.pop()
            if element is self.labels:
                self.labels = None
            if tag == "dl" and self.definitions:
                self._float_term(element, self.definitions.pop())
            elif tag in ("ul", "ol", "menu", "dir") and self.lists:
                self.lists.pop()
            elif tag == "li":
                self.prefix = ""
            elif tag == "dd" and self.definitions:
                self.definitions[-1].in_description = False
        elif tag == "a":
            self.in_link = max(0, self.in_link - 1)

    def _float_term(self, dl: etree._Element, definitions: _Definitions) -> None:
        """An API signature whose description is empty is described by what follows the list.

        Django's and the kernel's Sphinx pages write ``<dl><dt>signature</dt><dd></dd></dl>``
        and then the description: the signature governs the rest of the enclosing element,
        up to the next such signature or heading.
        """
        parent = dl.getparent()
        if parent is None or not definitions.signature or not definitions.term:
            return
        if definitions.described_from != len(self.blocks):
            return
        self.scoped = [entry for entry in self.scoped if not entry[2]]
        self.scoped.append((parent, definitions.term, True, definitions.depth - 1))

    def walk(self, root: etree._Element, in_main: bool) -> None:
        first_heading = root.xpath("(.//h1|.//h2|.//h3|.//h4|.//h5|.//h6)[1]")
        first = clip(_text_of(first_heading[0])) if first_heading else ""
        if self.title and root.find(".//h1") is None:
            # The page title heads what is under it (and is written as its heading unless it is one already).
            self.outline.root = self.title
            if first.rstrip("¶#§ ") != self.title:
                self.emit(HEADING, self.title, 1)
        walker = etree.iterwalk(root, events=("start", "end"))
        skipped = None
        for event, element in walker:
            tag = element.tag
            if not isinstance(tag, str):  # a comment or processing instruction: only its tail is text
                if event == "end":
                    self.add(element.tail)
                continue
            tag = tag.lower()
            if event == "start":
                self.depth += 1
                if self.skip(element, tag, in_main) or self.start(element, tag):
                    skipped = element
                    walker.skip_subtree()
                continue
            if element is skipped:
                skipped = None
            else:
                self.end(element, tag)
            self.depth -= 1
            if element is not root:
                self.add(element.tail)
        self.flush()

    def result(self) -> tuple[str, tuple[Block, ...]]:
        return "".join(self.parts) + ("\n" if self.parts else ""), tuple(self.blocks)


def _main_content(root: etree._Element) -> etree._Element | None:
    """The element that holds a documentation page's content, or None for other pages.

    The first ``<main>`` or ``role="main"``; else Django's ``#yui-main`` or Sphinx's
    ``div.body``; else the whole body of a page a documentation generator wrote.
    """
    fallback = None
    for element in root.iter():
        tag = element.tag
        if not isinstance(tag, str):
            continue
        if tag == "main" or element.get("role") == "main":
            return element
        if fallback is None and (
            element.get("id") == "yui-main" or (tag == "div" and "body" in (element.get("class") or "").split())
        ):
            fallback = element
    if fallback is not None:
        return fallback
    head = root.find("head")
    if head is not None:
        for element in head:
            if element.tag == "meta" and element.get("name") == "generator":
                if _DOC_GENERATORS.search(element.get("content") or ""):
                    return root.find("body")
            elif element.tag == "script" and element.get("id") == "documentation_options":
                return root.find("body")
    return None


def _has_furniture(body: etree._Element) -> bool:
    """True for a web page with menus, banners or sidebars around its text, which trafilatura sets apart
    better; a simple page of text (saved notes, a generated report) is walked whole instead."""
    link_chars = text_chars = 0
    for element in body.iter():
        tag = element.tag
        if not isinstance(tag, str):
            continue
        if tag in _FURNITURE_TAGS or element.get("role") in _SKIP_ROLES:
            return True
        names = f"{element.get('class') or ''} {element.get('id') or ''}".lower()
        if names.strip() and _FURNITURE_NAMES.search(names):
            return True
        size = len(element.text.strip()) if element.text else 0
        text_chars += size
        if tag == "a":
            link_chars += size
    return link_chars > 0.3 * text_chars


# trafilatura's XML names for what the walker knows as HTML.
_TEI = {
    "list": "ul",
    "item": "li",
    "row": "tr",
    "lb": "br",
    "quote": "blockquote",
    "hi": "span",
    "ref": "span",
    "del": "span",
    "graphic": "img",
    "main": "div",
    "doc": "div",
    "comments": "script",
}


def _trafilatura_tree(source: str) -> etree._Element | None:
    """The article of a web page as trafilatura sees it, in HTML element names."""
    import trafilatura  # imported here: slow to import and only needed for web pages

    xml = trafilatura.extract(source, output_format="xml", include_comments=False, include_tables=True)
    if not xml:
        return None
    tree = etree.fromstring(xml.encode("utf-8"), etree.XMLParser(recover=True, huge_tree=False))
    if tree is None:
        return None
    for element in tree.iter():
        tag = element.tag
        if not isinstance(tag, str):
            continue
        if tag == "head":
            rend = element.get("rend", "h2")
            element.tag = rend if rend in _HEADINGS else "h2"
        elif tag == "list":
            element.tag = "ol" if element.get("rend") == "ol" else "ul"
        elif tag == "cell":
            element.tag = "th" if element.get("role") == "head" else "td"
        elif tag == "code":
            parent = element.getparent()
            inline = parent is not None and parent.tag in ("p", "item", "cell", "head", "hi", "ref", "quote")
            element.tag = "code" if inline else "pre"
        elif tag in _TEI:
            element.tag = _TEI[tag]
    return tree


def html_document(data: bytes) -> tuple[str, tuple[Block, ...]]:
    """The text of an HTML page and its blocks. Raises `UnreadableError` or a parser's error."""
    source = decode_html(data)
    if source.lstrip().startswith("<?xml"):
        source = source[source.index("?>") + 2 :]  # lxml takes no encoding declaration in a str
    if not source.strip():
        return "", ()
    root = etree.fromstring(source, parser=_PARSER)
    if root is None:
        return "", ()
    title = clip(clean_title(root.findtext(".//title") or ""))
    main = _main_content(root)
    if main is not None:
        walker = _Walker(title)
        walker.walk(main, in_main=True)
        return walker.result()
    body = root.find("body")
    if body is None:
        body = root
    if _has_furniture(body):
        article = _trafilatura_tree(source)
        if article is not None:
            walker = _Walker(title)
            walker.walk(article, in_main=True)
            if walker.blocks:
                return walker.result()
    walker = _Walker(title)
    walker.walk(body, in_main=False)
    return walker.result()
