"""The chat page and /documents/<path>: escaping, highlighting, and no way out of the documents folder."""

from __future__ import annotations

import html
import re

import pytest
from flask.testing import FlaskClient

from tests.web_fixtures import HOSTILE_DOCUMENT, HOSTILE_TEXT, SEED_DOCUMENT, SEEDS, document_parts


def test_chat_page_has_a_labelled_input_and_a_live_conversation(web_client: FlaskClient) -> None:
    response = web_client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert '<label for="question"' in page and 'id="question"' in page
    assert re.search(r'id="conversation"[^>]*aria-live="polite"', page)
    assert 'id="new-conversation"' in page
    assert "/static/chat.js" in page and "/static/style.css" in page


def test_pages_have_no_inline_script_or_external_assets(web_client: FlaskClient) -> None:
    for url in ["/", f"/documents/{HOSTILE_DOCUMENT}?start=21&end=40"]:
        page = web_client.get(url).get_data(as_text=True)
        scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", page, re.S)
        assert scripts, url
        for attributes, body in scripts:
            assert 'src="/static/' in attributes and not body.strip(), url
        assert not re.search(r"<[^>]*\son[a-z]+\s*=", page), url  # no event-handler attributes
        assert "http://" not in page and "https://" not in page, url


@pytest.mark.parametrize("name", ["chat.js", "document.js", "style.css"])
def test_static_files_are_served(web_client: FlaskClient, name: str) -> None:
    response = web_client.get(f"/static/{name}")
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_chat_script_never_writes_html() -> None:
    from pathlib import Path

    script = (Path(__file__).resolve().parent.parent / "web" / "static" / "chat.js").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script


def test_document_page_shows_the_text_with_the_span_marked(web_client: FlaskClient) -> None:
    text = (SEEDS / SEED_DOCUMENT).read_text(encoding="utf-8")
    start = text.index("Some 2,500 troops")
    end = text.index("Iraqi forces.", start) + len("Iraqi forces.")
    before, marked, after = document_parts(web_client.get(f"/documents/{SEED_DOCUMENT}?start={start}&end={end}"))
    assert marked == text[start:end]
    assert before + marked + after == text


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?start=5",
        "?end=5",
        "?start=9&end=3",
        "?start=0&end=999999",
        "?start=-1&end=4",
        "?start=a&end=b",
        "?start=1.5&end=4",
        "?start=%C2%B9&end=%C2%B2",
        "?start=" + "9" * 400 + "&end=" + "9" * 401,
        "?start=4&end=4",
    ],
)
def test_document_page_without_a_valid_span_marks_nothing(web_client: FlaskClient, query: str) -> None:
    before, marked, after = document_parts(web_client.get(f"/documents/{SEED_DOCUMENT}{query}"))
    assert marked == after == ""
    assert before == (SEEDS / SEED_DOCUMENT).read_text(encoding="utf-8")


def test_document_markup_is_shown_as_text(web_client: FlaskClient) -> None:
    start = HOSTILE_TEXT.index("The sandbox")
    end = HOSTILE_TEXT.index("notice.", start) + len("notice.")
    response = web_client.get(f"/documents/{HOSTILE_DOCUMENT}?start={start}&end={end}")
    page = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    before, marked, after = document_parts(response)
    assert before + marked + after == HOSTILE_TEXT
    assert "<script>alert(1)</script>" in marked


TRAVERSALS = [
    "/documents/../seeds/" + SEED_DOCUMENT,
    "/documents/../../../../etc/passwd",
    "/documents/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/documents/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    "/documents/..%2f..%2f..%2fetc%2fpasswd",
    "/documents/..%5c..%5cetc%5cpasswd",
    "/documents//etc/passwd",
    "/documents/%2Fetc%2Fpasswd",
    "/documents/./" + SEED_DOCUMENT,
    "/documents/x/../" + SEED_DOCUMENT,
    "/documents/" + SEED_DOCUMENT + "/..",
    "/documents/" + SEED_DOCUMENT + "%00.html",
    "/documents/" + SEED_DOCUMENT.upper(),
    "/documents/web_fixtures.py",
    "/documents/missing.txt",
    "/documents/",
    "/documents",
]


@pytest.mark.parametrize("url", TRAVERSALS)
def test_paths_outside_the_index_are_404(web_client: FlaskClient, url: str) -> None:
    response = web_client.get(url)
    assert response.status_code == 404
    assert "root:" not in response.get_data(as_text=True)


