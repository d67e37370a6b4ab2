"""Sentence splitting: abbreviations, initials, quotes, reference markers, lists, page furniture, exact offsets."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.read.document import HEADING, TEXT, Block
from qa.read.files import extract
from qa.read.text import paragraphs
from qa.split import split_document
from qa.split.sentences import MAX_SENTENCE_CHARS, split_blocks, split_sentences
from tests.conftest import DATA, SEEDS
from tests.pdfmaker import make_pdf


def sentences(text: str) -> list[str]:
    return [text[s.start : s.end] for s in split_sentences(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The base houses troops with the U.S.-led international coalition. It is in Iraq.",
            ["The base houses troops with the U.S.-led international coalition.", "It is in Iraq."],
        ),
        (
            "The strike killed Gen. Qassim Soleimani, who was the head of Iran's Quds Force. Others died too.",
            ["The strike killed Gen. Qassim Soleimani, who was the head of Iran's Quds Force.", "Others died too."],
        ),
        (
            "BAGHDAD (AP) — Two drones were destroyed on Tuesday, a coalition official said. No one was hurt.",
            ["BAGHDAD (AP) — Two drones were destroyed on Tuesday, a coalition official said.", "No one was hurt."],
        ),
        (
            "“These are attacks,“ the official said. “We maintain a minimal footprint on Iraqi bases.” Then he left.",
            [
                "“These are attacks,“ the official said.",
                "“We maintain a minimal footprint on Iraqi bases.”",
                "Then he left.",
            ],
        ),
        ('He asked: "Is it over?" She said no.', ['He asked: "Is it over?"', "She said no."]),
        (
            "The book by J. R. R. Tolkien sold well. Dr. Smith agreed.",
            ["The book by J. R. R. Tolkien sold well.", "Dr. Smith agreed."],
        ),
        ("It costs 3.5 million dollars, i.e. a lot. Really.", ["It costs 3.5 million dollars, i.e. a lot.", "Really."]),
        ("First line without a stop\nSecond line.", ["First line without a stop", "Second line."]),
    ],
)
def test_split(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_hard_wrapped_lines_are_joined() -> None:
    text = (
        "The expedition reached the summit of Mount\nKilimanjaro on 14 February 2019 after a long climb. Dr. Okafor\n"
        "led the team.\n\n# Equipment\n- a rope that is long enough for the whole team\n- tents\nShort title\n"
        "A closing line.\n"
    )
    assert sentences(text) == [
        "The expedition reached the summit of Mount\nKilimanjaro on 14 February 2019 after a long climb.",
        "Dr. Okafor\nled the team.",
        "# Equipment",
        "- a rope that is long enough for the whole team",
        "- tents",
        "Short title",
        "A closing line.",
    ]


def test_wrapped_pdf_text_gives_whole_sentences() -> None:
    doc = extract("w.pdf", make_pdf(["The bridge was opened to traffic in", "It spans 503 metres."]))
    assert "The bridge was opened to traffic in" in sentences(doc.text)  # pages do not run together


def test_seed_furniture_is_not_quotable() -> None:
    text = (SEEDS / "000_d9e46d3c2be1d409.txt").read_text()
    spans = split_sentences(text)
    furniture = [text[s.start : s.end] for s in spans if not s.quotable]
    prose = [text[s.start : s.end] for s in spans if s.quotable]
    assert furniture.count("Sign In") == 2
    assert any(f.startswith("This copy is for your personal non-commercial use") for f in furniture)
    assert any(f.startswith("Copyright owned or licensed by Toronto Star") for f in furniture)
    assert any(f.startswith("To order copies of Toronto Star articles") for f in furniture)
    assert not any("Sign In" in p or "Toronto Star" in p for p in prose)
    assert any(p.startswith("Some 2,500 troops will remain") for p in prose)


def test_long_paragraph_about_copyright_stays_prose() -> None:
    words = " ".join(["The law changed how authors are paid for their work."] * 12)
    text = f"Copyright law protects authors. {words}"
    assert all(s.quotable for s in split_sentences(text)[1:])


def _documents() -> list[str]:
    texts = [p.read_text() for p in SEEDS.iterdir()]
    texts += [extract(p.name, p.read_bytes()).text for p in DATA.iterdir() if p.suffix in {".md", ".html", ".txt"}]
    texts.append(extract("x.pdf", make_pdf(["A page. Another sentence.", "Second page here."])).text)
    return texts


@pytest.mark.parametrize("text", _documents())
def test_offsets_are_exact(text: str) -> None:
    spans = split_sentences(text)
    assert spans
    previous_end = 0
    for span in spans:
        quote = text[span.start : span.end]
        assert quote == quote.strip() and quote
        assert span.start >= previous_end
        previous_end = span.end
    # Nothing but white space is left between sentences.
    covered = "".join(text[s.start : s.end] for s in spans)
    assert "".join(text.split()) == "".join(covered.split())


def test_offsets_on_awkward_text() -> None:
    text = "  \n\n...?! “”  A. B. c. Mr. X. 1. 2.\n\t\u00a0Émile était là… Oui!  \n"
    for span in split_sentences(text):
        assert text[span.start : span.end].strip() == text[span.start : span.end]


def test_reader_keeps_documents_offsets(tmp_path: Path) -> None:
    path = tmp_path / "crlf.txt"
    path.write_bytes(b"First line.\r\nSecond line.\r\n")
    doc = extract(path.name, path.read_bytes())
    assert [doc.text[s.start : s.end] for s in split_sentences(doc.text)] == ["First line.", "Second line."]


# The faults the issue found on SQuAD: each probe must split (or not) exactly so.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The last word of a sentence is the whole word: its last letter is no initial.
        ("It grew in the 1990s. Then it shrank.", ["It grew in the 1990s.", "Then it shrank."]),
        ("He was born in Kraków. He moved to Vienna.", ["He was born in Kraków.", "He moved to Vienna."]),
        ("Water boils at 100 °C. It freezes at 0 °C.", ["Water boils at 100 °C.", "It freezes at 0 °C."]),
        # Ordinary words that are also abbreviations elsewhere end sentences.
        ("He said no. Then he left.", ["He said no.", "Then he left."]),
        ("The cat sat. Then it slept.", ["The cat sat.", "Then it slept."]),
        ("The answer was a firm no. Notable people agreed.", ["The answer was a firm no.", "Notable people agreed."]),
        # A single capital is an initial only before a name.
        (
            "Oranges are rich in vitamin C. It is an antioxidant.",
            ["Oranges are rich in vitamin C.", "It is an antioxidant."],
        ),
        ("He fought in World War I. He was wounded twice.", ["He fought in World War I.", "He was wounded twice."]),
        ("Z is the oldest grammar in C. This means a lot.", ["Z is the oldest grammar in C.", "This means a lot."]),
        (
            "President George W. Bush spoke. Albert I. Jones listened.",
            ["President George W. Bush spoke.", "Albert I. Jones listened."],
        ),
        # A sentence may open with any capital, a digit or a symbol.
        (
            "The prize went to Bernard. Émile Zola wrote about it.",
            ["The prize went to Bernard.", "Émile Zola wrote about it."],
        ),
        (
            "Counting is hard. #P is the class of counting problems.",
            ["Counting is hard.", "#P is the class of counting problems."],
        ),
        ("It cost a lot. $5 million was paid.", ["It cost a lot.", "$5 million was paid."]),
        ("Ça va. Ölçü var. Ωmega.", ["Ça va.", "Ölçü var.", "Ωmega."]),
        # A reference marker glued to the period stays with its sentence.
        (
            "She had a fine ear for music.:33 She was a linguist.",
            ["She had a fine ear for music.:33", "She was a linguist."],
        ),
        ("Tesla arrived.:162–164 In 1912 he left.", ["Tesla arrived.:162–164", "In 1912 he left."]),
        (
            "The signals reached Paris.[citation needed] The book followed.",
            ["The signals reached Paris.[citation needed]", "The book followed."],
        ),
        ("It was built in 1900.[1][2] It fell in 1904.", ["It was built in 1900.[1][2]", "It fell in 1904."]),
        ("It was hard.[citation needed]. The end came.", ["It was hard.[citation needed].", "The end came."]),
        # ... and abbreviations that never end a sentence before what follows them.
        (
            "Dr. Okafor met Mt. Fuji climbers at St. Paul's. They left.",
            ["Dr. Okafor met Mt. Fuji climbers at St. Paul's.", "They left."],
        ),
        (
            "It is No. 5 on p. 55 of Vol. 2 in Jan. 2020. Read it.",
            ["It is No. 5 on p. 55 of Vol. 2 in Jan. 2020.", "Read it."],
        ),
        ("Smith et al. (2005) agreed. So did Roe v. Wade.", ["Smith et al. (2005) agreed.", "So did Roe v. Wade."]),
        (
            "It uses approx. 4 kg (max. 6.5 m) of steel. It is old.",
            ["It uses approx. 4 kg (max. 6.5 m) of steel.", "It is old."],
        ),
        ("He lived near Kiowa St. He moved later.", ["He lived near Kiowa St.", "He moved later."]),
        (
            "The church of Trinity-St. Paul's stands. It is old.",
            ["The church of Trinity-St. Paul's stands.", "It is old."],
        ),
        (
            "They worked for the U.S. Government. In 1990 they left the U.S. Many stayed.",
            [
                "They worked for the U.S. Government.",
                "In 1990 they left the U.S.",
                "Many stayed.",
            ],
        ),
        # Ellipses.
        ('They counted "1... 2... 3...". It worked.', ['They counted "1... 2... 3...".', "It worked."]),
        ("It was, he said, [...] a failure. Nobody agreed.", ["It was, he said, [...] a failure.", "Nobody agreed."]),
        ("I never meant that... She left.", ["I never meant that...", "She left."]),
    ],
)
def test_fault_probes(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_lists_without_periods_are_split_at_their_markers() -> None:
    assert sentences("1) Bread 2) Milk 3) Eggs") == ["1) Bread", "2) Milk", "3) Eggs"]
    assert sentences("• Bread • Milk") == ["• Bread", "• Milk"]
    # Only a paragraph that opens with a marker is a list: numbers in prose are not markers.
    assert sentences("He bought 1) bread and 2) milk.") == ["He bought 1) bread and 2) milk."]


def test_bylines_captions_and_datelines_are_not_quotable() -> None:
    furniture = [
        "Associated Press writer Zeina Karam in Beirut contributed reporting.",
        "Jane Doe and John Roe contributed to this report.",
        "By ZEINA KARAM Associated Press",
        "By Jane Doe, Staff Writer",
        "Iraqi soldiers patrol a street in Baghdad on Tuesday. (AP Photo/Hadi Mizban)",
        "Photograph: Jane Doe/Reuters",
        "Image caption The bridge was opened in 1990",
        "Posted by John Smith on March 3, 2021",
        "Updated: 10:30 AM ET, Tue January 4, 2022",
        "Reporting by Jane Doe; Editing by John Roe",
        "BAGHDAD (AP) —",
        "SAN FRANCISCO, Calif. (Reuters) -",
        "US-led coalition: Attack with 2 armed drones foiled in Iraq –",
    ]
    prose = [
        "By 1990, the city had grown to a million people.",
        "By the end of the war, the troops had left the country.",
        "Published by Penguin in 1990, the book sold a million copies.",
        "BAGHDAD (AP) — Two drones were destroyed on Tuesday, a coalition official said.",
        "The photo (taken in 1990) shows the bridge.",
        "Engineers contributed to the design of the bridge.",
    ]
    head = "\n\n".join(furniture)
    text = head + "\n\n" + "\n\n".join(prose) + "\n"
    spans = split_sentences(text)
    assert [text[s.start : s.end] for s in spans if s.start < len(head) and s.quotable] == []
    assert [text[s.start : s.end] for s in spans if s.start > len(head) and s.quotable] == prose
    # A caption is split like any text, and none of it is quoted.
    assert "Iraqi soldiers patrol a street in Baghdad on Tuesday." in [text[s.start : s.end] for s in spans]


def test_seed_byline_and_headline_are_not_quotable() -> None:
    text = (SEEDS / "000_d9e46d3c2be1d409.txt").read_text()
    flags = {text[s.start : s.end]: s.quotable for s in split_sentences(text)}
    assert flags["Associated Press writer Zeina Karam in Beirut contributed reporting."] is False
    assert flags["US-led coalition: Attack with 2 armed drones foiled in Iraq –"] is False


def test_a_question_in_the_text_is_not_quotable() -> None:
    text = (
        "What is the difference between a harbour and a port? A harbour is sheltered water. "
        "She asked: \u201cIs the harbour open?\u201d The keeper said it was. Why? Nobody knows.\n\n"
        "Is the harbour open at night?\n\nYes, from dusk to dawn."
    )
    flags = {text[s.start : s.end]: s.quotable for s in split_sentences(text)}
    assert flags == {
        "What is the difference between a harbour and a port?": False,
        "A harbour is sheltered water.": True,
        "She asked: \u201cIs the harbour open?\u201d": False,
        "The keeper said it was.": True,
        "Why?": False,
        "Nobody knows.": True,
        "Is the harbour open at night?": False,
        "Yes, from dusk to dawn.": True,
    }


def test_long_sentences_are_cut_at_clause_punctuation() -> None:
    clause = "the river rose over the old stone bridge near the mill"
    text = "In the spring of that year " + "; ".join([clause] * 60) + ". It fell."
    spans = split_sentences(text)
    pieces = [text[s.start : s.end] for s in spans]
    assert all(len(p) <= MAX_SENTENCE_CHARS for p in pieces)
    assert len(pieces) > 3 and pieces[-1] == "It fell."
    assert all(p.endswith(";") for p in pieces[:-2])  # cut after clause punctuation, not mid-clause
    assert all(s.quotable for s in spans)
    assert "".join(text.split()) == "".join("".join(pieces).split())


def test_long_runs_without_breaks_are_cut_at_spaces_or_hard() -> None:
    words = "word " * 1000 + "x" * 2500
    pieces = [words[s.start : s.end] for s in split_sentences(words)]
    assert all(0 < len(p) <= MAX_SENTENCE_CHARS for p in pieces)
    assert "".join(words.split()) == "".join("".join(pieces).split())
    assert [len(p) for p in pieces[-3:]] == [1000, 1000, 500]  # one 2,500-letter token, cut hard


def _check_spans(text: str, blocks: list[Block], spans: list) -> None:
    """Spans are exact, stripped, ordered, within one TEXT block each, short enough, and cover the blocks' text."""
    text_blocks = [b for b in blocks if b.kind == TEXT]
    previous_end = 0
    index = 0
    for span in spans:
        quote = text[span.start : span.end]
        assert quote and quote == quote.strip() and len(quote) <= MAX_SENTENCE_CHARS
        assert span.start >= previous_end
        previous_end = span.end
        while text_blocks[index].end < span.end:
            index += 1
        assert text_blocks[index].start <= span.start
    covered = "".join(text[s.start : s.end] for s in spans)
    assert "".join("".join(text[b.start : b.end] for b in text_blocks).split()) == "".join(covered.split())


