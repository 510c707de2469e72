"""The ``wengang`` command: ``run | validate | app`` here, ``sweep | analyze``
and others from the ``experiments`` package (registered as entry points, so
that ``model`` never imports ``experiments``).

Every refusal of input, from a file or the command line, prints one line per
problem (``FILE: key.path: what is wrong`` or ``--flag: what is wrong``), with
no traceback and no output folder left behind, and exits with status 2
(docs/errors.md lists them all).  SIGTERM is treated like Ctrl-C (exit 130).
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from . import arguments as a
from .provenance import dumps_strict, git_state, loads_strict, package_version
from .validation import InputError, Problem, load_yaml, parse_override, read_text, split_path

EXIT_INPUT = a.EXIT_INPUT
EXIT_INTERRUPTED = 130
#: What ``wengang run`` writes besides the figures (``summary.json`` lists them all).
RUN_FILES = ("timeseries.parquet", "counties.csv", "summary.json")
#: Seconds ``wengang app`` gives its server to stop before killing it.
APP_STOP_S = 10


@dataclass
class RunPlan:
    """A checked ``wengang run``: everything the run needs, nothing left to refuse."""

    scenario: Any
    scenario_file: Path
    overrides: dict[str, Any]
    seed: int
    scale: float
    out: Path
    notices: list[str] = field(default_factory=list)


def _overrides(pairs: list[str] | None) -> tuple[dict[str, Any], list[Problem]]:
    out, problems = {}, []
    for text in pairs or []:
        try:
            key, value = parse_override(text)
        except InputError as exc:
            problems += exc.problems
            continue
        out[".".join(split_path(key))] = value
    return out, problems


def _owned_run_files(out: Path) -> list[str]:
    """Files a previous ``wengang run`` wrote in ``out`` (from its summary.json)."""
    try:
        summary = loads_strict(read_text(out / "summary.json"))
        files = summary["provenance"]["files"]
    except (InputError, ValueError, KeyError, TypeError):
        return []
    return [str(f) for f in files] if isinstance(files, list) else []


def plan_run(args: argparse.Namespace) -> RunPlan:
    """Check every argument of ``wengang run``; raise :class:`InputError` listing
    every problem, or return the plan.  Nothing is written or run here."""
    from .scenario import load_scenario
    from .schema import Run

    problems = a.check_seed(args.seed) + a.check_scale_value(args.scale)
    limit = Run.model_fields["months"].metadata
    max_months = next((m.le for m in limit if getattr(m, "le", None) is not None), None)
    overrides, found = _overrides(args.set)
    problems += found
    # the run's length is checked against the warm-up here, by whichever flag set it
    set_months = overrides.pop("run.months", None)
    if isinstance(set_months, float) and set_months.is_integer():
        set_months = int(set_months)  # YAML's 14.0, as the schema would take it
    months, months_flag = ((args.months, "--months") if args.months is not None or set_months is None
                           else (set_months, "--set run.months"))
    problems += a.check_count(months, months_flag, 1, max_months)
    scenario = None
    try:
        scenario = load_scenario(args.scenario, overrides)
    except InputError as exc:
        problems += exc.problems
    out = Path(args.out) if args.out else Path("runs") / Path(args.scenario).stem
    problems += a.check_out(out, args.force, _owned_run_files(out))
    if scenario is not None and not problems:
        run = scenario.params.run
        problems += a.check_months(months, run.warmup_months, max_months, months_flag)
        problems += a.check_scale(args.scale, scenario.params)
    a.refuse(problems)
    if months is not None:
        overrides["run.months"] = months
        scenario = scenario.with_overrides({"run.months": months})
    scale = args.scale if args.scale is not None else scenario.params.run.scale
    return RunPlan(scenario, Path(args.scenario), overrides, args.seed, scale, out,
                   notices=scenario.outside_range())


def cmd_run(args: argparse.Namespace) -> int:
    """Run one scenario and write the time series, the summary and figures."""
    plan = plan_run(args)
    for line in plan.notices:
        print(line, file=sys.stderr)
    from . import plots
    from .model import EmploymentModel

    params = plan.scenario.params
    commit, dirty = git_state()
    started = time.perf_counter()
    model = EmploymentModel(plan.scenario, rng=plan.seed, scale=plan.scale)
    if model.scale / plan.scale > a.SCALE_NOTICE_RATIO:
        print(f"note: --scale {plan.scale:g} runs at an effective scale of {model.scale:.4g} "
              "(at least one village per county)", file=sys.stderr)
    model.run()
    elapsed = time.perf_counter() - started
    ts = model.timeseries()
    metrics = model.metrics()
    with a.output_folder(plan.out) as tmp:
        ts.to_parquet(tmp / "timeseries.parquet", index=False)
        model.county_table().to_csv(tmp / "counties.csv", index=False)
        figures = plots.write_run_figures(ts, tmp, title=params.name, warmup=params.run.warmup_months)
        summary = {
            **metrics,
            "provenance": {
                "scenario_file": str(plan.scenario_file.resolve()),
                "scenario_file_sha256": hashlib.sha256(plan.scenario_file.read_bytes()).hexdigest(),
                "scenario_hash": plan.scenario.hash,
                "overrides": dict(plan.overrides),
                "seed": plan.seed,
                "scale_requested": plan.scale,
                "scale_effective": model.scale,
                "months": params.run.months,
                "package_version": package_version(),
                "git_commit": commit,
                "git_dirty": dirty,
                "python": sys.version.split()[0],
                "runtime_s": round(elapsed, 3),
                "files": sorted([*RUN_FILES, *(f.name for f in figures)]),
            },
        }
        (tmp / "summary.json").write_text(dumps_strict(summary), encoding="utf-8")
    print(f"wrote {plan.out}/timeseries.parquet, summary.json and {len(figures)} figures in {elapsed:.1f} s")
    for key in ("employed_end", "zero_employment_households_end", "zero_employment_households_peak", "fiscal_cost_total_yuan"):
        print(f"  {key} = {metrics[key]:,.0f}")
    return 0


def _validators():
    found = []
    for ep in entry_points(group="wengang.validators"):
        try:
            found.append(ep.load())
        except ImportError as exc:  # an optional part is not installed
            print(f"wengang: validator {ep.name!r} unavailable: {exc}", file=sys.stderr)
    return found


def validate_file(path: Path, allow_models: tuple[str, ...] = ()) -> list[Problem]:
    """Problems in one scenario or experiment file (empty when valid)."""
    from .scenario import load_scenario

    try:
        data = load_yaml(path)
    except InputError as exc:
        return exc.problems
    for validator in _validators():
        found = validator(path, data, allow_models=allow_models)
        if found is not None:
            return list(found)
    try:
        load_scenario(path)
    except InputError as exc:
        return exc.problems
    return []


def cmd_validate(args: argparse.Namespace) -> int:
    """Check scenario and experiment files; never imports a model nobody allowed."""
    problems = []
    for name in args.files:
        problems += validate_file(Path(name), tuple(args.allow_model or ()))
    for problem in problems:
        print(problem)
    if not problems:
        print(f"{len(args.files)} file(s) valid")
    return EXIT_INPUT if problems else 0


def app_command(host: str, port: int) -> list[str]:
    """The dashboard server's command line (a child process of ``wengang app``)."""
    app = Path(__file__).with_name("app.py")
    return [sys.executable, "-m", "solara", "run", str(app), "--host", host, "--port", str(port), "--production"]


