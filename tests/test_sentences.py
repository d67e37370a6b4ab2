"""Sentence splitting: abbreviations, initials, quotes, page furniture, exact offsets."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.read.files import extract
from qa.split.sentences import split_sentences
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
    texts += [extract(p.name, p.read_bytes()).text for p in DATA.iterdir()]
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
