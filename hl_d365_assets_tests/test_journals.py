"""GL journals built by the real job from sandbox days: balanced, traceable line by line to the
records in them, mapped only through the finance-owned files, and held back from posting by
the blocking checks until every settlement difference is explained and reviewed."""

from __future__ import annotations

import dataclasses
import shutil
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from hl_d365_assets.defs.resources import build_resources
from hl_d365_assets.landing import LandingZone
from hl_d365_assets.sandbox import DefectRates, SandboxConfig
from hl_d365_assets.settings import PROJECT_ROOT, Settings
from hl_d365_assets_tests.conftest import generate_days, make_settings, rematerialise, run_range
from hl_d365_assets_tests.retail_days import land_late_copy_of_a_cash_ticket

DAYS = [date(2026, 11, 2) + timedelta(days=n) for n in range(2)]
CHECKS = {"balanced", "accounts_in_chart", "inputs_mapped", "agrees_with_settlement", "risk_hold"}


def check_journals(settings: Settings, instance: dg.DagsterInstance, day: date):
    from hl_d365_assets.definitions import defs

    return defs.resolve_job_def("journal_checks_job").execute_in_process(
        tags={"dagster/partition": str(day)},
        instance=instance,
        resources=build_resources(settings),
        raise_on_error=False,
    )


def query(settings: Settings, sql: str, params: dict | None = None) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        return conn.execute(sql, params or {}).fetchall()


def clean_days(settings: Settings, days: list[date], seed: int) -> None:
    generate_days(
        settings,
        days,
        SandboxConfig(seed=seed, transactions_per_store_day=100, defect_rates=DefectRates.none()),
        ground_truth_path=settings.data_dir / "truth.ndjson",
    )


@pytest.fixture(scope="module")
def clean_load(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Settings, dg.DagsterInstance, dg.ExecuteInProcessResult]]:
    """Two clean days loaded in one run (a range), with the instance and the run's result."""
    settings = make_settings(tmp_path_factory.mktemp("gl_clean") / "data")
    clean_days(settings, DAYS, seed=31)
    with dg.DagsterInstance.ephemeral() as instance:
        result = run_range(settings, instance, DAYS)
        assert result.success
        yield settings, instance, result


@pytest.fixture(scope="module")
def clean(clean_load) -> Settings:
    settings, _, _ = clean_load
    return settings


def test_every_clean_journal_balances_and_passes_every_blocking_check(clean) -> None:
    journals = query(
        clean,
        "SELECT journal_key, balanced, checks_passed, debit_total, base_debit_total, "
        "base_credit_total FROM gl.journals ORDER BY 1",
    )
    assert [key for key, *_ in journals] == [
        f"usrt-{day}-{currency}" for day in DAYS for currency in ("CAD", "USD")
    ]
    assert all(balanced and ready and debits > 0 for _, balanced, ready, debits, _, _ in journals)

    with dg.DagsterInstance.ephemeral() as instance:
        result = check_journals(clean, instance, DAYS[0])
    assert result.success
    evaluations = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert evaluations == dict.fromkeys(CHECKS, True)


def test_on_a_clean_day_card_clearing_clears_and_the_deposit_reaches_the_bank(clean) -> None:
    clearing = query(
        clean,
        "SELECT account_display_value, amount FROM gl.journal_lines WHERE main_account LIKE '1121%' "
        "OR main_account LIKE '1122%' OR main_account LIKE '1123%' OR main_account LIKE '1124%'",
    )
    assert clearing and all(amount == 0 for _, amount in clearing)
    assert query(
        clean,
        "SELECT currency, sum(amount) FROM gl.journal_lines WHERE posting_kinds = 'deposit' "
        "GROUP BY 1 ORDER BY 1",
    ) == query(
        clean,
        "SELECT currency, sum(deposit_amount) FROM canonical.settlement_batches GROUP BY 1 ORDER BY 1",
    )


