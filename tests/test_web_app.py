"""The app factory's assistant loading: once per process, thread-safe, re-opened after a rebuild,
and a missing or broken index answered 503 with its reason, remembered until the index changes."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from qa import Assistant
from qa.build import build_index
from qa.errors import IndexCorruptError, IndexMissingError
from qa.store.folder import layout
from tests.web_fixtures import SEED_DOCUMENT
from web import create_app
from web import loader as loader_module
from web.loader import AssistantLoader, IndexUnavailable

ASK = {"question": "How many troops will remain in Iraq?"}
POINTER = layout.POINTER


def assert_unavailable(client: FlaskClient, status: str, code: str, reason: str) -> None:
    """Every route that needs the index answers 503 with the one-line reason; the chat page still loads."""
    response = client.post("/ask", json=ASK)
    assert response.status_code == 503, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == code
    assert reason in error["message"] and "\n" not in error["message"]

    health = client.get("/health")
    assert health.status_code == 503
    assert health.get_json() == {"status": status, "error": error}

    page = client.get(f"/documents/{SEED_DOCUMENT}?start=0&end=10")
    assert page.status_code == 503 and page.mimetype == "text/html"
    assert reason in page.get_data(as_text=True)
    assert client.get("/").status_code == 200


@pytest.fixture
def index_copy(web_index_dir: Path, tmp_path: Path) -> Path:
    """A copy of the session's index, free to break and rebuild."""
    index = tmp_path / "index"
    shutil.copytree(web_index_dir, index)
    return index


def live_version(index: Path) -> Path:
    return index / (index / POINTER).read_text().strip()


# -- missing and broken -----------------------------------------------------------------


@pytest.mark.parametrize("setup", ["missing", "empty"])
def test_no_index_is_503_saying_what_to_run(tmp_path: Path, setup: str) -> None:
    index = tmp_path / "index"
    if setup == "empty":
        index.mkdir()
    client = create_app({"INDEX_DIR": str(index)}).test_client()
    assert_unavailable(client, "no index", "no_index", "run `qa index`")


BREAKS = {
    "garbled-pointer": lambda index: (index / POINTER).write_text("garbage\n"),
    "pointer-to-nothing": lambda index: (index / POINTER).write_text("v-20990101000000-00000000\n"),
    "deleted-array": lambda index: (live_version(index) / "sentences.npy").unlink(),
    "truncated-array": lambda index: (live_version(index) / "sentences.npy").write_bytes(b"\x93NUMPY"),
    "manifest-of-another-format": lambda index: (live_version(index) / "manifest.json").write_text('{"format": 99}'),
}


@pytest.mark.parametrize("damage", BREAKS)
def test_a_broken_index_is_503_degraded_with_the_reason(index_copy: Path, damage: str) -> None:
    BREAKS[damage](index_copy)
    client = create_app({"INDEX_DIR": str(index_copy)}).test_client()
    assert_unavailable(client, "degraded", "index_broken", "run `qa index` to rebuild it")


def test_the_pointer_name_is_the_folder_engines() -> None:
    assert loader_module.POINTER == layout.POINTER


# -- rebuilds -----------------------------------------------------------------------------


def test_a_rebuilt_index_is_picked_up_and_a_broken_one_is_503_until_rebuilt(
    index_copy: Path, web_docs_dir: Path
) -> None:
    app = create_app({"INDEX_DIR": str(index_copy)})
    loader: AssistantLoader = app.extensions["qa_loader"]
    client = app.test_client()
    assert client.post("/ask", json=ASK).status_code == 200
    first = loader.get()
    assert loader.get() is first

    build_index(web_docs_dir, index_copy)  # what a rebuild does: a new version, swapped in
    assert not first.is_current()
    assert client.post("/ask", json=ASK).status_code == 200
    second = loader.get()
    assert second is not first and second.is_current()

    BREAKS["garbled-pointer"](index_copy)  # broken while serving: not served from memory
    assert_unavailable(client, "degraded", "index_broken", "is garbled")

    build_index(web_docs_dir, index_copy)  # the rebuild repairs it; the server picks it up at once
    assert client.post("/ask", json=ASK).status_code == 200
    assert client.get("/health").get_json()["status"] == "ok"

    shutil.rmtree(index_copy)
    assert_unavailable(client, "no index", "no_index", "run `qa index` to build one")


def test_a_server_started_on_a_broken_index_picks_up_the_rebuilt_one(index_copy: Path, web_docs_dir: Path) -> None:
    BREAKS["deleted-array"](index_copy)
    client = create_app({"INDEX_DIR": str(index_copy)}).test_client()
    assert_unavailable(client, "degraded", "index_broken", "damaged")
    build_index(web_docs_dir, index_copy)
    assert client.post("/ask", json=ASK).status_code == 200


def _tamper_with_the_stored_text(index: Path) -> None:
    """Change a figure in the live version's stored copy of the seed article, as a bad disk would."""
    database = sqlite3.connect(live_version(index) / "documents.sqlite")
    database.execute("UPDATE documents SET text = replace(text, '2,500', '9,999')")
    database.commit()
    database.close()


