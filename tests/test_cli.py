"""The `qa` command: index, ask (text and JSON), chat, exit codes and one-line errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa import Assistant
from qa.cli import cli as main
from tests.conftest import ROOT, SEED


def qa(*args: str, cwd: Path = ROOT, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qa", *args], cwd=cwd, capture_output=True, text=True, input=stdin)


def test_ask_prints_quote_and_source(seed_index: Path) -> None:
    out = qa("ask", "How many troops will remain in Iraq?", "--index", str(seed_index))
    assert out.returncode == 0, out.stderr
    assert "“Some 2,500 troops will remain" in out.stdout
    assert f"{SEED}, line 14" in out.stdout


def test_ask_json_is_to_dict(seed_index: Path) -> None:
    out = qa("ask", "How many troops will remain in Iraq?", "--index", str(seed_index), "--json", "--top-k", "2")
    body = json.loads(out.stdout)
    expected = Assistant.open(seed_index).ask("How many troops will remain in Iraq?", top_k=2).to_dict()
    body.pop("took_ms"), expected.pop("took_ms")
    assert body == expected
    assert body["answered"] is True and 1 <= len(body["quotes"]) <= 2
    assert body["quotes"][0]["document"] == SEED


def test_ask_says_what_it_searched_for_when_it_corrected_a_slip(seed_index: Path) -> None:
    out = qa("ask", "How many troops will remian in Iraq?", "--index", str(seed_index))
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Searched for: How many troops will remain in Iraq? (you typed “remian”)\n")
    assert "“Some 2,500 troops will remain" in out.stdout
    body = json.loads(qa("ask", "How many troops will remian in Iraq?", "--index", str(seed_index), "--json").stdout)
    assert body["question"] == "How many troops will remian in Iraq?"
    assert body["searched"] == "How many troops will remain in Iraq?"
    assert body["corrections"] == [{"typed": "remian", "searched": "remain"}]


def test_abstention_exits_zero(seed_index: Path) -> None:
    out = qa("ask", "What is the boiling point of water?", "--index", str(seed_index))
    assert out.returncode == 0
    assert "Not found in the documents" in out.stdout
    assert "an answer needs 48%" in out.stdout and "could not find" not in out.stdout  # said once, with why


def test_a_decline_on_the_topic_says_what_the_closest_sentence_lacks(seed_index: Path) -> None:
    out = qa("ask", "How long has the coalition been in Iraq?", "--index", str(seed_index))
    assert out.returncode == 0, out.stderr
    assert (
        "Not found in the documents.\n  The closest sentence states no number, and the question asks for one."
        in out.stdout
    )
    assert "an answer needs" not in out.stdout  # its match reached the threshold: that is not why


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["ask", "   "], 1, "Error: the question is empty"),
        (["ask", "x", "--top-k", "0"], 2, "Invalid value for '--top-k'"),
        (["ask"], 2, "Missing argument"),
        (["frobnicate"], 2, "No such command"),
        (["index", "/no/such/folder"], 1, "Error: no documents folder at /no/such/folder"),
    ],
)
def test_errors_are_one_clear_line(seed_index: Path, args: list[str], code: int, message: str) -> None:
    result = CliRunner().invoke(main, [*args, "--index", str(seed_index)] if args[0] in ("ask",) else args)
    assert result.exit_code == code
    assert message in result.output
    assert "Traceback" not in result.output


def test_corrupt_index_is_one_line(seed_index: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    (index / "CURRENT").write_text("v-gone\n")
    out = qa("ask", "How many troops?", "--index", str(index))
    assert out.returncode == 1
    assert out.stderr.count("\n") == 1 and "qa index" in out.stderr and "Traceback" not in out.stderr


def test_ask_without_index_says_what_to_run_and_builds_nothing(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    for args in (["ask", "How many troops?"], ["ask", "How many troops?", "--json"], ["chat"]):
        out = qa(*args, cwd=tmp_path, stdin="How many troops?\n")
        assert out.returncode == 1
        assert out.stderr.strip() == "Error: no index at embeddings: run `qa index` to build one"
    assert not (tmp_path / "embeddings").exists()


def test_ask_explain_marks_words_and_says_why(seed_index: Path) -> None:
    out = qa("ask", "How many troops will remain in Iraq?", "--index", str(seed_index), "--explain", "--top-k", "1")
    assert out.returncode == 0, out.stderr
    assert "[troops] will [remain]" in out.stdout
    assert "why: meaning" in out.stdout and "question words found: troops, remain, Iraq" in out.stdout


def test_bad_environment_is_one_line(seed_index: Path) -> None:
    import os

    for name, value in (("QA_MAX_FILE_MB", "abc"), ("QA_PRECISION", "fp8"), ("QA_QUESTION_PRECISION", "int4")):
        result = subprocess.run(
            [sys.executable, "-m", "qa", "ask", "x", "--index", str(seed_index)],
            capture_output=True,
            text=True,
            env={**os.environ, name: value},
            cwd=ROOT,
        )
        assert result.returncode == 1 and result.stderr.count("\n") == 1 and name in result.stderr


def test_check_passes_on_an_intact_index(seed_index: Path) -> None:
    out = qa("check", "--index", str(seed_index))
    assert out.returncode == 0 and "is intact" in out.stdout


HARD_WRAPPED = """# Lamps

