"""Every input refused cleanly (issue 11): `wengang run`, `validate` and `app`.

Each refusal exits 2 with one line, ``--flag: message`` or
``FILE: key.path: message``, no traceback, and no output folder left behind.
The command runs in this process (``model.cli.main``), so an uncaught
exception fails the test as a traceback would; a few cases also go through a
real process.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from model.cli import main

from ..conftest import BASELINE, require

SMALL = ["--scale", "0.02", "--months", "14"]
#: Seconds a refused command may take in a real process (a hang fails the test).
REFUSAL_S = 60


def refused(argv: list, capsys) -> str:
    """Run ``wengang ARGV``; assert exit 2 with one line and no traceback; return the line."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    captured = capsys.readouterr()
    lines = (captured.out + captured.err).strip().splitlines()
    assert code == 2, lines
    assert len(lines) == 1, lines
    assert "Traceback" not in lines[0]
    return lines[0]


def real_process(*argv) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "model.cli", *map(str, argv)],
                          capture_output=True, text=True, timeout=REFUSAL_S)


# ------------------------------------------------------------------ run flags
@pytest.mark.parametrize("argv, line", [
    (["--scale", "nan", "--months", "14"], "--scale: must be a share of villages in (0, 1], not nan"),
    (["--scale", "inf"], "--scale: must be a share of villages in (0, 1], not inf"),
    (["--scale", "1.5"], "--scale: must be a share of villages in (0, 1], not 1.5"),
    (["--seed", "-1"], "--seed: must be an integer from 0 to 2**63-1, not -1"),
    (["--seed", str(2**64)], "--seed: must be an integer from 0 to 2**63-1"),
    (["--seed", "abc"], "--seed: invalid int value: 'abc'"),
    (["--months", "0"], "--months: must be a whole number of at least 1 and at most 600, not 0"),
    (["--months", "601"], "--months: must be a whole number of at least 1 and at most 600"),
    (["--scale", "1e-9"], "--scale: 1e-09 is below the smallest sample, one village per county"),
    (["--set", "levers.training.daily_alowance_yuan=80"],
     "--set: levers.training.daily_alowance_yuan: unknown parameter; did you mean "
     "'levers.training.daily_allowance_yuan'?"),
    (["--set", "levers.training=1"], "--set: levers.training: a section, not a parameter"),
    (["--set", "novalue"], "--set: expected key.path=value, not 'novalue'"),
    (["--set", "levers.training.daily_allowance_yuan=.nan"],
     "--set: levers.training.daily_allowance_yuan: Input should be less than or equal to"),
    (["--bogus"], "--bogus: unrecognized argument"),
])
def test_a_bad_run_flag_is_one_line_and_leaves_no_folder(argv, line, tmp_path, capsys):
    out = tmp_path / "out"
    got = refused(["run", BASELINE, "--out", out, *argv], capsys)
    assert got.startswith(line), got
    assert not out.exists()


def test_scale_nan_through_a_real_process(tmp_path):
    out = tmp_path / "out"
    done = real_process("run", BASELINE, "--scale", "nan", "--months", 14, "--out", out)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == ["--scale: must be a share of villages in (0, 1], not nan"]
    assert not out.exists()


def test_out_naming_an_existing_file(tmp_path, capsys):
    target = tmp_path / "a_file"
    target.write_text("mine")
    assert refused(["run", BASELINE, "--out", target], capsys) == f"--out: {target} exists and is not a folder"
    nested = target / "below"
    assert refused(["run", BASELINE, "--out", nested], capsys) == f"--out: {nested}: {target} is a file, not a folder"
    assert target.read_text() == "mine"


