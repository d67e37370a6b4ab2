"""Run the app under gunicorn, with a worker that reads each request whole before a thread sees it.

gunicorn's gthread worker hands a connection to a pool thread as soon as it is readable,
and the thread then blocks until the client has sent its whole request: two dozen
clients sending a byte every few seconds hold every thread, and nobody else is answered.
`BufferingWorker` reads requests in its non-blocking main loop instead, and only a
complete request (line, headers and body, at most 64 KiB) goes to a thread. A client
that has not sent its request within `REQUEST_SECONDS` is answered 408 and cut off.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import itertools
import json
import logging
import os
import re
import selectors
import socket
import time
from functools import partial
from typing import Any

from flask import Flask

from qa.errors import ConfigError, QAError
from web import create_app
from web.validation import MAX_BODY_BYTES

try:
    from gunicorn.app.base import BaseApplication
    from gunicorn.http import wsgi
    from gunicorn.workers.gthread import TConn, ThreadWorker
except ValueError:  # gunicorn's settings read $WEB_CONCURRENCY as they are imported
    raise ConfigError(f"WEB_CONCURRENCY={os.environ.get('WEB_CONCURRENCY')!r} is not a whole number") from None

log = logging.getLogger("gunicorn.error")

REQUEST_SECONDS = 10.0  # to send a whole request, from the connection (or its first byte, when kept alive)
IO_SECONDS = 10.0  # for any one send or receive of a request thread: a client reading its answer slowly
MAX_HEAD_BYTES = 64 * 1024  # request line and headers; gunicorn's own, finer limits still apply
MAX_CHUNK_LINE_BYTES = 8190  # gunicorn's limit on a chunk-size line
LINGER_SECONDS = 2.0  # after a last response, to let the client read it before the socket closes
THREADS_PER_ANSWER = 2  # a worker's threads per question answered at once (see `serve`)

# -- framing: has a whole request arrived? -----------------------------------------------

MORE, COMPLETE, OVERSIZED = "more", "complete", "oversized"
HEAD_TOO_LARGE, BODY_TOO_LARGE = "head too large", "body too large"
_HEAD_END = re.compile(rb"\r?\n\r?\n")
_BARE_LF = re.compile(rb"(?<!\r)\n")
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]+")


class RequestScanner:
    """Tells from the bytes received so far whether one whole HTTP/1 request is there.

    It follows gunicorn's framing rules (CRLF line ends, Content-Length or chunked) and
    only as far as telling where the request ends: a request gunicorn's parser would
    refuse is declared complete as soon as that shows, for the parser to answer it,
    without waiting for more bytes. Call `scan` again with the grown buffer after each
    read; it resumes where it stopped.

    Results: MORE, COMPLETE, OVERSIZED (the body is over ``max_body``: enough of it is
    there for the app to refuse it), HEAD_TOO_LARGE, BODY_TOO_LARGE (a chunked body whose
    framing alone is over 4 times ``max_body``: refused before the app).
    """

    def __init__(self, max_body: int = MAX_BODY_BYTES, max_head: int = MAX_HEAD_BYTES) -> None:
        self.max_body = max_body
        self.max_head = max_head
        self.expects_continue = False  # "Expect: 100-continue": the client waits before sending its body
        self.head_done = False
        self._start = 0  # where the request line starts (empty lines before it are skipped)
        self._searched = 0  # where the search for a terminator resumes
        self._length: int | None = None  # Content-Length; None when chunked
        self._malformed = False
        self._body = 0  # where the body starts
        self._pos = 0  # chunked: where the next chunk-size line starts
        self._decoded = 0  # chunked: body bytes in the chunks before _pos
        self._trailers = -1  # chunked: where the trailer section starts, once the last chunk is seen

    def scan(self, data: bytes | bytearray) -> str:
        if not self.head_done:
            state = self._scan_head(data)
            if state != COMPLETE:
                return state
        if self._malformed:
            return COMPLETE
        if self._length is not None:
            if self._length > self.max_body:
                return OVERSIZED
            return COMPLETE if len(data) - self._body >= self._length else MORE
        return self._scan_chunks(data)

    def _scan_head(self, data: bytes | bytearray) -> str:
        while self._start < len(data) and data[self._start] in b"\r\n":
            self._start += 1
        if self._start > self.max_head:
            return HEAD_TOO_LARGE
        match = _HEAD_END.search(data, max(self._start, self._searched - 3))
        end = match.start() if match else len(data)
        if end - self._start > self.max_head:
            return HEAD_TOO_LARGE
        if match is None:
            self._searched = len(data)
            return MORE
        self._read_head(bytes(data[self._start : match.start()]))
        self.head_done = True
        self._body = self._pos = self._searched = match.end()
        if _BARE_LF.search(data, self._start, match.end()):
            self._malformed = True  # gunicorn refuses a bare LF without reading on
        return COMPLETE

    def _read_head(self, head: bytes) -> None:
        lines = head.split(b"\r\n")
        version = lines[0].rsplit(b" ", 1)[-1]
        codings: list[bytes] = []
        lengths: list[bytes] = []
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            if not colon or name != name.strip() or not name:
                self._malformed = True  # gunicorn refuses folded lines and spaces around a name
                continue
            name, value = name.lower(), value.strip()
            if name == b"transfer-encoding":
                codings += [c.strip().lower() for c in value.split(b",")]
            elif name == b"content-length":
                lengths.append(value)
            elif name == b"expect":
                self.expects_continue = value.lower() == b"100-continue" and version == b"HTTP/1.1"
        if codings:
            # gunicorn refuses chunked with a Content-Length, chunked twice or not last, HTTP/1.0 chunked.
            self._malformed = codings[-1] != b"chunked" or codings.count(b"chunked") > 1 or bool(lengths)
            self._malformed |= version != b"HTTP/1.1"
        elif lengths:
            if len(lengths) == 1 and lengths[0].isdigit():
                self._length = int(lengths[0])
            else:
                self._malformed = True
        else:
            self._length = 0

    def _scan_chunks(self, data: bytes | bytearray) -> str:
        if len(data) - self._body > 4 * self.max_body:
            return BODY_TOO_LARGE
        while self._trailers < 0:
            line_end = data.find(b"\r\n", self._pos)
            if line_end < 0:
                return COMPLETE if len(data) - self._pos > MAX_CHUNK_LINE_BYTES else MORE
            size_text = bytes(data[self._pos : line_end]).split(b";", 1)[0].rstrip(b" \t")
            if not _CHUNK_SIZE.fullmatch(size_text):
                return COMPLETE  # the parser answers 400
            size, start = int(size_text, 16), line_end + 2
            if size == 0:
                self._trailers = self._searched = start
                break
            if self._decoded + min(size, len(data) - start) > self.max_body:
                return OVERSIZED
            if len(data) < start + size + 2:
                return MORE
            if data[start + size : start + size + 2] != b"\r\n":
                return COMPLETE  # the parser answers 400
            self._decoded += size
            self._pos = start + size + 2
        # The trailer section: empty, or header lines ending with an empty line.
        if data[self._trailers : self._trailers + 2] == b"\r\n":
            return COMPLETE
        if data.find(b"\r\n\r\n", max(self._trailers, self._searched - 3)) >= 0:
            return COMPLETE
        if _BARE_LF.search(data, max(self._trailers, self._searched - 1)):
            return COMPLETE  # the parser answers 400
        self._searched = len(data)
        return HEAD_TOO_LARGE if len(data) - self._trailers > self.max_head else MORE


# -- the worker ----------------------------------------------------------------------------


class _ClientSocket(socket.socket):
    """A client connection whose blocking mode has a timeout and reports it as a reset.

    gunicorn puts a connection in blocking mode in the request thread; this turns that
    into `IO_SECONDS` at most per send or receive, so a client that stops reading its
    answer cannot hold the thread either. A timeout becomes ECONNRESET, which gunicorn
    closes quietly.
    """

    @classmethod
    def adopt(cls, sock: socket.socket) -> _ClientSocket:
        return cls(sock.family, sock.type, sock.proto, fileno=sock.detach())

    def setblocking(self, flag: bool) -> None:
        self.settimeout(IO_SECONDS if flag else 0.0)

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        try:
            return super().recv(bufsize, flags)
        except TimeoutError:
            raise self._too_slow() from None

    def send(self, data: Any, flags: int = 0) -> int:
        try:
            return super().send(data, flags)
        except TimeoutError:
            raise self._too_slow() from None

    def sendall(self, data: Any, flags: int = 0) -> None:
        try:
            super().sendall(data, flags)
        except TimeoutError:
            raise self._too_slow() from None

    def sendfile(self, file: Any, offset: int = 0, count: int | None = None) -> int:
        try:
            return super().sendfile(file, offset, count)
        except TimeoutError:
            raise self._too_slow() from None

    def _too_slow(self) -> ConnectionResetError:
        log.info("Closing a connection: the client took over %g s to send or to read.", IO_SECONDS)
        return ConnectionResetError(errno.ECONNRESET, "the client was too slow")


class _Conn(TConn):
    """A gthread connection, with the request being read in the main loop."""

    def __init__(self, worker: BufferingWorker, *args: Any) -> None:
        super().__init__(*args)
        self.worker = worker
        self.received = bytearray()
        self.scanner = RequestScanner()
        self.deadline = 0.0
        self.ready = False  # the whole request is in `received`: a thread may take it
        self.continued = False  # "100 Continue" was sent for the current request
        self.oversized = False  # the body is over the limit: answer, then close

    def close(self, graceful: bool = False) -> None:
        if graceful:
            self.worker.linger(self.sock)  # gunicorn's own lingering close blocks the main loop
        else:
            super().close()


class _QuietResponse(wsgi.Response):
    """gunicorn's response, without the ``Server: gunicorn`` banner."""

    def default_headers(self) -> list[str]:
        return [line for line in super().default_headers() if not line.startswith("Server:")]


