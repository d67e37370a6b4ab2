"""The JSON API: POST /ask, GET /health, GET /openapi.json."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from qa import Answer, Assistant
from qa.errors import BadQuestionError, QAError
from web.errors import ApiError
from web.openapi import openapi_document
from web.security import check_token
from web.validation import parse_ask, parse_body

bp = Blueprint("api", __name__)


def assistant() -> Assistant:
    """The process's assistant. Raises `ApiError` 503 (with what to run) when there is no usable index."""
    try:
        return current_app.extensions["qa_loader"].get()
    except QAError as exc:
        raise ApiError(503, "no_index", str(exc)) from None


def _has_visible_text(question: str) -> bool:
    return any(ch.isprintable() and not ch.isspace() for ch in question)


@bp.post("/ask")
def ask() -> Response:
    check_token()
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type", "send the question as JSON (Content-Type: application/json)")
    ask = parse_ask(parse_body(request.get_data(cache=False)))
    if not _has_visible_text(ask.question):
        # Only control or invisible characters: nothing to search for, so nothing is found.
        return jsonify(Answer(question=ask.question, answered=False).to_dict())
    with current_app.extensions["qa_cap"].slot():
        try:
            answer = assistant().ask(ask.question, top_k=ask.top_k, history=ask.history)
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
