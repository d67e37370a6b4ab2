"""SQuAD v1.1 as an answer-sentence retrieval task (ReQA): article files and gold answer offsets."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

PARAGRAPH_BREAK = "\n\n"


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    document: str  # the article file name
    answer_starts: tuple[int, ...]  # character offsets in that file


def _file_name(number: int, title: str) -> str:
    return f"{number:02d}_{re.sub(r'[^A-Za-z0-9]+', '_', title).strip('_')[:40]}.txt"


def load(path: Path) -> tuple[dict[str, str], list[Question]]:
    """Article texts by file name, and every question with its answers' offsets in the files."""
    data = json.loads(Path(path).read_text())["data"]
    articles: dict[str, str] = {}
    questions: list[Question] = []
    for number, article in enumerate(data):
        name = _file_name(number, article["title"])
        text = ""
        for paragraph in article["paragraphs"]:
            base = len(text)
            text += paragraph["context"] + PARAGRAPH_BREAK
            for qa in paragraph["qas"]:
                starts = tuple(sorted({base + a["answer_start"] for a in qa["answers"]}))
                questions.append(Question(qa["id"], qa["question"].strip(), name, starts))
        articles[name] = text
    return articles, questions


def write_corpus(articles: dict[str, str], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in articles.items():
        (folder / name).write_text(text)
