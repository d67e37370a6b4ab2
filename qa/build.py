"""Build or update the index of a documents folder, embedding only new or changed files."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from qa.config import Settings
from qa.embed.encoder import Embedded, Encoder, NumpyEncoder, TorchEncoder, model_name
from qa.errors import IndexCorruptError, IndexMismatchError, IndexMissingError, QAError
from qa.read.document import Document
from qa.read.files import read_folder, warn_skipped
from qa.split import split_document
from qa.split.terms import tokenize
from qa.store import folder as store
from qa.store.lexical import Lexical
from qa.store.vectors import VectorIndex

# Bump when sentence splitting changes: an index split differently is rebuilt in full.
SPLITTER_VERSION = 2
# Below this many new sentences, NumPy (about 90 a second) finishes before torch is imported.
FEW_SENTENCES = 200


@dataclass
class BuildReport:
    """What a build did, for the CLI to print."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    sentences: int = 0
    embedded: int = 0
    seconds: float = 0.0
    rebuilt_because: str = ""

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
            f"{len(self.unchanged)} unchanged, {len(self.skipped)} skipped; "
            f"{self.sentences} sentences ({self.embedded} embedded) in {self.seconds:.1f}s"
        )


def chunking(settings: Settings) -> dict:
    return {"unit": "sentence", "splitter": SPLITTER_VERSION, "window": settings.window, "stride": settings.stride}


def _previous(index_dir: Path, settings: Settings, report: BuildReport) -> store.Corpus | None:
    """The index being updated, or None when it must be built from scratch."""
    try:
        corpus = store.load(index_dir, model_name(settings.model))
    except IndexMissingError:
        return None
    except (IndexCorruptError, IndexMismatchError) as exc:
        report.rebuilt_because = str(exc).split(":")[0]
        return None
    if corpus.manifest.get("chunking") != chunking(settings):
        report.rebuilt_because = "the chunking settings changed"
        return None
    return corpus


