"""Milvus addresses and connections: ``milvus:PATH.db`` (Milvus Lite, in this process) or ``milvus://HOST:PORT``.

The only module that imports pymilvus and milvus_lite. Every call has a timeout and every
failure becomes one `QAError` line that names the server (or file) and says what failed:
never a traceback, never a hang.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.errors import ConfigError, QAError

CONNECT_TIMEOUT = 5.0  # seconds to reach a server before giving up
CALL_TIMEOUT = 120.0  # seconds any one call may take
DEFAULT_PORT = 19530
LITE_GRPC_OPTIONS = {"grpc.keepalive_time_ms": 600_000, "grpc.keepalive_permit_without_calls": False}
DEFAULT_PREFIX = "qa"
_PREFIX = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,39}$")
USAGE = "use milvus:PATH.db (Milvus Lite) or milvus://HOST:PORT[/NAME] (a Milvus server)"


@dataclass(frozen=True)
class Address:
    """A parsed index address.

    ``prefix`` starts the name of every collection (and the alias) the index uses, so
    several indexes can share one server: ``milvus://host:19530/manuals`` uses ``manuals_*``.
    """

    text: str
    uri: str
    prefix: str
    path: Path | None = None  # the Milvus Lite file (a folder, in milvus-lite 3)
    host: str = ""
    port: int = 0

    @property
    def lite(self) -> bool:
        return self.path is not None

    @property
    def where(self) -> str:
        return f"the Milvus Lite index {self.path}" if self.path is not None else f"Milvus at {self.host}:{self.port}"

    @property
    def rebuild(self) -> str:
        return f"run `qa index --index {self.text}` to rebuild it"


def parse(address: str) -> Address:
    """Parse ``milvus:PATH.db`` or ``milvus://HOST[:PORT][/NAME]``. Raises `ConfigError`."""
    text = str(address)
    if not text.startswith("milvus:"):
        raise ConfigError(f"{text!r} is not a Milvus address: {USAGE}")
    rest = text[len("milvus:") :]
    if rest.startswith("//"):
        server = rest[2:]
        name = DEFAULT_PREFIX
        if "/" in server:
            server, name = server.split("/", 1)
            name = name.strip("/") or DEFAULT_PREFIX
        host, _, port_text = server.rpartition(":") if ":" in server else (server, "", "")
        if not host or host.startswith("[") != host.endswith("]"):
            raise ConfigError(f"{text!r} names no server: {USAGE}")
        try:
            port = int(port_text) if port_text else DEFAULT_PORT
        except ValueError:
            raise ConfigError(f"{text!r} has a bad port {port_text!r}: {USAGE}") from None
        if not 0 < port < 65536:
            raise ConfigError(f"{text!r} has a bad port {port}: {USAGE}")
        if not _PREFIX.match(name):
            raise ConfigError(f"{text!r}: the index name {name!r} must be letters, digits and _ (at most 40)")
        return Address(text, f"http://{host}:{port}", name, host=host.strip("[]"), port=port)
    if not rest.endswith(".db") or rest == ".db":
        raise ConfigError(f"{text!r}: a Milvus Lite index is a file ending in .db: {USAGE}")
    return Address(text, "", DEFAULT_PREFIX, path=Path(rest).expanduser().absolute())


