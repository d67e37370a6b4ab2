"""Check the body of POST /ask; the limits here are the ones /openapi.json publishes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from web.errors import ApiError

MAX_BODY_BYTES = 64 * 1024
MAX_QUESTION_CHARS = 2000
MIN_TOP_K, MAX_TOP_K, DEFAULT_TOP_K = 1, 20, 3
MAX_HISTORY_TURNS = 20
FIELDS = {"question", "top_k", "history"}
TURN_FIELDS = {"question", "answer"}


@dataclass(frozen=True)
class AskRequest:
    """A valid question, ready for `Assistant.ask`."""

    question: str
    top_k: int = DEFAULT_TOP_K
    history: list[dict[str, str]] = field(default_factory=list)


def _bad(message: str) -> ApiError:
    return ApiError(400, "bad_request", message)


def _text(value: str) -> str:
    """``value`` with lone surrogates (JSON allows "\\ud800"; no encoder does) replaced by U+FFFD."""
    return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _name(key: str) -> str:
    """A field name fit to quote in a message: short and printable."""
    return repr(_text(key)[:40])


def parse_body(data: bytes) -> Any:
    """The JSON value of a request body. Raises `ApiError` 400."""
    try:
        return json.loads(data)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise _bad("the body is not valid JSON") from None


def _question(body: dict) -> str:
    if "question" not in body:
        raise _bad("'question' is required")
    question = body["question"]
    if not isinstance(question, str):
        raise _bad("'question' must be a string")
    question = _text(question).strip()
    if not question:
        raise _bad("'question' is empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise _bad(f"'question' is longer than {MAX_QUESTION_CHARS} characters")
    return question


def _top_k(body: dict) -> int:
    top_k = body.get("top_k", DEFAULT_TOP_K)
    # bool is an int subclass; 3.0 is a float: both are refused.
    if type(top_k) is not int:
        raise _bad("'top_k' must be an integer")
    if not MIN_TOP_K <= top_k <= MAX_TOP_K:
        raise _bad(f"'top_k' must be between {MIN_TOP_K} and {MAX_TOP_K}")
    return top_k


def _history(body: dict) -> list[dict[str, str]]:
    history = body.get("history", [])
    if not isinstance(history, list):
        raise _bad("'history' must be a list of {question, answer} turns")
    if len(history) > MAX_HISTORY_TURNS:
        raise _bad(f"'history' has more than {MAX_HISTORY_TURNS} turns")
    turns = []
    for number, turn in enumerate(history):
        where = f"'history[{number}]'"
        if not isinstance(turn, dict):
            raise _bad(f"{where} must be an object with 'question' and 'answer'")
        unknown = sorted(set(turn) - TURN_FIELDS)
        if unknown:
            raise _bad(f"{where} has an unknown field {_name(unknown[0])}")
        for name in sorted(TURN_FIELDS):
            if name not in turn:
                raise _bad(f"{where} needs '{name}'")
            if not isinstance(turn[name], str):
                raise _bad(f"{where}.{name} must be a string")
        turns.append({"question": _text(turn["question"]), "answer": _text(turn["answer"])})
    return turns


def parse_ask(body: Any) -> AskRequest:
    """Validate a decoded /ask body. Raises `ApiError` 400 naming the first problem."""
    if not isinstance(body, dict):
        raise _bad("the body must be a JSON object")
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise _bad(f"unknown field {_name(unknown[0])}")
    return AskRequest(question=_question(body), top_k=_top_k(body), history=_history(body))
