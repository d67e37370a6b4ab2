"""Building the folder index: incremental updates, the embedding cache, atomic swaps, locking, corruption and repair."""

from __future__ import annotations

import json
import os
import shutil
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
from qa.store.base import CONTEXTS, PASSAGES, SENTENCES
from qa.store.check import check_index
from qa.store.folder import FolderIndex
from qa.store.folder.files import sha256
from qa.store.folder.layout import FORMAT_VERSION, read_pointer
from tests.conftest import ROOT

QUESTION = "How many troops will remain in Iraq?"
ANSWER = (
    "Some 2,500 troops will remain as the coalition shifts to an advisory mission to continue supporting Iraqi forces."
)


def where(assistant: Assistant) -> tuple[str, str, int, int]:
    """The best quote for QUESTION, without its score (which depends on the whole corpus)."""
    quote = assistant.ask(QUESTION).quotes[0]
    return quote.text, quote.document, quote.start, quote.end


def versions(index: Path) -> list[str]:
    return sorted(p.name for p in index.iterdir() if p.name.startswith("v-"))


def test_round_trip(docs: Path, tmp_path: Path, encoder) -> None:
    report = build_index(docs, tmp_path / "index", encoder=encoder)
    assert sorted(report.added) == ["000_d9e46d3c2be1d409.txt", "more/notes.md", "more/page.html"]
    index = FolderIndex.open(tmp_path / "index")
    manifest = index.manifest
    assert manifest["format"] == FORMAT_VERSION
    assert manifest["model"]["name"] == "all-MiniLM-L6-v2" and manifest["model"]["dimension"] == 384
    assert index.info.sentences == report.sentences == manifest["counts"]["sentences"]
    assert set(manifest["documents"]) == set(report.added)
    assert all(len(entry["digest"]) == 64 for entry in manifest["documents"].values())
    # Every file of the version is listed with its size and checksum.
    listed = set(manifest["files"])
    assert {"sentences.npy", "documents.sqlite", "sentences.faiss", "bm25-sentences.units.npy"} <= listed
    # The stored vectors are the model's vectors of the stored sentences (kept as float16; int8
    # quantises each batch's activations together, so a vector moves a little with its batch).
    rows = index.rows(np.arange(index.info.sentences))
    texts = [index.document(d).text[s:e] for d, s, e in zip(rows.document, rows.start, rows.end)]
    stored = index.vectors(SENTENCES, np.arange(len(texts)))
    cosines = (stored * encoder.encode(texts)).sum(1)
    assert cosines.min() > (0.999 if encoder.precision == "fp32" else 0.97)
    # Word pieces decode close to the model's.
    [pieces] = index.pieces(SENTENCES, [0])
    assert np.array_equal(pieces.ids, encoder.embed([texts[0]])[0].ids)


def test_headings_and_terms_are_context_not_quotes(tmp_path: Path, encoder) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "api.md").write_text(
        "# File functions\n\n## makedirs(name, mode)\n\nRecursive directory creation function.\n\n"
        "```\nmakedirs('a/b/c')\n```\n\n## rmdir(path)\n\nRemove (delete) the directory path.\n"
    )
    build_index(docs, tmp_path / "index", encoder=encoder)
    index = FolderIndex.open(tmp_path / "index")
    rows = index.rows(np.arange(index.info.sentences))
    text = index.document("api.md").text
    sentences = [text[s:e] for s, e in zip(rows.start, rows.end)]
    assert sentences == ["Recursive directory creation function.", "Remove (delete) the directory path."]
    assert index.context_text(rows.context.tolist()) == [
        "File functions › makedirs(name, mode)",
        "File functions › rmdir(path)",
    ]
    # The answer never names makedirs: only its heading does. (A two-sentence corpus gives the
    # question's own words full weight, so its confidence is not what a real manual gives.)
    assistant = Assistant.open(tmp_path / "index")
    for question, expected in (("What does makedirs do?", "Recursive"), ("What does rmdir do?", "Remove")):
        assert assistant.ranked(question, 2).quotes[0].text.startswith(expected)


