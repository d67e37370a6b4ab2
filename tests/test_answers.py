"""Answers from the real model on the seed article: quotes, abstention, follow-ups, the JSON shape."""

from __future__ import annotations

import pytest

from qa import Assistant
from qa.answer.assistant import EXTRA_QUOTE_SHARE, SAME_PARAGRAPH_SHARE
from qa.errors import BadQuestionError, DocumentNotFoundError
from tests.conftest import SEED

# Each question with the start of the sentence that answers it.
EXPECTED = [
    ("How many troops will remain in Iraq?", "Some 2,500 troops will remain"),
    ("What system shot down the drones on Monday?", "In Monday’s attack, the drones were shot down by the C-RAM"),
    ("What words were painted on the wing of a drone?", "No group claimed responsibility"),
    ("Where were the fixed-wing drones destroyed?", "According to the official, the fixed-wing drones"),
    ("Who was killed in the 2020 drone strike at Baghdad's airport?", "The 2020 U.S. drone strike"),
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


def test_a_near_tie_shows_both_sentences(assistant: Assistant) -> None:
    """Two sentences say the mission ended; the one that says when ("last month") matches the question's
    words a little less well (0.55 against 0.56), so it comes second: it must still be shown."""
    answer = assistant.ask("When did the coalition end its combat mission?")
    texts = [q.text for q in answer.quotes[:2]]
    assert any(t.startswith("The U.S.-led coalition formally ended its combat mission") for t in texts), texts


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


def test_furniture_headlines_and_bylines_are_never_quoted(assistant: Assistant) -> None:
    for question in [
        "How do I sign in?",
        "How can I order copies of Toronto Star articles?",
        "Who owns the copyright?",
        "Who contributed reporting to the story?",
        "What is the headline about the attack with armed drones?",
    ]:
        for quote in assistant.ask(question, top_k=20).quotes:
            assert "Sign In" not in quote.text and "Toronto Star" not in quote.text
            assert "contributed reporting" not in quote.text and not quote.text.startswith("US-led coalition:")


def test_follow_up_uses_history(assistant: Assistant) -> None:
    first = assistant.ask("Who was killed by the 2020 drone strike at Baghdad airport?", top_k=3)
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
    # The first version's fields, unchanged; the later ones added beside them.
    assert set(body) == {
        "question",
        "answered",
        "answer",
        "quotes",
        "took_ms",
        "confidence",
        "threshold",
        "conflicts",
        "searched",
        "corrections",
        "parts",
        "changed_since_indexed",
        "declined_because",
    }
    assert body["searched"] == body["question"] and body["corrections"] == [] and body["parts"] == []
    assert body["changed_since_indexed"] == [] and body["declined_because"] == ""
    assert body["answer"] == body["quotes"][0]["text"]
    assert set(body["quotes"][0]) == {"text", "document", "start", "end", "score", "context", "matched", "evidence"}
    assert set(body["quotes"][0]["evidence"]) == {"cosine", "bm25", "passage", "word_match", "confidence", "lead"}
    assert body["confidence"] >= body["threshold"]
    declined = assistant.ask("What is the boiling point of water?").to_dict()
    assert declined["answered"] is False and declined["quotes"] == [] and declined["answer"]
    assert declined["confidence"] < declined["threshold"] and declined["declined_because"] == ""


def test_matched_words_are_spans_of_the_quote(assistant: Assistant) -> None:
    quote = assistant.ask("How many troops will remain in Iraq?").quotes[0]
    found = {m.word.lower(): quote.text[m.start : m.end] for m in quote.matched}
    assert found == {"troops": "troops", "remain": "remain", "iraq": "Iraqi"}
    assert all(0.6 <= m.similarity <= 1.0 for m in quote.matched)
    # Question words that are not in the quote are not claimed, and stop words never are.
    other = assistant.ask("Which general was killed near Baghdad airport in 2020?", top_k=3).quotes
    for q in other:
        assert all(m.word.lower() not in {"which", "was", "in"} for m in q.matched)
        assert all(q.text[m.start : m.end].strip() == q.text[m.start : m.end] for m in q.matched)


def test_evidence_explains_the_order(assistant: Assistant) -> None:
    answer = assistant.ask("How many troops will remain in Iraq?", top_k=3)
    for quote in answer.quotes:
        e = quote.evidence
        assert e is not None and abs(e.word_match + e.lead - quote.score) < 2e-4 and e.confidence >= e.cosine
    assert answer.quotes[0].evidence.confidence == pytest.approx(answer.confidence, abs=1e-4)
    assert answer.quotes[0].evidence.bm25 > 0  # it shares the question's words


@pytest.mark.parametrize("question", ["What is the C-RAM?", "What is the Popular Mobilization Forces?"])
def test_the_confidence_rests_on_what_the_question_asks_about(assistant: Assistant, question: str) -> None:
    # Over one short article "what" and "is" occur in no sentence, so the index weighs them
    # as the rarest words; the confidence counted them in full and declined these.
    answer = assistant.ask(question)
    assert answer.answered, answer.confidence
    for absent in ("Who is Joe Biden?", "What is the capital of France?", "Who won the 2018 World Cup?"):
        assert not assistant.ask(absent).answered


def test_extra_quotes_must_deserve_to_be_shown(assistant: Assistant) -> None:
    """An extra quote is nearly as good as the first, or in its paragraph: never there just to fill top_k."""
    for question in ("How many troops will remain in Iraq?", "Which general was killed near Baghdad airport in 2020?"):
        answer = assistant.ask(question, top_k=5)
        first = answer.quotes[0]
        text = assistant.document_text(first.document)
        for quote in answer.quotes[1:]:
            span = text[min(quote.start, first.start) : max(quote.end, first.end)]
            same_paragraph = quote.document == first.document and "\n" not in span
            assert quote.score >= EXTRA_QUOTE_SHARE * first.score or (
                same_paragraph and quote.score >= SAME_PARAGRAPH_SHARE * first.score
            )
        ranked = assistant.ranked(question, 5)
        assert len(ranked.quotes) == 5 and len(answer.quotes) < 5
    # The byline's "BAGHDAD (AP)" shares a word with the question but not the first quote's paragraph.
    shown = assistant.ask("Which general was killed near Baghdad airport in 2020?", top_k=5).quotes
    assert not any(q.text.startswith("BAGHDAD (AP)") for q in shown)


@pytest.mark.parametrize("question", ["", "   \n\t ", "x" * 2001, None, 42])
def test_bad_questions(assistant: Assistant, question) -> None:
    with pytest.raises(BadQuestionError):
        assistant.ask(question)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("\x00\x01 How many troops will remain?", "Some 2,500 troops"),  # control characters are dropped
        ("🚁🚁 How many troops will remain in Iraq 💥?", "Some 2,500 troops"),
        ("<b>How many troops</b> will remain in Iraq?", "Some 2,500 troops"),
        ("'; DROP TABLE x; --", None),
        ("a " * 999, None),
    ],
)
def test_hostile_questions_are_answered_or_declined_plainly(assistant: Assistant, question: str, expected) -> None:
    answer = assistant.ask(question)
    if expected is None:
        assert not answer.answered and answer.quotes == [] and "could not find" in answer.answer
    else:
        assert answer.answered and answer.quotes[0].text.startswith(expected)
    for quote in answer.quotes:
        assert assistant.document_text(quote.document)[quote.start : quote.end] == quote.text


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


