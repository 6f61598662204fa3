"""The customer matching job in a real Dagster instance: raw customers of D365 and Heartland
Retail in, golden customers out, the golden-record checks passing, and no personal data in what
the run records."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import dagster as dg
import duckdb
import pytest

from hl_d365_assets.defs.mdm.jobs import customer_matching_job
from hl_d365_assets.defs.resources import build_resources
from hl_d365_assets.warehouse import ensure_schema
from hl_d365_assets_tests.conftest import make_settings

PULLED = datetime(2026, 11, 20, 7, tzinfo=UTC)
RETAIL = [
    # customer_id, public_id, first, last, email, phone, street
    (
        "5001",
        "C5001",
        "Ada",
        "Lovelace",
        "ada.lovelace@gmail.com",
        "(212) 555-0101",
        "1 Main Street",
    ),
    ("5002", "C5002", "ADA", "LOVELACE", "adalovelace+till@gmail.com", "212-555-0101", "1 Main St"),
    ("5003", "C5003", "Charles", "Babbage", "cb@example.com", "212.555.0102", "9 Oak Avenue"),
    ("5004", "C5004", "Mary", "Somerville", "mary@example.org", "+1 212 555 0103", "4 Elm Drive"),
    ("1", "CASH", "Walk-in", "Customer", None, None, None),
]


def _seed_raw_customers(path) -> None:
    with duckdb.connect(str(path)) as conn:
        ensure_schema(conn)
        for line, (key, public, first, last, email, phone, street) in enumerate(RETAIL):
            conn.execute(
                "INSERT INTO raw.retail_customers (business_date, segment_path, line_number, "
                "event_id, received_at, customer_id, public_id, first_name, last_name, email, "
                "active, addresses, updated_at) VALUES (DATE '2026-11-20', 'seg.ndjson', ?, ?, ?, "
                "?, ?, ?, ?, ?, TRUE, [{'id': ?, 'customer_id': ?, 'first_name': NULL, "
                "'last_name': NULL, 'address_1': ?, 'address_2': NULL, 'city': 'New York', "
                "'state': 'NY', 'zip': '10001', 'country': 'US', 'phone': ?}], ?)",
                [
                    line,
                    f"HR_customers_{key}",
                    PULLED,
                    key,
                    public,
                    first,
                    last,
                    email,
                    key,
                    key,
                    street,
                    phone,
                    PULLED,
                ],
            )
        conn.execute(
            "INSERT INTO raw.d365_customers (dataAreaId, CustomerAccount, OrganizationName, "
            "PartyType, AddressCity, AddressState, AddressCountryRegionId, PrimaryContactEmail, "
            "AddressStreet, AddressZipCode, PrimaryContactPhone, PersonFirstName, PersonLastName, "
            "pulled_at) VALUES ('usrt', 'US-101', 'Ada Lovelace', 'Person', 'New York', 'NY', "
            "'USA', '', '1 Main Street', '10001', '+1 (212) 555-0101', 'Ada', 'Lovelace', ?), "
            "('usrt', 'US-102', 'Harbor Hospitality', 'Organization', 'New York', 'NY', 'USA', "
            "'ap@harbor-hospitality.example', '', '', '', '', '', ?)",
            [PULLED, PULLED],
        )


@pytest.fixture(scope="module")
def matched(tmp_path_factory: pytest.TempPathFactory, instance: dg.DagsterInstance):
    """One run of the job over the seeded raw tables: (settings, result)."""
    from hl_d365_assets.definitions import defs

    settings = make_settings(tmp_path_factory.mktemp("mdm_assets") / "data")
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    _seed_raw_customers(settings.warehouse_path)
    result = defs.resolve_job_def(customer_matching_job.name).execute_in_process(
        instance=instance, resources=build_resources(settings)
    )
    return settings, result


def test_the_job_builds_golden_customers_and_its_checks_pass(matched) -> None:
    settings, result = matched
    assert result.success
    checks = {
        evaluation.check_name: evaluation.passed
        for evaluation in result.get_asset_check_evaluations()
    }
    assert checks == {
        "every_record_in_one_golden_customer": True,
        "one_d365_account_per_customer": True,
    }
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        golden = conn.execute(
            "SELECT record_key, golden_id FROM mdm.customer_xref ORDER BY record_key"
        ).fetchall()
    owner = dict(golden)
    assert "heartland_retail:1" not in owner  # the walk-in customer
    assert owner["heartland_retail:5001"] == owner["heartland_retail:5002"]
    assert owner["heartland_retail:5001"] == owner["d365:usrt/US-101"]
    assert len(set(owner.values())) == 4  # Ada, Charles, Mary, Harbor Hospitality


def test_what_the_run_records_names_no_email_phone_or_street(matched) -> None:
    _, result = matched
    recorded = json.dumps(
        [
            {key: str(value.value) for key, value in event.materialization.metadata.items()}
            for event in result.get_asset_materialization_events()
            for event in [event.event_specific_data]
        ]
        + [str(evaluation.metadata) for evaluation in result.get_asset_check_evaluations()]
    ).lower()
    assert recorded.count("links_by_rule") == 1  # the metadata is there to be read
    for personal in ("@", "555", "lovelace", "main st", "babbage"):
        assert personal not in recorded, personal


def test_the_run_records_which_model_parameters_fell_back_to_their_priors_and_why(matched) -> None:
    """Six customer records give EM nothing to learn from: matching still runs, and the
    cross-reference's metadata says so (mappings/mdm_model_priors.csv took over)."""
    _, result = matched
    (xref,) = [
        event.event_specific_data.materialization.metadata
        for event in result.get_asset_materialization_events()
        if event.asset_key == dg.AssetKey(["mdm", "customer_xref"])
    ]
    training = xref["model_training"].value
    assert all(
        outcome.startswith("skipped: ") and "fewer than em_min_training_pairs" in outcome
        for outcome in training["em_sessions"].values()
    ), training["em_sessions"]
    assert training["parameters_fallen_back"]["phone_e164 / Exact match on phone_e164 / m"] == (
        "no EM session that estimates it had pairs enough"
    )
