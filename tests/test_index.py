"""Building the index: incremental updates, atomic swaps, corrupt and mismatched indexes."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from qa import Assistant
from qa.build import build_index
from qa.errors import IndexCorruptError, IndexMismatchError, IndexMissingError, QAError
from qa.store import folder as store
from tests.conftest import ROOT

QUESTION = "How many troops will remain in Iraq?"


def where(assistant: Assistant) -> tuple[str, str, int, int]:
    """The best quote for QUESTION, without its score (which depends on the whole corpus)."""
    quote = assistant.ask(QUESTION).quotes[0]
    return quote.text, quote.document, quote.start, quote.end


def test_round_trip(docs: Path, tmp_path: Path, encoder) -> None:
    report = build_index(docs, tmp_path / "index", encoder=encoder)
    assert sorted(report.added) == ["000_d9e46d3c2be1d409.txt", "more/notes.md", "more/page.html"]
    corpus = store.load(tmp_path / "index")
    assert len(corpus) == report.sentences == len(corpus.sentences)
    manifest = corpus.manifest
    assert manifest["format"] == store.FORMAT_VERSION
    assert manifest["model"] == {"name": "all-MiniLM-L6-v2", "dimension": 384}
    assert manifest["chunking"]["window"] >= 2
    assert set(manifest["documents"]) == set(report.added)
    assert all(len(entry["digest"]) == 64 for entry in manifest["documents"].values())
    # The stored vectors are the model's vectors of the stored sentences.
    first = corpus.sentence_text(0)
    assert float(corpus.sentences.vectors()[0] @ encoder.encode([first])[0]) > 0.999


def test_incremental_counts(docs: Path, tmp_path: Path, encoder) -> None:
    index = tmp_path / "index"
    build_index(docs, index, encoder=encoder)
    before = where(Assistant.open(index))
    (docs / "more" / "notes.md").write_text("# Notes\n\nThe expedition was cancelled because of storms.\n")
    (docs / "more" / "page.html").unlink()
    (docs / "new.txt").write_text("The museum opens at nine in the morning. Entry is free on Sundays.")
    report = build_index(docs, index, encoder=encoder)
    assert (report.added, report.updated, report.removed) == (["new.txt"], ["more/notes.md"], ["more/page.html"])
    assert report.unchanged == ["000_d9e46d3c2be1d409.txt"]
    assert report.embedded == 4  # the new file's two sentences, the changed file's heading and sentence
    assert "1 added, 1 updated, 1 removed, 1 unchanged" in report.summary()
    assistant = Assistant.open(index)
    assert where(assistant) == before
    assert assistant.ask("When does the museum open?").quotes[0].text == "The museum opens at nine in the morning."
    again = build_index(docs, index, encoder=encoder)
    assert again.embedded == 0 and len(again.unchanged) == 3
    # Only the live version is kept on disk.
    assert len([p for p in index.iterdir() if p.name.startswith("v-")]) == 1


def test_empty_folder_is_an_error(tmp_path: Path, encoder) -> None:
    (tmp_path / "docs").mkdir()
    with pytest.raises(QAError, match="no readable documents"):
        build_index(tmp_path / "docs", tmp_path / "index", encoder=encoder)


def test_missing_index(tmp_path: Path) -> None:
    with pytest.raises(IndexMissingError, match="run `qa index`"):
        Assistant.open(tmp_path / "nothing")


def _copy_index(seed_index: Path, tmp_path: Path) -> tuple[Path, Path]:
    import shutil

    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    return index, store.live_version(index)


@pytest.mark.parametrize(
    "damage",
    [
        lambda v: (v / "sentences.faiss").write_bytes(b"garbage"),
        lambda v: (v / "tokens.npy").write_bytes((v / "tokens.npy").read_bytes()[:1000]),
        lambda v: (v / "spans.npz").unlink(),
        lambda v: (v / "documents.json").write_text("{not json"),
        lambda v: (v / "manifest.json").write_text("[]"),
        lambda v: (v / "bm25" / "vocab.index.json").write_text("garbage"),
        lambda v: (v.parent / "CURRENT").write_text("v-does-not-exist\n"),
    ],
    ids=["faiss", "tokens-truncated", "spans-missing", "documents", "manifest", "bm25", "pointer"],
)
def test_corrupt_index_gives_one_line(seed_index: Path, tmp_path: Path, damage) -> None:
    index, version = _copy_index(seed_index, tmp_path)
    damage(version)
    with pytest.raises(IndexCorruptError) as caught:
        Assistant.open(index)
    message = str(caught.value)
    assert "\n" not in message and "qa index" in message


def test_mismatched_model(seed_index: Path, tmp_path: Path, docs: Path, encoder) -> None:
    index, version = _copy_index(seed_index, tmp_path)
    manifest = json.loads((version / "manifest.json").read_text())
    manifest["model"]["name"] = "some-other-model"
    (version / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match="some-other-model.*qa index"):
        Assistant.open(index)
    # `qa index` recovers by building from scratch.
    report = build_index(docs, index, encoder=encoder)
    assert "model" in report.rebuilt_because and not report.unchanged and len(report.added) == 3
    assert Assistant.open(index).ask(QUESTION).answered


def _run_index(docs: Path, index: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "qa", "index", str(docs), "--index", str(index)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_killed_build_leaves_previous_index_usable(seed_index: Path, tmp_path: Path, docs: Path) -> None:
    index, _ = _copy_index(seed_index, tmp_path)
    expected = where(Assistant.open(index))
    (docs / "big.txt").write_text("\n".join(f"Line {i} says the river rose by {i} centimetres." for i in range(400)))
    rng = random.Random(7)
    for _ in range(10):  # kill points spread over start-up, embedding and writing
        process = _run_index(docs, index)
        time.sleep(rng.uniform(0.2, 9.0))
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert where(Assistant.open(index)) == expected
    assert _run_index(docs, index).wait() == 0
    assistant = Assistant.open(index)
    assert "big.txt" in assistant.documents
    assert where(assistant)[0] == expected[0]
    assert not [p for p in index.iterdir() if p.name.startswith(".tmp-")]


def test_opened_assistant_notices_rebuild(seed_index: Path, tmp_path: Path, docs: Path, encoder) -> None:
    index, _ = _copy_index(seed_index, tmp_path)
    assistant = Assistant.open(index)
    assert assistant.is_current()
    build_index(docs, index, encoder=encoder)
    assert not assistant.is_current()


def test_passage_vectors_are_sums_of_sentences(seed_index: Path) -> None:
    corpus = store.load(seed_index)
    vectors = corpus.sentences.vectors()
    for p, (a, b) in enumerate(zip(corpus.pass_first, corpus.pass_last)):
        expected = vectors[a : b + 1].sum(0)
        expected /= np.linalg.norm(expected)
        assert np.allclose(corpus.passages.vectors()[p], expected, atol=1e-5)
    assert os.path.getsize(store.live_version(seed_index) / "tokens.npy") > 0


def test_small_updates_embed_only_new_sentences_without_torch(seed_index: Path, tmp_path: Path, docs: Path) -> None:
    index, _ = _copy_index(seed_index, tmp_path)
    code = (
        "import sys; from pathlib import Path; from qa.build import build_index; "
        f"r = build_index(Path({str(docs)!r}), Path({str(index)!r})); "
        "print(r.embedded, len(r.unchanged), 'torch' in sys.modules)"
    )
    first = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    embedded, unchanged, torch_loaded = first.stdout.split()
    assert int(embedded) > 0 and unchanged == "1" and torch_loaded == "False"
    notes = docs / "more" / "notes.md"
    notes.write_text(notes.read_text() + "\nThe descent took two days.\n")
    second = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert second.stdout.split()[:2] == ["1", "2"]  # one new sentence; the rest of notes.md kept its vectors
    assert Assistant.open(index).ask("How long did the descent take?").quotes[0].text == "The descent took two days."
