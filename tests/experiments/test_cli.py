"""``wengang sweep`` and ``wengang analyze``: arguments, exit codes, messages."""

from __future__ import annotations

import argparse
import subprocess

import pytest

from experiments import store
from experiments.cli import EXIT_INPUT, EXIT_OK, register_analyze, register_sweep

from ..conftest import need, require
from .conftest import cli, subprocess_env, write_spec

CLI_TIMEOUT_S = 180


def run(*argv: str) -> int:
    """Parse like ``wengang`` does (model.cli registers through these functions)."""
    parser = argparse.ArgumentParser(prog="wengang")
    sub = parser.add_subparsers(dest="command", required=True)
    register_sweep(sub)
    register_analyze(sub)
    args = parser.parse_args(list(argv))
    return args.func(args)


def test_sweep_then_analyze(tmp_path, capsys):
    spec = write_spec(tmp_path)
    out = tmp_path / "out"
    assert run("sweep", str(spec), "--out", str(out), "--serial") == EXIT_OK
    err = capsys.readouterr().err
    assert "40 runs (40 ok, 0 failed)" in err and f"wengang analyze {out}" in err
    assert run("analyze", str(out)) == EXIT_OK
    assert "0 failed runs excluded" in capsys.readouterr().err
    assert (out / "report.md").exists()


def test_invalid_spec_exits_2_with_one_line_per_problem(tmp_path, capsys):
    spec = write_spec(tmp_path, sampler="sobl", replications=0)
    assert run("sweep", str(spec), "--out", str(tmp_path / "out"), "--serial") == EXIT_INPUT
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2 and all(line.startswith(str(spec)) for line in lines)
    assert not any("Traceback" in line for line in lines)
    assert not (tmp_path / "out").exists()


def test_existing_sweep_needs_resume_or_force(tmp_path, capsys):
    spec = write_spec(tmp_path)
    out = str(tmp_path / "out")
    assert run("sweep", str(spec), "--out", out, "--serial", "--quiet") == EXIT_OK
    assert run("sweep", str(spec), "--out", out, "--serial") == EXIT_INPUT
    assert "use --resume to complete it, or use --force" in capsys.readouterr().err
    assert run("sweep", str(spec), "--out", out, "--serial", "--resume", "--quiet") == EXIT_OK
    assert run("sweep", str(spec), "--out", out, "--serial", "--force", "--quiet") == EXIT_OK
    assert len(store.read_manifest(tmp_path / "out")["sessions"]) == 1


def test_changed_spec_cannot_resume(tmp_path, capsys):
    out = str(tmp_path / "out")
    assert run("sweep", str(write_spec(tmp_path)), "--out", out, "--serial", "--quiet") == 0
    changed = write_spec(tmp_path, samples=25)
    assert run("sweep", str(changed), "--out", out, "--serial", "--resume") == EXIT_INPUT
    assert "cannot resume: the spec has changed since this sweep started (changed: samples)" \
        in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["--retry-failed"], "--retry-failed: only with --resume"),
    (["--workers", "0"], "--workers: must be a whole number of at least 1 and at most"),
    (["--workers", "100000"], "--workers: must be a whole number of at least 1 and at most"),
    (["--batch-size", "0"], "--batch-size: must be a whole number of at least 1"),
    (["--jobs", "3"], "--jobs: only with --jobqueue"),
])
def test_bad_options_exit_2(tmp_path, capsys, argv, message):
    assert run("sweep", str(write_spec(tmp_path)), *argv, "--out", str(tmp_path / "o")) == EXIT_INPUT
    err = capsys.readouterr().err
    assert err.startswith(message) and len(err.splitlines()) == 1, err
    assert not (tmp_path / "o").exists()


def test_conflicting_options_are_refused_by_the_parser(tmp_path):
    with pytest.raises(SystemExit) as info:
        run("sweep", str(write_spec(tmp_path)), "--resume", "--force")
    assert info.value.code == 2
    with pytest.raises(SystemExit):
        run("sweep", str(write_spec(tmp_path)), "--workers", "2", "--scheduler", "tcp://x:1")


