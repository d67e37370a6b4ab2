"""Questions asking for a quantity need a quote that states one (`qa.answer.quantity`)."""

from __future__ import annotations

import pytest

from qa import Assistant
from qa.answer.quantity import asks_for_quantity, states_quantity


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
        "What percentage of voters turned out?",
    ],
)
def test_questions_that_ask_for_a_quantity(question: str) -> None:
    assert asks_for_quantity(question)


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
    assert not asks_for_quantity(question)


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
    assert states_quantity(text) is states


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
