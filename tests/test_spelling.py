"""Typing slips are corrected against the documents' own words, and nothing else is touched."""

from __future__ import annotations

import numpy as np
import pytest

from qa import Assistant
from qa.rank.spelling import ENGLISH, Speller


def test_a_slip_is_searched_as_the_documents_word_and_the_answer_says_so(assistant: Assistant) -> None:
    answer = assistant.ask("How many troops will remian in Iraq?")
    assert answer.answered and answer.quotes[0].text.startswith("Some 2,500 troops will remain")
    assert answer.question == "How many troops will remian in Iraq?"
    assert answer.searched == "How many troops will remain in Iraq?"
    assert answer.corrections == (("remian", "remain"),)
    body = answer.to_dict()
    assert body["searched"] == answer.searched and body["corrections"] == [{"typed": "remian", "searched": "remain"}]


def test_without_the_correction_the_slip_loses_the_answer(assistant: Assistant) -> None:
    """What the correction is for: the misspelt question, searched as typed, quotes another sentence."""
    speller, assistant.speller = assistant.speller, Speller(lambda keys: np.zeros(len(keys), dtype=np.int64))
    try:
        typed = assistant.ask("who was killed by the drone strke at baghdad airport")
    finally:
        assistant.speller = speller
    fixed = assistant.ask("who was killed by the drone strke at baghdad airport")
    assert fixed.corrections == (("strke", "strike"),)
    assert fixed.answered and "killed Gen. Qassim Soleimani" in fixed.quotes[0].text
    assert typed.corrections == () and typed.confidence < fixed.confidence


@pytest.mark.parametrize(
    ("question", "searched"),
    [
        ("Who killed Soleimanni?", "Who killed Soleimani?"),  # a capital kept
        ("how many troops will remain in iraq", "how many troops will remain in iraq"),  # nothing to do
        # English words stay, even where the documents never use them.
        ("what stitching method was used", "what stitching method was used"),
        ("which perk comes with the mission", "which perk comes with the mission"),
        # Acronyms, names in capitals, code names and paths are not slips.
        ("what does NATOO say", "what does NATOO say"),
        ("what does os.makedirs do", "what does os.makedirs do"),
        ("what does work_mem control", "what does work_mem control"),
        ("where is /etc/troopz", "where is /etc/troopz"),
        # No word of the documents is one edit away: left as typed.
        ("what is a xylophonz", "what is a xylophonz"),
        # More unknown words than a typist's slips: another language, searched as typed.
        ("wieviele soldaten bleiben remian irak", "wieviele soldaten bleiben remian irak"),
    ],
)
def test_only_slips_are_corrected(assistant: Assistant, question: str, searched: str) -> None:
    assert assistant.speller.correct(question).text == searched


def test_the_english_word_list_is_there() -> None:
    """Without it every unknown word would be a slip; the package ships it."""
    assert len(ENGLISH.words()) > 100_000
    assert ENGLISH.holds(["stitching", "withhold", "remian"]).tolist() == [True, True, False]


def test_a_name_typed_without_its_accents_is_searched_with_them(tmp_path, encoder) -> None:  # type: ignore[no-untyped-def]
    """Users type names on an English keyboard: "dvorak" is the documents' "Dvořák", no slip."""
    from tests.test_answers import ask_one_page

    page = (
        "Antonín Dvořák wrote the New World Symphony in 1893 while he lived in New York. "
        "Dvorak is also the name of a keyboard layout. "
        "Bedřich Smetana wrote Má vlast, a cycle of six symphonic poems. "
        "Leoš Janáček collected Moravian folk songs before he wrote his operas. "
        "She sent her résumé to the orchestra in Brno."
    )
    answer = ask_one_page(tmp_path, encoder, "composers.txt", page, "which symphony did antonin dvorak write")
    assert answer.corrections == (("antonin", "antonín"),)  # "dvorak" is also in the page, bare
    assert answer.answered and answer.quotes[0].text.startswith("Antonín Dvořák wrote")
    speller = Assistant.open(tmp_path / "index").speller
    assert speller.correct("who collected moravian songs, janacek").text == "who collected moravian songs, janáček"
    assert speller.correct("Who wrote Ma vlast? Smetana, Bedrich").text == "Who wrote Ma vlast? Smetana, Bedřich"
    # Accents are no slip: an English word typed bare is the page's word with them.
    assert speller.correct("who sent her resume").text == "who sent her résumé"
    assert speller.correct("who sent her resume to rome").text == "who sent her résumé to rome"


def test_a_hostile_question_costs_a_bounded_number_of_lookups() -> None:
    """Eight long runs of vowels: pairs of accents in every word were 220,000 candidate lookups (3 s)."""
    asked: list[int] = []

    def term_counts(keys: np.ndarray) -> np.ndarray:
        asked.append(len(keys))
        return np.zeros(len(keys), dtype=np.int64)

    vowels = "aeiou" * 5
    question = " ".join(vowels[i : i + 24] for i in range(8))
    assert Speller(term_counts).correct(question).text == question
    assert sum(asked) < 5_000
