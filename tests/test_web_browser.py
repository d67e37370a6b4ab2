"""The chat page in a real browser (Debian's chromium driven by Playwright) against the gunicorn server."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web_fixtures import (
    ARTIFACTS,
    CONFLICT_DOCUMENTS,
    CONFLICT_QUESTION,
    HOSTILE_DOCUMENT,
    HOSTILE_QUESTION,
    SEED_DOCUMENT,
    SEEDS,
    running_server,
    server_process,
)

CHROMIUM = Path(os.environ.get("QA_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 20_000
QUESTION = "How many troops will remain in Iraq?"
DEFENSE_QUESTION = "What defense system shot down the drones on Monday?"


def _unavailable() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is absent (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator:
    reason = _unavailable()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run in CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Page:
    """A browser tab on the chat page that records dialogs, console errors and /ask request bodies."""

    def __init__(self, browser, url: str, viewport: dict) -> None:
        from playwright.sync_api import expect

        self.expect = expect
        self.url = url
        self.context = browser.new_context(viewport=viewport)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.asked: list[dict] = []
        self.watch(self.page)
        self.page.on("request", self._record)
        self.page.goto(url)
        self.expect(self.page.locator("#index-status")).to_contain_text("document")

    def watch(self, page) -> None:
        def on_dialog(dialog) -> None:
            self.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _record(self, request) -> None:
        if request.url.endswith("/ask") and request.method == "POST":
            self.asked.append({"body": json.loads(request.post_data or "null"), "headers": request.headers})

    def ask(self, question: str) -> None:
        """Type the question and press Enter; wait until the answer (or error) is shown."""
        box = self.page.get_by_label("Your question")
        box.fill(question)
        box.press("Enter")
        self.expect(self.page.locator(".message--working")).to_have_count(0)
        self.expect(self.page.locator("#send")).to_be_enabled()

    def last(self, selector: str = ".message"):
        return self.page.locator(f"#conversation > {selector}").last

    def screenshot(self, name: str, full_page: bool = False) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        if full_page:  # from the top, so the sticky header is where a reader sees it
            self.page.evaluate("window.scrollTo(0, 0)")
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)

    def screenshot_tall(self, name: str, height: int) -> None:
        """A screenshot from the top of a taller window: the whole conversation, the question box at the bottom."""
        size = self.page.viewport_size
        self.page.set_viewport_size({"width": size["width"] if size else 1280, "height": height})
        self.page.evaluate("window.scrollTo(0, 0)")
        self.screenshot(name)
        if size:
            self.page.set_viewport_size(size)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def chat(browser, live_server: str) -> Iterator[Page]:
    page = Page(browser, live_server, DESKTOP)
    yield page
    page.close()
    assert page.dialogs == [], "a dialog fired: injected script ran"
    assert page.errors == [], "the page logged errors (CSP violations, failed loads, exceptions)"


def test_a_question_gets_a_quoted_answer_with_its_source(chat: Page) -> None:
    page, expect = chat.page, chat.expect
    expect(page.locator("#question")).to_be_focused()
    chat.screenshot("chat-empty-desktop")
    chat.ask("How many troops will remain in Iraq?")

    answer = chat.last(".message--answer")
    primary = answer.locator(".quote--primary")
    expect(primary.locator("blockquote")).to_have_text(
        "Some 2,500 troops will remain as the coalition shifts to an advisory mission to continue supporting "
        "Iraqi forces."
    )
    link = primary.get_by_role("link", name=SEED_DOCUMENT)
    text = (SEEDS / SEED_DOCUMENT).read_text(encoding="utf-8")
    start = text.index("Some 2,500 troops")
    end = text.index("Iraqi forces.", start) + len("Iraqi forces.")
    # The link goes to the quote, with the matched words as document offsets.
    href = link.get_attribute("href") or ""
    assert href.startswith(f"/documents/{SEED_DOCUMENT}?start={start}&end={end}&words="), href
    spans = [tuple(map(int, pair.split("-"))) for pair in href.split("&words=")[1].split(",")]
    assert {"troops", "remain"} <= {text[a:b] for a, b in spans}
    assert all(start <= a < b <= end for a, b in spans)

    # The passage around the quote, with the quote highlighted.
    context = primary.locator(".quote__context")
    expect(context).to_be_hidden()
    primary.get_by_text("Show surrounding passage").click()
    expect(context).to_be_visible()
    quoted = primary.locator("blockquote").text_content() or ""
    expect(context.locator("mark")).to_have_text(quoted)
    expect(context).to_contain_text("formally ended its combat mission")
    chat.screenshot("chat-answer-desktop")

    # The source opens in a new tab (the conversation stays), at the quote.
    with chat.context.expect_page() as new_tab:
        link.click()
    document = new_tab.value
    chat.watch(document)
    document.wait_for_load_state()
    mark = document.locator("mark#quote")
    expect(mark).to_have_text(quoted)  # the words are marked inside it, the text unchanged
    expect(mark).to_be_in_viewport()
    words = mark.locator("b.match")
    assert {"troops", "remain"} <= set(words.all_text_contents())
    assert document.locator("article b.match").count() == words.count()  # only inside the quote
    expect(document.locator(".document__note")).to_contain_text("underlined")
    document.screenshot(path=str(ARTIFACTS / "document-desktop.png"))
    document.screenshot(path=str(ARTIFACTS / "document-matched-words-desktop.png"))
    document.close()
    expect(answer).to_be_visible()


def test_matched_words_are_highlighted_and_why_explains_the_answer(chat: Page) -> None:
    page, expect = chat.page, chat.expect
    chat.ask(QUESTION)
    primary = chat.last(".message--answer").locator(".quote--primary")
    quote = primary.locator("blockquote")
    expect(quote).to_have_text(
        "Some 2,500 troops will remain as the coalition shifts to an advisory mission to continue supporting "
        "Iraqi forces."
    )
    # The question's words are wrapped, in place, in an element of their own that stands out.
    matches = quote.locator(".match")
    assert {"troops", "remain"} <= set(matches.all_text_contents())
    assert matches.first.evaluate("e => e.tagName") == "B"
    highlight = matches.first.evaluate("e => getComputedStyle(e).backgroundColor")
    plain = quote.evaluate("e => getComputedStyle(e).backgroundColor")
    assert highlight != plain and highlight not in ("rgba(0, 0, 0, 0)", "transparent")

    # "Why this answer?" opens the evidence, in sentences.
    why = primary.locator(".why")
    expect(why).to_be_hidden()
    primary.get_by_text("Why this answer?").click()
    expect(why).to_be_visible()
    expect(why).to_contain_text("Words of your question found in this sentence: troops, remain")
    for label in ["Word match", "Meaning", "Same words", "Nearby sentences", "Confidence"]:
        expect(why.locator("dt", has_text=label)).to_be_visible()
    expect(why).to_contain_text("Quotes are listed in this order.")
    expect(why).to_contain_text("An answer is given only when the best quote reaches 48%.")
    expect(why).to_contain_text(re.compile(r"Confidence\s*\d+%"))
    bar = why.locator(".meter__fill").first
    assert bar.evaluate("e => e.getBoundingClientRect().width") > 0  # the meters are drawn (CSSOM, no inline style)
    expect(chat.last(".message--answer").locator(".message__meta")).to_contain_text(re.compile(r"Confidence \d+%"))
    assert page.locator(".conflict").count() == 0  # one document: nothing disagrees
    chat.screenshot_tall("chat-highlight-why-desktop", 1400)


def test_sources_that_disagree_show_a_note_with_both_documents(browser, conflict_index_dir, tmp_path) -> None:
    with running_server(conflict_index_dir, tmp_path) as url:
        chat = Page(browser, url, DESKTOP)
        try:
            expect = chat.expect
            chat.ask(CONFLICT_QUESTION)
            answer = chat.last(".message--answer")
            note = answer.locator(".conflict")
            expect(note).to_have_count(1)
            expect(note).to_be_visible()
            expect(note).to_have_attribute("role", "note")
            expect(note.locator(".conflict__note")).to_have_text(
                re.compile(r"^!?The documents disagree: (503 metres vs 512 metres|512 metres vs 503 metres)$")
            )
            links = note.get_by_role("link")
            expect(links).to_have_count(2)
            assert set(links.all_text_contents()) == set(CONFLICT_DOCUMENTS)
            for name, text in CONFLICT_DOCUMENTS.items():
                sentence = re.search(r"The bridge is \d+ metres long\.", text)
                assert sentence
                link = note.get_by_role("link", name=name)
                expect(link).to_have_attribute(
                    "href", f"/documents/{name}?start={sentence.start()}&end={sentence.end()}"
                )
                expect(link.locator("xpath=..")).to_contain_text(sentence.group()[14:24])  # "503 metres in ..."
            # The note sits between the answer and the other quotes.
            order = answer.evaluate(
                "e => [...e.querySelectorAll('.quote--primary, .conflicts, .message__more')].map(n => n.className)"
            )
            assert order[:2] == ["quote quote--primary", "conflicts"], order
            chat.screenshot("chat-conflict-desktop")

            with chat.context.expect_page() as new_tab:
                note.get_by_role("link", name="city-history.txt").click()
            document = new_tab.value
            chat.watch(document)
            document.wait_for_load_state()
            expect(document.locator("mark#quote")).to_have_text("The bridge is 512 metres long.")
            document.close()
            assert chat.dialogs == [] and chat.errors == []
        finally:
            chat.close()


def test_a_quote_from_a_file_edited_since_the_build_says_so(browser, tmp_path) -> None:
    from qa.build import build_index

    docs, index = tmp_path / "docs", tmp_path / "index"
    docs.mkdir()
    (docs / "light.txt").write_text("The lighthouse keeper lit the lamp every evening at dusk.\n")
    build_index(docs, index)
    (docs / "light.txt").write_text("The lighthouse keeper lit the lamp every morning at dawn.\n")
    with running_server(index, tmp_path) as url:
        chat = Page(browser, url, DESKTOP)
        try:
            chat.ask("When does the keeper light the lamp?")
            answer = chat.last(".message--answer")
            chat.expect(answer.locator(".quote--primary")).to_contain_text("every evening at dusk.")
            note = answer.locator(".changed")
            chat.expect(note).to_have_attribute("role", "note")
            chat.expect(note).to_contain_text("changed since the index was built")
            chat.expect(note).to_contain_text("light.txt")
            assert chat.dialogs == [] and chat.errors == []
        finally:
            chat.close()


def test_a_hard_wrapped_quote_flows_and_an_example_keeps_its_lines(browser, tmp_path) -> None:
    from qa.build import build_index

    docs, index = tmp_path / "docs", tmp_path / "index"
    docs.mkdir()
    (docs / "lamps.md").write_text(
        "# Lamps\n\nThe keeper lights the lamp of the lighthouse every evening\nat dusk, and puts it out at dawn.\n\n"
        "To clean the lens of the lamp, the keeper runs these two\ncommands:\n\n"
        "    wipe --gently lens\n    polish lens\n"
    )
    build_index(docs, index)
    with running_server(index, tmp_path) as url:
        chat = Page(browser, url, DESKTOP)
        try:
            chat.ask("When does the keeper light the lamp?")
            prose = chat.last(".message--answer").locator(".quote--primary .quote__text")
            chat.expect(prose).to_have_class(re.compile("quote__text--flowing"))
            assert (
                prose.inner_text()
                == "The keeper lights the lamp of the lighthouse every evening at dusk, and puts it out at dawn."
            )
            chat.ask("How does the keeper clean the lens?")
            example = chat.last(".message--answer").locator(".quote--primary .quote__text")
            chat.expect(example).not_to_have_class(re.compile("quote__text--flowing"))
            assert "\n    polish lens" in example.inner_text()
            assert chat.dialogs == [] and chat.errors == []
        finally:
            chat.close()


def test_a_broken_index_is_shown_with_its_reason(browser, web_index_dir, tmp_path) -> None:
    index = tmp_path / "index"
    shutil.copytree(web_index_dir, index)
    (index / "CURRENT").write_text("garbage\n")
    with server_process(index, tmp_path) as (url, _):
        context = browser.new_context(viewport=DESKTOP)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        from playwright.sync_api import expect

        try:
            page.goto(url)
            status = page.locator("#index-status")
            expect(status).to_have_text("Index needs repair")
            expect(status).to_have_attribute("title", re.compile("is garbled: run `qa index` to rebuild it"))
            page.get_by_label("Your question").fill(QUESTION)
            page.get_by_label("Your question").press("Enter")
            error = page.locator("#conversation > .message--error")
            expect(error.locator(".message__title")).to_have_text("The documents' index needs repair")
            expect(error).to_contain_text("picks the rebuilt index up by itself")
            expect(error.locator(".message__detail")).to_contain_text("is garbled: run `qa index` to rebuild it")
            expect(page.get_by_label("Your question")).to_have_value(QUESTION)  # given back, to ask again
            page.screenshot(path=str(ARTIFACTS / "chat-degraded-desktop.png"))
        finally:
            context.close()


def test_working_state_is_visible_while_waiting(chat: Page) -> None:
    page, expect = chat.page, chat.expect
    held = []
    page.route("**/ask", lambda route: held.append(route))
    page.get_by_label("Your question").fill("How many troops will remain in Iraq?")
    page.get_by_label("Your question").press("Enter")
    working = page.locator(".message--working")
    expect(working).to_contain_text("Searching the documents")
    expect(page.locator("#send")).to_be_disabled()
    expect(page.locator("#send")).to_have_text("Working…")
    expect(page.locator("#conversation")).to_have_attribute("aria-busy", "true")
    chat.screenshot("chat-working-desktop")
    assert len(held) == 1
    held[0].continue_()
    expect(working).to_have_count(0)
    expect(chat.last(".message--answer")).to_contain_text("Some 2,500 troops")
    expect(page.locator("#send")).to_be_enabled()


def test_follow_up_questions_use_the_conversation(chat: Page) -> None:
    chat.ask("Who was killed by the 2020 drone strike at Baghdad airport?")
    chat.expect(chat.last(".message--answer")).to_contain_text("Baghdad")
    shown = chat.last(".message--answer").locator(".quote--primary blockquote").text_content()
    chat.ask("Which force did he lead?")
    follow_up = chat.last()
    chat.expect(follow_up).to_have_class("message message--answer")
    chat.expect(follow_up.locator(".quote--primary blockquote")).to_contain_text("Quds Force")
    first, second = chat.asked[-2]["body"], chat.asked[-1]["body"]
    assert first["history"] == []
    assert second["history"] == [
        {"question": "Who was killed by the 2020 drone strike at Baghdad airport?", "answer": shown}
    ]
    chat.screenshot("chat-follow-up-desktop", full_page=True)


def test_new_conversation_starts_over(chat: Page) -> None:
    page, expect = chat.page, chat.expect
    chat.ask("How many troops will remain in Iraq?")
    expect(page.locator("#intro")).to_be_hidden()
    page.get_by_role("button", name="New conversation").click()
    expect(page.locator("#conversation > li")).to_have_count(0)
    expect(page.locator("#intro")).to_be_visible()
    expect(page.locator("#question")).to_be_focused()
    chat.ask(DEFENSE_QUESTION)
    expect(chat.last(".message--answer")).to_contain_text("C-RAM")
    assert chat.asked[-1]["body"]["history"] == []


def test_document_markup_shows_as_text_and_never_runs(chat: Page) -> None:
    page, expect = chat.page, chat.expect
    chat.ask(HOSTILE_QUESTION)
    answer = chat.last(".message--answer")
    primary = answer.locator(".quote--primary")
    expect(primary.locator("blockquote")).to_contain_text("<script>alert(1)</script>")
    primary.get_by_text("Show surrounding passage").click()
    expect(primary.locator(".quote__context")).to_contain_text("<img src=x onerror=alert(1)>")
    assert page.locator("#conversation script, #conversation img").count() == 0
    chat.screenshot("chat-xss-desktop")

    # The document page shows the same markup as text.
    with chat.context.expect_page() as new_tab:
        primary.get_by_role("link", name=HOSTILE_DOCUMENT).click()
    document = new_tab.value
    chat.watch(document)
    document.wait_for_load_state()
    expect(document.locator("article")).to_contain_text("<script>alert(1)</script>")
    assert document.locator("article script, article img").count() == 0
    document.close()


def test_a_corrected_slip_is_shown_above_the_answer(chat: Page) -> None:
    chat.ask("How many troops will remian in Iraq?")
    answer = chat.last(".message--answer")
    searched = answer.locator(".message__searched")
    chat.expect(searched).to_have_text("Searched for: How many troops will remain in Iraq? (you typed “remian”)")
    chat.expect(searched.locator("b.message__corrected")).to_have_text("remain")
    chat.expect(answer.locator(".quote--primary blockquote")).to_contain_text("Some 2,500 troops will remain")
    chat.ask("How many troops will remain in Iraq?")  # nothing corrected: no line
    assert chat.last(".message--answer").locator(".message__searched").count() == 0
    chat.screenshot("chat-corrected-desktop")


def test_a_message_asking_two_questions_gets_two_answers(chat: Page) -> None:
    chat.ask(QUESTION + " What is the boiling point of tungsten in kelvin?")
    answer, declined = chat.last(".message--answer"), chat.last(".message--abstain")
    chat.expect(answer.locator(".message__asked")).to_have_text(QUESTION)
    chat.expect(answer.locator(".quote--primary blockquote")).to_contain_text("Some 2,500 troops will remain")
    chat.expect(declined.locator(".message__asked")).to_have_text("What is the boiling point of tungsten in kelvin?")
    chat.expect(declined).to_contain_text("Not found in the documents")
    chat.screenshot("chat-two-questions-desktop")


def test_an_abstention_is_shown_as_not_found(chat: Page) -> None:
    chat.ask(QUESTION)
    chat.ask("What is the boiling point of tungsten in kelvin?")
    abstain = chat.last()
    chat.expect(abstain).to_have_class("message message--abstain")
    chat.expect(abstain).to_contain_text("Not found in the documents")
    chat.expect(abstain).to_contain_text(re.compile(r"The closest sentence matched \d+%; an answer needs 48%\."))
    assert abstain.locator("blockquote, .quote, .match").count() == 0
    assert chat.page.locator(".message--error").count() == 0
    # Styled apart from an answer: its own background and a coloured edge.
    style = "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).borderLeftWidth]"
    abstained, answered = abstain.evaluate(style), chat.page.locator(".message--answer").first.evaluate(style)
    assert abstained[0] != answered[0] and abstained[1] != answered[1], (abstained, answered)
    chat.screenshot("chat-abstain-desktop")
    # Declined on the topic: the page says what the closest sentence lacks, not a confidence.
    chat.ask("How long has the coalition been in Iraq?")
    lacking = chat.last()
    chat.expect(lacking).to_have_class("message message--abstain")
    chat.expect(lacking).to_contain_text("The closest sentence states no number, and the question asks for one.")
    chat.expect(lacking).not_to_contain_text("an answer needs")
    chat.screenshot("chat-declined-because-desktop")


def test_server_and_network_errors_keep_the_conversation(chat: Page) -> None:
    page, expect = chat.page, chat.expect
    chat.ask("How many troops will remain in Iraq?")

    page.route(
        "**/ask",
        lambda route: route.fulfill(
            status=503,
            content_type="application/json",
            body=json.dumps({"error": {"code": "no_index", "message": "no index at embeddings: run `qa index`"}}),
        ),
    )
    chat.ask(DEFENSE_QUESTION)
    expect(chat.last()).to_have_class("message message--error")
    expect(chat.last()).to_contain_text("The documents are not indexed yet")
    expect(chat.last()).to_contain_text("run `qa index`")
    expect(page.get_by_label("Your question")).to_have_value(DEFENSE_QUESTION)

    page.unroute("**/ask")
    page.route("**/ask", lambda route: route.fulfill(status=502, content_type="text/html", body="<h1>Bad gateway</h1>"))
    page.get_by_label("Your question").press("Enter")
    expect(chat.last()).to_contain_text("502")

    page.unroute("**/ask")
    page.route("**/ask", lambda route: route.abort("connectionrefused"))
    page.get_by_label("Your question").press("Enter")
    expect(chat.last()).to_contain_text("Could not reach the server")

    page.unroute("**/ask")
    page.get_by_label("Your question").press("Enter")
    expect(chat.last(".message--answer")).to_contain_text("C-RAM defense system")
    expect(page.locator(".message--answer")).to_have_count(2)  # the first answer survived
    chat.screenshot("chat-errors-desktop", full_page=True)
    # Failed turns are not sent as history.
    assert [turn["question"] for turn in chat.asked[-1]["body"]["history"]] == ["How many troops will remain in Iraq?"]
    chat.errors.clear()  # the browser logs the failed loads this test caused on purpose


def test_a_401_asks_for_the_api_token(chat: Page) -> None:
    page, expect = chat.page, chat.expect

    def needs_token(route) -> None:
        if route.request.headers.get("authorization") == "Bearer let-me-in":
            route.continue_()
        else:
            route.fulfill(
                status=401,
                content_type="application/json",
                headers={"WWW-Authenticate": "Bearer"},
                body=json.dumps({"error": {"code": "unauthorized", "message": "this server needs an API token"}}),
            )

    page.route("**/ask", needs_token)
    chat.ask("How many troops will remain in Iraq?")
    expect(chat.last()).to_contain_text("requires an API token")
    token = page.get_by_label("API token")
    expect(token).to_be_visible()
    expect(token).to_be_focused()
    token.fill("let-me-in")
    token.press("Enter")
    expect(token).to_be_hidden()
    page.get_by_label("Your question").press("Enter")  # the question was given back
    expect(chat.last(".message--answer")).to_contain_text("Some 2,500 troops")
    assert chat.asked[-1]["headers"]["authorization"] == "Bearer let-me-in"
    chat.errors.clear()  # the 401 is logged by the browser


def test_keyboard_only_use(chat: Page) -> None:
    page, expect = chat.page, chat.expect
    box = page.get_by_label("Your question")
    box.press_sequentially("How many troops")
    box.press("Shift+Enter")
    box.press_sequentially("will remain in Iraq?")
    expect(box).to_have_value("How many troops\nwill remain in Iraq?")
    assert chat.asked == []
    box.press("Enter")
    expect(chat.last(".message--answer")).to_contain_text("Some 2,500 troops")
    # The passage and "why" toggles are native <details>: focusable, and Enter opens them.
    page.locator(".quote--primary .quote__details summary").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".quote--primary .quote__context")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.locator(".quote--primary .quote__why summary")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".quote--primary .why")).to_be_visible()


def test_phone_width_layout(browser, live_server: str) -> None:
    chat = Page(browser, live_server, PHONE)
    try:
        chat.screenshot("chat-empty-phone")
        chat.ask("How many troops will remain in Iraq?")
        chat.page.locator(".quote--primary .quote__why summary").first.click()
        chat.expect(chat.page.locator(".quote--primary .why").first).to_be_visible()
        assert chat.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        chat.page.locator(".quote--primary .why").first.scroll_into_view_if_needed()
        chat.screenshot("chat-why-phone")
        chat.ask("What markup was printed in the sandbox report?")
        chat.page.locator(".quote--primary .quote__details summary").last.click()
        width = chat.page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], "the page scrolls sideways on a phone"
        box = chat.page.get_by_label("Your question").bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        chat.expect(chat.page.get_by_role("button", name="Ask")).to_be_in_viewport()
        chat.screenshot("chat-answer-phone")
        chat.screenshot("chat-answer-phone-full", full_page=True)
        assert chat.dialogs == [] and chat.errors == []
    finally:
        chat.close()
