"""Typing slips in a question, corrected against the documents' own words.

A user types "how many troops will remian in iraq": the misspelt word matches nothing, so
BM25 loses it and the word-piece match finds no counterpart: with one slip in one word,
SQuAD and search-box questions find the answer first for 0.560 instead of 0.723 once
corrected (BENCHMARKS.md, "Typing slips"). Only a lower-case word of four or more letters
(not an acronym, a name in capitals or part of a code name such as ``os.makedirs`` or
``work_mem``) that the documents never use (no sentence holds its BM25 term) is looked at,
in a question with at most `MAX_UNKNOWN` such words:

- written with accents, it is the documents' word ("beyonce" → "beyoncé", "resume" →
  "résumé" where the documents only have that; at most two letters): users type names on
  an English keyboard, and the model's word pieces already read the two alike;
- otherwise, if it is not an English word (pyspellchecker's English list, 160k words:
  "stitching" and "withhold" stay as they are) and the question has at most `MAX_SLIPS`
  such words, it becomes the word one edit away (a letter dropped, added, changed or two
  swapped) that the documents use most, an English word before any other. A candidate
  that is not an English word must keep its own letters in its BM25 term, so that
  "stylishically" does not pass for "stylish".

Nothing is corrected when no such word exists, and the answer says what was searched for.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from qa.english import ENGLISH, Dictionary
from qa.split.terms import STOPWORDS, stems, term_key

_WORD = re.compile(r"(?<![\w'./@])[A-Za-z]{4,}(?![\w/@]|\.\w)")
_LETTERS = string.ascii_lowercase


# Each letter's accented forms in Latin-1 and Latin Extended-A ("e": "èéêëēĕėęě"; not the
# ligatures "ĳ", "ŀ", "ſ"), plus the three that carry a stroke rather than an accent.
def _accented_forms() -> dict[str, str]:
    forms: dict[str, str] = {"o": "ø", "l": "ł", "d": "đ"}
    for c in map(chr, range(0xC0, 0x180)):
        base = unicodedata.normalize("NFKD", c)[0]
        if c.islower() and c not in "ĳŀſ" and base != c and base in _LETTERS:
            forms[base] = forms.get(base, "") + c
    return forms


_ACCENTED = _accented_forms()
# A name typed bare may lack two accents ("Dvořák", "Janáček"): short names have two, long
# words one; beyond this length only one letter is tried (a 24-letter word's pairs are
# 27,000 candidates: eight such words took 3 s).
_TWO_ACCENTS_UP_TO = 10
# A typist makes a slip or two in a question; one with more unknown words than this is in
# another language, code or gibberish, and guessing each word would replace the question
# (and cost a second of candidates): it is searched as typed.
MAX_SLIPS = 3
# Nor are words written with accents looked up in a question with more words the documents
# never use than this (a 2,000-character string of nonsense would cost a second).
MAX_UNKNOWN = 8
# A candidate that is not an English word counts only if its BM25 term keeps all but this
# many of its letters (the stemmer's usual suffixes: "-s", "-ed", "-es").
_STEM_LOSS = 2


@dataclass(frozen=True)
class Correction:
    """The question as searched, and each (typed, searched) word changed."""

    text: str
    fixes: tuple[tuple[str, str], ...] = ()


class Speller:
    """Corrects a question's typing slips against the documents' words.

    Args:
        term_counts: how many sentences hold each BM25 term key (`Index.term_counts`).
    """

    def __init__(self, term_counts: Callable[[np.ndarray], np.ndarray], dictionary: Dictionary = ENGLISH) -> None:
        self.term_counts = term_counts
        self.dictionary = dictionary

    def correct(self, question: str) -> Correction:
        words = [m for m in _WORD.finditer(question) if _may_be_a_slip(m.group(0))]
        if not words:
            return Correction(question)
        typed = [m.group(0).lower() for m in words]
        unknown = self._counts(typed)[1] == 0
        if not unknown.any() or unknown.sum() > MAX_UNKNOWN:  # the usual case, or not a question in these words
            return Correction(question)
        # Accents first, English word or not: the documents' "résumé" is the word typed (the
        # model's word pieces already read it as "resume"; only the BM25 terms differ).
        twice = unknown.sum() <= MAX_SLIPS  # pairs of accents cost thousands of candidates a word
        better = {int(i): self._accented(typed[i], twice) for i in np.flatnonzero(unknown)}
        slips = [i for i, b in better.items() if b is None and not self.dictionary.holds([typed[i]])[0]]
        if slips and len(slips) <= MAX_SLIPS and self.dictionary.words():
            better.update({i: self._most_used(_edits(typed[i])) for i in slips})
        text, fixes = question, []
        for i in sorted((i for i, b in better.items() if b is not None), reverse=True):
            match, word = words[i], str(better[i])
            if match.group(0)[0].isupper():
                word = word[0].upper() + word[1:]
            text = text[: match.start()] + word + text[match.end() :]
            fixes.append((match.group(0), word))
        return Correction(text, tuple(reversed(fixes)))

    def _counts(self, words: list[str]) -> tuple[list[str], np.ndarray]:
        """Each word's BM25 term, and how many sentences hold it."""
        terms = stems(words)
        keys = np.fromiter((term_key(t) for t in terms), dtype=np.uint64, count=len(terms))
        return terms, np.asarray(self.term_counts(keys), dtype=np.int64)

    def _accented(self, word: str, twice: bool) -> str | None:
        """The documents' form of ``word`` with accents: one letter accented, else two in a short word."""
        return self._most_used(_accents(word)) or (
            self._most_used(_accents(word, twice=True)) if twice and len(word) <= _TWO_ACCENTS_UP_TO else None
        )

    def _most_used(self, candidates: list[str]) -> str | None:
        if not candidates:
            return None
        terms, counts = self._counts(candidates)
        english = self.dictionary.holds(candidates)
        whole = np.array([len(t) >= len(c) - _STEM_LOSS for c, t in zip(candidates, terms)], dtype=bool)
        usable = (counts > 0) & (english | whole)
        if not usable.any():
            return None
        # English words first, then the documents' most used; ties in alphabetical order.
        order = np.lexsort((np.arange(len(candidates)), -counts, ~english))
        best = next(int(i) for i in order if usable[i])
        return candidates[best]


def _may_be_a_slip(word: str) -> bool:
    """Lower case after the first letter (not an acronym or "BSkyB"), not a stop word, not a 25-letter run."""
    return word[1:].islower() and len(word) <= 24 and word.lower() not in STOPWORDS


def _accents(word: str, twice: bool = False) -> list[str]:
    """``word`` with one of its letters accented ("beyonce" → "beyoncé"), or with one or two when ``twice``."""
    out = [word[:i] + a + word[i + 1 :] for i, c in enumerate(word) for a in _ACCENTED.get(c, "")]
    if twice:
        out += [w[:i] + a + w[i + 1 :] for w in out for i, c in enumerate(w) for a in _ACCENTED.get(c, "")]
    return sorted(set(out))


def _edits(word: str) -> list[str]:
    """Every string one edit from ``word``: a letter dropped, two swapped, one changed or added."""
    out = set()
    for i in range(len(word) + 1):
        head, tail = word[:i], word[i:]
        if tail:
            out.add(head + tail[1:])
            for c in _LETTERS:
                out.add(head + c + tail[1:])
        if len(tail) > 1:
            out.add(head + tail[1] + tail[0] + tail[2:])
        for c in _LETTERS:
            out.add(head + c + tail)
    out.discard(word)
    return sorted(out)