def _raw_response(status: str, code: str, message: str) -> bytes:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    head = (
        f"HTTP/1.1 {status}\r\nConnection: close\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n\r\n"
    )
    return head.encode("latin-1") + body


class BufferingWorker(ThreadWorker):
    """gthread, except that threads only ever see complete requests.

    Every connection with a request coming (new, kept alive, or with pipelined bytes
    left) is read in the main loop; a complete request goes to the thread pool with its
    bytes, for gunicorn's parser to read from memory. Slow, idle or stalled clients cost
    a socket and a buffer, never a thread; each has `request_seconds` to send its request.
    Plain HTTP/1 only: TLS is the proxy's job (see the README).
    """

    request_seconds = REQUEST_SECONDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reading: dict[_Conn, None] = {}  # by deadline: insertion order
        self.lingering: dict[socket.socket, float] = {}  # closing sockets, by deadline

    def init_process(self) -> None:
        wsgi.Response = _QuietResponse  # type: ignore[misc]  # what gunicorn's wsgi.create instantiates
        super().init_process()

    # -- connections in ----------------------------------------------------------

    def accept(self, listener: socket.socket) -> None:
        try:
            client, address = listener.accept()
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        conn = _Conn(self, self.cfg, _ClientSocket.adopt(client), address, listener.getsockname())
        self.enqueue_req(conn)

    def enqueue_req(self, conn: _Conn) -> None:  # type: ignore[override]
        """Every way to a thread (new, kept-alive or pipelined request) reads the request first."""
        if conn.ready:
            conn.ready = False
            super().enqueue_req(conn)
        else:
            self._start_reading(conn)

    def _start_reading(self, conn: _Conn) -> None:
        conn.sock.setblocking(False)
        # Bytes read ahead by the parser (pipelined requests) belong to this request.
        conn.received = bytearray(conn.parser.unreader.take_buffered() if conn.parser else b"")
        conn.scanner = RequestScanner()
        conn.deadline = time.monotonic() + self.request_seconds
        conn.continued = conn.oversized = False
        if conn.received and self._advance(conn):
            return
        self.reading[conn] = None
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, conn))

    def _on_readable(self, conn: _Conn, _sock: socket.socket) -> None:
        try:
            data = conn.sock.recv(MAX_BODY_BYTES)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the client went away
            self._stop_reading(conn)
            self.nr_conns -= 1
            conn.close()
            return
        conn.received += data
        if self._advance(conn):
            self._stop_reading(conn)

    def _advance(self, conn: _Conn) -> bool:
        """Act on what has arrived; True when the connection is done with reading."""
        state = conn.scanner.scan(conn.received)
        if state == MORE:
            if conn.scanner.expects_continue and not conn.continued:
                conn.continued = True
                self._send(conn, b"HTTP/1.1 100 Continue\r\n\r\n")
            return False
        if state == HEAD_TOO_LARGE:
            limit = f"{MAX_HEAD_BYTES // 1024} KiB"
            self._refuse(conn, "431 Request Header Fields Too Large", "too_large", f"the headers are over {limit}")
            return True
        if state == BODY_TOO_LARGE:
            self._refuse(conn, "413 Content Too Large", "too_large", f"the request body is over {MAX_BODY_BYTES} bytes")
            return True
        conn.oversized = state == OVERSIZED
        conn.ready = True
        self.enqueue_req(conn)
        return True

    def _stop_reading(self, conn: _Conn) -> None:
        if self.reading.pop(conn, False) is None:
            self.poller.unregister(conn.sock)

    @staticmethod
    def _send(conn: _Conn, data: bytes) -> None:
        """Send a few bytes without blocking; a client that cannot take them loses them."""
        with contextlib.suppress(OSError):
            conn.sock.send(data)

    def _refuse(self, conn: _Conn, status: str, code: str, message: str) -> None:
        self._send(conn, _raw_response(status, code, message))
        self.nr_conns -= 1
        conn.close(graceful=True)

    # -- connections out ---------------------------------------------------------

    def murder_pending(self) -> None:
        """Runs on every turn of the main loop: also cuts off late requests and ends lingering closes."""
        super().murder_pending()
        now = time.monotonic()
        late = list(itertools.takewhile(lambda conn: conn.deadline <= now, self.reading))  # in deadline order
        if not self.alive:  # stopping: a connection that has sent nothing has nothing to wait for
            late += [conn for conn in self.reading if conn.deadline > now and not conn.received.strip()]
        for conn in late:
            self._stop_reading(conn)
            if conn.received.strip():
                message = f"the request was not sent within {self.request_seconds:g} s"
                self._refuse(conn, "408 Request Timeout", "timeout", message)
            else:
                self.nr_conns -= 1
                conn.close()
        while self.lingering:
            sock, deadline = next(iter(self.lingering.items()))
            if deadline > now:
                break
            self._end_linger(sock)

    def linger(self, sock: socket.socket) -> None:
        """Close after a last response: send FIN, read what the client still sends, then close.

        gunicorn waits for the client in a blocking loop on the main thread (up to 2 s a
        connection); here the poller waits, so a client that never closes costs nothing.
        """
        try:
            sock.shutdown(socket.SHUT_WR)
            sock.setblocking(False)
            self.poller.register(sock, selectors.EVENT_READ, self._drain)
        except (OSError, ValueError, KeyError):
            sock.close()
            return
        self.lingering[sock] = time.monotonic() + LINGER_SECONDS

    def _drain(self, sock: socket.socket) -> None:
        try:
            if sock.recv(MAX_BODY_BYTES):
                return
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            pass
        self._end_linger(sock)

    def _end_linger(self, sock: socket.socket) -> None:
        self.lingering.pop(sock, None)
        with contextlib.suppress(OSError, ValueError, KeyError):
            self.poller.unregister(sock)
        sock.close()

    # -- in the thread -----------------------------------------------------------

    def handle(self, conn: _Conn) -> Any:  # type: ignore[override]
        conn.init()  # the parser; it reads the request from memory
        if conn.received:
            conn.parser.unreader.unread(bytes(conn.received))
            conn.received = bytearray()
        return super().handle(conn)

    def handle_request(self, req: Any, conn: _Conn) -> bool:  # type: ignore[override]
        req._expected_100_continue = False  # the body is here already: nobody waits for a 100
        if conn.oversized:
            req.must_close = True  # the rest of the body is never read: the connection cannot go on
        return bool(super().handle_request(req, conn))


