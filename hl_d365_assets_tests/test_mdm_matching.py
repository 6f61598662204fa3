"""Customer matching against the sandbox's known identities, and the golden records' promises:
ids that survive re-runs and merges, and reviewers' decisions that win over every re-run.

Small populations here (a few thousand records); the 50,000- and 500,000-record figures come
from ``hl-d365 bench --mdm`` (hl_d365_assets/bench/customers.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from hl_d365_assets.mdm.evaluation import pairwise_scores
from hl_d365_assets.mdm.pipeline import run_customer_matching
from hl_d365_assets.sandbox.customer_identities import build_customer_identities
from hl_d365_assets.settings import PROJECT_ROOT
from hl_d365_assets.warehouse import ensure_schema, transaction

MAPPINGS = str(PROJECT_ROOT / "mappings")
FIRST_RUN = datetime(2026, 11, 20, 4, tzinfo=UTC)


def _run(conn: duckdb.DuckDBPyConnection, now: datetime):
    with transaction(conn):
        return run_customer_matching(conn, MAPPINGS, now)


def _warehouse(people: int) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    ensure_schema(conn)
    build_customer_identities(conn, people)
    return conn


def _add_retail_record(conn, key: str, first: str, last: str, email: str, phone: str) -> None:
    """A hand-made Heartland Retail record beside the sandbox's people (none of whom is named
    Zebedee or lives on Quay Row)."""
    conn.execute(
        "INSERT INTO customer_source_records (source, source_key, public_id, first_name, "
        "last_name, email, phone, address_1, city, state, zip, country, updated_at) VALUES "
        "('heartland_retail', ?, ?, ?, ?, ?, ?, ?, 'Denver', 'CO', '80202', 'US', ?)",
        [key, f"C{key}", first, last, email, phone, f"{key} Quay Row", FIRST_RUN],
    )


def _golden(conn: duckdb.DuckDBPyConnection, record_key: str) -> str:
    return conn.execute(
        "SELECT golden_id FROM mdm.customer_xref WHERE record_key = ?", [record_key]
    ).fetchone()[0]


def _decide(conn, left: str, right: str, status: str) -> None:
    """What a reviewer does: a decision on a pair, in the queue's table."""
    low, high = sorted([left, right])
    conn.execute(
        "INSERT OR REPLACE INTO mdm.match_reviews (record_key_l, record_key_r, status, "
        "decided_by, decided_at, first_queued_at, last_scored_at) VALUES (?, ?, ?, 'a.reviewer', "
        "now(), now(), now())",
        [low, high, status],
    )


@pytest.fixture(scope="module")
def matched_run():
    """About 5,500 records of 3,000 people, matched once: (warehouse, summary)."""
    conn = _warehouse(3000)
    return conn, _run(conn, FIRST_RUN)


@pytest.fixture(scope="module")
def matched(matched_run) -> duckdb.DuckDBPyConnection:
    return matched_run[0]


def test_pairwise_matches_reach_the_precision_and_f1_targets_against_the_truth(matched):
    scores = pairwise_scores(matched, "customer_identity_truth")
    assert scores.records > 5000
    assert scores.precision >= 0.98, scores.as_metadata()
    assert scores.f1 >= 0.95, scores.as_metadata()


def test_every_record_is_in_exactly_one_golden_customer_and_strays_in_none(matched):
    (unlinked, doubly, strays) = matched.execute(
        "SELECT "
        " (SELECT count(*) FROM canonical.customer_records r "
        "  ANTI JOIN mdm.customer_xref x USING (record_key)),"
        " (SELECT count(*) - count(DISTINCT record_key) FROM mdm.customer_xref),"
        " (SELECT count(*) FROM mdm.customer_xref "
        "  WHERE record_key = 'heartland_retail:1' OR source_key LIKE 'TKN_ANON%')"
    ).fetchone()
    assert (unlinked, doubly, strays) == (0, 0, 0)


def test_coverage_flags_tell_which_golden_customers_lack_a_d365_or_retail_record(matched):
    flags = matched.execute(
        "SELECT bool_and(golden_has_d365 = (c.d365_record_count > 0)), "
        " bool_and(golden_has_retail = (c.retail_record_count > 0)), "
        " count(DISTINCT golden_id) FILTER (WHERE NOT golden_has_d365) "
        "FROM mdm.customer_xref JOIN mdm.customers c USING (golden_id)"
    ).fetchone()
    assert flags[:2] == (True, True)
    assert flags[2] > 1000  # most sandbox people are not D365 customers