def test_revenue_tax_and_cost_equal_the_canonical_totals(clean) -> None:
    """Gift cards sold (Heartland Retail GiftCardLine) are no revenue: they go to the gift card
    liability (test_retail_canonical.py pins that posting)."""
    journal = query(
        clean,
        """
        SELECT currency,
               -sum(amount) FILTER (WHERE posting_kinds IN ('revenue', 'returns')),
               -sum(amount) FILTER (WHERE posting_kinds = 'sales_tax'),
               sum(amount) FILTER (WHERE posting_kinds = 'cogs')
        FROM gl.journal_lines GROUP BY 1 ORDER BY 1
        """,
    )
    canonical = query(
        clean,
        """
        SELECT l.currency,
               sum(l.line_total - l.tax_amount) FILTER (WHERE l.line_type = 'ITEM'),
               sum(l.tax_amount), sum(l.cost_total)
        FROM canonical.pos_sale_lines AS l
        JOIN canonical.pos_sales AS s USING (business_date, ticket_id)
        WHERE s.is_financial GROUP BY 1 ORDER BY 1
        """,
    )
    assert journal == canonical


def test_the_transactions_behind_a_line_are_one_join_away(clean) -> None:
    [(line_key, amount, store_lines)] = query(
        clean,
        "SELECT line_key, amount, source_count FROM gl.journal_lines "
        "WHERE business_date = $day AND account_display_value = '401100-001-RETAIL'",
        {"day": DAYS[0]},
    )
    behind = query(
        clean,
        """
        SELECT s.ticket_id, s.total - s.tax_total, src.amount
        FROM gl.journal_line_sources AS src
        JOIN canonical.pos_sales AS s
          ON s.business_date = src.business_date AND s.ticket_id = src.source_id
        WHERE src.line_key = $line
        """,
        {"line": line_key},
    )
    assert len(behind) == store_lines > 0
    assert sum(contribution for _, _, contribution in behind) == amount
    assert all(contribution == -net for _, net, contribution in behind)
    [(tickets,)] = query(
        clean,
        "SELECT count(*) FROM canonical.pos_sales WHERE business_date = $day AND store_id = 'S001' "
        "AND is_financial AND ticket_type = 'SALE'",
        {"day": DAYS[0]},
    )
    assert tickets == store_lines

    unexplained = query(
        clean,
        "SELECT l.line_key FROM gl.journal_lines AS l LEFT JOIN gl.journal_line_sources AS s "
        "USING (line_key) WHERE l.line_type = 'posting' GROUP BY l.line_key, l.amount "
        "HAVING l.amount IS DISTINCT FROM sum(s.amount)",
    )
    assert unexplained == []


def copy_of(loaded: Settings, folder: Path) -> Settings:
    """The loaded data folder copied into ``folder`` for one test to change (the lock files
    are the run's)."""
    settings = dataclasses.replace(loaded, data_dir=folder / "data")
    shutil.copytree(loaded.data_dir, settings.data_dir, ignore=shutil.ignore_patterns("*.lock"))
    return settings