MANUAL = """# VACUUM

VACUUM reclaims storage occupied by dead tuples.
In normal operation, tuples deleted by an update are not removed until a VACUUM is done.
Plain VACUUM can run in parallel with ordinary reading and writing of the table.

# TRUNCATE

TRUNCATE quickly removes all rows from a set of tables.
TRUNCATE acquires an ACCESS EXCLUSIVE lock on each table it operates on.
TRUNCATE is not MVCC-safe, unlike a DELETE that scans each table.

# CLUSTER

CLUSTER instructs the database to order a table based on an index.
When a table is clustered with CLUSTER, later changes to it are not clustered.
CLUSTER without a table name reclusters every table the user owns.
"""


@pytest.mark.parametrize(
    ("question", "lead"),
    [
        ("what does vacuum do", "VACUUM reclaims storage"),
        ("what does truncate do", "TRUNCATE quickly removes"),
        ("what does cluster do", "CLUSTER instructs the database"),
    ],
)
def test_the_sentence_that_opens_a_section_defines_its_heading(tmp_path, encoder, question: str, lead: str) -> None:
    answer = ask_one_page(tmp_path, encoder, "manual.md", MANUAL, question)
    assert answer.answered and answer.quotes[0].text.startswith(lead)


# An API reference as Node.js writes it: under each entry's heading, its parameters as a
# list, then the sentence that says what it does.
PARAMETERS_FIRST = """# Harbour

## `harbour.assign(boat[, length])`

* `boat` {string} The name of the boat.
* `length` {number} Its length in metres. **Default:** `12`.
* Returns: {string} The berth given.

The `harbour.assign()` method gives a boat the smallest free berth that fits it.

If no berth is free, the boat joins the waiting list.

## `harbour.release(berth)`

* `berth` {string} A berth that `harbour.assign()` gave.

The `harbour.release()` method frees a berth for the next boat.

A berth that is already free is left as it is.
"""


