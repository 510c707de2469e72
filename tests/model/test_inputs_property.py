"""Property-based tests of what a user types (issue 11), with Hypothesis.

Two families, each of :data:`EXAMPLES` examples per run, derandomized (the
same examples on every CI run) and without an example database:

- a value for one scenario leaf, drawn inside and outside the schema's
  limits (NaN, +-inf, huge, negative, wrong type): ``wengang run``'s own
  refusal function (:func:`model.cli.plan_run`) either refuses it, or the
  run finishes with finite outcomes and the population's invariants hold;
- random ``--set`` paths and values and random ``--seed``/``--scale``/
  ``--months``: refused with well-formed lines or accepted, never an
  exception of any other kind.

A third family (random experiment specs) is in tests/experiments.
"""

from __future__ import annotations

import argparse
import math
import string

import numpy as np
import pytest
import yaml
from annotated_types import Ge, Gt, Le, Lt
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from model.cli import plan_run
from model.scenario import SCHEMA_LEAVES
from model.validation import InputError

from ..conftest import BASELINE

EXAMPLES = 200
PROPERTY = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
#: Smallest sample that --scale accepts for the baseline (about 6,900 people).
SCALE = 0.011
#: Months run per example (a longer run.months is accepted but cut here to keep CI fast).
MONTHS_RUN = 4
NUMERIC = {p: f for p, f in SCHEMA_LEAVES.items() if f.annotation in (int, float)}
#: Ratios that are undefined (NaN, stored as null) when their denominator is zero.
RATIO_WORDS = ("rate", "share")


def bounds(field) -> tuple[float | None, float | None]:
    """The hard lower and upper limits of a schema field (None when open)."""
    low = high = None
    for m in field.metadata:
        if isinstance(m, (Ge, Gt)):
            low = float(getattr(m, "ge", getattr(m, "gt", None)))
        if isinstance(m, (Le, Lt)):
            high = float(getattr(m, "le", getattr(m, "lt", None)))
    return low, high


def test_every_numeric_leaf_has_hard_limits():
    """Both limits on every number, so NaN, infinities and huge values are refused."""
    from model import load_scenario

    base = load_scenario(BASELINE)
    open_ended = [p for p, f in NUMERIC.items() if None in bounds(f)]
    assert open_ended == [], f"numeric leaves without a lower and an upper limit: {open_ended}"
    accepted = []
    for path in NUMERIC:
        for bad in (math.nan, math.inf, -math.inf, 1e30, -1e30):
            try:
                base.with_overrides({path: bad})
            except InputError:
                continue
            accepted.append((path, bad))
    assert accepted == []


WRONG = st.one_of(st.text(max_size=8), st.lists(st.integers(-3, 3), max_size=3),
                  st.dictionaries(st.sampled_from(["a", "value", "full"]), st.integers(0, 2), max_size=2),
                  st.booleans(), st.none())
EXTREME = st.sampled_from([math.nan, math.inf, -math.inf, 1e30, -1e30, 10**20, -(10**20), -1, 0, 1, 0.5])


def inside(field):
    """Values a leaf's type and limits allow."""
    ann = field.annotation
    if ann in (int, float):
        low, high = bounds(field)
        low = -1e3 if low is None else low
        high = low + 1e3 if high is None else high
        if ann is int:
            return st.integers(math.ceil(low), math.floor(high))
        return st.floats(low, high, allow_nan=False)
    if ann is bool:
        return st.booleans()
    args = [a for a in getattr(ann, "__args__", ()) if not isinstance(a, type)]
    choices = [c for a in getattr(ann, "__args__", ()) for c in getattr(a, "__args__", ())] or args
    if choices and all(isinstance(c, str) for c in choices):
        return st.one_of(st.sampled_from(choices), st.lists(st.sampled_from(choices), max_size=4))
    return st.one_of(st.lists(st.integers(-1, 14), max_size=4),
                     st.lists(st.lists(st.floats(-0.5, 1.5), min_size=2, max_size=2), max_size=3),
                     st.dictionaries(st.sampled_from(["full", "half", "weak", "over_age"]),
                                     st.floats(-0.5, 1.5), max_size=4))


@st.composite
def leaf_values(draw):
    path = draw(st.sampled_from(sorted(SCHEMA_LEAVES)))
    field = SCHEMA_LEAVES[path]
    near = []
    if field.annotation in (int, float):
        low, high = bounds(field)
        near = [v for v in (low, high) if v is not None]
        near = [v + d for v in near for d in (-1, -1e-9, 0, 1e-9, 1)]
    value = draw(st.one_of(inside(field), EXTREME, WRONG, *( [st.sampled_from(near)] if near else [])))
    return path, value


def as_yaml(value) -> str:
    """The text a user would type after ``key=`` for ``value``."""
    return yaml.safe_dump(value, default_flow_style=True, width=10**6).removesuffix("\n...\n").strip()