def test_a_rerun_on_the_same_records_keeps_every_golden_id():
    conn = _warehouse(400)
    _run(conn, FIRST_RUN)
    before = conn.execute("SELECT record_key, golden_id FROM mdm.customer_xref").fetchall()
    summary = _run(conn, FIRST_RUN + timedelta(days=1))
    after = conn.execute("SELECT record_key, golden_id FROM mdm.customer_xref").fetchall()
    assert sorted(after) == sorted(before)
    assert summary.new_golden_customers == 0
    assert summary.merged_golden_customers == 0


def test_a_merge_keeps_the_older_golden_id_and_records_the_other_as_merged_into_it():
    conn = _warehouse(400)
    _add_retail_record(conn, "900001", "Quill", "Zebedee", "quill@example.com", "3035550101")
    _run(conn, FIRST_RUN)
    older = _golden(conn, "heartland_retail:900001")
    # a week later the same person signs up again under another name: nothing links them
    _add_retail_record(conn, "900002", "Marguerite", "Oyelaran", "mo@example.net", "7205550102")
    _run(conn, FIRST_RUN + timedelta(days=7))
    newer = _golden(conn, "heartland_retail:900002")
    assert newer != older

    _decide(conn, "heartland_retail:900001", "heartland_retail:900002", "same")
    summary = _run(conn, FIRST_RUN + timedelta(days=8))

    assert _golden(conn, "heartland_retail:900002") == older
    assert conn.execute(
        "SELECT status, merged_into FROM mdm.customers WHERE golden_id = ?", [newer]
    ).fetchone() == ("merged", older)
    assert summary.merged_golden_customers == 1
    linked_by = conn.execute(
        "SELECT linked_by FROM mdm.customer_xref WHERE record_key = 'heartland_retail:900002'"
    ).fetchone()[0]
    assert linked_by == "review"


def test_a_reviewers_different_wins_over_the_rules_on_every_rerun():
    conn = _warehouse(400)
    for key in ("900011", "900012"):  # twins sharing a mailbox and a name: the e-mail rule
        _add_retail_record(conn, key, "Ozias", "Quarrington", "ozq@example.org", "3035550111")
    _run(conn, FIRST_RUN)
    assert _golden(conn, "heartland_retail:900011") == _golden(conn, "heartland_retail:900012")

    _decide(conn, "heartland_retail:900011", "heartland_retail:900012", "different")
    for day in (1, 2):
        _run(conn, FIRST_RUN + timedelta(days=day))
        assert _golden(conn, "heartland_retail:900011") != _golden(conn, "heartland_retail:900012")
    assert conn.execute(
        "SELECT status FROM mdm.match_reviews WHERE record_key_l = 'heartland_retail:900011'"
    ).fetchone() == ("different",)


def test_survivorship_follows_the_mappings_file():
    """name: D365 first; email: the most recent record."""
    conn = _warehouse(50)
    _add_retail_record(conn, "900021", "Bob", "Quenby", "bob.q@example.com", "3035550121")
    conn.execute(
        "INSERT INTO customer_source_records (source, source_key, full_name, email, city, state, "
        "country, d365_account, updated_at) VALUES ('d365', 'usrt/ZQ-1', 'Robert Quenby', "
        "'bob.q@example.com', 'Denver', 'CO', 'USA', 'usrt/ZQ-1', ?)",
        [FIRST_RUN - timedelta(days=30)],
    )
    conn.execute(
        "UPDATE customer_source_records SET email = 'bob.quenby@example.com', "
        "d365_account = 'usrt/ZQ-1' WHERE source_key = '900021'"
    )
    _run(conn, FIRST_RUN)
    golden = _golden(conn, "heartland_retail:900021")
    assert golden == _golden(conn, "d365:usrt/ZQ-1")
    assert conn.execute(
        "SELECT first_name, last_name, email, d365_accounts FROM mdm.customers WHERE golden_id = ?",
        [golden],
    ).fetchone() == ("Robert", "Quenby", "bob.quenby@example.com", ["usrt/ZQ-1"])


def test_queued_pairs_say_how_each_field_compared_without_quoting_it(matched):
    reasons = matched.execute(
        "SELECT reasons FROM mdm.match_reviews WHERE status = 'open'"
    ).fetchall()
    assert reasons
    for (text,) in reasons:
        for field in (
            "email_mailbox:",
            "phone_e164:",
            "postcode:",
            "given_name_key_last_name_key:",
        ):
            assert field in text
        assert "@" not in text


# A small or new customer file: the model estimates what the records support, the rest takes
# mappings/mdm_model_priors.csv, and the run says which and why.


