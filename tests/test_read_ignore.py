"""Leaving things out of a documents folder: .qaignore (gitignore syntax), exclude patterns, hidden files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qa.read.files import discover, read_folder
from qa.read.ignore import Exclusions

FILES = [
    "index.html",
    "_sources/index.rst.txt",
    "library/os.html",
    "library/_sources/os.rst.txt",
    "drafts/plan.md",
    "drafts/keep.md",
    "notes/draft-1.md",
    "notes/final.md",
    "build/out.html",
    "top.txt",
    "deep/top.txt",
    "logs/app.txt",
    ".hidden.txt",
    ".git/config.txt",
]


def make(folder: Path, qaignore: str | None = None) -> Path:
    for name in FILES:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"The text of {name}.")
    if qaignore is not None:
        (folder / ".qaignore").write_text(qaignore)
    return folder


def names(folder: Path, exclude: list[str] | None = None) -> set[str]:
    skipped: list[str] = []
    found = {name for name, _path in discover(folder, exclude or [], lambda n, r: skipped.append(n))}
    assert not skipped
    return found


def test_without_rules_only_hidden_files_are_left_out(tmp_path: Path) -> None:
    assert names(make(tmp_path)) == {name for name in FILES if not name.startswith(".")}


def test_qaignore_uses_gitignore_syntax(tmp_path: Path) -> None:
    qaignore = """# Sphinx's copies of every page
_sources/

# anchored to the folder, or not
/top.txt
build
notes/draft-*

# everything in drafts but one
drafts/*
!drafts/keep.md
"""
    assert names(make(tmp_path, qaignore)) == {
        "index.html",
        "library/os.html",
        "drafts/keep.md",
        "notes/final.md",
        "deep/top.txt",
        "logs/app.txt",
    }


def test_exclude_patterns_add_to_qaignore_and_win_over_its_negations(tmp_path: Path) -> None:
    make(tmp_path, "drafts/*\n!drafts/keep.md\n")
    assert "drafts/keep.md" in names(tmp_path)
    found = names(tmp_path, exclude=["_sources/", "*.md", "logs/"])
    assert found == {"index.html", "library/os.html", "build/out.html", "top.txt", "deep/top.txt"}


def test_a_folder_left_out_is_not_entered(tmp_path: Path) -> None:
    make(tmp_path)
    os.mkfifo(tmp_path / "build" / "pipe.txt")  # would be reported if the folder were walked
    skipped: list[str] = []
    found = {name for name, _ in discover(tmp_path, ["build/"], lambda n, r: skipped.append(n))}
    assert not skipped and not any(name.startswith("build/") for name in found)


def test_a_file_in_a_left_out_folder_cannot_be_taken_back(tmp_path: Path) -> None:
    # As in git: "!" does not re-include a file whose folder is excluded.
    make(tmp_path, "drafts/\n!drafts/keep.md\n")
    assert not any(name.startswith("drafts/") for name in names(tmp_path))


def test_read_folder_takes_exclude_patterns(tmp_path: Path) -> None:
    make(tmp_path, "_sources/\n")
    read = {name for name, _digest, _doc in read_folder(tmp_path, 1_000_000, exclude=["library/", "*.txt", "*.md"])}
    assert read == {"index.html", "build/out.html"}


@pytest.mark.parametrize(
    ("patterns", "name", "folder", "expected"),
    [
        (["_sources/"], "_sources", True, True),
        (["_sources/"], "_sources", False, False),  # a file named like the folder pattern is kept
        (["*.txt", "!keep.txt"], "a/keep.txt", False, False),
        (["/top.txt"], "a/top.txt", False, False),
        (["**/tmp/**"], "x/tmp/y.md", False, True),
        ([], "anything.md", False, False),
    ],
)
def test_exclusions(patterns: list[str], name: str, folder: bool, expected: bool) -> None:
    rules = Exclusions(exclude=patterns)
    assert (rules.excludes_folder(name) if folder else rules.excludes_file(name)) is expected