def test_splitting_is_linear_on_megabytes_of_short_lines_and_unpunctuated_text() -> None:
    # Two worst cases of old: a paragraph made of 150,000 short lines, 3 MB without punctuation.
    lines = "".join(f"entry {i} of the list\n" for i in range(150_000))
    spans = split_blocks(lines, [Block(0, len(lines))])
    _check_spans(lines, [Block(0, len(lines))], spans)
    assert len(spans) == pytest.approx(len(lines) / MAX_SENTENCE_CHARS, rel=0.1)
    plain = "word " * 600_000
    spans = split_blocks(plain, [Block(0, len(plain))])
    _check_spans(plain, [Block(0, len(plain))], spans)
    assert all(s.end - s.start > MAX_SENTENCE_CHARS - 10 for s in spans[:-1])


@pytest.mark.parametrize(
    "text",
    [
        "." * 200_000 + "x",
        "!" * 200_000 + "x",
        ". " * 100_000 + "x",
        "a." + "[1]" * 50_000 + "x",
        "a. " + "(" * 200_000,
    ],
    ids=["dots", "bangs", "spaced dots", "markers", "brackets"],
)
def test_runs_of_punctuation_are_read_once(text: str) -> None:
    # A run of dots once cost time quadratic in its length (20,000 dots: more than a minute).
    _check_spans(text, [Block(0, len(text))], split_blocks(text, [Block(0, len(text))]))


