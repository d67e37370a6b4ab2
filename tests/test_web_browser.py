"""The chat page in a real browser (Debian's chromium driven by Playwright) against the gunicorn server."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web_fixtures import ARTIFACTS, HOSTILE_DOCUMENT, HOSTILE_QUESTION, SEED_DOCUMENT, SEEDS

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
    expect(link).to_have_attribute("href", f"/documents/{SEED_DOCUMENT}?start={start}&end={end}")

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
    expect(mark).to_have_text(quoted)
    expect(mark).to_be_in_viewport()
    document.screenshot(path=str(ARTIFACTS / "document-desktop.png"))
    document.close()
    expect(answer).to_be_visible()


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
    chat.ask("Which general was killed near Baghdad airport in 2020?")
    chat.expect(chat.last(".message--answer")).to_contain_text("Baghdad")
    shown = chat.last(".message--answer").locator(".quote--primary blockquote").text_content()
    chat.ask("Which force did he lead?")
    follow_up = chat.last()
    chat.expect(follow_up).to_have_class("message message--answer")
    chat.expect(follow_up.locator(".quote--primary blockquote")).to_contain_text("Quds Force")
    first, second = chat.asked[-2]["body"], chat.asked[-1]["body"]
    assert first["history"] == []
    assert second["history"] == [
        {"question": "Which general was killed near Baghdad airport in 2020?", "answer": shown}
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
    chat.ask("Who contributed reporting?")
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


def test_an_abstention_is_shown_as_not_found(chat: Page) -> None:
    chat.ask("What is the boiling point of tungsten in kelvin?")
    abstain = chat.last()
    chat.expect(abstain).to_have_class("message message--abstain")
    chat.expect(abstain).to_contain_text("Not found in the documents")
    assert chat.page.locator(".message--error").count() == 0
    chat.screenshot("chat-abstain-desktop")


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
    chat.ask("Who contributed reporting?")
    expect(chat.last()).to_have_class("message message--error")
    expect(chat.last()).to_contain_text("run `qa index`")
    expect(page.get_by_label("Your question")).to_have_value("Who contributed reporting?")

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
    expect(chat.last(".message--answer")).to_contain_text("Associated Press writer Zeina Karam")
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
    # The passage toggle is a native <details>: focusable, and Enter opens it.
    page.locator(".quote--primary summary").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".quote--primary .quote__context")).to_be_visible()


def test_phone_width_layout(browser, live_server: str) -> None:
    chat = Page(browser, live_server, PHONE)
    try:
        chat.screenshot("chat-empty-phone")
        chat.ask("How many troops will remain in Iraq?")
        chat.ask("What markup was printed in the sandbox report?")
        chat.page.locator(".quote--primary summary").first.click()
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
