"""Questions that ask for a quantity, and whether a sentence states one.

"How many people live in Iraq?" is not answered by a sentence that holds no number, however
well it matches the question's other words: the sentence is about the topic, but the answer
is not in it. A question asks for a quantity when it asks how many, how much, how long, how
old, how far, how tall, how high, how deep, how wide, how heavy; which year, decade, century
or percentage; or what the population, number, percentage or amount of something is. A
sentence states one when it holds a digit, a number or an ordinal written as a word, a
vague amount ("several", "dozens", "no", "none", "half"), or a unit of time ("a month").
"""

from __future__ import annotations

import re

# The asking words open the question or one of its clauses ("In what year ...", "Roughly how
# many ...", "..., and how much ..."), not a clause inside what it asks about ("What tool
# measures how much memory a task needs?").
_LEAD = (
    r"(?:^|[,;:(]\s*)(?:(?:and|but|so|then|in|by|for|of|to|at|on|during|since|until|from|about|"
    r"approximately|roughly|exactly|around|over|after|before|within|up\s+to)\s+)*"
)
_ASKS = re.compile(
    _LEAD + r"(?:how\s+(?:many|much|long|old|far|tall|high|deep|wide|heavy)\b"
    r"|(?:what|which)\s+(?:year|decade|century|percentage|percent|proportion)\b"
    r"|(?:what|which)\s+(?:is|was|are|were)\s+the\s+(?:population|number|percentage|amount|proportion)\s+of\b)",
    re.IGNORECASE,
)
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
_STATES = re.compile(r"\d|[%½¼¾]|\b(?:" + "|".join(_NUMBER_WORDS) + r")\b|\b" + _NO, re.IGNORECASE)


def asks_for_quantity(question: str) -> bool:
    """Whether ``question`` asks how many, how much, which year and the like."""
    return _ASKS.search(question) is not None


def states_quantity(text: str) -> bool:
    """Whether ``text`` states some quantity: a digit, a number word, a vague amount, a unit of time."""
    return _STATES.search(text) is not None
