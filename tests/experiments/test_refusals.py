"""Every input refused cleanly (issue 11): experiment specs, `sweep` and `analyze`.

Refusals exit 2 with one line per problem, ``FILE: key.path: message`` or
``--flag: message``, no traceback, nothing run and no folder left behind.
Commands run in this process through ``model.cli.main`` (the ``wengang``
entry point, which finds ``sweep`` and ``analyze`` by their entry points),
except where a signal or a second process is the point.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from experiments import store
from experiments.cli import EXIT_ALL_FAILED
from model.cli import main

from ..conftest import require
from .conftest import BASELINE, cli, subprocess_env, wait_for, write_spec

HERE = "tests.experiments.test_refusals"
SWEEP_TIMEOUT_S = 300


def half_fails(x1: float, x2: float) -> dict[str, float]:
    """A model for mixed stores: fails for x1 > 0.5, and returns a metric no spec lists."""
    if x1 > 0.5:
        raise ValueError("deliberate failure")
    return {"y": x1 + x2, "unlisted": 1.0}


def wengang(argv: list, capsys) -> tuple[int, list[str]]:
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    return code, (captured.out + captured.err).strip().splitlines()


def refused(argv: list, capsys) -> list[str]:
    code, lines = wengang(argv, capsys)
    assert code == 2 and lines, lines
    assert not any("Traceback" in line for line in lines)
    return lines


def test_a_misspelt_outcome_is_refused_before_any_run(tmp_path, capsys, real_model):
    spec = write_spec(tmp_path, model="model:simulate", scenario=str(BASELINE), scale=0.02,
                      months=13, parameters={"levers.training.daily_allowance_yuan": {"min": 0, "max": 100},
                                             "levers.monitoring.coverage": {"min": 0, "max": 1}},
                      outcomes=["employd_end"], analysis={"zero_outcome": "zero_employment_households_peek"})
    lines = refused(["validate", spec], capsys)
    assert lines == [f"{spec}: outcomes.0: model:simulate has no outcome 'employd_end'; did you mean 'employed_end'?",
                     f"{spec}: analysis.zero_outcome: 'zero_employment_households_peek' is not an outcome of "
                     "model:simulate; did you mean 'zero_employment_households_peak'?"]
    out = tmp_path / "out"
    assert refused(["sweep", spec, "--out", out, "--serial"], capsys) == lines
    assert not out.exists()


def test_months_below_the_warm_up_and_a_tiny_scale_are_refused_in_a_spec(tmp_path, capsys, real_model):
    spec = write_spec(tmp_path, model="model:simulate", scenario=str(BASELINE), scale=1e-6, months=5,
                      parameters={"levers.training.daily_allowance_yuan": {"min": 0, "max": 100}},
                      outcomes=["employed_end"], analysis={})
    lines = refused(["validate", spec], capsys)
    assert lines[0].startswith(f"{spec}: months: 5 month(s) leave no month after the warm-up of 12")
    assert lines[0].endswith("set run.warmup_months to 4 in the scenario, or months: 13 or more")
    assert lines[1].startswith(f"{spec}: scale: 1e-06 is below the smallest sample")


def test_a_design_too_large_for_memory_is_refused_with_its_size(tmp_path, capsys):
    spec = write_spec(tmp_path, sampler="sobol", samples=1073741824)
    lines = refused(["validate", spec], capsys)
    assert len(lines) == 1
    assert lines[0].startswith(f"{spec}: <top>: the design has 8,589,934,592 runs (4,294,967,296 points x 2 "
                               "replications), about ") and "GiB to plan" in lines[0]
    out = tmp_path / "out"
    assert refused(["sweep", spec, "--out", out, "--serial"], capsys) == lines and not out.exists()


@pytest.mark.parametrize("mine", ["runs/notes.txt", "analysis/own_figure.png", "README.md"])
def test_force_on_a_folder_with_foreign_files_deletes_nothing(tmp_path, capsys, mine):
    spec, out = write_spec(tmp_path), tmp_path / "out"
    assert wengang(["sweep", spec, "--out", out, "--serial", "--quiet"], capsys)[0] == 0
    (out / mine).parent.mkdir(exist_ok=True)
    (out / mine).write_text("my own work")
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    lines = refused(["sweep", spec, "--out", out, "--serial", "--force"], capsys)
    assert lines == [f"{out}: <top>: --force refused: 1 file(s) here were not written by a sweep ({mine}); "
                     "move them away or choose another --out"]
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_force_after_analyze_deletes_what_analyze_wrote(tmp_path, capsys):
    spec, out = write_spec(tmp_path), tmp_path / "out"
    assert wengang(["sweep", spec, "--out", out, "--serial", "--quiet"], capsys)[0] == 0
    assert wengang(["analyze", out, "--quiet"], capsys)[0] == 0
    assert len(pd.read_parquet(out / "runs")) == 40  # readers of the folder skip the corrupt part
    assert (out / "analysis").exists()
    assert wengang(["sweep", spec, "--out", out, "--serial", "--force", "--quiet"], capsys)[0] == 0
    assert not (out / "analysis").exists() and not (out / "report.md").exists()


def test_a_second_driver_on_a_locked_store_is_refused(tmp_path, capsys):
    spec, out = write_spec(tmp_path), tmp_path / "out"
    assert wengang(["sweep", spec, "--out", out, "--serial", "--quiet"], capsys)[0] == 0
    with store.locked(out):  # as a first driver would hold it
        lines = refused(["sweep", spec, "--out", out, "--serial", "--resume"], capsys)
    assert lines == [f"{out}: <top>: another wengang process is writing this store (pid {os.getpid()} "
                     f"on {os.uname().nodename}); wait for it to finish"]
    assert len(store.read_manifest(out)["sessions"]) == 1  # no session was opened
    assert wengang(["sweep", spec, "--out", out, "--serial", "--resume", "--quiet"], capsys)[0] == 0


def test_the_lock_is_held_by_a_running_sweep(tmp_path, processes):
    spec = write_spec(tmp_path, name="busy", model="experiments.testfunctions:busy", samples=300,
                      outcomes=["y"], analysis={})
    out = tmp_path / "out"
    first = processes.start(cli("sweep", str(spec), "--out", str(out), "--serial", "--batch-size", "5", "--quiet"))
    wait_for(lambda: store.has_runs(out), SWEEP_TIMEOUT_S, "the first part")
    second = subprocess.run(cli("sweep", str(spec), "--out", str(out), "--serial", "--resume"),
                            capture_output=True, text=True, timeout=SWEEP_TIMEOUT_S, env=subprocess_env())
    assert second.returncode == 2, second.stderr
    assert "another wengang process is writing this store" in second.stderr
    assert first.wait(timeout=SWEEP_TIMEOUT_S) == 0
    runs = store.load_runs(out)
    assert runs.duplicates == 0 and len(runs.table) == 600


def test_a_name_cannot_leave_results(tmp_path, capsys, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    spec = write_spec(work, name="x")
    data = yaml.safe_load(spec.read_text())
    for name in ("../../escaped", "../x", "/tmp/x", ".hidden", "a/b"):
        data["name"] = name
        spec.write_text(yaml.safe_dump(data))
        lines = refused(["sweep", spec, "--serial"], capsys)
        assert lines == [f"{spec}: <top>: 'name' must be a plain folder name (letters, digits, '.', '-', '_'; "
                         f"no '/' or '..'), not {name!r}"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["work"]
    assert sorted(p.name for p in work.iterdir()) == ["x.yaml"]


def test_an_unregistered_model_is_refused_without_being_imported(tmp_path, capsys, monkeypatch):
    (tmp_path / "trap.py").write_text("from pathlib import Path\nPath(__file__).with_name('imported').touch()\n"
                                      "def run(command):\n    return {'y': 0.0}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    evidence = tmp_path / "ran"
    for model, module in (("trap:run", "trap"), ("os:system", "os")):
        spec = write_spec(tmp_path, name=module, model=model, sampler="latin",
                          parameters={"command": {"values": [f"touch {evidence}", "true"]}},
                          outcomes=["y"], analysis={})
        line = (f"{spec}: model: '{model}' is not a registered model (entry points 'wengang.models': ")
        for argv in (["validate", spec], ["sweep", spec, "--out", tmp_path / "out", "--serial"]):
            lines = refused(argv, capsys)
            assert len(lines) == 1 and lines[0].startswith(line), lines
            assert lines[0].endswith(f"a spec's model runs code, so allow it explicitly with --allow-model {module}")
    assert not (tmp_path / "imported").exists() and "trap" not in sys.modules
    assert not evidence.exists() and not (tmp_path / "out").exists()
    code, lines = wengang(["validate", tmp_path / "trap.yaml", "--allow-model", "trap"], capsys)
    assert (code, lines) == (0, ["1 file(s) valid"]) and (tmp_path / "imported").exists()


def test_an_all_failed_sweep_exits_non_zero_and_a_partly_failed_one_says_how_many(tmp_path, capsys):
    spec = write_spec(tmp_path, model="experiments.testfunctions:fails_where", outcomes=["y"], analysis={},
                      parameters={"x1": {"min": 0.9, "max": 1.0}, "x2": {"min": 0, "max": 1}})
    code, lines = wengang(["sweep", spec, "--out", tmp_path / "all", "--serial", "--quiet"], capsys)
    assert code == EXIT_ALL_FAILED == 3
    assert lines[0].startswith("40 runs (0 ok, 40 failed)")
    assert lines[1] == f"every run failed: see the 'error' column of {tmp_path / 'all'}/runs/*.parquet"
    spec = write_spec(tmp_path, model="experiments.testfunctions:fails_where", outcomes=["y"], analysis={})
    code, lines = wengang(["sweep", spec, "--out", tmp_path / "some", "--serial"], capsys)
    failed = len(store.load_runs(tmp_path / "some").failed)
    assert code == 0 and 0 < failed < 40
    assert lines[0].startswith(f"40 runs ({40 - failed} ok, {failed} failed)")


def test_polars_reads_a_mixed_store_and_failed_rows_hold_nulls(tmp_path, capsys):
    polars = require("polars", "pip install -e .[dev]")
    spec = write_spec(tmp_path, model=f"{HERE}:half_fails", outcomes=["y"], analysis={})
    out = tmp_path / "out"
    assert wengang(["sweep", spec, "--out", out, "--serial", "--batch-size", "3", "--quiet",
                    "--allow-model", HERE], capsys)[0] == 0
    frame = polars.read_parquet(str(out / "runs" / "*.parquet"))
    assert frame.height == 40
    failed = frame.filter(polars.col("status") == "failed")
    assert 0 < failed.height < 40
    assert failed["y"].null_count() == failed.height and failed["error"].null_count() == 0
    assert frame.filter(polars.col("status") == "ok")["error"].null_count() == 40 - failed.height
    schemas = {str(pd.read_parquet(p).dtypes.to_dict()) for p in (out / "runs").glob("*.parquet")}
    assert len(schemas) == 1


def test_a_wengang_store_has_every_declared_outcome_as_a_column(tmp_path, capsys, real_model):
    spec = write_spec(tmp_path, model="model:simulate", scenario=str(BASELINE), scale=0.011, months=13,
                      sampler="latin", samples=2, replications=1, outcomes=["employed_end"], analysis={},
                      parameters={"levers.training.daily_allowance_yuan": {"min": 0, "max": 100}})
    out = tmp_path / "out"
    assert wengang(["sweep", spec, "--out", out, "--serial", "--quiet"], capsys)[0] == 0
    columns = store.read_manifest(out)["metric_columns"]
    assert columns[0] == "employed_end" and set(columns) == set(real_model.outcome_names())
    table = store.load_runs(out).table
    assert set(columns) <= set(table.columns)


def strict_loads(text: str):
    def refuse(name):
        raise ValueError(f"not strict JSON: {name}")
    return json.loads(text, parse_constant=refuse)


def test_sigterm_is_recorded_in_the_manifest_like_ctrl_c(tmp_path, processes):
    spec = write_spec(tmp_path, name="busy", model="experiments.testfunctions:busy", samples=300,
                      outcomes=["y"], analysis={})
    out = tmp_path / "out"
    driver = processes.start(cli("sweep", str(spec), "--out", str(out), "--serial", "--batch-size", "5",
                                 "--quiet"))
    wait_for(lambda: len(list((out / "runs").glob("part-*.parquet"))) >= 5, SWEEP_TIMEOUT_S, "parts")
    driver.send_signal(signal.SIGTERM)
    assert driver.wait(timeout=SWEEP_TIMEOUT_S) == 130
    lines = driver.stdout.read().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("interrupted (SIGTERM) after "), lines
    assert lines[0].endswith(f"continue with: wengang sweep {spec} --out {out} --resume")
    session = strict_loads((out / "manifest.json").read_text())["sessions"][0]
    assert session["interrupted"] is True and session["signal"] == "SIGTERM"
    assert session["ok"] == len(store.done_pairs(out)) < 600


def test_a_corrupt_part_is_named_by_analyze_and_rerun_by_resume(tmp_path, capsys):
    spec, out = write_spec(tmp_path), tmp_path / "out"
    assert wengang(["sweep", spec, "--out", out, "--serial", "--batch-size", "4", "--quiet"], capsys)[0] == 0
    reference = store.load_runs(out).table.drop(columns=["duration_s", "worker", "session"])
    part = sorted((out / "runs").glob("part-*.parquet"))[3]
    part.write_bytes(part.read_bytes()[:-40])  # truncated, as by a full disk
    lines = refused(["analyze", out], capsys)
    assert len(lines) == 1 and lines[0].startswith(f"{part}: <top>: unreadable Parquet part (")
    assert lines[0].endswith("`wengang sweep SPEC --out DIR --resume` moves it aside and runs its rows again")
    code, lines = wengang(["sweep", spec, "--out", out, "--serial", "--resume", "--quiet"], capsys)
    assert code == 0 and lines == [f"warning: {part} is unreadable; moved aside to _{part.name}.corrupt, "
                                   "its runs run again"]
    session = store.read_manifest(out)["sessions"][1]
    assert session["submitted"] == 4 and session["corrupt_parts"] == [f"_{part.name}.corrupt"]
    again = store.load_runs(out).table.drop(columns=["duration_s", "worker", "session"])
    pd.testing.assert_frame_equal(again, reference)
    assert wengang(["analyze", out, "--quiet"], capsys)[0] == 0
    assert len(pd.read_parquet(out / "runs")) == 40  # readers of the folder skip the corrupt part


def test_a_range_beyond_the_documented_one_runs_with_one_warning_line(tmp_path, real_model):
    from experiments.modelref import range_notices
    from experiments.spec import load_spec

    params = {"levers.training.daily_allowance_yuan": {"min": 0, "max": 400},
              "levers.monitoring.coverage": {"min": 0, "max": 1}}
    spec = load_spec(write_spec(tmp_path, model="model:simulate", scenario=str(BASELINE), scale=0.02,
                                months=13, parameters=params, outcomes=["employed_end"], analysis={}))
    assert range_notices(spec) == ["warning: parameters.levers.training.daily_allowance_yuan samples "
                                   "[0, 400], beyond its documented plausible range [0, 150]"]
