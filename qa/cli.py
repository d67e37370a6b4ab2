"""The `qa` command: index a folder, ask a question, chat in the terminal, serve the web app."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click

from qa.answer.answer import Answer
from qa.config import Settings
from qa.errors import IndexMissingError, QAError

SETTINGS = Settings()
INDEX_OPTION = click.option(
    "--index",
    "index_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=SETTINGS.index_dir,
    show_default=True,
    help="Index folder (env QA_INDEX).",
)


def _warn_skipped(name: str, reason: str) -> None:
    click.echo(f"warning: skipped {name}: {reason}", err=True)


def _build(docs_dir: Path, index_dir: Path) -> None:
    from qa.build import build_index  # the indexer pulls in torch: only when building

    try:
        report = build_index(docs_dir, index_dir, SETTINGS, progress=sys.stderr.isatty(), on_skip=_warn_skipped)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from None
    if report.rebuilt_because:
        click.echo(f"Rebuilt from scratch: {report.rebuilt_because}.", err=True)
    click.echo(f"Indexed {docs_dir} into {index_dir}: {report.summary()}.")


def _open(index_dir: Path, build_missing: bool = False):
    from qa.answer.assistant import Assistant

    try:
        return Assistant.open(index_dir, SETTINGS.model)
    except IndexMissingError:
        if not build_missing:
            raise
    click.echo(f"No index at {index_dir} yet: building one from {SETTINGS.docs_dir}/ first.", err=True)
    _build(SETTINGS.docs_dir, index_dir)
    return Assistant.open(index_dir, SETTINGS.model)


def _print_answer(assistant, answer: Answer) -> None:
    if not answer.answered:
        click.echo(f"Not found in the documents. {answer.answer}")
        return
    for rank, quote in enumerate(answer.quotes):
        if rank == 1:
            click.secho("\nAlso relevant:", dim=True)
        text = quote.text if quote.text[:1] in "\"'“‘«" else f"“{quote.text}”"
        click.echo(text if rank == 0 else f"  {text}")
        where = assistant.locate(quote.document, quote.start)
        click.secho(f"  — {quote.document}, {where} (score {quote.score:.2f})", dim=True)


class _Group(click.Group):
    """Turns every `QAError` into one clear line and exit code 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except QAError as exc:
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)


@click.group(cls=_Group)
@click.version_option(package_name="extractive-qa")
def main() -> None:
    """Ask questions of your documents; answers are sentences quoted from them."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")


@main.command()
@click.argument("docs_dir", required=False, type=click.Path(file_okay=False, path_type=Path), default=SETTINGS.docs_dir)
@INDEX_OPTION
def index(docs_dir: Path, index_dir: Path) -> None:
    """Index DOCS_DIR (default seeds/); only new or changed files are embedded again."""
    _build(docs_dir, index_dir)


@main.command()
@click.argument("question")
@INDEX_OPTION
@click.option("--top-k", type=click.IntRange(1, 20), default=3, show_default=True, help="Most quotes to return.")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON (the /ask body).")
def ask(question: str, index_dir: Path, top_k: int, as_json: bool) -> None:
    """Answer QUESTION with quotes from the documents."""
    assistant = _open(index_dir, build_missing=True)
    answer = assistant.ask(question, top_k=top_k)
    if as_json:
        click.echo(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_answer(assistant, answer)


@main.command()
@INDEX_OPTION
@click.option("--top-k", type=click.IntRange(1, 20), default=3, show_default=True)
def chat(index_dir: Path, top_k: int) -> None:
    """A conversation in the terminal; follow-up questions use what came before."""
    assistant = _open(index_dir, build_missing=True)
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
            click.echo(f"Error: {exc}", err=True)
            continue
        _print_answer(assistant, answer)
        history.append({"question": question, "answer": answer.answer})


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind; 0.0.0.0 exposes it.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True, help="Worker processes.")
@click.option("--threads", type=click.IntRange(1, 64), default=4, show_default=True, help="Threads per worker.")
@INDEX_OPTION
def serve(host: str, port: int, workers: int, threads: int, index_dir: Path) -> None:
    """Serve the chat page and the JSON /ask API with a production server (gunicorn)."""
    from web.server import serve as run_server

    run_server(host=host, port=port, workers=workers, index_dir=str(index_dir), threads=threads)
