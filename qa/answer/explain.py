"""Which words of the question a quote answers, and where they are in it, from the word-piece matches."""

from __future__ import annotations

import re

import numpy as np

from qa.answer.answer import Match
from qa.split.terms import STOPWORDS
from qa.store.base import Pieces

# A question word counts as found when its pieces match the quote's this closely: the
# same word in another sentence scores 0.6-0.9, an unrelated one 0.1-0.4 (MiniLM).
MATCH_THRESHOLD = 0.6
_WORD = re.compile(r"\w+")
# What a question asks with, never what a quote answers with.
QUESTION_WORDS = frozenset("what which who whom whose when where why how".split())


def _word_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen [start, end) to whole words of ``text``."""
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum():
        end += 1
    return start, end


def matched_words(  # type: ignore[no-untyped-def]
    tokenizer, question: str, question_vectors: np.ndarray, text: str, pieces: Pieces, encoded=None
) -> list[Match]:
    """The question's content words found in ``text``, each with its span there.

    Args:
        tokenizer: the model's tokenizer (``tokenizers.Tokenizer``), to map pieces to characters.
        question_vectors: the question's word-piece vectors (without [CLS]/[SEP]).
        pieces: the sentence's stored word pieces (same order as the tokenizer gives them).
        encoded: ``tokenizer.encode(question)``, when the caller has it (one per question, not per quote).
    """
    if not len(pieces.ids) or not len(question_vectors):
        return []
    q = encoded if encoded is not None else tokenizer.encode(question)
    s = tokenizer.encode(text)
    q_offsets = q.offsets[1 : 1 + len(question_vectors)]
    q_words = q.word_ids[1 : 1 + len(question_vectors)]
    s_offsets = s.offsets[1 : 1 + len(pieces.ids)]
    sims = question_vectors @ pieces.vectors.T
    best = sims.argmax(axis=1)
    best_cos = sims.max(axis=1).tolist()  # a Python list: a few elements per word, read one by one
    groups: dict[int, list[int]] = {}
    for i, word in enumerate(q_words):
        if word is not None:
            groups.setdefault(word, []).append(i)
    matches: list[Match] = []
    for members in groups.values():
        start, end = q_offsets[members[0]][0], q_offsets[members[-1]][1]
        word = question[start:end]
        if not _WORD.search(word) or word.lower() in STOPWORDS or word.lower() in QUESTION_WORDS:
            continue
        similarity = sum(best_cos[i] for i in members) / len(members)
        if similarity < MATCH_THRESHOLD:
            continue
        spans = [s_offsets[int(best[i])] for i in members if int(best[i]) < len(s_offsets)]
        if not spans:
            continue
        a, b = _word_span(text, min(x for x, _ in spans), max(y for _, y in spans))
        if b - a > 3 * max(len(word), 4):  # pieces of one word matched far apart: not one word
            a, b = _word_span(text, *spans[0])
        matches.append(Match(word, a, b, round(similarity, 3)))
    # One span per place in the quote: keep the strongest claim, in reading order.
    best_at: dict[tuple[int, int], Match] = {}
    for m in matches:
        if (m.start, m.end) not in best_at or best_at[(m.start, m.end)].similarity < m.similarity:
            best_at[(m.start, m.end)] = m
    return sorted(best_at.values(), key=lambda m: m.start)
