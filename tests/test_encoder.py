"""The ONNX Runtime encoder gives the model's vectors: exactly in fp32, closely in int8, and never imports torch."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from qa.embed.codec import PieceCodec
from qa.embed.encoder import OnnxEncoder

TEXTS = [
    "How many troops will remain in Iraq?",
    "Some 2,500 troops will remain as the coalition shifts to an advisory mission.",
    "Hi",
    "Ünïcödé, emoji 🚁 and Кириллица " * 40,  # longer than the model's 256 word pieces
]


@pytest.fixture(scope="module")
def reference() -> list[dict]:
    """sentence-transformers' own output for TEXTS: the model as its authors run it."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    from qa.embed.model import resolve_model

    model = SentenceTransformer(str(resolve_model()), device="cpu")
    return model.encode(TEXTS, output_value=None)


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


@pytest.mark.parametrize(("precision", "sentence", "piece"), [("fp32", 0.99999, 0.9999), ("int8", 0.97, 0.93)])
def test_vectors_and_word_pieces_match_sentence_transformers(reference, precision, sentence, piece) -> None:
    ours = OnnxEncoder(precision=precision).embed(TEXTS)
    for mine, theirs in zip(ours, reference):
        n = int(theirs["attention_mask"].sum())
        assert np.array_equal(mine.ids, theirs["input_ids"][1 : n - 1].numpy())
        assert float(mine.vector @ _unit(theirs["sentence_embedding"].numpy())) > sentence
        tokens = _unit(theirs["token_embeddings"][1 : n - 1].numpy())
        assert float((mine.tokens * tokens).sum(1).min()) > piece
    assert len(ours[-1].ids) == 254  # truncated like the model: 256 minus [CLS] and [SEP]


def test_batch_order_does_not_change_vectors() -> None:
    encoder = OnnxEncoder(precision="fp32")
    alone = encoder.embed([TEXTS[1]])[0].vector
    together = encoder.embed(TEXTS)[1].vector
    assert float(alone @ together) > 0.99999


def test_question_encoding_does_not_import_torch() -> None:
    code = (
        "import sys; from qa.embed.encoder import OnnxEncoder; "
        "OnnxEncoder().embed(['a question']); print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_codec_round_trip_keeps_cosines() -> None:
    encoder = OnnxEncoder(precision="fp32")
    pieces = np.concatenate([e.tokens for e in encoder.embed(TEXTS * 4)])
    codec = PieceCodec.train(pieces, 48)
    decoded = codec.decode(codec.encode(pieces))
    cosines = (decoded * pieces).sum(1) / np.linalg.norm(decoded, axis=1)
    assert cosines.mean() > 0.9
    assert codec.encode(pieces).dtype == np.uint8 and codec.encode(pieces).shape == (len(pieces), 48)


def test_codec_picks_each_sub_vectors_nearest_centroid() -> None:
    from qa.embed import codec as codec_module

    rng = np.random.default_rng(3)
    centroids = rng.normal(size=(8, 256, 4)).astype(np.float32)
    codec = PieceCodec(centroids)
    vectors = rng.normal(size=(codec_module.ENCODE_ROWS * 2 + 7, 32)).astype(np.float32)
    codes = codec.encode(vectors)
    # Brute force: the distance from every sub-vector to every centroid of its part.
    parts = vectors.reshape(len(vectors), 8, 1, 4)
    nearest = ((parts - centroids[None]) ** 2).sum(-1).argmin(-1)
    assert np.array_equal(codes, nearest)
    assert codec.encode(vectors[:0]).shape == (0, 8)
