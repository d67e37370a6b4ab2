"""The app factory's assistant loading: once per process, thread-safe, re-opened after a rebuild, 503 without one."""

from __future__ import annotations

import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from qa import Assistant
from qa.store import folder as store
from web import create_app
from web.loader import AssistantLoader

ASK = {"question": "How many troops will remain in Iraq?"}


@pytest.mark.parametrize("setup", ["missing", "empty", "corrupt"])
def test_no_index_is_503_saying_what_to_run(tmp_path: Path, setup: str) -> None:
    index = tmp_path / "index"
    if setup == "empty":
        index.mkdir()
    elif setup == "corrupt":
        index.mkdir()
        (index / store.POINTER).write_text("v-nothing-here\n")
    client = create_app({"INDEX_DIR": str(index)}).test_client()

    response = client.post("/ask", json=ASK)
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == "no_index"
    assert "qa index" in error["message"]

    health = client.get("/health")
    assert health.status_code == 503
    assert health.get_json()["status"] == "no index"
    assert "qa index" in health.get_json()["error"]["message"]

    assert client.get("/documents/anything.txt").status_code == 503
    assert client.get("/").status_code == 200


def test_the_assistant_is_opened_once_and_shared(web_index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened = []
    real_open = Assistant.open

    def slow_open(index_dir):
        opened.append(index_dir)
        time.sleep(0.2)  # long enough for every thread to arrive while the first one loads
        return real_open(index_dir)

    monkeypatch.setattr(Assistant, "open", staticmethod(slow_open))
    app = create_app({"INDEX_DIR": str(web_index_dir), "MAX_CONCURRENT": 16})
    client = app.test_client()
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: client.post("/ask", json=ASK).status_code, range(8)))
    assert statuses == [200] * 8
    assert len(opened) == 1
    assert client.get("/health").status_code == 200
    assert len(opened) == 1


def test_a_rebuilt_index_is_picked_up_and_a_removed_one_is_503(web_index_dir: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    shutil.copytree(web_index_dir, index)
    app = create_app({"INDEX_DIR": str(index)})
    loader: AssistantLoader = app.extensions["qa_loader"]
    client = app.test_client()
    assert client.post("/ask", json=ASK).status_code == 200
    first = loader.get()
    assert loader.get() is first

    store.save(first.corpus, index)  # what a rebuild does: a new version, swapped in
    assert not first.is_current()
    assert client.post("/ask", json=ASK).status_code == 200
    second = loader.get()
    assert second is not first and second.is_current()

    shutil.rmtree(index)
    assert client.post("/ask", json=ASK).status_code == 503
    assert client.get("/health").status_code == 503


def test_questions_over_the_cap_are_turned_away(web_assistant, web_index_dir: Path) -> None:
    app = create_app(
        {"ASSISTANT": web_assistant, "INDEX_DIR": str(web_index_dir), "MAX_CONCURRENT": 2, "CAP_WAIT_SECONDS": 0.01}
    )
    client = app.test_client()
    slots = app.extensions["qa_cap"].slots
    assert slots.acquire(timeout=1) and slots.acquire(timeout=1)  # two questions in progress
    try:
        response = client.post("/ask", json=ASK)
        assert response.status_code == 503
        assert response.get_json()["error"]["code"] == "busy"
        assert response.headers["Retry-After"] == "1"
        assert client.get("/health").status_code == 200  # only questions are capped
    finally:
        slots.release()
        slots.release()
    assert client.post("/ask", json=ASK).status_code == 200
    # Every slot was given back, errors included.
    for _ in range(2):
        assert slots.acquire(timeout=0)
    for _ in range(2):
        slots.release()


def test_concurrent_questions_all_get_answers(web_client) -> None:
    questions = ["How many troops will remain in Iraq?", "Who contributed reporting?", "What did the drones target?"]
    results: list[int] = []
    lock = threading.Lock()

    def ask(question: str) -> None:
        status = web_client.post("/ask", json={"question": question}).status_code
        with lock:
            results.append(status)

    threads = [threading.Thread(target=ask, args=(questions[i % 3],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200] * 8  # as many as MAX_CONCURRENT: none is turned away