def test_incremental_update_embeds_only_new_sentences(docs: Path, tmp_path: Path, encoder) -> None:
    index = tmp_path / "index"
    build_index(docs, index, encoder=encoder)
    before = where(Assistant.open(index))
    (docs / "more" / "notes.md").write_text("# Notes\n\nThe expedition was cancelled because of storms.\n")
    (docs / "more" / "page.html").unlink()
    (docs / "new.txt").write_text("The museum opens at nine in the morning. Entry is free on Sundays.")
    report = build_index(docs, index, encoder=encoder)
    assert (report.added, report.updated, report.removed) == (["new.txt"], ["more/notes.md"], ["more/page.html"])
    assert report.unchanged == ["000_d9e46d3c2be1d409.txt"]
    # The new file's two sentences, the changed file's new heading and sentence: nothing else.
    assert report.embedded == 4
    assert "1 added, 1 updated, 1 removed, 1 unchanged" in report.summary()
    assistant = Assistant.open(index)
    assert where(assistant) == before
    assert assistant.ask("When does the museum open?").quotes[0].text == "The museum opens at nine in the morning."
    again = build_index(docs, index, encoder=encoder)
    assert again.embedded == 0 and len(again.unchanged) == 3
    # The live version and the one before it are kept; nothing older, no leftovers.
    assert len(versions(index)) == 2
    assert not [p for p in index.rglob(".tmp-*")]


def test_a_sentence_moved_to_another_file_is_not_embedded_again(docs: Path, tmp_path: Path, encoder) -> None:
    index = tmp_path / "index"
    build_index(docs, index, encoder=encoder)
    (docs / "copy.txt").write_text(ANSWER + "\n")
    report = build_index(docs, index, encoder=encoder)
    assert report.added == ["copy.txt"] and report.embedded == 0


def test_duplicate_documents_are_reported(docs: Path, tmp_path: Path, encoder) -> None:
    shutil.copy(docs / "more" / "notes.md", docs / "notes-copy.md")
    report = build_index(docs, tmp_path / "index", encoder=encoder)
    assert ("notes-copy.md", "more/notes.md") in report.duplicates or (
        "more/notes.md",
        "notes-copy.md",
    ) in report.duplicates


def test_empty_folder_is_an_error(tmp_path: Path, encoder) -> None:
    (tmp_path / "docs").mkdir()
    with pytest.raises(QAError, match="no readable documents"):
        build_index(tmp_path / "docs", tmp_path / "index", encoder=encoder)


def test_missing_index(tmp_path: Path) -> None:
    with pytest.raises(IndexMissingError, match="run `qa index`"):
        Assistant.open(tmp_path / "nothing")


def test_passage_vectors_are_sums_of_sentences_and_context(seed_index: Path) -> None:
    index = FolderIndex.open(seed_index)
    vectors = index.vectors(SENTENCES, np.arange(index.info.sentences))
    rows = index.rows(np.arange(index.info.sentences))
    passages = np.arange(len(index.passages))
    first, last = index.passage_sentences(passages)
    stored = index.vectors(PASSAGES, passages)
    for p, (a, b) in enumerate(zip(first, last)):
        expected = vectors[a : b + 1].sum(0)
        context = int(rows.context[a])
        if context >= 0:
            expected = expected + index.vectors(CONTEXTS, np.asarray([context]))[0]
        expected /= np.linalg.norm(expected)
        assert float(stored[p] @ expected) > 0.999
        assert (rows.context[a : b + 1] == rows.context[a]).all()  # a passage never mixes sections


# -- damage and repair -----------------------------------------------------------------


def _copy_index(seed_index: Path, tmp_path: Path) -> tuple[Path, Path]:
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    return index, index / read_pointer(index)


def _flip_middle_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x5A
    path.write_bytes(bytes(data))


def _segment(version: Path) -> Path:
    name = json.loads((version / "manifest.json").read_text())["segments"][0]
    return next(version.parent.glob(f"cache/*/{name}"))


