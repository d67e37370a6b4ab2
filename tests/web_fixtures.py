"""Fixtures for the web tests: one real index per session, the Flask app, and a live gunicorn server."""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bench.httpload import stop_server
from qa import Assistant
from qa.build import build_index
from web import create_app

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
ARTIFACTS = ROOT / "tests" / "artifacts"
SEED_DOCUMENT = "000_d9e46d3c2be1d409.txt"

HOSTILE_DOCUMENT = "hostile.txt"
HOSTILE_TEXT = (
    "Security test notice\n"
    "The sandbox report shows the injected markup <script>alert(1)</script> printed inside a sentence of this notice.\n"
    "An image tag <img src=x onerror=alert(1)> was also found in the sandbox report of the test notice.\n"
)
HOSTILE_QUESTION = "What markup was printed in the sandbox report?"
SERVER_START_SECONDS = 60

# Two documents that give the bridge different lengths: the answer reports that they disagree.
CONFLICT_DOCUMENTS = {
    "bridge-guide.txt": "The Arden Bridge crosses the river at Lowmoor. The bridge is 503 metres long. "
    "It opened to traffic in 1998.\n",
    "city-history.txt": "Lowmoor grew around its river crossing. The bridge is 512 metres long. "
    "Its towers are painted green.\n",
}
CONFLICT_QUESTION = "How long is the bridge?"


def document_parts(response) -> tuple[str, str, str]:
    """The text of a /documents/ page split around its <mark>: (before, marked, after), unescaped."""
    assert response.status_code == 200, response.get_data(as_text=True)
    page = response.get_data(as_text=True)
    article = re.search(r'<article class="document__text"[^>]*>(.*?)</article>', page, re.S)
    assert article, page
    parts = re.split(r'<mark id="quote"[^>]*>|</mark>', article.group(1))
    if len(parts) == 1:
        return html.unescape(parts[0]), "", ""
    before, marked, after = parts
    return html.unescape(before), html.unescape(marked), html.unescape(after)


@pytest.fixture(scope="session")
def web_docs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed article plus a document full of markup, in a temporary documents folder."""
    docs = tmp_path_factory.mktemp("web-docs")
    for path in SEEDS.iterdir():
        if path.is_file():
            shutil.copy(path, docs / path.name)
    (docs / HOSTILE_DOCUMENT).write_text(HOSTILE_TEXT, encoding="utf-8")
    return docs


@pytest.fixture(scope="session")
def web_index_dir(web_docs_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real index of `web_docs_dir`, built once per session with the real model."""
    index = tmp_path_factory.mktemp("web-index")
    build_index(web_docs_dir, index)
    return index


@pytest.fixture(scope="session")
def web_assistant(web_index_dir: Path) -> Assistant:
    return Assistant.open(web_index_dir)


