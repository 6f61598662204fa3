"""Suggested mappings for unmapped values (issue 19, docs/mapping-copilot.md): what they say and
why, that they are deterministic and offline by default, that an optional language model behind
an OpenAI-compatible endpoint sees only mapping configuration and is checked before anything it
says is shown, that a person's approval is what writes a row (one appended line), and the
evaluation's floor.

Fast: a real DuckDB warehouse holding a few canonical rows the way the pipeline writes them
(with their mapping_issue), no Dagster run; the day taken from held to posted is in
test_mapping_approval.py."""

from __future__ import annotations

import json
import re
import shutil
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

from hl_d365_assets.cli import main
from hl_d365_assets.mapping_copilot import queue
from hl_d365_assets.mapping_copilot.evaluation import evaluate
from hl_d365_assets.mapping_copilot.kinds import read_rows
from hl_d365_assets.mapping_copilot.language_model import LanguageModelAdvisor
from hl_d365_assets.ref_tables import load_mappings
from hl_d365_assets.settings import PROJECT_ROOT, load_settings
from hl_d365_assets.warehouse import ensure_schema

DAY = date(2026, 11, 10)
AMOUNTS = ("12.34", "56.78", "1234", "5678")
TOP1_FLOOR = 0.55
TOP3_FLOOR = 0.65


