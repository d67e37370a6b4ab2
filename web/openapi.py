"""The OpenAPI 3.0 description of /ask and /health, built from the limits the server enforces."""

from __future__ import annotations

import sys
from typing import Any

from web.validation import (
    DEFAULT_TOP_K,
    MAX_BODY_BYTES,
    MAX_HISTORY_TURNS,
    MAX_QUESTION_CHARS,
    MAX_TOP_K,
    MIN_TOP_K,
)


def _whitespace_class(negate: bool = False) -> str:
    """A regex class of exactly the characters `str.strip()` removes, spelled out as ranges.

    Spelled out because regex engines disagree on ``\\s`` (Python's includes U+001C to
    U+001F; ECMA's, which JSON Schema names, does not): this class means the same in all.
    """
    codes = [c for c in range(sys.maxunicode + 1) if chr(c).isspace()]
    ranges, begin = [], codes[0]
    for previous, code in zip(codes, codes[1:] + [-1]):
        if code != previous + 1:
            ranges.append(f"\\u{begin:04x}" + ("" if begin == previous else f"-\\u{previous:04x}"))
            begin = code
    return "[" + ("^" if negate else "") + "".join(ranges) + "]"


_SPACE, _VISIBLE = _whitespace_class(), _whitespace_class(negate=True)
# 1 to MAX_QUESTION_CHARS characters once leading and trailing whitespace is trimmed.
QUESTION_PATTERN = rf"^{_SPACE}*{_VISIBLE}(?:[\s\S]{{0,{MAX_QUESTION_CHARS - 2}}}{_VISIBLE})?{_SPACE}*$"


def _error(description: str, codes: list[str]) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/Error"},
                "example": {"error": {"code": codes[0], "message": "..."}},
            }
        },
    }