def test_months_below_the_warm_up_names_the_fix_and_the_fix_runs(tmp_path, capsys):
    out = tmp_path / "out"
    line = refused(["run", BASELINE, "--out", out, "--scale", "0.02", "--months", "2"], capsys)
    assert line == ("--months: 2 month(s) leave no month after the warm-up of 12 (run.warmup_months), "
                    "so no metric could be measured; add --set run.warmup_months=1, or ask for "
                    "--months 13 or more")
    assert not out.exists()
    assert main(["run", str(BASELINE), "--out", str(out), "--scale", "0.02", "--months", "2",
                 "--set", "run.warmup_months=1"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["months_after_warmup"] == 1


def test_simulate_refuses_a_short_run_the_same_way():
    from model import InputError, simulate

    with pytest.raises(InputError) as info:
        simulate(scale=0.02, months=5)
    assert str(info.value) == ("simulate: months: 5 month(s) leave no month after the warm-up of 12 "
                               "(run.warmup_months), so no metric could be measured; pass "
                               "run__warmup_months=4 as well, or months=13 or more")
    assert simulate(scale=0.02, months=5, run__warmup_months=4)["months_after_warmup"] == 1


def test_a_value_beyond_its_documented_range_runs_with_one_warning(tmp_path, capsys):
    code = main(["run", str(BASELINE), "--out", str(tmp_path / "out"), *SMALL,
                 "--set", "levers.training.daily_allowance_yuan=400"])
    err = capsys.readouterr().err.splitlines()
    assert code == 0
    assert err == ["warning: levers.training.daily_allowance_yuan = 400 lies outside its documented "
                   "plausible range [0, 150]; running it anyway"]


# ------------------------------------------------------------------ files
def scenario_file(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_extends_through_a_symlink_loop(tmp_path, capsys):
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    path = scenario_file(tmp_path, "extends: a.yaml\n")
    line = refused(["validate", path], capsys)
    assert line == f"{path}: extends: {tmp_path / 'a.yaml'}: cannot read: symlink loop"
    out = tmp_path / "out"
    assert refused(["run", path, "--out", out], capsys) == line and not out.exists()
    assert refused(["validate", tmp_path / "a.yaml"], capsys).endswith("<top>: cannot read: symlink loop")


def test_extends_dev_zero_is_refused_without_reading_it(tmp_path):
    path = scenario_file(tmp_path, "extends: /dev/zero\n")
    done = real_process("validate", path)  # a hang would time out
    assert done.returncode == 2
    assert done.stdout.splitlines() == [f"{path}: extends: /dev/zero: not a regular file "
                                        "(a device, FIFO or socket)"]


def test_a_fifo_is_not_opened(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    done = real_process("validate", fifo)  # opening it would block: a hang times out
    assert done.returncode == 2
    assert done.stdout.splitlines() == [f"{fifo}: <top>: not a regular file (a device, FIFO or socket)"]


def test_a_file_over_the_limit(tmp_path, capsys):
    from model.validation import MAX_FILE_BYTES

    path = scenario_file(tmp_path, "# " + "x" * MAX_FILE_BYTES + "\n")
    line = refused(["validate", path], capsys)
    assert line.startswith(f"{path}: <top>: file is ") and line.endswith(f"the limit is {MAX_FILE_BYTES:,}")


def test_yaml_aliases_are_refused_so_a_bomb_cannot_grow(tmp_path, capsys):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    path = scenario_file(tmp_path, "\n".join(lines) + "\n")  # 10**9 strings if expanded
    line = refused(["validate", path], capsys)
    assert line.startswith(f"{path}: line 1: YAML anchors and aliases (&name, *name) are not allowed")


@pytest.mark.parametrize("text, where, message", [
    ("population:\n  people_total: 1.0e+30\n", "population.people_total", "exceeded maximum size"),
    ("population:\n  people_total: 1.0e+12\n", "population.people_total", "less than or equal to 10000000"),
    ("sectors:\n  industrial_park:\n    establishments: 1000000000\n",
     "sectors.industrial_park.establishments", "less than or equal to 100000"),
    ("behaviour:\n  training:\n    college_trades: []\n", "behaviour.training.college_trades", "at least 1 item"),
    ("run:\n  start: '2020-13'\n", "run.start", "YYYY-MM"),
    ("run:\n  months: .inf\n", "run.months", ""),
    ("levers:\n  training:\n    mid_term_seats_per_year: .nan\n",
     "levers.training.mid_term_seats_per_year", ""),
])
def test_values_validate_accepted_but_runs_crashed_on_are_refused(text, where, message, tmp_path, capsys):
    path = scenario_file(tmp_path, f"extends: {BASELINE}\n{text}")
    line = refused(["validate", path], capsys)
    assert line.startswith(f"{path}: {where}: ") and message in line, line
    out = tmp_path / "out"
    assert refused(["run", path, "--out", out], capsys) == line and not out.exists()


# ------------------------------------------------------------------ outputs
def strict_loads(text: str):
    def refuse(name):
        raise ValueError(f"not strict JSON: {name}")
    return json.loads(text, parse_constant=refuse)


def test_summary_json_is_strict_with_training_off(tmp_path):
    out = tmp_path / "out"
    assert main(["run", str(BASELINE), "--out", str(out), *SMALL,
                 "--set", "levers.training.mid_term_seats_per_year=0"]) == 0
    summary = strict_loads((out / "summary.json").read_text())
    assert summary["training_placement_rate"] is None  # undefined: no graduate was measured
    assert summary["employed_end"] > 0
    assert sorted(p.name for p in out.iterdir()) == summary["provenance"]["files"]


def test_force_replaces_only_an_earlier_run(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(BASELINE), "--out", str(out), *SMALL]) == 0
    capsys.readouterr()
    assert main(["run", str(BASELINE), "--out", str(out), *SMALL, "--seed", "1", "--force"]) == 0
    capsys.readouterr()
    assert json.loads((out / "summary.json").read_text())["provenance"]["seed"] == 1
    (out / "notes.txt").write_text("mine")
    line = refused(["run", BASELINE, "--out", out, *SMALL, "--force"], capsys)
    assert line.startswith(f"--out: {out} holds files this command did not write (notes.txt)")
    assert (out / "notes.txt").read_text() == "mine"


def complete(out: Path) -> bool:
    summary = json.loads((out / "summary.json").read_text())
    return sorted(p.name for p in out.iterdir()) == summary["provenance"]["files"]


def test_kill_9_at_a_random_moment_leaves_no_partial_folder(tmp_path):
    argv = [sys.executable, "-m", "model.cli", "run", str(BASELINE), *SMALL]
    started = time.monotonic()
    subprocess.run([*argv, "--out", str(tmp_path / "timing")], check=True, capture_output=True)
    whole = time.monotonic() - started
    rng = random.Random()
    for attempt in range(3):
        out = tmp_path / f"out{attempt}"
        proc = subprocess.Popen([*argv, "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, 1.1) * whole)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert not out.exists() or complete(out), sorted(p.name for p in out.iterdir())
        # the next run clears what the killed one left beside it, and succeeds
        subprocess.run([*argv, "--out", str(out), "--force"], check=True, capture_output=True)
        assert complete(out)
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(f".out{attempt}")] == []


# ------------------------------------------------------------------ app
def test_app_flags(capsys):
    assert refused(["app", "--port", "0"], capsys).startswith("--port: must be a whole number of at least 1")
    assert refused(["app", "--host", "bad host"], capsys) == "--host: not a host name or address: 'bad host'"


def test_sigterm_to_wengang_app_stops_its_child(monkeypatch, capsys):
    """The server is a child process: SIGTERM to ``wengang app`` must stop it too."""
    import threading

    from model import cli

    monkeypatch.setattr(cli, "app_command", lambda host, port: [sys.executable, "-c", "import time; time.sleep(120)"])
    started = []
    popen = subprocess.Popen

    def record(*args, **kwargs):
        started.append(popen(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(subprocess, "Popen", record)

    def terminate_when_started():
        deadline = time.monotonic() + 30
        while not started and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=terminate_when_started, daemon=True).start()
    assert main(["app", "--port", "8999"]) == 130
    assert capsys.readouterr().err.strip() == "wengang: interrupted"
    child = started[0]
    try:
        assert child.poll() is not None, "the server outlived wengang app"
    finally:
        child.kill()


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.slow
def test_sigterm_to_the_app_stops_its_server():
    import psutil

    require("solara", "pip install -e .[app]")  # skips on a laptop without it, fails under CI
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "model.cli", "app", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not _listening(port):
            assert proc.poll() is None and time.monotonic() < deadline, "the app did not start"
            time.sleep(0.5)
        children = psutil.Process(proc.pid).children(recursive=True)
        assert children
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        gone, alive = psutil.wait_procs(children, timeout=30)
        assert not alive and not _listening(port)
    finally:
        os.killpg(proc.pid, signal.SIGKILL) if proc.poll() is None else None


def test_a_short_run_set_through_set_is_refused_the_same_way(tmp_path, capsys):
    out = tmp_path / "out"
    line = refused(["run", BASELINE, "--out", out, "--set", "run.months=2"], capsys)
    assert line.startswith("--set run.months: 2 month(s) leave no month after the warm-up of 12")
    assert line.endswith("add --set run.warmup_months=1, or ask for --months 13 or more")
    assert not out.exists()
