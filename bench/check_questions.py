"""Validate the hand-written question sets: bench/search_questions.json and bench/docs_questions.json.

Usage:
    python -m bench.check_questions [--squad ../shared/eval/squad-dev-public.json] [--docs-root DIR] [--scan-all]

Search set (SQuAD articles, written to files by bench/squad.py `load`): every "answer" and
"other_answers" entry occurs exactly once in its article's text.

Docs set (PostgreSQL 15 HTML): every "answer" occurs exactly once in its page's visible text
(`lxml.html.fromstring(...).text_content()`, whitespace collapsed to single spaces), and also
in the page's prose, i.e. outside tables, code blocks, headings, definition terms and navigation,
which the project's reader never quotes. Unanswerable questions' "absent" patterns must match no
listed page (--scan-all also reports matches anywhere under the docs root, for information).

Both: no duplicate questions, known documents, answer lengths in range (warnings only), counts
per article or kind. Exits 1 when any check fails.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

import lxml.html

from bench.squad import load

HERE = Path(__file__).resolve().parent
SEARCH = HERE / "search_questions.json"
DOCS = HERE / "docs_questions.json"
SQUAD = HERE.parent.parent / "shared" / "eval" / "squad-dev-public.json"
DOC_KINDS = ("what", "own_words", "fact", "howto", "unanswerable")
NOT_PROSE = (
    "//table",
    "//pre",
    "//h1",
    "//h2",
    "//h3",
    "//h4",
    "//h5",
    "//h6",
    "//dt",
    "//head",
    "//div[contains(@class,'navheader')]",
    "//div[contains(@class,'navfooter')]",
    "//div[contains(@class,'toc')]",
)


def normalise(text: str) -> str:
    return " ".join(text.split())


def page_text(path: Path) -> str:
    """The page's visible text as the question file was written against it."""
    return normalise(lxml.html.fromstring(path.read_bytes()).text_content())


def page_prose(path: Path) -> str:
    """The page's text without tables, code blocks, headings, definition terms and navigation."""
    root = lxml.html.fromstring(path.read_bytes())
    for xpath in NOT_PROSE:
        for element in root.xpath(xpath):
            if element.getparent() is not None:
                element.drop_tree()
    return normalise(root.text_content())


class Report:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def error(self, message: str) -> None:
        self.errors.append(message)

    def warn(self, message: str) -> None:
        self.warnings.append(message)


def check_duplicates(questions: list[dict], report: Report, label: str) -> None:
    seen = Counter(normalise(q["question"]).lower() for q in questions)
    for question, count in seen.items():
        if count > 1:
            report.error(f"{label}: duplicate question {question!r} ({count} times)")


def check_words(answer: str, low: int, high: int, where: str, report: Report) -> None:
    words = len(answer.split())
    if not low <= words <= high:
        report.warn(f"{where}: answer has {words} words (expected {low}-{high}): {answer!r}")


def check_search(path: Path, squad: Path, report: Report) -> None:
    data = json.loads(path.read_text())
    questions = data["questions"]
    articles, _ = load(squad)
    check_duplicates(questions, report, path.name)
    per_article: dict[str, Counter] = {name: Counter() for name in sorted(articles)}
    for number, q in enumerate(questions):
        where = f"{path.name} #{number} {q.get('question')!r}"
        document = q.get("document")
        if document not in articles:
            report.error(f"{where}: unknown document {document!r}")
            continue
        if q.get("style") != "search":
            report.error(f"{where}: style should be 'search'")
        answerable = q.get("answerable", True)
        per_article[document]["answerable" if answerable else "unanswerable"] += 1
        if not answerable:
            if "answer" in q or "other_answers" in q:
                report.error(f"{where}: unanswerable question has an answer")
            continue
        if not q.get("answer"):
            report.error(f"{where}: no answer")
            continue
        text = articles[document]
        for start, end in [q["answer"], *q.get("other_answers", [])]:
            answer = text[start:end]
            check_words(answer, 3, 12, where, report)
            found = text.count(answer)
            if found != 1:
                report.error(f"{where}: answer found {found} times in {document}: {answer!r}")
    print(f"{path.name}: {len(questions)} questions")
    print(f"  {'article':<44}{'answerable':>11}{'unanswerable':>13}")
    for name, counts in per_article.items():
        print(f"  {name:<44}{counts['answerable']:>11}{counts['unanswerable']:>13}")
    answerable = sum(c["answerable"] for c in per_article.values())
    unanswerable = sum(c["unanswerable"] for c in per_article.values())
    share = unanswerable / max(len(questions), 1)
    print(f"  {'total':<44}{answerable:>11}{unanswerable:>13}  ({share:.1%} unanswerable)")


