"""Terms: the lower-cased, stemmed content words that BM25 matches, shared by indexing and questions."""

from __future__ import annotations

import hashlib
import logging
import re
from functools import lru_cache

import numpy as np
import Stemmer

logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets itself to DEBUG

_WORD = re.compile(r"\w+")
# Titles and months written short match the full word in a question ("Gen." ~ "general").
ABBREVIATIONS = {
    "gen": "general",
    "gov": "governor",
    "sen": "senator",
    "rep": "representative",
    "pres": "president",
    "lt": "lieutenant",
    "col": "colonel",
    "sgt": "sergeant",
    "capt": "captain",
    "adm": "admiral",
    "maj": "major",
    "dr": "doctor",
    "prof": "professor",
    "mt": "mount",
    "ft": "fort",
    "st": "saint",
    "jan": "january",
    "feb": "february",
    "mar": "march",
    "apr": "april",
    "aug": "august",
    "sep": "september",
    "sept": "september",
    "oct": "october",
    "nov": "november",
    "dec": "december",
}
_ABBREVIATION = re.compile(r"\b(" + "|".join(ABBREVIATIONS) + r")\.", re.IGNORECASE)
# bm25s's English stop words (its STOPWORDS_EN, the Lucene list), written out: importing
# bm25s pulls in SciPy and costs a quarter of a second of every `qa` command's start.
STOPWORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their then there "
    "these they this to was will with".split()
) | {"s", "t", "did", "does", "do"}


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def tokenize(text: str) -> list[str]:
    """Lower-cased, stemmed content words: the terms BM25 matches on."""
    text = _ABBREVIATION.sub(lambda m: ABBREVIATIONS[m.group(1).lower()], text)
    words = [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS]
    return _stemmer().stemWords(words)


def stems(words: list[str]) -> list[str]:
    """The BM25 terms of single lower-case words (no stop-word removal)."""
    return _stemmer().stemWords(words)


def term_key(term: str) -> int:
    """A term's 64-bit key (BLAKE2b), stable across processes and machines."""
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


def term_keys(text: str) -> np.ndarray:
    """The keys of ``text``'s terms, with repeats, in order: what the BM25 index stores."""
    return np.fromiter((term_key(t) for t in tokenize(text)), dtype=np.uint64)
