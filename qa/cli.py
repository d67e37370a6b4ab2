"""The `qa` command: index a folder, ask, chat, check an index, evaluate on your questions, serve the web app."""

from __future__ import annotations

import errno
import json
import logging
import shutil
import sqlite3
import sys
from collections import Counter
from functools import lru_cache
from pathlib import Path

import click

from qa.answer.answer import Answer, quoted
from qa.config import Settings
from qa.errors import QAError


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The settings from the environment, read once (a bad value is a one-line error)."""
    return Settings()


def _index_default() -> str:
    try:
        return settings().index
    except QAError:
        return "embeddings"  # the error is reported when the command runs


INDEX_OPTION = click.option(
    "--index",
    "index",
    default=_index_default,
    show_default="embeddings, or $QA_INDEX",
    help="Index: a folder, milvus:PATH.db (Milvus Lite) or milvus://HOST:PORT (env QA_INDEX).",
)


def _say(text: str) -> None:
    click.echo(text, err=True)


def _write_failed(index: str, exc: OSError | sqlite3.Error) -> str:
    """What to tell a user whose build could not write the index."""
    kept = "the index in use is unchanged; run `qa index` again"
    # numpy reports a short write on a full disk without an errno; SQLite says "database or disk is full".
    reason = getattr(exc, "strerror", None) or str(exc)
    full = ("requested and", "is full", "No space left")
    if getattr(exc, "errno", None) == errno.ENOSPC or any(sign in reason for sign in full):
        try:
            free = f" ({shutil.disk_usage(Path(index).resolve().parent).free / 2**20:.1f} MB free)"
        except OSError:
            free = ""
        return f"the disk of {index} ran out of room{free}: {kept} once there is room."
    return f"could not write the index at {index} ({reason}): {kept}."


def _build(
    docs_dir: Path, index: str, exclude: tuple[str, ...], wait: bool, min_confidence: float | None, quiet: bool
) -> None:
    from qa.build import build_index  # the build imports the model runtime: only when building
    from qa.progress import Progress

    progress = Progress(quiet=quiet)
    try:
        report = build_index(
            docs_dir,
            index,
            settings(),
            progress=progress,
            on_skip=lambda name, reason: None,  # progress prints the warning above the bar
            exclude=exclude,
            wait=wait,
            min_confidence=min_confidence,
        )
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from None
    except (OSError, sqlite3.Error) as exc:  # the disk filled up, or the folder stopped being writable
        progress.close()
        raise click.ClickException(_write_failed(index, exc)) from None
    except KeyboardInterrupt:
        progress.close()
        _say("Interrupted: what was embedded is kept; run `qa index` again to continue. The index in use is unchanged.")
        sys.exit(130)
    if report.rebuilt_because:
        _say(f"Rebuilt from scratch: {report.rebuilt_because}.")
    for name, same in report.duplicates:
        _say(f"note: {name} has the same text as {same}")
    if report.other_types:
        _say(_not_read(report.other_types))
    _question_model()
    click.echo(f"Indexed {docs_dir} into {index}: {report.summary()}.")


def _not_read(types: Counter[str]) -> str:
    """One line on the files left out for their type: "Not read, of other types: 2 .docx, 1 .csv (...)"."""
    from qa.read.files import SUFFIXES

    ordered = sorted(types.items(), key=lambda kind: (-kind[1], not kind[0], kind[0]))[:5]
    kinds = [f"{count} {suffix or 'with no suffix'}" for suffix, count in ordered]
    more = len(types) - len(kinds)
    listed = ", ".join(kinds) + (f" and {more} other types" if more > 0 else "")
    return (
        f"Not read, of other types: {listed} (it reads {', '.join(sorted(SUFFIXES))}; "
        "convert others to one of these to include them)."
    )


def _question_model() -> None:
    """Export the questions' model now, so that no server or `qa ask` has to."""
    from qa.embed.model import onnx_path

    s = settings()
    onnx_path(s.model, s.question_precision, s.cache_dir)


def _open(index: str, threads: int = 0):  # type: ignore[no-untyped-def]
    from qa.answer.assistant import Assistant

    return Assistant.open(index, settings().model, threads=threads)


