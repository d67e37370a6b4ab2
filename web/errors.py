"""JSON errors for the API, small HTML error pages for the pages; nothing leaks a traceback."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

# Short machine-readable codes for the HTTP errors Werkzeug raises itself.
HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    429: "busy",
    500: "internal",
    503: "unavailable",
}


class ApiError(Exception):
    """An error answered as ``{"error": {"code", "message"}}`` with an HTTP status."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def is_page_request() -> bool:
    """True for the HTML pages (chat, documents, static files), whose errors are HTML too."""
    path = request.path
    return path == "/" or path.startswith(("/documents/", "/static/"))


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    if is_page_request():
        response = Response(render_template("error.html", status=status, message=message), status=status)
    else:
        response = jsonify({"error": {"code": code, "message": message}})
        response.status_code = status
    response.headers.update(headers or {})
    return response


def _api_error(error: ApiError) -> Response:
    return error_response(error.status, error.code, error.message, error.headers)


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    headers = {k: v for k, v in error.get_headers() if k.lower() in ("allow", "retry-after", "www-authenticate")}
    message = {
        404: "not found",
        405: f"method {request.method} is not allowed here",
        413: "the request body is too large",  # Content-Length over the limit
    }.get(status, (error.description or error.name).strip())
    return error_response(status, HTTP_CODES.get(status, "error"), message, headers)


def _unexpected(error: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(500, "internal", "internal error")


def init_app(app: Flask) -> None:
    """Route every error through one handler: `ApiError`, Werkzeug's HTTP errors, then anything else."""
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
