"""Security headers on every response, the optional bearer token, and the per-process request cap."""

from __future__ import annotations

import hmac
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, Response, current_app, request

from web.errors import ApiError

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _add_headers(response: Response) -> Response:
    response.headers.update(HEADERS)
    return response


def check_token() -> None:
    """Refuse the request unless it carries the configured token (when one is configured).

    Raises:
        ApiError: 401, with a ``WWW-Authenticate`` challenge.
    """
    expected = current_app.config.get("API_TOKEN")
    if not expected:
        return
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    # Compare the raw bytes (WSGI hands headers over as latin-1 text; the token is UTF-8):
    # compare_digest refuses non-ASCII str, and a header may hold anything.
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode("latin-1", "replace"), str(expected).encode("utf-8")
    ):
        raise ApiError(
            401,
            "unauthorized",
            "this server needs an API token: send the header 'Authorization: Bearer <token>'",
            {"WWW-Authenticate": 'Bearer realm="qa"'},
        )


class RequestCap:
    """At most ``limit`` questions answered at once in this process; the rest are turned away."""

    def __init__(self, limit: int, wait_seconds: float) -> None:
        self.slots = threading.BoundedSemaphore(limit)
        self.wait_seconds = wait_seconds

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one slot for the block. Raises `ApiError` 503 when none frees up quickly."""
        if not self.slots.acquire(timeout=self.wait_seconds):
            raise ApiError(
                503, "busy", "the server is answering too many questions; try again shortly", {"Retry-After": "1"}
            )
        try:
            yield
        finally:
            self.slots.release()


def init_app(app: Flask) -> None:
    app.extensions["qa_cap"] = RequestCap(int(app.config["MAX_CONCURRENT"]), float(app.config["CAP_WAIT_SECONDS"]))
    app.after_request(_add_headers)
