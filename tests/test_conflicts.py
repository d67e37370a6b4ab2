"""Sources that disagree: `find_conflicts` on hand-made quotes, and end to end with the real model."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa import Assistant, Quote
from qa.answer.conflicts import Conflict, find_conflicts, read_question
from qa.build import build_index


def quotes(*texts: str, score: float = 0.8) -> list[Quote]:
    """One quote per text, each from its own document unless written "doc: text"."""
    out = []
    for number, text in enumerate(texts):
        document, _, body = text.partition(": ") if ": " in text[:12] else (f"{'abcdefgh'[number]}.txt", "", text)
        out.append(Quote(body, document, 0, len(body), score, body))
    return out


# question, quotes (each from its own document), expected (kind, values) or None
CASES = [
    # numbers: counts and measures
    (
        "How many troops will remain in Iraq?",
        ["Some 2,500 troops will remain in Iraq.", "About 3,000 troops will stay in Iraq after the drawdown."],
        ("number", ("2,500", "3,000")),
    ),
    (
        "How many troops will remain in Iraq?",
        ["Some 2,500 troops will remain in Iraq.", "About 2.5 thousand troops will remain in Iraq."],
        None,
    ),
    (
        "How many troops will remain in Iraq?",
        ["About 2,500 troops will remain in Iraq.", "Exactly 2,480 troops will remain in Iraq."],
        None,
    ),
    (
        "How many troops will remain in Iraq?",
        ["Some 2,500 troops will remain in Iraq.", "The coalition withdrew 3,000 troops from Syria last year."],
        None,
    ),
    (
        "How long is the Vellmar Bridge?",
        ["The Vellmar Bridge is 1.8 km long.", "The Vellmar Bridge is 2.3 kilometres long."],
        ("number", ("1.8 km", "2.3 kilometres")),
    ),
    (
        "How long is the Granbury Tunnel?",
        ["The Granbury Tunnel is 3.2 km long.", "The tunnel is 3,200 metres long."],
        None,
    ),
    (
        "How tall is the Hale spire?",
        ["The Hale spire is 123 metres tall.", "The Hale spire, at 404 feet, is the tallest in the country."],
        None,
    ),
    (
        "How long is the Sarn Trail?",
        ["The Sarn Trail is 42 km long.", "The Sarn Trail climbs 900 metres from the river to the pass."],
        None,
    ),
    (
        "How many islands make up the Selvar archipelago?",
        ["The Selvar archipelago is made up of twelve islands.", "The Selvar archipelago consists of 15 islands."],
        ("number", ("twelve", "15")),
    ),
    (
        "How many visitors came to the Ostra festival?",
        ["More than 50,000 visitors came to the Ostra festival.", "The Ostra festival counted 62,000 visitors."],
        None,
    ),
    (
        "How many residents does Pellham have?",
        ["Pellham has 8,200 residents.", "Pellham had 5,000 residents in 1970, when the mine was open."],
        None,
    ),
    (
        "How many residents does Marlow have?",
        ["Marlow now has 3,400 residents.", "In 1990 Marlow had 900 residents; today Marlow has 3,400 residents."],
        None,
    ),
    (
        "How many passengers used Kettering airport?",
        [
            "Kettering airport handled 2.1 million passengers in 2022.",
            "Kettering airport handled 2.6 million passengers in 2023.",
        ],
        None,
    ),
    (
        "How many pupils attend Hollins School?",
        ["Hollins School has 312 pupils.", "Hollins School will grow to 420 pupils when the new building opens."],
        None,
    ),
    (
        "How many people live in Calder Bay?",
        ["Around 3,100 people live in Calder Bay.", "In summer the population of Calder Bay swells to 9,000."],
        None,
    ),
    # dates
    (
        "When did the Halvard Museum open?",
        ["The Halvard Museum opened in 1932.", "The Halvard Museum opened in 1936, after the city bought it."],
        ("date", ("1932", "1936")),
    ),
    (
        "When did the Rook Railway close?",
        ["The Rook Railway closed in 1965.", "The Rook Railway closed in September 1965."],
        None,
    ),
    (
        "When did the Caldera Station open?",
        ["The Caldera Station opened on 14 March 2009.", "The Caldera Station opened on March 14, 2009."],
        None,
    ),
    (
        "When was Lina Marsh born?",
        ["Lina Marsh was born on 3 May 1921.", "Lina Marsh (born 5 May 1921) painted boats."],
        ("date", ("3 May 1921", "5 May 1921")),
    ),
    (
        "When did the Halden Theatre open?",
        ["The Halden Theatre opened in 1902.", "The Halden Theatre burned in 1944 and reopened in 1951."],
        None,
    ),
    (
        "When was the Ambry Mill converted into flats?",
        ["The Ambry Mill was converted into flats in the 1980s.", "The Ambry Mill was converted into flats in 1984."],
        None,
    ),
    (
        "When did Kasimir Brod die?",
        ["The sculptor Kasimir Brod died in 1938.", "Kasimir Brod (1871–1941) carved the lions at the gate."],
        ("date", ("1938", "1941")),
    ),
    # money
    (
        "How much did the Marrow bridge cost?",
        ["The Marrow bridge cost $45 million.", "The Marrow bridge cost $52 million, well over budget."],
        ("money", ("$45 million", "$52 million")),
    ),
    (
        "How much did the Ardent Wind Farm cost?",
        ["The Ardent Wind Farm cost €1.2bn.", "The Ardent Wind Farm cost 1.2 billion euros."],
        None,
    ),
    (
        "How much does a pass for the Lindon tram cost?",
        ["A pass for the Lindon tram costs £54.", "A pass for the Lindon tram, which cost £45 in 2010, now costs £54."],
        None,
    ),
    (
        "How much did the Harker Gallery pay for the painting?",
        [
            "The Harker Gallery paid $1.8 million for the painting.",
            "The Harker Gallery bought the painting for $950,000.",
        ],
        ("money", ("$1.8 million", "$950,000")),
    ),
    (
        "How much did the Orchard Park renovation cost?",
        ["The Orchard Park renovation cost $1.5 million.", "The Orchard Park renovation cost €1.9 million."],
        None,  # other currencies: not compared
    ),
    # percentages
    (
        "What was the unemployment rate in Harwick?",
        ["Unemployment in Harwick fell to 4.5%.", "The unemployment rate in Harwick was 5.2 percent."],
        ("percent", ("4.5%", "5.2 percent")),
    ),
    (
        "What percentage of Dunmore students passed the exam?",
        ["92% of Dunmore students passed the exam.", "92 per cent of Dunmore students passed the exam."],
        None,
    ),
    (
        "What is the vacancy rate of Brelford's offices?",
        [
            "The vacancy rate of Brelford's offices is 14%.",
            "The vacancy rate of Brelford's offices rose from 9% to 14%.",
        ],
        None,
    ),
    # people
    (
        "Who founded Orbis Instruments?",
        ["Orbis Instruments was founded in 1987 by Maria Lopez.", "Jean Martin founded Orbis Instruments in 1987."],
        ("person", ("Maria Lopez", "Jean Martin")),
    ),
    (
        "Who leads the Brenford team?",
        ["The Brenford team is led by Dr. Amina Yusuf.", "Amina Yusuf, who leads the Brenford team, studies soil."],
        None,
    ),
    (
        "Who painted the Santa Lucia ceiling?",
        ["The Santa Lucia ceiling was painted by Giovanni Ferrante.", "Ferrante painted the Santa Lucia ceiling."],
        None,
    ),
    (
        "Who founded Greyline Studios?",
        ["Greyline Studios was founded by Marcus Webb.", "Sofia Lind has run Greyline Studios since 2019."],
        None,
    ),
    (
        "Who composed the opera The Glass Harbour?",
        ["The Glass Harbour was composed by Anton Weller.", "Composer Lise Hartung wrote The Glass Harbour."],
        ("person", ("Anton Weller", "Lise Hartung")),
    ),
    # places
    (
        "Where is Orvo Telecom headquartered?",
        ["Orvo Telecom is headquartered in Tampere.", "Orvo Telecom, headquartered in Oulu, sells equipment."],
        ("place", ("Tampere", "Oulu")),
    ),
    ("Where is the Fenwick factory?", ["The Fenwick factory is in Leeds.", "The Fenwick factory is in England."], None),
    (
        "Where was Henrik Sall born?",
        ["Henrik Sall was born in Bergen.", "Henrik Sall was born in Bergen, Norway, and studied in Leipzig."],
        None,
    ),
    (
        "Where is Belcrest Motors headquartered?",
        [
            "Belcrest Motors is headquartered in Coventry.",
            "Belcrest Motors builds vans in Swindon, far from its headquarters.",
        ],
        None,
    ),
    # questions that ask for no value
    ("Why did the Merrin canal close?", ["The Merrin canal closed in 1955.", "The Merrin canal closed in 1958."], None),
    (
        "What does the Ostrander Trust do?",
        ["The Ostrander Trust gave $2 million to schools.", "The Ostrander Trust gave $3 million to libraries."],
        None,
    ),
]


@pytest.mark.parametrize(
    ("question", "texts", "expected"), CASES, ids=[c[0] + " " + str(i) for i, c in enumerate(CASES)]
)
def test_find_conflicts(question: str, texts: list[str], expected: tuple[str, tuple[str, str]] | None) -> None:
    found = find_conflicts(question, quotes(*texts))
    if expected is None:
        assert found == [], [c.note() for c in found]
    else:
        assert [(c.kind, c.values) for c in found] == [expected]


def test_quotes_from_one_document_never_conflict() -> None:
    same = quotes("a.txt: The Halvard Museum opened in 1932.", "a.txt: The Halvard Museum opened in 1936.")
    assert find_conflicts("When did the Halvard Museum open?", same) == []


def test_weak_quotes_are_ignored() -> None:
    weak = quotes("The Halvard Museum opened in 1932.") + quotes(
        "x: y", "The Halvard Museum opened in 1936.", score=0.3
    )
    assert find_conflicts("When did the Halvard Museum open?", weak) == []


def test_the_best_document_is_the_reference_and_each_other_document_is_compared() -> None:
    three = quotes(
        "Some 2,500 troops will remain in Iraq.",
        "About 3,000 troops will remain in Iraq.",
        "Nearly 4,000 troops will remain in Iraq.",
    )
    found = find_conflicts("How many troops will remain in Iraq?", three)
    assert [c.values for c in found] == [("2,500", "3,000"), ("2,500", "4,000")]
    assert [c.quotes[1].document for c in found] == ["b.txt", "c.txt"]


def test_note_and_json() -> None:
    pair = quotes("Some 2,500 troops will remain in Iraq.", "About 3,000 troops will remain in Iraq.")
    (conflict,) = find_conflicts("How many troops will remain in Iraq?", pair)
    assert isinstance(conflict, Conflict)
    assert conflict.note() == "the documents disagree: 2,500 vs 3,000"
    assert conflict.to_dict() == {
        "kind": "number",
        "values": ["2,500", "3,000"],
        "note": "the documents disagree: 2,500 vs 3,000",
        "quotes": [
            {"text": pair[0].text, "document": "a.txt", "start": 0, "end": len(pair[0].text)},
            {"text": pair[1].text, "document": "b.txt", "start": 0, "end": len(pair[1].text)},
        ],
    }


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("How many troops will remain in Iraq?", ("number",)),
        ("How much did the bridge cost?", ("money",)),
        ("How much does the drone weigh?", ("number",)),
        ("What percentage of voters supported the tax?", ("percent",)),
        ("What was the unemployment rate in March?", ("percent",)),
        ("When did the museum open?", ("date",)),
        ("What year was the prize first awarded?", ("date",)),
        ("Who designed the opera house?", ("person",)),
        ("Where is the company headquartered?", ("place",)),
        ("In which city will the final be held?", ("place",)),
        ("What is the population of Estrel?", ("number",)),
        ("What is the annual budget of the council?", ("money",)),
        ("Why did the canal close?", None),
        ("What does the trust do?", None),
    ],
)
def test_what_a_question_asks_for(question: str, kinds: tuple[str, ...] | None) -> None:
    ask = read_question(question)
    assert (ask.kinds if ask else None) == kinds


def test_end_to_end_with_the_real_model(tmp_path: Path) -> None:
    """Index two conflicting documents and an agreeing pair; the real answer's quotes show the one conflict."""
    docs = tmp_path / "docs"
    files = {
        "towers/a.txt": "The Meridian Tower dominates the skyline of Port Ellis. The Meridian Tower is 312 metres "
        "tall. It was finished in 2009.",
        "towers/b.txt": "Visitors reach the observation deck by express lift. The Meridian Tower is 298 metres tall, "
        "the city guide says. Tickets are sold at the door.",
        "tunnels/a.txt": "The Granbury Tunnel carries the railway under the ridge. The Granbury Tunnel is 3.2 km long.",
        "tunnels/b.txt": "Work on the Granbury Tunnel took six years. The Granbury Tunnel is 3,200 metres long and "
        "lit by LEDs.",
    }
    for name, text in files.items():
        (docs / name).parent.mkdir(parents=True, exist_ok=True)
        (docs / name).write_text(text, encoding="utf-8")
    build_index(docs, tmp_path / "index")
    assistant = Assistant.open(tmp_path / "index")

    answer = assistant.ask("How tall is the Meridian Tower?", top_k=5)
    found = find_conflicts(answer.question, answer.quotes)
    assert [(c.kind, sorted(c.values)) for c in found] == [("number", ["298 metres", "312 metres"])]
    assert {q.document for q in found[0].quotes} == {"towers/a.txt", "towers/b.txt"}
    for quote in found[0].quotes:
        assert assistant.document_text(quote.document)[quote.start : quote.end] == quote.text

    answer = assistant.ask("How long is the Granbury Tunnel?", top_k=5)
    assert {q.document for q in answer.quotes} >= {"tunnels/a.txt", "tunnels/b.txt"}
    assert find_conflicts(answer.question, answer.quotes) == []
