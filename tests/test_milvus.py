"""The Milvus engine on real Milvus Lite: the same answers as the folder index, updates, kills, bad addresses.

Milvus Lite runs in this process on temporary files; `qa` subprocesses open the same
files once this process has let them go (Milvus Lite serves one process at a time).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

from qa import Assistant  # noqa: E402
from qa.build import build_index  # noqa: E402
from qa.config import Settings  # noqa: E402
from qa.errors import (  # noqa: E402
    BuildLockedError,
    ConfigError,
    DocumentNotFoundError,
    IndexCorruptError,
    IndexMissingError,
)
from qa.split.terms import term_keys  # noqa: E402
from qa.store.base import CONTEXTS, PASSAGES, SENTENCES  # noqa: E402
from qa.store.folder import FolderIndex  # noqa: E402
from qa.store.milvus import (  # noqa: E402
    MilvusIndex,
    MilvusWriter,
    check_milvus,
    schema,  # noqa: E402
)
from qa.store.milvus.connection import Connection, parse  # noqa: E402
from qa.store.milvus.manifest import load  # noqa: E402
from tests.conftest import ROOT, SEED, SEEDS  # noqa: E402
from tests.test_answers import EXPECTED, OUT_OF_CORPUS  # noqa: E402

QUESTION = "How many troops will remain in Iraq?"
ANSWER = (
    "Some 2,500 troops will remain as the coalition shifts to an advisory mission to continue supporting Iraqi forces."
)


def lite(folder: Path, name: str = "index") -> str:
    return f"milvus:{folder / name}.db"


def where(assistant: Assistant, question: str = QUESTION) -> tuple[str, str, int, int]:
    quote = assistant.ask(question).quotes[0]
    return quote.text, quote.document, quote.start, quote.end


def versions(address: str) -> set[str]:
    db = Connection.open(parse(address))
    try:
        return {v for c in db.call("list_collections") if (v := schema.version_of("qa", c))}
    finally:
        db.close()


def qa(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "qa", *args], cwd=ROOT, capture_output=True, text=True, env={**os.environ, **(env or {})}
    )


@pytest.fixture(scope="module")
def milvus_seed(tmp_path_factory: pytest.TempPathFactory, encoder) -> str:
    """The seed article in Milvus Lite, built once for the module."""
    address = lite(tmp_path_factory.mktemp("milvus-seed"))
    build_index(SEEDS, address, encoder=encoder, parallel=False)
    return address


@pytest.fixture(scope="module")
def milvus_assistant(milvus_seed: str):  # type: ignore[no-untyped-def]
    assistant = Assistant.open(milvus_seed)
    yield assistant
    assistant.close()


# -- the same answers and the same protocol as the folder index ---------------------------


@pytest.mark.parametrize(
    "question", [q for q, _ in EXPECTED] + OUT_OF_CORPUS + ["How many troops will remian in Iraq?"]
)
def test_same_answers_as_the_folder_index(assistant: Assistant, milvus_assistant: Assistant, question: str) -> None:
    folder, milvus = assistant.ask(question, top_k=3), milvus_assistant.ask(question, top_k=3)
    assert milvus.answered == folder.answered
    assert milvus.searched == folder.searched and milvus.corrections == folder.corrections
    assert [(q.text, q.document, q.start, q.end) for q in milvus.quotes[:1]] == [
        (q.text, q.document, q.start, q.end) for q in folder.quotes[:1]
    ]
    assert milvus.confidence == pytest.approx(folder.confidence, abs=0.01)


def test_the_index_protocol_answers_as_the_folder_engine(seed_index: Path, milvus_seed: str) -> None:
    folder, milvus = FolderIndex.open(seed_index), MilvusIndex.open(milvus_seed)
    try:
        assert milvus.info.engine == "milvus" and milvus.info.address == milvus_seed
        for field in ("model", "precision", "dimension", "documents", "sentences", "documents_root"):
            assert getattr(milvus.info, field) == getattr(folder.info, field)
        assert milvus.info.documents_root == str(SEEDS.resolve())  # quotes are checked against it
        n = folder.info.sentences
        ids = np.arange(n)
        a, b = folder.rows(ids), milvus.rows(ids)
        assert a.document == b.document
        for field in ("start", "end", "quotable", "found"):
            assert np.array_equal(getattr(a, field), getattr(b, field))
        assert np.array_equal(a.context >= 0, b.context >= 0)
        # Unknown ids are marked, never an error.
        unknown = milvus.rows(np.asarray([-1, n, 10**9]))
        assert not unknown.found.any() and not unknown.quotable.any()
        assert np.allclose(folder.vectors(SENTENCES, ids), milvus.vectors(SENTENCES, ids), atol=2e-3)
        assert np.array_equal(
            np.sort(np.concatenate(folder.passages_holding(ids))), np.sort(np.concatenate(milvus.passages_holding(ids)))
        )
        passages = np.arange(len(folder.passages))
        assert all(
            np.array_equal(x, y) for x, y in zip(folder.passage_sentences(passages), milvus.passage_sentences(passages))
        )
        assert np.allclose(folder.vectors(PASSAGES, passages), milvus.vectors(PASSAGES, passages), atol=2e-3)
        for x, y in zip(folder.pieces(SENTENCES, list(range(n))), milvus.pieces(SENTENCES, list(range(n)))):
            assert np.array_equal(x.ids, y.ids) and np.allclose(x.vectors, y.vectors, atol=1e-6)
        assert milvus.pieces(SENTENCES, [-1, n])[0].ids.size == 0
        assert milvus.pieces(CONTEXTS, [-1])[0].ids.size == 0
        assert np.allclose(folder.piece_idf(), milvus.piece_idf(), atol=1e-5)
        # The seed article is smaller than the sample: the sample is every unit.
        assert np.array_equal(milvus.sample(SENTENCES), ids)
        assert np.array_equal(milvus.sample(PASSAGES), passages)
        # Candidates: the same nearest sentences; BM25 by Milvus's own function finds the answer.
        vector = folder.vectors(SENTENCES, np.asarray([13]))[0]
        assert folder.dense(SENTENCES, vector, 5).ids.tolist() == milvus.dense(SENTENCES, vector, 5).ids.tolist()
        hits = milvus.lexical(SENTENCES, QUESTION, 5)
        assert (hits.scores > 0).all() and np.all(np.diff(hits.scores) <= 0)
        assert b.start[hits.ids[0]] == folder.rows(np.asarray([hits.ids[0]])).start[0]
        assert ANSWER.startswith(milvus.document(SEED).text[int(b.start[hits.ids[0]]) : int(b.end[hits.ids[0]])][:40])
        scores = milvus.lexical_scores(SENTENCES, QUESTION, np.asarray([hits.ids[0], 10**9]))
        assert scores[0] == pytest.approx(hits.scores[0]) and scores[1] == 0
        sample_scores = milvus.lexical_scores(SENTENCES, QUESTION, milvus.sample(SENTENCES))
        assert sample_scores[hits.ids[0]] == pytest.approx(hits.scores[0])
        # Term counts (typing slips): the same sentences hold each term; unknown terms hold none.
        keys = np.unique(np.concatenate([term_keys(folder.document(SEED).text), np.asarray([1, 2], np.uint64)]))
        assert np.array_equal(folder.term_counts(keys), milvus.term_counts(keys))
        assert milvus.term_counts(keys).max() > 1 and milvus.term_counts(np.asarray([1], np.uint64))[0] == 0
        assert milvus.document(SEED).text == folder.document(SEED).text
        assert milvus.document_names() == folder.document_names()
        with pytest.raises(DocumentNotFoundError):
            milvus.document("nothing.txt")
        assert milvus.is_current()
    finally:
        folder.close()
        milvus.close()


# -- updates, deletions, rebuilds ---------------------------------------------------------


def assert_term_counts_are_the_live_sentences(assistant: Assistant) -> None:
    """The counts kept through updates and deletions are what counting the live sentences gives."""
    index = assistant.index
    rows = index.rows(np.arange(int(index.next["sentence"])))  # type: ignore[attr-defined]  # live ids, with gaps
    live = [(d, s, e) for d, s, e, f in zip(rows.document, rows.start, rows.end, rows.found) if f]
    assert len(live) == index.info.sentences
    texts = {name: index.document(name).text for name, _, _ in live}
    held = [np.unique(term_keys(texts[d][s:e])) for d, s, e in live]
    keys, counts = np.unique(np.concatenate(held), return_counts=True)
    assert np.array_equal(index.term_counts(keys), counts)
    assert len(index._terms[0]) == len(keys)  # type: ignore[attr-defined]  # nothing left of removed sentences


def test_update_delete_and_rebuild(docs: Path, tmp_path: Path, encoder) -> None:
    address = lite(tmp_path)
    report = build_index(docs, address, encoder=encoder, parallel=False)
    assert sorted(report.added) == [SEED, "more/notes.md", "more/page.html"]
    first = versions(address)
    again = build_index(docs, address, encoder=encoder, parallel=False)
    assert again.embedded == 0 and len(again.unchanged) == 3 and versions(address) == first  # in place
    old = Assistant.open(address)
    old.index.CHECK_SECONDS = 0  # type: ignore[attr-defined]
    expected = where(old)

    # One file changed: only it is read again, only its new sentence embedded.
    notes = docs / "more" / "notes.md"
    notes.write_text(notes.read_text() + "\nThe museum opens at nine in the morning.\n")
    report = build_index(docs, address, encoder=encoder, parallel=False)
    assert report.updated == ["more/notes.md"] and len(report.unchanged) == 2 and report.embedded == 1
    assert not old.is_current()
    new = Assistant.open(address)
    assert new.ask("When does the museum open?").quotes[0].text == "The museum opens at nine in the morning."
    assert where(new) == expected
    assert_term_counts_are_the_live_sentences(new)
    new.close()

    # One file deleted: gone from answers, names and documents.
    (docs / "more" / "page.html").unlink()
    report = build_index(docs, address, encoder=encoder, parallel=False)
    assert report.removed == ["more/page.html"] and report.embedded == 0
    new = Assistant.open(address)
    assert "more/page.html" not in new.documents and new.index.info.documents == 2
    with pytest.raises(DocumentNotFoundError):
        new.document("more/page.html")
    assert where(new) == expected
    assert_term_counts_are_the_live_sentences(new)
    new.close()
    assert check_milvus(address)[0] == []

    # Other passage settings: a new version, vectors reused by text, the alias moved.
    report = build_index(docs, address, Settings(window=4, stride=2), encoder=encoder, parallel=False)
    assert "into passages" in report.rebuilt_because and report.embedded == 0
    assert len(versions(address)) == 2 and versions(address) != first  # this one and the one before
    new = Assistant.open(address)
    assert where(new) == expected
    new.close()
    problems, summary = check_milvus(address)
    assert problems == [] and "2 documents" in summary
    old.close()


def test_a_second_build_waits_or_fails(tmp_path: Path, encoder) -> None:
    address = lite(tmp_path)
    identity = {"model": "all-MiniLM-L6-v2", "precision": "int8", "dimension": 384, "vocabulary": 30522}
    chunking = {"unit": "sentence", "splitter": 1, "window": 5, "stride": 3}
    first = MilvusWriter(address, identity, chunking, encoder.embed)
    try:
        with pytest.raises(BuildLockedError, match="another `qa index` is building"):
            MilvusWriter(address, identity, chunking, encoder.embed, wait=False)
    finally:
        first.abort()
    MilvusWriter(address, identity, chunking, encoder.embed, wait=False).abort()


def test_the_server_build_lease(tmp_path: Path) -> None:
    """The lease a build takes on a Milvus server (no file to lock there), exercised on Milvus Lite."""
    from qa.store.milvus.lock import Lease

    db = Connection.open(parse(lite(tmp_path)), create=True)
    try:
        first = Lease(db, wait=False, on_wait=None)
        with pytest.raises(BuildLockedError, match="another `qa index` is building"):
            Lease(db, wait=False, on_wait=None)
        first.release()
        Lease(db, wait=False, on_wait=None).release()
    finally:
        db.close()


# -- killed builds ------------------------------------------------------------------------


def _killed_at(phase: str, docs: Path, address: str) -> None:
    """Run `qa index` until it reaches ``phase``, then kill it and its file-reading helper without warning.

    The whole process group is killed, as a power cut or a container stop would: the helper
    process `qa index` forks to read files outlives a SIGKILL of its parent alone, holding
    the Milvus Lite file (a problem of the build's helper, reported, not of Milvus).
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "qa", "index", str(docs), "--index", address],
        cwd=ROOT,
        env={**os.environ, "QA_TEST_PAUSE": phase},
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    assert process.stderr is not None
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if f"paused at {phase}" in line:
            break
        if not line and process.poll() is not None:
            raise AssertionError(f"`qa index` ended ({process.returncode}) before {phase}")
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


