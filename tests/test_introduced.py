"""How far the quote of a sentence that introduces an example runs: through the example, never into another section."""

from __future__ import annotations

from qa.answer.introduced import MAX_INTRODUCED, introduced_end

INTRO = "To clean the lens, run:"


def quoted(text: str, next_sentence: str | None, same_section: bool, headings: list[str], markdown: bool) -> str:
    end = text.index(INTRO) + len(INTRO)
    span = None
    if next_sentence is not None:
        start = text.index(next_sentence)
        span = (start, start + len(next_sentence))
    return text[: introduced_end(text, end, span, same_section, headings, markdown)]


def test_the_next_sentence_of_the_same_section_comes_with_the_example() -> None:
    text = f"{INTRO}\n\n    polish lens\n\nThe lens then shines.\n\nMore text.\n"
    assert quoted(text, "The lens then shines.", True, [], False).endswith("polish lens\n\nThe lens then shines.")


def test_the_next_section_is_never_quoted() -> None:
    # Markdown: the heading line of the next section, even one no sentence is under.
    text = (
        f"{INTRO}\n\n```sh\n# a comment, not a heading\npolish lens\n```\n\n"
        "## Storms\n\n### Before a storm\n\nClose the shutters.\n"
    )
    assert quoted(text, "Close the shutters.", False, ["Before a storm"], True).endswith("polish lens\n```")
    # HTML pages are text without "#": the next sentence's own heading marks the end.
    text = f"{INTRO}\n\n# polish lens\n\nStorms\n\nClose the shutters.\n"
    assert quoted(text, "Close the shutters.", False, ["Storms"], False).endswith("# polish lens")


def test_an_unknown_boundary_keeps_the_first_block_and_a_fence_whole() -> None:
    text = f"{INTRO}\n\n```sh\npolish lens\n\nwipe lens\n```\n\nA closing remark\n"
    assert quoted(text, None, False, [], True).endswith("wipe lens\n```")
    text = f"{INTRO}\n\npolish lens\n\nSomething else under a heading we cannot see.\n"
    assert quoted(text, None, False, [], False).endswith("polish lens")


def test_a_long_listing_is_left_to_the_document_page() -> None:
    text = INTRO + "\n\n" + "polish lens\n" * (MAX_INTRODUCED // 10) + "\nThe lens then shines.\n"
    assert quoted(text, "The lens then shines.", True, [], False) == INTRO
