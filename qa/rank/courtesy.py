"""Courtesies around a question, left out of the search: "Hi! Can you tell me …? Thanks!".

And the commands a question is asked with: "Explain how …", "Name the …", "Find out who …".

People write to a chat page as they would to a colleague. The words of a greeting, a
request or a thanks are rare in most documents, so BM25 and the word-piece match weigh
them heavily (by their rarity) and look for sentences that hold "tell", "wondering" or
"thanks": with such words around them, SQuAD questions found the answer first 4 points
less often and were declined more (BENCHMARKS.md, "Courtesies"); asked as commands, 3 to 4
points less ("Commands"). Only whole phrases at
the start or the end of a question are removed, never a word inside it, and a question
that is nothing but courtesy is searched as typed.
"""

from __future__ import annotations

import re

_PLEASE = r"(?:please|pls|plz)"
_ME = r"(?:me|us)"
# Words a question or a request begins with.
_ASKING = (
    r"(?:how|what|what's|whats|who|who's|whom|whose|when|where|which|why|is|are|was|were|do|does|did|can|could"
    r"|would|will|should|i|i'd|i'm|please|tell|quick|one|a)"
)
_COMMANDS = [
    # Commands that frame a question ("Explain how glaciers form", "Find out who won"):
    # the verb goes when a question word follows it, ...
    r"(?:explain|describe|clarify|tell|show|find|find out|figure out|work out|look up|look into|check|identify|name"
    rf"|list|determine|say|guess|break down|go over|walk {_ME} through)(?: (?:to )?{_ME})?(?: briefly| simply)?\s+"
    r"(?=(?:how|why|what|when|where|who|whom|whose|which|whether)\b)",
    # ... or, for verbs that never name a task the documents could describe ("list",
    # "find" and "show" do: "list all databases"), when what is asked for follows
    # ("Name the largest city", "Give me the date"); "the person who" is a "who".
    rf"(?:name|state|identify|mention|explain|describe|provide|(?:give|show|find|get) {_ME}|provide {_ME} with)"
    r"(?: briefly| simply)?\s+"
    r"(?=(?:the|a|an)\b)",
    r"the (?:person|people|one|ones)\s+(?=who\b)",
    # "Could you name ...": the request, then the command above.
    rf"{_PLEASE}?\s*(?:can|could|would|will) (?:you|u) {_PLEASE}?\s*(?=(?:name|state|identify|mention|describe|give"
    r"|list|find|show|clarify|determine|provide)\b)",
]
# Each is matched at the start, case-insensitive, and removed with what follows it up to
# the next word; tried again until none matches ("Hi, quick question: could you ...").
_OPENINGS = [
    # A list marker: questions pasted as a numbered or bulleted list ("1. When …? 2) Where …?"):
    # the number was searched too, and matched numbers in the documents (-2.4 points on SQuAD).
    r"(?:\(?\d{1,2}[.)]|[-*•])\s+",
    # Greetings and interjections.
    # (followed by punctuation or the question's first word: "hello world" is no greeting)
    r"(?:hi|hello|hey|hiya|howdy|yo|greetings|(?:good )?(?:morning|afternoon|evening))"
    r"(?: there| all| everyone| folks| team)?(?:\s*[,.!:;]+\s*|\s+(?=" + _ASKING + r"\b))",
    r"(?:ok|okay|um+|uh+|hm+|so|well|alright|right)\s*[,.!:;]+\s*",
    r"(?:ok|okay|alright|right) so\b[\s,.!:;]*",
    # Thanks for the last answer, before the next question ("Thanks! And when was that?").
    r"(?:(?:many )?thanks?(?: you)?|thx|great|cool|nice|perfect|awesome|got it|i see)(?: so much| a lot)?"
    r"\s*[,.!:;]+\s*",
    r"(?:(?:a|one|another|quick|simple|short|small|silly|stupid|dumb|random) )*question\b(?: for you)?\s*[,.!:;-]+\s*",
    r"i (?:have|had|got) a (?:\w+ )?question(?: for you)?\b(?: about| on| regarding)?[\s,.!:;-]*",
    # Apologies and asides: "sorry to bother you, but", "excuse me,", "just curious:", "help!".
    r"(?:sorry|apologies|excuse me|pardon me)(?:(?: to (?:bother|trouble|disturb) you| for (?:the|a|this|my) "
    r"(?:\w+ )?question| if this is (?:a )?(?:\w+ )?question)\s*[,.!:;]*|\s*[,.!:;]+)\s*(?:but\s+)?",
    r"(?:just |i'?m just )?(?:curious|wondering)\s*[,.!:;]+\s*",
    r"(?:(?:i )?need (?:some |your )?help|help(?: me)?(?: out)?(?: please)?|urgent)\s*[!:,.]+\s*",
    r"(?:just (?:curious|wondering)|out of curiosity|for (?:my )?(?:homework|class|a quiz|an essay|work))"
    r"\s*[,.!:;-]*\s*(?:but\s+)?",
    r"(?:can|may|could) i ask(?: you)?(?: something| a question)?\s*[,.!:;?]*\s*",
    # Requests: "can you tell me", "could you please explain", "would you let me know".
    rf"{_PLEASE}?\s*(?:would|do) (?:you|u) mind (?:telling|showing|explaining to) {_ME}\s+",
    rf"(?:can|could|would) (?:you|u|someone|anyone) help {_ME}(?: out| with (?:something|a question|this))?"
    r"\s*[?,.!:;]+\s*",
    rf"(?:any|is there (?:any|a)) chance (?:you|u|someone|anyone) (?:could|can|would|might)? ?"
    rf"(?:know|tell {_ME}|explain)\s+",
    rf"{_PLEASE}?\s*(?:can|could|would|will|can't|won't) (?:you|u|someone|anyone|somebody)\s+{_PLEASE}?\s*"
    rf"(?:tell|show|remind|explain(?: to)?|let) {_ME}\s*(?:know\s+|(?:more )?about\s+)?",
    rf"{_PLEASE}?\s*(?:can|could|would) (?:you|u|someone|anyone) {_PLEASE}?\s*(?:explain|find out|check|help {_ME}"
    r"(?: to)? (?:understand|find out|figure out|know))\s+",
    rf"(?:(?:do|does|would) (?:you|u|anyone|anybody|someone|somebody) (?:happen to )?know|any idea|"
    rf"i'?(?:d| would) (?:like|love) to (?:know|understand|find out|learn)|i (?:want|need|wish|wanted|needed) to "
    rf"(?:know|understand|find out|learn)|i'?m (?:wondering|curious)(?: about)?|i am (?:wondering|curious)"
    rf"(?: about)?|i was (?:wondering|curious)(?: about)?|i wonder|tell {_ME}(?: (?:more )?about)?|"
    rf"{_PLEASE} (?:tell|show|remind) {_ME}|"
    rf"{_PLEASE} explain|remind {_ME}|let {_ME} know|help {_ME} (?:understand|find out|figure out)|"
    r"i'?(?:m| am) (?:trying|looking) to (?:figure out|find out|understand|learn|know)|"
    r"i'?ve (?:always )?been wondering|i'?ve been trying to (?:figure out|find out|understand))\b[\s,:]*",
    r"(?:if|whether) (?:you|u) (?:could|can|would|might) (?:tell|show|explain to) {_ME}\s+".replace("{_ME}", _ME),
    r"what (?:can|could|do) (?:you|u) (?:tell {_ME}|say|know) about\s+".replace("{_ME}", _ME),
    rf"{_PLEASE}\b[\s,:]*",
]
_COURTESY = re.compile("^(?:" + "|".join(_OPENINGS) + ")", re.IGNORECASE)
_OPENING = re.compile("^(?:" + "|".join(_OPENINGS + _COMMANDS) + ")", re.IGNORECASE)
_COMMAND = re.compile("^(?:" + "|".join(_COMMANDS) + ")", re.IGNORECASE)
# Thanks and pleasantries after the question ("? Thanks in advance!", ", please"): after
# the question's own punctuation, or, for "please", after a space ("Who sang Thank You" and
# "the sitcom Cheers" keep their titles).
_CLOSING = re.compile(
    r"(?:(?<=[?.!,;:])\s*|(?<!\s)\s+(?=please|pls|plz|thx))"
    r"(?:(?:many )?thanks?(?: you)?|thx|tia|cheers|much appreciated|(?:i'?d |i )?appreciate (?:it|any help|your help)"
    r"|any (?:help|ideas?|pointers)(?: (?:would be|is|are))?(?: (?:much |greatly )?appreciated| welcome)?"
    r"|please(?: and thank you)?|pls|plz)"
    r"(?: (?:so|very|really) much| a lot| in advance| again| for (?:your|the|any|all the) help){0,3}[\s.!:)(-]*$",
    re.IGNORECASE,
)
_CONTENT = re.compile(r"\w{2,}")
_QUESTION_WORD = re.compile(r"(?:how|why|what|when|where|who|whom|whose|which|whether)\b", re.IGNORECASE)