def _thin_file(*records: tuple[str, str, str, str, str]) -> duckdb.DuckDBPyConnection:
    """A customer file holding only ``records`` (key, first, last, e-mail, phone) and the
    walk-in customer."""
    conn = _warehouse(0)
    conn.execute("DELETE FROM customer_source_records")
    conn.execute(
        "INSERT INTO customer_source_records (source, source_key, public_id, first_name, "
        "last_name, updated_at) VALUES ('heartland_retail', '1', 'CASH', 'Walk-in', 'Customer', ?)",
        [FIRST_RUN],
    )
    for record in records:
        _add_retail_record(conn, *record)
    return conn


def _golden_per_record(conn: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(conn.execute("SELECT record_key, golden_id FROM mdm.customer_xref").fetchall())


def test_a_file_where_no_two_records_share_an_email_matches_on_priors_and_says_so():
    people = [
        ("910001", "Quill", "Zebedee", "quill@example.com", "3035550201"),
        ("910002", "Quill", "Zebedee", "qz.home@example.net", "3035550201"),  # same phone
        ("910003", "Marguerite", "Oyelaran", "mo@example.net", "7205550202"),
        ("910004", "Ozias", "Quarrington", "ozq@example.org", "3035550203"),
    ]
    conn = _thin_file(*people)
    summary = _run(conn, FIRST_RUN)

    owner = _golden_per_record(conn)
    assert set(owner) == {f"heartland_retail:{key}" for key, *_ in people}
    assert owner["heartland_retail:910001"] == owner["heartland_retail:910002"]  # phone rule
    assert summary.links_by_rule == {"same_phone_and_name": 1}
    assert summary.golden_customers == 3
    model = summary.model
    assert model["em_sessions"]["email_mailbox"].startswith("skipped: 0 pairs")
    assert model["em_sessions"]["whole_name"].startswith("skipped: 1 pairs")
    assert model["prior"] == "estimated from 1 deterministic pairs"
    fallen_back = model["parameters_fallen_back"]
    assert fallen_back["email_mailbox / Exact match on email_mailbox / m"] == (
        "no EM session that estimates it had pairs enough"
    )
    assert fallen_back["email_mailbox / Exact match on email_mailbox / u"] == (
        "level not seen among the random pairs sampled"
    )
    assert model["parameters_estimated"] > 0  # u of what the random pairs did show


def test_a_file_of_one_record_gives_one_golden_customer_and_records_that_nothing_was_trained():
    conn = _thin_file(("910011", "Quill", "Zebedee", "quill@example.com", "3035550211"))
    summary = _run(conn, FIRST_RUN)

    assert list(_golden_per_record(conn)) == ["heartland_retail:910011"]
    assert summary.golden_customers == summary.new_golden_customers == 1
    assert summary.model["prior"] == "configured: 1 record(s) to compare, fewer than two"
    assert summary.model["parameters_estimated"] == 0
    assert set(summary.model["parameters_fallen_back"].values()) == {
        "1 record(s) to compare, fewer than two"
    }


def test_a_file_of_only_the_walk_in_customer_gives_no_golden_customer_and_no_crash():
    conn = _thin_file()
    summary = _run(conn, FIRST_RUN)

    assert _golden_per_record(conn) == {}
    assert summary.excluded_records == {"walk_in_customer": 1}
    assert summary.golden_customers == 0
    assert summary.model["em_sessions"] == {
        "email_mailbox": "skipped: 0 record(s) to compare, fewer than two",
        "whole_name": "skipped: 0 record(s) to compare, fewer than two",
    }
    # every level of the model, m and u, took its prior from mappings/mdm_model_priors.csv
    priors = conn.execute("SELECT count(*) FROM ref.mdm_model_priors").fetchone()[0]
    assert len(summary.model["parameters_fallen_back"]) == 2 * priors


def test_a_full_file_estimates_the_prior_and_runs_both_em_sessions(matched_run):
    """At 5,500 records nothing falls back for want of pairs; what does fall back is a level
    the records never showed (counted in the metadata with its reason)."""
    _, summary = matched_run
    model = summary.model
    assert model["prior"].startswith("estimated from ")
    for session in ("email_mailbox", "whole_name"):
        assert model["em_sessions"][session].startswith("estimated from "), model["em_sessions"]
    assert "no EM session that estimates it had pairs enough" not in set(
        model["parameters_fallen_back"].values()
    )
    assert model["parameters_estimated"] > len(model["parameters_fallen_back"])