SCHEMAS: dict[str, Any] = {
    "AskRequest": {
        "type": "object",
        "required": ["question"],
        "additionalProperties": False,
        "properties": {
            "question": {
                "type": "string",
                "pattern": QUESTION_PATTERN,
                "description": (
                    f"The question: 1 to {MAX_QUESTION_CHARS} characters after trimming whitespace. "
                    "A question of only control or invisible characters is answered as not found."
                ),
                "example": "How many troops will remain in Iraq?",
            },
            "top_k": {
                "type": "integer",
                "minimum": MIN_TOP_K,
                "maximum": MAX_TOP_K,
                "default": DEFAULT_TOP_K,
                "description": "How many quotes to return at most (booleans and floats are refused).",
            },
            "history": {
                "type": "array",
                "maxItems": MAX_HISTORY_TURNS,
                "description": "Earlier turns of the conversation, oldest first, so follow-up questions work.",
                "items": {"$ref": "#/components/schemas/Turn"},
            },
        },
    },
    "Turn": {
        "type": "object",
        "required": ["question", "answer"],
        "additionalProperties": False,
        "properties": {"question": {"type": "string"}, "answer": {"type": "string"}},
    },
    "Quote": {
        "type": "object",
        "required": ["text", "document", "start", "end", "score", "context", "matched", "evidence"],
        "additionalProperties": False,
        "properties": {
            "text": {"type": "string", "description": "The sentence, verbatim: document text [start:end]."},
            "document": {"type": "string", "description": "Path of the document inside the documents folder."},
            "start": {"type": "integer", "minimum": 0, "description": "Character offset of the quote's start."},
            "end": {"type": "integer", "minimum": 0, "description": "Character offset just past the quote's end."},
            "score": {
                "type": "number",
                "description": (
                    "How well the quote answers, 0 to 1, the order of the quotes: evidence.word_match plus "
                    "evidence.lead."
                ),
            },
            "context": {"type": "string", "description": "The surrounding passage; contains the text verbatim."},
            "matched": {
                "type": "array",
                "description": "The question's words found in the quote, with where they are in `text`.",
                "items": {"$ref": "#/components/schemas/Match"},
            },
            "evidence": {
                "allOf": [{"$ref": "#/components/schemas/Evidence"}],
                "description": "Why this quote was chosen: the signals that ranked it.",
            },
        },
    },
    "Match": {
        "type": "object",
        "required": ["word", "start", "end", "similarity"],
        "additionalProperties": False,
        "description": "A word of the question that the quote holds: quote.text[start:end] is where.",
        "properties": {
            "word": {"type": "string", "description": "The word as the question wrote it."},
            "start": {"type": "integer", "minimum": 0, "description": "Offset inside quote.text (not the document)."},
            "end": {"type": "integer", "minimum": 0, "description": "Offset just past it inside quote.text."},
            "similarity": {
                "type": "number",
                "description": "How closely the quote's word pieces match the question word's (cosine, 0 to 1).",
            },
        },
    },
    "Evidence": {
        "type": "object",
        "required": ["cosine", "bm25", "passage", "word_match", "confidence", "lead"],
        "additionalProperties": False,
        "description": "The signals that ranked a quote, all for this question.",
        "properties": {
            "cosine": {
                "type": "number",
                "description": "Meaning: the cosine of the sentence's vector to the question's (-1 to 1).",
            },
            "bm25": {
                "type": "number",
                "description": "Shared words: the sentence's BM25 score for the question (0 when no word is shared).",
            },
            "passage": {
                "type": "number",
                "description": "The sentences around it: their passage's evidence, as a z-score (0 is average).",
            },
            "word_match": {
                "type": "number",
                "description": ("How well the sentence's word pieces match the question's, piece by piece (0 to 1)."),
            },
            "lead": {
                "type": "number",
                "description": (
                    "What the score gained as the first sentence under a heading or definition term that "
                    "matches the question (0 for other sentences)."
                ),
            },
            "confidence": {
                "type": "number",
                "description": (
                    "The larger of cosine and the word-piece match of what the question asks about (its "
                    "own words, what, is, do, left out); an answer is given only when the best quote's "
                    "confidence reaches the answer's threshold."
                ),
            },
        },
    },
    "Conflict": {
        "type": "object",
        "required": ["kind", "values", "note", "quotes"],
        "additionalProperties": False,
        "description": "Two quotes, from different documents, that state different values for what was asked.",
        "properties": {
            "kind": {
                "type": "string",
                "description": "What kind of value: number, date, money, percent, person or place.",
            },
            "values": {
                "type": "array",
                "minItems": 2,
                "maxItems": 2,
                "items": {"type": "string"},
                "description": "Each value as written in its quote, in the order of `quotes`.",
            },
            "note": {
                "type": "string",
                "description": 'The line to show people, e.g. "the documents disagree: 2,500 vs 3,000".',
            },
            "quotes": {
                "type": "array",
                "minItems": 2,
                "maxItems": 2,
                "items": {"$ref": "#/components/schemas/QuoteRef"},
            },
        },
    },
    "QuoteRef": {
        "type": "object",
        "required": ["text", "document", "start", "end"],
        "additionalProperties": False,
        "description": "Where a quote is: document text [start:end] == text.",
        "properties": {
            "text": {"type": "string"},
            "document": {"type": "string"},
            "start": {"type": "integer", "minimum": 0},
            "end": {"type": "integer", "minimum": 0},
        },
    },
    "Answer": {
        "type": "object",
        "required": [
            "question",
            "answered",
            "answer",
            "quotes",
            "confidence",
            "threshold",
            "conflicts",
            "took_ms",
            "searched",
            "corrections",
            "parts",
            "changed_since_indexed",
            "declined_because",
        ],
        "additionalProperties": False,
        "properties": {
            "question": {"type": "string", "description": "The question as asked (surrounding whitespace trimmed)."},
            "searched": {
                "type": "string",
                "description": (
                    "The question as searched: the same as question unless greetings, requests or thanks "
                    'around it were left out ("Hi! Can you tell me ...? Thanks!") or typing slips were '
                    "corrected (a word the documents never use becomes the documents' word written with "
                    "accents, or, if it is no English word, the documents' word one letter away)."
                ),
            },
            "corrections": {
                "type": "array",
                "description": "Each word corrected: what was typed and what was searched for instead; usually empty.",
                "items": {
                    "type": "object",
                    "required": ["typed", "searched"],
                    "additionalProperties": False,
                    "properties": {"typed": {"type": "string"}, "searched": {"type": "string"}},
                },
            },
            "changed_since_indexed": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Quoted documents whose file was edited or removed since the index was built: "
                "the quotes are of the indexed text (run `qa index` to update); usually empty.",
            },
            "answered": {"type": "boolean", "description": "False when the documents hold no answer."},
            "declined_because": {
                "type": "string",
                "description": (
                    "Why the question was declined although its confidence reached the threshold, for people: "
                    "the closest sentence is on topic but lacks what was asked for (a number for a question "
                    "asking how many, a time for one asking when). Empty when answered or when the confidence "
                    "was too low."
                ),
            },
            "answer": {
                "type": "string",
                "description": "The best quote (of each question, for several), or a not-found message.",
            },
            "quotes": {"type": "array", "items": {"$ref": "#/components/schemas/Quote"}},
            "confidence": {
                "type": "number",
                "description": "The best quote's confidence (see Evidence); also given when the question is declined.",
            },
            "threshold": {
                "type": "number",
                "description": "The confidence an answer needs (the index's threshold): below it, answered is false.",
            },
            "conflicts": {
                "type": "array",
                "description": "Quotes from different documents that disagree on what was asked; usually empty.",
                "items": {"$ref": "#/components/schemas/Conflict"},
            },
            "took_ms": {"type": "number", "minimum": 0},
            "parts": {
                "type": "array",
                "description": (
                    'When the message asks several questions ("When was Tesla born? Where did he study?"): '
                    "each question's own answer, in order, the later ones searched as follow-ups of the one "
                    "before; quotes then holds their quotes, the first of each question first. Empty for one question."
                ),
                "items": {"$ref": "#/components/schemas/Answer"},
            },
        },
    },
    "Health": {
        "type": "object",
        "required": ["status", "model", "documents", "sentences", "built_at", "engine", "min_confidence"],
        "additionalProperties": False,
        "properties": {
            "status": {"type": "string", "enum": ["ok"]},
            "model": {"type": "string", "description": "The embedding model the index was built with."},
            "documents": {"type": "integer", "minimum": 0},
            "sentences": {"type": "integer", "minimum": 0},
            "built_at": {"type": "string", "description": "When the index was built (ISO 8601)."},
            "engine": {"type": "string", "description": "The index's storage engine: folder or milvus."},
            "min_confidence": {
                "type": "number",
                "description": "The index's answer threshold: the confidence an answer needs.",
            },
        },
    },
    "Unavailable": {
        "type": "object",
        "required": ["status", "error"],
        "additionalProperties": False,
        "properties": {
            "status": {
                "type": "string",
                "enum": ["no index", "degraded"],
                "description": (
                    "no index: none was built yet (error code no_index). degraded: the index is damaged, "
                    "unreadable or built for another model (error code index_broken). Either way the server "
                    "keeps running and picks the index up once `qa index` has rebuilt it."
                ),
            },
            "error": {"$ref": "#/components/schemas/ErrorBody"},
        },
    },
    "Error": {
        "type": "object",
        "required": ["error"],
        "additionalProperties": False,
        "properties": {"error": {"$ref": "#/components/schemas/ErrorBody"}},
    },
    "ErrorBody": {
        "type": "object",
        "required": ["code", "message"],
        "additionalProperties": False,
        "properties": {
            "code": {"type": "string", "description": "Machine-readable: bad_request, unauthorized, ..."},
            "message": {"type": "string", "description": "What went wrong, for people."},
        },
    },
}


def openapi_document(token_required: bool) -> dict[str, Any]:
    """The OpenAPI document; ``token_required`` adds the bearer scheme when the server has a token."""
    ask: dict[str, Any] = {
        "summary": "Answer a question with sentences quoted from the documents",
        "operationId": "ask",
        "requestBody": {
            "required": True,
            "description": f"At most {MAX_BODY_BYTES} bytes.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AskRequest"}}},
        },
        "responses": {
            "200": {
                "description": "Quotes, best first, or an abstention (answered: false) when nothing answers it.",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Answer"}}},
            },
            "400": _error(
                "The body is not JSON, or a field is missing, of the wrong type or out of range.", ["bad_request"]
            ),
            "401": _error("An API token is configured and the bearer token is missing or wrong.", ["unauthorized"]),
            "413": _error(f"The body is over {MAX_BODY_BYTES} bytes.", ["too_large"]),
            "415": _error("The body is not application/json.", ["unsupported_media_type"]),
            "503": {
                **_error(
                    "No index yet (no_index), a damaged or mismatched index (index_broken): the message says "
                    "what to run; or too many questions at once (busy; see Retry-After).",
                    ["no_index", "index_broken", "busy"],
                ),
                "headers": {
                    "Retry-After": {"description": "Seconds to wait (busy only).", "schema": {"type": "integer"}}
                },
            },
        },
    }
    if token_required:
        ask["security"] = [{"bearerAuth": []}]
    document: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {
            "title": "Extractive question answering",
            "version": "1.1.0",
            "description": "Answers are sentences quoted word for word from the indexed documents.",
        },
        "paths": {
            "/ask": {"post": ask},
            "/health": {
                "get": {
                    "summary": "Whether the index is usable, and what is in it",
                    "operationId": "health",
                    "responses": {
                        "200": {
                            "description": "The index is loaded.",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}},
                        },
                        "503": {
                            "description": "No usable index: the status says which case, the message what to run.",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Unavailable"}}},
                        },
                    },
                }
            },
        },
        "components": {"schemas": SCHEMAS},
    }
    if token_required:
        document["components"]["securitySchemes"] = {"bearerAuth": {"type": "http", "scheme": "bearer"}}
    return document
