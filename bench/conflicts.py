"""Sources that disagree: precision and recall of `find_conflicts` on the labelled pairs, end to end.

Usage:
    python -m bench.conflicts [--cases tests/data/conflicts.jsonl] [--workdir DIR] [--show]

Writes every case's documents into one folder (a subfolder per case), indexes it once
with the project's real index, asks each question through `Assistant.ask(top_k=5)` and
runs `find_conflicts` on the answer's quotes that come from that case's subfolder. A
case counts as found when at least one conflict is reported; a found conflict is
"right" when its kind and its two values are the labelled ones. The figures are given
again for the best 5 quotes before the assistant drops the weaker ones
(`Assistant.ranked`), which shows what the conflict check could find if it were
offered more candidates. Cases carry a "set": "dev" was written with the rules,
"heldout" and "heldout2" were written blind and first run untouched (BENCHMARKS.md
gives those first figures too). ``--workdir`` keeps the folder and the index, so a
second run only re-embeds what changed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from qa import Assistant, Quote
from qa.answer.conflicts import Conflict, find_conflicts
from qa.build import build_index

CASES = Path(__file__).resolve().parent.parent / "tests" / "data" / "conflicts.jsonl"
TOP_K = 5


@dataclass
class Outcome:
    case: dict
    quotes: list[Quote]
    conflicts: list[Conflict]
    ms: float

    @property
    def found(self) -> bool:
        return bool(self.conflicts)

    @property
    def right(self) -> bool:
        """The labelled kind and values are among the conflicts found."""
        want = {_norm(v) for v in self.case.get("values") or []}
        return any(c.kind == self.case["kind"] and {_norm(v) for v in c.values} == want for c in self.conflicts)


def _norm(value: str) -> str:
    return " ".join(value.lower().split())


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_documents(cases: list[dict], docs: Path) -> None:
    """One subfolder per case; files are rewritten only when their text changed."""
    for case in cases:
        for name, text in case["documents"].items():
            path = docs / case["id"] / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")


def run(cases: list[dict], workdir: Path) -> tuple[dict[str, list[Outcome]], float]:
    """Outcomes with the answer's quotes ("shown") and with the best 5 before any is dropped ("ranked")."""
    docs, index = workdir / "docs", workdir / "index"
    write_documents(cases, docs)
    began = time.perf_counter()
    build_index(docs, index)
    built = time.perf_counter() - began
    assistant = Assistant.open(index)
    outcomes: dict[str, list[Outcome]] = {"shown": [], "ranked": []}
    for case in cases:
        answers = {"shown": assistant.ask(case["question"], top_k=TOP_K)}
        if hasattr(assistant, "ranked"):
            answers["ranked"] = assistant.ranked(case["question"], k=TOP_K)
        for mode, answer in answers.items():
            quotes = [q for q in answer.quotes if q.document.startswith(case["id"] + "/")]
            began = time.perf_counter()
            conflicts = find_conflicts(case["question"], quotes)
            outcomes[mode].append(Outcome(case, quotes, conflicts, (time.perf_counter() - began) * 1000))
    return {mode: found for mode, found in outcomes.items() if found}, built


def scores(outcomes: list[Outcome]) -> str:
    tp = sum(o.found and o.case["conflict"] for o in outcomes)
    fp = sum(o.found and not o.case["conflict"] for o in outcomes)
    fn = sum(not o.found and o.case["conflict"] for o in outcomes)
    right = sum(o.right for o in outcomes if o.found and o.case["conflict"])
    return (
        f"precision {tp / max(tp + fp, 1):.3f} ({tp}/{tp + fp})  recall {tp / max(tp + fn, 1):.3f} ({tp}/{tp + fn})"
        f"  labelled kind and values among those found: {right}/{tp}"
    )


def report(runs: dict[str, list[Outcome]], built: float, show: bool) -> None:
    outcomes = runs["shown"]
    conflicting = sum(o.case["conflict"] for o in outcomes)
    print(f"cases: {len(outcomes)} ({conflicting} conflicting); index built in {built:.1f}s")
    for mode, title in (("shown", "the answer's quotes, ask(top_k=5)"), ("ranked", "the best 5, none dropped")):
        if mode not in runs:
            continue
        both = sum(len({q.document for q in o.quotes}) == 2 for o in runs[mode])
        print(f"\nWith {title}; quotes from both documents in {both}/{len(runs[mode])} cases:")
        print(f"  all      {scores(runs[mode])}")
        for name in sorted({o.case.get("set", "") for o in runs[mode]} - {""}):
            print(f"  {name:8} {scores([o for o in runs[mode] if o.case.get('set') == name])}")
    ms = [o.ms for o in outcomes]
    print(f"\nfind_conflicts: median {statistics.median(ms):.2f} ms, max {max(ms):.2f} ms a question")
    for mode, found in runs.items():
        print(f"\n== {mode} ==")
        _details(found, show)


def _details(outcomes: list[Outcome], show: bool) -> None:
    tp = [o for o in outcomes if o.found and o.case["conflict"]]
    fp = [o for o in outcomes if o.found and not o.case["conflict"]]
    fn = [o for o in outcomes if not o.found and o.case["conflict"]]
    print("kind      conflicting  found  agreeing  false alarms")
    for kind in sorted({o.case["kind"] for o in outcomes}):
        of = [o for o in outcomes if o.case["kind"] == kind]
        pos = [o for o in of if o.case["conflict"]]
        neg = [o for o in of if not o.case["conflict"]]
        found, alarms = sum(o.found for o in pos), sum(o.found for o in neg)
        print(f"{kind:9} {len(pos):11}  {found:5}  {len(neg):8}  {alarms:12}")
    one = [o for o in fn if len({q.document for q in o.quotes}) < 2]
    print(f"misses whose quotes come from one document only: {len(one)}")
    for title, group in (
        ("False alarms", fp),
        ("Misses with quotes from both documents", [o for o in fn if o not in one]),
        ("Found, but other values", [o for o in tp if not o.right]),
    ):
        print(f"\n{title}: {len(group)}")
        for o in group:
            _describe(o)
    if show:
        print("\nAll cases:")
        for o in outcomes:
            _describe(o)


def _describe(o: Outcome) -> None:
    label = f"{o.case['kind']}, {'conflict ' + ' vs '.join(o.case['values']) if o.case['conflict'] else 'agree'}"
    print(f"  {o.case['id']} ({label}): {o.case['question']}")
    for c in o.conflicts:
        print(f"      found {c.kind}: {c.note()}")
    docs = sorted({q.document for q in o.quotes})
    print(f"      quotes from {len(docs)} document(s): {', '.join(docs) or '-'}")
    for q in o.quotes:
        print(f"        {q.score:.2f} {q.document}: {q.text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, default=CASES)
    parser.add_argument("--workdir", type=Path, help="keep the documents and index here (reused when present)")
    parser.add_argument("--show", action="store_true", help="print every case's quotes and conflicts")
    args = parser.parse_args()
    cases = load(args.cases)
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        runs, built = run(cases, args.workdir)
    else:
        with tempfile.TemporaryDirectory(prefix="conflicts-") as tmp:
            runs, built = run(cases, Path(tmp))
    report(runs, built, args.show)


if __name__ == "__main__":
    main()
