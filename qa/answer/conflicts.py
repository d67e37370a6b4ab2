"""Sources that disagree: quotes from different documents that state different values for what was asked.

`find_conflicts(question, quotes)` reads what the question asks for (how many / how much /
what percentage / when / who / where ...), extracts values of that kind from each quote
with regular expressions (numbers with their units or what they count, money, percentages,
dates; names of people and places as capitalised phrases), keeps a value only when it is
attached to the question's words (the word the question turns on sits within a few words
of it, the quote and its neighbours hold most of the rest), and reports two documents
as disagreeing when all their attached values of one kind and unit differ. Values agree
when they could be the same fact: written at different precision ("2.5 million" and
"2,500,000"; "2020" and "January 2020"; "about 2,500" and "2,480"), in other units
("3.2 km" and "3,200 metres"), as a bound ("more than 50,000" and "62,000"), or when one
document also states the other's value (an older figure quoted as history). Precision
first: in doubt, no conflict. Measurements and the labelled set: BENCHMARKS.md,
"Sources that disagree" (`python -m bench.conflicts`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from qa.answer.answer import Quote
from qa.split.terms import tokenize

KINDS = ("number", "date", "money", "percent", "person", "place")
# A quote scoring under this share of the best quote's score answers something else.
MIN_SHARE = 0.7
# The word the question turns on ("opened", "founded", "long", "cost") must be this close to a value.
WINDOW = 8
# Words of a place's verb or noun ("born in", "headquartered in") come at most this far before it.
PLACE_WINDOW = 5
# Share of the question's other words that the quote and its neighbours must hold.
MIN_COVERAGE = 0.5
# Names given for dates further apart than this many years answer for two events.
NAME_DATE_SPREAD = 5
# "about 2,500": written this loosely, a value stands for anything within 5% of it.
APPROXIMATE = 0.05


@dataclass(frozen=True)
class Conflict:
    """Two quotes, from different documents, that state different values for what the question asks."""

    kind: str  # one of KINDS
    values: tuple[str, str]  # each value as written in its quote, e.g. ("2,500", "3,000") or ("1.8 km", "2.3 km")
    quotes: tuple[Quote, Quote]

    def note(self) -> str:
        """The line to show a person: "the documents disagree: 2,500 vs 3,000"."""
        return f"the documents disagree: {self.values[0]} vs {self.values[1]}"

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "values": list(self.values),
            "note": self.note(),
            "quotes": [{"text": q.text, "document": q.document, "start": q.start, "end": q.end} for q in self.quotes],
        }


def find_conflicts(question: str, quotes: Sequence[Quote]) -> list[Conflict]:
    """Conflicts between the values that ``quotes`` (best first) give for what ``question`` asks.

    The first document (in the quotes' order) that states a value is the reference; each
    other document whose values all disagree with it gives one conflict. Quotes scoring under
    `MIN_SHARE` of the best one's score are ignored; so are questions that ask for no value
    (why, what does...).
    """
    ask = read_question(question)
    if ask is None:
        return []
    values_by_document: dict[str, list[Value]] = {}
    stated: dict[str, list[Value]] = {}  # every value of the kind a document's quotes and neighbours state
    best = max((quote.score for quote in quotes), default=0.0)
    for rank, quote in enumerate(quotes):
        if quote.score < MIN_SHARE * best:
            continue
        stated.setdefault(quote.document, []).extend(_stated(quote, ask))
        for value in values_of(quote, ask, rank):
            values_by_document.setdefault(quote.document, []).append(value)
    documents = list(values_by_document)
    conflicts: list[Conflict] = []
    seen: set[tuple[str, str]] = set()
    for reference in documents[:1]:
        for other in documents[1:]:
            conflict = _disagreement(
                values_by_document[reference], values_by_document[other], stated[reference], stated[other]
            )
            if conflict is not None and conflict.values not in seen:
                seen.add(conflict.values)
                conflicts.append(conflict)
    return conflicts


# -- words ---------------------------------------------------------------------------

_TOKEN = re.compile(
    r"(?:[A-Z]|Dr|Mr|Mrs|Ms|Prof|Gen|St|Jr|Sr|Capt|Col|Lt|Sgt|Rev|Hon|Mt|Ft)\.(?=\s)"
    r"|\d+(?:[.,]\d+)*|[^\W\d_]+(?:['’\-][^\W\d_]+)*|[^\w\s]"
)
# Words that carry no content in a question or around a value.
FUNCTION_WORDS = frozenset(
    """a an the and or but nor of in on at to for from by with without into onto over under about
    as than then that this these those there here it its it's they them their he him his she her
    we our you your i me my who whom whose what which when where why how whether
    is are was were be been being am do does did done has have had having will would shall should
    can could may might must not no yes so such also too very just only some any each every all
    both either neither more most less least many much few own same other another up down out off
    again once new after before since during until while although though because unless across along
    among around behind below beneath beside between beyond inside outside through toward towards upon
    within via per despite against near today yesterday tomorrow now meanwhile however later earlier still
    thus""".split()
)
# Irregular forms, so that "wrote" meets "written" and "write", "built" meets "build".
IRREGULAR = {
    "wrote": "write", "written": "write", "built": "build", "led": "lead", "ran": "run",
    "began": "begin", "begun": "begin", "took": "take", "taken": "take", "gave": "give",
    "given": "give", "held": "hold", "made": "make", "sold": "sell", "bought": "buy",
    "paid": "pay", "spent": "spend", "won": "win", "rose": "rise", "risen": "rise",
    "fell": "fall", "fallen": "fall", "grew": "grow", "grown": "grow", "drew": "draw",
    "drawn": "draw", "knew": "know", "known": "know", "went": "go", "gone": "go", "came": "come",
    "saw": "see", "seen": "see", "stood": "stand", "taught": "teach", "brought": "bring",
    "lost": "lose", "kept": "keep", "met": "meet", "flew": "fly", "flown": "fly",
    "drove": "drive", "driven": "drive", "chose": "choose", "chosen": "choose", "spoke": "speak",
    "spoken": "speak", "broke": "break", "broken": "break", "sank": "sink", "sunk": "sink",
    "struck": "strike", "shot": "shoot", "sent": "send", "told": "tell", "said": "say",
    "fought": "fight", "caught": "catch", "dug": "dig", "sang": "sing", "sung": "sing",
    "threw": "throw", "thrown": "throw", "hid": "hide", "hidden": "hide", "ate": "eat",
    "eaten": "eat", "lit": "light", "laid": "lay", "swam": "swim", "wore": "wear", "worn": "wear",
    "died": "die", "dead": "die", "death": "die",
}  # fmt: skip
# Words that name the same thing for our purposes (stems after `_stem`).
SYNONYMS = [
    {"peopl", "person", "resid", "inhabit", "citizen", "popul"},
    {"troop", "soldier"},
    {"floor", "storey", "stori"},
    {"employe", "staff", "worker", "workforc"},
    {"cost", "price", "pay", "spend", "sell", "buy", "sale", "charg", "fee", "fare"},
    {"raise", "rais", "fund", "invest"},
    {"salari", "earn", "wage", "pay"},
    {"revenu", "sale", "turnov"},
    {"found", "establish", "founder"},
    {"design", "architect"},
    {"lead", "led"},
    {"open", "inaugur"},
    {"close", "shut"},
    {"start", "begin", "launch"},
    {"build", "construct", "erect"},
    {"complet", "finish"},
    {"born", "birth"},
    {"write", "author"},
    {"headquart", "base"},
    {"die", "death", "dead"},
]
# Specifiers of an event: "first awarded" is not "awarded again".
SPECIFIERS = frozenset({"first", "last", "final", "latest", "maiden", "inaugur"})
# Words that end a stretch of text a value can be attached across.
BOUNDARY_WORDS = frozenset(
    "but while whereas although though however unlike because due when whenever where unless until".split()
)
BOUNDARY_MARKS = frozenset(";:()[]—–")


@lru_cache(maxsize=4096)
def _stem(word: str) -> str:
    word = word.lower().rstrip(".")
    word = re.sub(r"['’]s$", "", word)
    word = IRREGULAR.get(word, word)
    stems = tokenize(word)
    return stems[0] if stems else word


@lru_cache(maxsize=4096)
def _group(stem: str) -> frozenset[str]:
    """The stem and its synonyms."""
    group = {stem}
    for synonyms in SYNONYMS:
        if stem in synonyms:
            group |= synonyms
    return frozenset(group)


def _matches(stem: str, group: Iterable[str]) -> bool:
    """``stem`` is in ``group``, or a longer form of one of its stems ("founder" for "found")."""
    return any(stem == g or (len(g) >= 4 and stem.startswith(g)) for g in group)


def _holds(stems: set[str], stem: str) -> bool:
    """``stems`` hold ``stem``, a synonym, or a longer form of one."""
    return any(_matches(s, _group(stem)) for s in stems)


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int
    stem: str

    @property
    def is_word(self) -> bool:
        return self.text[:1].isalpha()

    @property
    def is_content(self) -> bool:
        return self.is_word and self.text.lower().rstrip(".") not in FUNCTION_WORDS

    @property
    def is_boundary(self) -> bool:
        return self.text in BOUNDARY_MARKS or self.text.lower() in BOUNDARY_WORDS


def tokens_of(text: str) -> list[Token]:
    return [Token(m.group(), m.start(), m.end(), _stem(m.group())) for m in _TOKEN.finditer(text)]


# -- the question --------------------------------------------------------------------

# Dimensions of measured quantities; "count" is a plain number of things.
ATTRIBUTES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # question word: (dimensions, words that state the attribute near a value)
    "long": (
        frozenset({"length", "time"}),
        frozenset({"long", "length", "stretch", "extend", "last", "take", "durat"}),
    ),
    "length": (frozenset({"length"}), frozenset({"long", "length", "stretch", "extend"})),
    "tall": (frozenset({"length"}), frozenset({"tall", "height", "high", "rise", "stand"})),
    "high": (frozenset({"length"}), frozenset({"tall", "height", "high", "rise", "stand", "altitud", "elev"})),
    "height": (frozenset({"length"}), frozenset({"tall", "height", "high", "rise", "stand"})),
    "deep": (frozenset({"length"}), frozenset({"deep", "depth"})),
    "depth": (frozenset({"length"}), frozenset({"deep", "depth"})),
    "wide": (frozenset({"length"}), frozenset({"wide", "width", "broad", "across"})),
    "width": (frozenset({"length"}), frozenset({"wide", "width", "broad", "across"})),
    "far": (frozenset({"length"}), frozenset({"far", "distanc", "away"})),
    "distance": (frozenset({"length"}), frozenset({"far", "distanc", "away"})),
    "heavy": (frozenset({"mass"}), frozenset({"heavi", "weigh", "weight", "mass"})),
    "weigh": (frozenset({"mass"}), frozenset({"heavi", "weigh", "weight", "mass"})),
    "weight": (frozenset({"mass"}), frozenset({"heavi", "weigh", "weight", "mass"})),
    "big": (frozenset({"area", "volume"}), frozenset({"big", "larg", "size", "area", "cover", "measur"})),
    "large": (frozenset({"area", "volume"}), frozenset({"big", "larg", "size", "area", "cover", "measur"})),
    "area": (frozenset({"area"}), frozenset({"area", "cover", "size", "measur"})),
    "old": (frozenset({"time"}), frozenset({"old", "age"})),
    "age": (frozenset({"time"}), frozenset({"old", "age"})),
    "fast": (frozenset({"speed"}), frozenset({"fast", "speed"})),
    "speed": (frozenset({"speed"}), frozenset({"fast", "speed"})),
    "hot": (frozenset({"temperature"}), frozenset({"hot", "temperatur", "heat"})),
    "cold": (frozenset({"temperature"}), frozenset({"cold", "temperatur"})),
    "warm": (frozenset({"temperature"}), frozenset({"warm", "temperatur"})),
    "temperature": (frozenset({"temperature"}), frozenset({"temperatur"})),
    "capacity": (frozenset({"volume", "power"}), frozenset({"capac", "hold"})),
    "power": (frozenset({"power"}), frozenset({"power", "capac", "output", "generat"})),
    "duration": (frozenset({"time"}), frozenset({"last", "durat", "take"})),
}
MONEY_WORDS = frozenset(
    "cost costs price priced pay paid spend spent budget raise raised earn earns earned fund funding "
    "worth sell sold buy bought charge charges fee fees fine salary salaries revenue revenues profit "
    "profits donate donated invest invested owe loan bill fare fares income wage wages rent turnover "
    "sales value valued".split()
)
MONEY_NOUNS = frozenset(
    "cost price budget salary revenue fee fare value worth turnover income wage rent fine bill".split()
)
CHANGE_VERBS = frozenset("rise rose risen fall fell fallen grow grew grown increase increased drop dropped".split())
PLURALS = frozenset("people staff crew police children men women cattle sheep fish personnel".split())
PLACE_NOUNS = "city|town|country|village|region|state|province|county|place|port|island|district|area|site"
PERSON_NOUNS = (
    "architect|engineer|author|writer|artist|painter|composer|director|player|scientist|president|mayor"
    "|founder|captain|coach|designer|sculptor|explorer|inventor|person|man|woman|ruler|king|queen"
)
# Words of the question that say what kind of value it wants, never the thing it is about.
KIND_WORDS = frozenset(
    "year years date day month decade century time number numbers amount total percentage percent "
    "proportion share fraction rate much many city town country village region state province county "
    "place port island district area site exactly approximately roughly".split()
)
_PERSON_Q = re.compile(rf"^(?:who|whom)\b|\bby whom\b|^(?:which|what) (?:\w+ )?(?:{PERSON_NOUNS})s?\b")
_PLACE_Q = re.compile(
    rf"^where\b|\b(?:in|at|to|from|near) (?:which|what) (?:{PLACE_NOUNS})\b|^(?:which|what) (?:{PLACE_NOUNS})\b"
)
_DATE_Q = re.compile(
    r"^when\b|(?:^|[,;] |\band )when\b|\b(?:since|until|till) when\b"
    r"|\b(?:what|which) (?:year|date|day|month|decade|century)\b"
)
_PERCENT_Q = re.compile(
    r"\b(?:what|which) (?:percentage|percent|proportion|share|fraction)\b|\bby (?:what|how many) (?:percent|percentage)"
    r"|\bhow many percent\b|\b(?:what|which) (?:is|was|were|are) (?:the )?(?:[\w'’]+ ){0,3}(?:rate|turnout)\b"
)
_HOW = re.compile(r"\bhow (many|much|long|tall|high|deep|wide|far|big|large|heavy|old|fast|hot|cold|warm)\b")
_WHAT_IS = re.compile(r"\b(?:what|which) (?:is|was|were|are|'s) (?:the |a |an )?((?:[\w'-]+ ?){1,4})")


@dataclass(frozen=True)
class Ask:
    """What a question asks for, as far as values go."""

    kinds: tuple[str, ...]  # kinds of value it wants, from KINDS
    dims: frozenset[str] = frozenset()  # for "number": the dimensions accepted ("count": things counted)
    counted: frozenset[str] = frozenset()  # stems of what "how many" counts, with synonyms
    counted_words: tuple[frozenset[str], ...] = ()  # each of its words with synonyms: "total tackles"
    main: frozenset[str] = frozenset()  # the word it turns on, with synonyms: must sit near a value
    specifiers: frozenset[str] = frozenset()  # "first", "last": must sit near a value too
    others: frozenset[str] = frozenset()  # the rest of its content words: the quote must hold most
    dates: tuple[Value, ...] = field(default_factory=tuple)  # dates it names ("in 2020"): values must agree
    future: bool = False  # it asks about a plan ("will", "expected"): planned figures are answers
    also: frozenset[str] = frozenset()  # a second word that must sit near a value too
    scopes: frozenset[str] = frozenset()  # "in the game", "this season": the span its figure covers
    names: frozenset[str] = frozenset()  # stems of the names it mentions ("Manning", "Super Bowl")
    agent: bool = False  # "who founded X": the name comes before the verb or after "by"
    lower: frozenset[str] = frozenset()  # its other lower-case words: the quote's sentence lacks one at most
    surfaces: frozenset[str] = frozenset()  # values written in the question itself: never an answer


def read_question(question: str) -> Ask | None:
    """What ``question`` asks for, or None when it asks for no value this module compares."""
    text = " ".join(question.replace("’", "'").split()).strip()
    low = text.lower()
    words = tokens_of(text)
    kinds: tuple[str, ...] = ()
    dims: frozenset[str] = frozenset()
    counted: frozenset[str] = frozenset()
    counted_words: tuple[frozenset[str], ...] = ()
    main: frozenset[str] = frozenset()
    how = _HOW.search(low)
    attribute = _attribute(low)
    money_words = [w for w in words if w.text.lower() in MONEY_WORDS]
    if re.match(r"(?:who|where) (?:are|were)\b|(?:which|what) \w+ (?:are|were)\b", low):
        return None  # "Who were the special guests?": several right answers, no disagreement
    if _PERCENT_Q.search(low):
        kinds = ("percent",)
    elif _PERSON_Q.search(low):
        kinds = ("person",)
    elif _PLACE_Q.search(low):
        kinds = ("place",)
    elif _DATE_Q.search(low):
        kinds = ("date",)
    elif how and how.group(1) == "many":
        counted_words = _counted(text, how.end())
        kinds, dims, counted = ("number",), frozenset({"count"}), frozenset().union(*counted_words)
        unit = UNITS.get(next(iter(_words_after(text, how.end())), ""))
        if unit is not None:  # "how many kilometres", "how many days": the unit says what is asked
            dims, counted = frozenset({unit[0]}), frozenset()
        if not counted and not unit:
            return None
    elif re.match(r"(?:what|how much) (?:did|does|do|will|would) ", low) and money_words:
        kinds, main = ("money",), _union(money_words)
    elif how and how.group(1) == "much":
        if any(w.text.lower() in {"weigh", "weighs", "weight"} for w in words):
            kinds, (dims, main) = ("number",), ATTRIBUTES["weigh"]
        elif money_words:
            kinds, main = ("money",), _union(money_words)
        elif any(w.text.lower() in CHANGE_VERBS for w in words):
            kinds = ("percent", "money")
        else:
            kinds, dims = ("number", "money"), frozenset({"volume", "mass"})
    elif how:
        kinds, (dims, main) = ("number",), ATTRIBUTES[how.group(1)]
        if how.group(1) == "long" and any(w.stem in {"last", "take"} for w in words):
            dims, main = ATTRIBUTES["duration"]
    elif attribute in MONEY_NOUNS:
        kinds, main = ("money",), _group(_stem(attribute))
    elif attribute == "population":
        kinds, dims, counted = ("number",), frozenset({"count"}), _group("peopl")
        counted_words = (counted,)
    elif attribute in ATTRIBUTES:
        kinds, (dims, main) = ("number",), ATTRIBUTES[attribute]
    if not kinds:
        return None
    if kinds[0] == "money" and not main and money_words:
        main = _union(money_words)
    # The question's content words: the one it turns on must sit near a value.
    content = [w for w in words[1:] if w.is_content and w.text.lower() not in KIND_WORDS and not w.text[0].isdigit()]
    lower = [w for w in content if not w.text[0].isupper()]
    # "first awarded", "the last emperor"; but "did the strike last?" is a verb.
    followed = {id(a) for a, b in zip(words, words[1:]) if b.is_word}
    specifiers = frozenset(w.stem for w in lower if w.stem in SPECIFIERS and id(w) in followed)
    lower = [w for w in lower if w.stem not in SPECIFIERS and not _matches(w.stem, counted)]
    lower = [w for w in lower if w.text.lower() not in ATTRIBUTES or kinds[0] != "number"]
    also: frozenset[str] = frozenset()
    if not main and not counted:
        main = _main_word(kinds[0], lower)
        # "When did the Tressel ferry service start?": its first word ("ferry") as well as the verb.
        if kinds[0] in ("date", "place") and len(lower) > 1 and main == _group(lower[-1].stem):
            also = _group(lower[0].stem)
    others = frozenset(w.stem for w in content if not _matches(w.stem, main | counted) and w.stem not in specifiers)
    if not main and not counted and kinds[0] == "person" and content:
        main = _group(content[-1].stem)  # "Who was named MVP of the final?": the role
        others = others - main
    if not main and not counted:
        # "What year was the final played?": no word but the names; one of them must be near the value.
        main = frozenset().union(*(_group(s) for s in others))
    question_values = [v for kind in ("date", "number") for v in _extract(text, tokens_of(text), kind)]
    dates = tuple(v for v in question_values if v.kind == "date")
    surfaces = frozenset(v.text.lower() for v in question_values)
    future = any(w.text.lower() in FUTURE for w in words)
    scopes = frozenset(w.stem for w in words if w.text.lower() in SCOPES) - counted
    agent = kinds[0] == "person" and re.match(r"who (?:is|was|has been|had been)\b", low) is None
    names = frozenset(w.stem for w in content if w.text[0].isupper())
    return Ask(
        kinds=kinds, dims=dims, counted=counted, counted_words=counted_words, main=main, also=also,
        specifiers=specifiers, others=others, names=names, scopes=scopes, dates=dates, surfaces=surfaces,
        future=future, agent=agent, lower=frozenset(w.stem for w in lower) - main - also,
    )  # fmt: skip


def _union(words: list[Token]) -> frozenset[str]:
    return frozenset().union(*(_group(w.stem) for w in words))


def _attribute(low: str) -> str:
    """The attribute a "what is the ... of" question asks for: "the annual budget" -> "budget"."""
    match = _WHAT_IS.search(low)
    if not match:
        return ""
    for word in match.group(1).split():
        if word in MONEY_NOUNS or word in ATTRIBUTES or word == "population":
            return word
        if word in FUNCTION_WORDS:
            break
    return ""


def _words_after(text: str, offset: int) -> list[str]:
    return [w.text.lower() for w in tokens_of(text[offset:]) if w.is_word]


def _counted(text: str, offset: int) -> tuple[frozenset[str], ...]:
    """What "how many" counts: its words up to the first plural ("total tackles", "crew members"),
    each with its synonyms."""
    groups: list[frozenset[str]] = []
    for word in tokens_of(text[offset:])[:3]:
        low = word.text.lower()
        if not word.is_word or low in FUNCTION_WORDS:
            break
        groups.append(_group(word.stem))
        if low.endswith("s") or low in PLURALS:
            break
    return tuple(groups)


def _main_word(kind: str, lower: list[Token]) -> frozenset[str]:
    """The word a question turns on: the verb after "who", a participle, or its last content word."""
    if not lower:
        return frozenset()
    if kind == "person":
        verbs = [w for w in lower if not re.fullmatch(PERSON_NOUNS, w.text.lower())]
        return _group((verbs or lower)[0].stem)
    for word in lower:
        low = word.text.lower()
        if low.endswith("ed") or low in IRREGULAR or low in {"born", "found"}:
            return _group(word.stem)
    # "What is the vacancy rate of ...": the thing measured comes first; "When did X open": last.
    return _group((lower[0] if kind == "percent" else lower[-1]).stem)


# -- values --------------------------------------------------------------------------

# unit as written (lower case) -> (dimension, factor to the dimension's base unit)
UNITS: dict[str, tuple[str, float]] = {}
_UNIT_TABLE = {
    "length": {
        1e-3: "mm millimetre millimetres millimeter millimeters",
        1e-2: "cm centimetre centimetres centimeter centimeters",
        1.0: "m metre metres meter meters",
        1e3: "km kilometre kilometres kilometer kilometers",
        0.0254: "in. inch inches",
        0.3048: "ft foot feet",
        0.9144: "yd yard yards",
        1609.344: "mi mile miles",
        1852.0: "nautical-mile nautical-miles",
    },
    "mass": {
        1e-6: "mg milligram milligrams",
        1e-3: "g gram grams gramme grammes",
        1.0: "kg kilo kilos kilogram kilograms kilogramme kilogrammes",
        1e3: "t tonne tonnes ton tons metric-ton metric-tons",
        0.45359237: "lb lbs",
        0.028349523: "oz ounce ounces",
    },
    "area": {
        1.0: "m² m2 sq-m square-metre square-metres square-meter square-meters",
        1e6: "km² km2 sq-km square-kilometre square-kilometres square-kilometer square-kilometers",
        1e4: "ha hectare hectares",
        4046.8564: "acre acres",
        2589988.1: "sq-mi square-mile square-miles",
        0.09290304: "sq-ft square-foot square-feet",
    },
    "volume": {
        1e-3: "l litre litres liter liters",
        1e-6: "ml millilitre millilitres milliliter milliliters",
        1.0: "m³ m3 cubic-metre cubic-metres cubic-meter cubic-meters",
        0.003785411784: "gallon gallons",
        0.158987: "barrel barrels",
    },
    "time": {
        1.0: "s sec secs second seconds",
        60.0: "min mins minute minutes",
        3600.0: "h hr hrs hour hours",
        86400.0: "day days",
        604800.0: "week weeks",
        2629746.0: "month months",
        31556952.0: "year years",
        315569520.0: "decade decades",
    },
    "speed": {
        1.0: "m/s",
        1 / 3.6: "km/h kmh kph km-per-hour kilometres-per-hour kilometers-per-hour",
        0.44704: "mph miles-per-hour",
        0.514444: "knot knots",
    },
    "power": {
        1.0: "w watt watts",
        1e3: "kw kilowatt kilowatts",
        1e6: "mw megawatt megawatts",
        1e9: "gw gigawatt gigawatts",
    },
    "energy": {1e3: "kwh", 1e6: "mwh", 1e9: "gwh", 1e12: "twh"},
    "temperature": {1.0: "°c ºc °-c degrees-celsius degrees-c degree-celsius celsius"},
    "temperature-f": {1.0: "°f ºf degrees-fahrenheit degrees-f fahrenheit"},
}
for _dimension, _factors in _UNIT_TABLE.items():
    for _factor, _unit_names in _factors.items():
        for _unit in _unit_names.split():
            UNITS[_unit.replace("-", " ")] = (_dimension, _factor)
_UNIT_PATTERN = "|".join(sorted((re.escape(u).replace(r"\ ", r"\s+") for u in UNITS), key=len, reverse=True))

_CURRENCY_SIGNS = {
    "us$": "USD", "$": "USD", "usd": "USD", "a$": "AUD", "c$": "CAD", "nz$": "NZD", "hk$": "HKD",
    "€": "EUR", "eur": "EUR", "£": "GBP", "gbp": "GBP", "¥": "JPY", "jpy": "JPY", "chf": "CHF", "₹": "INR",
}  # fmt: skip
_CURRENCY_WORDS = {
    "dollar": "USD", "dollars": "USD", "euro": "EUR", "euros": "EUR", "pound": "GBP", "pounds": "GBP",
    "sterling": "GBP", "yen": "JPY", "franc": "CHF", "francs": "CHF", "rupee": "INR", "rupees": "INR",
    "usd": "USD", "eur": "EUR", "gbp": "GBP", "chf": "CHF", "jpy": "JPY",
}  # fmt: skip
_SCALES = {
    "thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "mn": 1e6, "mln": 1e6,
    "billion": 1e9, "bn": 1e9, "b": 1e9, "trillion": 1e12, "tn": 1e12,
}  # fmt: skip
_NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "dozen": 12,
}  # fmt: skip
_NUMBER_WORD = "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
_DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"
_WORDS = rf"(?:half\s+an?|(?:{_NUMBER_WORD})(?:[\s-]+(?:and\s+)?(?:{_NUMBER_WORD}|hundred))*(?:\s+hundred)?)"
_SCALE = r"(?:\s*(?:thousand|million|billion|trillion)\b|(?:bn|mn|mln|tn|m|k|b)\b)"
_QUANTITY = re.compile(
    rf"(?<![\w.,/$€£¥-])(?P<sign>[-−])?(?P<cur>US\$|A\$|C\$|NZ\$|HK\$|[$€£¥₹]|(?:USD|EUR|GBP|JPY|CHF)\s?)?\s*"
    rf"(?:(?P<digits>{_DIGITS})(?![.,]?\d|(?:st|nd|rd|th)\b)|(?P<words>\b{_WORDS}\b))"
    rf"(?P<scale>{_SCALE})?"
    rf"(?:\s*(?P<percent>%|percent\b|per\s+cent\b|percentage\s+points?\b)"
    rf"|\s*(?P<curword>(?:US\s+)?(?:dollars?|euros?|pounds?(?:\s+sterling)?|yen|francs?|rupees?)\b|(?:USD|EUR|GBP|CHF|JPY)\b)"
    rf"|(?:\s*|-)(?P<unit>(?:{_UNIT_PATTERN})(?![\w²³])))?",
    re.IGNORECASE,
)
_APPROXIMATELY = re.compile(
    r"\b(?:about|around|approximately|approx\.?|roughly|some|an estimated|estimated|circa|c\.|almost|nearly"
    r"|close to|up to|as many as|as much as|more than|over|at least|upwards of|just over|well over|above"
    r"|fewer than|less than|under|below|just under|no more than|only)\s*$|~\s*$",
    re.IGNORECASE,
)
_RANGE = re.compile(r"^\s*(?:-|–|—|to|and)\s*$")
_MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12, "jan": 1, "feb": 2, "mar": 3,
    "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december"
    r"|jan\.?|feb\.?|mar\.?|apr\.?|jun\.?|jul\.?|aug\.?|sept?\.?|oct\.?|nov\.?|dec\.?)"
)
_YEAR = r"(?:1[0-9]{3}|20[0-9]{2})"
_DATE = re.compile(
    rf"(?<![$€£¥\d.,])\b(?:(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m1>{_MONTH}),?\s+(?P<y1>{_YEAR})"
    rf"|(?P<m2>{_MONTH})\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y2>{_YEAR})"
    rf"|(?P<y3>{_YEAR})-(?P<m3>\d{{2}})-(?P<d3>\d{{2}})"
    rf"|(?P<m4>{_MONTH}),?\s+(?:of\s+)?(?P<y4>{_YEAR})"
    rf"|(?:the\s+)?(?P<decade>1[0-9]{{2}}0|20[0-9]0)s"
    rf"|(?P<d5>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m5>{_MONTH})"
    rf"|(?P<m6>{_MONTH})\s+(?P<d6>\d{{1,2}})(?:st|nd|rd|th)?"
    rf"|(?P<y7>{_YEAR}))(?![\d,]*\d|\s*(?:%|percent|per cent))\b",
    re.IGNORECASE,
)
# Day numbers for comparing dates: a year spans 372 of them, a month 31.
_YEAR_DAYS, _MONTH_DAYS = 372, 31
# A few words before a value that make it a figure of the past, quoted as history.
_HISTORY = re.compile(
    r"\b(?:formerly|previously|originally|once|initially|used to be|up from|down from|from|had been)\s+(?:\S+\s+)?$",
    re.IGNORECASE,
)
# Past tense near a dated quantity: "had 5,000 residents in 1970" is history, not today's figure.
_PAST = frozenset({"had", "was", "were", "used", "formerly", "previously", "originally", "once", "until"})
# Words that say what span a figure covers: a game's figure does not contradict a season's.
SCOPES = frozenset(
    "game games match matches race races season seasons year years career week weeks month months quarter "
    "tournament round term half final finals".split()
)
# Words that limit a figure to a season or time: it does not contradict a year-round figure.
OCCASIONS = frozenset(
    "summer summers winter winters spring autumn peak off-peak weekend weekends weekday weekdays night nights "
    "daytime holiday holidays season seasonal rush".split()
)
# Words before a value that make it a plan, forecast or target rather than a fact.
FUTURE = frozenset(
    "will would could might shall should wants want wanted plans plan planned planning aims aim aimed target "
    "targets expected expects expect projected projects forecast forecasts hopes hope goal".split()
)


@dataclass(frozen=True)
class Value:
    """One value stated in a quote."""

    kind: str
    text: str  # as written, for people
    start: int  # character offsets in the quote's text
    end: int
    unit: str  # dimension, currency, "percent", what is counted, "date", "person", "place"
    low: float = 0.0  # the interval of quantities (base units) or day numbers it stands for
    high: float = 0.0
    names: frozenset[str] = frozenset()  # a name's words, lower case
    counted: frozenset[str] = frozenset()  # stems of the words after a count
    qualifier: Value | None = None  # the date a quantity is given for ("in 2021")
    occasion: str = ""  # a season or time of day it holds for ("in summer", "at peak times")
    rate: str = ""  # what it is per ("a year", "per month", "an hour"): "$2,000 a month" is no total
    history: bool = False  # its words say it is an older figure ("up from", "formerly")
    projected: bool = False  # its words say it is a plan, forecast or target ("will grow to", "wants")
    past: bool = False  # past tense near it ("had", "was")
    distance: int = 0  # words between it and the question's main word
    rank: int = 0  # its quote's rank
    quote: Quote | None = None

    def agrees(self, other: Value) -> bool:
        if self.kind in ("person", "place"):
            return bool(self.names & other.names)
        return self.low < other.high and other.low < self.high  # "2" (1.5-2.5) and "3" (2.5-3.5) differ

    def comparable(self, other: Value) -> bool:
        """Both state the same kind of thing: same unit or thing counted, for the same date and occasion."""
        if self.kind != other.kind:
            return False
        if self.kind in ("person", "place"):
            if self.kind == "place" and _is_region(self.names) != _is_region(other.names):
                return False  # "Leeds" and "England"
            # "Who did the inventor work for in the 1880s?": Edison in 1884 and Puskás in 1881 are two answers.
            return self.qualifier is None or other.qualifier is None or self.qualifier.agrees(other.qualifier)
        if self.unit != other.unit or self.unit == "count" and not self.counted & other.counted:
            return False
        if self.kind == "date":
            return True
        if self.occasion != other.occasion or self.rate != other.rate:
            return False  # "in summer the population swells to 9,000", "$2,000 per month"
        a, b = self.qualifier, other.qualifier
        if a is not None and b is not None:
            return a.agrees(b)
        if a is not None or b is not None:
            # "Pellham had 5,000 residents in 1970": a dated figure in the past tense is history.
            return not any(v.past or v.history or v.projected for v in (self, other))
        return True


def _number(digits: str | None, words: str | None) -> tuple[float, float] | None:
    """The number written and half the place value of its last digit (its precision)."""
    if digits:
        plain = digits.replace(",", "")
        decimals = len(plain.split(".")[1]) if "." in plain else 0
        return float(plain), 0.5 * 10.0**-decimals
    if words and words.lower().startswith("half"):
        return 0.5, 0.05
    if words:
        total, current = 0.0, 0.0
        for word in re.split(r"[\s-]+", words.lower()):
            if word == "and":
                continue
            if word == "hundred":
                current = max(current, 1.0) * 100
            elif word in _NUMBER_WORDS:
                current += _NUMBER_WORDS[word]
        total += current
        return total, 0.5
    return None


def _quantities(text: str, tokens: list[Token], ask_kinds: Iterable[str]) -> list[Value]:
    """Numbers, money and percentages in ``text`` with their units or what they count."""
    kinds = set(ask_kinds)
    found: list[Value] = []
    for match in _QUANTITY.finditer(text):
        parsed = _number(match.group("digits"), match.group("words"))
        if parsed is None:
            continue
        number, precision = parsed
        if match.group("sign"):
            number = -number
        scale_word = (match.group("scale") or "").strip().lower()
        currency = _CURRENCY_SIGNS.get((match.group("cur") or "").strip().lower())
        curword = (match.group("curword") or "").lower().split()
        if curword:
            currency = currency or _CURRENCY_WORDS.get(curword[-1] if curword[-1] != "sterling" else "pound")
        unit_text = (match.group("unit") or "").lower()
        if scale_word in {"m", "b"} and not currency:
            if scale_word == "b":
                continue  # "4b": bits, bytes or billions, who knows
            scale_word, unit_text = "", "m"  # "100m" is metres unless it is money
        scale = _SCALES.get(scale_word, 1.0)
        end = match.end()
        words = match.group("words")
        if words and words.lower() == "one" and not (match.group("unit") or currency or match.group("percent")):
            continue  # "one of", "the one": rarely a count
        start = (
            match.start("cur") if match.group("cur") else match.start("digits" if match.group("digits") else "words")
        )
        if match.group("percent"):
            points = "point" in match.group("percent").lower()
            kind, unit, factor = "percent", "points" if points else "percent", 1.0
        elif currency:
            kind, unit, factor = "money", currency, 1.0
        elif unit_text and " ".join(unit_text.split()) in UNITS:
            kind = "number"
            unit, factor = UNITS[" ".join(unit_text.split())]
        else:
            kind, unit, factor = "number", "count", 1.0
            end = match.end("scale") if scale_word else match.end("digits" if match.group("digits") else "words")
        if kind not in kinds:
            continue
        value = number * scale * factor
        tolerance = precision * scale * factor
        low, high = sorted((value - tolerance, value + tolerance))
        if unit == "temperature-f":
            unit = "temperature"
            low, high = (low - 32) / 1.8, (high - 32) / 1.8
        low, high = _loosen(text[: match.start()], low, high)
        surface = text[start:end].strip()
        if kind == "number" and unit == "count" and match.group("digits") and re.fullmatch(_YEAR, surface):
            continue  # a year, not a count
        rate = _rate(text[: match.start()], text[match.end() :])
        found.append(Value(kind, surface, start, start + len(surface), unit, low, high, rate=rate))
    return _ranges(text, found)


_RATE_AFTER = re.compile(
    r"\s*(?:\([^)]*\)\s*)?(?:per|a|an|each|every)\s+(year|month|week|day|hour|night|person|head)s?\b", re.I
)
_RATE_BEFORE = re.compile(
    r"\b(annual|yearly|monthly|weekly|daily|hourly|nightly)\s+[\w-]+\s+(?:of\s+|is\s+|was\s+)?$", re.I
)
_RATE_WORDS = {"annual": "year", "yearly": "year", "monthly": "month", "weekly": "week", "daily": "day"}


def _rate(before: str, after: str) -> str:
    """What a quantity is per: "$98,000 a year", "an annual salary of £112,000", "six trains per hour"."""
    match = _RATE_AFTER.match(after)
    if match:
        return match.group(1).lower()
    match = _RATE_BEFORE.search(before[-40:])
    if match:
        word = match.group(1).lower()
        return _RATE_WORDS.get(word, word.removesuffix("ly"))
    return ""


def _loosen(before: str, low: float, high: float) -> tuple[float, float]:
    """Widen an interval by the words written before it: "about", "more than", "up to"..."""
    approximately = _APPROXIMATELY.search(before[-25:])
    if not approximately:
        return low, high
    word = approximately.group().strip().lower()
    middle = (low + high) / 2
    if word in {"more than", "over", "at least", "upwards of", "just over", "well over", "above"}:
        return low, math.inf
    if word in {"fewer than", "less than", "under", "below", "up to", "as many as", "as much as", "no more than"}:
        return -math.inf if low < 0 else 0.0, high
    if word in {"almost", "nearly", "just under", "close to"}:
        return min(low, middle * (1 - 2 * APPROXIMATE)), high
    if word == "only":
        return low, high
    spread = abs(middle) * APPROXIMATE
    return min(low, middle - spread), max(high, middle + spread)


def _ranges(text: str, values: list[Value]) -> list[Value]:
    """ "2,000-3,000" and "between 2,000 and 3,000" become one value spanning both."""
    out: list[Value] = []
    for value in values:
        if out and out[-1].kind == value.kind and _RANGE.match(text[out[-1].end : value.start]):
            first = out[-1]
            between = re.search(r"\bbetween\s*$", text[: first.start])
            if between or text[first.end : value.start].strip() in {"-", "–", "—", "to"}:
                unit = value.unit if first.unit == "count" else first.unit
                out[-1] = Value(
                    value.kind, text[first.start : value.end], first.start, value.end, unit,
                    min(first.low, value.low), max(first.high, value.high), rate=value.rate,
                )  # fmt: skip
                continue
        out.append(value)
    return out


def _dates(text: str) -> list[Value]:
    found: list[Value] = []
    for match in _DATE.finditer(text):
        g = match.groupdict()
        year = next((int(g[k]) for k in ("y1", "y2", "y3", "y4", "y7") if g[k]), None)
        month_text = next((g[k] for k in ("m1", "m2", "m4", "m5", "m6") if g[k]), None)
        month = _MONTHS.get(month_text.lower().rstrip(".")) if month_text else (int(g["m3"]) if g["m3"] else None)
        day = next((int(g[k]) for k in ("d1", "d2", "d3", "d5", "d6") if g[k]), None)
        surface = match.group().strip()
        if surface.lower().startswith("the "):
            surface = surface[4:]
        start = match.end() - len(surface)
        # The days it spans, from ``low`` up to (not including) ``high``.
        low: float
        high: float
        if g["decade"]:
            decade = int(g["decade"])
            low, high, unit = decade * _YEAR_DAYS, (decade + 10) * _YEAR_DAYS, "date"
        elif year is not None:
            base = year * _YEAR_DAYS
            if month is None:
                low, high = base, base + _YEAR_DAYS
            elif day is None:
                low, high = base + month * _MONTH_DAYS, base + (month + 1) * _MONTH_DAYS
            else:
                low = base + month * _MONTH_DAYS + day
                high = low + 1
            unit = "date"
        elif month is not None and day is not None:
            low = month * _MONTH_DAYS + day
            high, unit = low + 1, "day of year"
        else:
            continue
        if day is not None and not 1 <= day <= 31 or month is not None and not 1 <= month <= 12:
            continue
        low, high = _loosen_date(text[:start], low, high)
        found.append(Value("date", surface, start, start + len(surface), unit, low, high))
    # "from 1868 to 1874", "1868-1874": one span of time.
    out: list[Value] = []
    for value in found:
        if (
            out
            and out[-1].unit == value.unit
            and re.fullmatch(r"\s*(?:-|–|—|to|until|and)\s*", text[out[-1].end : value.start])
        ):
            previous = out[-1]
            out[-1] = Value(
                "date", text[previous.start : value.end], previous.start, value.end, "date", previous.low, value.high
            )
        else:
            out.append(value)
    return out


def _loosen_date(before: str, low: float, high: float) -> tuple[float, float]:
    word = re.search(
        r"\b(around|about|circa|c\.|approximately|roughly|before|by|after|since|until)\s*$", before[-15:], re.I
    )
    if not word:
        return low, high
    w = word.group(1).lower()
    if w in {"before", "by", "until"}:
        return -math.inf, high
    if w in {"after", "since"}:
        return low, math.inf
    return low - 5 * _YEAR_DAYS, high + 5 * _YEAR_DAYS


# -- names ---------------------------------------------------------------------------

# Titles and occupations written before a name ("Dr. Amina Yusuf", "Composer Lise Hartung").
TITLES = frozenset(
    """mr mrs ms miss dr prof professor sir dame lord lady gen general col colonel capt captain lt lieutenant
    sgt sergeant adm admiral major president chancellor minister mayor governor senator judge king queen
    prince princess saint st rev reverend father bishop pastor rabbi imam architect engineer composer painter
    sculptor artist author writer poet novelist playwright director producer actor actress singer musician
    coach manager chef designer inventor weaver farmer merchant banker scientist astronomer chemist
    physicist historian explorer journalist photographer teacher nurse officer keeper founder owner
    chairman chairwoman chair ceo""".split()
)
PARTICLES = frozenset("de da di del della van von der den du la le al bin ibn ben dos das".split())
# Words that make a capitalised phrase an organisation, building, event or work, not a person.
NOT_PERSON = frozenset(
    """company corp corporation inc ltd llc plc group holdings university college school academy museum
    library bridge tower hall house street road avenue square river lake park station council church
    cathedral chapel castle theatre theater centre center institute foundation trust bank airport hotel
    festival prize award awards society club party ministry department agency office committee association
    stadium valley mountain mountains island islands bay sea ocean county state city republic kingdom
    studios studio labs instruments motors foods telecom systems technologies records press times news
    post journal review observatory dam railway tunnel gallery opera quartet orchestra choir team band
    marsh creek field airport harbour harbor port fort mount cave mill manor road""".split()
)
_MONTH_WORDS = frozenset(_MONTHS) | frozenset("monday tuesday wednesday thursday friday saturday sunday".split())
_PLACE_PREPOSITIONS = frozenset({"in", "at", "near", "outside"})
# Places that are countries, states or larger: "Leeds" and "England" do not disagree.
REGIONS = frozenset(
    """afghanistan albania algeria andorra angola argentina armenia australia austria azerbaijan bahamas
    bahrain bangladesh barbados belarus belgium belize benin bhutan bolivia bosnia botswana brazil brunei
    bulgaria burkina burundi cambodia cameroon canada chad chile china colombia comoros congo croatia cuba
    cyprus czechia denmark djibouti dominica ecuador egypt eritrea estonia eswatini ethiopia fiji finland
    france gabon gambia georgia germany ghana greece grenada guatemala guinea guyana haiti honduras hungary
    iceland india indonesia iran iraq ireland israel italy jamaica japan jordan kazakhstan kenya kiribati
    kosovo kuwait kyrgyzstan laos latvia lebanon lesotho liberia libya liechtenstein lithuania luxembourg
    madagascar malawi malaysia maldives mali malta mauritania mauritius mexico micronesia moldova monaco
    mongolia montenegro morocco mozambique myanmar namibia nauru nepal netherlands holland nicaragua niger
    nigeria norway oman pakistan palau palestine panama paraguay peru philippines poland portugal qatar
    romania russia rwanda samoa senegal serbia seychelles singapore slovakia slovenia somalia spain
    sudan suriname sweden switzerland syria taiwan tajikistan tanzania thailand togo tonga tunisia turkey
    turkmenistan tuvalu uganda ukraine uruguay uzbekistan vanuatu venezuela vietnam yemen zambia zimbabwe
    england scotland wales britain uk usa america europe asia africa oceania antarctica arctic scandinavia
    alabama alaska arizona arkansas california colorado connecticut delaware florida hawaii idaho illinois
    indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota mississippi
    missouri montana nebraska nevada ohio oklahoma oregon pennsylvania tennessee texas utah vermont
    virginia washington wisconsin wyoming bavaria catalonia flanders provence tuscany siberia""".split()
)
REGION_WORDS = frozenset(
    "north south east west northern southern eastern western central province region state county "
    "valley coast mountains islands kingdom republic united emirates".split()
)


def _is_region(names: frozenset[str]) -> bool:
    return bool(names & REGIONS or names & REGION_WORDS)


def _capitalised(tokens: list[Token]) -> list[tuple[int, int]]:
    """Runs of capitalised words (with particles and initials inside), as token index ranges."""
    runs: list[tuple[int, int]] = []
    i = 0
    while i < len(tokens):
        if _is_capital(tokens[i]):
            j = i + 1
            while j < len(tokens) and (
                _is_capital(tokens[j])
                or tokens[j].text.lower() in PARTICLES
                and j + 1 < len(tokens)
                and _is_capital(tokens[j + 1])
            ):
                j += 1
            runs.append((i, j))
            i = j
        else:
            i += 1
    return runs


def _is_capital(token: Token) -> bool:
    t = token.text
    return t[:1].isupper() and t[:1].isalpha() and (len(t) == 1 or not t.isupper() or len(t) == 2 and t[1] == ".")


def _names(text: str, tokens: list[Token], kind: str, question_words: frozenset[str]) -> list[Value]:
    """People's names (two or more capitalised words, or a title and one), or places after "in"/"at"/"near"."""
    found: list[Value] = []
    for i, j in _capitalised(tokens):
        words = tokens[i:j]
        titled = False
        while words and (words[0].text.lower().rstrip(".") in TITLES or words[0].text.lower() in FUNCTION_WORDS):
            titled = titled or words[0].text.lower().rstrip(".") in TITLES
            words = words[1:]
        if not words:
            continue
        lows = [re.sub(r"['’]s$", "", w.text.lower().rstrip(".")) for w in words]
        if any(low in _MONTH_WORDS for low in lows) or all(w.stem in question_words for w in words):
            continue
        before = tokens[i - 1].text.lower() if i > 0 else ""
        if before == "the" and i > 1:  # "in the Netherlands"
            before = tokens[i - 2].text.lower()
        if kind == "person":
            if any(low in NOT_PERSON for low in lows) or before in _PLACE_PREPOSITIONS:
                continue
            if len(words) < 2 and not titled:
                continue
            if any(w.stem in question_words for w in words):
                continue
        else:
            if before not in _PLACE_PREPOSITIONS or len(words) > 3:
                continue
        start, end = words[0].start, words[-1].end
        names = frozenset(low for low in lows if low not in PARTICLES and len(low) > 1)
        found.append(Value(kind, text[start:end], start, end, kind, names=names))
    return found


# -- which values answer the question ------------------------------------------------


def _extract(text: str, tokens: list[Token], kind: str, ask: Ask | None = None) -> list[Value]:
    if kind == "date":
        return _dates(text)
    if kind in ("person", "place"):
        return _names(text, tokens, kind, (ask.others | ask.main) if ask else frozenset())
    return _quantities(text, tokens, [kind])


def values_of(quote: Quote, ask: Ask, rank: int = 0) -> list[Value]:
    """The values in ``quote`` that answer what ``ask`` asks for, attached to its words."""
    text = quote.text
    tokens = tokens_of(text)
    context = {t.stem for t in tokens_of(quote.context or text)} | {t.stem for t in tokens}
    if ask.others and sum(_holds(context, s) for s in ask.others) < MIN_COVERAGE * len(ask.others):
        return []
    stems = {t.stem for t in tokens}
    if sum(not _holds(stems, s) for s in ask.lower) > 1:
        return []  # "gas turbine?" answered by "in steam turbines, the inlet temperature is ..."
    written = (quote.context or text).lower()
    if not all(surface in written for surface in ask.surfaces):
        return []  # "Who led the team with 105 catches?": the quote must say 105
    dates = _dates(text)
    context_dates = _dates(quote.context or text) if ask.dates else []
    scopes = {t.stem for t in tokens if t.text.lower() in SCOPES} - ask.counted
    if _about_someone_else(tokens, ask):
        return []
    values: list[Value] = []
    for kind in ask.kinds:
        extracted = _extract(text, tokens, kind, ask)
        for value in extracted:
            if value.text.lower() in ask.surfaces:
                continue
            span = _life_span(text, value, ask) if kind == "date" else None
            value = span or value
            at = _token_span(tokens, value)
            if at is None:
                continue
            distance = 0 if span else _attachment(tokens, at, ask, value)
            if distance is None or _negated(tokens, at) or not _about_the_question(tokens, at, value, ask):
                continue
            if ask.scopes and scopes and not ask.scopes & scopes:
                continue  # "in the game?" answered by "finished the year with nine touchdowns"
            counted = _counted_after(tokens, at[1]) if value.unit == "count" else frozenset()
            if value.unit == "count":
                before = _counted_before(tokens, at, ask.counted)
                if not before and not all(group & counted for group in ask.counted_words):
                    continue  # "five solo tackles" does not answer "how many total tackles"
                counted = counted | (ask.counted if _counted_before(tokens, at, ask.counted) else frozenset())
                if ask.counted and counted & ask.counted:
                    counted = ask.counted
            elif kind == "number" and value.unit not in ask.dims:
                continue
            qualifier = None
            if kind != "date":
                qualifier = _qualifier(tokens, at, dates, value)
                if ask.dates and qualifier is not None and not any(qualifier.agrees(d) for d in ask.dates):
                    continue
                if ask.dates and qualifier is None and not any(d.agrees(a) for d in context_dates for a in ask.dates):
                    continue  # "in 2015?": a figure from a quote that names no such date may be another one
                if kind in ("person", "place") and not ask.dates and qualifier is not None:
                    # "founded in 1864 by X", "Y founded it in 1866": the same event, dated apart; but
                    # "in 1562 Ribault led an expedition" and "led by de Forest in 1624" are two.
                    spread = NAME_DATE_SPREAD * _YEAR_DAYS
                    qualifier = replace(qualifier, low=qualifier.low - spread, high=qualifier.high + spread)
            history, past = _history(text, tokens, at, value)
            occasion = "" if kind == "date" else _occasion(tokens, at)
            projected = not ask.future and _projected(tokens, at)
            # "9% in 2019, has climbed to 14%": a dated figure beside another is a series, not today's.
            series = sum(v.unit == value.unit for v in extracted) > 1
            past = past or (qualifier is not None and series)
            values.append(
                replace(
                    value,
                    counted=counted,
                    qualifier=qualifier,
                    occasion=occasion,
                    history=history,
                    projected=projected,
                    past=past,
                    distance=distance,
                    rank=rank,
                    quote=quote,
                )  # fmt: skip
            )
    return values


_LIFE_SPAN = re.compile(rf"\(\s*(?:b\.\s*)?({_YEAR})\s*[–—-]\s*(?:d\.\s*)?({_YEAR})\s*\)")


def _life_span(text: str, value: Value, ask: Ask) -> Value | None:
    """ "Kasimir Brod (1871–1941)": the year of birth or death when the question asks for one."""
    match = _LIFE_SPAN.match(text, max(0, value.start - 1))
    if not match or not match.start() < value.start < match.end():
        return None
    group = 1 if "born" in ask.main else 2 if "die" in ask.main else 0
    if not group:
        return None
    year = int(match.group(group))
    start = match.start(group)
    return Value("date", match.group(group), start, start + 4, "date", year * _YEAR_DAYS, (year + 1) * _YEAR_DAYS)


def _about_someone_else(tokens: list[Token], ask: Ask) -> bool:
    """ "In contrast, Osweiler threw for 10 touchdowns": the sentence names none of the question's names
    but another one, as its subject (not first in the sentence, where common nouns are capitalised too,
    nor after a preposition). Its figures are about that other one."""
    if not ask.names or ask.kinds[0] in ("person", "place") or any(t.stem in ask.names for t in tokens):
        return False
    for i, token in enumerate(tokens[1:], 1):
        previous = tokens[i - 1]
        if (
            _is_capital(token)
            and previous.text not in {".", "!", "?", "“", '"', "("}
            and not _is_capital(previous)
            and previous.text.lower() not in FUNCTION_WORDS | {"of", "by"}
            and token.text.lower().rstrip(".") not in TITLES | _MONTH_WORDS
        ):
            return True
    return False


def _negated(tokens: list[Token], at: tuple[int, int]) -> bool:
    """ "he was not in Wittenberg", "never more than 20"; "one of four teams" is a group, not its count."""
    before = [t.text.lower() for t in tokens[max(0, at[0] - 3) : at[0]]]
    return any(w in {"not", "never", "no", "nor"} for w in before) or before[-2:] == ["one", "of"]


def _about_the_question(tokens: list[Token], at: tuple[int, int], value: Value, ask: Ask) -> bool:
    """ "an 11-year veteran", "a 33-yard field goal": a measure written as an adjective describes the
    noun after it, which must be one the question names."""
    if "-" not in value.text or value.kind != "number" or at[1] >= len(tokens):
        return True
    following = tokens[at[1]]
    if not following.is_content:
        return True
    words = ask.main | ask.others | ask.counted | ask.also
    return any(_matches(following.stem, _group(w)) for w in words)


def _token_span(tokens: list[Token], value: Value) -> tuple[int, int] | None:
    inside = [i for i, t in enumerate(tokens) if t.start < value.end and t.end > value.start]
    return (inside[0], inside[-1] + 1) if inside else None


def _segment(tokens: list[Token], at: tuple[int, int]) -> tuple[int, int]:
    """The stretch around a value not cut by ";", ":", brackets, dashes or "but"."""
    first = at[0]
    while first > 0 and not tokens[first - 1].is_boundary:
        first -= 1
    last = at[1]
    while last < len(tokens) and not tokens[last].is_boundary:
        last += 1
    return first, last


def _attachment(tokens: list[Token], at: tuple[int, int], ask: Ask, value: Value) -> int | None:
    """Words between the value and the question's main word; None when it is not attached."""
    first, last = _segment(tokens, at)
    if ask.specifiers:
        near = {t.stem for t in tokens[max(first, at[0] - WINDOW) : min(last, at[1] + WINDOW)]}
        if not ask.specifiers <= near:
            return None
    if not ask.main:
        return 0
    if value.kind == "place":
        # "born in Bergen", "headquartered in Oulu", "the factory is in Leeds": the word comes first.
        before = range(max(first, at[0] - 1 - PLACE_WINDOW), at[0] - 1)
        hits = [at[0] - i for i in before if _matches(tokens[i].stem, ask.main)]
        return min(hits) if hits else None
    window = [i for i in range(max(first, at[0] - WINDOW), min(last, at[1] + WINDOW)) if not at[0] <= i < at[1]]
    positions = [i for i in window if _matches(tokens[i].stem, ask.main)]
    if value.kind == "person":  # "a number of other leaders" is no "led"
        positions = [i for i in positions if not tokens[i].text.lower().endswith("ers")]
    if value.kind == "person" and ask.agent:
        # "Jean Martin founded", "founded in 1987 by Maria Lopez"; not "sacking him, and Malik Jackson".
        by = any(t.text.lower() == "by" for t in tokens[max(first, at[0] - 4) : at[0]])
        positions = [i for i in positions if i >= at[0] - 1 or by]  # or "Composer Lise Hartung"
    if not positions or ask.also and not any(_matches(tokens[i].stem, ask.also) for i in window):
        return None
    return min(at[0] - i if i < at[0] else i - at[1] + 1 for i in positions)


def _counted_after(tokens: list[Token], end: int) -> frozenset[str]:
    """Stems of the words after a count ("2,500 American troops"), up to three, "of" allowed once."""
    stems: set[str] = set()
    seen_of = False
    if end + 1 < len(tokens) and tokens[end].text == "-":  # "a 38-storey building" counts storeys
        return _group(tokens[end + 1].stem) if tokens[end + 1].is_word else frozenset()
    for token in tokens[end : end + 4]:
        low = token.text.lower()
        if low == "of" and not seen_of and stems:
            seen_of = True
            continue
        if not token.is_word or low in FUNCTION_WORDS or low in _MONTH_WORDS:
            break
        stems |= _group(token.stem)
    return frozenset(stems)


def _counted_before(tokens: list[Token], at: tuple[int, int], counted: frozenset[str]) -> bool:
    """ "a population of 86,000", "the population of Estrel is about 91,500": the counted word comes first,
    and no other word says what the number counts."""
    if not counted:
        return False
    following = tokens[at[1]] if at[1] < len(tokens) else None
    if following is not None and (following.is_content or following.text.lower() == "of"):  # "18 of 26 songs"
        return False
    first, _ = _segment(tokens, at)
    for i in range(at[0] - 1, max(first, at[0] - 7) - 1, -1):
        if tokens[i].text in {",", "and"} or tokens[i].text[0].isdigit():
            return False  # "12,400 pupils in state schools, and just over 8,100"
        if _matches(tokens[i].stem, counted):
            return True
    return False


def _qualifier(tokens: list[Token], at: tuple[int, int], dates: list[Value], value: Value) -> Value | None:
    """The date nearest a quantity in its stretch of text ("in 2021"), if any."""
    first, last = _segment(tokens, at)
    lo, hi = tokens[first].start, tokens[last - 1].end if last > 0 else value.end
    near = [d for d in dates if lo <= d.start and d.end <= hi and not (d.start < value.end and d.end > value.start)]
    if not near:
        return None
    return min(near, key=lambda d: abs(d.start - value.start))


def _occasion(tokens: list[Token], at: tuple[int, int]) -> str:
    """A season or time a figure holds for, near it: "in summer", "at peak times", "on weekdays"."""
    first, last = _segment(tokens, at)
    return " ".join(sorted({t.stem for t in tokens[first:last] if t.text.lower() in OCCASIONS}))


def _projected(tokens: list[Token], at: tuple[int, int]) -> bool:
    """A plan or forecast: "will grow to 420 pupils", "wants 90% ... by 2035"."""
    first, _ = _segment(tokens, at)
    return any(t.text.lower() in FUTURE for t in tokens[max(first, at[0] - 6) : at[0]])


def _is_past(word: str) -> bool:
    """ "had", "was", "began", "reported": a verb in the past tense (or a word saying "formerly")."""
    low = word.lower()
    return (
        low in _PAST
        or low in IRREGULAR
        and low not in {"born", "dead", "death"}
        or (len(low) > 4 and low.endswith("ed") and word[:1].islower())
    )


def _history(text: str, tokens: list[Token], at: tuple[int, int], value: Value) -> tuple[bool, bool]:
    """Whether words before the value make it an older figure ("up from", "formerly"), and
    whether they are in the past tense ("had", "was")."""
    first, _ = _segment(tokens, at)
    past = any(_is_past(t.text) for t in tokens[max(first, at[0] - 4) : at[0]])
    return bool(_HISTORY.search(text[: value.start])), past


def _disagreement(
    first: list[Value], second: list[Value], first_stated: list[Value], second_stated: list[Value]
) -> Conflict | None:
    """A conflict when the two documents' comparable values all differ; None when any pair agrees,
    or when either document states the other's value anywhere in its quotes or their neighbours."""
    pairs = [(a, b) for a in first for b in second if a.comparable(b)]
    if not pairs or any(a.agrees(b) for a, b in pairs):
        return None
    for a, b in pairs:
        if a.kind in ("person", "place") and (_mentions(b, a) or _mentions(a, b)):
            return None
        if any(_loosely_agree(a, s) for s in second_stated) or any(_loosely_agree(b, s) for s in first_stated):
            return None  # "... sold 500,000 copies in its first week and went on to sell 2 million"
    current = [(a, b) for a, b in pairs if not (a.history or a.projected or b.history or b.projected)]
    if not current:
        return None
    a, b = min(current, key=lambda p: (p[0].rank, p[0].distance, p[1].rank, p[1].distance))
    assert a.quote is not None and b.quote is not None
    return Conflict(a.kind, (a.text, b.text), (a.quote, b.quote))


def _stated(quote: Quote, ask: Ask) -> list[Value]:
    """Every number, amount, percentage or date of the kinds asked for in the quote and its neighbours."""
    text = quote.context or quote.text
    tokens = tokens_of(text)
    values = [v for kind in ask.kinds if kind not in ("person", "place") for v in _extract(text, tokens, kind, ask)]
    return [(_life_span(text, v, ask) or v) if v.kind == "date" else v for v in values]


def _loosely_agree(value: Value, stated: Value) -> bool:
    """``stated`` could be ``value`` restated: same kind, a unit that fits, an overlapping interval."""
    if value.kind != stated.kind or value.kind in ("person", "place"):
        return False
    if value.unit != stated.unit and "count" not in (value.unit, stated.unit):
        return False
    return value.agrees(stated)


def _mentions(value: Value, other: Value) -> bool:
    """``value``'s quote (or its neighbours) names one of ``other``'s words."""
    if value.quote is None:
        return False
    words = {w.lower() for w in re.findall(r"[^\W\d_]+", value.quote.context or value.quote.text)}
    return bool(words & other.names)