# -- the application -----------------------------------------------------------------------


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

    Nothing here may raise: gunicorn stops altogether ("Worker failed to boot") when a
    new worker fails before it serves. A worker whose index is missing or broken boots,
    answers 503 with the reason, and opens the index once it is rebuilt.
    """
    try:  # the app's own messages (a broken index, its repair) in gunicorn's log, with time and pid
        app_log = logging.getLogger("web")
        app_log.handlers = list(worker.log.error_log.handlers)
        app_log.setLevel(logging.INFO)
        app_log.propagate = False
    except Exception:
        pass
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except Exception:  # a speed setting only
        log.warning("Could not limit BLAS threads", exc_info=True)
    try:  # the English word list of the typing-slip check (0.3 s), before the first question needs it
        from qa.rank.spelling import ENGLISH

        ENGLISH.words()
    except Exception:
        log.warning("Could not load the English word list", exc_info=True)
    try:
        worker.wsgi.extensions["qa_loader"].get()
    except QAError:
        pass  # the loader logged why, once; requests get 503 with the reason
    except Exception:
        log.exception("Opening the index failed; serving 503 until it is rebuilt")


def _bind(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _is_wildcard(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        return False


def options(host: str, port: int, workers: int, threads: int, request_seconds: float = REQUEST_SECONDS) -> dict:
    """gunicorn's settings for `serve`.

    A worker answers ``threads`` questions at once (the app's cap) and has twice as many
    threads: the others serve pages, /health and documents while questions are being
    answered, and wait for a free answer slot, briefly, before turning a question away
    with 503 busy.
    """
    worker = type("QAWorker", (BufferingWorker,), {"request_seconds": request_seconds})
    return {
        "bind": _bind(host, port),
        "workers": workers,
        "worker_class": worker,
        "threads": THREADS_PER_ANSWER * threads,
        "timeout": 120,
        "graceful_timeout": 10,
        "accesslog": "-",
        "control_socket_disable": True,
        "when_ready": _announce,
        "post_worker_init": _warm_up,
    }


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    index_dir: str = "embeddings",
    threads: int = 4,
    request_seconds: float = REQUEST_SECONDS,
) -> None:
    """Serve the chat page and the API until interrupted.

    Each worker process loads the index once, on start, and answers ``threads``
    questions at once. The API token comes from $QA_API_TOKEN, extra host names from
    $QA_ALLOWED_HOSTS.

    Raises:
        ConfigError: a setting from the environment cannot be used (one line).
    """
    if str(index_dir).startswith("milvus:") and not str(index_dir).startswith("milvus://") and workers > 1:
        # Milvus Lite opens its file in one process at a time; a Milvus server has no such limit.
        log.warning("Milvus Lite (%s) serves from one process: using 1 worker instead of %d.", index_dir, workers)
        workers = 1
    app = create_app({"INDEX_DIR": index_dir, "MAX_CONCURRENT": threads, "BIND_HOST": host})
    if _is_wildcard(host) and not app.config["API_TOKEN"]:
        log.warning(
            "Serving on %s without QA_API_TOKEN: anyone who can reach port %s can ask questions and read the "
            "documents. Host headers accepted: %s.",
            host,
            port,
            app.extensions["qa_hosts"].describe(),
        )
    _Gunicorn(app, options(host, port, workers, threads, request_seconds)).run()
