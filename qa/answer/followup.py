"""Resolve follow-up questions from the conversation so far, without a generative model.

A follow-up such as "Which force did he lead?" names nothing itself: it points back
with a pronoun, or is a fragment ("And in 2019?"). Such a question is searched
together with the previous turn, whose question and quoted answer hold the missing
names; a question that stands on its own ignores the history.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from qa.answer.answer import NOT_FOUND
from qa.rank.courtesy import without_courtesies

_POINTER = re.compile(
    r"\b(he|she|it|they|him|her|his|hers|its|their|theirs|them|this|that|these|those|there|then"
    r"|the same|the latter|the former)\b",
    re.IGNORECASE,
)
_FRAGMENT = re.compile(r"^\s*(and|but|what about|how about|also|or)\b", re.IGNORECASE)
_WORD = re.compile(r"\w+")
# "What is that?" as a whole question is a fragment too: so short it cannot stand alone.
SHORT_QUESTION_WORDS = 3


def is_follow_up(question: str) -> bool:
    """True when the question points back to earlier turns."""
    return bool(
        _POINTER.search(question) or _FRAGMENT.match(question) or len(_WORD.findall(question)) <= SHORT_QUESTION_WORDS
    )


def context_of(question: str, history: Sequence[Mapping[str, str]] | None) -> str | None:
    """The text of the turn a follow-up refers to, or None when the question stands alone."""
    if not history or not is_follow_up(question):
        return None
    last = history[-1]
    answer = str(last.get("answer", "") or "")
    # The earlier question as it was searched: "Hi! Describe the attack." lends "the attack".
    parts = [without_courtesies(str(last.get("question", "") or "")), "" if answer == NOT_FOUND else answer]
    text = " ".join(p.strip() for p in parts if p and p.strip())
    text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates cannot be encoded
    return text or None
