"""``wengang sweep`` and ``wengang analyze``.

``model.cli`` finds these through the ``wengang.commands`` entry points: each
``register_*`` adds its subparser and sets ``func`` to a callable returning
the exit code.  Exit codes: 0 done; 1 the environment failed (no scheduler,
workers cannot import the model); 2 invalid input (one line per problem, no
traceback); 130 interrupted (the runs written so far are kept).

``python -m experiments`` offers the same two commands on their own.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from model.validation import InputError

#: Default results root; a sweep goes to results/<spec name> unless --out says otherwise.
RESULTS_ROOT = Path("results")
EXIT_OK, EXIT_ENVIRONMENT, EXIT_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130
JOBQUEUE_KINDS = ("pbs", "slurm")  # keys of experiments.cluster.JOBQUEUE_CLUSTERS


def _print_problems(exc: InputError) -> int:
    for problem in exc.problems:
        print(problem, file=sys.stderr)
    return EXIT_INPUT


def register_sweep(subparsers) -> None:
    """Add ``sweep``: run an experiment's design on Dask, writing Parquet as runs finish."""
    p = subparsers.add_parser(
        "sweep", help="run an experiment's design on Dask (resumable)",
        description="Run every (design point, replication) of EXPERIMENT.yaml. Rows stream to "
                    "DIR/runs/*.parquet as tasks finish; --resume runs only what is missing.")
    p.add_argument("experiment", type=Path, metavar="EXPERIMENT.yaml")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help=f"results directory (default: {RESULTS_ROOT}/<experiment name>)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, metavar="N",
                       help="local cluster of N worker processes on 127.0.0.1 "
                            "(default: one per available core)")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="use a running Dask scheduler, e.g. tcp://10.0.0.5:8786")
    where.add_argument("--jobqueue", choices=JOBQUEUE_KINDS,
                       help="start workers as batch jobs with dask-jobqueue (see "
                            "experiments/CLUSTER.md)")
    where.add_argument("--serial", action="store_true",
                       help="run in this process without Dask (debugging, baselines)")
    p.add_argument("--jobs", type=int, default=1, metavar="N",
                   help="batch jobs to submit with --jobqueue (default 1)")
    p.add_argument("--jobqueue-config", type=Path, metavar="FILE",
                   help="dask-jobqueue settings (YAML, e.g. experiments/jobqueue.yaml)")
    state = p.add_mutually_exclusive_group()
    state.add_argument("--resume", action="store_true",
                       help="run only the (point, replication) pairs missing from DIR; "
                            "refused if the spec changed")
    state.add_argument("--force", action="store_true",
                       help="delete the runs and analysis already in DIR and start over")
    p.add_argument("--retry-failed", action="store_true",
                   help="with --resume, also re-run runs that failed")
    p.add_argument("--batch-size", type=int, metavar="N",
                   help="runs per Dask task (default: from the spec, else timed automatically)")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    p.set_defaults(func=sweep_command)


def register_analyze(subparsers) -> None:
    """Add ``analyze``: sensitivity tables, PRIM boxes, figures and DIR/report.md."""
    p = subparsers.add_parser(
        "analyze", help="analyse a sweep: indices, zero-stays-zero, figures, report.md",
        description="Write DIR/analysis/*.csv, figures and DIR/report.md for a sweep directory.")
    p.add_argument("directory", type=Path, metavar="DIR")
    p.add_argument("--quiet", action="store_true", help="print nothing on success")
    p.set_defaults(func=analyze_command)


def _check_args(args) -> list[str]:
    errors = []
    if args.workers is not None and args.workers < 1:
        errors.append("--workers: must be at least 1")
    if args.batch_size is not None and args.batch_size < 1:
        errors.append("--batch-size: must be at least 1")
    if args.retry_failed and not args.resume:
        errors.append("--retry-failed: only with --resume")
    if (args.jobqueue_config or args.jobs != 1) and not args.jobqueue:
        errors.append("--jobs/--jobqueue-config: only with --jobqueue")
    return errors


def sweep_command(args: argparse.Namespace) -> int:
    """Run ``wengang sweep``; returns the exit code."""
    from experiments import cluster as clusters
    from experiments import runner
    from experiments.spec import load_spec

    errors = _check_args(args)
    for error in errors:
        print(f"wengang sweep: {error}", file=sys.stderr)
    if errors:
        return EXIT_INPUT
    try:
        spec = load_spec(args.experiment)
    except InputError as exc:
        return _print_problems(exc)
    out_dir = args.out or RESULTS_ROOT / spec.name
    progress = not args.quiet
    options = dict(resume=args.resume, force=args.force, retry_failed=args.retry_failed,
                   batch_size=args.batch_size, progress=progress)
    batch_jobs = None
    try:
        if args.serial:
            result = runner.run_sweep(spec, args.experiment, out_dir, **options)
        else:
            if args.jobqueue:
                batch_jobs = clusters.jobqueue_cluster(args.jobqueue, args.jobs,
                                                       args.jobqueue_config)
            with clusters.open_client(workers=args.workers, scheduler=args.scheduler,
                                      cluster=batch_jobs) as (client, where):
                if progress:
                    print(f"{spec.name}: running on {where}", file=sys.stderr)
                result = runner.run_sweep(spec, args.experiment, out_dir, client=client,
                                          where=where, **options)
    except InputError as exc:
        return _print_problems(exc)
    except (runner.ModelUnavailable, clusters.JobqueueUnavailable) as exc:
        print(f"wengang sweep: {exc}", file=sys.stderr)
        return EXIT_ENVIRONMENT
    except (OSError, TimeoutError) as exc:
        print(f"wengang sweep: cannot run on Dask ({type(exc).__name__}: {exc})", file=sys.stderr)
        return EXIT_ENVIRONMENT
    finally:
        if batch_jobs is not None:
            batch_jobs.close()
    if progress:
        print(_summary(result), file=sys.stderr)
    return EXIT_INTERRUPTED if result.interrupted else EXIT_OK


def _summary(result) -> str:
    ran = result.ok + result.failed
    head = (f"interrupted after {ran} of {result.submitted} runs" if result.interrupted
            else f"{ran} runs")
    rate = f", {ran / result.elapsed_s:.1f} runs/s" if result.elapsed_s > 0 and ran else ""
    text = (f"{head} ({result.ok} ok, {result.failed} failed) in {result.elapsed_s:.1f} s"
            f"{rate}, batch size {result.batch_size}; "
            f"{result.already_done} were already done -> {result.out_dir}")
    if result.interrupted:
        return text + f"\ncontinue with: wengang sweep SPEC --out {result.out_dir} --resume"
    return text + f"\nnext: wengang analyze {result.out_dir}"


def analyze_command(args: argparse.Namespace) -> int:
    """Run ``wengang analyze``; returns the exit code."""
    from experiments.report import analyze_dir

    try:
        analysis = analyze_dir(args.directory)
    except InputError as exc:
        return _print_problems(exc)
    if not args.quiet:
        print(f"wrote {analysis.report} and {len(analysis.files)} files under "
              f"{analysis.report.parent / 'analysis'}; {analysis.excluded} failed runs excluded",
              file=sys.stderr)
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """``python -m experiments sweep|analyze ...`` (same commands as ``wengang``)."""
    parser = argparse.ArgumentParser(prog="python -m experiments")
    sub = parser.add_subparsers(dest="command", required=True)
    register_sweep(sub)
    register_analyze(sub)
    args = parser.parse_args(argv)
    return args.func(args)
