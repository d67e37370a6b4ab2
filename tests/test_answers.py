"""Answers from the real model on the seed article: quotes, abstention, follow-ups, the JSON shape."""

from __future__ import annotations

import pytest

from qa import Assistant
from qa.errors import BadQuestionError, DocumentNotFoundError
from tests.conftest import SEED

# Each question with the start of the sentence that answers it.
EXPECTED = [
    ("How many troops will remain in Iraq?", "Some 2,500 troops will remain"),
    ("Who contributed reporting to the story?", "Associated Press writer Zeina Karam"),
    ("What system shot down the drones on Monday?", "In Monday’s attack, the drones were shot down by the C-RAM"),
    ("What words were painted on the wing of a drone?", "No group claimed responsibility"),
    ("Where were the fixed-wing drones destroyed?", "According to the official, the fixed-wing drones"),
    ("Who was killed in the 2020 drone strike at Baghdad's airport?", "The 2020 U.S. drone strike"),
    ("When did the coalition end its combat mission?", "The U.S.-led coalition formally ended its combat mission"),
    ("What do pro-Iran factions demand before attacks end?", "Pro-Iran Shiite factions in Iraq have vowed revenge"),
    ("how many american soldiers are staying", "Some 2,500 troops will remain"),
]

OUT_OF_CORPUS = [
    "What is the boiling point of water?",
    "Who won the 2018 FIFA World Cup?",
    "How do I bake sourdough bread at home?",
    "What is the capital of Australia?",
]


@pytest.mark.parametrize(("question", "start"), EXPECTED)
def test_answers_quote_the_right_sentence(assistant: Assistant, question: str, start: str) -> None:
    answer = assistant.ask(question)
    assert answer.answered, question
    assert answer.quotes[0].text.startswith(start), answer.quotes[0].text


@pytest.mark.parametrize("question", OUT_OF_CORPUS)
def test_declines_questions_the_documents_do_not_answer(assistant: Assistant, question: str) -> None:
    answer = assistant.ask(question)
    assert not answer.answered
    assert answer.quotes == []
    assert "could not find" in answer.answer


def test_quotes_are_verbatim_with_context(assistant: Assistant) -> None:
    answer = assistant.ask("What happened to the drones at Ain al-Asad?", top_k=5)
    assert 1 <= len(answer.quotes) <= 5
    scores = [q.score for q in answer.quotes]
    assert scores == sorted(scores, reverse=True)
    for quote in answer.quotes:
        text = assistant.document_text(quote.document)
        assert text[quote.start : quote.end] == quote.text
        assert quote.text in quote.context and quote.context in text
        assert quote.document == SEED


def test_furniture_is_never_quoted(assistant: Assistant) -> None:
    for question in [
        "How do I sign in?",
        "How can I order copies of Toronto Star articles?",
        "Who owns the copyright?",
    ]:
        for quote in assistant.ask(question, top_k=20).quotes:
            assert "Sign In" not in quote.text and "Toronto Star" not in quote.text


def test_follow_up_uses_history(assistant: Assistant) -> None:
    first = assistant.ask("Which general was killed near Baghdad airport in 2020?", top_k=3)
    assert any("Qassim Soleimani" in q.text for q in first.quotes)
    history = [{"question": first.question, "answer": first.answer}]
    follow_up = assistant.ask("Which force did he lead?", history=history)
    assert follow_up.answered
    assert "Quds Force" in follow_up.quotes[0].text
    # Without the history the same words do not say who "he" is: no confident Quds Force answer.
    alone = assistant.ask("Which force did he lead?")
    assert not alone.answered or "Quds Force" not in alone.quotes[0].text


def test_unrelated_history_is_ignored(assistant: Assistant) -> None:
    history = [{"question": "What is the boiling point of water?", "answer": "I could not find an answer."}]
    answer = assistant.ask("How many troops will remain in Iraq?", history=history)
    assert answer.quotes[0].text.startswith("Some 2,500 troops will remain")


def test_to_dict_is_the_api_schema(assistant: Assistant) -> None:
    body = assistant.ask("How many troops will remain in Iraq?", top_k=2).to_dict()
    assert set(body) == {"question", "answered", "answer", "quotes", "took_ms"}
    assert body["answer"] == body["quotes"][0]["text"]
    assert set(body["quotes"][0]) == {"text", "document", "start", "end", "score", "context"}
    declined = assistant.ask("What is the boiling point of water?").to_dict()
    assert declined["answered"] is False and declined["quotes"] == [] and declined["answer"]


@pytest.mark.parametrize("question", ["", "   \n\t ", "x" * 2001, None, 42])
def test_bad_questions(assistant: Assistant, question) -> None:
    with pytest.raises(BadQuestionError):
        assistant.ask(question)


def test_hostile_questions_do_not_break(assistant: Assistant) -> None:
    for question in [
        "\x00\x01 drones?",
        "🚁🚁 drones 💥?",
        "Дроны в Ираке?",
        "'; DROP TABLE x; --",
        "<b>troops</b>",
        "a " * 999,
    ]:
        answer = assistant.ask(question)
        assert isinstance(answer.answered, bool)


def test_document_text_and_locate(assistant: Assistant) -> None:
    text = assistant.document_text(SEED)
    assert text.startswith("US-led coalition")
    assert assistant.locate(SEED, text.index("Some 2,500")) == "line 14"
    with pytest.raises(DocumentNotFoundError):
        assistant.document_text("../etc/passwd")


def test_batch_matches_single(assistant: Assistant) -> None:
    questions = [q for q, _ in EXPECTED[:4]]
    batch = assistant.ask_batch(questions)
    for question, answer in zip(questions, batch):
        assert answer.quotes[0].text == assistant.ask(question).quotes[0].text
