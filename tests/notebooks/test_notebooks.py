"""The notebooks run top to bottom, at a small scale, and are stored stripped.

Each notebook is executed with nbclient in a kernel started from this
interpreter (a kernelspec written to a temporary folder, so a fresh
``python -m venv .venv && .venv/bin/pip install -e .[dev]`` is enough), with
``WENGANG_SCALE=0.02`` and short horizons.  The stored-output policy is
*stripped*: ``python notebooks/strip.py`` removes outputs, and a test fails if
a committed notebook has any.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import require

# Under CI a missing notebooks extra fails these tests; elsewhere they skip.
nbformat = require("nbformat", "pip install -e .[notebooks]")
nbclient = require("nbclient", "pip install -e .[notebooks]")
require("ipykernel", "pip install -e .[notebooks]")

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
NAMES = ("01_baseline.ipynb", "02_policy_comparison.ipynb", "03_sensitivity.ipynb", "04_decisions.ipynb")
SMALL = {"WENGANG_SCALE": "0.02", "WENGANG_MONTHS": "24", "WENGANG_REPLICATIONS": "2", "WENGANG_SEED": "1"}


def _strip_module():
    spec = importlib.util.spec_from_file_location("notebooks_strip", NOTEBOOKS / "strip.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------ policy
def test_the_three_notebooks_exist():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_stored_stripped(name):
    strip = _strip_module()
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    assert strip.problems(nb) == [], f"{name} is stored with outputs: run `python notebooks/strip.py`"


def test_strip_removes_what_a_run_adds(tmp_path):
    strip = _strip_module()
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                                            "language_info": {"name": "python", "version": "3.12.1"}, "widgets": {}})
    cell = nbformat.v4.new_code_cell("1 + 1", execution_count=3, metadata={"execution": {"iopub.status.idle": "now"}})
    cell.outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=3)]
    nb.cells = [nbformat.v4.new_markdown_cell("# title"), cell]
    path = tmp_path / "run.ipynb"
    nbformat.write(nb, path)
    assert strip.main(["--check", str(path)]) == 1
    assert len(strip.problems(nbformat.read(path, as_version=4))) == 5
    assert strip.main([str(path)]) == 0
    stripped = nbformat.read(path, as_version=4)
    assert strip.problems(stripped) == []
    assert stripped.cells[1].source == "1 + 1" and stripped.cells[0].source == "# title"
    before = path.read_text()
    assert strip.main([str(path)]) == 0 and path.read_text() == before, "stripping is idempotent"


# --------------------------------------------------------------- execution
@pytest.fixture(scope="module")
def kernel_dir(tmp_path_factory):
    """A kernelspec that starts ipykernel with this interpreter."""
    root = tmp_path_factory.mktemp("kernels")
    spec = root / "wengang-test"
    spec.mkdir()
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "wengang (test)", "language": "python"}))
    return root


def execute(name: str, kernel_dir: Path, env: dict[str, str], monkeypatch, tmp_path):
    """Run a notebook top to bottom; return the executed notebook and its text output."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    for key in ("WENGANG_SCALE", "WENGANG_MONTHS", "WENGANG_REPLICATIONS", "WENGANG_SEED", "WENGANG_SWEEP_DIR", "WENGANG_OPTIMIZE_DIR"):
        monkeypatch.delenv(key, raising=False)
    for key, value in {**SMALL, **env, "TMPDIR": str(tmp_path), "MPLBACKEND": "Agg"}.items():
        monkeypatch.setenv(key, value)
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    km = KernelManager(kernel_name="wengang-test", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernel_dir)]))
    client = nbclient.NotebookClient(nb, km=km, timeout=600, resources={"metadata": {"path": str(NOTEBOOKS)}})
    try:
        client.execute()
    finally:
        nbformat.write(nb, tmp_path / name)  # the executed copy, for a failing test's reader
    text = []
    images = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                text.append(output.text)
            data = output.get("data", {})
            images += "image/png" in data
            text.append(data.get("text/plain", "") + data.get("text/markdown", ""))
    return nb, "\n".join(text), images


