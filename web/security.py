"""Security headers on every response, the Host check, the optional bearer token, and the per-process request cap."""

from __future__ import annotations

import hmac
import ipaddress
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Flask, Response, current_app, request

from qa.errors import ConfigError
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
# Answers, documents and errors are never kept by a browser or a proxy; static files
# keep Flask's revalidation (no-cache with an ETag).
NO_STORE = "no-store"

_NAME = re.compile(r"\.?[a-z0-9_]([a-z0-9_-]*)(\.[a-z0-9_]([a-z0-9_-]*))*")


def _add_headers(response: Response) -> Response:
    response.headers.update(HEADERS)
    if not request.path.startswith("/static/"):
        response.headers["Cache-Control"] = NO_STORE
    return response


# -- the token -----------------------------------------------------------------------------


def token_setting(value: str | None, source: str = "QA_API_TOKEN") -> str | None:
    """The API token to require, None for none (unset or empty).

    Raises:
        ConfigError: the token is blank or holds spaces or control characters, which no
            client can send in an Authorization header.
    """
    if not value:
        return None
    if not value.strip():
        raise ConfigError(f"{source} is blank: set it to a secret (openssl rand -hex 32) or unset it")
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        raise ConfigError(f"{source} holds spaces or control characters: a client could not send it in a header")
    return value


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


# -- the Host header -----------------------------------------------------------------------


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def host_name(header: str) -> str | None:
    """The name in a Host header, lower-case, without port or brackets; None when malformed."""
    value = header.strip().lower()
    if value.startswith("["):
        name, bracket, port = value[1:].partition("]")
        if not bracket or not _is_ip(name) or (port and not re.fullmatch(r":\d{0,5}", port)):
            return None
        return name
    name, colon, port = value.partition(":")
    if colon and not re.fullmatch(r"\d{0,5}", port):
        return None
    name = name.removesuffix(".")
    return name if _is_ip(name) or _NAME.fullmatch(name) and not name.startswith(".") else None


def allowed_hosts_setting(value: str, source: str = "QA_ALLOWED_HOSTS") -> tuple[str, ...]:
    """The host names in a comma- or space-separated list: "qa.example.com", ".example.com"
    (any name under it) or "*" (any name).

    Raises:
        ConfigError: an entry is not a host name (a URL, a port, a path...).
    """
    names = []
    for item in re.split(r"[,\s]+", value.strip()):
        if not item:
            continue
        name = item.lower().removesuffix(".")
        if name != "*" and not _is_ip(name.strip("[]")) and not _NAME.fullmatch(name):
            raise ConfigError(
                f"{source}: {item[:80]!r} is not a host name; give names such as qa.example.com or .example.com, "
                "without scheme or port, separated by commas"
            )
        names.append(name)
    return tuple(names)


@dataclass(frozen=True)
class HostPolicy:
    """Which Host headers are answered: the guard against DNS rebinding.

    A browser sends the name of the page's address as the Host. A page of another site
    that points its own name at this server (DNS rebinding) sends that site's name,
    never an IP address or "localhost": those are always answered, and so are the
    names given (``qa serve --host``, $QA_ALLOWED_HOSTS). A request without a Host
    header comes from no browser and is answered.

    Args:
        names: host names answered besides IP addresses and localhost; ".example.com"
            stands for any name under example.com, "*" for any name.
        enabled: False answers any Host.
    """

    names: frozenset[str] = frozenset()
    enabled: bool = True

    def allows(self, header: str | None) -> bool:
        if not self.enabled or not header:
            return True
        name = host_name(header)
        if name is None:
            return False
        if name == "localhost" or _is_ip(name) or "*" in self.names or name in self.names:
            return True
        return any(suffix.startswith(".") and name.endswith(suffix) for suffix in self.names)

    def describe(self) -> str:
        if not self.enabled or "*" in self.names:
            return "any"
        return ", ".join(["IP addresses", "localhost", *sorted(self.names)])


def host_policy(token: str | None, allowed: Iterable[str], bind_host: str | None) -> HostPolicy:
    """The check for a server with that token and $QA_ALLOWED_HOSTS, bound to ``bind_host``.

    Without a token every request is checked. With one, the token guards the API and the
    check is only made when host names were given.
    """
    names = {name.lower().removesuffix(".") for name in allowed}
    enabled = not token or bool(names)
    if bind_host and not _is_ip(bind_host.strip("[]")):
        names.add(bind_host.lower().removesuffix("."))
    return HostPolicy(frozenset(names), enabled)


def check_host() -> None:
    """Refuse a request whose Host is not one this server answers to.

    Raises:
        ApiError: 400 ``unknown_host``.
    """
    policy: HostPolicy = current_app.extensions["qa_hosts"]
    header = request.environ.get("HTTP_HOST")
    if not policy.allows(header):
        raise ApiError(
            400,
            "unknown_host",
            f"this server does not answer to the host {str(header)[:100]!r}: use its IP address or localhost, "
            "or add the name to QA_ALLOWED_HOSTS",
        )


# -- the cap ---------------------------------------------------------------------------------


class RequestCap:
    """At most ``limit`` questions answered at once in this process; the rest wait briefly, then are turned away."""

    def __init__(self, limit: int, wait_seconds: float) -> None:
        self.slots = threading.BoundedSemaphore(limit)
        self.wait_seconds = wait_seconds

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one slot for the block. Raises `ApiError` 503 when none frees up within ``wait_seconds``."""
        if not self.slots.acquire(timeout=self.wait_seconds):
            raise ApiError(
                503, "busy", "the server is answering too many questions; try again shortly", {"Retry-After": "1"}
            )
        try:
            yield
        finally:
            self.slots.release()


def init_app(app: Flask) -> None:
    """The token check's setting, the Host check, the cap and the headers.

    Raises:
        ConfigError: API_TOKEN cannot be used.
    """
    app.config["API_TOKEN"] = token_setting(app.config["API_TOKEN"])
    config = app.config
    app.extensions["qa_hosts"] = host_policy(config["API_TOKEN"], config["ALLOWED_HOSTS"], config["BIND_HOST"])
    app.extensions["qa_cap"] = RequestCap(int(app.config["MAX_CONCURRENT"]), float(app.config["CAP_WAIT_SECONDS"]))
    app.before_request(check_host)
    app.after_request(_add_headers)
