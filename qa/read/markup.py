"""Blocks of Markdown and reStructuredText files: headings, code, tables, lists and prose.

The text of such a file is the file itself; these parsers only say which lines are what,
one pass over the lines, so any file is read in time linear in its length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.read.document import CODE, HEADING, OTHER, TABLE, TERM, TEXT, Block
from qa.read.outline import Outline


def _lines(text: str) -> list[tuple[int, str]]:
    """Each line of ``text`` with the offset where it starts, without its newline."""
    out = []
    pos = 0
    for line in text.split("\n"):
        out.append((pos, line))
        pos += len(line) + 1
    return out


def _indent(line: str, tab: int) -> int:
    """The column where the line's text starts, tabs stopping every ``tab`` columns."""
    body = line.lstrip(" \t")
    lead = line[: len(line) - len(body)]
    return len(lead.expandtabs(tab)) if "\t" in lead else len(lead)


# Inline markup left out of contexts: RST roles (":func:"), backquotes, Markdown link targets.
_INLINE_MARKUP = re.compile(r":[\w:+.-]+:(?=`)|`_{0,2}|\]\([^)\s]{0,500}\)|\[(?=[^\]\n]{1,500}\]\()")


def _plain(markup: str) -> str:
    """Context text without inline markup: ``:func:`mkdir``` → ``mkdir``, " --- " → " — "."""
    return _INLINE_MARKUP.sub("", markup).replace(" --- ", " — ")