DAMAGE = {
    "faiss-garbage": lambda v: (v / "sentences.faiss").write_bytes(b"garbage"),
    "faiss-flipped": lambda v: _flip_middle_byte(v / "sentences.faiss"),
    "sentences-flipped": lambda v: _flip_middle_byte(v / "sentences.npy"),
    "sentences-missing": lambda v: (v / "sentences.npy").unlink(),
    "passages-truncated": lambda v: (v / "passages.npy").write_bytes((v / "passages.npy").read_bytes()[:100]),
    "bm25-garbage": lambda v: (v / "bm25-sentences.units.npy").write_bytes(b"garbage" * 100),
    "bm25-flipped": lambda v: _flip_middle_byte(v / "bm25-passages.weights.npy"),
    "documents-edited": lambda v: _edit_document(v / "documents.sqlite"),
    "manifest-list": lambda v: (v / "manifest.json").write_text("[]"),
    "manifest-model-string": lambda v: _edit_manifest(v, lambda m: m.__setitem__("model", "MiniLM")),
    "codec-flipped": lambda v: _flip_middle_byte(v / "codec.npy"),
    "moments-flipped": lambda v: _flip_middle_byte(v / "sample-sentences-moments.npy"),
    "moments-wrong-shape-sealed": lambda v: _reseal(v, "sample-passages-moments.npy", np.zeros((3, 4), np.float32)),
    "segment-codes-flipped": lambda v: _flip_middle_byte(_segment(v) / "piece_codes.npy"),
    "segment-vectors-truncated": lambda v: (_segment(v) / "vectors.npy").write_bytes(b"\x93NUMPY"),
    "segment-missing": lambda v: shutil.rmtree(_segment(v)),
    "pointer-missing-version": lambda v: (v.parent / "CURRENT").write_text("v-20990101000000-deadbeef\n"),
    "pointer-not-utf8": lambda v: (v.parent / "CURRENT").write_bytes(b"\xff\xfe\x00garbage"),
    "pointer-long": lambda v: (v.parent / "CURRENT").write_text("v-" + "9" * 300 + "\n"),
    "pointer-directory": lambda v: ((v.parent / "CURRENT").unlink(), (v.parent / "CURRENT").mkdir()),
}


def _reseal(version: Path, name: str, array: np.ndarray) -> None:
    """Replace a file and its checksum in the manifest: damage that only a file's own checks can see."""
    np.save(version / name, array)
    _edit_manifest(
        version,
        lambda m: m["files"].__setitem__(
            name, {"size": (version / name).stat().st_size, "sha256": sha256(version / name)}
        ),
    )


def _edit_document(path: Path) -> None:
    """Change a figure inside the stored text, as a careless hand or a bad disk would."""
    data = path.read_bytes()
    assert b"2,500" in data
    path.write_bytes(data.replace(b"2,500", b"9,999"))


def _edit_manifest(version: Path, change) -> None:  # type: ignore[no-untyped-def]
    manifest = json.loads((version / "manifest.json").read_text())
    change(manifest)
    (version / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_damage_is_reported_in_one_line_never_served(seed_index: Path, tmp_path: Path, damage) -> None:
    index, version = _copy_index(seed_index, tmp_path)
    damage(version)
    # Never served: opening says what is wrong and what to run.
    with pytest.raises((IndexCorruptError, IndexMismatchError)) as caught:
        Assistant.open(index)
    message = str(caught.value)
    assert "\n" not in message and "qa index" in message
    # `qa check` finds it too.
    problems, _ = check_index(str(index))
    assert problems and all("\n" not in p for p in problems)


@pytest.mark.parametrize("damage", ["documents-edited", "segment-codes-flipped", "pointer-directory", "manifest-list"])
def test_qa_index_repairs_damage(seed_index: Path, tmp_path: Path, damage: str, encoder) -> None:
    index, version = _copy_index(seed_index, tmp_path)
    DAMAGE[damage](version)
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "seeds", docs)
    report = build_index(docs, index, encoder=encoder)
    # Only a damaged segment's sentences are embedded again; the repaired index quotes the true text.
    assert report.embedded <= (report.sentences + 10 if damage == "segment-codes-flipped" else 0)
    assert Assistant.open(index).ask(QUESTION).quotes[0].text == ANSWER
    assert check_index(str(index))[0] == []


