"""POST /ask, GET /health and GET /openapi.json through the Flask test client, over a real index."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from qa import Answer, Assistant
from qa.build import build_index
from tests.web_fixtures import (
    CONFLICT_DOCUMENTS,
    CONFLICT_QUESTION,
    HOSTILE_DOCUMENT,
    SEED_DOCUMENT,
    document_parts,
)
from web import create_app
from web.validation import MAX_BODY_BYTES, MAX_HISTORY_TURNS, MAX_QUESTION_CHARS, MAX_TOP_K

QUESTION = "How many troops will remain in Iraq?"
ANSWER_START = "Some 2,500 troops will remain"
DEFENSE_QUESTION = "What defense system shot down the drones on Monday?"
# The first version's fields, and those added beside them (explained quotes, confidence, conflicts).
ANSWER_KEYS = {"question", "answered", "answer", "quotes", "took_ms"} | {"confidence", "threshold", "conflicts"}
ANSWER_KEYS |= {"searched", "corrections"}  # added in session 18: typing slips
ANSWER_KEYS |= {"parts"}  # added in session 19: several questions in one message
ANSWER_KEYS |= {"changed_since_indexed"}  # added in session 20: quoted files edited since the build
ANSWER_KEYS |= {"declined_because"}  # added in session 22: declined on the topic, and why
QUOTE_KEYS = {"text", "document", "start", "end", "score", "context"} | {"matched", "evidence"}
MATCH_KEYS = {"word", "start", "end", "similarity"}
EVIDENCE_KEYS = {"cosine", "bm25", "passage", "word_match", "confidence", "lead"}
HEALTH_KEYS = {"status", "model", "documents", "sentences", "built_at"} | {"engine", "min_confidence"}


def ask(client: FlaskClient, body: Any, **kwargs: Any):
    return client.post("/ask", data=json.dumps(body), content_type="application/json", **kwargs)


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert "Traceback" not in body["error"]["message"]
    return body["error"]


def assert_answer_shape(body: dict) -> None:
    assert set(body) == ANSWER_KEYS
    assert isinstance(body["question"], str)
    assert isinstance(body["answered"], bool)
    assert isinstance(body["answer"], str) and body["answer"]
    assert isinstance(body["took_ms"], float | int) and body["took_ms"] >= 0
    assert isinstance(body["confidence"], float | int) and isinstance(body["threshold"], float | int)
    assert isinstance(body["conflicts"], list)
    for quote in body["quotes"]:
        assert set(quote) == QUOTE_KEYS
        assert isinstance(quote["start"], int) and isinstance(quote["end"], int)
        assert 0 <= quote["start"] < quote["end"]
        assert quote["text"] in quote["context"]
        for match in quote["matched"]:
            assert set(match) == MATCH_KEYS
            assert 0 <= match["start"] < match["end"] <= len(quote["text"])  # inside the quote's text
        assert set(quote["evidence"]) == EVIDENCE_KEYS
    if body["answered"]:
        assert body["confidence"] >= body["threshold"] > 0
    else:
        assert body["quotes"] == [] and body["conflicts"] == []
        assert body["confidence"] < body["threshold"] or body["confidence"] == 0


# -- success -------------------------------------------------------------------------


def test_ask_answers_with_a_verbatim_quote(web_client: FlaskClient) -> None:
    response = ask(web_client, {"question": QUESTION})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert_answer_shape(body)
    assert body["answered"] is True
    assert body["question"] == QUESTION
    assert body["answer"].startswith(ANSWER_START)
    assert body["quotes"][0]["text"] == body["answer"]
    assert body["quotes"][0]["document"] == SEED_DOCUMENT
    assert 1 <= len(body["quotes"]) <= 3


def test_ask_response_is_exactly_answer_to_dict(web_client: FlaskClient, web_assistant) -> None:
    body = ask(web_client, {"question": QUESTION, "top_k": 2}).get_json()
    expected = web_assistant.ask(QUESTION, top_k=2).to_dict()
    body.pop("took_ms"), expected.pop("took_ms")
    assert body == expected


def test_a_message_asking_two_questions_answers_each_in_parts(web_client: FlaskClient) -> None:
    absent = "What is the boiling point of tungsten in kelvin?"
    body = ask(web_client, {"question": f"{QUESTION} {absent}", "top_k": 2}).get_json()
    assert_answer_shape(body)
    assert [part["question"] for part in body["parts"]] == [QUESTION, absent]
    for part in body["parts"]:
        assert_answer_shape(part)
    assert [part["answered"] for part in body["parts"]] == [True, False]
    assert body["answered"] is True and body["answer"].startswith(ANSWER_START)
    assert body["quotes"] == body["parts"][0]["quotes"]


def test_quotes_mark_the_question_words_they_hold(web_client: FlaskClient) -> None:
    body = ask(web_client, {"question": QUESTION}).get_json()
    first = body["quotes"][0]
    found = {first["text"][m["start"] : m["end"]].lower() for m in first["matched"]}
    assert {"troops", "remain"} <= found
    for match in first["matched"]:
        assert 0 < match["similarity"] <= 1
        assert match["word"].lower()[:4] == first["text"][match["start"] : match["end"]].lower()[:4]


def test_evidence_explains_the_order_and_the_threshold(web_client: FlaskClient) -> None:
    body = ask(web_client, {"question": QUESTION, "top_k": 3}).get_json()
    health = web_client.get("/health").get_json()
    assert body["threshold"] == health["min_confidence"]
    for quote in body["quotes"]:
        evidence = quote["evidence"]
        assert abs(evidence["word_match"] + evidence["lead"] - quote["score"]) < 2e-4  # the order of the quotes
        assert evidence["confidence"] == max(evidence["word_match"], evidence["cosine"])
        assert -1 <= evidence["cosine"] <= 1 and evidence["bm25"] >= 0
    assert body["quotes"][0]["evidence"]["bm25"] > 0  # it shares "troops" and "remain"
    assert [q["score"] for q in body["quotes"]] == sorted((q["score"] for q in body["quotes"]), reverse=True)
    assert body["confidence"] >= body["quotes"][0]["evidence"]["confidence"]
    assert body["conflicts"] == []  # one document: nothing to disagree with


def test_a_declined_question_says_how_close_it_came(web_client: FlaskClient) -> None:
    body = ask(web_client, {"question": "What is the boiling point of tungsten in kelvin?"}).get_json()
    assert body["answered"] is False
    assert 0 <= body["confidence"] < body["threshold"] == web_client.get("/health").get_json()["min_confidence"]


def test_sources_that_disagree_are_reported(conflict_client: FlaskClient) -> None:
    body = ask(conflict_client, {"question": CONFLICT_QUESTION}).get_json()
    assert_answer_shape(body)
    [conflict] = body["conflicts"]
    assert set(conflict) == {"kind", "values", "note", "quotes"}
    assert conflict["kind"] == "number"
    assert sorted(conflict["values"]) == ["503 metres", "512 metres"]
    assert conflict["note"] == f"the documents disagree: {conflict['values'][0]} vs {conflict['values'][1]}"
    assert {q["document"] for q in conflict["quotes"]} == set(CONFLICT_DOCUMENTS)
    for quote, value in zip(conflict["quotes"], conflict["values"]):
        assert set(quote) == {"text", "document", "start", "end"}
        assert value in quote["text"]
        assert CONFLICT_DOCUMENTS[quote["document"]][quote["start"] : quote["end"]] == quote["text"]


# Twenty-two sentences that answer BERTHS_QUESTION equally well: more than any top_k asks for.
BERTHS = ["Alder", "Birch", "Cedar", "Elm", "Fir", "Hazel", "Juniper", "Larch", "Maple", "Oak", "Pine"]
BERTHS += ["Rowan", "Spruce", "Willow", "Yew", "Ash", "Beech", "Holly", "Lime", "Poplar", "Aspen", "Cherry"]
BERTHS_QUESTION = "Which berths are reserved for fishing boats?"


@pytest.fixture(scope="module")
def berths_client(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    docs, index = tmp_path_factory.mktemp("berths-docs"), tmp_path_factory.mktemp("berths-index")
    lines = [f"Berth {n}, the {name} berth, is reserved for fishing boats." for n, name in enumerate(BERTHS, 1)]
    # One paragraph: extra quotes from the first one's paragraph are shown when they match well.
    (docs / "berths.txt").write_text("Harbour berths\n\n" + " ".join(lines) + "\n", encoding="utf-8")
    build_index(docs, index)
    return create_app({"ASSISTANT": Assistant.open(index), "INDEX_DIR": str(index), "API_TOKEN": None}).test_client()


@pytest.mark.parametrize("top_k", [1, 2, 5, 10, MAX_TOP_K])
def test_top_k_is_the_number_of_quotes(berths_client: FlaskClient, top_k: int) -> None:
    body = ask(berths_client, {"question": BERTHS_QUESTION, "top_k": top_k}).get_json()
    assert body["answered"] is True
    assert len(body["quotes"]) == top_k
    assert len({quote["text"] for quote in body["quotes"]}) == top_k  # no quote twice
    scores = [quote["score"] for quote in body["quotes"]]
    assert scores == sorted(scores, reverse=True)
    if top_k < MAX_TOP_K:  # a larger top_k adds quotes after the same best ones
        more = ask(berths_client, {"question": BERTHS_QUESTION, "top_k": top_k + 1}).get_json()["quotes"]
        assert more[:top_k] == body["quotes"]


def test_top_k_defaults_to_3(berths_client: FlaskClient) -> None:
    assert len(ask(berths_client, {"question": BERTHS_QUESTION}).get_json()["quotes"]) == 3


@pytest.mark.parametrize("top_k", [1, 2, MAX_TOP_K])
def test_top_k_bounds_the_quotes_of_a_real_answer(web_client: FlaskClient, top_k: int) -> None:
    body = ask(web_client, {"question": QUESTION, "top_k": top_k}).get_json()
    assert body["answer"].startswith(ANSWER_START)
    assert 1 <= len(body["quotes"]) <= top_k


def test_question_at_the_length_limit_after_trimming(web_client: FlaskClient) -> None:
    question = "  \n" + ("troops " * 400)[:MAX_QUESTION_CHARS].strip().ljust(MAX_QUESTION_CHARS, "x") + "\t "
    assert len(question.strip()) == MAX_QUESTION_CHARS
    assert ask(web_client, {"question": question}).status_code == 200


def test_history_is_accepted_at_its_limit(web_client: FlaskClient) -> None:
    history = [{"question": QUESTION, "answer": "Some 2,500 troops."}] * MAX_HISTORY_TURNS
    assert ask(web_client, {"question": "Which force did he lead?", "history": history}).status_code == 200


def test_unanswerable_question_abstains(web_client: FlaskClient) -> None:
    body = ask(web_client, {"question": "What is the boiling point of tungsten in kelvin?"}).get_json()
    assert_answer_shape(body)
    assert body["answered"] is False


def test_quote_offsets_index_the_document_page(web_client: FlaskClient) -> None:
    """text[start:end] of the document served at /documents/<path> is the quote, for every quote."""
    questions = [QUESTION, "Which general was killed near Baghdad airport in 2020?", DEFENSE_QUESTION]
    checked = 0
    for question in questions:
        for quote in ask(web_client, {"question": question, "top_k": 5}).get_json()["quotes"]:
            url = f"/documents/{quote['document']}?start={quote['start']}&end={quote['end']}"
            before, marked, after = document_parts(web_client.get(url))
            text = before + marked + after
            assert marked == quote["text"]
            assert text[quote["start"] : quote["end"]] == quote["text"]
            assert quote["context"] in text
            checked += 1
    assert checked >= 5


# -- errors --------------------------------------------------------------------------

BAD_BODIES = [
    pytest.param({}, "'question' is required", id="missing-question"),
    pytest.param({"question": ""}, "empty", id="empty-question"),
    pytest.param({"question": " \n\t\u3000 "}, "empty", id="blank-question"),
    pytest.param({"question": None}, "string", id="null-question"),
    pytest.param({"question": 42}, "string", id="number-question"),
    pytest.param({"question": ["How many?"]}, "string", id="list-question"),
    pytest.param({"question": {"text": "How many?"}}, "string", id="object-question"),
    pytest.param({"question": "x" * (MAX_QUESTION_CHARS + 1)}, "longer", id="long-question"),
    pytest.param({"question": "x" * 10_000}, "longer", id="10kb-question"),
    pytest.param({"question": QUESTION, "top_k": 0}, "between", id="top_k-0"),
    pytest.param({"question": QUESTION, "top_k": -1}, "between", id="top_k-negative"),
    pytest.param({"question": QUESTION, "top_k": MAX_TOP_K + 1}, "between", id="top_k-21"),
    pytest.param({"question": QUESTION, "top_k": 10**30}, "between", id="top_k-huge"),
    pytest.param({"question": QUESTION, "top_k": True}, "integer", id="top_k-bool"),
    pytest.param({"question": QUESTION, "top_k": 3.0}, "integer", id="top_k-float"),
    pytest.param({"question": QUESTION, "top_k": 2.5}, "integer", id="top_k-fraction"),
    pytest.param({"question": QUESTION, "top_k": "3"}, "integer", id="top_k-string"),
    pytest.param({"question": QUESTION, "top_k": None}, "integer", id="top_k-null"),
    pytest.param({"question": QUESTION, "history": "earlier"}, "list", id="history-string"),
    pytest.param({"question": QUESTION, "history": {"question": "a", "answer": "b"}}, "list", id="history-object"),
    pytest.param({"question": QUESTION, "history": ["a"]}, "object", id="history-item-string"),
    pytest.param({"question": QUESTION, "history": [{"question": "a"}]}, "'answer'", id="history-missing-answer"),
    pytest.param({"question": QUESTION, "history": [{"answer": "a"}]}, "'question'", id="history-missing-question"),
    pytest.param({"question": QUESTION, "history": [{"question": "a", "answer": 1}]}, "string", id="history-number"),
    pytest.param(
        {"question": QUESTION, "history": [{"question": "a", "answer": "b", "quotes": []}]},
        "unknown",
        id="history-extra-field",
    ),
    pytest.param(
        {"question": QUESTION, "history": [{"question": "a", "answer": "b"}] * (MAX_HISTORY_TURNS + 1)},
        "more than",
        id="history-too-long",
    ),
    pytest.param({"question": QUESTION, "topk": 3}, "unknown field 'topk'", id="unknown-field"),
    pytest.param([QUESTION], "object", id="list-body"),
    pytest.param(QUESTION, "object", id="string-body"),
    pytest.param(None, "object", id="null-body"),
    pytest.param(3, "object", id="number-body"),
]


@pytest.mark.parametrize(("body", "message"), BAD_BODIES)
def test_bad_bodies_are_400(web_client: FlaskClient, body: Any, message: str) -> None:
    error = assert_error(ask(web_client, body), 400, "bad_request")
    assert message in error["message"]


RAW_BODIES = [
    pytest.param(b"", id="empty"),
    pytest.param(b"{", id="truncated"),
    pytest.param(b"{'question': 'single quotes'}", id="not-json"),
    pytest.param(b'{"question": "How many?"} trailing', id="trailing-garbage"),
    pytest.param(b'{"question": "caf\xe9"}', id="latin-1-bytes"),
    pytest.param(b"\xff\xfe\x00\x00garbage", id="binary"),
    pytest.param(b"[" * 30_000 + b"]" * 30_000, id="deeply-nested"),
    pytest.param(b'{"question": "a", "top_k": ' + b"9" * 5000 + b"}", id="5000-digit-number"),
]


@pytest.mark.parametrize("data", RAW_BODIES)
def test_malformed_json_is_400(web_client: FlaskClient, data: bytes) -> None:
    response = web_client.post("/ask", data=data, content_type="application/json")
    assert assert_error(response, 400, "bad_request")["message"] == "the body is not valid JSON"


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx"],
)
def test_non_json_content_type_is_415(web_client: FlaskClient, content_type: str | None) -> None:
    kwargs = {"content_type": content_type} if content_type else {}
    response = web_client.post("/ask", data=json.dumps({"question": QUESTION}), **kwargs)
    assert_error(response, 415, "unsupported_media_type")


def test_json_with_charset_is_accepted(web_client: FlaskClient) -> None:
    response = web_client.post(
        "/ask", data=json.dumps({"question": QUESTION}), content_type="application/json; charset=utf-8"
    )
    assert response.status_code == 200


@pytest.mark.parametrize("extra", [1, 10_000])
def test_body_over_64_kib_is_413(web_client: FlaskClient, extra: int) -> None:
    data = b'{"question": "' + b"x" * (MAX_BODY_BYTES - 16 + extra) + b'"}'
    assert len(data) > MAX_BODY_BYTES
    response = web_client.post("/ask", data=data, content_type="application/json")
    assert_error(response, 413, "too_large")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/ask"),
        ("PUT", "/ask"),
        ("DELETE", "/ask"),
        ("PATCH", "/ask"),
        ("POST", "/health"),
        ("POST", "/openapi.json"),
        ("POST", "/"),
    ],
)
def test_wrong_method_is_json_405(web_client: FlaskClient, method: str, path: str) -> None:
    response = web_client.open(path, method=method)
    if path == "/":  # the chat page's errors are HTML
        assert response.status_code == 405
        return
    assert_error(response, 405, "method_not_allowed")
    assert "Allow" in response.headers


@pytest.mark.parametrize("path", ["/nope", "/ask/", "/ask/extra", "/health/x", "/api/ask", "/openapi.yaml"])
def test_unknown_api_paths_are_json_404(web_client: FlaskClient, path: str) -> None:
    assert_error(web_client.get(path), 404, "not_found")
    assert_error(web_client.post(path, json={"question": QUESTION}), 404, "not_found")


# -- hostile questions ----------------------------------------------------------------

HOSTILE_QUESTIONS = [
    pytest.param("x" * 10_000, id="10kb"),
    pytest.param(("How many troops will remain in Iraq? " * 300)[:10_000], id="10kb-sentences"),
    pytest.param("\x00\x01\x02 How many troops \x1b[31mwill remain\x1b[0m in Iraq?\x7f", id="control-chars"),
    pytest.param("\x00\x07\x08\x1b", id="only-control-chars"),
    pytest.param("\u200b\u200d\ufeff\u2060", id="only-invisible-chars"),
    pytest.param("\u202eqarI ni niamer spoort ynam woH", id="rtl-override"),
    pytest.param("🤔 How many troops 🪖🪖 will remain in Iraq? 🇮🇶", id="emoji"),
    pytest.param("Сколько troops 士兵 remain في العراق? Ελλάδα ภาษาไทย", id="mixed-scripts"),
    pytest.param("Z̸̢̛a̷͈͝l̶̨̛g̵̱̈́o̸͚͝ troops", id="combining-marks"),
    pytest.param("'; DROP TABLE documents; -- How many troops?", id="sql"),
    pytest.param('" OR 1=1 /* UNION SELECT * FROM users */', id="sql-union"),
    pytest.param("<script>alert(1)</script> troops?", id="html-script"),
    pytest.param('<img src=x onerror="alert(1)"> </textarea><!--', id="html-img"),
    pytest.param("{{ 7*7 }} {% debug %} ${7*7} #{7*7}", id="template-injection"),
    pytest.param("../../../../etc/passwd %00 %2e%2e%2f", id="path-traversal"),
    pytest.param("\ud800 lone surrogate \udfff troops", id="lone-surrogates"),
    pytest.param("a", id="one-char"),
    pytest.param("?", id="punctuation"),
    pytest.param("\n".join(["troops"] * 500), id="many-lines"),
]


# What each hostile question must get. "long": 400, over the length limit. "troops": the
# answer about the troops, whatever the noise around the question. "markup": a quote of
# the document full of markup, its markup as text. "declined": not found, no quotes.
# "either": ranking decides; any quote is still verbatim.
HOSTILE_EXPECTED = {
    "10kb": "long",
    "10kb-sentences": "long",
    "many-lines": "long",
    "control-chars": "troops",
    "emoji": "troops",
    "html-script": "markup",
    "html-img": "markup",
    "only-control-chars": "declined",
    "only-invisible-chars": "declined",
    "rtl-override": "declined",
    "sql-union": "declined",
    "template-injection": "declined",
    "path-traversal": "declined",
    "punctuation": "declined",
    "mixed-scripts": "either",
    "combining-marks": "either",
    "sql": "either",
    "lone-surrogates": "either",
    "one-char": "either",
}


def test_every_hostile_question_has_an_expectation() -> None:
    assert {param.id for param in HOSTILE_QUESTIONS} == set(HOSTILE_EXPECTED)


@pytest.mark.parametrize("question", HOSTILE_QUESTIONS)
def test_hostile_questions_get_a_quote_a_decline_or_a_clear_400(
    web_client: FlaskClient, web_assistant, request: pytest.FixtureRequest, question: str
) -> None:
    expected = HOSTILE_EXPECTED[request.node.callspec.id]
    # ensure_ascii keeps lone surrogates as \\ud800 escapes, the way a hostile client sends them.
    data = json.dumps({"question": question, "history": [{"question": question, "answer": question}]})
    response = web_client.post("/ask", data=data, content_type="application/json")
    if expected == "long":
        error = assert_error(response, 400, "bad_request")
        assert error["message"] == f"'question' is longer than {MAX_QUESTION_CHARS} characters"
        return
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert_answer_shape(body)
    body["question"].encode("utf-8")  # no lone surrogate comes back
    if expected == "declined":
        assert body["answered"] is False and body["quotes"] == []
        assert body["answer"] == Answer(question="", answered=False).answer  # the not-found sentence
    elif expected == "troops":
        assert body["answered"] is True and body["answer"].startswith(ANSWER_START)
        assert body["quotes"][0]["document"] == SEED_DOCUMENT
    elif expected == "markup":
        assert body["answered"] is True and body["quotes"][0]["document"] == HOSTILE_DOCUMENT
        assert "<script>alert(1)</script>" in body["answer"] or "<img src=x onerror=alert(1)>" in body["answer"]
    for quote in body["quotes"]:  # word for word from the document, wherever it came from
        assert web_assistant.document_text(quote["document"])[quote["start"] : quote["end"]] == quote["text"]
    assert "49" not in body["answer"]  # no template was evaluated


def test_questions_of_only_invisible_characters_are_not_found(web_client: FlaskClient) -> None:
    body = ask(web_client, {"question": "\x00\u200b\x1b"}).get_json()
    assert body["answered"] is False


# -- health and the OpenAPI document ---------------------------------------------------


def test_health_reports_the_index(web_client: FlaskClient) -> None:
    response = web_client.get("/health")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == HEALTH_KEYS
    assert body["status"] == "ok"
    assert body["engine"] == "folder"
    assert 0 < body["min_confidence"] < 1
    assert body["documents"] == 2
    assert body["sentences"] > 10
    assert body["model"]
    assert body["built_at"]


def test_openapi_describes_ask_and_health(web_client: FlaskClient) -> None:
    response = web_client.get("/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.0")
    assert set(spec["paths"]) == {"/ask", "/health"}
    ask_op = spec["paths"]["/ask"]["post"]
    assert set(ask_op["responses"]) == {"200", "400", "401", "413", "415", "503"}
    assert set(spec["paths"]["/health"]["get"]["responses"]) == {"200", "503"}
    schemas = spec["components"]["schemas"]
    # Every field of an answer and of /health is described, the evidence signal by signal.
    assert set(schemas["Answer"]["properties"]) == ANSWER_KEYS
    assert set(schemas["Quote"]["properties"]) == QUOTE_KEYS
    assert set(schemas["Match"]["properties"]) == MATCH_KEYS
    assert set(schemas["Evidence"]["properties"]) == EVIDENCE_KEYS
    assert all(field.get("description") for field in schemas["Evidence"]["properties"].values())
    assert set(schemas["Health"]["properties"]) == HEALTH_KEYS
    assert schemas["Unavailable"]["properties"]["status"]["enum"] == ["no index", "degraded"]
    request = spec["components"]["schemas"]["AskRequest"]["properties"]
    assert request["top_k"]["maximum"] == MAX_TOP_K
    assert spec["components"]["schemas"]["AskRequest"]["additionalProperties"] is False
    assert "security" not in ask_op


def test_openapi_schema_matches_a_real_answer(web_client: FlaskClient, conflict_client: FlaskClient, tmp_path) -> None:
    jsonschema_rs = pytest.importorskip("jsonschema_rs")  # comes with schemathesis
    spec = web_client.get("/openapi.json").get_json()
    schemas = spec["components"]["schemas"]

    def validate(instance: Any, name: str) -> None:
        # The schema's $refs point into the document's components: keep them beside it.
        jsonschema_rs.Draft4Validator({**schemas[name], "components": spec["components"]}).validate(instance)

    validate(ask(web_client, {"question": QUESTION}).get_json(), "Answer")
    validate(ask(web_client, {"question": "What is the boiling point of tungsten in kelvin?"}).get_json(), "Answer")
    validate(ask(web_client, {"question": "\u200b"}).get_json(), "Answer")
    validate(ask(conflict_client, {"question": CONFLICT_QUESTION}).get_json(), "Answer")
    validate(web_client.get("/health").get_json(), "Health")
    degraded = create_app({"INDEX_DIR": str(tmp_path / "nothing")}).test_client().get("/health")
    validate(degraded.get_json(), "Unavailable")
    validate(ask(web_client, {}).get_json(), "Error")
    validate({"question": QUESTION, "top_k": 3, "history": [{"question": "a", "answer": "b"}]}, "AskRequest")
    with pytest.raises(jsonschema_rs.ValidationError):
        validate({"question": "   "}, "AskRequest")
    with pytest.raises(jsonschema_rs.ValidationError):
        validate({"question": "x" * (MAX_QUESTION_CHARS + 1)}, "AskRequest")
    validate({"question": "  " + "x" * MAX_QUESTION_CHARS + "\n"}, "AskRequest")
