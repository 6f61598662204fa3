"""The `hl-d365` command line: the demo, the sandbox generator and the benchmark."""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hl-d365", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="generate a sandbox week and materialise every day")
    demo.add_argument("--days", type=int, default=7)
    demo.add_argument("--stores", type=int, default=5)
    demo.add_argument(
        "--per-store", type=int, default=200, help="gateway transactions per store and day"
    )
    demo.add_argument("--seed", type=int, default=20261124)

    sandbox = commands.add_parser("sandbox", help="land sandbox Heartland data")
    sandbox.add_argument("--start", type=date.fromisoformat, required=True)
    sandbox.add_argument("--days", type=int, default=1)
    sandbox.add_argument("--stores", type=int, default=5)
    sandbox.add_argument("--per-store", type=int, default=200)
    sandbox.add_argument("--seed", type=int, default=20261124)
    sandbox.add_argument("--clean", action="store_true", help="inject no defects")

    bench = commands.add_parser("bench", help="the 1,000,000-transaction benchmark")
    bench.add_argument("--transactions", type=int, default=1_000_000)
    bench.add_argument("--keep", action="store_true", help="keep bench_data/ afterwards")

    args = parser.parse_args(argv)
    if args.command == "demo":
        from hl_d365_assets.demo import run_demo

        return run_demo(
            days=args.days, stores=args.stores, per_store=args.per_store, seed=args.seed
        )
    if args.command == "sandbox":
        from hl_d365_assets.landing import LandingZone
        from hl_d365_assets.sandbox import DefectRates, SandboxConfig, generate
        from hl_d365_assets.settings import load_settings

        settings = load_settings()
        config = SandboxConfig(
            seed=args.seed,
            store_count=args.stores,
            transactions_per_store_day=args.per_store,
            mappings_dir=settings.mappings_dir,
            **({"defect_rates": DefectRates.none()} if args.clean else {}),
        )
        days = [args.start + timedelta(days=n) for n in range(args.days)]
        report = generate(
            LandingZone(settings.landing_dir),
            days,
            config,
            ground_truth_path=settings.data_dir / "sandbox" / "ground_truth.ndjson",
            progress=lambda message: print(message, file=sys.stderr),
        )
        for entity, by_day in report.lines.items():
            print(
                f"{entity}: "
                + ", ".join(f"{day} {lines:,} lines" for day, lines in sorted(by_day.items()))
            )
        print(
            "defects: "
            + ", ".join(f"{kind} {count}" for kind, count in sorted(report.defects.items()))
        )
        print(f"ground truth: {report.ground_truth_path}")
        return 0
    if args.command == "bench":
        from hl_d365_assets.bench import run_bench

        return run_bench(transactions=args.transactions, keep=args.keep)
    return 2


if __name__ == "__main__":
    sys.exit(main())