@pytest.fixture
def web_app(web_assistant: Assistant, web_index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """The app over the session's index, with no API token whatever the environment says."""
    monkeypatch.delenv("QA_API_TOKEN", raising=False)
    return create_app({"ASSISTANT": web_assistant, "INDEX_DIR": str(web_index_dir)})


@pytest.fixture
def web_client(web_app: Flask) -> FlaskClient:
    return web_app.test_client()


@pytest.fixture(scope="session")
def conflict_index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real index of `CONFLICT_DOCUMENTS`, built once per session."""
    docs, index = tmp_path_factory.mktemp("conflict-docs"), tmp_path_factory.mktemp("conflict-index")
    for name, text in CONFLICT_DOCUMENTS.items():
        (docs / name).write_text(text, encoding="utf-8")
    build_index(docs, index)
    return index


@pytest.fixture
def conflict_client(conflict_index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> FlaskClient:
    monkeypatch.delenv("QA_API_TOKEN", raising=False)
    return create_app({"INDEX_DIR": str(conflict_index_dir)}).test_client()


def _get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


@pytest.fixture(scope="session")
def live_server(web_index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app under the real gunicorn server (`web.server.serve`) on a free loopback port; yields its URL."""
    logs = tmp_path_factory.mktemp("web-server")
    env = {k: v for k, v in os.environ.items() if k != "QA_API_TOKEN"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    code = f"from web.server import serve; serve(host='127.0.0.1', port=0, index_dir={str(web_index_dir)!r})"
    # Files, not pipes: the access log goes to stdout and must never fill a pipe nobody reads.
    with open(logs / "stdout.log", "wb") as stdout, open(logs / "stderr.log", "wb") as stderr:
        process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=stdout, stderr=stderr)
    try:
        yield _wait_for_server(process, logs)
    finally:
        stop_server(process)


def _wait_for_server(process: subprocess.Popen, logs: Path) -> str:
    """The URL the server printed, once its /health answers 200."""
    deadline = time.monotonic() + SERVER_START_SECONDS
    url = ""
    while time.monotonic() < deadline and process.poll() is None:
        if not url:
            lines = (logs / "stdout.log").read_text(errors="replace").splitlines()
            url = next((line.split()[-1] for line in lines if line.startswith("Serving on http://")), "")
        if url:
            try:
                if _get_json(url + "/health")[0] == 200:
                    return url
            except OSError:
                pass
        time.sleep(0.2)
    process.kill()
    pytest.fail(
        f"the server did not become healthy (url {url or 'never printed'}):\n{(logs / 'stderr.log').read_text()}"
    )


@contextlib.contextmanager
def running_server(index_dir: Path, logs: Path, env: dict[str, str] | None = None, **serve_options) -> Iterator[str]:
    """`web.server.serve(**serve_options)` in a subprocess on a free loopback port; yields its URL.

    ``env`` replaces the environment (QA_API_TOKEN is dropped from it, as for `live_server`).
    """
    env = {k: v for k, v in (os.environ if env is None else env).items() if k != "QA_API_TOKEN"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    options = {"host": "127.0.0.1", "port": 0, "index_dir": str(index_dir), **serve_options}
    code = f"from web.server import serve; serve(**{options!r})"
    with open(logs / "stdout.log", "wb") as stdout, open(logs / "stderr.log", "wb") as stderr:
        process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=stdout, stderr=stderr)
    try:
        yield _wait_for_server(process, logs)
    finally:
        stop_server(process)


def _wait_for_answer(process: subprocess.Popen, logs: Path) -> str:
    """The URL the server printed, once its /health answers, whatever its status."""
    deadline = time.monotonic() + SERVER_START_SECONDS
    url = ""
    while time.monotonic() < deadline and process.poll() is None:
        if not url:
            lines = (logs / "stdout.log").read_text(errors="replace").splitlines()
            url = next((line.split()[-1] for line in lines if line.startswith("Serving on http://")), "")
        if url:
            try:
                _get_json(url + "/health")
                return url
            except OSError:
                pass
        time.sleep(0.2)
    process.kill()
    pytest.fail(f"the server did not answer (url {url or 'never printed'}):\n{(logs / 'stderr.log').read_text()}")


@contextlib.contextmanager
def server_process(index_dir: Path, logs: Path, **serve_options) -> Iterator[tuple[str, subprocess.Popen]]:
    """`web.server.serve(**serve_options)` in a subprocess, even over a missing or broken index;
    yields its URL once /health answers (200 or 503), and the gunicorn master's process."""
    env = {k: v for k, v in os.environ.items() if k != "QA_API_TOKEN"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    options = {"host": "127.0.0.1", "port": 0, "index_dir": str(index_dir), **serve_options}
    code = f"from web.server import serve; serve(**{options!r})"
    with open(logs / "stdout.log", "wb") as stdout, open(logs / "stderr.log", "wb") as stderr:
        process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=stdout, stderr=stderr)
    try:
        yield _wait_for_answer(process, logs), process
    finally:
        stop_server(process)


def get_json(url: str) -> tuple[int, dict]:
    """GET ``url``: (status, JSON body), for any status."""
    return _get_json(url)
