"""``hl-d365 mappings suggest|list|approve|reject|evaluate``: the mapping co-pilot from the
command line, for a finance user who should never need an editor (docs/mapping-copilot.md)."""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import date


def add_parser(commands: argparse._SubParsersAction) -> None:
    mappings = commands.add_parser(
        "mappings",
        help="suggested mappings for the values the checks report unmapped: review, approve "
        "(writes the mapping row and rebuilds the held days), reject, evaluate",
    )
    actions = mappings.add_subparsers(dest="mappings_command", required=True)
    actions.add_parser(
        "suggest", help="refresh the open suggestions from the warehouse and list them"
    )
    listing = actions.add_parser("list", help="the suggestions in ops.mapping_suggestions")
    listing.add_argument(
        "--status", choices=("open", "approved", "rejected", "all"), default="open"
    )
    approve = actions.add_parser(
        "approve",
        help="append the suggestion's row to its mapping file, then re-materialise the days "
        "held for the value from the landing zone",
    )
    approve.add_argument("suggestion_id")
    approve.add_argument("--by", default=None, help="who approves (default: the login name)")
    approve.add_argument(
        "--valid-from", type=date.fromisoformat, help="default: the first held business day"
    )
    approve.add_argument("--note")
    approve.add_argument(
        "--no-replay", action="store_true", help="write the row only; rebuild the days later"
    )
    reject = actions.add_parser("reject", help="reject a suggestion (nothing is written)")
    reject.add_argument("suggestion_id")
    reject.add_argument("--by", default=None)
    reject.add_argument("--note")
    evaluate = actions.add_parser(
        "evaluate",
        help="hold out a fraction of the mapping rows and measure top-1 and top-3 accuracy",
    )
    evaluate.add_argument("--fraction", type=float, default=0.3)
    evaluate.add_argument("--rounds", type=int, default=5)
    evaluate.add_argument("--seed", type=int, default=19)
    evaluate.add_argument("--misses", action="store_true", help="list every top-1 miss")
    evaluate.add_argument(
        "--field-renames",
        action="store_true",
        help="evaluate the field-rename suggestions instead: rename a fraction of the fields of "
        "a landed day and see whether the suggestion names the field replaced",
    )
    evaluate.add_argument(
        "--day",
        type=date.fromisoformat,
        help="the landed day whose fields --field-renames renames (default: the newest "
        "GP-API transactions day)",
    )
    evaluate.add_argument(
        "--all-day",
        action="store_true",
        help="with --field-renames: the rename arrives all day, not from mid-day on",
    )