def _passages(doc_ranges: list[tuple[int, int]], window: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """First and last sentence of each window of ``window`` sentences, ``stride`` apart, per document."""
    first, last = [], []
    for begin, end in doc_ranges:
        start = begin
        while start < end:
            first.append(start)
            last.append(min(start + window, end) - 1)
            if start + window >= end:
                break
            start += stride
    return np.asarray(first, dtype=np.int32), np.asarray(last, dtype=np.int32)


def _passage_vectors(vectors: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """A passage's vector is the normalised sum of its sentences' vectors: nothing is embedded twice."""
    cumulative = np.vstack([np.zeros((1, vectors.shape[1]), np.float32), np.cumsum(vectors, axis=0)])
    sums = cumulative[last + 1] - cumulative[first]
    return (sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def _encoder_for(count: int, settings: Settings) -> Encoder:
    """sentence-transformers for a real batch; for a few sentences the NumPy twin (same
    vectors), which saves the 4-5 s of importing torch."""
    if count <= FEW_SENTENCES:
        return NumpyEncoder(settings.model)
    return TorchEncoder(settings.model, settings.batch_size)


def _stored(corpus: store.Corpus) -> dict[str, Embedded]:
    """Every sentence's embedding as the index holds it, by the sentence's text."""
    vectors, ptr = corpus.sentences.vectors(), corpus.token_ptr
    return {
        corpus.sentence_text(i): Embedded(
            vectors[i].copy(), np.asarray(corpus.tokens[ptr[i] : ptr[i + 1]]), corpus.token_ids[ptr[i] : ptr[i + 1]]
        )
        for i in range(len(corpus))
    }


def build_index(
    docs_dir: Path,
    index_dir: Path,
    settings: Settings | None = None,
    encoder: Encoder | None = None,
    progress: bool = False,
    on_skip: Callable[[str, str], None] = warn_skipped,
) -> BuildReport:
    """Index ``docs_dir`` into ``index_dir``, re-embedding only new or changed files.

    Raises:
        FileNotFoundError: ``docs_dir`` is not a folder.
    """
    settings = settings or Settings()
    began = time.perf_counter()
    docs_dir, index_dir = Path(docs_dir), Path(index_dir)
    if not docs_dir.is_dir():
        raise FileNotFoundError(f"no documents folder at {docs_dir}")
    report = BuildReport()

    def skip(name: str, reason: str) -> None:
        report.skipped.append((name, reason))
        on_skip(name, reason)

    # 1. What the previous index already holds, by document name.
    previous = _previous(index_dir, settings, report)
    known = {doc.name: doc.digest for doc in previous.documents} if previous else {}
    old = {doc.name: (number, doc) for number, doc in enumerate(previous.documents)} if previous else {}

    # 2. Read the folder; unchanged files are not parsed again.
    documents: list[Document] = []
    for name, _digest, doc in read_folder(docs_dir, settings.max_file_bytes, skip, known):
        if doc is None:
            report.unchanged.append(name)
            documents.append(old[name][1])
        else:
            (report.updated if name in known else report.added).append(name)
            documents.append(doc)
    if not documents:
        raise QAError(f"no readable documents in {docs_dir} (.txt, .md, .html, .pdf)")
    seen = {d.name for d in documents}
    report.removed = sorted(name for name in known if name not in seen)

    # 3. Sentences of every document; unchanged ones keep their stored spans.
    sent_doc: list[int] = []
    sent_start: list[int] = []
    sent_end: list[int] = []
    quotable: list[bool] = []
    doc_ranges: list[tuple[int, int]] = []
    for number, doc in enumerate(documents):
        begin = len(sent_doc)
        if doc.name in report.unchanged and previous is not None:
            rows = np.flatnonzero(previous.sent_doc == old[doc.name][0])
            sent_start.extend(previous.sent_start[rows].tolist())
            sent_end.extend(previous.sent_end[rows].tolist())
            quotable.extend(previous.quotable[rows].tolist())
        else:
            spans = split_document(doc)
            sent_start.extend(span.start for span in spans)
            sent_end.extend(span.end for span in spans)
            quotable.extend(span.quotable for span in spans)
        sent_doc.extend([number] * (len(sent_start) - begin))
        doc_ranges.append((begin, len(sent_doc)))
    texts = [documents[d].text[s:e] for d, s, e in zip(sent_doc, sent_start, sent_end)]

    # 4. Embed each distinct new sentence once; a sentence whose text the index already
    #    holds (an unchanged file's, or a changed file's untouched ones) keeps its vectors.
    stored = _stored(previous) if previous is not None else {}
    embedded: list[Embedded | None] = [stored.get(t) for t in texts]
    todo = sorted({text for text, e in zip(texts, embedded) if e is None})
    if todo:
        encoder = encoder or _encoder_for(len(todo), settings)
        fresh = dict(zip(todo, encoder.embed(todo, progress=progress)))
        embedded = [e if e is not None else fresh[t] for t, e in zip(texts, embedded)]
    items: list[Embedded] = [e for e in embedded if e is not None]
    dimension = len(items[0].vector)
    vectors = np.stack([e.vector for e in items])
    report.embedded = len(todo)
    report.sentences = len(texts)

    # 5. Passages, BM25 and the manifest; then swap the new version in.
    first, last = _passages(doc_ranges, settings.window, settings.stride)
    tokens = [tokenize(t) for t in texts]
    manifest = {
        "format": store.FORMAT_VERSION,
        "model": {"name": model_name(settings.model), "dimension": int(dimension)},
        "chunking": chunking(settings),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "documents": {
            d.name: {"digest": d.digest, "sentences": end - begin} for d, (begin, end) in zip(documents, doc_ranges)
        },
    }
    corpus = store.Corpus(
        manifest=manifest,
        documents=documents,
        sent_doc=np.asarray(sent_doc, dtype=np.int32),
        sent_start=np.asarray(sent_start, dtype=np.int32),
        sent_end=np.asarray(sent_end, dtype=np.int32),
        quotable=np.asarray(quotable, dtype=bool),
        sentences=VectorIndex.build(vectors, dimension),
        pass_first=first,
        pass_last=last,
        passages=VectorIndex.build(_passage_vectors(vectors, first, last), dimension),
        lexical=Lexical.build(tokens),
        passage_lexical=Lexical.build([sum(tokens[a : b + 1], []) for a, b in zip(first, last)]),
        tokens=np.concatenate([e.tokens for e in items]).astype(np.float16),
        token_ptr=np.concatenate([[0], np.cumsum([len(e.ids) for e in items])]).astype(np.int64),
        token_ids=np.concatenate([e.ids for e in items]).astype(np.int32),
    )
    store.save(corpus, index_dir)
    report.seconds = time.perf_counter() - began
    return report
