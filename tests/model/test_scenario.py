"""Scenario loading and the `wengang validate` error contract on malformed files."""

import re
import subprocess
import sys

import pytest

from model import load_scenario
from model.cli import main
from model.validation import InputError

from ..conftest import BASELINE, SCENARIOS

BASE = f"extends: {BASELINE}\n"

MALFORMED = {
    "syntax": ("levers: [unclosed\n", "", "YAML syntax error"),
    "unknown_key": (BASE + "levers:\n  training:\n    daily_alowance_yuan: 80\n", "levers.training.daily_alowance_yuan", "did you mean 'daily_allowance_yuan'"),
    "unknown_section": (BASE + "leverz:\n  training: {}\n", "leverz", "did you mean 'levers'"),
    "wrong_type": (BASE + "levers:\n  training:\n    fee_waiver: maybe\n", "levers.training.fee_waiver", "valid boolean"),
    "out_of_range": (BASE + "levers:\n  monitoring:\n    coverage: 1.5\n", "levers.monitoring.coverage", "less than or equal to 1"),
    "negative": (BASE + "levers:\n  public_posts:\n    village_posts_per_village: -1\n", "levers.public_posts.village_posts_per_village", "greater than or equal to 0"),
    "age_window": (BASE + "levers:\n  training:\n    age_min: 50\n    age_max: 45\n", "levers.training", "age_min (50) must not exceed age_max (45)"),
    "python_tag": ("levers: !!python/object/apply:os.system ['echo pwned']\n", "line 1", "unsafe or unknown YAML tag"),
    "not_a_mapping": ("- just\n- a list\n", "<top>", "top level must be a mapping"),
    "empty": ("", "<top>", "file is empty"),
    "duplicate_key": (BASE + "name: a\nname: b\n", "line", "duplicate key 'name'"),
    "bad_choice": (BASE + "levers:\n  public_posts:\n    priority: richest_first\n", "levers.public_posts.priority", "zero_employment_first"),
    "missing_base": ("extends: nowhere.yaml\n", "extends", "base file not found"),
    "warmup": (BASE + "run:\n  warmup_months: 60\n", "run", "warmup_months (60) must be below months (60)"),
    "shares": (BASE + "population:\n  capacity_shares:\n    full: 0.9\n", "population", "capacity_shares must sum to 1"),
    "unit_mismatch": (BASE + "levers:\n  training:\n    daily_allowance_yuan: {value: 50, unit: yuan/month, source: case}\n", "levers.training.daily_allowance_yuan", "does not match the schema's 'yuan/day'"),
    "bad_source": (BASE + "levers:\n  training:\n    daily_allowance_yuan: {value: 50, unit: yuan/day, source: hearsay}\n", "levers.training.daily_allowance_yuan", "source must start with"),
    "incomplete_root": ("name: x\nrun: {months: 5}\n", "population", "required key is missing"),
    "wrong_list_item": (BASE + "uncertainties:\n  demand_shock:\n    sectors: [industrial_park, steel_mills]\n", "uncertainties.demand_shock.sectors", "industrial_park"),
}


def _validate(path, capsys):
    code = main(["validate", str(path)])
    out = capsys.readouterr().out
    return code, [line for line in out.splitlines() if line]


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_file_is_rejected_as_the_contract_says(case, tmp_path, capsys):
    text, where, what = MALFORMED[case]
    path = tmp_path / f"{case}.yaml"
    path.write_text(text, encoding="utf-8")
    code, lines = _validate(path, capsys)
    assert code == 2
    assert lines, "at least one problem line"
    for line in lines:
        assert line.startswith(f"{path}: ") or line.startswith(str(BASELINE)), line
        assert re.match(r"^[^:]+: [^:]*: .+", line), line
        assert "Traceback" not in line
    assert any(where in line and what in line for line in lines), lines


def test_missing_file(tmp_path, capsys):
    code, lines = _validate(tmp_path / "absent.yaml", capsys)
    assert code == 2 and lines == [f"{tmp_path / 'absent.yaml'}: <top>: file not found"]


def test_circular_extends(tmp_path, capsys):
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n")
    code, lines = _validate(tmp_path / "a.yaml", capsys)
    assert code == 2 and any("circular extends" in line for line in lines)


def test_all_shipped_scenarios_are_valid(capsys):
    files = sorted(SCENARIOS.glob("*.yaml"))
    assert len(files) >= 6
    code = main(["validate", *map(str, files)])
    assert code == 0, capsys.readouterr().out


def test_no_traceback_from_the_command_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("levers: !!python/object/apply:os.system ['echo pwned']\n")
    proc = subprocess.run([sys.executable, "-m", "model.cli", "validate", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "pwned" not in proc.stdout + proc.stderr


def test_baseline_documents_every_parameter(baseline):
    from model.scenario import SCHEMA_LEAVES

    for path in SCHEMA_LEAVES:
        if path in ("name", "description"):
            continue
        assert "source" in baseline.meta[path], path


def test_variants_override_without_copying():
    for name in ("no_public_posts", "no_training_allowance", "park_growth_doubled", "demand_shock", "monitoring_off"):
        text = (SCENARIOS / f"{name}.yaml").read_text()
        assert text.count("\n") < 30 and "extends:" in text
        load_scenario(SCENARIOS / f"{name}.yaml")


def test_override_validation_and_suggestion(baseline):
    with pytest.raises(InputError) as err:
        baseline.with_overrides({"levers.training.daily_alowance_yuan": 1})
    assert "did you mean 'levers.training.daily_allowance_yuan'" in str(err.value)
    assert baseline.with_overrides({"levers__training__age_max": 40}).get("levers.training.age_max") == 40
