"""Greetings, requests and thanks around a question are left out of the search, and nothing else."""

from __future__ import annotations

import pytest

import qa.answer.assistant as assistant_module
from qa import Assistant
from qa.rank.courtesy import without_courtesies

PLAIN = "How many troops will remain in Iraq?"


def test_a_polite_question_is_answered_as_the_plain_one(assistant: Assistant) -> None:
    plain = assistant.ask(PLAIN)
    polite = assistant.ask("Hi! Could you please tell me how many troops will remain in Iraq? Thanks in advance!")
    assert polite.answered and [q.text for q in polite.quotes] == [q.text for q in plain.quotes]
    assert polite.confidence == pytest.approx(plain.confidence, abs=1e-4)
    assert polite.question.startswith("Hi! Could you please")  # the user's words are kept
    assert polite.searched == "how many troops will remain in Iraq?" and polite.corrections == ()


def test_searched_with_its_courtesies_the_question_is_declined(
    assistant: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What it is for: rare words such as "wondering" and "thanks" weigh on the match."""
    polite = "Hello, I was wondering when was Soleimani killed? Thank you so much!"
    left_out = assistant.ask(polite)
    assert left_out.answered and left_out.quotes[0].text.startswith("The 2020 U.S. drone strike")
    monkeypatch.setattr(assistant_module, "without_courtesies", lambda question: question)
    kept = assistant.ask(polite)
    assert kept.searched == polite
    assert not kept.answered and kept.confidence < left_out.confidence - 0.1


def test_a_question_pasted_from_a_numbered_list_is_answered(
    assistant: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Searched with its "3." the question is declined: the number matches nothing it should."""
    asked = assistant.ask("3. What was painted on the drone?")
    assert asked.searched == "What was painted on the drone?"
    assert asked.answered and "painted on it" in asked.quotes[0].text
    monkeypatch.setattr(assistant_module, "without_courtesies", lambda question, commands=True: question)
    assert not assistant.ask("3. What was painted on the drone?").answered


@pytest.mark.parametrize(
    ("command", "searched", "answer"),
    [
        ("Identify the people killed by the U.S. strike", "the people killed by the U.S. strike", "The 2020 U.S."),
        ("Describe what was painted on the drone", "what was painted on the drone?", "No group claimed"),
    ],
)
def test_a_question_asked_as_a_command_is_answered(
    assistant: Assistant, monkeypatch: pytest.MonkeyPatch, command: str, searched: str, answer: str
) -> None:
    """Searched with its verb ("identify", "describe": words no document uses), it is matched less well
    (below the threshold for "identify")."""
    asked = assistant.ask(command)
    assert asked.searched == searched
    assert asked.answered and asked.quotes[0].text.startswith(answer)
    monkeypatch.setattr(assistant_module, "without_courtesies", lambda question: question)
    assert assistant.ask(command).confidence < asked.confidence - 0.04


@pytest.mark.parametrize(
    ("question", "searched"),
    [
        ("Hi how many troops will remain", "how many troops will remain"),
        ("Quick question: who was killed?", "who was killed?"),
        ("I'd like to know when the strike happened", "when the strike happened"),
        ("Do you know who was killed", "who was killed"),
        ("Can someone explain what is sky plus", "what is sky plus"),
        ("what can you tell me about the Normans?", "the Normans?"),
        ("who won, thanks", "who won"),
        ("how do I reset my password please", "how do I reset my password"),
        ("Hi, quick question: I was wondering if you could tell me who won? Thanks!", "who won?"),
        ("Sorry to bother you, but who won?", "who won?"),
        ("Would you mind telling me who won", "who won"),
        ("Just curious, who won", "who won"),
        ("Thanks! And when was that?", "And when was that?"),
        ("Who won? Thanks so much for all the help!", "Who won?"),
        ("Could you help me with something? Who won?", "Who won?"),
        ("For my homework: who won?", "who won?"),
        ("Can I ask who won?", "who won?"),
        ("Great, what about the second one?", "what about the second one?"),
        # Commands: the verb frames a question word or what is asked for.
        ("Explain how glaciers form.", "how glaciers form?"),  # searched as the question it asks
        ("Describe briefly why the war started", "why the war started?"),
        ("Find out who won", "who won?"),
        ("Name the person who won", "who won?"),
        ("Give me the final score.", "the final score."),
        ("Could you name the largest city?", "the largest city?"),
        ("Walk me through how a bill becomes law", "how a bill becomes law?"),
        # ... but not a verb that is what the user asks how to do.
        ("list all databases", "list all databases"),
        ("Could you list all databases", "list all databases"),
        ("Find the config file", "Find the config file"),
        ("Show the tables", "Show the tables"),
        ("explain analyze output", "explain analyze output"),
        ("Name of the president?", "Name of the president?"),
        # A list marker of questions pasted as a list.
        ("1. Who won the final?", "Who won the final?"),
        ("(2) Hi, who won?", "who won?"),
        ("- who won the final", "who won the final"),
        ("1990 was the year of what?", "1990 was the year of what?"),
        ("3.5 million people live where?", "3.5 million people live where?"),
        # Nothing but courtesy: searched as typed.
        ("Thanks!", "Thanks!"),
        ("Hi!", "Hi!"),
        # Words inside a question, titles and names stay.
        ("Who sang Thank You", "Who sang Thank You"),
        ("who wrote the sitcom Cheers", "who wrote the sitcom Cheers"),
        ("Who said please?", "Who said please?"),
        ("hello world program in C", "hello world program in C"),
        ("Well-known uses of X?", "Well-known uses of X?"),
        ("a question of time", "a question of time"),
        ("Tell me why does the sun shine", "why does the sun shine?"),
        ("Tell me about the Normans", "the Normans"),
        ("Can you tell me more about the strike?", "the strike?"),
        ("so who won", "so who won"),
        ("Sorry Seems to Be the Hardest Word writer?", "Sorry Seems to Be the Hardest Word writer?"),
        ("Help desk hours?", "Help desk hours?"),
        ("Any chance of rain?", "Any chance of rain?"),
        ("Great Britain declared war when?", "Great Britain declared war when?"),
        ("Perfect competition is what?", "Perfect competition is what?"),
    ],
)
def test_only_courtesies_are_left_out(question: str, searched: str) -> None:
    assert without_courtesies(question) == searched