@pytest.mark.parametrize(
    ("phase", "how"),
    [("embedding", "in place"), ("swap", "in place"), ("swap", "new version"), ("cleanup", "in place")],
)
def test_a_killed_build_leaves_the_previous_answers_served(
    docs: Path, tmp_path: Path, encoder, phase: str, how: str
) -> None:
    address = lite(tmp_path)
    # "new version": the index was built with other passage settings, so `qa index` writes a new version.
    settings = Settings(window=4, stride=2) if how == "new version" else None
    build_index(docs, address, settings, encoder=encoder, parallel=False)
    before = Assistant.open(address)
    expected, names = where(before), sorted(before.documents)
    before.close()  # let the `qa index` process open the file
    # Killed while embedding: the first file fills a chunk of texts (1,024), written before
    # the kill; the second is read after it, so it is not.
    sizes = [1000, 50] if phase == "embedding" else [40]
    big = [f"big{part}.txt" for part in range(len(sizes))]
    for part, (name, size) in enumerate(zip(big, sizes)):
        lines = [f"Line {i} of part {part} says the river rose by {i + 1000 * part} centimetres." for i in range(size)]
        (docs / name).write_text("\n".join(lines))
    (docs / "more" / "page.html").unlink()

    _killed_at(phase, docs, address)

    after = Assistant.open(address)
    assert where(after) == expected
    committed = phase == "cleanup"  # killed after the one atomic step: the new state is served
    assert sorted(after.documents) == (sorted({*names, *big} - {"more/page.html"}) if committed else names)
    assert after.ask("How far did the river rise on line 17?").answered == committed
    after.close()
    assert check_milvus(address)[0] == []
    # The next build finishes the work, reusing what the killed one embedded.
    report = build_index(docs, address, encoder=encoder, parallel=False)
    # Everything the killed build had written is reused: after a kill while embedding only what
    # it had not reached is embedded (the second file, the notes), nothing once all was written.
    assert report.embedded <= (100 if phase == "embedding" else 0), report.embedded
    done = Assistant.open(address)
    assert set(big) <= set(done.documents) and "more/page.html" not in done.documents
    assert "centimetres" in done.ask("How far did the river rise on line 17?").quotes[0].text
    assert where(done) == expected
    done.close()
    assert check_milvus(address)[0] == []
    assert len(versions(address)) <= 2  # the live version (and the one before it); no killed build's


