"""Experiment files: schema, error contract, hashing, the shipped specs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from experiments.spec import ExperimentSpec, is_experiment, load_spec, validate_file
from model.validation import InputError

from .conftest import BASELINE, SPECS, write_spec

PI = 3.141592653589793


def problems_of(path: Path) -> list[str]:
    with pytest.raises(InputError) as info:
        load_spec(path)
    return [str(p) for p in info.value.problems]


def test_minimal_spec_loads_with_defaults(tmp_path):
    spec = load_spec(write_spec(tmp_path))
    assert spec.sampler == "latin" and spec.design_size == 20
    assert spec.parameters["x1"].type == "real"
    assert spec.analysis.conf_level == 0.95
    assert spec.base_dir == tmp_path.resolve()


@pytest.mark.parametrize("fields, size", [
    ({"sampler": "sobol", "samples": 8}, 8 * (2 + 2)),
    ({"sampler": "sobol", "samples": 8, "second_order": True}, 8 * (2 * 2 + 2)),
    ({"sampler": "morris", "samples": 5}, 5 * (2 + 1)),
    ({"sampler": "fast", "samples": 65}, 65 * 2),
    ({"sampler": "full_factorial", "samples": 3}, 3 * 3),
])
def test_design_size_per_sampler(tmp_path, fields, size):
    assert load_spec(write_spec(tmp_path, **fields)).design_size == size


def test_full_factorial_counts_discrete_levels(tmp_path):
    params = {"n": {"type": "integer", "min": 0, "max": 2}, "b": {"type": "boolean"},
              "c": {"values": ["a", "b", "c"]}, "x1": {"min": 0, "max": 1}}
    spec = load_spec(write_spec(tmp_path, sampler="full_factorial", samples=5, parameters=params,
                                model="experiments.testfunctions:busy"), check_model=False)
    assert spec.design_size == 3 * 2 * 3 * 5


def test_unknown_keys_suggest_the_nearest(tmp_path):
    path = write_spec(tmp_path, paramters={}, replications=0)
    data = yaml.safe_load(path.read_text())
    data["parameters"]["x1"]["mx"] = 1
    path.write_text(yaml.safe_dump(data))
    found = problems_of(path)
    assert any("paramters: unknown key; did you mean 'parameters'?" in p for p in found)
    assert any("parameters.x1.mx: unknown key; did you mean 'max'?" in p for p in found)
    assert any("replications" in p and "greater than or equal to 1" in p for p in found)
    assert all(p.startswith(str(path)) for p in found)


@pytest.mark.parametrize("fields, message", [
    ({"sampler": "sobol", "samples": 60}, "power of 2 (e.g. 64)"),
    ({"sampler": "morris", "morris_levels": 5}, "'morris_levels' must be even"),
    ({"sampler": "fast", "samples": 64}, "fast needs 'samples' above 64"),
    ({"second_order": True}, "'second_order' applies to the sobol sampler only"),
    ({"parameters": {"x1": {"min": 0, "max": 1, "group": "g"}, "x2": {"min": 0, "max": 1}}},
     "parameter groups need sampler sobol or morris"),
    ({"model": "no colon here"}, "'model' must be module:function"),
    ({"outcomes": ["y", "y"]}, "lists a name twice"),
    ({"parameters": {"seed": {"min": 0, "max": 1}}}, "reserved result columns"),
])
def test_sampler_rules(tmp_path, fields, message):
    found = problems_of(write_spec(tmp_path, **fields))
    assert any(message in p for p in found), found


@pytest.mark.parametrize("param, message", [
    ({"min": 1, "max": 1}, "must be below"),
    ({"type": "integer", "min": 0.5, "max": 3}, "whole-number"),
    ({"type": "boolean", "min": 0}, "takes no 'min'/'max'"),
    ({"values": ["a"]}, "at least two"),
    ({"values": ["a", 1]}, "all strings or all numbers"),
    ({"values": ["a", "a"]}, "distinct"),
    ({"min": 0}, "needs both 'min' and 'max'"),
])
def test_parameter_rules(tmp_path, param, message):
    found = problems_of(write_spec(tmp_path, parameters={"x1": param, "x2": {"min": 0, "max": 1}}))
    assert any(message in p and "parameters.x1" in p for p in found), found


def test_model_import_and_signature_are_checked(tmp_path):
    path = write_spec(tmp_path, model="experiments.nowhere:run")
    with pytest.raises(InputError) as info:
        load_spec(path, allow_models=("experiments.nowhere",))
    assert any("model: cannot import 'experiments.nowhere:run'" in str(p)
               for p in info.value.problems)
    found = problems_of(write_spec(tmp_path, model="experiments.testfunctions:ishigami",
                                   parameters={"x1": {"min": 0, "max": 1},
                                               "x4": {"min": 0, "max": 1}}, scale=0.1))
    assert any("parameters.x4" in p and "takes no argument 'x4'" in p for p in found)
    assert any("scale:" in p and "takes no 'scale' argument" in p for p in found)


def test_scenario_must_exist_relative_to_the_spec(tmp_path):
    found = problems_of(write_spec(tmp_path, scenario="missing.yaml"))
    assert any("scenario: file not found" in p for p in found)


def test_validate_file_contract(tmp_path):
    path = write_spec(tmp_path)
    assert validate_file(path, yaml.safe_load(path.read_text())) == []
    assert validate_file(path, {"name": "a scenario", "levers": {}}) is None
    bad = validate_file(path, {"sampler": "sobol"})
    assert bad and all(str(p).startswith(str(path)) for p in bad)
    assert is_experiment({"parameters": {}}) and not is_experiment({"run": {}})


def test_hash_covers_runs_but_not_analysis(tmp_path):
    base = load_spec(write_spec(tmp_path, name="a")).spec_hash()
    renamed = load_spec(write_spec(tmp_path, name="b", description="text")).spec_hash()
    tuned = load_spec(write_spec(tmp_path, name="c", analysis={"conf_level": 0.9})).spec_hash()
    bigger = load_spec(write_spec(tmp_path, name="d", samples=21)).spec_hash()
    reseeded = load_spec(write_spec(tmp_path, name="e", seed=12)).spec_hash()
    assert base == renamed == tuned
    assert len({base, bigger, reseeded}) == 3


def test_hash_covers_scenario_bytes(tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text("a: 1\n")
    spec_path = write_spec(tmp_path, model="experiments.testfunctions:busy")
    data = yaml.safe_load(spec_path.read_text())
    data["scenario"] = "s.yaml"
    spec = ExperimentSpec.model_validate(data)
    spec._base_dir = tmp_path
    before, fields_before = spec.spec_hash(), spec.fields_hash()
    scenario.write_text("a: 2\n")
    assert spec.spec_hash() != before  # resume must notice an edited scenario
    assert spec.fields_hash() == fields_before  # the spec text itself did not change


@pytest.mark.parametrize("path", sorted(SPECS.glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_specs_are_valid(path, real_model):
    assert validate_file(path, yaml.safe_load(path.read_text())) == []


def test_wengang_keys_and_types_are_checked(tmp_path, real_model):
    params = {"levers.training.daily_allowence_yuan": {"min": 0, "max": 150},
              "levers.monitoring.response_delay_months": {"min": 0, "max": 3},
              "levers.public_posts.priority": {"values": ["zero_employment_first", "nobody"]}}
    found = problems_of(write_spec(tmp_path, model="model:simulate", scenario=str(BASELINE),
                                   parameters=params, outcomes=["employed_end"], scale=0.01))
    assert any("did you mean 'levers.training.daily_allowance_yuan'?" in p for p in found)
    assert any("response_delay_months" in p and "declare `type: integer`" in p for p in found)
    assert any("priority" in p and "rejects 'nobody'" in p for p in found)


def test_ishigami_check_spec_matches_function_bounds():
    spec = load_spec(SPECS / "check_ishigami.yaml")
    assert all(p.min == pytest.approx(-PI) and p.max == pytest.approx(PI)
               for p in spec.parameters.values())