def _highlight(quote) -> str:  # type: ignore[no-untyped-def]
    """The quote with the question's words it holds in bold (on a terminal) or [brackets]."""
    text, out, at = quote.text, [], 0
    for m in quote.matched:
        if m.start < at:
            continue
        out.append(text[at : m.start])
        word = text[m.start : m.end]
        out.append(click.style(word, bold=True, underline=True) if sys.stdout.isatty() else f"[{word}]")
        at = m.end
    out.append(text[at:])
    return "".join(out)


def _evidence_line(quote) -> str:  # type: ignore[no-untyped-def]
    e = quote.evidence
    if e is None:
        return ""
    words = ", ".join(m.word for m in quote.matched) or "none"
    return (
        f"    why: meaning {e.cosine:.2f} (cosine to the question) · shared words {e.bm25:.1f} (BM25) · "
        f"around it {e.passage:+.1f} (passage) · word pieces {e.word_match:.2f} · confidence {e.confidence:.2f}\n"
        f"    question words found: {words}"
    )


def _print_answer(assistant, answer: Answer, explain: bool = False) -> None:  # type: ignore[no-untyped-def]
    for number, part in enumerate(answer.parts):  # a message asking several questions: each in turn
        click.secho(f"{chr(10) if number else ''}Q{number + 1}: {part.question}", bold=True)
        _print_answer(assistant, part, explain)
    if answer.parts:
        return
    if answer.corrections:
        typed = ", ".join(f"“{t}”" for t, _ in answer.corrections)
        click.secho(f"Searched for: {answer.searched} (you typed {typed})", dim=True)
    if not answer.answered:
        click.echo("Not found in the documents.")
        why = answer.declined_because or (
            f"The closest sentence matched {answer.confidence:.0%}; an answer needs {answer.threshold:.0%}."
        )
        click.secho(f"  {why} Try other words, or ask about something the documents cover.", dim=True)
        return
    for rank, quote in enumerate(answer.quotes):
        if rank == 1:
            click.secho("\nAlso relevant:", dim=True)
        text = quoted(_highlight(quote) if explain else quote.text)
        click.echo(text if rank == 0 else f"  {text}")
        where = assistant.locate(quote.document, quote.start)
        click.secho(f"  — {quote.document}, {where} (score {quote.score:.2f})", dim=True)
        if explain:
            click.secho(_evidence_line(quote), dim=True)
    for conflict in answer.conflicts:
        click.secho(f"\nNote: {conflict.note()}", fg="yellow")
    if answer.changed_since_indexed:
        names = ", ".join(answer.changed_since_indexed)
        click.secho(
            f"\nNote: {names} changed since the index was built: the quotes are of the indexed text "
            "(run `qa index` to update).",
            fg="yellow",
        )


class _Group(click.Group):
    """Turns every `QAError` into one clear line and exit code 1."""

    def invoke(self, ctx: click.Context):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except QAError as exc:
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:
            _say("Interrupted.")
            sys.exit(130)


