"""Read a folder of documents (.txt, .md, .rst, .html, .pdf) into text and blocks, skipping what cannot be read.

Three steps, each usable alone (the build may run `extract` in a process pool):
`discover` walks the folder and says which files to read, `load` reads one file's bytes
safely, `extract` turns bytes into a `Document`. `read_folder` chains them.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from qa.read.document import Document, UnreadableError
from qa.read.html import html_document
from qa.read.ignore import IGNORE_FILE, Exclusions
from qa.read.markup import markup_blocks
from qa.read.pdf import pdf_pages
from qa.read.text import decode_text, paragraphs, plain_blocks

__all__ = [
    "SUFFIXES",
    "UnreadableError",
    "discover",
    "extract",
    "file_digest",
    "load",
    "read_file",
    "read_folder",
    "warn_skipped",
]

log = logging.getLogger(__name__)

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".text", ".rst"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
PDF_SUFFIXES = frozenset({".pdf"})
SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES
PAGE_BREAK = "\n\n"
IGNORE_FILE_BYTES = 1_000_000

_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO swapped in after the check must not block the open
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)

OnSkip = Callable[[str, str], None]


def warn_skipped(name: str, reason: str) -> None:
    log.warning("skipped %s: %s", name, reason)


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def printable(name: str) -> str:
    """A file name fit for a one-line message: bytes that are not UTF-8 and control characters escaped."""
    if name.isprintable():
        return name
    text = os.fsencode(name).decode("utf-8", "backslashreplace")
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8, kept by the file system decoder as surrogates
        return False
    return True


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "a special file"


def _over_limit(size: int, max_bytes: int) -> str:
    return f"{size / 1e6:.0f} MB is over the {max_bytes / 1e6:.0f} MB limit"


def load(root: Path | str, name: str, path: Path | str, max_bytes: int) -> bytes:
    """The bytes of one file of the documents folder, read safely.

    Only regular files are read: FIFOs, sockets and devices are refused without being
    opened; a link is followed only to a file inside ``root``; the file is opened without
    blocking or following a link and read up to ``max_bytes``.

    Raises:
        UnreadableError: the file is not one to read (the message says why).
        OSError: it cannot be read (permission denied, vanished, I/O error).
    """
    top = os.path.realpath(root)
    target = os.fspath(path)
    info = os.lstat(target)
    if stat.S_ISLNK(info.st_mode):
        try:
            os.stat(target)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise UnreadableError("a symlink loop (not followed)") from None
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                raise UnreadableError("a dangling link: what it points to does not exist") from None
            raise
        target = os.path.realpath(target)
        if not _inside(target, top):
            raise UnreadableError("a link to a file outside the documents folder (not followed)")
        info = os.lstat(target)
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableError(f"not a regular file but {_kind(info.st_mode)}")
    if info.st_size > max_bytes:
        raise UnreadableError(_over_limit(info.st_size, max_bytes))
    fd = os.open(target, _OPEN_FLAGS)
    try:
        info = os.fstat(fd)  # what was opened, should the file have been swapped since
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableError(f"not a regular file but {_kind(info.st_mode)}")
        if info.st_size > max_bytes:
            raise UnreadableError(_over_limit(info.st_size, max_bytes))
        chunks = []
        remaining = max_bytes + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    finally:
        os.close(fd)
    if remaining <= 0:
        raise UnreadableError(f"grew over the {max_bytes / 1e6:.0f} MB limit while being read")
    return b"".join(chunks)


read_file = load  # the name of earlier versions


def _reason(exc: OSError) -> str:
    if exc.errno == errno.EACCES or isinstance(exc, PermissionError):
        return "permission denied"
    if exc.errno == errno.ELOOP:
        return "a link (not followed)"
    return f"cannot be read ({exc.strerror or exc})"


def _folder_link(top: str, path: str) -> str:
    """Why a link to a folder is not followed."""
    target = os.path.realpath(path)
    if not _inside(target, top):
        return "a link to a folder outside the documents folder (not followed)"
    if _inside(os.path.dirname(path), target):
        return "a link to a folder that contains it, a loop (not followed)"
    return "a link to another folder of the documents folder (not followed: its files are read there)"


def _ignore_lines(top: str, on_skip: OnSkip) -> list[str]:
    path = os.path.join(top, IGNORE_FILE)
    if not os.path.lexists(path):
        return []
    try:
        data = load(top, IGNORE_FILE, path, IGNORE_FILE_BYTES)
    except UnreadableError as exc:
        on_skip(IGNORE_FILE, f"{exc}; its patterns are not applied")
        return []
    except OSError as exc:
        on_skip(IGNORE_FILE, f"{_reason(exc)}; its patterns are not applied")
        return []
    return data.decode("utf-8-sig", "replace").splitlines()


def discover(
    root: Path | str,
    exclude: Iterable[str] = (),
    on_skip: OnSkip = warn_skipped,
    on_other: Callable[[str], None] | None = None,
) -> Iterator[tuple[str, Path]]:
    """Files under ``root`` with a supported suffix, as (name relative to root, path), in name order.

    Names use '/' on every system. Hidden files and folders are left out, and so is what
    the folder's ``.qaignore`` or the ``exclude`` patterns (gitignore syntax) match.
    Folders that cannot be read, links to folders and names that are not UTF-8 are
    skipped through ``on_skip(name, reason)``; the name of every other file of a type not
    read (a .docx, a .csv) goes to ``on_other``.

    Raises:
        FileNotFoundError: ``root`` is not a folder.
    """
    top = os.path.realpath(root)
    if not os.path.isdir(top):
        raise FileNotFoundError(f"no documents folder at {root}")
    rules = Exclusions(_ignore_lines(top, on_skip), exclude)

    def unreadable(exc: OSError) -> None:
        folder = os.path.relpath(exc.filename, top).replace(os.sep, "/") if exc.filename else "."
        on_skip(printable(folder) + "/", f"folder {_reason(exc)}")

    for folder, dirs, files in os.walk(top, onerror=unreadable):
        base = "" if folder == top else os.path.relpath(folder, top).replace(os.sep, "/") + "/"
        kept = []
        for entry in sorted(dirs):
            name = base + entry
            if entry.startswith("."):
                continue
            if rules.excludes_folder(name):
                continue
            if not _is_utf8(name):
                on_skip(printable(name) + "/", "a folder whose name is not valid UTF-8 (not read)")
                continue
            path = os.path.join(folder, entry)
            if os.path.islink(path):
                on_skip(name + "/", _folder_link(top, path))
                continue
            kept.append(entry)
        dirs[:] = kept
        for entry in sorted(files):
            supported = os.path.splitext(entry)[1].lower() in SUFFIXES
            if entry.startswith(".") or (not supported and on_other is None):
                continue
            name = base + entry
            if rules.excludes_file(name):
                continue
            if not supported:
                on_other(name)  # type: ignore[misc]
                continue
            if not _is_utf8(name):
                on_skip(printable(name), "a file name that is not valid UTF-8 (rename the file to read it)")
                continue
            yield name, Path(folder, entry)


def extract(name: str, data: bytes) -> Document:
    """Turn one file's bytes into a `Document`, by the file's suffix. Raises `UnreadableError`.

    A plain top-level function of picklable arguments, so that it can run in a process pool.
    """
    suffix = Path(name).suffix.lower()
    digest = file_digest(data)
    page_starts: list[int] = []
    warning = ""
    try:
        if suffix in PDF_SUFFIXES:
            text = ""
            for page in pdf_pages(data):
                page_starts.append(len(text))
                text += page.strip() + PAGE_BREAK
            blocks = paragraphs(text)
        elif suffix in HTML_SUFFIXES:
            text, blocks = html_document(data)
        else:
            text, stray = decode_text(data)
            if stray:
                warning = (
                    f"not UTF-8 in {stray} place{'s' if stray > 1 else ''}, shown as \ufffd in quotes "
                    "(a file in another encoding: convert it, e.g. iconv -f cp1252 -t utf-8)"
                )
            marked = markup_blocks(name, text)
            blocks = plain_blocks(text) if marked is None else marked
    except UnreadableError:
        raise
    except RecursionError:
        raise UnreadableError("too deeply nested to parse") from None
    except Exception as exc:  # a parser's failure on a malformed file
        raise UnreadableError(f"cannot be parsed ({type(exc).__name__}: {exc})") from None
    if not text.strip():
        raise UnreadableError("no text in it")
    return Document(name, text, digest, page_starts, blocks, warning)


def read_folder(
    root: Path,
    max_bytes: int,
    on_skip: OnSkip = warn_skipped,
    known: dict[str, str] | None = None,
    *,
    exclude: Iterable[str] = (),
) -> Iterator[tuple[str, str, Document | None]]:
    """Yield (name, digest, document) for every readable file under ``root``.

    When ``known`` maps a name to the digest already indexed and the file is unchanged,
    the document is not parsed again and ``None`` stands in its place. A file or folder
    that cannot be read is reported through ``on_skip(name, reason)``, never raised.

    Raises:
        FileNotFoundError: ``root`` is not a folder.
    """
    known = known or {}
    for name, path in discover(root, exclude, on_skip):
        try:
            data = load(root, name, path, max_bytes)
            digest = file_digest(data)
            document = None if known.get(name) == digest else extract(name, data)
        except UnreadableError as exc:
            on_skip(printable(name), str(exc))
            continue
        except OSError as exc:
            on_skip(printable(name), _reason(exc))
            continue
        yield name, digest, document
