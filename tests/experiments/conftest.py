"""Fixtures for the experiment machinery: spec files, free ports, processes.

Tests here run the machinery on the known-answer functions of
``experiments.testfunctions``; only tests marked ``needs_model`` (through the
``real_model`` fixture) run the Wengang model itself.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from ..conftest import need, require

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "experiments" / "specs"
BASELINE = ROOT / "scenarios" / "baoji_baseline.yaml"
VENV_BIN = Path(sys.executable).parent
PROCESS_STOP_S = 10


def write_spec(directory: Path, name: str = "spec", **fields) -> Path:
    """Write an experiment file: a small noisy-linear study, with ``fields`` on top."""
    data = {
        "name": name,
        "model": "experiments.testfunctions:noisy_linear",
        "sampler": "latin",
        "samples": 20,
        "replications": 2,
        "seed": 11,
        "parameters": {"x1": {"min": 0, "max": 1}, "x2": {"min": 0, "max": 1}},
        "outcomes": ["y", "zero_count", "cost"],
        "analysis": {"zero_outcome": "zero_count", "cost_outcome": "cost"},
    }
    data.update(fields)
    path = Path(directory) / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def cli(*args: str) -> list[str]:
    """The command line for ``wengang ARGS`` (``python -m experiments`` if not installed)."""
    exe = VENV_BIN / "wengang"
    return [str(exe), *args] if exe.exists() else [sys.executable, "-m", "experiments", *args]


def subprocess_env() -> dict[str, str]:
    """Environment for child processes: the repository importable, plain output."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float, what: str, interval: float = 0.1):
    """Poll ``predicate`` until it returns something truthy, or fail the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


class Processes:
    """Processes a test starts, each in its own session; all killed at teardown."""

    def __init__(self):
        self.started: list[subprocess.Popen] = []

    def start(self, args: list[str], **kwargs) -> subprocess.Popen:
        proc = subprocess.Popen(args, cwd=ROOT, env=subprocess_env(), start_new_session=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                **kwargs)
        self.started.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in self.started:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the group this test started
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=PROCESS_STOP_S)
            except subprocess.TimeoutExpired:
                pass
            if proc.stdout:
                proc.stdout.close()


@pytest.fixture
def processes():
    procs = Processes()
    yield procs
    procs.stop_all()


@pytest.fixture(scope="session")
def real_model():
    """The Wengang model's ``simulate``; skips when the model is not there (fails under CI)."""
    model = require("model", "pip install -e . from the repository root")
    need(hasattr(model, "simulate") and BASELINE.exists(),
         "the Wengang model (model.simulate, scenarios/) is not available", "run from a full checkout")
    return model.simulate
