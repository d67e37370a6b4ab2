"""Passages: overlapping windows of consecutive sentences under one heading, evidence about the sentences they hold."""

from __future__ import annotations

import numpy as np


def windows(contexts: np.ndarray, doc_starts: np.ndarray, window: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """First and last sentence of every passage.

    A passage is ``window`` consecutive sentences, a new one every ``stride`` sentences,
    inside a run of sentences that share a document and a context (a heading or a
    definition): a passage never mixes two sections.

    Args:
        contexts: the context id of each sentence (-1 for none).
        doc_starts: bool per sentence: True where a new document begins.
    """
    n = len(contexts)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    breaks = np.asarray(doc_starts, dtype=bool).copy()
    breaks[0] = True
    breaks[1:] |= contexts[1:] != contexts[:-1]
    starts = np.flatnonzero(breaks)
    ends = np.append(starts[1:], n)
    first, last = [], []
    for begin, end in zip(starts.tolist(), ends.tolist()):
        # Windows at begin, begin + stride, ...; the last one reaches the run's end.
        count = max(1, -(-(end - begin - window) // stride) + 1) if end - begin > window else 1
        heads = begin + stride * np.arange(count)
        first.append(heads)
        last.append(np.minimum(heads + window, end) - 1)
    return np.concatenate(first).astype(np.int64), np.concatenate(last).astype(np.int64)


def holding(first: np.ndarray, last: np.ndarray, sentences: np.ndarray, span: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (position in ``sentences``, passage) for each passage holding each sentence.

    ``first`` is ascending; a sentence lies in at most ``span`` passages (window // stride + 1).
    """
    sentences = np.asarray(sentences, dtype=np.int64)
    latest = np.searchsorted(first, sentences, side="right") - 1
    position = np.repeat(np.arange(len(sentences)), span)
    passage = (latest[:, None] - np.arange(span)[None, :]).reshape(-1)
    ok = passage >= 0
    position, passage = position[ok], passage[ok]
    inside = (first[passage] <= sentences[position]) & (last[passage] >= sentences[position])
    return position[inside], passage[inside]
