"""Extractive question answering over a folder of documents: answers are quoted sentences."""

from qa.answer.answer import Answer, Quote
from qa.answer.assistant import Assistant
from qa.errors import QAError

__all__ = ["Answer", "Assistant", "QAError", "Quote"]
__version__ = "0.1.0"
