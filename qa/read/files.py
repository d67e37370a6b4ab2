"""Read a folder of documents (.txt, .md, .html, .pdf) into plain text, skipping what cannot be read."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from qa.read.document import Document
from qa.read.text import paragraphs

log = logging.getLogger(__name__)

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".text", ".rst"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
PDF_SUFFIXES = frozenset({".pdf"})
SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES
PAGE_BREAK = "\n\n"


class UnreadableError(Exception):
    """A file that cannot be turned into text; the message says why."""


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _decode(data: bytes) -> str:
    if b"\x00" in data:
        raise UnreadableError("binary data, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableError(f"not valid UTF-8 (byte {exc.start})") from None
    controls = sum(1 for ch in text[:10000] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > 0.05 * min(len(text), 10000):
        raise UnreadableError("binary data, not text")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _html_text(data: bytes) -> str:
    import trafilatura  # imported here: slow to import and only needed for HTML

    html = _decode(data)
    text = trafilatura.extract(html, include_comments=False, include_tables=True)
    return text or ""


def _pdf_pages(data: bytes) -> list[str]:
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return [(page.extract_text() or "").replace("\x00", "") for page in reader.pages]


def extract(name: str, data: bytes) -> Document:
    """Turn one file's bytes into a `Document`. Raises `UnreadableError`."""
    suffix = Path(name).suffix.lower()
    digest = file_digest(data)
    page_starts: list[int] = []
    try:
        if suffix in PDF_SUFFIXES:
            text = ""
            for page in _pdf_pages(data):
                page_starts.append(len(text))
                text += page.strip() + PAGE_BREAK
        elif suffix in HTML_SUFFIXES:
            text = _html_text(data)
        else:
            text = _decode(data)
    except UnreadableError:
        raise
    except RecursionError:
        raise UnreadableError("too deeply nested to parse") from None
    except Exception as exc:  # a parser's failure on a malformed file
        raise UnreadableError(f"cannot be parsed ({type(exc).__name__}: {exc})") from None
    if not text.strip():
        raise UnreadableError("no text in it")
    return Document(name, text, digest, page_starts, paragraphs(text))


def discover(root: Path) -> Iterator[tuple[str, Path]]:
    """Files under ``root`` with a supported suffix, as (name relative to root, path).

    Links are never followed out of ``root``; names use '/' on every system.
    """
    root = root.resolve()
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for filename in sorted(files):
            path = Path(folder) / filename
            if filename.startswith(".") or path.suffix.lower() not in SUFFIXES:
                continue
            yield path.relative_to(root).as_posix(), path


def read_file(root: Path, name: str, path: Path, max_bytes: int) -> bytes:
    """The bytes of one file, refusing links out of the folder and oversized files."""
    resolved = path.resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise UnreadableError("a link to a file outside the documents folder (not followed)")
    size = resolved.stat().st_size
    if size > max_bytes:
        raise UnreadableError(f"{size / 1e6:.0f} MB is over the {max_bytes / 1e6:.0f} MB limit")
    return resolved.read_bytes()


def warn_skipped(name: str, reason: str) -> None:
    log.warning("skipped %s: %s", name, reason)


def read_folder(
    root: Path,
    max_bytes: int,
    on_skip: Callable[[str, str], None] = warn_skipped,
    known: dict[str, str] | None = None,
) -> Iterator[tuple[str, str, Document | None]]:
    """Yield (name, digest, document) for every readable file under ``root``.

    When ``known`` maps a name to the digest already indexed and the file is unchanged,
    the document is not parsed again and ``None`` stands in its place.
    """
    known = known or {}
    for name, path in discover(root):
        try:
            data = read_file(root, name, path, max_bytes)
            digest = file_digest(data)
            if known.get(name) == digest:
                yield name, digest, None
                continue
            yield name, digest, extract(name, data)
        except UnreadableError as exc:
            on_skip(name, str(exc))
        except OSError as exc:
            on_skip(name, f"cannot be read ({exc.strerror or exc})")