@pytest.fixture
def mappings(tmp_path: Path) -> Path:
    folder = tmp_path / "mappings"
    shutil.copytree(PROJECT_ROOT / "mappings", folder, ignore=shutil.ignore_patterns("*.py"))
    return folder


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Two Retail tenders of a new payment type "Visa Debit" that name VISA gateway transactions,
    a gateway transaction of a new brand MAESTRO tendered with Mastercard, and a sale line with
    tax code NY-XTRA: what the canonical layer holds after a day with three unmapped values."""
    conn = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    ensure_schema(conn)
    issue = 'unmapped_payment_type: Retail payment type "Visa Debit" is not in mappings/retail_payment_types.csv'
    conn.execute(
        """
        INSERT INTO canonical.payments BY NAME
        SELECT $day AS business_date, id AS transaction_id, 'MER_1' AS merchant_id,
               'SALE' AS transaction_type, 'CAPTURED' AS gateway_status, 'USD' AS currency,
               brand AS card_brand, amount, issue AS mapping_issue,
               TIMESTAMPTZ '2026-11-10 15:00:00+00' AS time_created,
               TIMESTAMPTZ '2026-11-10 15:00:01+00' AS last_received_at, false AS is_late,
               1 AS event_count, 'EVT_' || id AS source_event_id,
               'landing/segment.ndjson' AS source_segment_path, 1 AS source_line_number
        FROM (VALUES ('TRN_1', 'VISA', 12.34, NULL), ('TRN_2', 'VISA', 56.78, NULL),
                     ('TRN_3', 'MAESTRO', 12.34,
                      'unmapped_payment_method: card brand "MAESTRO" is not in mappings/payment_methods.csv'))
             AS t(id, brand, amount, issue)
        """,
        {"day": DAY},
    )
    conn.execute(
        """
        INSERT INTO canonical.pos_tenders BY NAME
        SELECT $day AS business_date, ticket AS ticket_id, ticket || '-P1' AS tender_id,
               'S001' AS store_id, 'SALE' AS ticket_type, 'USD' AS currency,
               CAST(amount AS DECIMAL(18, 2)) AS amount, trn AS gateway_transaction_id,
               method AS payment_method_code, issue AS mapping_issue
        FROM (VALUES ('1', 'TRN_1', 12.34, NULL, $issue), ('2', 'TRN_2', 56.78, NULL, $issue),
                     ('3', 'TRN_3', 12.34, 'MC', NULL)) AS t(ticket, trn, amount, method, issue)
        """,
        {"day": DAY, "issue": issue},
    )
    conn.execute(
        """
        INSERT INTO canonical.pos_sale_lines BY NAME
        SELECT $day AS business_date, '4' AS ticket_id, 1 AS line_number, 'S001' AS store_id,
               'SALE' AS ticket_type, 'ItemLine' AS line_type, 'USD' AS currency, 1 AS quantity,
               'NY-XTRA' AS tax_code,
               'unmapped_tax_code: "NY-XTRA" is not in mappings/tax_codes.csv' AS mapping_issue
        """,
        {"day": DAY},
    )
    yield conn
    conn.close()


def suggestions_by_value(conn: duckdb.DuckDBPyConnection) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for s in queue.list_suggestions(conn, "open"):
        found.setdefault(s["unmapped_value"], []).append(s)
    return found


def test_each_unmapped_value_gets_up_to_three_suggestions_with_confidence_and_reason(
    warehouse, mappings
) -> None:
    report = queue.refresh(warehouse, mappings)
    found = suggestions_by_value(warehouse)

    assert report.values == 3 and set(found) == {"Visa Debit", "MAESTRO", "NY-XTRA"}
    for suggestions in found.values():
        assert 1 <= len(suggestions) <= 3
        assert [s["suggestion_rank"] for s in suggestions] == list(range(1, len(suggestions) + 1))
        assert all(0 <= s["confidence"] <= 1 and s["reason"] for s in suggestions)
        assert all(s["source"] == "offline" for s in suggestions)
        assert all(s["held_business_dates"] == [DAY] for s in suggestions)
    [visa, *_] = found["Visa Debit"]
    assert visa["target"] == "CARD / VISA"
    assert (
        "2 of 2 tenders paid with it name a gateway transaction of card brand VISA"
        in visa["reason"]
    )
    assert json.loads(visa["proposed_row"])["payment_type_name"] == "Visa Debit"
    [maestro, *_] = found["MAESTRO"]
    assert maestro["target"] == "MC" and "maps to MC" in maestro["reason"]
    assert found["NY-XTRA"][0]["target"] == "NY_SALES at 8.875 %"


def test_suggestions_are_deterministic_and_a_refresh_keeps_their_ids(warehouse, mappings) -> None:
    queue.refresh(warehouse, mappings)
    first = [(s["suggestion_id"], s["confidence"]) for s in queue.list_suggestions(warehouse)]
    queue.refresh(warehouse, mappings)
    assert [
        (s["suggestion_id"], s["confidence"]) for s in queue.list_suggestions(warehouse)
    ] == first


def test_a_suggestion_maps_nothing_until_a_person_approves_it(warehouse, mappings) -> None:
    before = {p.name: p.read_bytes() for p in mappings.glob("*.csv")}
    queue.refresh(warehouse, mappings)
    wrong = suggestions_by_value(warehouse)["Visa Debit"][-1]
    queue.reject(warehouse, wrong["suggestion_id"], "alice", "not a store credit")

    assert {p.name: p.read_bytes() for p in mappings.glob("*.csv")} == before
    load_mappings(warehouse, mappings)  # what every build step reads its mappings from
    assert warehouse.execute(
        "SELECT count(*) FROM ref.retail_payment_types WHERE payment_type_name = 'VISA_DEBIT'"
    ).fetchone() == (0,)
    [rejected] = queue.list_suggestions(warehouse, "rejected")
    assert (rejected["decided_by"], rejected["decision_note"]) == ("alice", "not a store credit")


def test_approving_appends_one_line_dated_from_the_first_held_day(warehouse, mappings) -> None:
    queue.refresh(warehouse, mappings)
    best, *others = suggestions_by_value(warehouse)["Visa Debit"]
    before = (mappings / "retail_payment_types.csv").read_text()

    approval = queue.approve(warehouse, mappings, best["suggestion_id"], "alice")

    after = (mappings / "retail_payment_types.csv").read_text()
    assert after == before + approval.line + "\n"
    assert approval.line.startswith("Visa Debit,CARD,VISA,Visa Debit (mapping suggestion MS_")
    assert approval.line.endswith(",2026-11-10") and approval.held_business_dates == [DAY]
    statuses = {s["suggestion_id"]: s["status"] for s in queue.list_suggestions(warehouse, None)}
    assert statuses[best["suggestion_id"]] == "approved"
    assert {statuses[s["suggestion_id"]] for s in others} == {"rejected"}
    with pytest.raises(queue.DecisionRefused, match="is approved"):
        queue.approve(warehouse, mappings, best["suggestion_id"], "bob")
    load_mappings(warehouse, mappings)
    assert warehouse.execute(
        "SELECT tender_type, card_brand FROM ref.retail_payment_types "
        "WHERE payment_type_name = 'VISA_DEBIT'"
    ).fetchall() == [("CARD", "VISA")]
    # Refreshing now names the value as waiting for its days to be rebuilt, not unmapped.
    report = queue.refresh(warehouse, mappings)
    assert report.awaiting_replay == ["retail_payment_type Visa Debit"]


class ChatCompletions(BaseHTTPRequestHandler):
    """A loopback server speaking the chat-completions shape: it records each request body and
    answers with the server's scripted content."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests.append((self.path, self.headers.get("Authorization"), body))
        content = self.server.answer(json.loads(body))
        reply = json.dumps(
            {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": 0,
                "model": "finance-helper",
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": content},
                    }
                ],
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def model_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), ChatCompletions)
    server.requests = []

    def answer(request: dict) -> str:
        question = json.loads(request["messages"][1]["content"])
        last = len(question["candidates"])
        return json.dumps(
            {
                "suggestions": [
                    {"candidate": 99, "confidence": 0.99, "reason": "not offered"},
                    {"values": {"main_account": "999999", "dimensions": "store"}},
                    {"candidate": last, "confidence": 0.91, "reason": "the model's pick"},
                ]
            }
        )

    server.answer = answer
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def strings_in(value) -> set[str]:
    if isinstance(value, dict):
        return {s for v in value.values() for s in strings_in(v)} | set(value)
    if isinstance(value, list):
        return {s for v in value for s in strings_in(v)}
    return {str(value)}


