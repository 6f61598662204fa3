"""The sandbox's risk patterns as generated: reproducible, present at the default rates, no change
at all to a day without them, and days that still add up the way clean days do."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from hl_d365_assets.cli import main
from hl_d365_assets.landing import LandingZone
from hl_d365_assets.risk.patterns import PATTERNS
from hl_d365_assets.sandbox import (
    RISK_PATTERNS,
    SANDBOX_DAY,
    DefectRates,
    RiskPatternRates,
    SandboxConfig,
    generate,
)
from hl_d365_assets.sandbox.day_build import build_day, open_world

from . import test_sandbox_generator as clean_day_rules
from .test_sandbox_generator import LandedDay

DAY = date(2026, 11, 16)
EVERYWHERE = RiskPatternRates(**dict.fromkeys(RISK_PATTERNS, 1000))
NOWHERE = RiskPatternRates(**dict.fromkeys(RISK_PATTERNS, 0))


def _generate(root: Path, days: list[date], **config) -> Path:
    """Generate into ``root``; returns the sandbox folder (ground truth, risk truth, Retail)."""
    config = {"seed": 5, "transactions_per_store_day": 20, **config}
    generate(LandingZone(root / "landing"), days, SandboxConfig(**config))
    return root / "sandbox"


def _contents(root: Path) -> dict[str, str]:
    """Every file generated under ``root`` by folder and content (segment *names* carry the
    wall-clock write time, their contents do not)."""
    digests: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*.ndjson")):
        if path.name == "risk_truth.ndjson":
            continue
        folder = str(path.parent.relative_to(root)) if "landing" in path.parts else str(path)
        digests.setdefault(folder, []).append(hashlib.sha256(path.read_bytes()).hexdigest())
    return {folder: " ".join(found) for folder, found in digests.items()}


def test_the_same_seed_gives_the_same_truth_and_the_same_data(tmp_path: Path) -> None:
    days = [DAY]
    first = _generate(tmp_path / "a", days, store_count=3, risk=EVERYWHERE)
    second = _generate(tmp_path / "b", days, store_count=3, risk=EVERYWHERE)
    truth = (first / "risk_truth.ndjson").read_text()
    assert truth and truth == (second / "risk_truth.ndjson").read_text()
    assert _contents(tmp_path / "a") == {
        key.replace(str(tmp_path / "b"), str(tmp_path / "a")): value
        for key, value in _contents(tmp_path / "b").items()
    }
    other_seed = _generate(tmp_path / "c", days, seed=6, store_count=3, risk=EVERYWHERE)
    assert (other_seed / "risk_truth.ndjson").read_text() != truth


def test_without_risk_patterns_a_day_is_unchanged_and_no_truth_is_written(
    tmp_path: Path,
) -> None:
    """No pattern, or every rate 0, builds the very bytes of a day before risk patterns existed
    (the injection only ever adds records or sets columns that are NULL on clean records)."""
    clean = _generate(tmp_path / "clean", [DAY])
    zero = _generate(tmp_path / "zero", [DAY], risk=NOWHERE)
    assert not (clean / "risk_truth.ndjson").exists()
    assert (zero / "risk_truth.ndjson").read_text() == ""
    assert _contents(tmp_path / "clean") == {
        key.replace(str(tmp_path / "zero"), str(tmp_path / "clean")): value
        for key, value in _contents(tmp_path / "zero").items()
    }


def test_default_rates_inject_every_pattern_over_a_week_of_the_sandbox_stores() -> None:
    rates = RiskPatternRates()
    config = SandboxConfig(transactions_per_store_day=20, risk=rates)
    _, stores = config.stores()
    instances: dict[str, set[str]] = {pattern: set() for pattern in RISK_PATTERNS}
    con = open_world(config.seed)
    try:
        for n in range(7):
            build_day(con, DAY + timedelta(days=n), stores, 20, config.defect_rates, risk=rates)
            for pattern, instance_id in con.execute(
                "SELECT DISTINCT pattern, instance_id FROM risk_truth"
            ).fetchall():
                instances[pattern].add(instance_id)
    finally:
        con.close()
    assert {pattern for pattern, found in instances.items() if not found} == set()
    # ...and about ten or more of each over 30 days: rates are per 1,000 store-days (one
    # pattern, compromised_terminal, per 1,000 store-weeks).
    store_days = 30 * len(stores)
    for pattern, rate in rates.rates().items():
        per = 7 if pattern == "compromised_terminal" else 1
        assert rate * store_days / per / 1000 >= 10, pattern


def test_rates_are_per_thousand_and_name_the_patterns_risk_scoring_knows() -> None:
    assert set(RISK_PATTERNS) <= set(PATTERNS)
    with pytest.raises(ValueError, match="card_testing"):
        RiskPatternRates(card_testing=1001)
    with pytest.raises(ValueError, match="split_ticket_limit_minor"):
        RiskPatternRates(split_ticket_limit_minor=100)
    assert set(RiskPatternRates().rates()) == set(RISK_PATTERNS)
    assert {f.name for f in dataclasses.fields(RiskPatternRates)} == {
        *RISK_PATTERNS,
        "split_ticket_limit_minor",
    }


@pytest.fixture(scope="module")
def risky_clean_day(tmp_path_factory: pytest.TempPathFactory) -> LandedDay:
    """Every pattern at every store but the fee overcharge, and no defects: the day's money must
    still add up as a clean day's does."""
    zone = LandingZone(tmp_path_factory.mktemp("risky_clean") / "landing")
    config = SandboxConfig(
        transactions_per_store_day=40,
        defect_rates=DefectRates.none(),
        risk=dataclasses.replace(EVERYWHERE, fee_above_contract=0),
    )
    return LandedDay.read(zone, SANDBOX_DAY, generate(zone, [SANDBOX_DAY], config))


def test_injected_tickets_add_up_and_pay_exactly_their_gateway_transactions(
    risky_clean_day: LandedDay,
) -> None:
    assert risky_clean_day.report.risk_instances["card_testing"] == 5
    clean_day_rules.test_ticket_lines_taxes_and_payments_add_up_on_a_clean_day(risky_clean_day)
    clean_day_rules.test_captured_card_payments_and_card_payments_match_one_to_one_on_a_clean_day(
        risky_clean_day
    )


def test_injected_sales_and_refunds_settle_in_their_stores_batch(
    risky_clean_day: LandedDay,
) -> None:
    clean_day_rules.test_settlement_batches_sum_the_captured_transactions_of_their_store_on_a_clean_day(
        risky_clean_day
    )


def test_the_command_injects_the_patterns_and_says_how_many_and_where(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HL_D365_DATA_DIR", str(tmp_path / "data"))
    status = main(["sandbox", "--start", "2026-11-16", "--stores", "3", "--per-store", "20",
                   "--risk-patterns"])  # fmt: skip
    assert status == 0
    out = capsys.readouterr().out
    truth = tmp_path / "data" / "sandbox" / "risk_truth.ndjson"
    assert f"risk truth: {truth}" in out
    counted = dict(
        entry.rsplit(" ", 1)
        for entry in out.split("risk patterns: ", 1)[1].splitlines()[0].split(", ")
    )
    assert set(counted) == set(RISK_PATTERNS)
    lines = [json.loads(line) for line in truth.read_text().splitlines()]
    assert sum(int(n) for n in counted.values()) == len({e["instance_id"] for e in lines}) > 0
