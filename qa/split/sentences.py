"""Split document text into sentences with exact character offsets, and flag page furniture.

Rules, in one pass over each block (so time is linear in the text):

- A sentence ends at ``.``, ``!``, ``?`` or an ellipsis, with any closing quotes or
  brackets and reference markers glued on ("Paris.[12]", "memory.:33"), when white space
  and a sentence start follow: a character that is not a lower-case letter or
  punctuation ("The", "Émile", "#P", "1990", "“We").
- A period after a word decides by the whole word before it: titles ("Dr.", "Mt.")
  never end a sentence; "No.", "p.", "Jan." do not before a number; initials, acronyms
  and name suffixes ("J.", "U.S.", "Co.", "etc.") end one only before a word that
  typically opens a sentence ("He", "The", "In"), so "World War I. He" ends and "George
  W. Bush" goes on; any other word ("1990s.", "Kraków.", "°C.", "no.") ends a sentence.
- An ellipsis between spaces (" . . . ", " … ") or in brackets ("[...]") leaves words
  out of a sentence without ending it; one glued to a word ("that...") or of four dots
  ends it.
- A paragraph that opens with a list marker ("1.", "2)", "a.", "•") is cut before the
  markers that follow it ("2.", "3)", "b.", "•"), even with no period between items.
- A sentence longer than MAX_SENTENCE_CHARS is cut at its last clause punctuation, else
  its last space, within the bound: no quote is longer.

Quoted speech is split like any other text: '“We are done. We go home.” He left.' is
three sentences.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat

from qa.read.document import TEXT, Block
from qa.read.text import paragraphs
from qa.split.furniture import Furniture

# No quote is longer: a longer run of text without a sentence end is cut into pieces.
MAX_SENTENCE_CHARS = 1000
# Pieces are cut no shorter than this when the text allows it.
_MIN_PIECE_CHARS = MAX_SENTENCE_CHARS // 4

_OPENERS = "\"'“‘«([{¿¡"
_CLOSERS = "\"'”’»)]}"
# Characters other than letters and digits that may open a sentence.
_STARTER_SYMBOLS = frozenset("#$£€¥@§¶*•")

# A possible sentence end: terminal punctuation (an ellipsis may keep its spaces: ". . . ."),
# closing quotes and brackets, reference markers ("[12]", "[citation needed]", ":33", ":162–164"),
# then white space, any opening quotes or brackets, and the next character. A match starts
# only at the start of a run of punctuation and never gives back what it took (possessive
# quantifiers), so a run of a million dots is read once, not a million times.
_END_AFTER = (
    r"(?<![.!?‽…][.!?‽…])(?<![.!?‽…][ \u00a0][.!?‽…])[.!?‽…]*+"
    r"(?:[ \u00a0]\.(?=[\s.]|$|[\"'”’»)\]]))*+)"
    r"[\"'”’»)\]}]*+"
    r"(?:\[[^\[\]\n]{1,40}\]|:\d{1,4}(?:[–-]\d{1,4})?)*+"
    r"(?=(?P<space>\s+)[\"'“‘«(\[{¿¡]*(?P<next>\S))"
)
_END = re.compile(r"(?P<stop>[.!?‽…]" + _END_AFTER)
# The same for text whose only terminal punctuation is the period: opening with a literal, it is found faster.
_END_PERIODS = re.compile(r"(?P<stop>\." + _END_AFTER)
_NOT_PERIODS = ("!", "?", "…", "‽")
# A line with no terminal punctuation that does not open with a list marker: one sentence.
_PLAIN_LINE = re.compile(r"\s*+(?P<body>(?![•⁃◦▪‣]|\d{1,3}(?:\.\)|\)|\.)\s|\(\d{1,3}\)\s|[a-z][.)]\s)[^.!?…‽]*+)")
# A sentence that is only a list marker so far: "1.", "2.)", "a.", "• 9.", "⁃10.", "IV.".
_MARKER_ONLY = re.compile(r"[•⁃◦▪‣·*-]?\s*(?:\d{1,3}|[A-Za-z]|[ivxlcdm]{1,6}|[IVXLCDM]{1,6})\.\)?")
_MARKER_CHARS = 12
# A paragraph opening with a list marker: "1.)", "1)", "(1)", "1.", "a.", "a)", "•".
_LIST_START = re.compile(
    r"(?:(?P<bullet>[•⁃◦▪‣])|(?P<num>\d{1,3})(?P<numsuffix>\.\)|\)|\.)(?=\s)"
    r"|\((?P<paren>\d{1,3})\)(?=\s)|(?P<letter>[a-z])(?P<lettersuffix>[.)])(?=\s))"
)
# The word before a period is looked for at most this many characters back.
_TOKEN_CHARS = 64
# Initials and acronyms: "J", "U.S", "E.U", "U.S.A", "Ph.D".
_ACRONYM = re.compile(r"(?:[^\W\d_]{1,2}\.)+[^\W\d_]{1,2}|[^\W\d_]")
_LETTERS = re.compile(r"[^\W\d_]+")
_WORD = re.compile(r"\w+")
# Where a long sentence is best cut: after clause punctuation ("1,000" is no clause), else at a space.
_CLAUSE_BREAKS = ("; ", ": ", ", ", "—", "–")
_SPACES = (" ", "\n", "\t", "\u00a0", "\r")

# Titles before a name: a period after them never ends a sentence ("Dr. Smith", "Mt. Fuji").
_TITLES = (
    "Mr Mrs Ms Messrs Mmes Mme Mlle Dr Drs Prof Gen Col Lt Sgt Capt Cmdr Cdr Adm Maj Brig Cpl Pvt Gov Sen Rep "
    "Pres Rev Hon Msgr Fr Mt Ft Supt Insp Atty Amb Gens Reps Sens"
).split()
TITLES = frozenset(_TITLES) | frozenset(t.upper() for t in _TITLES)
# Never a sentence end, whatever follows: "Roe v. Wade", "cf. Smith", "e.g. The", "c. EUR 23,800".
CONNECTORS = frozenset("v vs Vs cf Cf viz e.g E.g i.e I.e approx Approx c ca".split())
# Before a number, not a sentence end: "No. 5", "p. 55", "Jan. 6", "N°. 10", "Ps. 31:5", "et al. (2005)".
NUMBERED = frozenset(
    (
        "No no Nos nos Nr nr Vol vol Vols vols Fig fig Figs figs Ch ch Chap chap Sec sec Secs Art art Op op Pt pt "
        "Eq eq Eqs Ex ex Tab tab Ref ref Refs pp Pp Ps est Est max min N° n° Nº nº al "
        "Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec Mon Tue Tues Wed Thu Thur Thurs Fri Sat Sun"
    ).split()
)
# Like initials, a sentence end only before a word that opens sentences: "Pitt, Briggs & Co. It closed",
# "St. Paul" (saint) but "Kiowa St. He" (street).
NAME_SUFFIXES = frozenset("Co Cos Corp Inc Ltd Plc Bros Jr Sr Esq etc al Assn Dept Univ Ave Blvd Rd St Ste Sts".split())
TIMES = frozenset("a.m p.m A.M P.M".split())
# Capitalised words that usually open a sentence rather than go on with a name.
STARTERS = frozenset(
    (
        "A An The This That These Those There Then Thus Therefore Hence However Although Though But And Or Nor So "
        "Yet Also Still Meanwhile Moreover Furthermore Instead Indeed Again Similarly Additionally Consequently "
        "Nevertheless Nonetheless Otherwise Likewise Besides Later Earlier Finally Eventually Subsequently "
        "Afterwards Recently Currently Originally Initially Overall Generally Typically Usually Often Sometimes "
        "Perhaps First Second Third Next Last Today Now Here Once Soon Yesterday "
        "He She It They We I You His Her Its Their Our My Your Him Them Us Me "
        "Who What When Where Why How Which Whose Whom While Whether If Unless Because Since As After Before During "
        "Until Upon Under Over In On At By For From To With Without Within Into Of About Among Between Through "
        "Throughout Despite Following According Like Unlike Against Along Around Across Beyond Behind Near "
        "Is Are Was Were Be Been Being Has Have Had Do Does Did Can Could Will Would Should Shall May Might Must "
        "Some Many Most Much More Several Few All Both Each Every Any Either Neither Other Another Such Only Even "
        "Not No None One Two Three Four Five Six Seven Eight Nine Ten"
    ).split()
)


# Splits ``text[start:end]``, one block, into (start, end) sentence spans: stripped, in order.
BlockSplitter = Callable[[str, int, int], list[tuple[int, int]]]


@dataclass(frozen=True, slots=True)
class Span:
    """A sentence of a document: ``text[start:end]`` of that document."""

    start: int
    end: int
    quotable: bool = True


def _period_ends(text: str, begin: int, dot: int, word_at: int, end: int) -> bool:
    """Does the period at ``dot`` end the sentence begun at ``begin``, the next word being at ``word_at``?"""
    if dot == begin or text[dot - 1].isspace():
        return True  # a period after white space
    words = text[max(begin, dot - _TOKEN_CHARS) : dot].rsplit(None, 1)
    token_start = dot - len(words[-1])
    token = words[-1].lstrip(_OPENERS).rstrip(_CLOSERS).rstrip(".")
    if not token:
        return True
    if dot - begin <= _MARKER_CHARS and _MARKER_ONLY.fullmatch(text, begin, dot + 1):
        return False  # "1. The first item"
    if "-" in token:
        token = token.rsplit("-", 1)[1]  # "Trinity-St. Paul's"
    if token in CONNECTORS or token in TITLES:
        return False
    if text[word_at].isdigit() and (token in NUMBERED or (len(token) == 1 and token.islower())):
        return False  # "No. 5", "p. 55"
    if token in TIMES:
        # "He left at 6 P.M. Mr. Smith then went" ends; "At 5 a.m. Mr. Smith went" goes on.
        return dot - begin > 24 or len(_WORD.findall(text, begin, token_start)) > 2
    if token in NAME_SUFFIXES or (not token.islower() and _ACRONYM.fullmatch(token)):
        # "J. R. R. Tolkien", "U.S. Government", "Albert I. Jones" go on; "U.S. How", "and I. Did" end.
        if word_at + 2 < end and text[word_at + 1] == "." and text[word_at + 2].isspace():
            return False
        word = _LETTERS.match(text, word_at, word_at + 16)
        return word is not None and word.group(0) in STARTERS
    return True


def _ellipsis_ends(text: str, match: re.Match[str], start: int) -> tuple[bool, int]:
    """Does the ellipsis ``match`` (in a paragraph from ``start``) end a sentence, and where it ends."""
    at = match.start()
    stop = match["stop"]
    dots = stop.count(".") + 3 * stop.count("…")
    if at == start or text[at - 1].isspace():
        # " ... " and " . . . " leave words out; " . . . . " is an ellipsis and a period.
        return dots >= 4, match.end()
    if text[at - 1] in "[(" or match["next"].isdigit():
        return False, match.end()  # "[...]" marks words left out; "1... 2... 3..." counts
    if stop.startswith(". ") and dots >= 4:
        return True, at + 1  # "compounds. . . . The": the period ends it, the ellipsis opens the next
    return True, match.end()


def _sentences(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """The sentences of ``text[start:end]``, a paragraph or list item with no white space at either end."""
    begin = start
    ends_with = _END if any(text.find(mark, start, end) >= 0 for mark in _NOT_PERIODS) else _END_PERIODS
    for match in ends_with.finditer(text, start, end):
        char = match["next"]
        if not ((char.isalnum() and not char.islower()) or char in _STARTER_SYMBOLS):
            continue
        stop = match["stop"]
        if stop == ".":
            ends, after = _period_ends(text, begin, match.start(), match.start("next"), end), match.end()
        elif "…" in stop or ".." in stop or ". ." in stop:
            ends, after = _ellipsis_ends(text, match, start)
        else:  # "!", "?!", "?"
            ends, after = True, match.end()
        if ends:
            yield begin, after
            begin = match.end("space") if after == match.end() else _skip_space(text, after)
    yield begin, end


def _list_items(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """``text[start:end]``, cut before each list marker that follows the one it opens with."""
    opening = _LIST_START.match(text, start, end)
    if not opening:
        yield start, end
        return
    markers: Iterator[str]
    if opening["bullet"]:
        markers = repeat(opening["bullet"])
    elif opening["num"]:
        number, suffix = int(opening["num"]), opening["numsuffix"]
        markers = (f"{n}{suffix}" for n in range(number + 1, number + 1000))
    elif opening["paren"]:
        number = int(opening["paren"])
        markers = (f"({n})" for n in range(number + 1, number + 1000))
    else:
        letter, suffix = opening["letter"], opening["lettersuffix"]
        markers = (f"{chr(c)}{suffix}" for c in range(ord(letter) + 1, ord("z") + 1))
    item, pos = start, opening.end()
    for marker in markers:
        at = _find_marker(text, marker, pos, end, spaced=not opening["bullet"])
        if at < 0:
            break
        yield item, _rstrip(text, item, at)
        item, pos = at, at + len(marker)
    yield item, end


def _find_marker(text: str, marker: str, pos: int, end: int, spaced: bool) -> int:
    """The next ``marker`` after white space (and before white space when ``spaced``), or -1."""
    at = text.find(marker, pos, end)
    while at >= 0:
        after = at + len(marker)
        if text[at - 1].isspace() and (not spaced or (after < end and text[after].isspace())):
            return at
        at = text.find(marker, at + 1, end)
    return -1


def _skip_space(text: str, at: int) -> int:
    while at < len(text) and text[at].isspace():
        at += 1
    return at


def _rstrip(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    return start, _rstrip(text, start, end)


def _is_mark(char: str) -> bool:
    """A combining mark or joiner, which must stay with the letter before it."""
    return "\u0300" <= char <= "\u036f" or "\ufe00" <= char <= "\ufe0f" or char in "\u200d\u20e3"


def _cut_point(text: str, start: int) -> int:
    """Where to cut text from ``start`` on, too long: after clause punctuation, else at a space, else hard."""
    low, high = start + _MIN_PIECE_CHARS, start + MAX_SENTENCE_CHARS
    for breaks in (_CLAUSE_BREAKS, _SPACES):
        at = max(text.rfind(mark, low, high) for mark in breaks)
        if at >= 0:
            return at + 1
    at = high
    while at > low and _is_mark(text[at]):
        at -= 1
    return at


def cut(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """``text[start:end]`` (stripped) in stripped pieces of at most MAX_SENTENCE_CHARS characters."""
    while end - start > MAX_SENTENCE_CHARS:
        at = _cut_point(text, start)
        piece_end = _rstrip(text, start, at)
        if piece_end > start:
            yield start, piece_end
        start, end = _strip(text, at, end)
    if start < end:
        yield start, end


def split_block(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans inside ``text[start:end]``: stripped, in order, at most MAX_SENTENCE_CHARS long."""
    plain = _PLAIN_LINE.match(text, start, end)
    if plain and plain.end() == end:
        # A line with no sentence end in it (a title, a list item, a line of a poem): no work to do.
        start, end = plain.start("body"), _rstrip(text, plain.start("body"), end)
        if end - start <= MAX_SENTENCE_CHARS:
            return [(start, end)] if end > start else []
        return list(cut(text, start, end))
    start, end = _strip(text, start, end)
    spans: list[tuple[int, int]] = []
    for item_start, item_end in _list_items(text, start, end):
        for begin, stop in _sentences(text, item_start, item_end):
            if stop - begin > MAX_SENTENCE_CHARS:
                spans.extend(cut(text, begin, stop))
            elif stop > begin:
                spans.append((begin, stop))
    return spans


def split_blocks(text: str, blocks: Sequence[Block], split: BlockSplitter = split_block) -> list[Span]:
    """Split the TEXT ``blocks`` of ``text`` into sentences: ``text[span.start:span.end]`` is one.

    A block break always ends a sentence; spans are in order, stripped of white space,
    at most MAX_SENTENCE_CHARS long, and each lies inside one block. Page furniture
    (menus, notices, bylines, captions, repeated short lines) gets ``quotable=False``.
    ``split`` splits one block (`split_block`, the project's rules, unless another is given).
    """
    text_blocks = [b for b in blocks if b.kind == TEXT]
    furniture = Furniture(text, text_blocks)
    spans: list[Span] = []
    for block in text_blocks:
        sentences = split(text, block.start, block.end)
        if len(sentences) == 1:  # most lines
            spans.append(Span(*sentences[0], furniture.quotable(block, sentences)[0]))
        elif sentences:
            quotable = furniture.quotable(block, sentences)
            spans.extend(Span(start, end, ok) for (start, end), ok in zip(sentences, quotable))
    return spans


def split_sentences(text: str) -> list[Span]:
    """Split plain ``text`` into sentences (paragraphs found as in a .txt file)."""
    return split_blocks(text, paragraphs(text))
