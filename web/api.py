"""The JSON API: POST /ask, GET /health, GET /openapi.json."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from qa import Answer, Assistant
from qa.errors import BadQuestionError, QAError
from web.errors import ApiError
from web.loader import AssistantLoader, Failure, IndexUnavailable
from web.openapi import openapi_document
from web.security import check_token
from web.validation import MAX_BODY_BYTES, parse_ask, parse_body

bp = Blueprint("api", __name__)


def _loader() -> AssistantLoader:
    return current_app.extensions["qa_loader"]  # type: ignore[no-any-return]


def unavailable(failure: Failure) -> ApiError:
    """The 503 answered while the index cannot be used: its one-line reason."""
    return ApiError(503, failure.code, failure.message)


def assistant() -> Assistant:
    """The process's assistant. Raises `ApiError` 503 (with what to run) when there is no usable index."""
    try:
        return _loader().get()
    except IndexUnavailable as exc:
        raise unavailable(exc.failure) from None


def index_failed(error: QAError, current: Assistant) -> ApiError:
    """The 503 for an index found damaged while in use; the loader remembers it (see `AssistantLoader.failed`)."""
    return unavailable(_loader().failed(error, current))


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
    # Opening a rebuilt index takes a moment: outside the cap, so that the wait for it is no "busy".
    current = assistant()
    if not _has_visible_text(question.question):
        # Only control or invisible characters: nothing to search for, so nothing is found.
        threshold = float(current.stats().get("min_confidence") or 0.0)
        return jsonify(Answer(question=question.question, answered=False, threshold=threshold).to_dict())
    with current_app.extensions["qa_cap"].slot():
        try:
            answer = current.ask(question.question, top_k=question.top_k, history=question.history)
        except BadQuestionError as exc:
            raise ApiError(400, "bad_request", str(exc)) from None
        except QAError as exc:  # the index turned out damaged (a document's text failing its digest)
            raise index_failed(exc, current) from None
    return jsonify(answer.to_dict())


@bp.get("/health")
def health() -> tuple[Response, int]:
    try:
        stats = _loader().get().stats()
    except IndexUnavailable as exc:
        failure = exc.failure
        return jsonify({"status": failure.status, "error": {"code": failure.code, "message": failure.message}}), 503
    return jsonify({"status": "ok", **stats}), 200


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document(token_required=bool(current_app.config.get("API_TOKEN"))))
