"""The code location Dagster loads: every layer, one process per run, one writer pool."""

import dagster as dg

from hl_d365_assets.definitions import defs


def test_definitions_load_as_dagster_and_dg_load_them() -> None:
    dg.Definitions.validate_loadable(defs)


def test_runs_execute_in_one_process() -> None:
    assert defs.executor is dg.in_process_executor


def test_the_daily_job_covers_raw_canonical_and_the_read_copy_with_checks() -> None:
    job = defs.resolve_job_def("daily_heartland_job")
    keys = {key.to_user_string() for key in job.asset_layer.executable_asset_keys}
    assert {"raw/payment_transactions", "canonical/pos_tenders", "ops/analyst_read_copy"} <= keys
    checks = {key.to_user_string() for key in job.asset_layer.asset_graph.asset_check_keys}
    assert "raw/pos_tickets:conservation" in checks
    assert "canonical/payments:schema_contract" in checks


def test_every_warehouse_asset_takes_the_single_writer_pool() -> None:
    """Landing assets write files, not the warehouse: the API pull may run beside a load."""
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if node.is_executable and key.path[0] != "landing":
            assert node.pools == {"warehouse"}, key


def test_the_pull_runs_on_a_schedule_and_the_landing_sensor_is_on_by_default() -> None:
    assert defs.resolve_schedule_def("end_of_day_pull").job_name == "heartland_pull_job"
    sensor = defs.resolve_sensor_def("landing_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert sensor.job_name == "daily_heartland_job"
