"""Odd files in a documents folder are skipped with a warning that names them; none stops or hangs a read."""

from __future__ import annotations

import errno
import os
import signal
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from qa.read.files import UnreadableError, discover, load, read_folder

pytestmark = pytest.mark.skipif(os.name != "posix", reason="FIFOs, devices and byte file names are POSIX")


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Fail instead of hanging for ever (a FIFO opened for reading blocks until a writer comes)."""

    def expired(_signum: int, _frame: object) -> None:
        raise TimeoutError(f"still reading after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def read(folder: Path, max_bytes: int = 1_000_000, **kwargs) -> tuple[dict[str, str], dict[str, str]]:
    skipped: dict[str, str] = {}
    with deadline(30):
        texts = {
            name: doc.text
            for name, _digest, doc in read_folder(folder, max_bytes, skipped.__setitem__, **kwargs)
            if doc is not None
        }
    return texts, skipped


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.txt").write_text("A perfectly fine sentence about harbours.\n")
    return docs


def test_a_fifo_is_skipped_without_blocking(folder: Path) -> None:
    os.mkfifo(folder / "pipe.txt")
    os.mkfifo(folder / "pipe.html")
    texts, skipped = read(folder)
    assert list(texts) == ["good.txt"]
    assert "FIFO" in skipped["pipe.txt"] and "FIFO" in skipped["pipe.html"]


def test_symlink_loops_and_dangling_links(folder: Path) -> None:
    (folder / "a.txt").symlink_to("b.txt")
    (folder / "b.txt").symlink_to("a.txt")
    (folder / "self.md").symlink_to("self.md")
    (folder / "gone.txt").symlink_to("missing.txt")
    (folder / "sub").mkdir()
    (folder / "sub" / "up").symlink_to("..")  # a folder loop
    (folder / "sub" / "root").symlink_to(folder)
    texts, skipped = read(folder)
    assert list(texts) == ["good.txt"]
    assert "loop" in skipped["a.txt"] and "loop" in skipped["b.txt"] and "loop" in skipped["self.md"]
    assert "dangling" in skipped["gone.txt"]
    assert "loop" in skipped["sub/up/"] and "loop" in skipped["sub/root/"]


def test_links_are_followed_inside_the_folder_only(folder: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("A secret outside the documents folder.")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "more.txt").write_text("More secrets.")
    (folder / "secret.txt").symlink_to(secret)
    (folder / "relative.txt").symlink_to("../secret.txt")
    (folder / "elsewhere").symlink_to(tmp_path / "elsewhere")
    (folder / "alias.txt").symlink_to("good.txt")
    (folder / "zero.txt").symlink_to("/dev/zero")  # a character device, and outside the folder
    texts, skipped = read(folder)
    assert set(texts) == {"good.txt", "alias.txt"}
    assert texts["alias.txt"] == texts["good.txt"]
    for name in ("secret.txt", "relative.txt", "zero.txt"):
        assert "outside the documents folder" in skipped[name]
    assert "outside the documents folder" in skipped["elsewhere/"]
    assert not any("secret" in text for text in texts.values())


def test_devices_are_never_opened(folder: Path) -> None:
    # load() refuses what is not a regular file before opening it: /dev/zero would never end.
    with deadline(10), pytest.raises(UnreadableError, match="character device"):
        load("/dev", "zero", "/dev/zero", 1_000_000)
    try:
        os.mknod(folder / "null.txt", stat.S_IFCHR | 0o600, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("creating a device node needs root")
    texts, skipped = read(folder)
    assert list(texts) == ["good.txt"] and "character device" in skipped["null.txt"]


def test_a_socket_is_skipped(folder: Path) -> None:
    import socket

    with socket.socket(socket.AF_UNIX) as server:
        try:
            server.bind(str(folder / "s.txt"))
        except OSError as exc:  # a path too long for a socket address
            pytest.skip(f"cannot bind a socket here: {exc}")
        texts, skipped = read(folder)
    assert list(texts) == ["good.txt"] and "socket" in skipped["s.txt"]


def test_names_that_are_not_utf8_are_skipped_and_named_printably(folder: Path) -> None:
    base = os.fsencode(folder)
    try:
        with open(base + b"/caf\xe9.txt", "wb") as file:
            file.write(b"A file named in Latin-1.")
        os.mkdir(base + b"/d\xffr")
        with open(base + b"/d\xffr/inside.txt", "wb") as file:
            file.write(b"Inside a folder named in no encoding.")
    except OSError as exc:
        pytest.skip(f"this file system refuses names that are not UTF-8: {exc}")
    (folder / "new\nline.txt").write_text("A name with a newline in it.")
    texts, skipped = read(folder)
    assert set(texts) == {"good.txt", "new\nline.txt"}
    assert "UTF-8" in skipped["caf\\xe9.txt"] and "UTF-8" in skipped["d\\xffr/"]
    for name in skipped:
        assert name.isprintable() and name.encode("utf-8")


def test_unreadable_folder_and_file_for_real(folder: Path) -> None:
    (folder / "locked").mkdir()
    (folder / "locked" / "inside.txt").write_text("Hidden by permissions.")
    (folder / "private.txt").write_text("Unreadable by permissions.")
    (folder / "locked").chmod(0)
    (folder / "private.txt").chmod(0)
    try:
        if os.access(folder / "locked", os.R_OK) or os.access(folder / "private.txt", os.R_OK):
            pytest.skip("running with privileges (root): permissions do not stop reads here; see the simulated test")
        texts, skipped = read(folder)
    finally:
        (folder / "locked").chmod(0o755)
        (folder / "private.txt").chmod(0o644)
    assert list(texts) == ["good.txt"]
    assert "permission denied" in skipped["locked/"] and "permission denied" in skipped["private.txt"]


def test_unreadable_folder_and_file_simulated(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same, as root too: the system calls fail as they would for another user."""
    (folder / "locked").mkdir()
    (folder / "locked" / "inside.txt").write_text("Hidden by permissions.")
    (folder / "private.txt").write_text("Unreadable by permissions.")
    real_scandir, real_open = os.scandir, os.open

    def scandir(path):  # type: ignore[no-untyped-def]
        if os.fspath(path).endswith("locked"):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return real_scandir(path)

    def open_(path, flags, *args):  # type: ignore[no-untyped-def]
        if os.fspath(path).endswith("private.txt"):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(os, "open", open_)
    texts, skipped = read(folder)
    assert list(texts) == ["good.txt"]
    assert skipped == {"locked/": "folder permission denied", "private.txt": "permission denied"}


