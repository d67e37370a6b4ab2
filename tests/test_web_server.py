"""The real server: `web.server.serve` under gunicorn on a loopback port."""

from __future__ import annotations

import http.client
import json
import logging
import os
import subprocess
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bench.httpload import free_port
from tests.web_fixtures import ROOT
from web import server
from web.server import BufferingWorker, _bind
from web.validation import MAX_BODY_BYTES


def post(url: str, body: bytes, content_type: str = "application/json") -> tuple[int, dict, dict]:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.load(exc)


def test_gunicorn_serves_answers(live_server: str) -> None:
    status, headers, body = post(
        live_server + "/ask", json.dumps({"question": "How many troops will remain in Iraq?"}).encode()
    )
    assert status == 200
    assert "Server" not in headers  # no banner naming the server and its version
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cache-Control"] == "no-store"
    assert body["answer"].startswith("Some 2,500 troops will remain")


def test_gunicorn_turns_away_bad_requests_with_json(live_server: str) -> None:
    assert post(live_server + "/ask", b"{", "application/json")[0] == 400
    assert post(live_server + "/ask", b"question", "text/plain")[0] == 415
    status, _, body = post(live_server + "/ask", b'{"question": "' + b"x" * 70_000 + b'"}')
    assert status == 413
    assert body["error"]["code"] == "too_large"


