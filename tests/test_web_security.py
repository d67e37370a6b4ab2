"""Security headers on every response, the Host check, the optional API token and the request cap."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from flask.testing import FlaskClient

from qa.errors import ConfigError
from tests.web_fixtures import SEED_DOCUMENT
from web import create_app
from web.security import allowed_hosts_setting, host_name

TOKEN = "s3cret-token"
ASK = {"question": "How many troops will remain in Iraq?"}

RESPONSES = [
    pytest.param("GET", "/", None, id="chat"),
    pytest.param("GET", "/health", None, id="health"),
    pytest.param("GET", "/openapi.json", None, id="openapi"),
    pytest.param("POST", "/ask", ASK, id="ask"),
    pytest.param("POST", "/ask", {}, id="ask-400"),
    pytest.param("GET", "/ask", None, id="ask-405"),
    pytest.param("GET", "/nope", None, id="404"),
    pytest.param("GET", f"/documents/{SEED_DOCUMENT}?start=0&end=10", None, id="document"),
    pytest.param("GET", "/documents/missing", None, id="document-404"),
    pytest.param("GET", "/static/chat.js", None, id="static"),
]


@pytest.mark.parametrize(("method", "path", "body"), RESPONSES)
def test_security_headers_on_every_response(web_client: FlaskClient, method: str, path: str, body: dict) -> None:
    response = web_client.open(path, method=method, json=body)
    policy = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    if path.startswith("/static/"):  # revalidated with its ETag, never stored past a change
        assert response.headers["Cache-Control"] == "no-cache"
    else:  # answers, documents, health and errors are never kept by a browser or proxy
        assert response.headers["Cache-Control"] == "no-store"


def test_an_unexpected_error_is_json_500_without_a_traceback(web_index_dir) -> None:
    class Broken:
        def is_current(self) -> bool:
            return True

        def ask(self, *args, **kwargs):
            raise RuntimeError("secret internals /etc/shadow")

    client = create_app({"ASSISTANT": Broken(), "INDEX_DIR": str(web_index_dir)}).test_client()
    response = client.post("/ask", json=ASK)
    assert response.status_code == 500
    assert response.get_json() == {"error": {"code": "internal", "message": "internal error"}}
    assert "secret" not in response.get_data(as_text=True)
    assert response.headers["X-Frame-Options"] == "DENY"


# -- the API token ------------------------------------------------------------------------


@pytest.fixture
def token_app(web_assistant, web_index_dir, monkeypatch: pytest.MonkeyPatch) -> Flask:
    monkeypatch.delenv("QA_API_TOKEN", raising=False)
    return create_app({"ASSISTANT": web_assistant, "INDEX_DIR": str(web_index_dir), "API_TOKEN": TOKEN})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


WRONG_AUTH = [
    pytest.param({}, id="missing"),
    pytest.param({"Authorization": ""}, id="empty"),
    pytest.param({"Authorization": "Bearer"}, id="no-token"),
    pytest.param({"Authorization": "Bearer "}, id="blank-token"),
    pytest.param(bearer("wrong"), id="wrong"),
    pytest.param(bearer(TOKEN[:-1]), id="prefix"),
    pytest.param(bearer(TOKEN + "x"), id="longer"),
    pytest.param({"Authorization": TOKEN}, id="no-scheme"),
    pytest.param({"Authorization": f"Basic {TOKEN}"}, id="basic"),
    pytest.param({"Authorization": "Bearer \u00ff\u00fe\x01"}, id="binary"),
    pytest.param({"Authorization": "Bearer " + "x" * 8000}, id="huge"),
]


@pytest.mark.parametrize("headers", WRONG_AUTH)
@pytest.mark.parametrize("method, path", [("POST", "/ask"), ("GET", f"/documents/{SEED_DOCUMENT}")])
def test_token_is_required(token_app: Flask, headers: dict, method: str, path: str) -> None:
    response = token_app.test_client().open(path, method=method, json=ASK, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    if path == "/ask":
        assert response.get_json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_the_right_token_is_accepted(token_app: Flask, scheme: str) -> None:
    client = token_app.test_client()
    headers = {"Authorization": f"{scheme} {TOKEN}"}
    assert client.post("/ask", json=ASK, headers=headers).status_code == 200
    assert client.get(f"/documents/{SEED_DOCUMENT}", headers=headers).status_code == 200


def test_a_non_ascii_token_is_compared_as_utf8_bytes(web_assistant, web_index_dir) -> None:
    app = create_app({"ASSISTANT": web_assistant, "INDEX_DIR": str(web_index_dir), "API_TOKEN": "clé-ünïcode"})
    on_the_wire = "clé-ünïcode".encode().decode("latin-1")  # how WSGI hands over UTF-8 header bytes
    client = app.test_client()
    assert client.post("/ask", json=ASK, headers=bearer(on_the_wire)).status_code == 200
    assert client.post("/ask", json=ASK, headers=bearer("clé-ünïcode")).status_code == 401


def test_token_is_checked_before_the_body(token_app: Flask) -> None:
    client = token_app.test_client()
    assert client.post("/ask", data="not json", content_type="text/plain").status_code == 401


@pytest.mark.parametrize("path", ["/", "/health", "/openapi.json", "/static/chat.js"])
def test_public_paths_need_no_token(token_app: Flask, path: str) -> None:
    assert token_app.test_client().get(path).status_code == 200


def test_token_comes_from_the_environment(web_assistant, web_index_dir, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_API_TOKEN", "from-env")
    client = create_app({"ASSISTANT": web_assistant, "INDEX_DIR": str(web_index_dir)}).test_client()
    assert client.post("/ask", json=ASK).status_code == 401
    assert client.post("/ask", json=ASK, headers=bearer("from-env")).status_code == 200


def test_openapi_declares_the_token_when_one_is_set(token_app: Flask) -> None:
    spec = token_app.test_client().get("/openapi.json").get_json()
    assert spec["paths"]["/ask"]["post"]["security"] == [{"bearerAuth": []}]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_a_token_no_client_can_send_is_refused_in_one_line(web_index_dir, monkeypatch: pytest.MonkeyPatch) -> None:
    for token, message in [("   ", "blank"), ("two words", "spaces"), ("tab\there", "spaces"), ("bell\x07", "control")]:
        monkeypatch.setenv("QA_API_TOKEN", token)
        with pytest.raises(ConfigError, match=message) as caught:
            create_app({"INDEX_DIR": str(web_index_dir)})
        assert "\n" not in str(caught.value) and str(caught.value).startswith("QA_API_TOKEN")
    monkeypatch.setenv("QA_API_TOKEN", "")  # empty: no token, as before
    assert create_app({"INDEX_DIR": str(web_index_dir)}).config["API_TOKEN"] is None


# -- the Host check (DNS rebinding) ---------------------------------------------------------

ANSWERED_HOSTS = [
    "localhost",
    "localhost:8000",
    "LOCALHOST",
    "localhost.",
    "127.0.0.1",
    "127.0.0.1:8000",
    "[::1]",
    "[::1]:8000",
    "10.1.2.3:80",
    "[2001:db8::1]:443",
    "",  # no Host header: no browser
]
REFUSED_HOSTS = [
    "evil.example",
    "evil.example:8000",
    "localhost.evil.example",
    "127.0.0.1.nip.io",
    "evil.example#@localhost",
    "localhost:abc",
    "[::1",
    "[evil]:80",
    "::1",
    "0x7f.1",
    "evil.example:8000:1",
]


class HostClient:
    """Requests to ``app`` with ``host`` as their Host header (an empty one when "")."""

    def __init__(self, app: Flask, host: str) -> None:
        self.client, self.host = app.test_client(), host

    def open(self, path: str, method: str = "GET", **kwargs):
        return self.client.open(path, method=method, environ_overrides={"HTTP_HOST": self.host}, **kwargs)

    def get(self, path: str, **kwargs):
        return self.open(path, "GET", **kwargs)

    def post(self, path: str, **kwargs):
        return self.open(path, "POST", **kwargs)


@pytest.mark.parametrize("host", ANSWERED_HOSTS)
def test_loopback_names_and_ip_addresses_are_answered(web_app: Flask, host: str) -> None:
    client = HostClient(web_app, host)
    assert client.post("/ask", json=ASK).status_code == 200
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("host", REFUSED_HOSTS)
def test_other_hosts_are_refused_without_a_token(web_app: Flask, host: str) -> None:
    client = HostClient(web_app, host)
    for method, path in [("POST", "/ask"), ("GET", "/health"), ("GET", "/openapi.json"), ("GET", "/nope")]:
        response = client.open(path, method=method, json=ASK)
        assert response.status_code == 400, path
        assert response.get_json()["error"]["code"] == "unknown_host"
        assert "QA_ALLOWED_HOSTS" in response.get_json()["error"]["message"]
    for path in ["/", f"/documents/{SEED_DOCUMENT}", "/static/chat.js"]:
        response = client.get(path)
        assert response.status_code == 400 and response.mimetype == "text/html", path
        assert "QA_ALLOWED_HOSTS" in response.get_data(as_text=True)
        assert "Some 2,500" not in response.get_data(as_text=True)


def test_allowed_hosts_come_from_the_environment(web_assistant, web_index_dir, monkeypatch) -> None:
    monkeypatch.setenv("QA_ALLOWED_HOSTS", "qa.example.com, .corp.example")
    app = create_app({"ASSISTANT": web_assistant, "INDEX_DIR": str(web_index_dir)})
    for host in ["qa.example.com", "QA.example.com:443", "wiki.corp.example", "127.0.0.1"]:
        assert HostClient(app, host).get("/health").status_code == 200, host
    for host in ["example.com", "corp.example", "evil.example", "qa.example.com.evil.example"]:
        assert HostClient(app, host).get("/health").status_code == 400, host
    monkeypatch.setenv("QA_ALLOWED_HOSTS", "*")
    app = create_app({"ASSISTANT": web_assistant, "INDEX_DIR": str(web_index_dir)})
    assert HostClient(app, "anything.example").get("/health").status_code == 200


def test_the_name_the_server_is_bound_to_is_answered(web_assistant, web_index_dir) -> None:
    app = create_app({"ASSISTANT": web_assistant, "INDEX_DIR": str(web_index_dir), "BIND_HOST": "myhost.lan"})
    assert HostClient(app, "myhost.lan:8000").get("/health").status_code == 200
    assert HostClient(app, "evil.example").get("/health").status_code == 400
    app = create_app({"ASSISTANT": web_assistant, "INDEX_DIR": str(web_index_dir), "BIND_HOST": "0.0.0.0"})
    assert HostClient(app, "0.0.0.0:8000").get("/health").status_code == 200
    assert HostClient(app, "evil.example").get("/health").status_code == 400


def test_with_a_token_any_host_is_answered_unless_names_are_given(web_assistant, web_index_dir, monkeypatch) -> None:
    app = create_app({"ASSISTANT": web_assistant, "INDEX_DIR": str(web_index_dir), "API_TOKEN": TOKEN})
    client = HostClient(app, "qa.example.com")  # behind a proxy, under its name
    assert client.post("/ask", json=ASK, headers=bearer(TOKEN)).status_code == 200
    assert client.post("/ask", json=ASK).status_code == 401
    monkeypatch.setenv("QA_ALLOWED_HOSTS", "qa.example.com")
    app = create_app({"ASSISTANT": web_assistant, "INDEX_DIR": str(web_index_dir), "API_TOKEN": TOKEN})
    assert HostClient(app, "qa.example.com").post("/ask", json=ASK, headers=bearer(TOKEN)).status_code == 200
    assert HostClient(app, "evil.example").post("/ask", json=ASK, headers=bearer(TOKEN)).status_code == 400


@pytest.mark.parametrize(
    ("header", "name"),
    [("Example.COM:80", "example.com"), ("[::1]:8000", "::1"), ("localhost.", "localhost"), ("a b", None)],
)
def test_host_names_are_read_without_port_and_case(header: str, name: str | None) -> None:
    assert host_name(header) == name


@pytest.mark.parametrize(
    "value", ["http://qa.example.com", "qa.example.com:8443", "qa.example.com/path", "qa.exämple.com", "*.example.com"]
)
def test_allowed_hosts_that_are_not_names_are_one_clear_line(value: str) -> None:
    with pytest.raises(ConfigError, match="QA_ALLOWED_HOSTS: .* is not a host name") as caught:
        allowed_hosts_setting(f"ok.example, {value}")
    assert "\n" not in str(caught.value)
    assert allowed_hosts_setting(" a.example,b.example  .c.example ") == ("a.example", "b.example", ".c.example")


# -- the request cap ------------------------------------------------------------------------


class SlowAssistant:
    """The real assistant, whose answers wait for ``gate``; ``started`` counts questions being answered."""

    def __init__(self, assistant) -> None:
        self.assistant = assistant
        self.gate = threading.Event()
        self.started = threading.Semaphore(0)

    def __getattr__(self, name: str):
        return getattr(self.assistant, name)

    def is_current(self) -> bool:
        return True

    def ask(self, *args, **kwargs):
        self.started.release()
        assert self.gate.wait(timeout=30)
        return self.assistant.ask(*args, **kwargs)


def test_questions_over_the_cap_wait_then_are_turned_away_busy(web_assistant, web_index_dir) -> None:
    slow = SlowAssistant(web_assistant)
    config = {"ASSISTANT": slow, "INDEX_DIR": str(web_index_dir), "MAX_CONCURRENT": 2, "CAP_WAIT_SECONDS": 0.5}
    app = create_app(config)
    with ThreadPoolExecutor(2) as pool:
        answering = [pool.submit(app.test_client().post, "/ask", json=ASK) for _ in range(2)]
        assert slow.started.acquire(timeout=10) and slow.started.acquire(timeout=10)
        client = app.test_client()
        began = time.monotonic()
        response = client.post("/ask", json=ASK)
        waited = time.monotonic() - began
        assert response.status_code == 503
        assert response.get_json()["error"]["code"] == "busy"
        assert response.headers["Retry-After"] == "1"
        assert 0.4 < waited < 5  # it queued for a slot first
        assert client.get("/health").status_code == 200  # only questions are capped
        slow.gate.set()
        assert [future.result().status_code for future in answering] == [200, 200]
    assert client.post("/ask", json=ASK).status_code == 200  # every slot was given back


def test_a_question_gets_a_slot_that_frees_up_while_it_waits(web_assistant, web_index_dir) -> None:
    slow = SlowAssistant(web_assistant)
    config = {"ASSISTANT": slow, "INDEX_DIR": str(web_index_dir), "MAX_CONCURRENT": 1, "CAP_WAIT_SECONDS": 10}
    app = create_app(config)
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(app.test_client().post, "/ask", json=ASK)
        assert slow.started.acquire(timeout=10)
        second = pool.submit(app.test_client().post, "/ask", json=ASK)
        time.sleep(0.3)  # the second question is waiting for the only slot
        slow.gate.set()
        assert first.result().status_code == second.result().status_code == 200
