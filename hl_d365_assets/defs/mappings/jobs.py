"""The mapping co-pilot in the Dagster UI: a finance user refreshes the suggestions, then approves
or rejects one from the Launchpad by its id (the config form), without an editor. Approving
writes the mapping row; ``replay_after_mapping_decision`` then launches the held days."""

from datetime import date

import dagster as dg
from pydantic import Field

from hl_d365_assets.mapping_copilot import queue
from hl_d365_assets.resources import MappingsResource
from hl_d365_assets.settings import load_settings
from hl_d365_assets.warehouse import WAREHOUSE_RETRY, WarehouseResource

REPLAY_DAYS_TAG = "hl_d365/mapping_replay_days"
"""Tag the approving run gets: the business days (comma-separated) its value held back."""
REPLAY_JOB_TAG = "hl_d365/mapping_replay_job"
"""Tag the approving run gets: the job that re-materialises those days."""
REPLAY_ASSETS_TAG = "hl_d365/mapping_replay_assets"
"""Tag the approving run gets when its kind's replay is unpartitioned assets (comma-separated
keys, ``canonical/products``): the job runs once over them instead of over the held days."""


class MappingDecisionConfig(dg.Config):
    """What the finance user types in the Launchpad."""

    suggestion_id: str = Field(description="The MS_… id `hl-d365 mappings list` or the "
                               "refresh run's metadata shows.")  # fmt: skip
    decided_by: str = Field(description="Who decides (recorded in ops.mapping_suggestions).")
    decision: str = Field(default="approve", description="approve or reject.")
    valid_from: str | None = Field(
        default=None, description="YYYY-MM-DD; default: the first held business day."
    )
    note: str | None = Field(default=None, description="Why, for the record.")


@dg.op(
    description="Refresh ops.mapping_suggestions from what the checks report unmapped.",
    pool="warehouse",
    retry_policy=WAREHOUSE_RETRY,
)
def refresh_mapping_suggestions(
    context: dg.OpExecutionContext, warehouse: WarehouseResource, mappings: MappingsResource
) -> None:
    from pathlib import Path

    from hl_d365_assets.mapping_copilot.language_model import LanguageModelAdvisor

    advisor = LanguageModelAdvisor.from_settings(load_settings())
    try:
        with warehouse.writer() as conn:
            report = queue.refresh(conn, Path(mappings.directory), advisor)
            shown = queue.list_suggestions(conn, "open")
            unsuggested = queue.unsuggested_values(conn, Path(mappings.directory))
    finally:
        if advisor is not None:
            advisor.close()
    context.add_output_metadata(
        {
            "unmapped_values": report.values,
            "suggestions": dg.MetadataValue.md(
                "\n".join(
                    f"- `{s['suggestion_id']}` {s['mapping_kind']} {s['context']} "
                    f"**{s['unmapped_value']}** → {s['target']} ({s['confidence']:.2f}): "
                    f"{s['reason']}"
                    for s in shown
                )
                or "none"
            ),
            # Said, not left out: a value missing from the list would read as mapped.
            "no_suggestion": dg.MetadataValue.md(
                "\n".join(f"- {value}: {queue.NO_SUGGESTION}" for value in unsuggested) or "none"
            ),
        }
    )


@dg.op(
    description="Approve (write the mapping row) or reject one suggestion.",
    pool="warehouse",
    # A busy warehouse fails before anything is decided; a decided suggestion refuses a second
    # approval, so a retry never writes the row twice.
    retry_policy=WAREHOUSE_RETRY,
)
def decide_mapping_suggestion(
    context: dg.OpExecutionContext,
    config: MappingDecisionConfig,
    warehouse: WarehouseResource,
    mappings: MappingsResource,
) -> None:
    from pathlib import Path

    if config.decision not in ("approve", "reject"):
        raise dg.Failure(
            f"decision must be approve or reject, not {config.decision!r}", allow_retries=False
        )
    try:
        with warehouse.writer() as conn:
            if config.decision == "reject":
                queue.reject(conn, config.suggestion_id, config.decided_by, config.note)
                context.add_output_metadata({"rejected": config.suggestion_id})
                return
            approval = queue.approve(
                conn,
                Path(mappings.directory),
                config.suggestion_id,
                config.decided_by,
                date.fromisoformat(config.valid_from) if config.valid_from else None,
                config.note,
            )
    except queue.DecisionRefused as problem:
        raise dg.Failure(str(problem), allow_retries=False) from problem
    days = ",".join(d.isoformat() for d in approval.held_business_dates)
    context.instance.add_run_tags(
        context.run_id,
        {
            REPLAY_DAYS_TAG: days,
            REPLAY_JOB_TAG: approval.replay_job,
            **(
                {REPLAY_ASSETS_TAG: ",".join(approval.replay_assets)}
                if approval.replay_assets
                else {}
            ),
        },
    )
    context.add_output_metadata(
        {
            "approved": approval.suggestion_id,
            "mapping_file": approval.mapping_file,
            "line_appended": approval.line,
            "held_business_days": days,
            "replay_job": approval.replay_job,
            "replay_assets": ", ".join(approval.replay_assets) or "the held days",
        }
    )


@dg.job(description="Suggest mappings for every value the checks report unmapped (up to three "
        "each, with confidence and reason); the run's metadata lists them.")  # fmt: skip
def suggest_mappings_job():
    refresh_mapping_suggestions()


@dg.job(description="A person approves or rejects one mapping suggestion by its id. Approving "
        "appends the row to its mapping file; the sensor replay_after_mapping_decision then "
        "re-materialises exactly the days the value held back.")  # fmt: skip
def decide_mapping_job():
    decide_mapping_suggestion()