def test_qa_check_command(seed_index: Path, tmp_path: Path) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "qa", "check", "--index", str(seed_index)], capture_output=True, text=True
    )
    assert ok.returncode == 0 and "is intact" in ok.stdout
    index, version = _copy_index(seed_index, tmp_path)
    _flip_middle_byte(version / "passage-vectors.npy")
    bad = subprocess.run([sys.executable, "-m", "qa", "check", "--index", str(index)], capture_output=True, text=True)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr and "qa index" in bad.stderr


def test_edited_document_is_reread_by_an_incremental_build(seed_index: Path, tmp_path: Path, encoder) -> None:
    """Even when the version's checksums were rewritten to match, a stored text that fails its digest is read again."""
    index, version = _copy_index(seed_index, tmp_path)
    _edit_document(version / "documents.sqlite")
    from qa.store.folder.files import seal

    manifest = json.loads((version / "manifest.json").read_text())
    manifest.pop("files")
    (version / "manifest.json").unlink()
    seal(version, manifest)
    with pytest.raises(IndexCorruptError, match="does not match its digest"):
        Assistant.open(index).ask(QUESTION)
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "seeds", docs)
    report = build_index(docs, index, encoder=encoder)
    assert report.updated == ["000_d9e46d3c2be1d409.txt"] and not report.unchanged
    assert Assistant.open(index).ask(QUESTION).quotes[0].text == ANSWER


def test_mismatched_model_is_rebuilt(seed_index: Path, tmp_path: Path, docs: Path, encoder) -> None:
    index, version = _copy_index(seed_index, tmp_path)
    _edit_manifest(version, lambda m: m["model"].__setitem__("name", "some-other-model"))
    from qa.store.folder.files import seal

    manifest = json.loads((version / "manifest.json").read_text())
    manifest.pop("files")
    (version / "manifest.json").unlink()
    seal(version, manifest)
    with pytest.raises(IndexMismatchError, match="some-other-model.*qa index"):
        Assistant.open(index)
    report = build_index(docs, index, encoder=encoder)
    assert "model" in report.rebuilt_because and not report.unchanged and len(report.added) == 3
    assert Assistant.open(index).ask(QUESTION).answered


