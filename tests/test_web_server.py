"""The real server: `web.server.serve` under gunicorn on a loopback port."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from web.server import _bind
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
    assert headers["Server"].startswith("gunicorn")
    assert headers["X-Frame-Options"] == "DENY"
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
    # Four threads answer at once (under the cap of 8); gunicorn queues the rest.
    assert statuses == [200] * 16


def test_bind_address_formats() -> None:
    assert _bind("127.0.0.1", 8000) == "127.0.0.1:8000"
    assert _bind("::1", 8000) == "[::1]:8000"