class _Collector:
    """Blocks in text order, trimmed of white space, each with its context."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.blocks: list[Block] = []
        self.outline = Outline()

    def add(self, kind: str, start: int, end: int, terms: tuple[str, ...] = (), level: int = 0) -> None:
        segment = self.text[start:end]
        body = segment.strip()
        if not body:
            return
        start += len(segment) - len(segment.lstrip())
        end = start + len(body)
        if kind == HEADING:
            context = self.outline.heading(level, _plain(body[:1000]))
        else:
            context = self.outline.context(_plain(term[:1000]) for term in terms)
        self.blocks.append(Block(start, end, kind, context, level))


# ---------------------------------------------------------------- Markdown

_FENCE = re.compile(r"(`{3,}|~{3,})(.*)")
_ATX = re.compile(r"(#{1,6})(?:[ \t]+|$)")
ATX_HEADING = _ATX  # a Markdown "# Heading" line, from its first "#"
MARKDOWN_SUFFIXES = (".md", ".markdown")
_ATX_CLOSE = re.compile(r"[ \t]+#+[ \t]*$")
_SETEXT = re.compile(r"=+|-+")
_BREAK = re.compile(r"(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,}")
_BULLET = re.compile(r"(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$)")
_TABLE_RULE = re.compile(r"\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?")
_LINK_DEFINITION = re.compile(r"\[[^\]\n]{1,999}\]:[ \t]*\S")


def markdown_blocks(text: str) -> tuple[Block, ...]:
    """Blocks of a Markdown file (CommonMark and GitHub tables).

    ATX and setext headings are HEADING blocks with their level; fenced and indented
    code is CODE; pipe tables are TABLE; paragraphs, list items and block quotes are
    TEXT (list markers and heading marks left out of the block); front matter, HTML
    comments and link definitions are OTHER.
    """
    lines = _lines(text)
    count = len(lines)
    out = _Collector(text)
    para: list[int] | None = None  # start, end of the open paragraph
    para_kind = ""  # "text", "item" or "quote"
    list_indent = -1  # content column of the innermost list item; -1 outside lists
    i = 0

    def close() -> None:
        nonlocal para
        if para is not None:
            out.add(TEXT, para[0], para[1])
            para = None

    def line_end(number: int) -> int:
        return lines[number][0] + len(lines[number][1])

    # Front matter: a YAML header between --- lines at the very top (TOML between +++ lines, Hugo's).
    front = lines[0][1].rstrip() if count > 2 else ""
    if front in ("---", "+++"):
        for j in range(1, min(count, 200)):
            if lines[j][1].rstrip() in ((front, "...") if front == "---" else (front,)):
                out.add(OTHER, lines[1][0], lines[j][0])
                i = j + 1
                break

    while i < count:
        pos, line = lines[i]
        body = line.lstrip(" \t")
        if not body.strip():
            close()
            i += 1
            continue
        indent = _indent(line, 4)
        start = pos + len(line) - len(body)
        end = pos + len(line.rstrip())
        bullet = _BULLET.match(body)
        if para is None and list_indent >= 0 and indent < list_indent and not bullet:
            list_indent = -1  # a line that is not indented under the list ends it
        code_indent = (list_indent if list_indent >= 0 else 0) + 4

        if para is None and indent >= code_indent:  # indented code, blank lines inside included
            last = j = i
            while j < count and (not lines[j][1].strip() or _indent(lines[j][1], 4) >= code_indent):
                if lines[j][1].strip():
                    last = j
                j += 1
            out.add(CODE, start, line_end(last))
            i = last + 1
            continue
        fence = _FENCE.match(body)
        if fence and (fence.group(1)[0] == "~" or "`" not in fence.group(2)):
            close()
            mark = fence.group(1)
            j = i + 1
            while j < count:
                closing = lines[j][1].strip()
                if closing.startswith(mark) and not closing.strip(mark[0]):
                    break
                j += 1
            if j > i + 1:
                out.add(CODE, lines[i + 1][0], line_end(j - 1))
            i = j + 1
            continue
        atx = _ATX.match(body) if indent < code_indent else None
        if atx:
            close()
            heading_start = start + atx.end()
            closing_marks = _ATX_CLOSE.search(text, heading_start, end)
            out.add(HEADING, heading_start, closing_marks.start() if closing_marks else end, level=len(atx.group(1)))
            i += 1
            continue
        stripped = body.rstrip()
        if para is not None and para_kind == "text" and indent < 4 and _SETEXT.fullmatch(stripped):
            out.add(HEADING, para[0], para[1], level=1 if stripped[0] == "=" else 2)
            para = None
            i += 1
            continue
        if _BREAK.fullmatch(stripped):
            close()
            i += 1
            continue
        if "|" in body and i + 1 < count:
            rule = lines[i + 1][1].strip()
            if "-" in rule and ("|" in rule or "|" in stripped.strip("|")) and _TABLE_RULE.fullmatch(rule):
                close()
                j = i + 2
                while j < count and lines[j][1].strip() and "|" in lines[j][1]:
                    j += 1
                out.add(TABLE, start, line_end(j - 1))
                i = j
                continue
        if bullet:
            close()
            list_indent = indent + bullet.end()
            para, para_kind = [start + bullet.end(), end], "item"
            i += 1
            continue
        if body.startswith(">"):
            quote_start = start + 1 + (body[1:2] == " ")
            if para is not None and para_kind == "quote":
                para[1] = end
            else:
                close()
                para, para_kind = [quote_start, end], "quote"
            i += 1
            continue
        if body.startswith("<!--"):
            close()
            j = i
            while j < count - 1 and "-->" not in lines[j][1]:
                j += 1
            out.add(OTHER, start, line_end(j))
            i = j + 1
            continue
        if para is None and _LINK_DEFINITION.match(body):
            out.add(OTHER, start, end)
            i += 1
            continue
        if para is not None:
            para[1] = end  # the paragraph goes on (lazily, in a list item or a quote too)
        else:
            para, para_kind = [start, end], "text"
        i += 1
    close()
    return tuple(out.blocks)


# ---------------------------------------------------------- reStructuredText

_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_DIRECTIVE = re.compile(r"\.\.[ \t]+((?:[\w+.-]+:)?[\w+.-]+)[ \t]*::(?=[ \t]|$)")
_RST_BULLET = re.compile(r"(?:[-*+•‣⁃]|#\.|\d{1,9}[.)]|\(\d{1,9}\))[ \t]+(?=\S)")
_FIELD = re.compile(r":[^:\s][^:\n]{0,200}:(?:[ \t]+|$)")
_SIMPLE_TABLE = re.compile(r"=+(?:[ \t]+=+)+")
_GRID_TABLE = re.compile(r"\+[-=]+\+")
_OPTION = re.compile(r":[\w-]+:")

# Directives whose content is code, a table, or not prose at all.
CODE_DIRECTIVES = frozenset(
    "code code-block sourcecode doctest testcode testoutput testsetup testcleanup productionlist math "
    "parsed-literal literalinclude highlight prompt ipython console kernel-figure graphviz digraph".split()
)
TABLE_DIRECTIVES = frozenset("csv-table list-table flat-table".split())
OTHER_DIRECTIVES = frozenset(
    "toctree index image include raw contents sectnum meta autosummary automodule autoclass autofunction "
    "moduleauthor sectionauthor codeauthor currentmodule module default-role role tabularcolumns cssclass "
    "rst-class opcode-list kernel-doc kernel-abi kernel-feat kernel-include maintainers-include figure "
    "audit-event audit-event-table availability spelling:word-list".split()
)
# Directives that describe something (Sphinx domains): the argument is a signature, a TERM
# that governs the content.
TERM_DIRECTIVES = frozenset(
    "function method class attribute data exception decorator decoratormethod classmethod staticmethod "
    "property abstractmethod coroutinefunction coroutinemethod describe object option cmdoption envvar "
    "opcode pdbcommand 2to3fixer monitoring-event audit-event-table setting templatetag templatefilter "
    "fieldlookup django-admin django-admin-option confval type member macro var enum enumerator struct "
    "union var glossary-term program".split()
)
# Directives whose argument is a title for what they contain.
TITLED_DIRECTIVES = frozenset("admonition topic sidebar rubric table container".split())
# Directives whose argument is not prose (a version number) and whose content is.
VERSION_DIRECTIVES = frozenset("versionadded versionchanged deprecated deprecated-removed".split())
# Directives whose argument is the first line of their prose.
ADMONITIONS = frozenset(
    "note warning tip important attention caution danger error hint seealso impl-detail centered".split()
)
_PYTHON_OBJECTS = frozenset("function class exception data decorator coroutinefunction".split())


def _adornment(line: str) -> str:
    """The character of a heading's under- or overline (``=====``), or ""."""
    body = line.strip()
    if len(body) >= 2 and body[0] in _PUNCTUATION and body.count(body[0]) == len(body):
        return body[0]
    return ""