def args_for(sets: list[str], **flags) -> argparse.Namespace:
    base = dict(scenario=str(BASELINE), set=sets, months=None, scale=SCALE, seed=0,
                out="/nonexistent/never-written", force=False)
    return argparse.Namespace(**{**base, **flags})


def assert_well_formed(exc: InputError) -> None:
    assert exc.problems
    for problem in exc.problems:
        line = str(problem)
        assert "\n" not in line and line.split(": ", 1)[0], line


def check_run(plan) -> None:
    """Finite outcomes and the population's invariants after a short run."""
    from model import EmploymentModel

    model = EmploymentModel(plan.scenario, rng=plan.seed, scale=plan.scale)
    model.run(min(MONTHS_RUN, plan.scenario.params.run.months))
    ts = model.timeseries().drop(columns=["date"])
    values = ts.to_numpy(dtype=float)
    assert np.isfinite(values).all() and (values >= 0).all(), ts.columns[~np.isfinite(values).all(0)]
    people = float(model.pop.weight.sum())
    households = float(model.hh_weight.sum())
    np.testing.assert_allclose(ts["employed"], ts["market_employed"] + ts["on_public_posts"], rtol=1e-9)
    assert (ts["employed"] <= people * (1 + 1e-9)).all()
    assert (ts["zero_employment_households"] <= households * (1 + 1e-9)).all()
    assert ts["employment_rate"].between(0, 1).all()
    for name, value in model.metrics().items():
        assert not math.isinf(value), name
        assert not math.isnan(value) or any(w in name for w in RATIO_WORDS), name


@PROPERTY
@given(leaf_values())
def test_any_leaf_value_is_refused_or_runs_finite(leaf_value):
    path, value = leaf_value
    sets = ["run.months=13", "run.warmup_months=0", f"{path}={as_yaml(value)}"]
    try:
        plan = plan_run(args_for(sets))
    except InputError as exc:
        assert_well_formed(exc)
        event("refused")
        return
    event("ran")
    check_run(plan)


KEY_TEXT = st.text(alphabet=string.ascii_letters + string.digits + "._-= \n/\\[]{}:*&!", max_size=40)


@st.composite
def set_texts(draw):
    leaf = draw(st.sampled_from(sorted(SCHEMA_LEAVES)))
    path = draw(st.one_of(st.just(leaf), KEY_TEXT, st.just(leaf.replace(".", "__")),
                          st.just(leaf.rsplit(".", 1)[0]), st.just(leaf + ".x"), st.just(leaf.upper()),
                          st.just(leaf.replace(".", "\n", 1))))
    value = draw(st.one_of(st.text(max_size=30), st.sampled_from(
        [".nan", ".inf", "-.inf", "1e400", "~", "[1, [2, [3]]]", "{value: 1, unit: x}", "&a [*a]",
         "!!python/object/apply:os.system ['true']", "'2020-13'", "0x10", "2**70", "yes", ""])))
    return draw(st.sampled_from([f"{path}={value}", f"{path}{value}", f"={value}"]))


@st.composite
def valid_sets(draw):
    path = draw(st.sampled_from(sorted(NUMERIC)))
    return f"{path}={as_yaml(draw(inside(NUMERIC[path])))}"


@PROPERTY
@given(sets=st.lists(st.one_of(valid_sets(), set_texts()), max_size=3),
       seed=st.one_of(st.integers(0, 2**63 - 1), st.integers(-(2**70), 2**70)),
       scale=st.one_of(st.none(), st.floats(SCALE, 1), st.floats()),
       months=st.one_of(st.none(), st.integers(13, 600), st.integers(-10, 10**6)))
def test_random_command_lines_are_refused_cleanly_or_accepted(sets, seed, scale, months):
    try:
        plan = plan_run(args_for(sets, seed=seed, scale=scale, months=months))
    except InputError as exc:
        assert_well_formed(exc)
        event("refused")
        return
    event("accepted")
    assert 0 < plan.scale <= 1 and 0 <= plan.seed < 2**63
    assert plan.scenario.params.run.months > plan.scenario.params.run.warmup_months


def edge_values(field) -> list:
    """A leaf's limits, an empty list and a wrong type: where crashes hide."""
    if field.annotation in (int, float):
        return [v for v in bounds(field) if v is not None]
    return [[], "x"]


@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(SCHEMA_LEAVES))
def test_every_leaf_at_its_limits_is_refused_or_runs_finite(path):
    """The deterministic companion of the property above: every leaf, every edge."""
    for value in edge_values(SCHEMA_LEAVES[path]):
        try:
            plan = plan_run(args_for(["run.months=13", "run.warmup_months=0", f"{path}={as_yaml(value)}"]))
        except InputError as exc:
            assert_well_formed(exc)
            continue
        check_run(plan)
