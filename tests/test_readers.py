"""Reading a documents folder: formats, and files that must be skipped with a warning."""

from __future__ import annotations

import os
from pathlib import Path

from qa.read.document import HEADING, TEXT
from qa.read.files import discover, extract, load, read_file, read_folder
from tests.pdfmaker import make_pdf


def read(folder: Path, max_bytes: int = 10_000_000) -> tuple[dict[str, str], dict[str, str]]:
    skipped: dict[str, str] = {}
    docs = {
        name: doc.text
        for name, _digest, doc in read_folder(folder, max_bytes, lambda n, r: skipped.__setitem__(n, r))
        if doc is not None
    }
    return docs, skipped


def test_formats_and_names(docs: Path) -> None:
    (docs / "more" / "deep").mkdir()
    (docs / "more" / "deep" / "report.pdf").write_bytes(
        make_pdf(["The bridge opened in 1932.", "It spans 503 metres."])
    )
    texts, skipped = read(docs)
    assert set(texts) == {"000_d9e46d3c2be1d409.txt", "more/notes.md", "more/page.html", "more/deep/report.pdf"}
    assert not skipped
    assert "Elena Vasquez" in texts["more/page.html"]
    assert "tracking" not in texts["more/page.html"] and "Sign in" not in texts["more/page.html"]
    assert "It spans 503 metres." in texts["more/deep/report.pdf"]


def test_bad_files_are_skipped_with_reasons(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "good.txt").write_text("A perfectly fine sentence about harbours.")
    (folder / "empty.txt").write_text("   \n")
    (folder / "latin1.txt").write_bytes("caf\xe9 cr\xe8me".encode("latin-1"))
    (folder / "binary.txt").write_bytes(os.urandom(2048) + b"\x00")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (folder / "deep.html").write_text("<div>" * 100_000 + "Deep text." + "</div>" * 100_000)
    (folder / "huge.txt").write_text("word " * 300_000)
    (folder / "image.png").write_bytes(b"\x89PNG")
    outside = tmp_path / "secret.txt"
    outside.write_text("A secret outside the documents folder.")
    (folder / "link.txt").symlink_to(outside)
    texts, skipped = read(folder, max_bytes=1_000_000)
    assert "good.txt" in texts
    assert "secret" not in " ".join(texts.values())
    assert skipped.keys() >= {"empty.txt", "latin1.txt", "binary.txt", "broken.pdf", "huge.txt", "link.txt"}
    assert "save it as UTF-8" in skipped["latin1.txt"]
    assert "outside" in skipped["link.txt"] and "MB" in skipped["huge.txt"]
    assert "image.png" not in skipped and "image.png" not in texts
    # Deeply nested HTML is either read or skipped with a reason; it never stops the build.
    assert ("deep.html" in texts) != ("deep.html" in skipped)


def test_text_saved_as_utf16_is_read_by_its_byte_order_mark(tmp_path: Path) -> None:
    """What Windows "Unicode" text and PowerShell's ``>`` write; binary data behind the mark stays out."""
    folder = tmp_path / "docs"
    folder.mkdir()
    text = "Die Brücke in Köln wurde 1932 eröffnet.\r\nThe bridge spans 503 metres."
    (folder / "notes.txt").write_bytes(text.encode("utf-16"))  # with its mark, in this machine's byte order
    big_endian = "# Bridges\n\nThe bridge spans 503 metres.".encode("utf-16-be")
    (folder / "big-endian.md").write_bytes(b"\xfe\xff" + big_endian)
    (folder / "page.html").write_bytes("<html><body><p>The bridge spans 503 metres.</p></body></html>".encode("utf-16"))
    (folder / "noise.txt").write_bytes(b"\xff\xfe" + os.urandom(4096))
    (folder / "odd.txt").write_bytes(b"\xff\xfe\xfa not utf-8")
    texts, skipped = read(folder)
    assert texts["notes.txt"] == text.replace("\r\n", "\n")
    assert "The bridge spans 503 metres." in texts["big-endian.md"] and "The bridge spans" in texts["page.html"]
    assert skipped.keys() == {"noise.txt", "odd.txt"}