@dataclass
class _Container:
    """A directive, list item, definition or literal block that holds the lines indented under it."""

    owner: int  # the column of the line that opened it: its content is indented further
    mode: str = "body"  # "body" (parsed as prose), or CODE / TABLE / OTHER (taken as one block)
    term: str = ""  # what it adds to its content's context
    header: bool = True  # no blank line yet: directive options may follow
    signature: bool = False  # a describing directive: more header lines are more signatures


def _is_rst_like(text: str) -> bool:
    """Plain text that is reStructuredText: underlined headings and directives or literal blocks."""
    if "\n.. " not in text and "::\n" not in text:
        return False
    previous = ""
    for line in text.split("\n", 5000)[:5000]:
        mark = _adornment(line)
        title = previous.strip()
        if mark and title and not _adornment(previous) and len(line.strip()) >= len(title):
            return True
        previous = line
    return False


def rst_blocks(text: str) -> tuple[Block, ...]:
    """Blocks of a reStructuredText file (also Sphinx's ``_sources`` copies).

    Underlined (and overlined) titles are HEADING blocks, levels in order of first use;
    ``::`` literal blocks, doctest blocks and code directives are CODE; grid, simple and
    table directives are TABLE; describing directives (``.. function:: sig``) and
    definition-list terms are TERM blocks whose content has them in its context;
    paragraphs, list items and admonitions are TEXT; comments, targets, toctrees and
    other non-prose directives are OTHER.
    """
    lines = _lines(text)
    count = len(lines)
    out = _Collector(text)
    levels: dict[tuple[str, bool], int] = {}
    stack = [_Container(-1, header=False)]
    raw: list[int] | None = None  # start, end of the open CODE/TABLE/OTHER block of the top container
    para: list[int] | None = None  # start, end, indent, lines of the open paragraph
    para_kind = ""  # "text" (may become a heading or a definition term), "item" or "field"
    module = ""

    def terms() -> tuple[str, ...]:
        return tuple(c.term for c in stack if c.term)

    def close() -> int:
        """Close the open block; returns the indent of the paragraph when a literal block may follow it."""
        nonlocal para, raw
        literal = -1
        if raw is not None:
            out.add(stack[-1].mode, raw[0], raw[1], terms())
            raw = None
        if para is not None:
            start, end, indent, _ = para
            para = None
            body = text[start:end].rstrip()
            if body.endswith("::"):  # a literal block follows: "Example::" reads "Example:"
                end = start + len(body) - (2 if body.endswith(" ::") or body == "::" else 1)
                literal = indent
            out.add(TEXT, start, end, terms())
        return literal

    def heading(start: int, end: int, mark: str, over: bool) -> None:
        level = levels.setdefault((mark, over), min(len(levels) + 1, 6))
        out.add(HEADING, start, end, level=level)

    def line_end(number: int) -> int:
        return lines[number][0] + len(lines[number][1])

    i = 0
    while i < count:
        pos, line = lines[i]
        body = line.lstrip(" \t")
        if not body.strip():
            if para is not None:
                literal = close()
                if literal >= 0:
                    stack.append(_Container(literal, CODE, header=False))
            stack[-1].header = False
            i += 1
            continue
        indent = _indent(line, 8)
        start = pos + len(line) - len(body)
        end = pos + len(line.rstrip())
        while len(stack) > 1 and indent <= stack[-1].owner:
            close()
            stack.pop()
        top = stack[-1]

        if top.mode != "body":  # inside a literal block, a code directive, a comment...
            if top.header and _OPTION.match(body):
                i += 1
                continue
            if raw is None:
                raw = [start, end]
            raw[1] = end
            i += 1
            continue
        if top.header and top.signature and para is None:
            if not _OPTION.match(body):  # another signature of the same thing
                out.add(TERM, start, end, tuple(c.term for c in stack[:-1] if c.term))
            i += 1
            continue
        if top.header and para is None and _OPTION.match(body):
            i += 1
            continue

        mark = _adornment(body)
        if para is not None:
            pstart, pend, pindent, plines = para
            if mark and plines == 1 and para_kind == "text" and len(body.rstrip()) >= min(pend - pstart, 4):
                para = None
                heading(pstart, pend, mark, False)
                i += 1
                continue
            if indent > pindent and plines == 1 and para_kind == "text":
                # A definition list: the line above is the term of this indented text.
                para = None
                term = text[pstart:pend]
                out.add(TERM, pstart, pend, terms())
                stack.append(_Container(pindent, term=term, header=False))
                para, para_kind = [start, end, indent, 1], "text"
                i += 1
                continue
            para[1], para[3] = end, plines + 1
            i += 1
            continue

        # A new construct at this line.
        if mark and i + 2 < count and _adornment(lines[i + 2][1]) == mark and lines[i + 1][1].strip():
            title_pos, title = lines[i + 1]
            title_start = title_pos + len(title) - len(title.lstrip())
            heading(title_start, title_pos + len(title.rstrip()), mark, True)
            i += 3
            continue
        if mark and len(body.rstrip()) >= 4 and not _GRID_TABLE.match(body):
            i += 1  # a transition, or an underline without a title
            continue
        if _GRID_TABLE.match(body) or _SIMPLE_TABLE.fullmatch(body.rstrip()):
            grid = body.startswith("+")
            j, borders = i, 0
            while j < count:
                row = lines[j][1].strip()
                if not row and (grid or borders >= 2):
                    break
                borders += bool(_SIMPLE_TABLE.fullmatch(row) or _adornment(row) == "=")
                j += 1
            out.add(TABLE, start, line_end(j - 1), terms())
            i = j
            continue
        if body.startswith(">>>"):
            j = i
            while j < count and lines[j][1].strip():
                j += 1
            out.add(CODE, start, line_end(j - 1), terms())
            i = j
            continue
        if body.startswith(".."):
            directive = _DIRECTIVE.match(body, 0, 300)
            if directive:
                name = directive.group(1).lower()
                base = name.split(":")[-1]
                argument_start = start + directive.end()
                argument = text[argument_start:end].strip()
                container = _Container(indent)
                if base in CODE_DIRECTIVES:
                    container.mode = CODE
                elif base in TABLE_DIRECTIVES:
                    container.mode = TABLE
                elif base in OTHER_DIRECTIVES or base in ("module", "currentmodule"):
                    container.mode = OTHER
                    if base in ("module", "currentmodule"):
                        module = argument
                elif base in TERM_DIRECTIVES or (":" in name and not name.startswith("rst:")):
                    container.signature = True
                    if argument:
                        out.add(TERM, argument_start, end, terms())
                        qualified = base in _PYTHON_OBJECTS and module and not argument.startswith(module + ".")
                        container.term = f"{module}.{argument}" if qualified else argument
                elif base in TITLED_DIRECTIVES and argument:
                    out.add(TERM, argument_start, end, terms())
                    container.term = argument
                stack.append(container)
                if argument and base in ADMONITIONS:
                    para, para_kind = [argument_start, end, indent + 3, 1], "item"
                elif argument and base in VERSION_DIRECTIVES:
                    version = argument.split(None, 1)
                    if len(version) > 1:  # ".. versionchanged:: 3.4 What changed."
                        para, para_kind = [end - len(version[1]), end, indent + 3, 1], "item"
                i += 1
                continue
            if body.startswith(".. [") and "]" in body[:60]:  # a footnote or citation: prose
                label_end = body.index("]") + 1
                stack.append(_Container(indent, header=False))
                para, para_kind = [start + label_end, end, indent + 3, 1], "item"
                i += 1
                continue
            stack.append(_Container(indent, OTHER, header=False))  # a comment, target or substitution
            raw = [start, end]
            i += 1
            continue
        bullet = _RST_BULLET.match(body)
        field = None if bullet else _FIELD.match(body)
        if bullet or field:
            marker = bullet or field
            assert marker is not None
            stack.append(_Container(indent, header=False))
            para, para_kind = [start + marker.end(), end, indent + marker.end(), 1], "item" if bullet else "field"
            i += 1
            continue
        para, para_kind = [start, end, indent, 1], "text"
        i += 1
    while stack:
        close()
        stack.pop()
    return tuple(out.blocks)


def markup_blocks(name: str, text: str) -> tuple[Block, ...] | None:
    """Blocks for a markup file by its name (and, for .txt, its content); None for plain text."""
    lower = name.lower()
    if lower.endswith(MARKDOWN_SUFFIXES):
        return markdown_blocks(text)
    if lower.endswith((".rst", ".rest", ".rst.txt")) or (lower.endswith(".txt") and _is_rst_like(text)):
        return rst_blocks(text)
    return None