The keeper lights the lamp of the lighthouse every evening
at dusk, and puts it out at dawn.

To clean the lens of the lamp, the keeper runs these two
commands:

    wipe --gently lens
    polish lens
"""


def test_a_quote_from_a_hard_wrapped_file_is_one_line_and_an_example_keeps_its_lines(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "lamps.md").write_text(HARD_WRAPPED)
    assert qa("index", str(docs), "--index", str(tmp_path / "index")).returncode == 0
    out = qa("ask", "When does the keeper light the lamp?", "--index", str(tmp_path / "index"))
    assert (
        "“The keeper lights the lamp of the lighthouse every evening at dusk, and puts it out at dawn.”" in out.stdout
    )
    body = json.loads(
        qa("ask", "When does the keeper light the lamp?", "--index", str(tmp_path / "index"), "--json").stdout
    )
    assert "evening\nat dusk" in body["quotes"][0]["text"]  # the quote itself is the file's text, as written
    out = qa("ask", "How does the keeper clean the lens?", "--index", str(tmp_path / "index"))
    assert "two\ncommands:\n\n    wipe --gently lens\n    polish lens" in out.stdout


def test_index_exclude_and_qaignore(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "seeds", docs)
    (docs / "drafts").mkdir()
    (docs / "drafts" / "old.txt").write_text("An old draft says the bridge opened in 1931.")
    (docs / "notes.txt").write_text("The bridge opened in 1932 after four years of work.")
    (docs / ".qaignore").write_text("drafts/\n")
    out = qa("index", str(docs), "--index", str(tmp_path / "index"), "--exclude", "notes.txt")
    assert out.returncode == 0, out.stderr
    assert "1 added" in out.stdout


def test_index_progress_without_a_terminal_prints_lines(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "seeds", docs)
    out = qa("index", str(docs), "--index", str(tmp_path / "index"))
    lines = [line for line in out.stderr.splitlines() if line.startswith(("reading", "writing"))]
    assert lines and all("\r" not in line for line in lines)
    assert any("1/1" in line for line in lines)


def test_a_build_that_cannot_write_says_so_and_the_index_in_use_is_unchanged(tmp_path: Path) -> None:
    """A disk that fills up mid-build (here: a file-size limit, so writes fail as on a full disk)."""
    import resource
    import signal

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    docs, index = tmp_path / "docs", tmp_path / "index"
    shutil.copytree(ROOT / "seeds", docs)
    assert qa("index", str(docs), "--index", str(index)).returncode == 0
    (docs / "harbour.txt").write_text("The harbour opens at six. " + "Boats moor at the east quay. " * 3000)
    failed = subprocess.run(
        [sys.executable, "-m", "qa", "index", str(docs), "--index", str(index)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        preexec_fn=small_files,
    )
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    assert "Error: could not write the index" in failed.stderr and "unchanged" in failed.stderr
    assert Assistant.open(index).documents == [SEED]
    assert not [p for p in index.rglob("*") if p.name.startswith(".tmp-")]  # what it took is given back
    assert "1 added" in qa("index", str(docs), "--index", str(index)).stdout


def test_a_full_disk_is_named_and_given_back(tmp_path: Path) -> None:
    """On a real 3 MB file system (root and mount(2) needed: skipped elsewhere) the update runs out of room."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {mounted.stderr.decode(errors='replace').strip()}")
    try:
        docs, index = tmp_path / "docs", disk / "index"
        shutil.copytree(ROOT / "seeds", docs)
        assert qa("index", str(docs), "--index", str(index)).returncode == 0
        free = shutil.disk_usage(disk).free
        berths = "".join(f"Berth {n} is kept for boats under {n} metres. " for n in range(3000))
        (docs / "harbour.txt").write_text(berths)
        failed = qa("index", str(docs), "--index", str(index))
        assert failed.returncode == 1 and "Traceback" not in failed.stderr
        assert f"Error: the disk of {index} ran out of room" in failed.stderr
        assert Assistant.open(index).ask("How many troops will remain in Iraq?").answered
        assert Assistant.open(index).documents == [SEED]
        assert not [p for p in index.rglob("*") if p.name.startswith(".tmp-")]  # half-written files are gone
        assert shutil.disk_usage(disk).free > free / 2
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def test_index_reports_counts_and_skips(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "seeds", docs)
    (docs / "bad.txt").write_bytes(b"\xff\xfe\x00garbage")
    out = qa("index", str(docs), "--index", str(tmp_path / "index"))
    assert out.returncode == 0, out.stderr
    assert "warning: skipped bad.txt" in out.stderr
    assert "1 added, 0 updated, 0 removed, 0 unchanged, 1 skipped" in out.stdout
    again = qa("index", str(docs), "--index", str(tmp_path / "index"))
    assert "0 added, 0 updated, 0 removed, 1 unchanged" in again.stdout
    assert "Not read" not in again.stderr