@pytest.fixture(scope="module")
def edited_mappings(clean, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Finance put Department before BusinessUnit and removed the American Express rule, then
    re-materialised the journals of DAYS[0] ("materialize selected" of group gl, the assets that
    read these files), on a copy of the clean load: what a day loaded under the edited files
    holds in gl too."""
    root = tmp_path_factory.mktemp("gl_edited")
    mappings = root / "mappings"
    shutil.copytree(PROJECT_ROOT / "mappings", mappings)
    (mappings / "gl_account_structure.csv").write_text(
        "position,segment\n1,MainAccount\n2,Department\n3,BusinessUnit\n"
    )
    rules = (mappings / "gl_posting_rules.csv").read_text().splitlines()
    (mappings / "gl_posting_rules.csv").write_text(
        "\n".join(line for line in rules if not line.startswith("tender,AMEX,")) + "\n"
    )
    settings = dataclasses.replace(copy_of(clean, root), mappings_dir=mappings)
    with dg.DagsterInstance.ephemeral() as instance:
        assert rematerialise(settings, instance, DAYS[:1], dg.AssetSelection.groups("gl")).success
        yield settings


def test_the_segment_order_of_the_account_display_value_is_configuration(edited_mappings) -> None:
    values = {
        adv
        for (adv,) in query(
            edited_mappings,
            "SELECT account_display_value FROM gl.journal_lines WHERE main_account = '401100' "
            "AND business_date = $day",
            {"day": DAYS[0]},
        )
    }
    assert values == {"401100-RETAIL-001", "401100-RETAIL-002", "401100-RETAIL-004"}


def test_a_posting_without_a_rule_is_named_keeps_the_journal_balanced_and_blocks_it(
    edited_mappings,
) -> None:
    unmapped = query(
        edited_mappings,
        "SELECT DISTINCT mapping_issue FROM gl.journal_lines WHERE main_account IS NULL "
        "AND business_date = $day",
        {"day": DAYS[0]},
    )
    assert unmapped == [
        (
            f"no rule in mappings/gl_posting_rules.csv for posting_kind tender and match_value AMEX valid on {DAYS[0]}",
        )
    ]
    assert all(
        balanced
        for (balanced,) in query(
            edited_mappings,
            "SELECT balanced FROM gl.journals WHERE business_date = $day",
            {"day": DAYS[0]},
        )
    )

    with dg.DagsterInstance.ephemeral() as instance:
        result = check_journals(edited_mappings, instance, DAYS[0])
    assert not result.success
    failed = {e.check_name for e in result.get_asset_check_evaluations() if not e.passed}
    assert failed == {"accounts_in_chart"}
    [(detail,)] = query(
        edited_mappings,
        "SELECT detail FROM gl.journal_checks WHERE check_name = 'accounts_in_chart' AND NOT passed "
        "AND journal_key LIKE '%USD'",
    )
    assert "match_value AMEX" in detail


def test_open_exceptions_hold_a_day_back_until_an_accountant_accepts_them(tmp_path) -> None:
    settings = make_settings(tmp_path / "data")
    day = DAYS[0]
    generate_days(
        settings,
        [day],
        SandboxConfig(
            seed=33,
            transactions_per_store_day=80,
            defect_rates=dataclasses.replace(
                DefectRates.none(),
                tender_without_gateway_transaction=0.03,
                settlement_total_mismatch=0.3,
            ),
        ),
        ground_truth_path=settings.data_dir / "truth.ndjson",
    )
    with dg.DagsterInstance.ephemeral() as instance:
        assert run_range(settings, instance, [day]).success
        held = check_journals(settings, instance, day)
        assert not held.success
        assert {e.check_name for e in held.get_asset_check_evaluations() if not e.passed} == {
            "agrees_with_settlement"
        }
        details = query(
            settings,
            "SELECT detail FROM gl.journal_checks WHERE check_name = 'agrees_with_settlement' "
            "AND NOT passed",
        )
        assert details
        assert all("open exception(s) in recon.exceptions account for" in d for (d,) in details)
        assert not any("unexplained" in d for (d,) in details)

        with duckdb.connect(str(settings.warehouse_path)) as conn:
            conn.execute(
                "UPDATE recon.exceptions SET status = 'accepted', resolved_by = 'controller', "
                "resolution_note = 'reviewed with Heartland support' WHERE business_date = $day",
                {"day": day},
            ).fetchall()

        released = check_journals(settings, instance, day)
    assert released.success
    assert query(settings, "SELECT bool_and(passed) FROM gl.journal_checks") == [(True,)]


def test_a_late_ticket_changes_its_days_journal_and_keeps_every_line_key(clean, tmp_path) -> None:
    # A copy of the clean load: the clean day this test would load itself, already loaded.
    settings = copy_of(clean, tmp_path)
    day = DAYS[0]
    with dg.DagsterInstance.ephemeral() as instance:
        before = dict(query(settings, "SELECT line_key, amount FROM gl.journal_lines"))
        ticket = land_late_copy_of_a_cash_ticket(LandingZone(settings.landing_dir), day)
        # Its stream's raw asset and everything downstream (canonical, reconciliation, the
        # journals), as "materialize downstream" in the UI does.
        late = dg.AssetSelection.assets(dg.AssetKey(["raw", "retail_tickets"])).downstream()
        assert rematerialise(settings, instance, [day], late).success
    after = dict(query(settings, "SELECT line_key, amount FROM gl.journal_lines"))

    assert set(after) >= set(before)
    changed = {key for key in before if before[key] != after[key]}
    assert changed, "the late ticket must change the day's journal"
    sources = query(
        settings,
        "SELECT DISTINCT line_key FROM gl.journal_line_sources WHERE source_id IN (SELECT unnest($ids))",
        {"ids": list(ticket)},
    )
    assert {key for (key,) in sources} >= changed - {
        key
        for (key,) in query(
            settings, "SELECT line_key FROM gl.journal_lines WHERE line_type = 'rounding'"
        )
    }
    assert query(settings, "SELECT bool_and(balanced) FROM gl.journals") == [(True,)]


def documented_accountant_queries() -> dict[str, str]:
    """The queries as docs/reconciliation.md shows them to accountants, so the page cannot rot."""
    page = (PROJECT_ROOT / "docs" / "reconciliation.md").read_text()
    block = (
        page.split("Queries an accountant runs", 1)[1].split("```sql\n", 1)[1].split("```", 1)[0]
    )
    queries: dict[str, str] = {}
    for chunk in block.split("\n-- ")[0:]:
        title, _, sql = chunk.removeprefix("-- ").partition("\n")
        queries[title] = sql
    return queries


def test_the_five_accountant_queries_of_the_reconciliation_page_run_and_answer(clean) -> None:
    queries = documented_accountant_queries()
    assert [title.split(" (")[0] for title in queries] == [
        "Open exceptions by store",
        "Unmatched tenders last week",
        "Fees by card brand",
        "Days not yet reconciled",
        "The transactions behind a journal line",
    ]
    [(line_key, amount)] = query(
        clean,
        "SELECT line_key, amount FROM gl.journal_lines WHERE business_date = $day "
        "AND account_display_value = '112100-001-RETAIL'",
        {"day": DAYS[0]},
    )
    behind = query(
        clean,
        queries[
            "The transactions behind a journal line (any line_key of gl.journal_lines)"
        ].replace("JL_…", line_key),
    )
    assert behind and sum(row[4] for row in behind) == amount == 0
    assert {row[0] for row in behind} == {"tender", "tip", "settlement"}
    card_money: dict[str, Decimal] = defaultdict(Decimal)
    gateway = {row[3]: row[5] for row in behind if row[3]}
    for kind, _, _, transaction_id, contribution, *_ in behind:
        if kind in ("tender", "tip"):
            card_money[transaction_id] += contribution
    assert card_money and all(gateway[t] == money for t, money in card_money.items())
    fees = query(clean, queries["Fees by card brand"])
    settled_brands = query(
        clean,
        "SELECT DISTINCT card_brand FROM canonical.payments "
        "WHERE card_brand IS NOT NULL AND batch_id IS NOT NULL",
    )
    assert {brand for _, brand, *_ in fees} == {brand for (brand,) in settled_brands}
    assert {"VISA", "MASTERCARD", "AMEX", "DISCOVER"} <= {brand for _, brand, *_ in fees}
    for title in (
        "Open exceptions by store",
        "Unmatched tenders last week",
        "Days not yet reconciled",
    ):
        assert query(clean, queries[title]) == [], title  # clean days: nothing to chase


def test_a_loaded_range_asks_for_each_day_to_be_posted(clean_load) -> None:
    from hl_d365_assets.defs.gl.sensors import post_after_load

    # The sensor is given the success of the run that loaded the range (the module's load).
    _, instance, result = clean_load
    context = dg.build_run_status_sensor_context(
        sensor_name=post_after_load.name,
        dagster_event=result.get_run_success_event(),
        dagster_instance=instance,
        dagster_run=result.dagster_run,
    )
    requests = list(post_after_load(context))
    assert [r.partition_key for r in requests] == [str(day) for day in DAYS]
    assert len({r.run_key for r in requests}) == len(DAYS)
