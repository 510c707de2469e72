"""``wengang calibrate --report | --fit`` (and ``python -m experiments.calibration``)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from experiments.calibration.fitting import fit, write_fit
from experiments.calibration.report import TABLE_HEADING, write_report

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baoji_baseline.yaml"
REPORT = ROOT / "docs" / "calibration.md"
DESCRIPTION = "Calibrate the Baoji baseline to the case and write docs/calibration.md."


def _add_arguments(p: argparse.ArgumentParser) -> None:
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--report", action="store_true", help="regenerate docs/calibration.md from the current baseline (no refit)")
    what.add_argument("--fit", action="store_true", help="refit the free parameters, write them into the baseline, then report")
    p.add_argument("--scenario", type=Path, default=BASELINE, help="scenario file (default: the Baoji baseline)")
    p.add_argument("--out", type=Path, default=REPORT, help="report path (default docs/calibration.md)")
    p.add_argument("--scale", type=float, default=1.0, help="scale of the report runs (default 1.0)")
    p.add_argument("--seeds", type=int, default=3, help="replications of the report (seeds 1..N, default 3)")
    p.add_argument("--fit-scale", type=float, default=0.1, help="scale of the calibration runs (default 0.1)")
    p.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    p.add_argument("--strict", action="store_true", help="exit 1 if a fitted target is not met")
    p.set_defaults(func=calibrate_command)


MAX_SEEDS = 100
"""At most this many report replications (each is a full-scale run)."""


def calibrate_command(args: argparse.Namespace) -> int:
    """Refit (``--fit``) and write the report; 2 on refused input, 1 under ``--strict`` if a fitted target is missed."""
    from model import arguments
    from model.validation import InputError

    try:
        # every argument is checked before any run (docs/errors.md)
        arguments.refuse(
            arguments.check_input_file(args.scenario, "--scenario")
            + arguments.check_scale_value(args.scale, "--scale")
            + arguments.check_scale_value(args.fit_scale, "--fit-scale")
            + arguments.check_count(args.seeds, "--seeds", 1, MAX_SEEDS)
            + arguments.check_workers(args.workers)
        )
        seeds = tuple(range(1, args.seeds + 1))
        result = None
        if args.fit:
            result = fit(args.scenario, scale=args.fit_scale, workers=args.workers,
                         log=lambda s: print(s, file=sys.stderr))
            print(json.dumps({k: result[k] for k in ("free", "prior", "fitted", "verification")}, indent=1,
                             default=float), file=sys.stderr)
            write_fit(result, args.scenario)
            print(f"wrote fitted values into {args.scenario}", file=sys.stderr)
        command = "wengang calibrate --fit" if args.fit else "wengang calibrate --report"
        text, ok = write_report(scenario_path=args.scenario, out=args.out, scale=args.scale, seeds=seeds,
                                workers=args.workers, fit_result=result, command=command)
    except InputError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 2
    table = text.split(TABLE_HEADING, 1)[1].split("\n## ", 1)[0]
    print(table.strip())
    print(f"wrote {args.out}")
    return 1 if (args.strict and not ok) else 0


def register_calibrate(subparsers) -> None:
    """Add ``calibrate`` to ``wengang`` (entry point ``wengang.commands``)."""
    p = subparsers.add_parser("calibrate", help="calibrate the baseline to the case; write docs/calibration.md",
                              description=DESCRIPTION)
    _add_arguments(p)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m experiments.calibration", description=DESCRIPTION)
    _add_arguments(parser)
    args = parser.parse_args(argv)
    return args.func(args)