def test_index_names_the_file_types_it_did_not_read(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "seeds", docs)
    (docs / "report.docx").write_bytes(b"PK\x03\x04")
    (docs / "minutes.docx").write_bytes(b"PK\x03\x04")
    (docs / "data.csv").write_text("year,ships\n1932,4\n")
    (docs / "old.csv").write_text("year,ships\n1931,2\n")
    (docs / ".hidden.docx").write_bytes(b"PK")
    (docs / ".qaignore").write_text("old.csv\n")
    (docs / "LICENSE").write_text("Free to use.")
    out = qa("index", str(docs), "--index", str(tmp_path / "index"))
    assert out.returncode == 0, out.stderr
    # Hidden and ignored files are not counted.
    assert "Not read, of other types: 2 .docx, 1 .csv, 1 with no suffix (it reads" in out.stderr
    assert "1 added" in out.stdout


def test_chat_keeps_history(seed_index: Path) -> None:
    script = "Who was killed by the 2020 drone strike at Baghdad airport?\nWhich force did he lead?\n\n"
    out = qa("chat", "--index", str(seed_index), "--top-k", "1", stdin=script)
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("Quds Force") >= 1


def test_questions_are_encoded_in_int8_unless_asked_otherwise(
    seed_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The index holds float32 vectors; a question is one short pass, encoded by the int8 model.
    assert Assistant.open(seed_index).index.info.precision == "fp32"
    fast = Assistant.open(seed_index)
    assert fast.encoder.precision == "int8"
    monkeypatch.setenv("QA_QUESTION_PRECISION", "fp32")
    exact = Assistant.open(seed_index)
    assert exact.encoder.precision == "fp32"
    # Both find the same answer, with nearly the same evidence.
    question = "How many troops will remain in Iraq?"
    a, b = fast.ask(question), exact.ask(question)
    assert a.quotes[0].text == b.quotes[0].text
    assert abs(a.quotes[0].evidence.cosine - b.quotes[0].evidence.cosine) < 0.05
