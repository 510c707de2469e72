"""Property-based test of experiment specs (issue 11), with Hypothesis.

Random mutations of two valid specs (a known-answer model and the Wengang
model): a key set to any value (NaN, +-inf, huge, negative, wrong type,
nested), a key deleted, a parameter added.  ``wengang validate``'s own
function either refuses the file with well-formed lines or accepts it; an
accepted spec then yields a design whose every value lies in its parameter's
range.  Never an exception of any other kind.  :data:`EXAMPLES` examples per
run, derandomized, no example database.
"""

from __future__ import annotations

import copy
import math

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from experiments.sampling import build_design
from experiments.spec import load_spec
from model.cli import validate_file

from .conftest import BASELINE

EXAMPLES = 200
PROPERTY = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
#: Accepted designs up to this many runs are also built and checked.
BUILD_RUNS = 20_000

TOY = {"name": "toy", "model": "experiments.testfunctions:noisy_linear", "sampler": "latin",
       "samples": 8, "replications": 2, "seed": 1,
       "parameters": {"x1": {"min": 0, "max": 1}, "x2": {"min": 0, "max": 1}},
       "outcomes": ["y", "zero_count", "cost"],
       "analysis": {"zero_outcome": "zero_count", "cost_outcome": "cost"}}
WENGANG = {"name": "levers", "model": "model:simulate", "scenario": str(BASELINE), "sampler": "sobol",
           "samples": 4, "seed": 3, "scale": 0.02, "months": 14,
           "parameters": {"levers.training.daily_allowance_yuan": {"min": 0, "max": 150},
                          "levers.monitoring.response_delay_months": {"type": "integer", "min": 0, "max": 3},
                          "levers.public_posts.priority": {"values": ["zero_employment_first", "lottery"]}},
           "outcomes": ["employed_end", "zero_employment_households_peak"]}
KEYS = ["name", "model", "scenario", "sampler", "samples", "second_order", "morris_levels",
        "replications", "seed", "common_random_numbers", "scale", "months", "batch_size",
        "parameters", "outcomes", "analysis", "description", "smaples"]
PARAM_KEYS = ["type", "min", "max", "values", "group", "unit", "mx"]
ANALYSIS_KEYS = ["conf_level", "bootstrap_resamples", "pawn_slides", "zero_outcome", "cost_outcome",
                 "stay_probability", "prim", "wide_ci"]

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.integers(-3, 70),
    st.floats(), st.sampled_from([math.nan, math.inf, -math.inf, 1e30, 1073741824, 2**31, 0, -1]),
    st.text(max_size=12),
    st.sampled_from(["sobol", "morris", "latin", "fast", "full_factorial", "os:system", "model:simulate",
                     "../../escaped", "integer", "boolean", "categorical", "employd_end",
                     "levers.training.age_min", "/dev/zero", ""]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(PARAM_KEYS + KEYS[:4]), inner, max_size=3)),
    max_leaves=6)


#: Values near what each key takes, so that many mutants are accepted too.
PLAUSIBLE = {
    "samples": st.sampled_from([2, 4, 8, 16, 64, 65, 100, 2**20]), "replications": st.integers(1, 5),
    "seed": st.integers(0, 2**63 - 1), "sampler": st.sampled_from(["sobol", "morris", "latin", "fast",
                                                                    "full_factorial"]),
    "second_order": st.booleans(), "morris_levels": st.sampled_from([2, 4, 6]),
    "common_random_numbers": st.booleans(), "batch_size": st.integers(1, 50),
    "min": st.one_of(st.floats(-1e6, 1e6), st.sampled_from([-math.inf, -1e308, 1e308])),
    "max": st.one_of(st.floats(-1e6, 1e6), st.sampled_from([math.inf, 1e308, -1e308])),
    "type": st.sampled_from(["real", "integer"]),
    "conf_level": st.floats(0.01, 0.99), "bootstrap_resamples": st.integers(10, 200),
    "name": st.text(alphabet="abc.-_", min_size=1, max_size=5)}


def value_for(key):
    return st.one_of(PLAUSIBLE[key], VALUES) if key in PLAUSIBLE else VALUES


@st.composite
def mutated(draw):
    spec = copy.deepcopy(draw(st.sampled_from([TOY, WENGANG])))
    for _ in range(draw(st.integers(1, 2))):
        where = draw(st.sampled_from(["top", "top", "param", "param", "range", "analysis", "delete", "add"]))
        if where == "top":
            key = draw(st.sampled_from(KEYS))
            spec[key] = draw(value_for(key))
        elif where == "param" and isinstance(spec.get("parameters"), dict) and spec["parameters"]:
            name = draw(st.sampled_from(sorted(spec["parameters"], key=str)))
            if isinstance(spec["parameters"][name], dict):
                key = draw(st.sampled_from(PARAM_KEYS))
                spec["parameters"][name][key] = draw(value_for(key))
        elif where == "range" and isinstance(spec.get("parameters"), dict) and spec["parameters"]:
            name = draw(st.sampled_from(sorted(spec["parameters"], key=str)))
            low = draw(st.one_of(st.floats(allow_nan=False),
                                 st.sampled_from([-1.7976931348623157e308, -1e308, -1e15, -0.0])))
            high = draw(st.one_of(st.floats(allow_nan=False), st.just(-low)))
            spec["parameters"][name] = {"min": low, "max": high}
        elif where == "analysis":
            spec.setdefault("analysis", {})
            if isinstance(spec["analysis"], dict):
                key = draw(st.sampled_from(ANALYSIS_KEYS))
                spec["analysis"][key] = draw(value_for(key))
        elif where == "delete" and spec:
            spec.pop(draw(st.sampled_from(sorted(spec, key=str))))
        elif where == "add" and isinstance(spec.get("parameters"), dict):
            low = draw(st.floats(-10, 10))
            spec["parameters"][draw(st.text(max_size=20))] = draw(st.one_of(
                VALUES, st.just({"min": low, "max": low + draw(st.floats(0, 10))})))
    return spec


@PROPERTY
@given(spec=mutated())
def test_random_specs_are_refused_cleanly_or_give_a_valid_design(spec, tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    problems = validate_file(path)
    for problem in problems:
        line = str(problem)
        assert "\n" not in line and line.startswith(str(path)), line
    if problems or not ("sampler" in spec or "parameters" in spec):
        event("refused" if problems else "not a spec")
        return
    loaded = load_spec(path)
    if loaded.design_size * loaded.replications > BUILD_RUNS:
        event("accepted, design not built")
        return
    event("accepted, design built")
    design = build_design(loaded)
    assert design.n_points == loaded.design_size
    for name, param in loaded.parameters.items():
        column = design.values[name]
        if param.type in ("real", "integer"):
            assert column.between(param.min, param.max).all(), name
        else:
            assert set(column) <= set(param.values), name
