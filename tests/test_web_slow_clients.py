"""Slow, idle and stalling clients against the real server: they never keep others from being answered.

The live tests run `qa serve --workers 2` (as `web.server.serve`) and hold two dozen
connections that drip their request a byte at a time, send nothing, or never close,
while another client asks questions.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pytest

from tests.web_fixtures import running_server
from web import server
from web.server import (
    BODY_TOO_LARGE,
    COMPLETE,
    HEAD_TOO_LARGE,
    MORE,
    OVERSIZED,
    REQUEST_SECONDS,
    RequestScanner,
    _ClientSocket,
)

QUESTION = json.dumps({"question": "How many troops will remain in Iraq?"}).encode()
ANSWER_START = "Some 2,500 troops will remain"
PROMPT_SECONDS = 3.0  # an answer takes tens of milliseconds; with starved threads it never came


# -- the framing, byte by byte -------------------------------------------------------------


def head(*lines: str) -> bytes:
    return "".join(line + "\r\n" for line in lines).encode() + b"\r\n"


POST = "POST /ask HTTP/1.1"
CHUNKED = head(POST, "Host: x", "Transfer-Encoding: chunked")

FRAMES = [
    pytest.param(head("GET / HTTP/1.1", "Host: x"), COMPLETE, id="get"),
    pytest.param(b"\r\n" + head("GET / HTTP/1.1", "Host: x"), COMPLETE, id="empty-line-first"),
    pytest.param(head(POST, "Content-Length: 5") + b"hello", COMPLETE, id="length"),
    pytest.param(head(POST, "content-length:  0"), COMPLETE, id="length-0"),
    pytest.param(CHUNKED + b"5\r\nhello\r\n3;ext=1\r\nabc\r\n0\r\n\r\n", COMPLETE, id="chunked"),
    pytest.param(CHUNKED + b"5\r\nhello\r\n0\r\nX-Sum: 1\r\n\r\n", COMPLETE, id="chunked-trailers"),
    pytest.param(head(POST, "Transfer-Encoding: gzip, chunked") + b"0\r\n\r\n", COMPLETE, id="chunked-last"),
    # Malformed: complete at once, for gunicorn's parser to refuse without waiting.
    pytest.param(head(POST, "Content-Length: abc"), COMPLETE, id="bad-length"),
    pytest.param(head(POST, "Content-Length: 5", "Content-Length: 5"), COMPLETE, id="two-lengths"),
    pytest.param(head(POST, "Transfer-Encoding: gzip"), COMPLETE, id="not-chunked-last"),
    pytest.param(head(POST, "Transfer-Encoding: chunked", "Content-Length: 3"), COMPLETE, id="chunked-and-length"),
    pytest.param(head("POST /ask HTTP/1.0", "Transfer-Encoding: chunked"), COMPLETE, id="chunked-http-1.0"),
    pytest.param(b"GET / HTTP/1.1\nHost: x\n\n", COMPLETE, id="bare-lf-head"),
    pytest.param(head(POST, "Content-Length : 5"), COMPLETE, id="space-before-colon"),
    pytest.param(head(POST, "Content-Length: 5", " folded"), COMPLETE, id="folded-line"),
    pytest.param(CHUNKED + b"zz\r\n", COMPLETE, id="bad-chunk-size"),
    pytest.param(CHUNKED + b"0x5\r\nhello\r\n0\r\n\r\n", COMPLETE, id="hex-prefix"),
    pytest.param(CHUNKED + b"5\r\nhelloXY", COMPLETE, id="no-crlf-after-chunk"),
    pytest.param(CHUNKED + b"0\r\nX-Sum: 1\n\n", COMPLETE, id="bare-lf-trailers"),
    # Incomplete.
    pytest.param(b"GET / HTTP/1.1\r\nHost: x\r\n", MORE, id="head-unfinished"),
    pytest.param(b"", MORE, id="nothing"),
    pytest.param(b"\r\n\r\n", MORE, id="only-empty-lines"),
    pytest.param(head(POST, "Content-Length: 6") + b"hello", MORE, id="body-unfinished"),
    pytest.param(CHUNKED + b"5\r\nhello\r\n", MORE, id="no-last-chunk"),
    pytest.param(CHUNKED + b"5\r\nhello\r\n0\r\n", MORE, id="no-end-of-trailers"),
    pytest.param(CHUNKED + b"5\r\nhello\r", MORE, id="half-crlf"),
    # Too large.
    pytest.param(head(POST, "Content-Length: 65537"), OVERSIZED, id="length-over-limit"),
    pytest.param(head(POST, "Content-Length: " + "9" * 40), OVERSIZED, id="length-huge"),
    pytest.param(CHUNKED + b"10001\r\n" + b"x" * 65537, OVERSIZED, id="chunk-over-limit"),
    pytest.param(CHUNKED + b"8000\r\n" + b"x" * 32768 + b"\r\n8001\r\n" + b"x" * 32769, OVERSIZED, id="chunks-over"),
    pytest.param(b"GET / HTTP/1.1\r\nX: " + b"x" * 70_000, HEAD_TOO_LARGE, id="head-over-limit"),
    pytest.param(b"\r\n" * 40_000, HEAD_TOO_LARGE, id="endless-empty-lines"),
    pytest.param(CHUNKED + (b"1;" + b"e" * 8000 + b"\r\nx\r\n") * 40, BODY_TOO_LARGE, id="framing-over-limit"),
]


@pytest.mark.parametrize(("data", "expected"), FRAMES)
def test_the_scanner_finds_where_a_request_ends(data: bytes, expected: str) -> None:
    assert RequestScanner().scan(data) == expected
    # Byte by byte, as a dripping client sends it: the same verdict, and never an early one.
    scanner, received, verdict = RequestScanner(), bytearray(), MORE
    for i in range(len(data)):
        received.append(data[i])
        verdict = scanner.scan(received)
        if verdict != MORE:
            break
    assert verdict == expected
    if expected == COMPLETE and i < len(data) - 1:
        assert RequestScanner().scan(data[: i + 1]) == COMPLETE  # malformed: refused as soon as it shows


def test_the_scanner_waits_for_100_continue_clients() -> None:
    scanner = RequestScanner()
    assert scanner.scan(head(POST, "Content-Length: 5", "Expect: 100-continue")) == MORE
    assert scanner.expects_continue
    scanner = RequestScanner()
    assert scanner.scan(head("POST /ask HTTP/1.0", "Content-Length: 5", "Expect: 100-continue")) == MORE
    assert not scanner.expects_continue  # HTTP/1.0 has no 100 Continue


def test_a_stalled_reader_times_out_as_a_reset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server, "IO_SECONDS", 0.3)
    ours, theirs = socket.socketpair()
    sock = _ClientSocket.adopt(ours)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        sock.setblocking(True)  # what gunicorn does in the request thread
        began = time.monotonic()
        with pytest.raises(ConnectionResetError):
            sock.sendall(b"x" * 10_000_000)  # nobody reads
        with pytest.raises(ConnectionResetError):
            sock.recv(10)  # nobody writes
        assert time.monotonic() - began < 3
    finally:
        sock.close()
        theirs.close()


# -- the real server -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def slow_server(web_index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """`qa serve --workers 2` with its defaults; yields (host, port)."""
    with running_server(web_index_dir, tmp_path_factory.mktemp("slow-server"), workers=2) as url:
        host, port = url.removeprefix("http://").rsplit(":", 1)
        yield host, int(port)


def read_response(stream: BinaryIO) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response (1xx ones included) from a socket's file: status, headers, body."""
    status_line = stream.readline()
    if not status_line:
        raise ConnectionError("closed without a response")
    status = int(status_line.split()[1])
    headers = {}
    while (line := stream.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, stream.read(int(headers.get("content-length", 0)))


def ask_request(body: bytes = QUESTION, *extra: str) -> bytes:
    lines = [POST, "Host: 127.0.0.1", "Content-Type: application/json", f"Content-Length: {len(body)}", *extra]
    return head(*lines) + body


def timed_ask(address: tuple[str, int]) -> tuple[float, int, dict]:
    """One question on a new connection: (seconds, status, body)."""
    began = time.monotonic()
    with socket.create_connection(address, timeout=PROMPT_SECONDS * 3) as sock:
        sock.sendall(ask_request())
        status, _, body = read_response(sock.makefile("rb"))
    return time.monotonic() - began, status, json.loads(body)


class Dripper(threading.Thread):
    """A client that sends ``data`` one byte every ``interval`` seconds (or nothing) and
    notes when and how the server cut it off."""

    def __init__(self, address: tuple[str, int], data: bytes, interval: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.sock = socket.create_connection(address)
        self.data, self.interval = data, interval
        self.began = time.monotonic()
        self.cut_after: float | None = None
        self.answer = b""

    def run(self) -> None:
        self.sock.settimeout(self.interval)
        sent = 0
        try:
            while time.monotonic() - self.began < 3 * REQUEST_SECONDS:
                if sent < len(self.data):
                    self.sock.send(self.data[sent : sent + 1])
                    sent += 1
                try:
                    self.answer = self.sock.recv(4096)
                except TimeoutError:
                    continue
                break  # an answer, or the end of the connection
        except OSError:
            pass
        self.cut_after = time.monotonic() - self.began
        self.sock.close()


def test_slow_clients_do_not_keep_others_from_being_answered(slow_server: tuple[str, int]) -> None:
    body = QUESTION + b" " * 200  # 250 bytes: four minutes at a byte a second
    drippers = [Dripper(slow_server, head(POST, f"Content-Length: {len(body)}") + body) for _ in range(24)]
    drippers += [Dripper(slow_server, ask_request()) for _ in range(8)]  # headers dripped
    drippers += [Dripper(slow_server, b"") for _ in range(8)]  # connected, silent
    for dripper in drippers:
        dripper.start()

    # While they are all connected, every question from someone else is answered promptly.
    answered = []
    while time.monotonic() - drippers[0].began < REQUEST_SECONDS - 3:
        seconds, status, answer = timed_ask(slow_server)
        assert status == 200 and answer["answer"].startswith(ANSWER_START)
        answered.append(seconds)
    assert len(answered) >= 3 and max(answered) < PROMPT_SECONDS, answered
    assert all(dripper.cut_after is None for dripper in drippers)

    # At the deadline they are cut off: a 408 for those that sent something.
    for dripper in drippers:
        dripper.join(timeout=REQUEST_SECONDS + 5)
    for dripper in drippers:
        assert dripper.cut_after is not None and REQUEST_SECONDS - 1 < dripper.cut_after < REQUEST_SECONDS + 4
    for dripper in drippers[:32]:
        assert dripper.answer.startswith(b"HTTP/1.1 408 "), dripper.answer
        assert b'"code": "timeout"' in dripper.answer
    assert all(dripper.answer == b"" for dripper in drippers[32:])


def test_clients_that_never_close_do_not_stall_the_server(slow_server: tuple[str, int]) -> None:
    # gunicorn lingers on each closing connection for up to 2 s in its main loop, waiting
    # for the client to close: two dozen such clients stalled everyone for 16 s.
    idle = []
    for _ in range(24):
        sock = socket.create_connection(slow_server)
        sock.sendall(head("GET /health HTTP/1.1", "Host: 127.0.0.1", "Connection: close"))
        idle.append(sock)
    try:
        time.sleep(0.3)
        for _ in range(3):
            seconds, status, _ = timed_ask(slow_server)
            assert status == 200 and seconds < PROMPT_SECONDS
        for sock in idle:  # each got its answer
            sock.settimeout(5)
            assert read_response(sock.makefile("rb"))[0] == 200
    finally:
        for sock in idle:
            sock.close()


def test_a_request_sent_slowly_within_the_deadline_is_answered(slow_server: tuple[str, int]) -> None:
    data = ask_request()
    with socket.create_connection(slow_server, timeout=10) as sock:
        for part in (data[:20], data[20:90], data[90:-5], data[-5:]):
            sock.sendall(part)
            time.sleep(0.5)
        status, _, body = read_response(sock.makefile("rb"))
    assert status == 200 and json.loads(body)["answer"].startswith(ANSWER_START)


def test_kept_alive_and_pipelined_requests_are_answered_in_order(slow_server: tuple[str, int]) -> None:
    other_question = "Which general was killed near Baghdad airport in 2020?"
    other = json.dumps({"question": other_question}).encode()
    with socket.create_connection(slow_server, timeout=10) as sock:
        stream = sock.makefile("rb")
        sock.sendall(ask_request() + ask_request(other) + head("GET /health HTTP/1.1", "Host: 127.0.0.1"))
        first, second, health = (read_response(stream) for _ in range(3))
        assert first[0] == second[0] == health[0] == 200
        assert json.loads(first[2])["answer"].startswith(ANSWER_START)
        assert json.loads(second[2])["question"] == other_question
        assert json.loads(health[2])["status"] == "ok"
        # Half of the next request now, the rest later: still the same connection.
        data = ask_request()
        sock.sendall(data[:30])
        time.sleep(0.5)
        sock.sendall(data[30:])
        assert read_response(stream)[0] == 200


def test_expect_100_continue_gets_one_continue_then_the_answer(slow_server: tuple[str, int]) -> None:
    with socket.create_connection(slow_server, timeout=5) as sock:
        stream = sock.makefile("rb")
        request = ask_request(QUESTION, "Expect: 100-continue")
        sock.sendall(request[: -len(QUESTION)])
        assert read_response(stream)[0] == 100  # at once: the client waits for it
        sock.sendall(QUESTION)
        status, _, body = read_response(stream)  # the answer, not a second 100
        assert status == 200 and json.loads(body)["answer"].startswith(ANSWER_START)


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        pytest.param(
            head(POST, "Host: 127.0.0.1", "Content-Type: application/json", "Content-Length: 70000"),
            413,
            "too_large",
            id="length-over",
        ),
        pytest.param(head("GET / HTTP/1.1", "X-Big: " + "x" * 70_000), 431, "too_large", id="head-over"),
        pytest.param(CHUNKED + (b"1;" + b"e" * 8000 + b"\r\nx\r\n") * 40, 413, "too_large", id="framing-over"),
    ],
)
def test_requests_over_the_limits_are_refused_and_closed(
    slow_server: tuple[str, int], data: bytes, status: int, code: str
) -> None:
    with socket.create_connection(slow_server, timeout=5) as sock:
        sock.sendall(data)
        stream = sock.makefile("rb")
        got, headers, body = read_response(stream)
        assert got == status and json.loads(body)["error"]["code"] == code
        assert headers["connection"] == "close"
        assert stream.read() == b""  # closed, whatever else the client meant to send


def test_malformed_requests_are_refused_at_once(slow_server: tuple[str, int]) -> None:
    for data in [
        head(POST, "Host: 127.0.0.1", "Content-Length: abc"),
        head(POST, "Host: 127.0.0.1", "Transfer-Encoding: chunked", "Content-Length: 3"),
        b"GET / HTTP/1.1\nHost: 127.0.0.1\n\n",
    ]:
        began = time.monotonic()
        with socket.create_connection(slow_server, timeout=5) as sock:
            sock.sendall(data)
            assert read_response(sock.makefile("rb"))[0] == 400, data
        assert time.monotonic() - began < PROMPT_SECONDS


def test_stopping_does_not_wait_for_idle_connections(web_index_dir: Path, tmp_path: Path) -> None:
    with running_server(web_index_dir, tmp_path) as url:
        host, port = url.removeprefix("http://").rsplit(":", 1)
        idle = [socket.create_connection((host, int(port))) for _ in range(4)]
        time.sleep(0.5)
        began = time.monotonic()
    assert time.monotonic() - began < REQUEST_SECONDS / 2  # not the request deadline, nor gunicorn's 10 s grace
    for sock in idle:
        sock.close()