def without_courtesies(question: str, commands: bool = True) -> str:
    """The question with greetings, requests and thanks at its ends removed (as typed if nothing is left).

    ``commands``: also the command that frames it ("Explain how ..."); False to show the
    user's question without its courtesies ("Hi! Describe the attack." → "Describe the attack.").
    """
    text, commanded = _stripped(question, _OPENING if commands else _COURTESY)
    if not _CONTENT.search(text):
        return question
    if commands and commanded and _QUESTION_WORD.match(text):
        # "Explain how glaciers form." asks "how glaciers form?": searched as the question it is
        # (the three command batches gain 0.4 points each; BENCHMARKS.md, "Commands").
        text = text.rstrip(" .!?") + "?"
    return text


def only_courtesy(text: str) -> bool:
    """True for "Thanks!", "Hi there," or "Could you help me with something?": nothing to search."""
    return _CONTENT.search(_stripped(text)[0]) is None


def asks_by_command(text: str) -> bool:
    """True for "Describe the attack." or "Hi, could you name the winner": a question asked as a command."""
    return _stripped(text)[1]


def _stripped(question: str, opening: re.Pattern[str] = _OPENING) -> tuple[str, bool]:
    """The question without the openings and closings ``opening`` knows, and whether one was a command."""
    text, commanded = question.strip(), False
    for _ in range(8):  # every opening once, in any order; the bound keeps a hostile input cheap
        commanded = commanded or _COMMAND.match(text) is not None
        shorter = _CLOSING.sub("", opening.sub("", text, count=1), count=1).strip().rstrip(",;:-").rstrip()
        if shorter == text:
            break
        text = shorter
    return text, commanded