def test_the_language_model_is_off_unless_configured() -> None:
    assert LanguageModelAdvisor.from_settings(load_settings({})) is None
    assert (
        LanguageModelAdvisor.from_settings(
            load_settings({"HL_D365_MAPPING_MODEL_URL": "http://127.0.0.1:9/v1"})
        )
        is None
    )  # a URL without a model is not enough


def test_the_language_model_sees_only_mapping_configuration_and_is_validated(
    warehouse, mappings, model_server, monkeypatch
) -> None:
    url = f"http://127.0.0.1:{model_server.server_address[1]}/v1"
    monkeypatch.setenv("HL_D365_MAPPING_MODEL_API_KEY", "sk-test-key")
    settings = load_settings(
        {"HL_D365_MAPPING_MODEL_URL": url, "HL_D365_MAPPING_MODEL": "finance-helper"}
    )
    advisor = LanguageModelAdvisor.from_settings(settings)
    try:
        queue.refresh(warehouse, mappings, advisor)
    finally:
        advisor.close()

    assert len(model_server.requests) == 3  # one question per unmapped value
    allowed = {
        text for path in mappings.glob("*.csv") for row in read_rows(mappings, path.name)
        for text in (*row.values(), *row)
    }  # fmt: skip
    for path, authorization, body in model_server.requests:
        assert path == "/v1/chat/completions" and authorization == "Bearer sk-test-key"
        request = json.loads(body)
        assert request["model"] == "finance-helper"
        question = json.loads(request["messages"][1]["content"])
        assert set(question) == {
            "mapping_kind",
            "mapping_file",
            "context",
            "unmapped_value",
            "candidates",
        }
        sent = strings_in(question["candidates"]) - {"number", "target", "label", "texts"}
        labels = {c["label"] for c in question["candidates"]}
        # Every string it was sent is mapping configuration (or a label made of it) ...
        assert {s for s in sent - labels if not s.isdigit()} <= allowed
        # ... and no amount, card digits or record of the warehouse went out.
        text = body.decode()
        assert not any(amount in text for amount in AMOUNTS)
        assert "TRN_" not in text and not re.search(r"\d{13,19}", text)
    found = suggestions_by_value(warehouse)
    for suggestions in found.values():
        [picked] = [s for s in suggestions if s["source"] == "language_model"]
        assert picked["suggestion_rank"] == 1 and picked["confidence"] == 0.91
        assert "language model: the model's pick" in picked["reason"]
    assert advisor.rejected_answers == 6  # the unknown candidate and the invented account, x3


def test_a_value_that_may_carry_card_or_personal_data_is_never_sent(
    mappings, model_server, monkeypatch
) -> None:
    from hl_d365_assets.mapping_copilot.kinds import targets_for, value_texts
    from hl_d365_assets.mapping_copilot.suggestions import suggest

    advisor = LanguageModelAdvisor(
        f"http://127.0.0.1:{model_server.server_address[1]}/v1", "finance-helper", "k"
    )
    try:
        for value in ("4111 1111 1111 1111", "SSN 123-45-6789", "Tip 12.50"):
            targets = targets_for(mappings, "retail_payment_type", "")
            ranked = suggest(value_texts(mappings, "retail_payment_type", "", value), targets)
            shown = advisor.advise(
                mappings,
                ("retail_payment_type", "retail_payment_types.csv", "", value),
                ranked,
                targets,
            )
            assert shown == ranked[:3]
    finally:
        advisor.close()
    assert model_server.requests == []


def test_evaluation_holds_out_mapping_rows_and_meets_its_floor(capsys, monkeypatch) -> None:
    report = evaluate(PROJECT_ROOT / "mappings")
    assert report.held_out >= 90
    assert report.top1 >= TOP1_FLOOR and report.top3 >= TOP3_FLOOR
    assert report.top3 >= report.top1
    monkeypatch.delenv("HL_D365_MAPPINGS_DIR", raising=False)
    assert main(["mappings", "evaluate"]) == 0
    out = capsys.readouterr().out
    assert f"{report.top1:.1%}" in out.splitlines()[-1] and f"{report.top3:.1%}" in out
