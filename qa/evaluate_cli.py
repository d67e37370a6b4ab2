"""`qa eval`: print how the assistant does on the user's labelled questions (and calibrate its threshold)."""

from __future__ import annotations

import json
from collections.abc import Sequence

import click

from qa.answer.answer import quoted
from qa.evaluate import Labelled, calibrate, run, score

SHOW_FAILURES = 20


def report_evaluation(
    assistant,
    labels: Sequence[Labelled],
    as_json: bool,
    min_p1: float | None,
    calibrate: bool,  # type: ignore[no-untyped-def]
) -> bool:
    """Ask every question, print the figures; True when ``min_p1`` is given and not reached."""
    results = run(assistant, labels)
    report = score(labels, results)
    suggestion, table = calibrate_(labels, results) if calibrate else (None, [])
    failed = min_p1 is not None and report.p1 < min_p1
    if as_json:
        out = report.to_dict()
        if calibrate:
            out["calibration"] = {
                "suggested_threshold": suggestion,
                "current_threshold": assistant.min_confidence,
                "table": table,
            }
        out["passed"] = not failed
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return failed
    n = report.answerable
    click.echo(f"{report.questions} questions ({n} answerable) against {assistant.index.info.address}")
    click.echo(f"  P@1       {report.p1:.3f}   the first quote answers")
    click.echo(f"  MRR@10    {report.mrr:.3f}")
    click.echo(f"  Recall@5  {report.r5:.3f}   an answer among the first five quotes")
    click.echo(f"  answered  {report.answered:.3f}   share of all questions answered (not declined)")
    if report.abstention_recall is not None:
        click.echo(
            f"  declining: recall {report.abstention_recall:.3f} (unanswerable questions declined), "
            f"precision {report.abstention_precision:.3f} (declined questions that were unanswerable)"
        )
    else:
        click.echo('  declining: no question is marked "answerable": false, so it is not measured')
    click.echo(f"  latency   p50 {report.p50_ms:.1f} ms, p95 {report.p95_ms:.1f} ms")
    if report.failures:
        click.echo(
            f"\n{len(report.failures)} questions not answered right (first {min(SHOW_FAILURES, len(report.failures))}):"
        )
        for f in report.failures[:SHOW_FAILURES]:
            got = f"{quoted(f['quoted'])} ({f['document']})" if f["quoted"] else "declined"
            rank = f", right answer at rank {f['rank']}" if f.get("rank") else ""
            click.echo(f"  - {f['question']}\n      expected: {f['expected']}\n      quoted:   {got}{rank}")
    if calibrate:
        _print_calibration(suggestion, table, assistant.min_confidence)
    if min_p1 is not None:
        verdict = "below" if failed else "at or above"
        click.echo(f"\nP@1 {report.p1:.3f} is {verdict} the required {min_p1:.3f}")
    return failed


def calibrate_(labels, results):  # type: ignore[no-untyped-def]
    return calibrate(labels, results)


def _print_calibration(suggestion: float | None, table: list[dict], current: float) -> None:
    click.echo("\nAnswer threshold trade-off (answer when the best quote's confidence reaches it):")
    click.echo(f"  {'threshold':>9}  {'answerable answered':>19}  {'unanswerable declined':>21}  {'P@1':>5}")
    for row in table:
        declined = "-" if row["declined"] is None else f"{row['declined']:.3f}"
        mark = "  <- suggested" if suggestion is not None and abs(row["threshold"] - suggestion) < 1e-9 else ""
        mark += "  (current)" if abs(row["threshold"] - current) < 1e-9 else ""
        click.echo(f"  {row['threshold']:>9.3f}  {row['answered']:>19.3f}  {declined:>21}  {row['P@1']:>5.3f}{mark}")
    if suggestion is None:
        click.echo('Add questions marked "answerable": false to get a suggestion.')
    else:
        click.echo(
            f"Suggested threshold {suggestion:.3f} (current {current:.3f}). To use it: "
            f"qa index DOCS --index INDEX --min-confidence {suggestion:.3f}"
        )
