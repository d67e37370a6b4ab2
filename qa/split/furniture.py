"""Page furniture: lines of a document that are not sentences about its content, so are never quoted.

Menus, "Sign in" links, licensing notices, repeated short lines, titles, bylines, photo
captions and datelines sit among the prose of web pages and news files. They stay in the
text (offsets stay exact) but are flagged, so that they never answer a question on their
own. Facts about the whole text and about each block are worked out once, so the cost is
linear in the text.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence

from qa.read.document import Block

_WORD = re.compile(r"\w+")
_TWO_WORDS = re.compile(r"\w+\W+\w")

# Notices that sit around articles on web pages: never an answer about the content.
_NOTICE = re.compile(
    r"\b(?:copyright (?:owned|©|\(c\)|\d{4})|all rights reserved|sign in|sign up|log in"
    r"|privacy policy|terms of (?:use|service)|non-commercial use|permissions/licensing"
    r"|republication or distribution|skip to (?:main )?content|cookie (?:policy|settings))\b",
    re.IGNORECASE,
)
# Words that every such notice holds, looked for once in the lower-cased text.
_NOTICE_WORDS = (
    "copyright", "rights reserved", "sign in", "sign up", "log in", "privacy policy", "terms of",
    "non-commercial", "permissions/licensing", "republication", "skip to", "cookie",
)  # fmt: skip
# A notice is a short paragraph: a long one that mentions such words is prose about them.
NOTICE_MAX_WORDS = 80
# A short line seen more than once in a document is a menu item, a header or a footer.
REPEATED_MAX_WORDS = 11
# Longer blocks are never counted as repeated lines (they have more words).
REPEATED_MAX_CHARS = 300
# A line this short without sentence punctuation is a heading or a menu item.
TITLE_MAX_WORDS = 4
_CLOSED = (".", "!", "?", '"', "”")
_CLOSING = "\"'”’»)] \t\n"
# A line of up to this many words that ends with a separator is a title: "Drones foiled in Iraq –".
SEPARATED_TITLE_MAX_WORDS = 20
_DANGLING = re.compile(r"\s[—–|-]$")
# A dateline alone on its line: "BAGHDAD (AP) —", "SAN FRANCISCO, Calif. (Reuters) -".
_DATELINE = re.compile(r"[A-Z][A-Z .'’-]{1,40}(?:,\s*[A-Z][\w.]*){0,2}\s*(?:\([\w ./]{1,25}\))?\s*[—–-]{1,2}")
# Photo captions: "Photograph: Jane Doe/Reuters", "Image caption ...", "Photo by ..."; or "... (AP Photo/Hadi Mizban)".
_CAPTION = re.compile(
    r"(?:Photo|Photograph|Image|Picture|Video|Illustration)s?(?: credit)?\s?:"
    r"|(?:Image|Photo) (?:caption|copyright)\b"
    r"|(?:Photo|Photograph|Picture)s? (?:by|courtesy of)\s+[A-Z]",
    re.IGNORECASE,
)
_PHOTO_CREDIT = re.compile(r"\((?:[A-Z][\w.&-]*\s)?(?:Photo|Photograph|Image|Picture)s?\b[^()]{0,80}\)$", re.IGNORECASE)

# "Associated Press writer Zeina Karam in Beirut contributed reporting."
_CONTRIBUTED = re.compile(r"\bcontributed(?: to)?(?: this| the| our)? (?:reporting|report|story|article|coverage)\b")
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
# Short lines that say who wrote or posted a page and when: "By ZEINA KARAM, Associated Press",
# "Reporting by X; Editing by Y", "Posted on May 3, 2021".
_CREDIT = re.compile(
    r"(?P<by>(?:By|BY|Written by|Words by|Story by|Text by)\s+[A-Z])"
    r"|(?i:(?:Additional )?(?:reporting|writing|editing|compiled|research) by\b"
    r"|(?:Posted|Published|Updated|Last updated|Last modified|Originally published|First published)"
    rf"(?::|\s+(?:on|at|by)\b|\s+\d|\s+{_MONTH}\s))"
)
CREDIT_MAX_WORDS = 20
# The letters a credit opens with: a cheap look that spares most sentences the expression.
_CREDIT_INITIALS = frozenset("BWST") | frozenset("AaRrWwEeCcPpUuLlOoFf")
# A byline is "By" and names: its words are capitalised, or one of these.
BYLINE_MAX_WORDS = 12
_BYLINE_WORDS = frozenset(
    "by and of the de del der van von la le staff writer writers reporter reporters correspondent editor".split()
)


def _hits(lowered: str, words: Sequence[str]) -> list[int]:
    """Sorted positions in ``lowered`` where any of ``words`` occurs."""
    found = []
    for word in words:
        at = lowered.find(word)
        while at >= 0:
            found.append(at)
            at = lowered.find(word, at + 1)
    return sorted(found)


def _any_in(hits: list[int], start: int, end: int) -> bool:
    at = bisect_left(hits, start)
    return at < len(hits) and hits[at] < end


class Furniture:
    """The furniture rules for one document's text and blocks.

    ``Furniture(text, blocks).quotable(block, sentences)`` says which sentences of a block
    may be quoted.
    """

    def __init__(self, text: str, blocks: Sequence[Block]) -> None:
        self.text = text
        counts = Counter(text[b.start : b.end].strip() for b in blocks if b.end - b.start <= REPEATED_MAX_CHARS)
        self.repeated = {line for line, count in counts.items() if count > 1}
        lowered = text.lower()
        if len(lowered) != len(text):  # a few letters lower-case to two characters ("İ"): keep the offsets
            lowered = "".join(c.lower()[0] for c in text)
        self.notices = _hits(lowered, _NOTICE_WORDS)
        self.credits = _hits(lowered, ("contributed",))

    def quotable(self, block: Block, sentences: Sequence[tuple[int, int]]) -> list[bool]:
        """For each (start, end) sentence of ``block``: may it be quoted?"""
        start, end = block.start, block.end
        text = self.text
        # Most paragraphs are long prose: spaces tell that without reading every word.
        if end - start > REPEATED_MAX_CHARS and text.count(" ", start, end) > 2 * NOTICE_MAX_WORDS:
            return [not self._sentence_is_furniture(s, e) for s, e in sentences]
        line = text[start:end].strip()
        short = len(line) <= REPEATED_MAX_CHARS
        # Words, as white space separates them (up to NOTICE_MAX_WORDS + 1 in a longer line).
        words = len(line.split()) if short else len(line.split(None, NOTICE_MAX_WORDS))
        if words <= NOTICE_MAX_WORDS and self._line_is_furniture(line, words, start, end):
            return [False] * len(sentences)
        if short and len(sentences) == 1 and sentences[0][1] - sentences[0][0] == len(line):
            # The line is one sentence (a list item, a short paragraph): its words are counted already.
            return [words >= 2 and not self._sentence_is_furniture(*sentences[0], count_words=False)]
        return [not self._sentence_is_furniture(s, e) for s, e in sentences]

    def _line_is_furniture(self, line: str, words: int, start: int, end: int) -> bool:
        """Is the whole line (a stripped block) repeated, a notice, a caption, a title, a dateline alone?"""
        if not line or (words <= REPEATED_MAX_WORDS and line in self.repeated):
            return True
        if words <= TITLE_MAX_WORDS and not line.endswith(_CLOSED):
            return True
        if self.notices and _any_in(self.notices, start, end) and _NOTICE.search(line):
            return True
        # Cheap looks at the first and last character spare most lines the expressions.
        if line[0] in "PpIiVv" and _CAPTION.match(line):
            return True
        last = line[-1]
        if last == ")":
            return bool(_PHOTO_CREDIT.search(line))
        if last in "—–-|":
            return bool(_DATELINE.fullmatch(line)) or (
                words <= SEPARATED_TITLE_MAX_WORDS and bool(_DANGLING.search(line))
            )
        return False

    def _sentence_is_furniture(self, start: int, end: int, count_words: bool = True) -> bool:
        """Is ``text[start:end]``, a sentence, a notice, a credit or byline, or less than two words?"""
        sentence = self.text[start:end]
        notices, credits = self.notices, self.credits
        if notices and _any_in(notices, start, end) and _NOTICE.search(sentence):
            return True
        if credits and _any_in(credits, start, end) and _CONTRIBUTED.search(sentence):
            return True
        credit = _CREDIT.match(sentence) if sentence[0] in _CREDIT_INITIALS else None
        if credit:
            words = _WORD.findall(sentence)
            if not credit["by"]:
                # "Posted by X on May 3" is a credit; "Published by Penguin in 1990, the book sold well." is prose.
                return len(words) <= CREDIT_MAX_WORDS and not sentence.endswith((".", "!", "?"))
            if len(words) <= BYLINE_MAX_WORDS and all(w[0].isupper() or w.lower() in _BYLINE_WORDS for w in words):
                return True
        # A question in the text asks, it does not answer ("What's the difference between a
        # project and an app?" before the paragraph that says): its words still count for
        # the sentence after it (the previous sentence's evidence), which is quoted instead.
        if sentence.rstrip(_CLOSING).endswith("?"):
            return True
        # "Sign", "Home", "2": fewer than two words is not a sentence.
        return count_words and not _TWO_WORDS.search(sentence)
