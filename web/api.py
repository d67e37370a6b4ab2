"""The JSON API: POST /ask, GET /health, GET /openapi.json."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from qa import Answer, Assistant
from qa.errors import BadQuestionError, QAError
from web.errors import ApiError
from web.openapi import openapi_document
from web.security import check_token
from web.validation import MAX_BODY_BYTES, parse_ask, parse_body

bp = Blueprint("api", __name__)


def assistant() -> Assistant:
    """The process's assistant. Raises `ApiError` 503 (with what to run) when there is no usable index."""
    try:
        return current_app.extensions["qa_loader"].get()
    except QAError as exc:
        raise ApiError(503, "no_index", str(exc)) from None


def _read_body() -> bytes:
    """The request body. Raises `ApiError` 413 past MAX_BODY_BYTES, with or without a Content-Length."""
    chunks, size = [], 0
    while size <= MAX_BODY_BYTES:
        chunk = request.stream.read(MAX_BODY_BYTES + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > MAX_BODY_BYTES:
        raise ApiError(413, "too_large", f"the request body is over {MAX_BODY_BYTES} bytes")
    return b"".join(chunks)


def _has_visible_text(question: str) -> bool:
    return any(ch.isprintable() and not ch.isspace() for ch in question)


@bp.post("/ask")
def ask() -> Response:
    check_token()
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type", "send the question as JSON (Content-Type: application/json)")
    question = parse_ask(parse_body(_read_body()))
    if not _has_visible_text(question.question):
        # Only control or invisible characters: nothing to search for, so nothing is found.
        return jsonify(Answer(question=question.question, answered=False).to_dict())
    # Opening a rebuilt index takes a moment: outside the cap, so that the wait for it is no "busy".
    current = assistant()
    with current_app.extensions["qa_cap"].slot():
        try:
            answer = current.ask(question.question, top_k=question.top_k, history=question.history)
        except BadQuestionError as exc:
            raise ApiError(400, "bad_request", str(exc)) from None
        except QAError as exc:
            raise ApiError(503, "no_index", str(exc)) from None
    return jsonify(answer.to_dict())


@bp.get("/health")
def health() -> tuple[Response, int]:
    try:
        stats = current_app.extensions["qa_loader"].get().stats()
    except QAError as exc:
        return jsonify({"status": "no index", "error": {"code": "no_index", "message": str(exc)}}), 503
    return jsonify({"status": "ok", **stats}), 200


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document(token_required=bool(current_app.config.get("API_TOKEN"))))
