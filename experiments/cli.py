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
import signal
import sys
from contextlib import contextmanager
from pathlib import Path

from model import arguments as a
from model.validation import InputError, Problem, flag_problem

#: Default results root; a sweep goes to results/<spec name> unless --out says otherwise.
RESULTS_ROOT = Path("results")
EXIT_OK, EXIT_ENVIRONMENT, EXIT_INPUT, EXIT_ALL_FAILED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
#: Batch jobs one sweep may submit with --jobqueue.
MAX_JOBS = 10_000
JOBQUEUE_KINDS = ("pbs", "slurm")  # keys of experiments.cluster.JOBQUEUE_CLUSTERS


def _print_problems(exc: InputError) -> int:
    for problem in exc.problems:
        print(problem, file=sys.stderr)
    return EXIT_INPUT


def add_execution_arguments(p: argparse.ArgumentParser, *, resume_help: str = "run only the runs missing from DIR",
                            jobqueue: bool = False) -> None:
    """Where the runs go (--workers | --scheduler [| --jobqueue] | --serial), how a
    folder with runs is treated (--resume | --force), and --quiet: the same
    flags, with the same meaning, for sweep, compare and optimize."""
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, metavar="N",
                       help="local cluster of N worker processes on 127.0.0.1 "
                            "(default: one per available core)")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="use a running Dask scheduler, e.g. tcp://10.0.0.5:8786")
    if jobqueue:
        where.add_argument("--jobqueue", choices=JOBQUEUE_KINDS,
                           help="start workers as batch jobs with dask-jobqueue (see "
                                "experiments/CLUSTER.md)")
    where.add_argument("--serial", action="store_true",
                       help="run in this process without Dask (debugging, baselines)")
    state = p.add_mutually_exclusive_group()
    state.add_argument("--resume", action="store_true", help=resume_help)
    state.add_argument("--force", action="store_true",
                       help="delete the runs and results already in DIR and start over")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors (no progress bar or summary)")


def register_sweep(subparsers) -> None:
    """Add ``sweep``: run an experiment's design on Dask, writing Parquet as runs finish."""
    p = subparsers.add_parser(
        "sweep", help="run an experiment's design on Dask (resumable)",
        description="Run every (design point, replication) of EXPERIMENT.yaml. Rows stream to "
                    "DIR/runs/*.parquet as tasks finish; --resume runs only what is missing.")
    p.add_argument("experiment", type=Path, metavar="EXPERIMENT.yaml")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help=f"results directory (default: {RESULTS_ROOT}/<experiment name>)")
    add_execution_arguments(p, jobqueue=True, resume_help="run only the (point, replication) pairs missing "
                                                         "from DIR; refused if the spec changed")
    p.add_argument("--jobs", type=int, default=1, metavar="N",
                   help="batch jobs to submit with --jobqueue (default 1)")
    p.add_argument("--jobqueue-config", type=Path, metavar="FILE",
                   help="dask-jobqueue settings (YAML, e.g. experiments/jobqueue.yaml)")
    p.add_argument("--retry-failed", action="store_true",
                   help="with --resume, also re-run runs that failed")
    p.add_argument("--batch-size", type=int, metavar="N",
                   help="runs per Dask task (default: from the spec, else timed automatically)")
    p.add_argument("--allow-model", action="append", metavar="MODULE",
                   help="let the spec name a model from this module, which is not registered "
                        "in the 'wengang.models' entry points (its code will run)")
    p.set_defaults(func=sweep_command)


def register_analyze(subparsers) -> None:
    """Add ``analyze``: sensitivity tables, PRIM boxes, figures and DIR/report.md."""
    p = subparsers.add_parser(
        "analyze", help="analyse a sweep: indices, zero-stays-zero, figures, report.md",
        description="Write DIR/analysis/*.csv, figures and DIR/report.md for a sweep directory.")
    p.add_argument("directory", type=Path, metavar="DIR")
    p.add_argument("--quiet", action="store_true", help="print nothing on success")
    p.set_defaults(func=analyze_command)


def check_sweep_args(args) -> list[Problem]:
    """Every problem with ``wengang sweep``'s options (no file is read)."""
    problems = a.check_workers(args.workers)
    problems += a.check_count(args.batch_size, "--batch-size", 1, 100_000)
    problems += a.check_count(args.jobs, "--jobs", 0, MAX_JOBS)
    if args.retry_failed and not args.resume:
        problems.append(flag_problem("--retry-failed", "only with --resume"))
    if (args.jobqueue_config or args.jobs != 1) and not args.jobqueue:
        problems.append(flag_problem("--jobs", "only with --jobqueue (as is --jobqueue-config)"))
    if args.jobqueue_config is not None:
        problems += a.check_input_file(args.jobqueue_config, "--jobqueue-config")
    if args.out is not None and args.out.exists() and not args.out.is_dir():
        problems.append(flag_problem("--out", f"{args.out} exists and is not a folder"))
    return problems


