"""The HTML pages: the chat at / and a document with a quote highlighted at /documents/<path>."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from qa.errors import DocumentNotFoundError, QAError
from web.api import assistant, index_failed
from web.security import check_token

bp = Blueprint("pages", __name__)

# At most this many matched words are marked inside a quote; the rest of ?words= is ignored.
MAX_MARKED_WORDS = 64


@bp.get("/")
def chat() -> str:
    return render_template("chat.html")


def _number(text: str) -> int | None:
    return int(text[:12]) if text.isascii() and text.isdigit() else None


def _span(length: int) -> tuple[int, int] | None:
    """The ``?start=&end=`` span to highlight, or None when absent or outside the text."""
    begin, stop = _number(request.args.get("start", "")), _number(request.args.get("end", ""))
    if begin is None or stop is None:
        return None
    return (begin, stop) if begin < stop <= length else None


def _words(span: tuple[int, int]) -> list[tuple[int, int]]:
    """The ``?words=12-18,30-36`` spans (document offsets) to mark inside ``span``, sorted,
    without overlaps; malformed or outside ones are left out."""
    spans = []
    for item in request.args.get("words", "")[:4096].split(",")[:MAX_MARKED_WORDS]:
        first, _, last = item.partition("-")
        begin, stop = _number(first.strip()), _number(last.strip())
        if begin is not None and stop is not None and span[0] <= begin < stop <= span[1]:
            spans.append((begin, stop))
    merged: list[tuple[int, int]] = []
    for begin, stop in sorted(spans):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((begin, stop))
    return merged


def _parts(text: str, span: tuple[int, int], words: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """The quote ``text[span]`` cut into (text, is a matched word) pieces, in order."""
    parts, at = [], span[0]
    for begin, stop in words:
        if begin > at:
            parts.append((text[at:begin], False))
        parts.append((text[begin:stop], True))
        at = stop
    if at < span[1]:
        parts.append((text[at : span[1]], False))
    return parts


@bp.get("/documents/<path:name>")
def document(name: str) -> str:
    check_token()
    current = assistant()
    # Only names the index holds are served, so no path can leave the documents folder.
    if name not in current.documents:
        abort(404)
    try:
        text = current.document_text(name)
    except DocumentNotFoundError:
        abort(404)
    except QAError as exc:  # its stored text fails its digest: the index is damaged
        raise index_failed(exc, current) from None
    span = _span(len(text))
    begin, stop = span or (len(text), len(text))
    words = _words(span) if span else []
    return render_template(
        "document.html",
        name=name,
        before=text[:begin],
        parts=_parts(text, (begin, stop), words),
        after=text[stop:],
        highlighted=span is not None,
        marked_words=len(words),
        changed=bool(current.sources.changed([name])),
    )
