"""The HTML pages: the chat at / and a document with a quote highlighted at /documents/<path>."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from web.api import assistant
from web.security import check_token

bp = Blueprint("pages", __name__)


@bp.get("/")
def chat() -> str:
    return render_template("chat.html")


def _span(length: int) -> tuple[int, int] | None:
    """The ``?start=&end=`` span to highlight, or None when absent or outside the text."""
    start, end = request.args.get("start", ""), request.args.get("end", "")
    if not (start.isascii() and start.isdigit() and end.isascii() and end.isdigit()):
        return None
    begin, stop = int(start[:12]), int(end[:12])
    return (begin, stop) if begin < stop <= length else None


@bp.get("/documents/<path:name>")
def document(name: str) -> str:
    check_token()
    current = assistant()
    # Only names the index holds are served, so no path can leave the documents folder.
    if name not in current.documents:
        abort(404)
    text = current.document_text(name)
    span = _span(len(text))
    begin, stop = span or (len(text), len(text))
    return render_template(
        "document.html",
        name=name,
        before=text[:begin],
        quote=text[begin:stop],
        after=text[stop:],
        highlighted=span is not None,
    )