def test_an_index_read_or_split_by_older_rules_is_rebuilt(
    tmp_path: Path, docs: Path, encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A document's text and sentences as the reader and splitter of this version make them:
    # nothing unchanged may keep what an older reader took from its file.
    import qa.build

    index = tmp_path / "index"
    build_index(docs, index, encoder=encoder)
    monkeypatch.setattr(qa.build, "SPLITTER_VERSION", qa.build.SPLITTER_VERSION + 1)
    report = build_index(docs, index, encoder=encoder)
    assert "read, split" in report.rebuilt_because and not report.unchanged and len(report.added) == 3
    assert report.embedded == 0  # the embedding cache still holds every sentence
    assert Assistant.open(index).ask(QUESTION).answered


# -- processes: kills, races, readers ----------------------------------------------------


def _qa(*args: str, env: dict | None = None, **kwargs) -> subprocess.Popen:  # type: ignore[no-untyped-def]
    return subprocess.Popen(
        [sys.executable, "-m", "qa", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def _wait_for(process: subprocess.Popen, text: str, seconds: float = 120) -> None:
    """Read the process's stderr until ``text`` appears."""
    assert process.stderr is not None
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if text in line:
            return
        if not line and process.poll() is not None:
            raise AssertionError(f"the process ended ({process.returncode}) before {text!r}")
    raise AssertionError(f"no {text!r} within {seconds}s")


@pytest.mark.parametrize("phase", ["embedding", "writing", "swap"])
def test_a_build_killed_in_any_phase_leaves_the_previous_index_serving(
    seed_index: Path, tmp_path: Path, docs: Path, phase: str
) -> None:
    index, _ = _copy_index(seed_index, tmp_path)
    expected = where(Assistant.open(index))
    (docs / "big.txt").write_text("\n".join(f"Line {i} says the river rose by {i} centimetres." for i in range(300)))
    process = _qa("index", str(docs), "--index", str(index), env={"QA_TEST_PAUSE": phase})
    _wait_for(process, f"paused at {phase}")
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert where(Assistant.open(index)) == expected
    assert "big.txt" not in Assistant.open(index).documents
    done = _qa("index", str(docs), "--index", str(index))
    assert done.wait() == 0, done.stderr.read() if done.stderr else ""
    assistant = Assistant.open(index)
    assert "big.txt" in assistant.documents and where(assistant)[0] == expected[0]
    assert not [p for p in index.rglob(".tmp-*")]


def test_a_killed_build_resumes_without_embedding_again(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for n in range(6):
        lines = [f"Station {n}-{i} recorded {i * 7 + n} millimetres of rain on day {i}." for i in range(500)]
        (docs / f"log{n}.txt").write_text("\n".join(lines))
    index = tmp_path / "index"
    process = _qa("index", str(docs), "--index", str(index))
    # Let it embed a few chunks, then kill it without warning.
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and len(list(index.glob("cache/*/seg-*"))) < 2:
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done_before = sum(json.loads((seg / "manifest.json").read_text())["count"] for seg in index.glob("cache/*/seg-*"))
    assert done_before >= 2048
    from qa.progress import Progress

    report = build_index(docs, index, progress=Progress(quiet=True))
    total = report.sentences + 0  # every sentence text is distinct here
    assert report.embedded <= total - done_before + 0.05 * done_before
    assert Assistant.open(index).ask("How much rain did station 3-5 record?").answered


def test_two_builds_at_once_do_not_destroy_the_index(seed_index: Path, tmp_path: Path, docs: Path) -> None:
    index, _ = _copy_index(seed_index, tmp_path)
    (docs / "extra.txt").write_text("The lighthouse was painted red and white in 1921.")
    first = _qa("index", str(docs), "--index", str(index), env={"QA_TEST_PAUSE": "writing"})
    _wait_for(first, "paused at writing")
    # A second build waits for the lock, saying so; --no-wait refuses at once.
    refused = _qa("index", str(docs), "--index", str(index), "--no-wait")
    assert refused.wait(timeout=60) == 1
    assert "another `qa index`" in refused.stderr.read() and len(versions(index)) == 1
    second = _qa("index", str(docs), "--index", str(index))
    _wait_for(second, "waiting for it to finish")
    first.send_signal(signal.SIGKILL)  # the first dies holding the lock: the OS releases it
    first.wait()
    assert second.wait(timeout=300) == 0
    assistant = Assistant.open(index)
    assert "extra.txt" in assistant.documents and where(assistant)[0] == ANSWER


def test_reading_commands_never_build(tmp_path: Path) -> None:
    """`qa ask` on a folder without an index says what to run, and writes nothing."""
    index = tmp_path / "index"
    index.mkdir()
    (index / "keep.txt").write_text("not an index")
    for args in (["ask", QUESTION], ["ask", QUESTION, "--json"], ["check"]):
        result = subprocess.run(
            [sys.executable, "-m", "qa", *args, "--index", str(index)], capture_output=True, text=True
        )
        assert result.returncode == 1
        assert result.stderr.strip().count("\n") == 0 and "qa index" in result.stderr
        assert "Traceback" not in result.stderr
    assert sorted(p.name for p in index.iterdir()) == ["keep.txt"]


def test_unwritable_index_fails_before_embedding(tmp_path: Path, docs: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a folder")
    began = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "qa", "index", str(docs), "--index", str(blocker / "index")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "index folder" in result.stderr
    assert time.monotonic() - began < 30


def test_a_failed_faiss_write_is_an_os_error(tmp_path: Path) -> None:
    """FAISS says a write failed (a full disk, a folder gone) with a C++ RuntimeError; the build's
    callers handle OSError, so `qa index` says it in one line (tests/test_cli.py: full disk)."""
    from qa.store.folder import dense

    vectors = np.eye(4, 8, dtype=np.float32)
    with pytest.raises(OSError, match="cannot write sentences.faiss"):
        dense.build(tmp_path / "gone" / "sentences.faiss", 4, 8, lambda begin, end: vectors[begin:end])


def test_opened_assistant_notices_rebuild(seed_index: Path, tmp_path: Path, docs: Path, encoder) -> None:
    index, _ = _copy_index(seed_index, tmp_path)
    assistant = Assistant.open(index)
    assert assistant.is_current()
    build_index(docs, index, encoder=encoder)
    assert not assistant.is_current()
    # The version it had open stays readable until the next build: readers are never cut off.
    assert assistant.ask(QUESTION).quotes[0].text == ANSWER


def test_build_index_from_a_plain_script(tmp_path: Path) -> None:
    """A library caller's script without a `__main__` guard builds once, and does not hang."""
    docs = tmp_path / "docs"
    docs.mkdir()
    for n in range(3):
        (docs / f"{n}.txt").write_text(f"Report {n} says the river rose by {n + 1} metres in spring.")
    script = tmp_path / "build.py"
    script.write_text(
        "from qa.build import build_index\n"
        f"report = build_index({str(docs)!r}, {str(tmp_path / 'index')!r})\n"
        "print('built', report.sentences)\n"
    )
    result = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["built", "3"]


def _contents(root: Path) -> dict:
    """Everything a version holds, by document name and text rather than by number."""
    index = FolderIndex.open(root)
    rows = index.rows(np.arange(index.info.sentences))
    contexts = index.table.contexts(index.sentences["context"][index.sentences["context"] >= 0].tolist())
    first, last = index.passage_sentences(np.arange(index.manifest["counts"]["passages"]))
    passages = index.vectors(PASSAGES, np.arange(len(first)))
    every = np.arange(index.info.sentences)
    out = {
        "rows": list(zip(rows.document, rows.start.tolist(), rows.end.tolist(), rows.quotable.tolist())),
        "contexts": contexts,
        "passages": list(zip(first.tolist(), last.tolist())),
        "passage_vectors": passages,
        "piece_idf": np.asarray(index.piece_idf()),
        "bm25": index.lexical_scores(SENTENCES, "troops remain coalition storms museum", every),
        "bm25_passages": index.lexical_scores(PASSAGES, "troops remain coalition", np.arange(len(first))),
        "vectors": index.vectors(SENTENCES, every),
    }
    index.close()
    return out


def test_an_update_holds_exactly_what_a_build_from_scratch_holds(docs: Path, tmp_path: Path, encoder) -> None:
    (docs / "guide.md").write_text(
        "# Guide\n\n## Setup\n\nInstall the package. Run the tests.\n\n## Usage\n\nAsk a question. Read the quote.\n"
    )
    updated, scratch = tmp_path / "updated", tmp_path / "scratch"
    build_index(docs, updated, encoder=encoder)
    # A changed document in the middle of the order, one removed, one added.
    (docs / "guide.md").write_text("# Guide\n\n## Setup\n\nInstall the package first. Run the tests.\n")
    (docs / "more" / "page.html").unlink()
    (docs / "more" / "zz.md").write_text("# Storms\n\nThe expedition was cancelled because of storms.\n")
    report = build_index(docs, updated, encoder=encoder)
    assert report.unchanged and report.updated == ["guide.md"]
    build_index(docs, scratch, encoder=encoder)
    a, b = _contents(updated), _contents(scratch)
    for key in ("rows", "contexts", "passages"):
        assert a[key] == b[key], key
    for key in ("piece_idf", "bm25", "bm25_passages", "vectors"):
        assert np.allclose(a[key], b[key], atol=1e-6), key
    assert np.allclose(a["passage_vectors"], b["passage_vectors"], atol=2e-3)


def test_large_indexes_use_ivf_and_updates_reuse_its_lists(
    docs: Path, tmp_path: Path, encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    import faiss

    from qa.store.folder import dense

    # The sizes where each kind starts, scaled down to the test corpus.
    monkeypatch.setattr(dense, "FLOAT_MAX", 4)
    monkeypatch.setattr(dense, "EXACT_MAX", 8)
    monkeypatch.setattr(dense, "MIN_PROBES", 1000)  # every list: the answer must be found exactly
    index = tmp_path / "index"
    build_index(docs, index, encoder=encoder)
    manifest = FolderIndex.open(index).manifest
    assert manifest["dense"] == {"sentences": "ivf", "passages": "ivf"}
    trained = manifest["dense_training"]["sentences"]
    assert trained == {"trained_on": manifest["counts"]["sentences"], "new_since": 0}
    assert where(Assistant.open(index))[0] == ANSWER
    # A small change keeps the lists and counts what came new.
    (docs / "new.txt").write_text("The museum opens at nine in the morning. Entry is free on Sundays.")
    build_index(docs, index, encoder=encoder)
    manifest = FolderIndex.open(index).manifest
    assert manifest["dense_training"]["sentences"] == {"trained_on": trained["trained_on"], "new_since": 2}
    assistant = Assistant.open(index)
    assert assistant.ask("When does the museum open?").quotes[0].text == "The museum opens at nine in the morning."
    assert where(assistant)[0] == ANSWER
    # Carried-over vectors went, unsearched, to the list they were in: still their nearest list.
    opened = FolderIndex.open(index)
    ivf = faiss.read_index(str(index / opened.name / "sentences.faiss"))
    lists_of = np.full(ivf.ntotal, -1)
    for number in range(ivf.nlist):
        size = ivf.invlists.list_size(number)
        if size:
            lists_of[faiss.rev_swig_ptr(ivf.invlists.get_ids(number), size)] = number
    _, nearest = ivf.quantizer.search(opened.vectors(SENTENCES, np.arange(ivf.ntotal)), 1)
    assert np.array_equal(lists_of, nearest[:, 0])
    # Once half of what the lists were trained on has changed, they are trained again.
    many = " ".join(f"Exhibit {i} shows a {w} vase from the year {1000 + i}." for i, w in enumerate(["red"] * 80))
    (docs / "more.txt").write_text(many)
    build_index(docs, index, encoder=encoder)
    manifest = FolderIndex.open(index).manifest
    assert manifest["dense_training"]["sentences"] == {"trained_on": manifest["counts"]["sentences"], "new_since": 0}
    assert where(Assistant.open(index))[0] == ANSWER


def test_bm25_top_is_exact_against_scoring_every_unit(tmp_path: Path) -> None:
    from qa.store.folder import bm25

    rng = np.random.default_rng(7)
    units, vocabulary = 3000, 400
    # Zipf-like term frequencies: a few terms in most units, most terms in a few.
    occurrences = rng.zipf(1.3, size=60_000) % vocabulary
    owners = rng.integers(0, units, size=len(occurrences))
    keys = (occurrences.astype(np.uint64) * np.uint64(2654435761)) + np.uint64(1)
    bm25.build(tmp_path, "t", [(owners, keys)], units)
    index = bm25.BM25(tmp_path, "t", units)
    every_unit = np.arange(units)
    for _ in range(200):
        question = rng.choice(np.unique(keys), size=int(rng.integers(1, 7)), replace=False)
        k = int(rng.integers(1, 60))
        ids, scores = index.top(question, k)
        # The reference: each unit's score summed term by term, best first, ties by id.
        reference = np.zeros(units)
        for key in question:
            reference += bm25.BM25(tmp_path, "t", units).scores(np.array([key]), every_unit)
        held = np.flatnonzero(reference > 0)
        expected = held[np.lexsort((held, -reference[held]))][:k]
        assert np.array_equal(ids, expected)
        assert np.allclose(scores, reference[expected], rtol=1e-5)
        assert np.allclose(index.scores(question, ids), scores)
    assert index.scores(question, np.array([-1, units])).tolist() == [0.0, 0.0]


def test_text_lengths_come_from_the_manifest_or_from_the_documents(seed_index: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    opened = FolderIndex.open(index)
    states = opened.manifest["documents"]
    assert all(states[name]["chars"] == len(opened.document(name).text) for name in opened.table.names)
    assert opened._lengths() == opened.table.lengths()
    # A version written before lengths were kept (no "chars") still opens, counting in SQLite.
    path = index / opened.name / "manifest.json"
    manifest = json.loads(path.read_text())
    for state in manifest["documents"].values():
        del state["chars"]
    path.write_text(json.dumps(manifest))
    assert FolderIndex.open(index)._lengths() == opened.table.lengths()


def test_score_sample_moments_are_kept_in_the_version(seed_index: Path, tmp_path: Path) -> None:
    """The z-scores' mean and spread come from the sample's moments, equal to scoring every sample vector."""
    index, version = _copy_index(seed_index, tmp_path)
    opened = FolderIndex.open(index)
    rng = np.random.default_rng(1)
    questions = rng.standard_normal((5, opened.dimension)).astype(np.float32)
    questions /= np.linalg.norm(questions, axis=1, keepdims=True)
    for kind in (SENTENCES, PASSAGES):
        assert (version / f"sample-{kind}-moments.npy").is_file()
        assert not (version / f"sample-{kind}-vectors.npy").exists()
        cosines = opened.vectors(kind, opened.sample(kind)) @ questions.T
        for question, column in zip(questions, cosines.T):
            mean, std = opened.sample_moments(kind).spread(question)
            assert mean == pytest.approx(float(column.mean()), abs=1e-6)
            assert std == pytest.approx(float(column.std()), rel=1e-4)
    # A version written before they were kept computes them from the sample's vectors:
    # kept in the version (2026-11-27) or gathered.
    manifest = json.loads((version / "manifest.json").read_text())
    for kind in (SENTENCES, PASSAGES):
        (version / f"sample-{kind}-moments.npy").unlink()
        del manifest["files"][f"sample-{kind}-moments.npy"]
    (version / "manifest.json").write_text(json.dumps(manifest))
    np.save(version / f"sample-{SENTENCES}-vectors.npy", opened.vectors(SENTENCES, opened.sample(SENTENCES)))
    older = FolderIndex.open(index)
    for kind in (SENTENCES, PASSAGES):
        ours, theirs = older.sample_moments(kind), opened.sample_moments(kind)
        assert np.allclose(ours.mean, theirs.mean, atol=1e-6) and np.allclose(
            ours.covariance, theirs.covariance, atol=1e-6
        )
    assert Assistant.open(index).ask(QUESTION).quotes[0].text == ANSWER


def _resident_kb(array: np.ndarray) -> int:
    """Resident KB of the mapping that holds ``array`` (from /proc/self/smaps)."""
    address = array.__array_interface__["data"][0]
    inside = False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        fields = line.split()
        if "-" in fields[0] and not fields[0].endswith(":"):
            low, high = (int(x, 16) for x in fields[0].split("-"))
            inside = low <= address < high
        elif inside and fields[0] == "Rss:":
            return int(fields[1])
    raise AssertionError("the array is not in a mapping")


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="needs Linux /proc")
def test_a_long_running_index_lets_go_of_the_pages_it_read(seed_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from qa.store.folder import reader

    opened = FolderIndex.open(seed_index)
    codes = opened.segments[0].piece_codes
    monkeypatch.setattr(reader, "RELEASE_EVERY", 3)
    every = opened.pieces(SENTENCES, list(range(len(opened.sentences))))
    assert _resident_kb(codes) > 0
    opened.pieces(SENTENCES, [])
    opened.pieces(SENTENCES, [])  # the third read lets go of what the first mapped
    assert _resident_kb(codes) == 0
    again = opened.pieces(SENTENCES, list(range(len(opened.sentences))))
    assert all(np.array_equal(a.vectors, b.vectors) for a, b in zip(every, again))
