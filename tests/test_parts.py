"""A message asking several questions gets an answer to each, a later one read as a follow-up."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import qa.answer.assistant as assistant_module
from qa import Assistant
from qa.cli import cli
from qa.rank.parts import MAX_PARTS, split_questions

TROOPS = "How many troops will remain in Iraq?"
KILLED = "Who was killed by the 2020 drone strike at Baghdad airport?"
ABSENT = "What is the boiling point of tungsten in kelvin?"


def test_each_question_of_a_message_is_answered(assistant: Assistant) -> None:
    answer = assistant.ask(f"{TROOPS} {KILLED}")
    assert [part.question for part in answer.parts] == [TROOPS, KILLED]
    assert all(part.answered for part in answer.parts)
    troops, killed = (part.quotes[0].text for part in answer.parts)
    assert troops.startswith("Some 2,500 troops will remain") and "killed Gen. Qassim Soleimani" in killed
    # The quotes hold the first of each question first; the answer text both.
    assert [q.text for q in answer.quotes[:2]] == [troops, killed]
    assert answer.answered and answer.answer == f"{troops} {killed}"
    body = answer.to_dict()
    assert [part["question"] for part in body["parts"]] == [TROOPS, KILLED]
    assert body["parts"][0]["parts"] == [] and body["parts"][0]["quotes"][0]["text"] == troops


def test_two_questions_joined_by_and_are_answered_each(assistant: Assistant) -> None:
    answer = assistant.ask("How many troops will remain in Iraq and who was killed by the 2020 drone strike?")
    assert [part.question for part in answer.parts] == [TROOPS, "who was killed by the 2020 drone strike?"]
    assert answer.parts[0].quotes[0].text.startswith("Some 2,500 troops will remain")
    assert "killed Gen. Qassim Soleimani" in answer.parts[1].quotes[0].text


def test_searched_whole_one_answer_is_lost(assistant: Assistant, monkeypatch: pytest.MonkeyPatch) -> None:
    """What splitting is for: one ranking of both questions' words shows one answer."""
    split = assistant.ask(f"{TROOPS} {KILLED}", top_k=1)
    assert len(split.quotes) == 2  # one for each question, even at top_k=1
    monkeypatch.setattr(assistant_module, "split_questions", lambda message: [message])
    whole = assistant.ask(f"{TROOPS} {KILLED}", top_k=3)
    assert whole.parts == [] and not any(q.text.startswith("Some 2,500 troops") for q in whole.quotes)


def test_a_later_question_that_points_back_is_read_with_the_one_before(assistant: Assistant) -> None:
    alone = assistant.ask("Which force did he lead?")
    answer = assistant.ask(f"{KILLED} Which force did he lead?")
    assert not alone.answered
    assert answer.parts[1].answered and "Quds Force" in answer.parts[1].quotes[0].text


def test_a_command_then_a_question_gets_an_answer_each(assistant: Assistant) -> None:
    answer = assistant.ask("Describe what was painted on the drone. Who was killed in 2020?")
    assert [part.question for part in answer.parts] == [
        "Describe what was painted on the drone.",  # the user's words, courtesies aside
        "Who was killed in 2020?",
    ]
    assert answer.parts[0].searched == "what was painted on the drone?"
    painted, killed = (part.quotes[0].text for part in answer.parts)
    assert "“Soleimani’s revenge” painted on it" in painted and "killed Gen. Qassim Soleimani" in killed


def test_a_question_the_documents_do_not_answer_is_declined_on_its_own(assistant: Assistant) -> None:
    answer = assistant.ask(f"{TROOPS} {ABSENT}")
    assert answer.answered and [part.answered for part in answer.parts] == [True, False]
    assert [q.text[:30] for q in answer.quotes] == [answer.parts[0].quotes[0].text[:30]]


def test_the_cli_prints_each_question_with_its_answer(seed_index) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(cli, ["ask", f"{TROOPS} {ABSENT}", "--index", str(seed_index)])
    assert result.exit_code == 0, result.output
    assert f"Q1: {TROOPS}\n“Some 2,500 troops will remain" in result.output
    assert f"Q2: {ABSENT}\nNot found in the documents." in result.output
    body = json.loads(
        CliRunner().invoke(cli, ["ask", f"{TROOPS} {ABSENT}", "--index", str(seed_index), "--json"]).output
    )
    assert [part["answered"] for part in body["parts"]] == [True, False]


@pytest.mark.parametrize(
    ("message", "questions"),
    [
        ("When was Tesla born? Where did he study?", ["When was Tesla born?", "Where did he study?"]),
        ("What is X?? What is Y?", ["What is X??", "What is Y?"]),
        # A second question joined by "and", told by its question word and verb.
        ("When was Tesla born and where did he study?", ["When was Tesla born?", "where did he study?"]),
        (
            "When did the war start and how many soldiers were killed?",
            ["When did the war start?", "how many soldiers were killed?"],
        ),
        (
            "Southern California is known for tourism and what other trait?",
            ["Southern California is known for tourism and what other trait?"],
        ),
        (
            "British commentators include Darren Fletcher and who else?",
            ["British commentators include Darren Fletcher and who else?"],
        ),
        ("Who won and where was it?", ["Who won and where was it?"]),
        ("Who won the game and where was it? Thanks!", ["Who won the game?", "where was it? Thanks!"]),
        # Typed as into a search box: split at "and" only, when it opens as a question.
        ("who won the game and where was it played", ["who won the game", "where was it played"]),
        ("I know who won the game and where it was played", ["I know who won the game and where it was played"]),
        # One question: a fragment or a thanks leans on the question before it.
        ("Who won the game? And when?", ["Who won the game? And when?"]),
        ("Who won the 2016 cup final? Thanks!", ["Who won the 2016 cup final? Thanks!"]),
        (
            "Could you help me with something? Who won the game?",
            ["Could you help me with something? Who won the game?"],
        ),
        ("Who won? Where was it played?", ["Who won? Where was it played?"]),
        # A question mark ends a question, and so does a command's full stop.
        ("Describe the attack on the base. Who claimed it?", ["Describe the attack on the base.", "Who claimed it?"]),
        (
            "Describe the U.S. strike on Jan. 3. Who ordered it?",
            ["Describe the U.S. strike on Jan. 3.", "Who ordered it?"],
        ),
        ("Name the general. When was he killed?", ["Name the general. When was he killed?"]),  # two words: leans on
        (
            "Hi! Describe the attack on the base. Who claimed it?",
            ["Hi! Describe the attack on the base.", "Who claimed it?"],
        ),
        ("I read about Tesla. When was he born?", ["I read about Tesla. When was he born?"]),
        ("Who won the 2016 cup final? where was it played", ["Who won the 2016 cup final? where was it played"]),
        ("who won the game?where was it played?", ["who won the game?where was it played?"]),
        ("What does os.path.join(a, b) do?", ["What does os.path.join(a, b) do?"]),
    ],
)
def test_questions_in_a_message(message: str, questions: list[str]) -> None:
    assert split_questions(message) == questions


def test_at_most_max_parts_questions() -> None:
    message = " ".join(f"Who scored goal number {n}?" for n in range(1, 7))
    parts = split_questions(message)
    assert len(parts) == MAX_PARTS and " ".join(parts) == message
