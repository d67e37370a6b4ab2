"""Extractive question answering over a folder of documents: answers are quoted sentences."""

import os

# OpenMP threads (FAISS) that spin while waiting steal the cores from everything else on
# a busy machine (k-means took 6x longer); sleeping costs nothing measurable here.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from qa.answer.answer import Answer, Quote  # noqa: E402
from qa.answer.assistant import Assistant  # noqa: E402
from qa.errors import QAError  # noqa: E402

__all__ = ["Answer", "Assistant", "QAError", "Quote"]
__version__ = "0.1.0"
