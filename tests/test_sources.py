"""A quote from a file edited or removed since the index was built says so."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa import Assistant
from qa.build import build_index
from qa.cli import cli
from qa.config import Settings

QUESTION = "When does the keeper light the lamp?"
KEEPER = "The lighthouse keeper lit the lamp every evening at dusk.\n"


@pytest.fixture()
def built(tmp_path: Path, encoder) -> tuple[Path, Path]:  # type: ignore[no-untyped-def]
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "light.txt").write_text(KEEPER)
    (docs / "harbour.txt").write_text("The harbour opens at six in the morning.\n")
    build_index(docs, tmp_path / "index", Settings(), encoder=encoder, on_skip=lambda n, r: None)
    return docs, tmp_path / "index"


def test_an_edited_or_removed_file_is_named_with_its_quote(built: tuple[Path, Path]) -> None:
    docs, index = built
    assistant = Assistant.open(index)
    assert assistant.index.info.documents_root == str(docs.resolve())
    first = assistant.ask(QUESTION)
    assert first.answered and first.quotes[0].document == "light.txt" and first.changed_since_indexed == []
    (docs / "light.txt").write_text(KEEPER.replace("dusk", "dawn"))
    edited = assistant.ask(QUESTION)
    assert edited.quotes[0].text.endswith("at dusk.")  # the indexed text, as quoted
    assert edited.changed_since_indexed == ["light.txt"] and edited.to_dict()["changed_since_indexed"] == ["light.txt"]
    (docs / "light.txt").unlink()
    assert assistant.ask(QUESTION).changed_since_indexed == ["light.txt"]
    (docs / "light.txt").write_text(KEEPER)  # the same bytes again: nothing to say
    assert assistant.ask(QUESTION).changed_since_indexed == []
    assert assistant.ask("When does the harbour open?").changed_since_indexed == []


def test_a_fifo_in_its_place_is_never_waited_on(built: tuple[Path, Path]) -> None:
    docs, index = built
    assistant = Assistant.open(index)
    (docs / "light.txt").unlink()
    os.mkfifo(docs / "light.txt")
    began = time.perf_counter()
    assert assistant.ask(QUESTION).changed_since_indexed == ["light.txt"]
    assert time.perf_counter() - began < 5


def test_an_index_moved_away_from_its_folder_checks_nothing(built: tuple[Path, Path], tmp_path: Path) -> None:
    docs, index = built
    shutil.move(docs, tmp_path / "elsewhere")
    answer = Assistant.open(index).ask(QUESTION)
    assert answer.answered and answer.changed_since_indexed == []


def test_the_cli_says_the_quote_is_of_the_indexed_text(built: tuple[Path, Path]) -> None:
    docs, index = built
    (docs / "light.txt").write_text(KEEPER.replace("dusk", "dawn"))
    result = CliRunner().invoke(cli, ["ask", QUESTION, "--index", str(index)])
    assert result.exit_code == 0, result.output
    assert "Note: light.txt changed since the index was built" in result.output


def test_the_document_page_says_the_file_has_changed(built: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    from web import create_app

    docs, index = built
    monkeypatch.delenv("QA_API_TOKEN", raising=False)
    client = create_app({"INDEX_DIR": str(index)}).test_client()
    note = "The file has changed since the index was built"
    assert note not in client.get("/documents/light.txt").get_data(as_text=True)
    (docs / "light.txt").write_text(KEEPER.replace("dusk", "dawn"))
    page = client.get("/documents/light.txt").get_data(as_text=True)
    assert note in page and "every evening at dusk." in page  # the indexed text, said to be so