def post_chunked(url: str, body: bytes) -> tuple[int, dict]:
    """POST without a Content-Length, in 8 KiB chunks."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    chunks = (body[i : i + 8192] for i in range(0, len(body), 8192))
    connection.request("POST", "/ask", body=chunks, headers={"Content-Type": "application/json"}, encode_chunked=True)
    response = connection.getresponse()
    status, data = response.status, json.loads(response.read())
    connection.close()
    return status, data


def test_chunked_bodies_are_limited_too(live_server: str) -> None:
    question = json.dumps({"question": "How many troops will remain in Iraq?"}).encode()
    assert post_chunked(live_server, question)[0] == 200
    status, body = post_chunked(live_server, b'{"question": "' + b"x" * 70_000 + b'"}')
    assert status == 413
    assert body["error"]["code"] == "too_large"
    exactly = b'{"question": "' + b"x" * (MAX_BODY_BYTES - 16) + b'"}'
    assert len(exactly) == MAX_BODY_BYTES
    assert post_chunked(live_server, exactly)[0] == 400  # too long a question, but not too large a body


def test_gunicorn_answers_requests_concurrently(live_server: str) -> None:
    body = json.dumps({"question": "Which general was killed near Baghdad airport in 2020?"}).encode()
    with ThreadPoolExecutor(8) as pool:
        statuses = [status for status, _, _ in pool.map(lambda _: post(live_server + "/ask", body), range(16))]
    # Four questions are answered at once (the cap is --threads); the other four wait for a slot.
    assert statuses == [200] * 16


def raw_get(url: str, path: str, host: str) -> tuple[int, str, bytes]:
    """GET with exactly this Host header: (status, content type, body)."""
    address, port = url.removeprefix("http://").rsplit(":", 1)
    connection = http.client.HTTPConnection(address, int(port), timeout=30)
    connection.putrequest("GET", path, skip_host=True)
    connection.putheader("Host", host)
    connection.endheaders()
    response = connection.getresponse()
    result = response.status, response.getheader("Content-Type", ""), response.read()
    connection.close()
    return result


def test_a_foreign_host_is_refused(live_server: str) -> None:
    # What a page of evil.example that re-pointed its name at 127.0.0.1 would send.
    port = live_server.rsplit(":", 1)[1]
    status, content_type, body = raw_get(live_server, "/health", f"evil.example:{port}")
    assert status == 400 and content_type == "application/json"
    assert json.loads(body)["error"]["code"] == "unknown_host"
    status, content_type, _ = raw_get(live_server, "/", f"evil.example:{port}")
    assert status == 400 and content_type.startswith("text/html")
    for host in [f"127.0.0.1:{port}", f"localhost:{port}", "localhost"]:
        assert raw_get(live_server, "/health", host)[0] == 200, host


# -- settings ------------------------------------------------------------------------------


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list:
    """`serve` runs until interrupted: this keeps what it would have run instead, as (app, options)."""
    runs: list = []
    monkeypatch.setattr(server._Gunicorn, "run", lambda self: runs.append((self.application, self.options)))
    monkeypatch.delenv("QA_API_TOKEN", raising=False)
    return runs


@pytest.mark.parametrize("threads", [1, 4, 7])
def test_the_cap_is_the_threads_and_the_worker_has_room_for_more(started: list, threads: int) -> None:
    server.serve(port=0, threads=threads, workers=2, index_dir="nowhere")
    [(app, options)] = started
    assert app.config["MAX_CONCURRENT"] == threads
    assert app.extensions["qa_cap"].slots._value == threads
    # More threads than slots: a question over the cap reaches the app, waits, and gets 503 busy.
    assert options["threads"] == 2 * threads
    assert options["workers"] == 2
    assert issubclass(options["worker_class"], BufferingWorker)
    assert options["worker_class"].request_seconds == server.REQUEST_SECONDS


def test_serving_every_address_without_a_token_warns(started: list, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="gunicorn.error"):
        server.serve(host="0.0.0.0", port=0, index_dir="nowhere")
    assert "without QA_API_TOKEN" in caplog.text and "IP addresses, localhost" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="gunicorn.error"):
        server.serve(host="127.0.0.1", port=0, index_dir="nowhere")
    assert "without QA_API_TOKEN" not in caplog.text


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("QA_ALLOWED_HOSTS", "http://qa.example.com/", "QA_ALLOWED_HOSTS: 'http://qa.example.com/' is not a host name"),
        ("QA_API_TOKEN", "two words", "QA_API_TOKEN holds spaces"),
        ("QA_API_TOKEN", "   ", "QA_API_TOKEN is blank"),
        ("WEB_CONCURRENCY", "abc", "WEB_CONCURRENCY='abc' is not a whole number"),
    ],
)
def test_bad_settings_in_the_environment_are_one_line(tmp_path: Path, variable: str, value: str, message: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), variable: value}
    command = [sys.executable, "-m", "qa", "serve", "--port", str(free_port()), "--index", str(tmp_path)]
    result = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"Error: {message}")


def test_bind_address_formats() -> None:
    assert _bind("127.0.0.1", 8000) == "127.0.0.1:8000"
    assert _bind("::1", 8000) == "[::1]:8000"


# -- memory over index rebuilds ----------------------------------------------------------------


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.fixture
def rebuild(web_docs_dir: Path, tmp_path: Path):
    """An index of a copy of the web documents, and a function that changes a document and
    rebuilds the index (a new version, swapped in, as `qa index` does); yields (index, rebuild)."""
    import shutil

    from qa.build import build_index

    docs, index = tmp_path / "docs", tmp_path / "index"
    shutil.copytree(web_docs_dir, docs)
    build_index(docs, index)
    count = iter(range(10**6))

    def again() -> None:
        (docs / "update.txt").write_text(f"Update number {next(count)} was published today.\n")
        build_index(docs, index)

    return index, again


def test_a_replaced_assistant_is_freed_and_its_memory_released(rebuild, monkeypatch) -> None:
    import threading
    import weakref

    from web import loader as loader_module
    from web.loader import AssistantLoader

    released = threading.Event()
    monkeypatch.setattr(loader_module, "RELEASE_DELAY_SECONDS", 0.0)
    monkeypatch.setattr(loader_module, "release_memory", released.set)
    index, again = rebuild
    loader = AssistantLoader(index)
    first = weakref.ref(loader.get())
    again()
    assert loader.get() is not first()
    assert first() is None  # nothing kept it
    assert released.wait(timeout=5)


# Rebuilds picked up by a fresh server process while 4 threads answer at once; prints its RSS
# (MB) after each. A process of its own: the test run's process carries whatever earlier tests
# left in its heap (the torch model, hundreds of MB of arenas), which says nothing about a server.
REBUILDS_WHILE_SERVING = """
import json, os, shutil, sys, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from threadpoolctl import threadpool_limits