def _client_class() -> Any:
    """pymilvus's MilvusClient, its logging silenced (it logs every failed call with a traceback,
    milvus_lite every failed start: the errors are reported here instead, one line each)."""
    # gRPC's C core logs to stderr (a fork by the build's file reader, a reconnection) unless
    # told not to; failures reach the user as QAError lines instead.
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    try:
        from pymilvus import MilvusClient
    except ImportError:
        raise QAError("Milvus support is not installed: pip install 'extractive-qa[milvus]'") from None
    # pymilvus configures its loggers when imported: quieten them after that.
    for name in ("pymilvus", "pymilvus.milvus_client", "pymilvus.bulk_writer", "milvus_lite", "grpc"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    return MilvusClient


def token() -> str:
    """The server's token from $QA_MILVUS_TOKEN ("user:password" or an API key), if set."""
    return os.environ.get("QA_MILVUS_TOKEN", "")


# Milvus Lite runs in this process, one server per file; a file may be held by one process
# at a time. Connections to one file share its server, which stops when the last closes
# (so another process, such as a `qa index` run, can open the file).
_lite_users: dict[str, int] = {}
_lite_lock = threading.Lock()


def _lite_in_use(path: Path) -> bool:
    """Does another process hold the Milvus Lite file? (its data-directory lock)."""
    lock = path / "LOCK"
    if not lock.exists():
        return False
    try:
        handle = os.open(lock, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(handle)  # closing releases the probe's lock
    return False


class Connection:
    """One client of a Milvus server or a Milvus Lite file.

    Use `Connection.open(address)`. ``call(name, ...)`` runs a client method with a
    timeout and turns any failure into `QAError`.
    """

    def __init__(self, address: Address, client: Any) -> None:
        self.address = address
        self.client = client
        self.closed = False

    @classmethod
    def open(cls, address: Address, create: bool = False) -> Connection:
        """Connect; ``create`` makes the Milvus Lite file when missing (else it must exist).

        Raises:
            IndexMissingError: no Milvus Lite file at the path (and not ``create``).
            QAError: the server cannot be reached, or the file cannot be opened.
        """
        from qa.errors import IndexMissingError

        if address.path is not None:
            path = address.path
            if not create and not path.exists():
                raise IndexMissingError(
                    f"no index at {address.text}: run `qa index --index {address.text}` to build one"
                )
            if create:
                try:
                    path.mkdir(parents=True, exist_ok=True)
                    probe = path / f".probe-{os.getpid()}"
                    probe.write_bytes(b"")
                    probe.unlink()
                except OSError as exc:
                    raise QAError(f"cannot write {address.where} ({exc.strerror or exc})") from None
            elif not path.is_dir():
                raise QAError(f"{address.where} is not a Milvus Lite index (milvus-lite 3 keeps one in a folder)")
            return cls._open_lite(address)
        return cls._open_server(address)

    @classmethod
    def _open_lite(cls, address: Address) -> Connection:
        assert address.path is not None
        key = str(address.path)
        with _lite_lock:
            if not _lite_users.get(key) and _lite_in_use(address.path):
                raise QAError(
                    f"{address.where} is open in another process (Milvus Lite serves one process at a time: "
                    "stop the other one, or use a Milvus server, milvus://HOST:PORT)"
                )
            client_class = _client_class()
            try:
                # The in-process server allows keep-alive pings only every few minutes.
                client = client_class(key, timeout=CONNECT_TIMEOUT, grpc_options=LITE_GRPC_OPTIONS)
            except Exception as exc:  # pymilvus, milvus_lite, grpc: any of them
                raise QAError(f"cannot open {address.where} ({message(exc)})") from None
            _lite_users[key] = _lite_users.get(key, 0) + 1
        return cls(address, client)

    @classmethod
    def _open_server(cls, address: Address) -> Connection:
        client_class = _client_class()
        try:
            client = client_class(address.uri, token=token(), timeout=CONNECT_TIMEOUT)
        except Exception as exc:
            detail = message(exc)
            if any(word in detail.lower() for word in ("auth", "token", "permission", "password")):
                raise QAError(f"Milvus at {address.host}:{address.port} refused the credentials ({detail})") from None
            raise QAError(
                f"cannot reach Milvus at {address.host}:{address.port} "
                f"(no answer within {CONNECT_TIMEOUT:g} s: is the server running?)"
            ) from None
        return cls(address, client)

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """``client.name(*args, **kwargs)`` with a timeout. Raises `QAError` on any failure."""
        kwargs.setdefault("timeout", CALL_TIMEOUT)
        method: Callable[..., Any] = getattr(self.client, name)
        try:
            return method(*args, **kwargs)
        except Exception as exc:
            raise QAError(f"{self.address.where}: {name} failed ({message(exc)})") from None

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(Exception):
            self.client.close()
        if self.address.path is not None:
            key = str(self.address.path)
            with _lite_lock:
                _lite_users[key] = _lite_users.get(key, 1) - 1
                if _lite_users[key] <= 0:
                    _lite_users.pop(key, None)
                    _release_lite(key)


def _release_lite(path: str) -> None:
    """Stop this process's Milvus Lite server for ``path`` (releasing the file for other processes)."""
    with contextlib.suppress(Exception):
        from milvus_lite.server_manager import server_manager_instance

        server_manager_instance.release_server(path)


def message(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return " ".join(str(message).split())[:300]