def test_every_indexed_document_is_served(web_client: FlaskClient, web_assistant) -> None:
    for name in web_assistant.documents:
        assert web_client.get(f"/documents/{name}").status_code == 200


# -- the question's words inside the quote ---------------------------------------------------

MATCH_TAG = re.compile(r'<b class="match">(.*?)</b>', re.S)


def marked_words(response) -> tuple[str, list[str]]:
    """The quote of a /documents/ page as text, and the words marked inside it (both unescaped)."""
    _, marked, _ = document_parts(response)
    words = [html.unescape(w) for w in MATCH_TAG.findall(marked)]
    return html.unescape(re.sub(r"</?b[^>]*>", "", marked)), words


def test_document_page_marks_the_matched_words_inside_the_quote(web_client: FlaskClient) -> None:
    text = (SEEDS / SEED_DOCUMENT).read_text(encoding="utf-8")
    start = text.index("Some 2,500 troops")
    end = text.index("Iraqi forces.", start) + len("Iraqi forces.")
    troops, remain = text.index("troops", start), text.index("remain", start)
    words = f"{troops}-{troops + 6},{remain}-{remain + 6}"
    response = web_client.get(f"/documents/{SEED_DOCUMENT}?start={start}&end={end}&words={words}")
    quote, marked = marked_words(response)
    assert quote == text[start:end]  # the text is unchanged, only wrapped
    assert marked == ["troops", "remain"]
    before, _, after = document_parts(response)
    assert before == text[:start] and after == text[end:]
    assert "underlined" in response.get_data(as_text=True)  # the note says what the marks mean


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("", []),
        ("0-4", []),  # before the quote
        ("{s}-{s}", []),  # empty
        ("{s}-{e1}", []),  # runs past the quote
        ("a-b,-3,4-,{s},{s}-x", []),  # malformed
        ("{s}-{s4}", ["Some"]),
        ("{s}-{s4},{s2}-{s10}", ["Some 2,500"]),  # overlapping spans are merged
        ("{s5}-{s10},{s}-{s4}", ["Some", "2,500"]),  # any order
        ("%20{s}-{s4}%20", ["Some"]),
    ],
)
def test_document_page_marks_only_valid_words_inside_the_quote(web_client: FlaskClient, words: str, expected) -> None:
    text = (SEEDS / SEED_DOCUMENT).read_text(encoding="utf-8")
    start = text.index("Some 2,500 troops")
    end = text.index("Iraqi forces.", start) + len("Iraqi forces.")
    offsets = {"s": start, "s2": start + 2, "s4": start + 4, "s5": start + 5, "s10": start + 10, "e1": end + 1}
    response = web_client.get(f"/documents/{SEED_DOCUMENT}?start={start}&end={end}&words={words.format(**offsets)}")
    quote, marked = marked_words(response)
    assert quote == text[start:end]
    assert marked == expected


def test_words_without_a_quote_mark_nothing(web_client: FlaskClient) -> None:
    response = web_client.get(f"/documents/{SEED_DOCUMENT}?words=0-4")
    assert 'class="match"' not in response.get_data(as_text=True)


def test_marked_words_of_a_document_full_of_markup_are_text(web_client: FlaskClient) -> None:
    start = HOSTILE_TEXT.index("The sandbox")
    end = HOSTILE_TEXT.index("notice.", start) + len("notice.")
    script = HOSTILE_TEXT.index("<script>")
    words = f"{script}-{script + len('<script>alert(1)</script>')}"
    response = web_client.get(f"/documents/{HOSTILE_DOCUMENT}?start={start}&end={end}&words={words}")
    page = response.get_data(as_text=True)
    assert '<b class="match">&lt;script&gt;alert(1)&lt;/script&gt;</b>' in page
    assert "<script>alert" not in page
    quote, marked = marked_words(response)
    assert quote == HOSTILE_TEXT[start:end] and marked == ["<script>alert(1)</script>"]


def test_templates_never_mark_text_safe() -> None:
    from pathlib import Path

    for template in (Path(__file__).resolve().parent.parent / "web" / "templates").glob("*.html"):
        source = template.read_text()
        assert "|safe" not in source.replace(" ", "") and "Markup(" not in source, template.name
        assert "autoescape false" not in source, template.name
