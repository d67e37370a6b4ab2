"""Build or update an index: read → split → embed → store, streaming, with progress, one build at a time.

Files are read and split in a reader thread while this one embeds; embeddings go to
the index's cache as they are made, so a build that is stopped (Ctrl-C, a kill, a power
cut) keeps what it embedded and the next build continues from there. The live index
stays answerable throughout: the new version replaces it in one atomic step at the end.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from qa.config import Settings
from qa.embed.encoder import Embedded, Encoder
from qa.embed.model import model_name
from qa.errors import QAError
from qa.memory import release_memory
from qa.progress import Progress
from qa.read.document import Document
from qa.read.files import UnreadableError, discover, extract, file_digest, load, warn_skipped
from qa.split import Sentence, split_document
from qa.store import is_milvus

# Bump when reading or sentence splitting changes what a document's text or sentences are
# (4: form labels in HTML are no longer text; a question in the text is not quotable; PDF
# words hyphenated at a line end are joined): an index made differently is rebuilt in full
# (the cache still spares embedding every sentence whose text did not change).
SPLITTER_VERSION = 4
# Files read ahead of the embedding: enough to keep the reader busy, few enough to bound memory.
READ_AHEAD = 16


@dataclass
class BuildReport:
    """What a build did, for the CLI to print."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    warned: list[tuple[str, str]] = field(default_factory=list)  # read, but not quite as written
    duplicates: list[tuple[str, str]] = field(default_factory=list)
    other_types: Counter[str] = field(default_factory=Counter)  # files of types not read, by suffix
    sentences: int = 0
    embedded: int = 0
    seconds: float = 0.0
    rebuilt_because: str = ""

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
            f"{len(self.unchanged)} unchanged, {len(self.skipped)} skipped"
            f"{f', {len(self.warned)} read with a warning' if self.warned else ''}; "
            f"{self.sentences} sentences ({self.embedded} embedded) in {self.seconds:.1f}s"
        )


def chunking(settings: Settings) -> dict:
    return {"unit": "sentence", "splitter": SPLITTER_VERSION, "window": settings.window, "stride": settings.stride}


@dataclass(frozen=True)
class _Read:
    """One file, read (and split) in the reader thread."""

    name: str
    digest: str = ""
    document: Document | None = None
    sentences: tuple[Sentence, ...] = ()
    skipped: str = ""


def _read(root: Path, name: str, path: Path, max_bytes: int, known: str | None) -> _Read:
    """Read one file; ``known`` is the digest the index holds for it (then it is not parsed)."""
    try:
        data = load(root, name, path, max_bytes)
        digest = file_digest(data)
        if digest == known:
            return _Read(name, digest)
        document = extract(name, data)
        return _Read(name, digest, document, tuple(split_document(document)))
    except UnreadableError as exc:
        return _Read(name, skipped=str(exc))
    except OSError as exc:
        return _Read(name, skipped=f"cannot be read ({exc.strerror or exc})")


def _read_all(
    root: Path, files: Sequence[tuple[str, Path]], max_bytes: int, known: dict[str, str], parallel: bool
) -> Iterator[_Read]:
    """Every file read, in order; in the reader thread when ``parallel``."""
    if not parallel:
        for name, path in files:
            yield _read(root, name, path, max_bytes, known.get(name))
        return
    # A thread, not a process: parsing overlaps embedding (ONNX Runtime releases the GIL), and a
    # library caller's unguarded script is never re-imported by a spawned child.
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qa-read")
    try:
        queue: list[Future[_Read]] = []
        todo = iter(files)
        for name, path in todo:
            queue.append(pool.submit(_read, root, name, path, max_bytes, known.get(name)))
            if len(queue) >= READ_AHEAD:
                break
        while queue:
            result = queue.pop(0).result()
            for name, path in todo:
                queue.append(pool.submit(_read, root, name, path, max_bytes, known.get(name)))
                break
            yield result
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # on Ctrl-C: finish the file in hand only


class _Embedder:
    """Embeds texts with the encoder, loaded on first use (an update of unchanged files needs no model)."""

    def __init__(self, settings: Settings, encoder: Encoder | None, progress: Progress) -> None:
        self.settings = settings
        self.encoder = encoder
        self.progress = progress
        self.count = 0
        self.seconds = 0.0
        self.loaded = False  # whether the encoder was loaded here (then it may be released)

    def identity(self) -> dict:
        from qa.embed.model import max_seq_length, resolve_model

        path = resolve_model(self.settings.model)
        vocabulary = _vocabulary_size(path)
        return {
            "model": model_name(self.settings.model),
            "precision": self.encoder.precision if self.encoder is not None else self.settings.precision,
            "dimension": self.encoder.dimension if self.encoder is not None else _dimension(path),
            "vocabulary": vocabulary,
            "max_length": max_seq_length(path),
        }

    def release(self) -> None:
        """Drop the encoder this build loaded (a caller's own encoder is kept); it reloads if needed."""
        if self.loaded:
            self.encoder = None
            self.loaded = False

    def __call__(self, texts: list[str]) -> list[Embedded]:
        if self.encoder is None:
            from qa.embed.encoder import OnnxEncoder

            s = self.settings
            self.encoder = OnnxEncoder(s.model, s.precision, s.cache_dir, batch_size=s.batch_size)
            self.loaded = True
        began = time.perf_counter()
        embedded = self.encoder.embed(texts)
        self.seconds += time.perf_counter() - began
        self.count += len(texts)
        self.progress.note(f"{self.count:,} sentences embedded ({self.count / max(self.seconds, 1e-9):.0f}/s)")
        return embedded


