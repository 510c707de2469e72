"""The ``wengang`` command: ``run | validate | app`` here, ``sweep | analyze``
from the ``experiments`` package (registered as entry points, so that
``model`` never imports ``experiments``).

Input errors print one line per problem, ``FILE: key.path: what is wrong``,
with no traceback, and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from importlib.metadata import entry_points
from pathlib import Path

from .provenance import git_state, package_version
from .validation import InputError, Problem, load_yaml, parse_override

EXIT_INPUT = 2


def _overrides(pairs: list[str]) -> dict:
    out = {}
    for text in pairs or []:
        key, value = parse_override(text)
        out[key] = value
    return out


def _prepare_out(out: Path, force: bool) -> None:
    if out.exists() and any(out.iterdir()) and not force:
        raise InputError([Problem(str(out), "", "output directory is not empty; use --force to overwrite")])
    out.mkdir(parents=True, exist_ok=True)


def cmd_run(args: argparse.Namespace) -> int:
    """Run one scenario and write the time series, the summary and figures."""
    from . import plots
    from .model import EmploymentModel
    from .scenario import load_scenario

    overrides = _overrides(args.set)
    if args.months is not None:
        overrides["run.months"] = args.months
    scenario = load_scenario(args.scenario, overrides)
    out = Path(args.out or Path("runs") / Path(args.scenario).stem)
    _prepare_out(out, args.force)
    commit, dirty = git_state()
    started = time.perf_counter()
    model = EmploymentModel(scenario, rng=args.seed, scale=args.scale)
    model.run()
    elapsed = time.perf_counter() - started
    ts = model.timeseries()
    ts.to_parquet(out / "timeseries.parquet", index=False)
    model.county_table().to_csv(out / "counties.csv", index=False)
    metrics = model.metrics()
    summary = {
        **metrics,
        "provenance": {
            "scenario_file": str(Path(args.scenario).resolve()),
            "scenario_file_sha256": _file_hash(Path(args.scenario)),
            "scenario_hash": scenario.hash,
            "overrides": {k: v for k, v in overrides.items()},
            "seed": args.seed,
            "scale_requested": args.scale if args.scale is not None else scenario.params.run.scale,
            "scale_effective": model.scale,
            "months": scenario.params.run.months,
            "package_version": package_version(),
            "git_commit": commit,
            "git_dirty": dirty,
            "python": sys.version.split()[0],
            "runtime_s": round(elapsed, 3),
        },
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False, default=float))
    figures = plots.write_run_figures(ts, out, title=scenario.params.name, warmup=scenario.params.run.warmup_months)
    print(f"wrote {out}/timeseries.parquet, summary.json and {len(figures)} figures in {elapsed:.1f} s")
    for key in ("employed_end", "zero_employment_households_end", "zero_employment_households_peak", "fiscal_cost_total_yuan"):
        print(f"  {key} = {metrics[key]:,.0f}")
    return 0


def _file_hash(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def _validators():
    found = []
    for ep in entry_points(group="wengang.validators"):
        try:
            found.append(ep.load())
        except ImportError as exc:  # an optional part is not installed
            print(f"wengang: validator {ep.name!r} unavailable: {exc}", file=sys.stderr)
    return found


def validate_file(path: Path) -> list[Problem]:
    """Problems in one scenario or experiment file (empty when valid)."""
    from .scenario import load_scenario

    try:
        data = load_yaml(path)
    except InputError as exc:
        return exc.problems
    for validator in _validators():
        found = validator(path, data)
        if found is not None:
            return list(found)
    try:
        load_scenario(path)
    except InputError as exc:
        return exc.problems
    return []


def cmd_validate(args: argparse.Namespace) -> int:
    problems = []
    for name in args.files:
        problems += validate_file(Path(name))
    for problem in problems:
        print(problem)
    if not problems:
        print(f"{len(args.files)} file(s) valid")
    return EXIT_INPUT if problems else 0


def cmd_app(args: argparse.Namespace) -> int:
    """Start the SolaraViz dashboard on 127.0.0.1."""
    app = Path(__file__).with_name("app.py")
    cmd = [sys.executable, "-m", "solara", "run", str(app), "--host", args.host, "--port", str(args.port), "--production"]
    return subprocess.call(cmd)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wengang", description="Wengang (稳岗): run, validate, sweep and analyse the stable-employment model.")
    parser.add_argument("--version", action="version", version=f"wengang {package_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run one scenario")
    run.add_argument("scenario", help="scenario YAML file")
    run.add_argument("--out", help="output directory (default runs/<scenario name>)")
    run.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    run.add_argument("--months", type=int, help="months to simulate (default run.months)")
    run.add_argument("--scale", type=float, help="share of villages sampled, (0, 1] (default run.scale)")
    run.add_argument("--set", action="append", metavar="KEY.PATH=VALUE", help="override a parameter (repeatable)")
    run.add_argument("--force", action="store_true", help="overwrite a non-empty output directory")
    run.set_defaults(func=cmd_run)

    val = sub.add_parser("validate", help="check scenario and experiment files")
    val.add_argument("files", nargs="+")
    val.set_defaults(func=cmd_validate)

    app = sub.add_parser("app", help="start the interactive dashboard")
    app.add_argument("--host", default="127.0.0.1")
    app.add_argument("--port", type=int, default=8765)
    app.set_defaults(func=cmd_app)

    for ep in entry_points(group="wengang.commands"):
        try:
            ep.load()(sub)
        except ImportError as exc:  # an optional part is not installed
            print(f"wengang: command {ep.name!r} unavailable: {exc}", file=sys.stderr)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
