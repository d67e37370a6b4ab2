"""The index on disk: a manifest, documents, sentence spans, FAISS and BM25 files, swapped in atomically.

Layout of the index folder::

    CURRENT              name of the live version folder (replaced atomically)
    v-<time>-<rand>/     manifest.json, documents.json, spans.npz, tokens.npy,
                         sentences.faiss, passages.faiss, bm25/, bm25-passages/

A build writes a new version folder completely, then replaces CURRENT: a build killed
at any moment leaves the previous version in place and loadable.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.errors import IndexCorruptError, IndexMismatchError, IndexMissingError
from qa.read.document import Document
from qa.store.lexical import Lexical
from qa.store.vectors import VectorIndex

FORMAT_VERSION = 1
POINTER = "CURRENT"
REBUILD = "run `qa index` to rebuild it"


@dataclass
class Corpus:
    """Everything an index holds, in memory."""

    manifest: dict
    documents: list[Document]
    sent_doc: np.ndarray  # int32, document number of each sentence
    sent_start: np.ndarray  # int32, character offsets in that document's text
    sent_end: np.ndarray
    quotable: np.ndarray  # bool, False for page furniture
    sentences: VectorIndex
    pass_first: np.ndarray  # int32, first and last sentence of each passage
    pass_last: np.ndarray
    passages: VectorIndex
    lexical: Lexical  # BM25 over sentences
    passage_lexical: Lexical  # BM25 over passages
    tokens: np.ndarray  # float16 (word pieces, dimension): each sentence's word-piece vectors, in order
    token_ptr: np.ndarray  # int64 (sentences + 1): sentence i's word pieces are tokens[ptr[i]:ptr[i + 1]]
    token_ids: np.ndarray  # int32 (word pieces): the vocabulary id of each word piece

    def sentence_text(self, i: int) -> str:
        return self.documents[self.sent_doc[i]].text[self.sent_start[i] : self.sent_end[i]]

    def __len__(self) -> int:
        return len(self.sent_doc)


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())


def save(corpus: Corpus, index_dir: Path) -> Path:
    """Write ``corpus`` as a new version of the index and make it the live one."""
    index_dir.mkdir(parents=True, exist_ok=True)
    name = f"v-{time.strftime('%Y%m%d%H%M%S')}-{secrets.token_hex(4)}"
    tmp = index_dir / f".tmp-{name}"
    tmp.mkdir()
    (tmp / "manifest.json").write_text(json.dumps(corpus.manifest, indent=2))
    docs = [
        {"name": d.name, "digest": d.digest, "text": d.text, "page_starts": d.page_starts} for d in corpus.documents
    ]
    (tmp / "documents.json").write_text(json.dumps(docs, ensure_ascii=False))
    np.savez(
        tmp / "spans.npz",
        sent_doc=corpus.sent_doc,
        sent_start=corpus.sent_start,
        sent_end=corpus.sent_end,
        quotable=corpus.quotable,
        pass_first=corpus.pass_first,
        pass_last=corpus.pass_last,
        token_ptr=corpus.token_ptr,
        token_ids=corpus.token_ids,
    )
    np.save(tmp / "tokens.npy", corpus.tokens)
    corpus.sentences.save(tmp / "sentences.faiss")
    corpus.passages.save(tmp / "passages.faiss")
    corpus.lexical.save(tmp / "bm25")
    corpus.passage_lexical.save(tmp / "bm25-passages")
    _fsync_tree(tmp)
    tmp.rename(index_dir / name)
    pointer = index_dir / f".{POINTER}.{secrets.token_hex(4)}"
    pointer.write_text(name + "\n")
    with open(pointer, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(pointer, index_dir / POINTER)
    _remove_stale(index_dir, keep=name)
    return index_dir / name


def _remove_stale(index_dir: Path, keep: str) -> None:
    """Delete versions other than ``keep`` and leftovers of killed builds."""
    for path in index_dir.iterdir():
        if path.name in (keep, POINTER) or not (path.name.startswith(("v-", ".tmp-", f".{POINTER}."))):
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def live_version(index_dir: Path) -> Path:
    """The folder of the live version. Raises `IndexMissingError`."""
    pointer = index_dir / POINTER
    try:
        name = pointer.read_text().strip()
    except FileNotFoundError:
        raise IndexMissingError(f"no index at {index_dir}: run `qa index` to build one") from None
    except OSError as exc:
        raise IndexCorruptError(f"cannot read the index at {index_dir} ({exc.strerror}): {REBUILD}") from None
    folder = index_dir / name
    if not name.startswith("v-") or "/" in name or not folder.is_dir():
        raise IndexCorruptError(f"the index at {index_dir} points to a missing version: {REBUILD}")
    return folder


def read_manifest(folder: Path) -> dict:
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"the index manifest in {folder} is unreadable ({exc}): {REBUILD}") from None
    if not isinstance(manifest, dict):
        raise IndexCorruptError(f"the index manifest in {folder} is not an object: {REBUILD}")
    return manifest


def check_manifest(manifest: dict, model: str | None, index_dir: Path) -> None:
    """Refuse an index of another format or model. Raises `IndexMismatchError`."""
    if manifest.get("format") != FORMAT_VERSION:
        raise IndexMismatchError(
            f"the index at {index_dir} has format {manifest.get('format')!r}, "
            f"this version reads {FORMAT_VERSION}: {REBUILD}"
        )
    if model is not None and manifest.get("model", {}).get("name") != model:
        raise IndexMismatchError(
            f"the index at {index_dir} was built with model {manifest.get('model', {}).get('name')!r}, "
            f"not {model!r}: {REBUILD}"
        )


def load(index_dir: Path, model: str | None = None) -> Corpus:
    """Load the live version of the index. Raises a `QAError` subclass with what to run."""
    folder = live_version(index_dir)
    manifest = read_manifest(folder)
    check_manifest(manifest, model, index_dir)
    try:
        docs = json.loads((folder / "documents.json").read_text())
        documents = [Document(d["name"], d["text"], d["digest"], d.get("page_starts") or []) for d in docs]
        with np.load(folder / "spans.npz") as spans:
            arrays = {k: spans[k] for k in spans.files}
        sentences = VectorIndex.load(folder / "sentences.faiss")
        passages = VectorIndex.load(folder / "passages.faiss")
        lexical = Lexical.load(folder / "bm25")
        passage_lexical = Lexical.load(folder / "bm25-passages")
        tokens = np.load(folder / "tokens.npy", mmap_mode="r")
        corpus = Corpus(
            manifest=manifest,
            documents=documents,
            sent_doc=arrays["sent_doc"],
            sent_start=arrays["sent_start"],
            sent_end=arrays["sent_end"],
            quotable=arrays["quotable"],
            sentences=sentences,
            pass_first=arrays["pass_first"],
            pass_last=arrays["pass_last"],
            passages=passages,
            lexical=lexical,
            passage_lexical=passage_lexical,
            tokens=tokens,
            token_ptr=arrays["token_ptr"],
            token_ids=arrays["token_ids"],
        )
    except Exception as exc:  # any unreadable or truncated file
        raise IndexCorruptError(f"the index at {index_dir} is corrupt ({type(exc).__name__}): {REBUILD}") from None
    _validate(corpus, index_dir)
    return corpus


def _validate(corpus: Corpus, index_dir: Path) -> None:
    n = len(corpus.sent_doc)
    dimension = corpus.manifest.get("model", {}).get("dimension")
    consistent = (
        len(corpus.sent_start) == len(corpus.sent_end) == len(corpus.quotable) == n
        and len(corpus.sentences) == n
        and corpus.lexical.size == max(n, 1)
        and len(corpus.pass_first) == len(corpus.pass_last) == len(corpus.passages)
        and corpus.passage_lexical.size == max(len(corpus.passages), 1)
        and len(corpus.token_ptr) == n + 1
        and int(corpus.token_ptr[-1]) == len(corpus.tokens) == len(corpus.token_ids)
        and corpus.tokens.shape[1:] == (dimension,)
        and corpus.sentences.dimension == dimension
        and (n == 0 or int(corpus.sent_doc.max()) < len(corpus.documents))
    )
    if not consistent:
        raise IndexCorruptError(f"the index at {index_dir} is inconsistent: {REBUILD}")
