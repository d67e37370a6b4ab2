"""Train the word-piece codebook shipped with the package (qa/embed/codebooks/all-MiniLM-L6-v2.npy).

Usage:
    python -m bench.train_codebook [--sentences 8000] [--out qa/embed/codebooks/all-MiniLM-L6-v2.npy]

The codebook is trained on sentences from documentation that no benchmark asks about:
the Linux kernel, Django and Python manuals as Debian ships them (`apt-get install -y
linux-doc-6.1 python-django-doc python3.11-doc`). The SQuAD articles and the PostgreSQL
manual, on which quality is measured, are left out, so the benchmarks see the codebook as
a user's corpus would: trained on other text.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import numpy as np

from qa.embed.codec import PieceCodec
from qa.embed.encoder import OnnxEncoder
from qa.read.files import discover, extract, load
from qa.split import split_document

ROOTS = [
    Path("/usr/share/doc/linux-doc-6.1/html"),
    Path("/usr/share/doc/python-django-doc/html"),
    Path("/usr/share/doc/python3.11/html"),
]
PARTS = 64
OUT = Path(__file__).resolve().parent.parent / "qa" / "embed" / "codebooks" / "all-MiniLM-L6-v2.npy"


def sample_sentences(count: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    files = [
        (root, name, path) for root in ROOTS if root.is_dir() for name, path in discover(root, exclude=["_sources/"])
    ]
    rng.shuffle(files)
    sentences: list[str] = []
    for root, name, path in files:
        try:
            document = extract(name, load(root, name, path, 20_000_000))
        except Exception:  # skipped as a build would skip it
            continue
        texts = [document.text[s.start : s.end] for s in split_document(document) if s.quotable]
        sentences.extend(rng.sample(texts, min(len(texts), 20)))
        if len(sentences) >= count:
            break
    return sentences[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sentences", type=int, default=8000)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    sentences = sample_sentences(args.sentences)
    print(f"{len(sentences)} sentences sampled")
    encoder = OnnxEncoder(precision="fp32")
    pieces = np.concatenate([e.tokens for e in encoder.embed(sentences)])
    print(f"{len(pieces)} word pieces; training {PARTS} x 256 centroids")
    codec = PieceCodec.train(pieces, PARTS)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    codec.save(args.out)
    decoded = codec.decode(codec.encode(pieces))
    cosine = (decoded * pieces).sum(1) / np.linalg.norm(decoded, axis=1)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes); mean cosine of decoded pieces {cosine.mean():.3f}")


if __name__ == "__main__":
    main()