def test_size_is_checked_before_reading(folder: Path) -> None:
    with open(folder / "sparse.txt", "wb") as file:
        file.truncate(5_000_000_000)  # 5 GB that take no room on disk
    texts, skipped = read(folder, max_bytes=1_000_000)
    assert list(texts) == ["good.txt"]
    assert "5000 MB is over the 1 MB limit" in skipped["sparse.txt"]


def test_load_reads_at_most_the_limit(folder: Path) -> None:
    (folder / "exact.txt").write_bytes(b"x" * 1000)
    assert load(folder, "exact.txt", folder / "exact.txt", 1000) == b"x" * 1000
    with pytest.raises(UnreadableError, match="limit"):
        load(folder, "exact.txt", folder / "exact.txt", 999)


def test_a_fifo_named_qaignore_does_not_hang(folder: Path) -> None:
    os.mkfifo(folder / ".qaignore")
    texts, skipped = read(folder)
    assert list(texts) == ["good.txt"]
    assert "FIFO" in skipped[".qaignore"] and "not applied" in skipped[".qaignore"]


def test_the_folder_itself_must_exist(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        list(discover(tmp_path / "missing"))
    (tmp_path / "file.txt").write_text("Not a folder.")
    with pytest.raises(FileNotFoundError):
        list(read_folder(tmp_path / "file.txt", 1000))


def test_a_file_that_vanishes_during_the_read_is_skipped(folder: Path) -> None:
    (folder / "later.txt").write_text("Deleted before it is read.")
    skipped: dict[str, str] = {}
    names = []
    for name, _digest, _doc in read_folder(folder, 1000, skipped.__setitem__):
        names.append(name)
        (folder / "later.txt").unlink(missing_ok=True)
    assert names == ["good.txt"]
    assert skipped == {"later.txt": "cannot be read (No such file or directory)"}
