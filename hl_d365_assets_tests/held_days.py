"""A sandbox business day held back by an unmapped Retail payment type and nothing else: the
generator's ``unknown_payment_type`` defect (a cash ticket paid with the payment type ``Crypto``,
which no mapping names) with every other defect off, loaded through the real daily job. Its
journal is balanced and agrees with the settlement, and ``inputs_mapped`` holds it."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date
from pathlib import Path

import dagster as dg

from hl_d365_assets.sandbox import DefectRates, SandboxConfig
from hl_d365_assets.settings import PROJECT_ROOT, Settings
from hl_d365_assets_tests.conftest import generate_days, make_settings, run_range

HELD_DAY = date(2026, 11, 10)
UNMAPPED_PAYMENT_TYPE = "Crypto"


def land_small_day(folder: Path, day: date, defect_rates: DefectRates) -> Settings:
    """A two-store sandbox day of 20 transactions a store landed under ``folder``, with its own
    copy of the mapping files (an approval writes into them); not yet loaded."""
    mappings = folder / "mappings"
    shutil.copytree(PROJECT_ROOT / "mappings", mappings, ignore=shutil.ignore_patterns("*.py"))
    settings = dataclasses.replace(make_settings(folder / "data"), mappings_dir=mappings)
    generate_days(
        settings,
        [day],
        SandboxConfig(
            seed=7,
            store_count=2,
            transactions_per_store_day=20,
            mappings_dir=mappings,
            defect_rates=defect_rates,
        ),
        ground_truth_path=folder / "truth.ndjson",
    )
    return settings


def load_held_day(folder: Path) -> Settings:
    """The day landed and loaded under ``folder``, with its own copy of the mapping files (the
    approval writes into them)."""
    settings = land_small_day(
        folder,
        HELD_DAY,
        dataclasses.replace(DefectRates.none(), unknown_payment_type=0.05),
    )
    with dg.DagsterInstance.ephemeral() as instance:
        assert run_range(settings, instance, [HELD_DAY]).success
    return settings


def copy_of(loaded: Settings, folder: Path) -> Settings:
    """The loaded day in a folder of its own: each test approves into its own files."""
    shutil.copytree(loaded.data_dir, folder / "data", ignore=shutil.ignore_patterns("*.lock"))
    shutil.copytree(loaded.mappings_dir, folder / "mappings")
    return dataclasses.replace(loaded, data_dir=folder / "data", mappings_dir=folder / "mappings")


def launch_decision(
    instance: dg.DagsterInstance, resources: dict, suggestion_id: str, decided_by: str, **config
) -> dg.ExecuteInProcessResult:
    """``decide_mapping_job`` as a finance user launches it from the Launchpad (approve unless
    ``decision`` says otherwise)."""
    from hl_d365_assets.definitions import defs

    return defs.resolve_job_def("decide_mapping_job").execute_in_process(
        instance=instance,
        resources=resources,
        run_config={
            "loggers": {"console": {"config": {"log_level": "ERROR"}}},
            "ops": {
                "decide_mapping_suggestion": {
                    "config": {"suggestion_id": suggestion_id, "decided_by": decided_by, **config}
                }
            },
        },
    )


def replay_requests(
    instance: dg.DagsterInstance, decided: dg.ExecuteInProcessResult
) -> list[dg.RunRequest]:
    """What ``replay_after_mapping_decision`` asks for after the deciding run succeeded."""
    from hl_d365_assets.defs.mappings.sensors import replay_after_mapping_decision

    with dg.build_run_status_sensor_context(
        sensor_name=replay_after_mapping_decision.name,
        dagster_instance=instance,
        dagster_run=decided.dagster_run,
        dagster_event=decided.get_run_success_event(),
    ) as context:
        return list(replay_after_mapping_decision(context))