def test_analyze_of_a_plain_directory_exits_2(tmp_path, capsys):
    assert run("analyze", str(tmp_path)) == EXIT_INPUT
    assert "not a sweep directory" in capsys.readouterr().err


def test_unreachable_scheduler_is_an_environment_error(tmp_path, capsys, monkeypatch):
    from experiments import cluster

    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_S", 1)
    spec = write_spec(tmp_path)
    code = run("sweep", str(spec), "--scheduler", "tcp://127.0.0.1:9", "--quiet")
    assert code == 1 and "cannot run on Dask" in capsys.readouterr().err


@pytest.mark.slow
def test_the_command_line(tmp_path):
    """Through a real process: ``wengang`` if installed, else ``python -m experiments``."""
    spec = write_spec(tmp_path)
    out = tmp_path / "out"
    swept = subprocess.run(cli("sweep", str(spec), "--out", str(out), "--workers", "1"),
                           capture_output=True, text=True, timeout=CLI_TIMEOUT_S,
                           env=subprocess_env())
    assert swept.returncode == 0, swept.stderr
    assert "local Dask cluster of 1 worker process" in swept.stderr
    analysed = subprocess.run(cli("analyze", str(out)), capture_output=True, text=True,
                              timeout=CLI_TIMEOUT_S, env=subprocess_env())
    assert analysed.returncode == 0, analysed.stderr
    assert (out / "report.md").exists()


def test_jobqueue_cluster_from_the_example_config(tmp_path, monkeypatch):
    """The shipped experiments/jobqueue.yaml builds SLURM and PBS job scripts
    with one thread per worker (nothing is submitted: no jobs are asked for)."""
    import dask

    from experiments.cluster import jobqueue_cluster

    require("dask_jobqueue", "pip install -e .[cluster]")

    from .conftest import ROOT

    monkeypatch.chdir(tmp_path)  # dask-jobqueue creates the log directory here
    config = ROOT / "experiments" / "jobqueue.yaml"
    for kind, directive in (("slurm", "#SBATCH --cpus-per-task=16"),
                            ("pbs", "#PBS -l select=1:ncpus=16")):
        with dask.config.set({f"jobqueue.{kind}.scheduler-options":
                              {"host": "127.0.0.1", "dashboard_address": None}}):
            cluster = jobqueue_cluster(kind, 0, config)
        try:
            script = cluster.job_script()
        finally:
            cluster.close()
        assert directive in script and "--nthreads 1" in script
        assert "--nworkers 16" in script and "source .venv/bin/activate" in script
        # malloc's thresholds set before the workers start (experiments.cluster.MALLOC_ENV)
        assert "export MALLOC_TRIM_THRESHOLD_=1073741824" in script
        assert script.index("source .venv/bin/activate") < script.index("export MALLOC_MMAP_THRESHOLD_")


def test_wengang_validate_uses_the_experiment_validator(tmp_path):
    """``wengang validate`` (model.cli) finds experiment specs through the entry point."""
    from .conftest import VENV_BIN

    need((VENV_BIN / "wengang").exists(), "the wengang command is not installed", "pip install -e .")
    good, bad = write_spec(tmp_path, name="good"), write_spec(tmp_path, name="bad", samplr=1)
    done = subprocess.run(cli("validate", str(good)), capture_output=True, text=True,
                          timeout=CLI_TIMEOUT_S, env=subprocess_env())
    assert done.returncode == 0, done.stdout + done.stderr
    done = subprocess.run(cli("validate", str(bad)), capture_output=True, text=True,
                          timeout=CLI_TIMEOUT_S, env=subprocess_env())
    assert done.returncode == 2
    assert f"{bad}: samplr: unknown key; did you mean 'sampler'?" in done.stdout + done.stderr
