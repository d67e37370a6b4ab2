"""The NumPy query encoder gives the same vectors as sentence-transformers."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from qa.embed.encoder import NumpyEncoder, TorchEncoder

TEXTS = [
    "How many troops will remain in Iraq?",
    "Some 2,500 troops will remain as the coalition shifts to an advisory mission.",
    "Hi",
    "Ünïcödé, emoji 🚁 and Кириллица " * 40,  # longer than the model's 256 word pieces
]


def test_same_vectors_and_word_pieces(encoder: TorchEncoder) -> None:
    fast, reference = NumpyEncoder().embed(TEXTS), encoder.embed(TEXTS)
    for a, b in zip(fast, reference):
        assert float(a.vector @ b.vector) > 0.9999
        assert np.array_equal(a.ids, b.ids)
        assert a.tokens.shape == b.tokens.shape
        assert float((a.tokens * b.tokens).sum(1).min()) > 0.999
    assert len(fast[-1].ids) == 254  # truncated like the model: 256 minus [CLS] and [SEP]


def test_query_encoder_does_not_import_torch() -> None:
    code = (
        "import sys; from qa import Assistant; from qa.embed.encoder import NumpyEncoder; "
        "NumpyEncoder(); print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