def test_many_lines_each_a_block() -> None:
    text = "".join(f"Item {i} of the list.\n" for i in range(20_000))
    spans = split_sentences(text)
    assert len(spans) == 20_000 and all(s.quotable for s in spans)
    assert text[spans[-1].start : spans[-1].end] == "Item 19999 of the list."


def test_only_text_blocks_are_split() -> None:
    text = "A Title\nThe body says one thing. It says another."
    blocks = [Block(0, 7, HEADING), Block(8, len(text), TEXT)]
    spans = split_blocks(text, blocks)
    assert [text[s.start : s.end] for s in spans] == ["The body says one thing.", "It says another."]


def test_split_document_hands_down_block_context() -> None:
    doc = extract("notes.md", (DATA / "notes.md").read_bytes())
    found = split_document(doc)
    assert found and all(doc.text[s.start : s.end].strip() == doc.text[s.start : s.end] for s in found)


# Awkward text: pieces that sit near sentence ends, in any order.
_AWKWARD = st.lists(
    st.sampled_from(
        list("aZ é.!?…;:,—-\"'“”‘’()[]")
        + ["  ", "\n", "\n\n", "\t", "\u00a0", "1", "The", "U.S.", "Dr.", ":33", "[1]", ". . .", "•", "1)", "a."]
    ),
    max_size=120,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(_AWKWARD)
def test_offsets_are_exact_on_any_text(text: str) -> None:
    blocks = list(paragraphs(text))
    _check_spans(text, blocks, split_blocks(text, blocks))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(_AWKWARD, st.sampled_from([TEXT, HEADING])), max_size=5))
def test_spans_stay_inside_their_blocks(parts: list[tuple[str, str]]) -> None:
    text, blocks = "", []
    for part, kind in parts:
        blocks.append(Block(len(text), len(text) + len(part), kind))
        text += part + "\n"
    _check_spans(text, blocks, split_blocks(text, blocks))