# -- addresses, errors, the command line ------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("milvus:", "a Milvus Lite index is a file ending in .db"),
        ("milvus:index.txt", "a Milvus Lite index is a file ending in .db"),
        ("milvus://", "names no server"),
        ("milvus://host:port", "bad port"),
        ("milvus://host:19530/bad-name", "must be letters, digits and _"),
    ],
)
def test_bad_addresses_are_refused(address: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        parse(address)


def test_addresses() -> None:
    server = parse("milvus://db.example:19531/manuals")
    assert (server.uri, server.prefix, server.lite) == ("http://db.example:19531", "manuals", False)
    assert parse("milvus://db.example").port == 19530 and parse("milvus://db.example").prefix == "qa"
    assert parse("milvus:data/index.db").lite and parse("milvus:data/index.db").path.is_absolute()


def test_pieces_and_the_sample() -> None:
    ids, codes = np.asarray([101, 7592, 30000]), np.arange(3 * 48, dtype=np.uint8).reshape(3, 48)
    for wide in (False, True):
        back_ids, back_codes = schema.unpack_pieces(schema.pack_pieces(ids, codes, wide), 48, wide)
        assert back_ids.tolist() == ids.tolist() and np.array_equal(back_codes, codes)
    units = np.arange(10_000, 30_000)
    chosen, threshold = schema.sample(units, 4096)
    assert len(chosen) == 4096 and np.array_equal(chosen, np.sort(units[schema.ranks(units) < np.float32(threshold)]))
    assert schema.sample(units[:100], 4096) == (pytest.approx(units[:100]), 2.0)  # type: ignore[comparison-overlap]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ask", QUESTION, "--index", "milvus://127.0.0.1:1"], "cannot reach Milvus at 127.0.0.1:1"),
        (["check", "--index", "milvus://127.0.0.1:1"], "cannot reach Milvus at 127.0.0.1:1"),
        (["ask", QUESTION, "--index", "milvus:"], "a Milvus Lite index is a file ending in .db"),
        (["ask", QUESTION, "--index", "milvus:{tmp}/missing.db"], "no index at milvus:"),
        (["index", "seeds", "--index", "milvus:{tmp}/file.txt/index.db"], "cannot write"),
    ],
)
def test_errors_are_one_line_and_fast(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "file.txt").write_text("not a folder")
    began = time.monotonic()
    out = qa(*[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert out.returncode == 1, out.stdout
    assert message in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert time.monotonic() - began < 30
    assert not (tmp_path / "missing.db").exists()  # reading never creates an index


def test_the_command_line_on_milvus_lite(tmp_path: Path) -> None:
    address = lite(tmp_path)
    built = qa("index", "seeds", "--index", address)
    assert built.returncode == 0, built.stderr
    assert f"into {address}: 1 added" in built.stdout
    asked = qa("ask", QUESTION, "--index", address, "--json")
    assert asked.returncode == 0, asked.stderr
    assert json.loads(asked.stdout)["quotes"][0]["text"] == ANSWER
    checked = qa("check", "--index", address)
    assert checked.returncode == 0 and "intact" in checked.stdout, checked.stderr
    # QA_INDEX names it too.
    declined = qa("ask", "What is the boiling point of water?", env={"QA_INDEX": address})
    assert declined.returncode == 0 and "Not found in the documents" in declined.stdout


def test_a_lite_file_in_use_is_one_line(milvus_seed: str, milvus_assistant: Assistant) -> None:
    assert milvus_assistant.ask(QUESTION).answered  # this process holds the file
    out = qa("ask", QUESTION, "--index", milvus_seed)
    assert out.returncode == 1 and "open in another process" in out.stderr and "Traceback" not in out.stderr


def edit_meta(address: str, key: str, change) -> str:  # type: ignore[no-untyped-def]
    """Rewrite one row of the live version's meta collection (``change``: old value -> new); returns the old value."""
    [version] = versions(address)
    db = Connection.open(parse(address))
    try:
        load(db, version, ("meta",))
        meta = schema.name("qa", version, "meta")
        [row] = db.call("query", meta, ids=[key], output_fields=["key", "gen", "value", "_v"])
        db.call("upsert", meta, [row | {"value": change(row["value"])}])
        return str(row["value"])
    finally:
        db.close()


def test_a_version_without_term_counts_answers_and_gains_them_at_the_next_build(tmp_path: Path, encoder) -> None:
    """Versions written before term counts were kept: typing slips go uncorrected until an update counts them."""
    docs = tmp_path / "docs"
    shutil.copytree(SEEDS, docs)
    address = lite(tmp_path)
    build_index(docs, address, encoder=encoder, parallel=False)
    [version] = versions(address)

    def without_terms(value: str) -> str:
        manifest = json.loads(value)
        del manifest["blobs"]["terms"]
        return json.dumps(manifest)

    edit_meta(address, "manifest", without_terms)
    old = Assistant.open(address)
    answer = old.ask("How many troops will remian in Iraq?")
    assert answer.corrections == () and old.ask(QUESTION).quotes[0].text == ANSWER
    old.close()
    (docs / "extra.txt").write_text("The museum opens at nine in the morning.\n")
    report = build_index(docs, address, encoder=encoder, parallel=False)
    assert report.added == ["extra.txt"] and versions(address) == {version}  # in place
    new = Assistant.open(address)
    assert new.ask("How many troops will remian in Iraq?").corrections == (("remian", "remain"),)
    assert_term_counts_are_the_live_sentences(new)
    new.close()


def test_damaged_term_counts_are_reported_and_repaired(tmp_path: Path, encoder) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(SEEDS, docs)
    address = lite(tmp_path)
    build_index(docs, address, encoder=encoder, parallel=False)
    terms = json.loads(edit_meta(address, "manifest", lambda value: value))["blobs"]["terms"]
    edit_meta(
        address, schema.blob_keys(terms)[0], lambda value: value[:8] + ("A" if value[8] != "A" else "B") + value[9:]
    )
    with pytest.raises(IndexCorruptError, match=r"terms does not match its digest.*qa index --index milvus:"):
        Assistant.open(address)
    assert any("terms does not match its digest" in p for p in check_milvus(address)[0])
    report = build_index(docs, address, encoder=encoder, parallel=False)
    assert report.rebuilt_because and report.embedded == 0
    repaired = Assistant.open(address)
    assert repaired.ask("How many troops will remian in Iraq?").corrections == (("remian", "remain"),)
    repaired.close()
    assert check_milvus(address)[0] == []


def test_damage_is_reported_and_repaired(tmp_path: Path, encoder) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(SEEDS, docs)
    address = lite(tmp_path)
    build_index(docs, address, encoder=encoder, parallel=False)
    [version] = versions(address)
    db = Connection.open(parse(address))
    db.call("delete", schema.name("qa", version, "texts"), filter="doc >= 0")
    db.close()
    with pytest.raises(IndexCorruptError, match="does not match its digest"):
        Assistant.open(address).document(SEED)
    problems, _ = check_milvus(address)
    assert any("does not match its digest" in p for p in problems)
    db = Connection.open(parse(address))
    db.call("delete", schema.name("qa", version, "meta"), ids=["manifest"])
    db.close()
    with pytest.raises(IndexCorruptError, match=r"qa index --index milvus:"):
        Assistant.open(address)
    report = build_index(docs, address, encoder=encoder, parallel=False)
    assert report.rebuilt_because and report.embedded == 0  # the damaged version's vectors are reused
    assert where(Assistant.open(address))[0] == ANSWER
    assert check_milvus(address)[0] == []
    with pytest.raises(IndexMissingError):
        Assistant.open(lite(tmp_path, "nothing"))
    assert not (tmp_path / "nothing.db").exists()


# -- the deployment files ---------------------------------------------------------------------


def parse_qa_command(command: str):  # type: ignore[no-untyped-def]
    """Parse a `qa ...` command line as the CLI does (options and their values), without running it."""
    from qa.cli import cli

    name, *rest = shlex.split(command)[1:]
    with cli.make_context("qa", [name]) as parent:
        return cli.commands[name].make_context(name, rest, parent=parent)


def test_the_compose_file_runs_milvus_beside_replicas_of_the_app() -> None:
    """What `deploy/docker-compose.yml` runs exists and parses (Docker itself cannot run here)."""
    import yaml

    compose = yaml.safe_load((ROOT / "deploy" / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"etcd", "minio", "milvus", "indexer", "web", "proxy"} <= set(services)
    assert services["milvus"]["command"] == ["milvus", "run", "standalone"]
    for name in ("indexer", "web"):
        build = services[name]["build"]
        assert (ROOT / "deploy" / build["context"] / build["dockerfile"]).is_file()
        assert build["args"]["QA_EXTRAS"] == "[milvus]"
    index = parse_qa_command(shlex.join(services["indexer"]["command"]))
    serve = parse_qa_command(shlex.join(services["web"]["command"]))
    address = services["web"]["environment"]["QA_INDEX"]
    assert index.params["index"] == address and not parse(address).lite
    assert serve.params["host"] == "0.0.0.0" and serve.params["port"] == 8000
    assert "${REPLICAS" in str(services["web"]["deploy"]["replicas"])
    assert services["web"]["depends_on"]["indexer"]["condition"] == "service_completed_successfully"
    assert "proxy_pass $upstream" in (ROOT / "deploy" / "nginx.conf").read_text()
    assert "http://web:8000" in (ROOT / "deploy" / "nginx.conf").read_text()