def cmd_app(args: argparse.Namespace) -> int:
    """Start the SolaraViz dashboard on 127.0.0.1; stop its server when this stops."""
    a.refuse(a.check_host(args.host) + a.check_port(args.port))
    child = subprocess.Popen(app_command(args.host, args.port))
    try:
        return child.wait()
    finally:  # Ctrl-C, SIGTERM (see main) or an error here: the server goes too
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=APP_STOP_S)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def build_parser() -> argparse.ArgumentParser:
    parser = a.Parser(prog="wengang", description="Wengang (稳岗): run, validate, sweep and analyse the stable-employment model.")
    parser.add_argument("--version", action="version", version=f"wengang {package_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run one scenario")
    run.add_argument("scenario", help="scenario YAML file")
    run.add_argument("--out", help="output directory (default runs/<scenario name>)")
    run.add_argument("--seed", type=int, default=0, help="random seed, 0 to 2**63-1 (default 0)")
    run.add_argument("--months", type=int, help="months to simulate, above run.warmup_months (default run.months)")
    run.add_argument("--scale", type=float, help="share of villages sampled, (0, 1] (default run.scale)")
    run.add_argument("--set", action="append", metavar="KEY.PATH=VALUE", help="override a parameter (repeatable)")
    run.add_argument("--force", action="store_true", help="replace the output of an earlier run in --out")
    run.set_defaults(func=cmd_run)

    val = sub.add_parser("validate", help="check scenario and experiment files")
    val.add_argument("files", nargs="+")
    val.add_argument("--allow-model", action="append", metavar="MODULE",
                     help="let experiment files name models from this module (it will be imported)")
    val.set_defaults(func=cmd_validate)

    app = sub.add_parser("app", help="start the interactive dashboard")
    app.add_argument("--host", default="127.0.0.1")
    app.add_argument("--port", type=int, default=8765)
    app.set_defaults(func=cmd_app)

    for ep in entry_points(group="wengang.commands"):
        try:
            ep.load()(sub)
        except Exception as exc:  # noqa: BLE001 - an optional or broken part must not stop the others
            print(f"wengang: command {ep.name!r} unavailable ({type(exc).__name__}: {exc})", file=sys.stderr)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    with a.sigterm_as_interrupt():
        try:
            return int(args.func(args) or 0)
        except InputError as exc:
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            return EXIT_INPUT
        except KeyboardInterrupt:
            print("wengang: interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