def in_another_thread(call):
    """``call()`` run in a new thread (a new SQLite connection, as a new request thread of the server has)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(call).result()


@pytest.mark.parametrize("route", ["ask", "document"])
def test_a_document_failing_its_digest_is_503_never_500(index_copy: Path, web_docs_dir: Path, route: str) -> None:
    client = create_app({"INDEX_DIR": str(index_copy)}).test_client()
    assert client.get("/health").status_code == 200  # opened while intact
    _tamper_with_the_stored_text(index_copy)
    reason = f"the stored text of {SEED_DOCUMENT} does not match its digest"
    if route == "ask":
        response = in_another_thread(lambda: client.post("/ask", json=ASK))
        assert response.status_code == 503
        assert response.get_json()["error"] == {
            "code": "index_broken",
            "message": f"{reason}: run `qa index` to rebuild it",
        }
    else:
        response = in_another_thread(lambda: client.get(f"/documents/{SEED_DOCUMENT}?start=0&end=10"))
        assert response.status_code == 503 and response.mimetype == "text/html"
        assert reason in response.get_data(as_text=True)
        assert "9,999" not in response.get_data(as_text=True)  # a changed byte is never shown
    # The server now says the index is degraded, for every route, until it is rebuilt.
    assert_unavailable(client, "degraded", "index_broken", reason)
    build_index(web_docs_dir, index_copy)  # the rebuild reads the damaged document again
    answer = in_another_thread(lambda: client.post("/ask", json=ASK))
    assert answer.status_code == 200 and "2,500" in answer.get_json()["answer"]


# -- a broken index is not opened on every request ----------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def opens(monkeypatch: pytest.MonkeyPatch) -> list:
    """Every `Assistant.open` call, recorded (the real one runs)."""
    calls: list = []
    real_open = Assistant.open

    def counted(index_dir, *args, **kwargs):
        calls.append(index_dir)
        return real_open(index_dir, *args, **kwargs)

    monkeypatch.setattr(Assistant, "open", staticmethod(counted))
    return calls


def test_a_broken_index_is_tried_again_only_when_its_pointer_changes_or_after_the_back_off(
    index_copy: Path, opens: list
) -> None:
    good = (index_copy / POINTER).read_bytes()
    BREAKS["garbled-pointer"](index_copy)
    clock = Clock()
    loader = AssistantLoader(index_copy, retry_seconds=10, clock=clock)
    for _ in range(5):
        with pytest.raises(IndexUnavailable, match="garbled"):
            loader.get()
    assert len(opens) == 1  # remembered, not opened again on every request
    assert loader.failure is not None and loader.failure.status == "degraded"

    clock.now += 9.9
    with pytest.raises(IndexUnavailable):
        loader.get()
    assert len(opens) == 1
    clock.now += 0.1  # the back-off is over: one more try, then remembered again
    for _ in range(3):
        with pytest.raises(IndexUnavailable):
            loader.get()
    assert len(opens) == 2

    (index_copy / POINTER).write_text("still garbage\n")  # the pointer changed: tried at once
    with pytest.raises(IndexUnavailable):
        loader.get()
    assert len(opens) == 3

    (index_copy / POINTER).write_bytes(good)  # repaired: opened, and kept
    assistant = loader.get()
    assert loader.get() is assistant and loader.failure is None
    assert len(opens) == 4


def test_a_missing_index_is_tried_again_once_it_is_built(tmp_path: Path, opens: list, web_docs_dir: Path) -> None:
    index = tmp_path / "index"
    loader = AssistantLoader(index, retry_seconds=3600, clock=Clock())
    for _ in range(3):
        with pytest.raises(IndexUnavailable) as raised:
            loader.get()
    assert raised.value.failure.status == "no index" and raised.value.failure.code == "no_index"
    assert len(opens) == 1
    build_index(web_docs_dir, index)  # writes CURRENT: the change is seen at once, back-off or not
    assert loader.get().is_current()
    assert len(opens) == 2


def test_a_milvus_index_is_tried_again_every_few_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list = []

    def missing(index_dir, *args, **kwargs):
        calls.append(index_dir)
        raise IndexMissingError(f"no index at {index_dir}: run `qa index` to build one")

    monkeypatch.setattr(Assistant, "open", staticmethod(missing))
    clock = Clock()
    address = "milvus://localhost:19530"
    loader = AssistantLoader(address, clock=clock)
    assert loader.retry_seconds == loader_module.REMOTE_RETRY_SECONDS <= 10
    for _ in range(3):
        with pytest.raises(IndexUnavailable):
            loader.get()
    assert calls == [address]  # the address is passed on as written, "//" and all
    clock.now += loader_module.REMOTE_RETRY_SECONDS
    with pytest.raises(IndexUnavailable):
        loader.get()
    assert calls == [address, address]


def test_an_unexpected_error_while_opening_is_a_degraded_503_without_internals(
    index_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args, **kwargs):
        raise RuntimeError("secret internals /etc/shadow")

    monkeypatch.setattr(Assistant, "open", staticmethod(explode))
    client = create_app({"INDEX_DIR": str(index_copy)}).test_client()
    assert_unavailable(client, "degraded", "index_broken", "run `qa index` to rebuild it")
    assert "secret" not in client.get("/health").get_data(as_text=True)


def test_an_index_error_while_answering_is_503_not_500(web_index_dir: Path) -> None:
    class Damaged:
        def is_current(self) -> bool:
            return True

        def ask(self, *args, **kwargs):
            raise IndexCorruptError("the stored text of a.txt does not match its digest: run `qa index` to rebuild it")

    app = create_app({"ASSISTANT": Damaged(), "INDEX_DIR": str(web_index_dir)})
    response = app.test_client().post("/ask", json=ASK)
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "index_broken"
    assert "does not match its digest" in response.get_json()["error"]["message"]
    # The damaged assistant was dropped and the failure remembered, until the index changes.
    again = app.test_client().post("/ask", json=ASK)
    assert again.status_code == 503 and again.get_json() == response.get_json()
    assert app.test_client().get("/health").get_json()["status"] == "degraded"


# -- sharing --------------------------------------------------------------------------------


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
    questions = [
        "How many troops will remain in Iraq?",
        "What defense system shot down the drones on Monday?",
        "What did the drones target?",
    ]
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
