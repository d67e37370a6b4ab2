"""Questions asking for a quantity or a time need a quote that can hold one (`qa.answer.kinds`)."""

from __future__ import annotations

import pytest

from qa import Assistant
from qa.answer.kinds import QUANTITY, TIME, asked_kind, holds


@pytest.mark.parametrize(
    "question",
    [
        "How many people live in Iraq?",
        "how much did the bridge cost",
        "In what year was the airstrike?",
        "Roughly how many troops stayed?",
        "The base is in Anbar; how long has it housed troops?",
        "What was the population of Warsaw in 1900?",
        "Which century saw the castle built?",
        "How many networks are partners, when it comes to broadcasting?",  # "how many", not "when"
        "What percentage of voters turned out?",
    ],
)
def test_questions_that_ask_for_a_quantity(question: str) -> None:
    assert asked_kind(question) == QUANTITY


@pytest.mark.parametrize(
    "question",
    [
        "What tool measures how much memory a task needs?",  # the quantity is what the tool measures
        "Who attacked the base?",
        "Why did the coalition end its mission?",
        "What happened on Tuesday?",
        "Where is the lighthouse?",
    ],
)
def test_questions_that_do_not(question: str) -> None:
    assert asked_kind(question) is None


@pytest.mark.parametrize(
    ("text", "states"),
    [
        ("Some 2,500 troops will remain.", True),
        ("The Ghetto held out for almost a month.", True),
        ("A single output is expected for every input.", True),
        ("Several lakes lie inside the city.", True),
        ("Around 20% of residents claim no religion.", True),
        ("No group claimed responsibility for the attack.", True),
        ("The tower was finished in the fourteenth century.", True),
        ("The coalition no longer has its own bases in Iraq.", False),
        ("The keeper lives in a stone cottage beside the harbour.", False),
    ],
)
def test_sentences_that_state_a_quantity(text: str, states: bool) -> None:
    assert holds(QUANTITY, text) is states


def test_a_quote_without_a_number_does_not_answer_how_many(assistant: Assistant) -> None:
    # The article says the coalition no longer has bases in Iraq, never for how long it has been there.
    answer = assistant.ask("How long has the coalition been in Iraq?")
    assert answer.confidence >= answer.threshold  # on the topic: it would have been quoted
    assert not answer.answered and answer.quotes == []
    assert "states no number" in answer.declined_because
    assert "states no number" in answer.to_dict()["declined_because"]
    assert not assistant.ranked("How long has the coalition been in Iraq?").answered


def test_a_quote_nearly_as_good_that_states_the_number_leads(assistant: Assistant) -> None:
    # The best match says the drones "were engaged and destroyed" (no number); the byline
    # sentence, nearly as good, says "Two explosives-laden drones ... were destroyed on Tuesday".
    answer = assistant.ask("How many drones were destroyed on Tuesday?")
    assert answer.answered and answer.declined_because == ""
    assert answer.quotes[0].text.startswith("BAGHDAD (AP) — Two explosives-laden drones"), answer.quotes[0].text
    assert assistant.ranked("How many drones were destroyed on Tuesday?").quotes[0].text.startswith("BAGHDAD (AP)")


def test_questions_answered_with_a_number_are_untouched(assistant: Assistant) -> None:
    answer = assistant.ask("How many troops will remain in Iraq?")
    assert answer.answered and answer.quotes[0].text.startswith("Some 2,500 troops")
    assert answer.declined_because == ""


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("When was the harbour lighthouse first lit?", TIME),
        ("Since when has the base housed troops?", TIME),
        ("The mission ended; when did it begin?", TIME),
        ("In what year did the mission end?", QUANTITY),  # a year is a number
        ("What do users get when it comes to support?", None),
    ],
)
def test_questions_that_ask_when(question: str, kind: str | None) -> None:
    assert asked_kind(question) == kind


@pytest.mark.parametrize(
    ("text", "places"),
    [
        ("The drones were destroyed on Tuesday.", True),
        ("Near the end of her life the keeper wrote it down.", False),
        ("It was reinstated after the war.", True),
        ("The castle was rebuilt in 1204.", True),
        ("The keeper lights the lamps with a long brass pole.", False),
        ("A monument to the lost fishermen stands beside the harbour.", False),
    ],
)
def test_sentences_that_place_something_in_time(text: str, places: bool) -> None:
    assert holds(TIME, text) is places


def test_a_quote_placing_nothing_in_time_does_not_answer_when(assistant: Assistant) -> None:
    # The article names the Ain al-Asad airbase, never when it was built.
    answer = assistant.ask("When was the Ain al-Asad airbase built?")
    assert answer.confidence >= answer.threshold  # on the topic: it would have been quoted
    assert not answer.answered and answer.quotes == []
    assert answer.declined_because == "The closest sentence says nothing about when, and the question asks when."
    # A "when" question the article answers is quoted with the sentence that says when.
    shot = assistant.ask("When did the drones get shot down?")
    assert shot.answered and shot.quotes[0].text.startswith("On Monday, two armed drones were shot down")
