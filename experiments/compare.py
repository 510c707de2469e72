"""``wengang compare A.yaml B.yaml [...]``: is reform B better than what we do now, by how much, and where?

Each scenario runs R times on the same R seeds (common random numbers):
replication r of every scenario gets ``run_seed(seed, ., r, common=True)``,
and the model draws each decision from its own named stream, so a reform
and the baseline share draws wherever they agree.  The difference within a
replication is then the reform's effect plus much less noise than two
independent runs would carry, and the paired interval is narrow.

The comparison is a sweep, run by :func:`experiments.runner.run_sweep` and
stored like one under ``DIR/runs/`` (resume, failures as data, Dask): a
full-factorial design over one categorical parameter, ``scenario_file``,
whose values are the scenario paths, each tagged with the hash of its
resolved parameters so that ``--resume`` refuses a scenario edited since.
Each run also returns its monthly paths (``path:SERIES:MONTH``) and its
end-of-run county table (``county:COUNTY:METRIC``), flattened into the row.

:mod:`experiments.compare_report` turns the runs into ``comparison.csv``,
``comparison.md``, ``by_county.csv`` and ``paths.png``.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import math
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from experiments.cli import (EXIT_ENVIRONMENT, EXIT_INPUT, EXIT_INTERRUPTED, EXIT_OK, RESULTS_ROOT,
                             add_execution_arguments)
from model.validation import InputError, Problem

#: The run function of the Wengang model for a comparison (module:function).
SCENARIO_RUN = "experiments.compare:scenario_run"
#: The design's one parameter: which scenario file a run uses.
PARAMETER = "scenario_file"
#: Separates a scenario path from the hash of its resolved parameters.
DIGEST_MARK = "#"
DIGEST_CHARS = 16
#: Outcomes every run must return (the comparison reports all it returns).
REQUIRED_OUTCOMES = ("zero_employment_household_months", "fiscal_cost_total_yuan", "employed_end")
#: Monthly series stored per run for the paths figure (those the model records).
PATH_SERIES = ("employed", "market_employed", "zero_employment_households", "clearing_queue",
               "in_training", "on_public_posts", "exported", "park_jobs",
               "households_below_monitoring_line", "fiscal_cost_yuan")
#: Columns of ``EmploymentModel.county_table()`` stored per county.
COUNTY_METRICS = ("employed", "able_to_work", "employment_rate", "zero_employment_households",
                  "on_public_posts")
PATH_PREFIX, COUNTY_PREFIX = "path:", "county:"
DEFAULT_REPLICATIONS = 10
DEFAULT_SEED = 1
#: A paired interval needs at least two replications.
MIN_REPLICATIONS = 2


# ------------------------------------------------------------------ the run
@functools.lru_cache(maxsize=8)
def _scenario(path: str, digest: str):
    """The scenario at ``path``, loaded once per process; refused if it changed."""
    from model import load_scenario

    loaded = load_scenario(path)
    if digest and not loaded.hash.startswith(digest):
        raise ValueError(f"{path} has changed since this comparison started "
                         "(start it again in a new --out directory)")
    return loaded


def scenario_run(scenario_file: str, seed: int = 0, scale: float | None = None,
                 months: int | None = None) -> dict[str, float]:
    """One run of a scenario: run-level metrics, monthly paths and the county table
    (see :func:`outcome_names`; a path month or county a run does not have is NaN)."""
    from model import EmploymentModel

    path, _, digest = scenario_file.rpartition(DIGEST_MARK)
    scenario = _scenario(path or digest, digest if path else "")
    overrides = {} if months is None else {"run.months": int(months)}
    model = EmploymentModel(scenario, rng=seed, scale=scale, overrides=overrides)
    model.run()
    out = {k: float(v) for k, v in model.metrics().items()}
    series = model.timeseries()
    for name in PATH_SERIES:
        values = series[name] if name in series else [math.nan] * len(series)
        for month, value in zip(series["month"], values):
            out[f"{PATH_PREFIX}{name}:{int(month)}"] = float(value)
    for record in model.county_table().to_dict("records"):
        for metric in COUNTY_METRICS:
            out[f"{COUNTY_PREFIX}{record['county']}:{metric}"] = float(record.get(metric, math.nan))
    return out


def outcome_names(files: list[Path], months: int | None) -> list[str]:
    """Every column :func:`scenario_run` gives for these scenarios: the model's
    run-level metrics (as ``model.simulate`` declares them), one path column per
    series and month, one county column per county and metric (the union over
    the scenarios, so that every stored part has the same columns)."""
    from model import load_scenario, simulate

    declared = getattr(simulate, "outcome_names", None)
    names = list(declared() if callable(declared) else declared or REQUIRED_OUTCOMES)
    names += [o for o in REQUIRED_OUTCOMES if o not in names]
    loaded = [load_scenario(f).params for f in files]
    horizon = max(months or p.run.months for p in loaded)
    counties = dict.fromkeys(c.name for p in loaded for c in p.population.counties)
    names += [f"{PATH_PREFIX}{s}:{m}" for s in PATH_SERIES for m in range(horizon)]
    names += [f"{COUNTY_PREFIX}{c}:{k}" for c in counties for k in COUNTY_METRICS]
    return names


# ----------------------------------------------------------- the comparison
def scenario_digest(path: Path, model: str) -> str:
    """A short hash of what a scenario file means: its resolved parameters for the
    Wengang model (so an edited ``extends:`` parent counts), else its bytes."""
    if model == SCENARIO_RUN:
        from model import load_scenario
        return load_scenario(path).hash[:DIGEST_CHARS]
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:DIGEST_CHARS]


def labels_of(files: list[str | Path]) -> list[str]:
    """Short names of scenario files: their stems, or their paths when stems clash."""
    stems = [Path(str(f).rpartition(DIGEST_MARK)[0] or f).stem for f in files]
    return stems if len(set(stems)) == len(stems) else [str(f) for f in files]


def comparison_spec(files: list[Path], *, replications: int, seed: int, scale: float | None,
                    months: int | None, model: str = SCENARIO_RUN,
                    outcomes: tuple[str, ...] = REQUIRED_OUTCOMES) -> dict[str, Any]:
    """The experiment spec (plain data) that runs every scenario on common seeds."""
    values = [f"{Path(f).resolve()}{DIGEST_MARK}{scenario_digest(Path(f), model)}" for f in files]
    data = {"name": "compare", "description": "wengang compare: " + " vs ".join(labels_of(files)),
            "model": model, "sampler": "full_factorial", "samples": MIN_REPLICATIONS,
            "replications": replications, "seed": seed, "common_random_numbers": True,
            "parameters": {PARAMETER: {"values": values}}, "outcomes": list(outcomes)}
    data.update({k: v for k, v in (("scale", scale), ("months", months)) if v is not None})
    return data


def _max_months() -> int | None:
    """The schema's upper limit on ``run.months``."""
    from model.schema import Run

    return next((m.le for m in Run.model_fields["months"].metadata
                 if getattr(m, "le", None) is not None), None)