def _dimension(path: Path) -> int:
    import json

    return int(json.loads((path / "config.json").read_text())["hidden_size"])


def _vocabulary_size(path: Path) -> int:
    import json

    return int(json.loads((path / "config.json").read_text()).get("vocab_size", 0))


def build_index(
    docs_dir: Path,
    index: str | Path,
    settings: Settings | None = None,
    encoder: Encoder | None = None,
    progress: Progress | None = None,
    on_skip: Callable[[str, str], None] = warn_skipped,
    exclude: Sequence[str] = (),
    wait: bool = True,
    min_confidence: float | None = None,
    parallel: bool = True,
) -> BuildReport:
    """Index ``docs_dir`` into ``index`` (a folder or a ``milvus:`` address), re-embedding only what is new.

    Raises:
        FileNotFoundError: ``docs_dir`` is not a folder.
        QAError: the index cannot be written, another build holds it (``wait=False``), or
            nothing in the folder is readable.
    """
    settings = settings or Settings()
    if encoder is not None:
        settings = replace(settings, precision=encoder.precision)
    progress = progress or Progress(quiet=True)
    began = time.perf_counter()
    docs_dir = Path(docs_dir)
    if not docs_dir.is_dir():
        raise FileNotFoundError(f"no documents folder at {docs_dir}")
    report = BuildReport()
    embedder = _Embedder(settings, encoder, progress)

    def skip(name: str, reason: str) -> None:
        report.skipped.append((name, reason))
        progress.message(f"warning: skipped {name}: {reason}")
        on_skip(name, reason)

    with _writer(index, settings, embedder, wait, progress, min_confidence) as writer:
        writer.documents_root = str(docs_dir.resolve())
        report.rebuilt_because = writer.rebuilt_because
        known = writer.known()
        # 1. What is in the folder.
        files = list(_discover(docs_dir, exclude, skip, report.other_types))
        progress.start("reading", total=len(files), unit="file")
        seen: set[str] = set()
        # 2. Read and split each file (in the reader thread); embed what is new as it comes.
        for read in _read_all(docs_dir, files, settings.max_file_bytes, known, parallel and len(files) > 1):
            progress.update(1)
            if read.skipped:
                skip(read.name, read.skipped)
                continue
            seen.add(read.name)
            if read.document is None:
                if writer.keep(read.name):
                    report.unchanged.append(read.name)
                    continue
                # The stored copy did not check out: read the file again, in full.
                read = _read(docs_dir, read.name, dict(files)[read.name], settings.max_file_bytes, None)
                if read.document is None:
                    skip(read.name, read.skipped or "cannot be read")
                    continue
            if read.document.warning:
                report.warned.append((read.name, read.document.warning))
                progress.message(f"warning: {read.name}: {read.document.warning}")
            (report.updated if read.name in known else report.added).append(read.name)
            writer.add(read.document, list(read.sentences))
        if not seen:
            raise QAError(f"no readable documents in {docs_dir} (.txt, .md, .rst, .html, .pdf)")
        report.removed = sorted(name for name in known if name not in seen)
        # 3. Passages, dense and BM25 indexes; then the new version goes live. The model is
        # not needed any more: its memory goes back before the largest arrays are assembled.
        writer.flush()
        embedder.release()
        release_memory()
        progress.start("writing", unit="step")
        summary = writer.commit(on_phase=lambda step: progress.update(1, extra=step))
        progress.stop()
    report.sentences = summary.sentences
    report.embedded = summary.embedded
    report.duplicates = summary.duplicates
    report.seconds = time.perf_counter() - began
    return report


def _discover(
    docs_dir: Path, exclude: Sequence[str], skip: Callable[[str, str], None], other: Counter[str]
) -> Iterator[tuple[str, Path]]:
    def count(name: str) -> None:
        other[Path(name).suffix.lower()] += 1

    yield from discover(docs_dir, exclude=exclude, on_skip=skip, on_other=count)


class _writer:
    """The engine's writer for the index address, under the build lock (folder indexes)."""

    def __init__(self, index, settings, embedder, wait, progress, min_confidence) -> None:  # type: ignore[no-untyped-def]
        self.index, self.settings, self.embedder = index, settings, embedder
        self.wait, self.progress, self.min_confidence = wait, progress, min_confidence
        self.writer = None
        self._lock = None

    def __enter__(self):  # type: ignore[no-untyped-def]
        identity = self.embedder.identity()
        if is_milvus(self.index):
            from qa.store.milvus import MilvusWriter

            self.writer = MilvusWriter(
                str(self.index),
                identity,
                chunking(self.settings),
                self.embedder,
                self.min_confidence,
                wait=self.wait,
                on_wait=self.progress.message,
            )
            return self.writer
        from qa.embed.codec import default_codec
        from qa.store.folder import FolderWriter, build_lock

        root = Path(self.index)
        self._lock = build_lock(root, self.wait, self.progress.message)
        self._lock.__enter__()
        try:
            self.writer = FolderWriter(
                root,
                identity,
                chunking(self.settings),
                self.embedder,
                default_codec(identity["model"], identity["dimension"]),
                self.min_confidence,
            )
        except BaseException:
            self._lock.__exit__(None, None, None)
            raise
        return self.writer

    def __exit__(self, kind, value, traceback) -> None:  # type: ignore[no-untyped-def]
        try:
            if kind is not None and self.writer is not None:
                self.writer.abort()
        finally:
            if self._lock is not None:
                self._lock.__exit__(None, None, None)