from qa.build import build_index
from web import create_app

source, work = Path(sys.argv[1]), Path(sys.argv[2])
docs, index = work / "docs", work / "index"
shutil.copytree(source, docs)
build_index(docs, index)
client = create_app({"INDEX_DIR": str(index)}).test_client()

def rss_mb():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

def ask(_):
    return client.post("/ask", json={"question": "How many troops will remain in Iraq?"}).status_code

figures = []
with threadpool_limits(1), ThreadPoolExecutor(4) as pool:  # one core per request thread, as the server does
    for number in range(9):
        (docs / "update.txt").write_text(f"Update number {number} was published today.\\n")
        build_index(docs, index)
        assert list(pool.map(ask, range(8))) == [200] * 8
        time.sleep(1.3)  # the release comes a second after the old assistant is freed
        figures.append(round(rss_mb()))
print(json.dumps(figures))
"""


def test_memory_stays_flat_over_index_rebuilds_while_serving(web_docs_dir: Path, tmp_path: Path) -> None:
    """Without handing freed memory back, each rebuild left tens of MB behind in the request
    threads' malloc arenas."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", REBUILDS_WHILE_SERVING, str(web_docs_dir), str(tmp_path)]
    result = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert max(figures[1:]) - figures[0] < 80, figures


# -- a broken index under gunicorn ---------------------------------------------------------------


def workers_of(master: subprocess.Popen) -> list[int]:
    """The worker processes of a gunicorn master (its children)."""
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    return [int(pid) for pid in children]


def wait_for(condition, seconds: float = 20.0) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_gunicorn_keeps_serving_a_broken_index_and_picks_up_the_rebuilt_one(
    web_index_dir: Path, web_docs_dir: Path, tmp_path: Path
) -> None:
    import shutil
    import signal

    from qa.build import build_index
    from tests.web_fixtures import get_json, server_process

    index = tmp_path / "index"
    shutil.copytree(web_index_dir, index)
    (index / "CURRENT").write_text("garbage\n")
    with server_process(index, tmp_path, workers=2, threads=2) as (url, master):
        # Both workers booted over the broken index, and answer 503 with the reason.
        for _ in range(6):
            status, body = get_json(url + "/health")
            assert status == 503 and body["status"] == "degraded"
            assert body["error"]["code"] == "index_broken" and "is garbled" in body["error"]["message"]
        status, _, body = post(url + "/ask", json.dumps({"question": "How many troops will remain in Iraq?"}).encode())
        assert status == 503 and "run `qa index` to rebuild it" in body["error"]["message"]

        # A rebuild is picked up by every worker at its next request.
        build_index(web_docs_dir, index)
        assert wait_for(lambda: all(get_json(url + "/health")[0] == 200 for _ in range(6)))

        # Broken again, then a worker dies: its replacement boots over the broken index and serves 503s.
        (index / "CURRENT").write_text("garbage\n")
        first = workers_of(master)
        os.kill(first[0], signal.SIGKILL)
        assert wait_for(lambda: len(set(workers_of(master)) - set(first)) == 1)
        assert wait_for(lambda: all(get_json(url + "/health")[0] == 503 for _ in range(6)))
        assert master.poll() is None
    log = (tmp_path / "stderr.log").read_text()
    assert "Worker failed to boot" not in log and "Traceback" not in log
    assert "is garbled" in log  # the reason is logged, once per worker and failure
    assert log.count("is garbled") <= 6, log