def check_inputs(files: list[Path], *, replications: int, seed: int = DEFAULT_SEED,
                 scale: float | None = None, months: int | None = None,
                 model: str = SCENARIO_RUN) -> list[Problem]:
    """Every problem with the request (``FILE: key.path: ...`` or ``--flag: ...``),
    checked as ``wengang run`` checks its own; nothing is run or written."""
    from model import arguments as a

    problems = a.check_seed(seed) + a.check_scale_value(scale)
    problems += a.check_count(replications, "--replications", MIN_REPLICATIONS)
    problems += a.check_count(months, "--months", 1, _max_months())
    if len(files) < 2:
        problems.append(Problem("SCENARIO.yaml", "", "give at least two scenario files"))
    if len({Path(f).resolve() for f in files}) < len(files):
        problems.append(Problem("SCENARIO.yaml", "", "a scenario file is named twice"))
    for f in files:
        if not Path(f).is_file():
            problems.append(Problem(str(f), "", "no such file"))
        elif model == SCENARIO_RUN:
            from model import load_scenario
            try:
                scenario = load_scenario(f)
            except InputError as exc:
                problems += exc.problems
                continue
            warmup = scenario.params.run.warmup_months
            if months is not None and not a.check_count(months, "", 1) and months <= warmup:
                problems.append(Problem("--months", "", f"{months} month(s) leave no month after "
                                        f"the warm-up of {warmup} (run.warmup_months) of {f}, so "
                                        f"no metric could be measured; ask for --months "
                                        f"{warmup + 1} or more"))
            problems += a.check_scale(scale, scenario.params)
    return list(dict.fromkeys(problems))  # one line per problem, even across scenarios


@dataclass
class Comparison:
    """What ``run_compare`` did: the sweep's tallies and the files written."""

    sweep: Any
    files: list[Path]