@pytest.mark.slow
def test_01_baseline_runs(kernel_dir, monkeypatch, tmp_path):
    nb, text, images = execute("01_baseline.ipynb", kernel_dir, {}, monkeypatch, tmp_path)
    assert images >= 4, "employment, zero-employment, income and county figures"
    assert "is no longer zero-employment" in text or "is still zero-employment" in text
    assert "24 months simulated" in text
    assert "zero_employment_households_end" in text


@pytest.mark.slow
def test_02_policy_comparison_runs(kernel_dir, monkeypatch, tmp_path):
    nb, text, images = execute("02_policy_comparison.ipynb", kernel_dir, {}, monkeypatch, tmp_path)
    assert images >= 2
    runs = len(list((ROOT / "scenarios").glob("*.yaml"))) * int(SMALL["WENGANG_REPLICATIONS"])
    assert f"{runs} runs" in text
    for scenario in ("Monitoring off", "No public posts", "Park job growth doubled"):
        assert scenario in text
    assert "yuan per household-month avoided" in text


@pytest.mark.slow
def test_03_sensitivity_runs_the_quick_study_when_given_none(kernel_dir, monkeypatch, tmp_path):
    assert (ROOT / "experiments" / "specs" / "quick.yaml").exists()
    nb, text, images = execute("03_sensitivity.ipynb", kernel_dir, {}, monkeypatch, tmp_path)
    assert "wengang-quick-" in text, "the notebook ran quick.yaml into a temporary folder"
    assert "largest ST" in text, "Sobol indices were read"
    assert "replications per point" in text
    assert images >= 2


@pytest.mark.slow
def test_04_decisions_compares_two_reforms_and_reads_a_pareto_set(kernel_dir, monkeypatch, tmp_path):
    nb, text, images = execute("04_decisions.ipynb", kernel_dir, {}, monkeypatch, tmp_path)
    assert images >= 2, "the paths and the trade-off figures"
    for scenario in ("park_growth_doubled", "clearing_budget_tripled"):
        assert f"{scenario}: paired difference in zero-employment household-months" in text
    assert "Pareto set: " in text and "candidates are not beaten" in text
    assert "Cheapest candidate meeting the zero rule" in text or "No candidate meets the zero rule" in text


TINY_MORRIS = """
name: tiny_morris
description: Test-sized Morris screening that also separates points that keep zero at zero.
model: model:simulate
scenario: {scenario}
sampler: morris
samples: 4
morris_levels: 4
replications: 1
seed: 11
scale: 0.01
months: 14
parameters:
  levers.public_posts.village_posts_per_village: {{min: 0, max: 20}}
  levers.monitoring.coverage: {{min: 0, max: 1}}
  levers.public_posts.clearing_budget_yuan_per_year: {{min: 0, max: 1200000000}}
  uncertainties.demand_shock.size: {{min: 0, max: 0.4}}
outcomes:
  - employed_end
  - zero_employment_household_months
  - fiscal_cost_total_yuan
"""


@pytest.mark.slow
def test_03_sensitivity_reads_morris_prim_and_costs_from_a_given_sweep(kernel_dir, monkeypatch, tmp_path):
    spec = tmp_path / "tiny_morris.yaml"
    spec.write_text(TINY_MORRIS.format(scenario=ROOT / "scenarios" / "baoji_baseline.yaml"))
    out = tmp_path / "sweep"
    for args in (["sweep", str(spec), "--out", str(out), "--workers", "2", "--quiet"], ["analyze", str(out), "--quiet"]):
        done = subprocess.run([sys.executable, "-m", "model.cli", *args], cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
    nb, text, images = execute("03_sensitivity.ipynb", kernel_dir, {"WENGANG_SWEEP_DIR": str(out)}, monkeypatch, tmp_path)
    assert "wengang-quick-" not in text, "a given sweep is read, not replaced by the quick study"
    assert "by mu*" in text, "Morris effects were read"
    if (out / "analysis" / "prim_boxes.csv").exists():
        assert "box 1" in text, "PRIM boxes were read"
    else:
        assert "No PRIM boxes" in text
    assert "points keep zero at zero" in text
    assert images >= 3