def run(args: argparse.Namespace) -> int:
    from hl_d365_assets.settings import load_settings

    settings = load_settings()
    if args.mappings_command == "evaluate" and args.field_renames:
        from hl_d365_assets.landing import LandingZone
        from hl_d365_assets.mapping_copilot.field_evaluation import evaluate_field_renames

        days = LandingZone(settings.landing_dir).business_dates("heartland", "payment_transactions")
        day = args.day or (date.fromisoformat(max(days)) if days else None)
        if day is None:
            print(
                "hl-d365 mappings evaluate: no landed day (hl-d365 sandbox first)", file=sys.stderr
            )
            return 1
        renames = evaluate_field_renames(
            settings.landing_dir, day, args.fraction, args.seed, mid_day=not args.all_day
        )
        for line in renames.lines():
            print(line)
        if args.misses:
            for name, score in renames.by_entity.items():
                for miss in score.misses:
                    print(f"  miss {name}: {miss}")
        return 0
    if args.mappings_command == "evaluate":
        from hl_d365_assets.mapping_copilot.evaluation import evaluate

        report = evaluate(settings.mappings_dir, args.fraction, args.rounds, args.seed)
        for line in report.lines():
            print(line)
        if args.misses:
            for name, score in report.by_kind.items():
                for miss in score.misses:
                    print(f"  miss {name}: {miss}")
        return 0

    from hl_d365_assets.defs.resources import build_resources
    from hl_d365_assets.mapping_copilot import queue
    from hl_d365_assets.mapping_copilot.language_model import LanguageModelAdvisor

    warehouse = build_resources(settings)["warehouse"]
    who = getattr(args, "by", None) or getpass.getuser()
    if args.mappings_command == "suggest":
        advisor = LanguageModelAdvisor.from_settings(settings)
        try:
            with warehouse.writer() as conn:
                report = queue.refresh(conn, settings.mappings_dir, advisor)
                shown = queue.list_suggestions(conn, "open")
                unsuggested = queue.unsuggested_values(conn, settings.mappings_dir)
        finally:
            if advisor is not None:
                advisor.close()
        print(
            f"{report.values} unmapped value(s), {report.suggestions} suggestion(s)"
            + (" (offline)" if advisor is None else f" (language model {advisor.model})")
        )
        for value in report.awaiting_replay:
            print(f"already in its mapping file, waiting for its days to be rebuilt: {value}")
        _print(shown, unsuggested)
        return 0
    if args.mappings_command == "list":
        with warehouse.writer() as conn:
            _print(
                queue.list_suggestions(conn, None if args.status == "all" else args.status),
                queue.unsuggested_values(conn, settings.mappings_dir)
                if args.status in ("open", "all")
                else [],
            )
        return 0
    try:
        with warehouse.writer() as conn:
            if args.mappings_command == "reject":
                queue.reject(conn, args.suggestion_id, who, args.note)
                print(f"{args.suggestion_id} rejected by {who}; nothing written")
                return 0
            approval = queue.approve(
                conn, settings.mappings_dir, args.suggestion_id, who, args.valid_from, args.note
            )
    except queue.DecisionRefused as problem:
        print(f"hl-d365 mappings {args.mappings_command}: {problem}", file=sys.stderr)
        return 1
    print(f"{approval.suggestion_id} approved by {who}: appended to {approval.mapping_file}:")
    print(f"  {approval.line}")
    days = ", ".join(d.isoformat() for d in approval.held_business_dates)
    if approval.replay_assets:
        days = f"{', '.join(approval.replay_assets)} (rebuilt whole; found on {days})"
    if args.no_replay:
        print(f"held days not rebuilt (--no-replay): {days}")
        return 0
    print(f"rebuilding the held days from the landing zone: {days}")
    from hl_d365_assets.backfill import project_instance
    from hl_d365_assets.mapping_copilot.replay import replay_days

    def say(message: str) -> None:
        print(message, flush=True)

    instance = project_instance(settings, say)
    ok = replay_days(
        settings,
        instance,
        approval.replay_job,
        approval.held_business_dates,
        say,
        approval.replay_assets,
    )
    return 0 if ok else 1


def _print(suggestions: list[dict], unsuggested: list[str] = ()) -> None:
    """Each unmapped value nothing pointed to, said so rather than left out (a value missing
    from the list would read as mapped), then the suggestions."""
    from hl_d365_assets.mapping_copilot.queue import NO_SUGGESTION

    for value in unsuggested:
        print(f"{value}: {NO_SUGGESTION}")
    if not suggestions:
        print("no suggestions")
        return
    print(f"{'id':<20} {'status':<8} {'kind':<20} {'value':<22} {'#':>1} {'conf.':>5}  target")
    for s in suggestions:
        value = (s["context"] + " " if s["context"] else "") + s["unmapped_value"]
        days = ", ".join(d.isoformat() for d in s["held_business_dates"])
        print(
            f"{s['suggestion_id']:<20} {s['status']:<8} {s['mapping_kind']:<20} {value:<22} "
            f"{s['suggestion_rank']:>1} {s['confidence']:>5.2f}  {s['target']}"
        )
        print(f"{'':<20} why: {s['reason']}")
        print(f"{'':<20} holds {s['held_records']} record(s) on {days} [{s['source']}]")
        if s["status"] != "open":
            print(f"{'':<20} {s['status']} by {s['decided_by']} at {s['decided_at']}")