def run_compare(files: list[Path], out_dir: Path, *, replications: int = DEFAULT_REPLICATIONS,
                seed: int = DEFAULT_SEED, scale: float | None = None, months: int | None = None,
                model: str = SCENARIO_RUN, outcomes: tuple[str, ...] | None = None,
                allow_models: tuple[str, ...] = (), client=None, where: str = "this process",
                resume: bool = False, force: bool = False, progress: bool = False) -> Comparison:
    """Run the scenarios on common seeds into ``out_dir`` and write the comparison.

    ``model`` must be registered in ``wengang.models`` or its module listed in
    ``allow_models`` (as for a sweep).  Raises :class:`InputError` when the
    inputs or the directory do not fit.
    """
    from experiments import compare_report, runner, store
    from experiments.spec import parse_spec

    problems = check_inputs(files, replications=replications, seed=seed, scale=scale,
                            months=months, model=model)
    if problems:
        raise InputError(problems)
    if outcomes is None:
        outcomes = tuple(outcome_names(files, months)) if model == SCENARIO_RUN else REQUIRED_OUTCOMES
    data = comparison_spec(files, replications=replications, seed=seed, scale=scale,
                           months=months, model=model, outcomes=outcomes)
    with tempfile.TemporaryDirectory(prefix="wengang-compare-") as tmp:
        spec_file = Path(tmp) / "compare.yaml"
        spec_file.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
                             encoding="utf-8")
        spec = parse_spec(data, str(spec_file), Path(tmp), allow_models=allow_models)
        result = runner.run_sweep(spec, spec_file, out_dir, client=client, where=where,
                                  resume=resume, force=force, progress=progress)
    nothing = result.interrupted or store.load_runs(out_dir).ok.empty
    written = [] if nothing else compare_report.write_comparison(out_dir)
    store.record_written(out_dir, written)  # so that --force may replace them
    return Comparison(result, written)


# --------------------------------------------------------------------- CLI
def register_compare(subparsers) -> None:
    """Add ``compare``: paired runs of scenarios, differences with 95 % intervals."""
    p = subparsers.add_parser(
        "compare", help="compare scenarios on common seeds (paired differences, 95 %% intervals)",
        description="Run every scenario R times on the same R seeds and write DIR/comparison.csv, "
                    "comparison.md, by_county.csv and paths.png: each outcome's mean per "
                    "scenario, the paired difference from the first scenario and its 95 %% "
                    "interval. The runs are stored like a sweep (DIR/runs, --resume).")
    p.add_argument("scenarios", type=Path, nargs="+", metavar="SCENARIO.yaml")
    p.add_argument("--replications", type=int, default=DEFAULT_REPLICATIONS, metavar="R",
                   help=f"runs per scenario, on common seeds (default {DEFAULT_REPLICATIONS})")
    p.add_argument("--scale", type=float, metavar="F", help="population scale (default: the scenario's)")
    p.add_argument("--months", type=int, metavar="N", help="months to simulate (default: the scenario's)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, metavar="N",
                   help=f"seed of the replications' seeds (default {DEFAULT_SEED})")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help=f"results directory (default: {RESULTS_ROOT}/compare-A-B...)")
    add_execution_arguments(p)
    p.set_defaults(func=compare_command)


def compare_command(args: argparse.Namespace) -> int:
    """Run ``wengang compare``; returns the exit code."""
    from experiments import cluster as clusters
    from experiments import runner
    from experiments.cli import EXIT_ALL_FAILED, quiet_children
    from model.arguments import check_workers

    problems = check_inputs(args.scenarios, replications=args.replications, seed=args.seed,
                            scale=args.scale, months=args.months) + check_workers(args.workers)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return EXIT_INPUT
    out_dir = args.out or RESULTS_ROOT / ("compare-" + "-".join(labels_of(args.scenarios)))
    options = dict(replications=args.replications, seed=args.seed, scale=args.scale,
                   months=args.months, resume=args.resume, force=args.force,
                   progress=not args.quiet)
    try:
        if args.serial:
            done = run_compare(args.scenarios, out_dir, **options)
        else:
            with quiet_children(clusters.open_client(workers=args.workers,
                                                      scheduler=args.scheduler)) as (client, where):
                done = run_compare(args.scenarios, out_dir, client=client, where=where, **options)
    except InputError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_INPUT
    except (runner.ModelUnavailable, OSError, TimeoutError) as exc:
        print(f"wengang compare: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_ENVIRONMENT
    if done.sweep.interrupted:
        print(f"interrupted; continue with --resume --out {out_dir}", file=sys.stderr)
        return EXIT_INTERRUPTED
    if done.sweep.submitted and not done.sweep.ok:
        print(f"wengang compare: every run failed; the errors are in {out_dir}/runs",
              file=sys.stderr)
        return EXIT_ALL_FAILED
    if not args.quiet:
        print(f"{done.sweep.ok} runs ok, {done.sweep.failed} failed "
              f"({done.sweep.already_done} already done); wrote "
              + ", ".join(str(f) for f in done.files), file=sys.stderr)
    return EXIT_OK
