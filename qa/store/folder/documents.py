"""Documents and context texts in SQLite: a worker reads only the documents it quotes.

The file is written once by a build and never changed, so readers open it immutable
(no locking) and each thread keeps its own connection. Each document's text is stored
with its SHA-256, checked whenever the text is read: a changed byte is reported, never quoted.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

from qa.read.document import Document

SCHEMA = """
CREATE TABLE documents (
    number INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    digest TEXT NOT NULL,        -- SHA-256 of the file's bytes: unchanged files are not read again
    text_digest TEXT NOT NULL,   -- SHA-256 of the text below
    text TEXT NOT NULL,
    page_starts TEXT NOT NULL    -- JSON list of page offsets (PDF)
);
CREATE TABLE contexts (
    number INTEGER PRIMARY KEY,
    text TEXT NOT NULL
);
"""


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class DocumentWriter:
    """Fills a new documents file during a build."""

    def __init__(self, path: Path) -> None:
        self.connection = sqlite3.connect(path)
        self.connection.execute("PRAGMA journal_mode = OFF")
        self.connection.execute("PRAGMA synchronous = OFF")  # the whole file is fsync'd when sealed
        self.connection.executescript(SCHEMA)

    def add(self, number: int, document: Document) -> str:
        digest = text_digest(document.text)
        self.connection.execute(
            "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?)",
            (number, document.name, document.digest, digest, document.text, json.dumps(document.page_starts)),
        )
        return digest

    def add_context(self, number: int, text: str) -> None:
        self.connection.execute("INSERT INTO contexts VALUES (?, ?)", (number, text))

    def add_contexts(self, rows: Sequence[tuple[int, str]]) -> None:
        self.connection.executemany("INSERT INTO contexts VALUES (?, ?)", rows)

    def close(self) -> None:
        self.connection.commit()
        self.connection.close()


class DocumentTable:
    """Reads a sealed documents file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        rows = self._db().execute("SELECT number, name, digest, text_digest FROM documents ORDER BY number")
        self.names: list[str] = []
        self.digests: list[str] = []
        self.text_digests: list[str] = []
        for number, name, digest, tdigest in rows:
            if number != len(self.names):
                raise ValueError("document numbers are not consecutive")
            self.names.append(name)
            self.digests.append(digest)
            self.text_digests.append(tdigest)
        self.numbers = {name: number for number, name in enumerate(self.names)}

    def _db(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            uri = f"{self.path.resolve().as_uri()}?mode=ro&immutable=1"
            connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
            self._local.connection = connection
        return connection

    def get(self, number: int) -> Document | None:
        """The document, or None when its stored text does not match its digest."""
        row = (
            self._db()
            .execute("SELECT name, digest, text_digest, text, page_starts FROM documents WHERE number = ?", (number,))
            .fetchone()
        )
        if row is None:
            raise KeyError(number)
        name, digest, tdigest, text, pages = row
        if not isinstance(text, str) or text_digest(text) != tdigest or tdigest != self.text_digests[number]:
            return None
        return Document(name, text, digest, [int(p) for p in json.loads(pages)])

    def lengths(self) -> list[int]:
        return [int(n) for (n,) in self._db().execute("SELECT length(text) FROM documents ORDER BY number")]

    def contexts(self, numbers: Sequence[int]) -> list[str]:
        """The texts of the given contexts, in that order ("" for a number the index lacks)."""
        wanted = [int(n) for n in numbers]
        found: dict[int, str] = {}
        for at in range(0, len(wanted), 500):  # SQLite's limit on bound parameters is 999
            part = wanted[at : at + 500]
            marks = ",".join("?" * len(part))
            found.update(self._db().execute(f"SELECT number, text FROM contexts WHERE number IN ({marks})", part))
        return [found.get(n, "") for n in wanted]

    def all_contexts(self) -> list[str]:
        return [t for (t,) in self._db().execute("SELECT text FROM contexts ORDER BY number")]