def default_out(name: str) -> Path:
    """``results/<name>``; a name that would leave ``results/`` is refused."""
    out = RESULTS_ROOT / name
    root = RESULTS_ROOT.resolve()
    if out.resolve().parent != root:  # the spec schema already forbids '/' and '..'
        raise InputError([flag_problem("--out", f"the spec's name {name!r} would write "
                                         f"outside {RESULTS_ROOT}/; give --out")])
    return out


def sweep_command(args: argparse.Namespace) -> int:
    """Run ``wengang sweep``; returns the exit code."""
    from experiments import cluster as clusters
    from experiments import runner
    from experiments.modelref import range_notices
    from experiments.spec import load_spec

    allow = tuple(args.allow_model or ())
    try:
        a.refuse(check_sweep_args(args))
        spec = load_spec(args.experiment, allow_models=allow)
        out_dir = args.out or default_out(spec.name)
    except InputError as exc:
        return _print_problems(exc)
    progress = not args.quiet
    for line in range_notices(spec):
        print(line, file=sys.stderr)
    options = dict(resume=args.resume, force=args.force, retry_failed=args.retry_failed,
                   batch_size=args.batch_size, progress=progress, allow_models=allow)
    batch_jobs = None
    try:
        if args.serial:
            result = runner.run_sweep(spec, args.experiment, out_dir, **options)
        else:
            if args.jobqueue:
                batch_jobs = clusters.jobqueue_cluster(args.jobqueue, args.jobs,
                                                       args.jobqueue_config)
            with quiet_children(clusters.open_client(workers=args.workers,
                                                      scheduler=args.scheduler,
                                                      cluster=batch_jobs)) as (client, where):
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
    if progress or result.interrupted or (result.submitted and not result.ok):
        print(_summary(result, args.experiment), file=sys.stderr)
    if result.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_ALL_FAILED if result.submitted and not result.ok else EXIT_OK


def _summary(result, spec_file) -> str:
    """What a session did, on one line (two with the next command)."""
    ran = result.ok + result.failed
    if result.interrupted:
        return (f"interrupted ({result.signal}) after {ran} of {result.submitted} runs "
                f"({result.ok} ok, {result.failed} failed); continue with: wengang sweep "
                f"{spec_file} --out {result.out_dir} --resume")
    rate = f", {ran / result.elapsed_s:.1f} runs/s" if result.elapsed_s > 0 and ran else ""
    text = (f"{ran} runs ({result.ok} ok, {result.failed} failed) in {result.elapsed_s:.1f} s"
            f"{rate}, batch size {result.batch_size}; "
            f"{result.already_done} were already done -> {result.out_dir}")
    if result.submitted and not result.ok:
        return text + f"\nevery run failed: see the 'error' column of {result.out_dir}/runs/*.parquet"
    return text + f"\nnext: wengang analyze {result.out_dir}"


def analyze_command(args: argparse.Namespace) -> int:
    """Run ``wengang analyze``; returns the exit code."""
    from experiments import store
    from experiments.report import analyze_dir

    problems = [] if args.directory.is_dir() else [
        Problem(str(args.directory), "", "not a folder (give a sweep's --out folder)")]
    try:
        a.refuse(problems)
        with store.locked(args.directory) if (args.directory / store.MANIFEST).is_file() \
                else _nothing():
            analysis = analyze_dir(args.directory)
            store.record_written(args.directory, [*analysis.files, analysis.report])
    except InputError as exc:
        return _print_problems(exc)
    if not args.quiet:
        print(f"wrote {analysis.report} and {len(analysis.files)} files under "
              f"{analysis.report.parent / 'analysis'}; {analysis.excluded} failed runs excluded",
              file=sys.stderr)
    return EXIT_OK


@contextmanager
def _nothing():
    yield


@contextmanager
def quiet_children(opening):
    """Enter ``opening`` (which may start local worker processes) with Ctrl-C
    ignored, so that the processes it starts inherit SIGINT ignored: Ctrl-C in
    the terminal then stops the driver alone, which records the interruption
    and closes the cluster, instead of every worker printing a traceback.
    SIGTERM during start-up is held until the cluster is up, then acted on."""
    terms: list[int] = []
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    previous_term = signal.signal(signal.SIGTERM, lambda signum, frame: terms.append(signum))
    try:
        value = opening.__enter__()
    finally:
        signal.signal(signal.SIGINT, previous)
        signal.signal(signal.SIGTERM, previous_term)
    try:
        if terms:  # SIGTERM during start-up: stop now that the cluster can close cleanly
            raise a.Terminated()
        yield value
    except BaseException:
        if not opening.__exit__(*sys.exc_info()):
            raise
    else:
        opening.__exit__(None, None, None)


def main(argv: list[str] | None = None) -> int:
    """``python -m experiments sweep|analyze ...`` (same commands as ``wengang``)."""
    parser = a.Parser(prog="python -m experiments")
    sub = parser.add_subparsers(dest="command", required=True)
    register_sweep(sub)
    register_analyze(sub)
    args = parser.parse_args(argv)
    with a.sigterm_as_interrupt():
        try:
            return args.func(args)
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED
