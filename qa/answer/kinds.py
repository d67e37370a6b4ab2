"""The kind of answer a question asks for, and whether a sentence can hold it.

"How many people live in Iraq?" is not answered by a sentence that holds no number, however
well it matches the question's other words, nor "When was the lighthouse built?" by
one that places nothing in time: such a sentence is about the topic, but the answer is not in
it. Two kinds are read, each leniently on the sentence's side (a right answer is almost
never refused; BENCHMARKS.md, "Abstention: on the topic, the answer absent"):

- a quantity: a clause opening with how many, how much, how long, how old, how far, how
  tall, how high, how deep, how wide, how heavy; which year, decade, century or percentage;
  what the population, number, percentage or amount of something is. A sentence holds one
  when it has a digit, a number or an ordinal as a word, a vague amount ("several",
  "dozens", "no", "none", "half") or a unit of time ("a month").
- a time: a clause opening with "when" ("since when"). A sentence holds one when it has a
  digit, a month or weekday, a part of the day or a season, a unit of time, or a word that
  places an event in time ("ago", "later", "after", "during", "reign", "era").

`qa.answer.conflicts.read_question` reads the same kinds of question, but its value
extractors are strict on purpose (they compare values between documents): used here they
found no value in 49 of 545 right answers to "how many" questions ("20%", "several") and in
49 of 572 to "when" ones ("the 10th century"), so this module keeps its own lenient lists.
"""

from __future__ import annotations

import re

QUANTITY = "quantity"
TIME = "time"

# The asking words open the question or one of its clauses ("In what year ...", "Roughly how
# many ...", "..., and how much ..."), not a clause inside what it asks about ("What tool
# measures how much memory a task needs?").
_LEAD = (
    r"(?:^|[,;:(]\s*)(?:(?:and|but|so|then|in|by|for|of|to|at|on|during|since|until|from|about|"
    r"approximately|roughly|exactly|around|over|after|before|within|up\s+to)\s+)*"
)
_ASKS_QUANTITY = re.compile(
    _LEAD + r"(?:how\s+(?:many|much|long|old|far|tall|high|deep|wide|heavy)\b"
    r"|(?:what|which)\s+(?:year|decade|century|percentage|percent|proportion)\b"
    r"|(?:what|which)\s+(?:is|was|are|were)\s+the\s+(?:population|number|percentage|amount|proportion)\s+of\b)",
    re.IGNORECASE,
)
# "When" opening a clause, but not "when it comes to" (a turn of phrase, not a question of time).
_ASKS_TIME = re.compile(_LEAD + r"when\b(?!\s+it\s+comes)", re.IGNORECASE)

_NUMBER_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred "
    "hundreds thousand thousands million millions billion billions trillion dozen dozens "
    "half quarter third thirds once twice single double triple several few many numerous none "
    "first second fourth fifth sixth seventh eighth ninth tenth "
    "percent per cent seconds minute minutes hour hours day days week weeks month months "
    "year years decade decades century centuries"
).split()
# "No group claimed responsibility" states a count (none); "no longer", "no doubt" do not.
_NO = r"no\b(?!\s+(?:longer|matter|doubt|sooner|less|more|one\s+knows))"
_HOLDS_QUANTITY = re.compile(r"\d|[%½¼¾]|\b(?:" + "|".join(_NUMBER_WORDS) + r")\b|\b" + _NO, re.IGNORECASE)

_TIME_WORDS = (
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec "
    "monday tuesday wednesday thursday friday saturday sunday weekend "
    "today yesterday tomorrow tonight morning afternoon evening night noon midnight dawn dusk "
    "spring summer autumn fall winter season "
    "century centuries decade decades year years month months week weeks day days hour hours "
    "ago era age period reign dynasty time later earlier early late then now once "
    "after before during since until till while when following prior "
    "first last next previous recent recently eventually finally soon"
).split()
_HOLDS_TIME = re.compile(r"\d|\b(?:" + "|".join(_TIME_WORDS) + r")\b", re.IGNORECASE)

_HOLDS = {QUANTITY: _HOLDS_QUANTITY, TIME: _HOLDS_TIME}
WHY_NOT = {
    QUANTITY: "The closest sentence states no number, and the question asks for one.",
    TIME: "The closest sentence says nothing about when, and the question asks when.",
}


def asked_kind(question: str) -> str | None:
    """QUANTITY or TIME when ``question`` asks for one (how many, which year; when), else None."""
    if _ASKS_QUANTITY.search(question):
        return QUANTITY
    if _ASKS_TIME.search(question):
        return TIME
    return None


def holds(kind: str, text: str) -> bool:
    """Whether ``text`` can hold an answer of ``kind`` (it states a quantity, it places something in time)."""
    return _HOLDS[kind].search(text) is not None