def check_docs(path: Path, root: Path | None, scan_all: bool, report: Report) -> None:
    data = json.loads(path.read_text())
    root = root or Path(data["root"])
    pages = data["pages"]
    questions = data["questions"]
    check_duplicates(questions, report, path.name)
    if len(set(pages)) != len(pages):
        report.error(f"{path.name}: duplicate entries in pages")
    texts: dict[str, str] = {}
    prose: dict[str, str] = {}
    for page in pages:
        file = root / page
        if not file.is_file():
            report.error(f"{path.name}: page {page} is missing under {root}")
            continue
        texts[page] = page_text(file)
        prose[page] = page_prose(file)
    kinds: Counter = Counter()
    for number, q in enumerate(questions):
        where = f"{path.name} #{number} {q.get('question')!r}"
        kind = q.get("kind")
        if kind not in DOC_KINDS:
            report.error(f"{where}: unknown kind {kind!r}")
            continue
        kinds[kind] += 1
        if kind == "unanswerable":
            if q.get("answerable", True) or "answer" in q or "document" in q:
                report.error(f"{where}: unanswerable question needs answerable: false and no answer or document")
            for pattern in q.get("absent", []):
                hits = [page for page, text in texts.items() if re.search(pattern, text, re.IGNORECASE)]
                if hits:
                    report.error(f"{where}: {pattern!r} occurs in listed pages {hits}")
            continue
        if q.get("answerable", True) is not True:
            report.error(f"{where}: kind {kind} must be answerable")
        for entry in [{"document": q.get("document"), "answer": q.get("answer", "")}, *q.get("other_answers", [])]:
            document, answer = entry["document"], entry["answer"]
            check_words(answer, 4, 15, where, report)
            if document not in texts:
                report.error(f"{where}: document {document!r} is not among the pages")
                continue
            if answer != normalise(answer) or not answer:
                report.error(f"{where}: answer is empty or not whitespace-normalised: {answer!r}")
            found = texts[document].count(answer)
            if found != 1:
                report.error(f"{where}: answer found {found} times in {document}: {answer!r}")
            elif answer not in prose[document]:
                report.error(f"{where}: answer is not in the prose of {document} (table, code or heading?): {answer!r}")
    print(f"{path.name}: {len(questions)} questions over {len(pages)} pages")
    for kind in DOC_KINDS:
        print(f"  {kind:<14}{kinds[kind]:>4}")
    print(f"  {'answerable':<14}{sum(kinds[k] for k in DOC_KINDS[:-1]):>4}")
    if scan_all:
        print(f"  unanswerable patterns across every page under {root}:")
        everything = {file.name: page_text(file) for file in sorted(root.glob("*.html"))}
        for q in questions:
            for pattern in q.get("absent", []):
                hits = sorted(n for n, t in everything.items() if re.search(pattern, t, re.IGNORECASE))
                shown = ", ".join(hits[:5]) + (" ..." if len(hits) > 5 else "")
                print(f"    {q['question'][:55]:<55} {pattern:<22} {len(hits):>3} pages {shown}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--squad", type=Path, default=SQUAD, help="SQuAD v1.1 JSON the search set is written against")
    parser.add_argument("--docs-root", type=Path, help="PostgreSQL HTML folder (default: the file's root)")
    parser.add_argument("--scan-all", action="store_true", help="report unanswerable patterns across all docs pages")
    args = parser.parse_args()
    report = Report()
    check_search(SEARCH, args.squad, report)
    print()
    check_docs(DOCS, args.docs_root, args.scan_all, report)
    for warning in report.warnings:
        print(f"warning: {warning}")
    for error in report.errors:
        print(f"error: {error}")
    print(f"\n{len(report.errors)} errors, {len(report.warnings)} warnings")
    sys.exit(1 if report.errors else 0)


if __name__ == "__main__":
    main()