@click.group(cls=_Group)
@click.version_option(package_name="extractive-qa")
def cli() -> None:
    """Ask questions of your documents; answers are sentences quoted from them."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    logging.getLogger("faiss").setLevel(logging.ERROR)


def main() -> None:
    """Entry point: `qa ...`."""
    try:
        settings()
    except QAError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    cli()


@cli.command()
@click.argument("docs_dir", required=False, type=click.Path(file_okay=False, path_type=Path))
@INDEX_OPTION
@click.option(
    "--exclude", multiple=True, metavar="GLOB", help="Leave out matching files (gitignore syntax; repeatable)."
)
@click.option("--no-wait", is_flag=True, help="Fail at once if another build of this index is running.")
@click.option(
    "--min-confidence",
    type=click.FloatRange(0.0, 1.0),
    default=None,
    help="Answer only when the best quote's confidence reaches this (remembered by the index).",
)
@click.option("--quiet", is_flag=True, help="No progress output.")
def index(
    docs_dir: Path | None,
    index: str,
    exclude: tuple[str, ...],
    no_wait: bool,
    min_confidence: float | None,
    quiet: bool,
) -> None:
    """Index DOCS_DIR (default seeds/, or $QA_DOCS); only new or changed sentences are embedded.

    A .qaignore file in DOCS_DIR (gitignore syntax) leaves files out too.
    """
    _build(docs_dir or settings().docs_dir, index, exclude, not no_wait, min_confidence, quiet)


@cli.command()
@click.argument("question")
@INDEX_OPTION
@click.option("--top-k", type=click.IntRange(1, 20), default=3, show_default=True, help="Most quotes to return.")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON (the /ask body).")
@click.option("--explain", is_flag=True, help="Mark the question's words in each quote and say why it was chosen.")
def ask(question: str, index: str, top_k: int, as_json: bool, explain: bool) -> None:
    """Answer QUESTION with quotes from the documents."""
    assistant = _open(index)
    answer = assistant.ask(question, top_k=top_k)
    if as_json:
        click.echo(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_answer(assistant, answer, explain)


@cli.command()
@INDEX_OPTION
@click.option("--top-k", type=click.IntRange(1, 20), default=3, show_default=True)
@click.option("--explain", is_flag=True, help="Mark the question's words in each quote and say why it was chosen.")
def chat(index: str, top_k: int, explain: bool) -> None:
    """A conversation in the terminal; follow-up questions use what came before."""
    assistant = _open(index)
    history: list[dict[str, str]] = []
    click.echo("Ask a question about your documents (empty line or Ctrl-D to quit, 'new' to start over).")
    while True:
        try:
            question = input("\n> ").strip()
        except EOFError:
            break
        if question.lower() in ("", "exit", "quit"):
            break
        if question.lower() == "new":
            history.clear()
            click.echo("Started a new conversation.")
            continue
        try:
            answer = assistant.ask(question, top_k=top_k, history=history)
        except QAError as exc:
            _say(f"Error: {exc}")
            continue
        _print_answer(assistant, answer, explain)
        history.append({"question": question, "answer": answer.answer})


@cli.command()
@INDEX_OPTION
def check(index: str) -> None:
    """Verify every file of the index (checksums, sizes, bounds); exit 1 when anything is wrong."""
    from qa.store.check import check_index

    problems, summary = check_index(index)
    for problem in problems:
        _say(f"problem: {problem}")
    if problems:
        raise click.ClickException(f"the index at {index} is damaged: run `qa index` to repair it")
    click.echo(f"The index at {index} is intact: {summary}.")


@cli.command(name="eval")
@click.argument("questions", type=click.Path(dir_okay=False, path_type=Path))
@INDEX_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--min-p1", type=click.FloatRange(0.0, 1.0), default=None, help="Exit 1 when P@1 is below this.")
@click.option("--calibrate", is_flag=True, help="Suggest the answer threshold that best separates answerable and not.")
def evaluate(questions: Path, index: str, as_json: bool, min_p1: float | None, calibrate: bool) -> None:
    """Measure the assistant on your own labelled QUESTIONS (JSON Lines).

    Each line: {"question": ..., "answer": "text the top quote must contain"}, or
    {"question": ..., "document": "file it must come from"}, or {"question": ..., "answerable": false}.
    """
    from qa.evaluate import load_questions
    from qa.evaluate_cli import report_evaluation

    labels = load_questions(questions)
    assistant = _open(index)
    failed = report_evaluation(assistant, labels, as_json=as_json, min_p1=min_p1, calibrate=calibrate)
    if failed:
        sys.exit(1)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind; 0.0.0.0 exposes it.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True, help="Worker processes.")
@click.option("--threads", type=click.IntRange(1, 64), default=4, show_default=True, help="Threads per worker.")
@INDEX_OPTION
def serve(host: str, port: int, workers: int, threads: int, index: str) -> None:
    """Serve the chat page and the JSON /ask API with a production server (gunicorn)."""
    from web.server import serve as run_server

    run_server(host=host, port=port, workers=workers, index_dir=str(index), threads=threads)
