"""Security headers on every response, and the optional API token."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.web_fixtures import SEED_DOCUMENT
from web import create_app

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
