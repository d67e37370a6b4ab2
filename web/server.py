"""Run the app under gunicorn (gthread workers), never Flask's debug server."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from qa.errors import QAError
from web import create_app

log = logging.getLogger("gunicorn.error")


class _Gunicorn(BaseApplication):
    """A gunicorn application serving one already-built Flask app."""

    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def _announce(arbiter: Any) -> None:
    """Print the address actually bound (the port may have been 0: any free one)."""
    for listener in arbiter.LISTENERS:
        print(f"Serving on {listener}", flush=True)


def _warm_up(worker: Any) -> None:
    """Open the index in each new worker, so the first question does not wait for it.

    Each request thread runs its small matrix products on one core: BLAS's own threads
    on top of gunicorn's only fight over the same cores under concurrent load.
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    try:
        worker.wsgi.extensions["qa_loader"].get()
    except QAError as exc:
        log.warning("%s", exc)


def _bind(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def serve(
    host: str = "127.0.0.1", port: int = 8000, workers: int = 1, index_dir: str = "embeddings", threads: int = 4
) -> None:
    """Serve the chat page and the API until interrupted.

    Each worker process loads the index once, on start; ``threads`` requests run at once
    per worker. The API token comes from $QA_API_TOKEN.
    """
    app = create_app({"INDEX_DIR": index_dir})
    options = {
        "bind": _bind(host, port),
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "timeout": 120,
        "graceful_timeout": 10,
        "accesslog": "-",
        "control_socket_disable": True,
        "when_ready": _announce,
        "post_worker_init": _warm_up,
    }
    _Gunicorn(app, options).run()
