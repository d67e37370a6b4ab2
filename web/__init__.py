"""The web app: a chat page and a JSON API over one `qa.Assistant` per process."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from web import api, errors, pages, security
from web.loader import AssistantLoader
from web.validation import MAX_BODY_BYTES

DEFAULTS: dict[str, Any] = {
    "INDEX_DIR": "embeddings",
    "API_TOKEN": None,
    "ALLOWED_HOSTS": (),
    "BIND_HOST": None,
    "MAX_CONCURRENT": 8,  # `qa serve` sets its --threads
    "CAP_WAIT_SECONDS": 1.0,
    "ASSISTANT": None,
}


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app.

    Args:
        config: overrides of `DEFAULTS`: INDEX_DIR (default $QA_INDEX or "embeddings"),
            API_TOKEN (default $QA_API_TOKEN; when set, /ask and /documents/ need it as a
            bearer token), ALLOWED_HOSTS (host names answered besides IP addresses and
            localhost; default $QA_ALLOWED_HOSTS), BIND_HOST (the address the server
            listens on: a name is answered too), MAX_CONCURRENT (questions answered at
            once per process; `qa serve` sets its --threads), CAP_WAIT_SECONDS (how long a
            question waits for a free slot before 503 busy), ASSISTANT (an already-open
            `qa.Assistant`, for tests).

    Raises:
        ConfigError: a setting from the environment cannot be used; the message is one line.
    """
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.config["INDEX_DIR"] = os.environ.get("QA_INDEX") or DEFAULTS["INDEX_DIR"]
    app.config["API_TOKEN"] = os.environ.get("QA_API_TOKEN") or None
    app.config["ALLOWED_HOSTS"] = security.allowed_hosts_setting(os.environ.get("QA_ALLOWED_HOSTS", ""))
    app.config.update(config or {})
    # Werkzeug refuses a larger Content-Length outright; /ask counts the bytes of the rest
    # (chunked bodies included), so one byte of slack lets it tell "over the limit" apart.
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES + 1
    # "/documents//etc/passwd" must be a plain 404, not a redirect to a merged path.
    app.url_map.merge_slashes = False

    app.extensions["qa_loader"] = AssistantLoader(app.config["INDEX_DIR"], app.config["ASSISTANT"])
    security.init_app(app)
    errors.init_app(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    return app