@pytest.mark.parametrize(
    ("question", "lead"),
    [
        ("what does harbour.assign do", "The `harbour.assign()` method gives"),
        ("what does harbour.release do", "The `harbour.release()` method frees"),
    ],
)
def test_the_sentence_after_a_list_of_parameters_says_what_the_entry_does(
    tmp_path, encoder, question: str, lead: str
) -> None:
    answer = ask_one_page(tmp_path, encoder, "harbour.md", PARAMETERS_FIRST, question)
    assert answer.answered and answer.quotes[0].text.startswith(lead)


def test_a_question_in_the_text_is_not_quoted_as_its_answer(tmp_path, encoder) -> None:
    page = (
        "# Harbours\n\nWhat is the difference between a harbour and a port?\n\n"
        "A harbour is sheltered water where boats are safe from storms, and a port is a place "
        "where ships load and unload their cargo.\n"
    )
    answer = ask_one_page(tmp_path, encoder, "faq.md", page, "what's the difference between a harbour and a port")
    assert answer.answered and answer.quotes[0].text.startswith("A harbour is sheltered water")


def ask_one_page(tmp_path, encoder, name: str, text: str, question: str):  # type: ignore[no-untyped-def]
    """Index a folder holding one page and ask it one question."""
    from qa.build import build_index

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / name).write_text(text)
    build_index(docs, tmp_path / "index", encoder=encoder)
    return Assistant.open(tmp_path / "index").ask(question)


# A reference page as Sphinx writes it: each entry's name is in its signature (a <dt>), and
# the description under it rarely repeats it; other entries mention the name in passing.
REFERENCE = """<html><head><title>os — Operating system interfaces</title></head><body>
<h1>os — Operating system interfaces</h1>
<h2>Files and Directories</h2>
<dl class="py function">
<dt class="sig sig-object py" id="os.remove">os.remove(path, *, dir_fd=None)</dt>
<dd><p>Remove (delete) the file path. If path is a directory, an OSError is raised.
Use rmdir() to remove directories.</p></dd>
</dl>
<dl class="py function">
<dt class="sig sig-object py" id="os.removedirs">os.removedirs(name)</dt>
<dd><p>Remove directories recursively. Works like rmdir() except that, if the leaf directory is
successfully removed, removedirs() tries to successively remove every parent directory
mentioned in path until an error is raised. For example, os.removedirs('foo/bar/baz') will
first remove the directory 'foo/bar/baz', and then remove 'foo/bar' and 'foo' if they are
empty.</p></dd>
</dl>
<h2>Logging</h2>
<dl class="py function">
<dt class="sig sig-object py" id="logging.info">logging.info(msg, *args, **kwargs)</dt>
<dd><p>Logs a message with level INFO on the root logger. The arguments are interpreted as for
debug().</p></dd>
</dl>
<dl class="py function">
<dt class="sig sig-object py" id="logging.disable">logging.disable(level=CRITICAL)</dt>
<dd><p>Provides an overriding level for all loggers which takes precedence over the logger's own
level. Its effect is to disable all logging calls of severity level and below, so that if you
call logging.info with a value of INFO, then all INFO and DEBUG events would be discarded.</p></dd>
</dl>
</body></html>
"""


@pytest.mark.parametrize(
    ("question", "lead"),
    [
        ("what does os.remove do", "Remove (delete) the file path."),
        ("what does logging.info do", "Logs a message with level INFO"),
    ],
)
def test_a_sentence_under_the_definition_beats_one_naming_it_in_passing(
    tmp_path, encoder, question: str, lead: str
) -> None:
    answer = ask_one_page(tmp_path, encoder, "os.html", REFERENCE, question)
    assert answer.answered and answer.quotes[0].text.startswith(lead)
