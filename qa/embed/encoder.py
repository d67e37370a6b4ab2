"""Sentence and word-piece vectors from all-MiniLM-L6-v2, run with ONNX Runtime.

One encoder serves both the build (batches of length-sorted sentences) and questions
(one short pass): ONNX Runtime starts in a fraction of a second and never imports
torch, so a one-off `qa ask` stays fast.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from qa.embed.model import DEFAULT_MODEL, max_seq_length, model_name, onnx_path, resolve_model
from qa.errors import ModelLoadError


@dataclass(frozen=True)
class Embedded:
    """A text's vector, and the vectors and vocabulary ids of its word pieces.

    The word-piece vectors are the model's last hidden states, L2-normalised, without
    [CLS] and [SEP]: the ranker matches a question's word pieces against a sentence's.
    """

    vector: np.ndarray
    tokens: np.ndarray
    ids: np.ndarray


class Encoder(Protocol):
    """Turns texts into L2-normalised float32 vectors and word-piece vectors."""

    name: str
    precision: str
    dimension: int
    word_mask: np.ndarray  # per vocabulary id: True for pieces with a letter or digit
    question_mask: np.ndarray  # per vocabulary id: True for the words that make a question (`QUESTION_WORDS`)

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed(self, texts: Sequence[str]) -> list[Embedded]: ...


def word_mask(vocabulary: dict[str, int]) -> np.ndarray:
    """For each vocabulary id: does the piece hold a letter or digit (not punctuation)?"""
    mask = np.zeros(max(vocabulary.values()) + 1, dtype=bool)
    for piece, i in vocabulary.items():
        mask[i] = any(ch.isalnum() for ch in piece)
    return mask


# The words that make a sentence a question rather than say what it is about: documents
# rarely hold them, so the index gives them the weight of rare words.
QUESTION_WORDS = frozenset("what which who whom whose when where why how is are was were do does did".split())


def question_mask(vocabulary: dict[str, int]) -> np.ndarray:
    """For each vocabulary id: is the piece one of `QUESTION_WORDS`?"""
    mask = np.zeros(max(vocabulary.values()) + 1, dtype=bool)
    for word in QUESTION_WORDS:
        if word in vocabulary:
            mask[vocabulary[word]] = True
    return mask


def normalise(x: np.ndarray) -> np.ndarray:
    return (x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)).astype(np.float32)


class OnnxEncoder:
    """The model under ONNX Runtime, with mean pooling as sentence-transformers does.

    Args:
        model: the packaged model's name or a local sentence-transformers folder.
        precision: "fp32" (exactly the model) or "int8" (quantised: faster, nearly the same).
        cache_dir: where the ONNX export is kept.
        threads: ONNX Runtime's threads per call (0: one per core).
        batch_size: texts per forward pass; small batches of length-sorted texts pad least.
    """

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        precision: str = "fp32",
        cache_dir: Path | None = None,
        threads: int = 0,
        batch_size: int = 16,
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        from qa.config import default_cache_dir

        path = resolve_model(model)
        file = onnx_path(model, precision, cache_dir or default_cache_dir())
        try:
            self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            self.session = ort.InferenceSession(str(file), options, providers=["CPUExecutionProvider"])
            config = json.loads((path / "config.json").read_text())
        except Exception as exc:
            raise ModelLoadError(f"cannot load the model {model} ({type(exc).__name__}: {exc})") from None
        self.tokenizer.enable_truncation(max_length=max_seq_length(path))
        self.tokenizer.no_padding()
        vocabulary = self.tokenizer.get_vocab()
        self.word_mask = word_mask(vocabulary)
        self.question_mask = question_mask(vocabulary)
        self.name = model_name(model)
        self.precision = precision
        self.dimension = int(config["hidden_size"])
        self.batch_size = batch_size
        self._inputs = {i.name for i in self.session.get_inputs()}

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([e.vector for e in self.embed(texts)])

    def embed(self, texts: Sequence[str]) -> list[Embedded]:
        """Each text's vector and word pieces, in the order given."""
        encodings = self.tokenizer.encode_batch(list(texts))
        out: list[Embedded | None] = [None] * len(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for begin in range(0, len(order), self.batch_size):
            chunk = order[begin : begin + self.batch_size]
            length = max(len(encodings[i].ids) for i in chunk)
            ids = np.zeros((len(chunk), length), dtype=np.int64)
            mask = np.zeros((len(chunk), length), dtype=np.int64)
            for row, i in enumerate(chunk):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = self.session.run(None, {k: v for k, v in feed.items() if k in self._inputs})[0]
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(1) / np.maximum(weights.sum(1), 1e-9)
            for row, i in enumerate(chunk):
                n = len(encodings[i].ids)
                out[i] = Embedded(
                    normalise(pooled[row]), normalise(hidden[row, 1 : n - 1]), ids[row, 1 : n - 1].astype(np.int32)
                )
        return [e for e in out if e is not None]