def test_a_utf8_file_with_a_stray_byte_is_read_with_a_warning(tmp_path: Path, encoder) -> None:
    """One Windows quote mark pasted into a long UTF-8 file does not cost the file; a legacy file is still skipped."""
    from qa import Assistant
    from qa.build import build_index
    from qa.config import Settings

    folder = tmp_path / "docs"
    folder.mkdir()
    body = "".join(f"Section {n} of the harbour rules is about mooring, fees and safety. " for n in range(40))
    stray = body.encode() + "The keeper\u2019s lamp is lit at dusk.".encode().replace("\u2019".encode(), b"\x92")
    (folder / "rules.txt").write_bytes(stray)
    (folder / "legacy.txt").write_bytes("Le caf\xe9 de la gare ouvre \xe0 six heures.".encode("cp1252"))
    report = build_index(folder, tmp_path / "index", Settings(), encoder=encoder, on_skip=lambda n, r: None)
    assert [name for name, _ in report.skipped] == ["legacy.txt"]
    assert [name for name, _ in report.warned] == ["rules.txt"] and "1 place" in report.warned[0][1]
    assert "1 read with a warning" in report.summary()
    answer = Assistant.open(tmp_path / "index").ask("When is the keeper's lamp lit?")
    assert answer.answered and answer.quotes[0].text == "The keeper\ufffds lamp is lit at dusk."


def test_a_50_mb_file_is_skipped_and_the_rest_indexed(tmp_path: Path, encoder) -> None:
    from qa import Assistant
    from qa.build import build_index
    from qa.config import Settings

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "good.txt").write_text("The lighthouse keeper lit the lamp every evening at dusk.")
    (folder / "big.txt").write_text("The river rose again. " * 2_300_000)  # about 50 MB
    (folder / "bad.txt").write_bytes(b"\xff\xfe\xfa not utf-8")
    report = build_index(folder, tmp_path / "index", Settings(), encoder=encoder, on_skip=lambda n, r: None)
    assert dict(report.skipped).keys() == {"big.txt", "bad.txt"}
    assert "limit" in dict(report.skipped)["big.txt"]
    assert Assistant.open(tmp_path / "index").documents == ["good.txt"]


def test_documents_carry_their_structure(docs: Path) -> None:
    found = {name: doc for name, _digest, doc in read_folder(docs, 10_000_000) if doc is not None}
    notes = found["more/notes.md"]
    headings = [(notes.text[b.start : b.end], b.level) for b in notes.blocks if b.kind == HEADING]
    assert headings == [("Field notes", 1), ("Equipment", 2)]
    equipment = next(b for b in notes.blocks if notes.text[b.start : b.end].startswith("Each climber"))
    assert (equipment.kind, equipment.context) == (TEXT, "Field notes › Equipment")
    page = found["more/page.html"]
    assert [b.kind for b in page.blocks] == [HEADING, TEXT, TEXT]
    assert not any(name.startswith("more/.read/") for name in found)  # hidden fixtures are not documents


def test_discover_load_and_extract_are_separate_steps(docs: Path) -> None:
    """The build may extract in a process pool: discovery, loading and extraction are plain functions."""
    import pickle

    named = dict(discover(docs))
    data = load(docs, "more/notes.md", named["more/notes.md"], 1_000_000)
    assert data == read_file(docs, "more/notes.md", named["more/notes.md"], 1_000_000)
    assert pickle.loads(pickle.dumps(extract)) is extract
    assert extract("more/notes.md", data).text.startswith("# Field notes")


def test_a_pdf_word_broken_at_a_line_end_is_made_whole() -> None:
    # PDFs hold lines: "iden-\ntifier" matched no question and was quoted broken.
    page = (
        "The keeper checks every iden-\ntifier of the boats, and the state-of-the-\nart lamp.\n"
        "The log uses the format YYMMDDhhmm-\nhh and the lamp of Kjell-\nstad is in-\nspected daily.\n"
        "Boats moor at Vors-\nkogen."
    )
    doc = extract("harbour.pdf", make_pdf([page, "Kjellstad has one harbour."]))
    assert "every identifier of the boats" in doc.text  # an English word
    assert "the lamp of Kjellstad is inspected daily." in doc.text  # a word the document uses
    assert "state-of-the-\nart" in doc.text and "YYMMDDhhmm-\nhh" in doc.text  # hyphens of the words themselves
    assert "Vors-\nkogen" in doc.text  # neither English nor used elsewhere: left as printed
    assert doc.page_starts == [0, doc.text.index("Kjellstad has")]
