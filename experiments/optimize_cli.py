"""``wengang optimize SPEC.yaml [--out DIR] [--workers N | --scheduler ADDRESS] [--resume]``.

The command line of :mod:`experiments.optimize`.  Exit codes as for
``wengang sweep``: 0 done; 1 the environment failed; 2 invalid input (one
line per problem, no traceback, no folder left behind); 130 interrupted (the
runs stored so far are kept; ``--resume`` goes on).
"""

from __future__ import annotations

import sys
from pathlib import Path

from experiments.optimize import run_optimize
from model.validation import InputError


def register_optimize(subparsers) -> None:
    """Add ``optimize``: robust many-objective search over levers (pymoo, on Dask)."""
    from experiments.cli import RESULTS_ROOT, add_execution_arguments

    p = subparsers.add_parser(
        "optimize", help="search levers for robust trade-offs across an ensemble of worlds",
        description="Search SPEC.yaml's levers with NSGA-II/III (pymoo) for robust trade-offs "
                    "between its objectives across an ensemble of worlds. Runs are stored like a "
                    "sweep (DIR/runs); --resume replays the search from its seed and runs only "
                    "what is missing. Writes DIR/pareto.csv, candidates.csv, figures, report.md.")
    p.add_argument("spec", type=Path, metavar="SPEC.yaml")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help=f"results directory (default: {RESULTS_ROOT}/<spec name>)")
    add_execution_arguments(p, resume_help="replay the search, running only what DIR is missing")
    p.add_argument("--allow-model", action="append", default=[], metavar="MODULE",
                   help="run a model from MODULE that is not registered in wengang.models")
    p.set_defaults(func=optimize_command)


def optimize_command(args) -> int:
    """Run ``wengang optimize``; returns the exit code."""
    from experiments import cluster as clusters
    from experiments import runner
    from experiments.cli import (EXIT_ALL_FAILED, EXIT_ENVIRONMENT, EXIT_INPUT,
                                 EXIT_INTERRUPTED, EXIT_OK, quiet_children, default_out)
    from experiments.optimize_spec import load_optimize
    from model.arguments import check_workers

    try:
        problems = check_workers(args.workers)
        if problems:
            raise InputError(problems)
        spec, spec_x = load_optimize(args.spec, args.allow_model)
        out_dir = args.out or default_out(spec.name)
        options = dict(resume=args.resume, force=args.force, progress=not args.quiet)
        options["allow_models"] = tuple(args.allow_model)
        if args.serial:
            search = run_optimize(spec, spec_x, args.spec, out_dir, **options)
        else:
            with quiet_children(clusters.open_client(workers=args.workers,
                                                      scheduler=args.scheduler)) as (client, where):
                search = run_optimize(spec, spec_x, args.spec, out_dir, client=client,
                                      where=where, **options)
    except InputError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_INPUT
    except (runner.ModelUnavailable, OSError, TimeoutError) as exc:
        print(f"wengang optimize: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_ENVIRONMENT
    if search.interrupted:
        print(f"interrupted; continue with: wengang optimize {args.spec} --out {out_dir} "
              "--resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    if search.runs_done and search.failed == search.runs_done:
        print(f"wengang optimize: every run failed; the errors are in {out_dir}/runs",
              file=sys.stderr)
        return EXIT_ALL_FAILED
    if not args.quiet:
        print(f"{len(search.candidates)} candidates, {len(search.pareto)} on the Pareto set; "
              f"{search.runs_done} runs ({search.failed} failed), {search.runs_reused} reused "
              f"from the store -> {out_dir}/report.md", file=sys.stderr)
    return EXIT_OK
