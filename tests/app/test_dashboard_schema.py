"""The dashboard's controls have one source, the scenario schema (no browser).

A lever added to ``model/schema.py`` must show up in the dashboard with its
name, default and bounds read from the schema and the baseline; nothing in
``model/app.py`` may declare a parameter a second time.
"""

from __future__ import annotations

import inspect
import typing

import pytest
from pydantic import Field
from pydantic.fields import FieldInfo

from ..conftest import require

require("solara", "the dashboard needs the app extra: pip install -e .[app]")  # fails under CI if missing

from model import app  # noqa: E402
from model.scenario import SCHEMA_LEAVES  # noqa: E402


def _controlled() -> set[str]:
    return {app.param_path(name) for name in app.CONTROLS}


def test_every_lever_in_the_schema_has_a_control():
    levers = {p for p in SCHEMA_LEAVES if p.startswith("levers.")}
    missing = sorted(levers - _controlled())
    assert not missing, f"levers in the schema without a dashboard control: {missing}"


def test_every_scalar_uncertainty_has_a_control_and_exclusions_are_justified():
    uncertainties = {p for p in SCHEMA_LEAVES if p.startswith("uncertainties.")}
    assert set(app.NOT_CONTROLLED) <= uncertainties, "NOT_CONTROLLED names a path that is not an uncertainty"
    assert not [p for p in app.NOT_CONTROLLED if p.startswith("levers.")], "a lever may never go without a control"
    assert all(reason.strip() for reason in app.NOT_CONTROLLED.values())
    assert uncertainties - set(app.NOT_CONTROLLED) <= _controlled()


def test_controls_are_schema_leaves_and_nothing_else():
    assert _controlled() <= set(SCHEMA_LEAVES)
    assert set(app.MODEL_PARAMS) == set(app.RUN_CONTROLS) | set(app.CONTROLS)


@pytest.mark.parametrize("path", sorted(p for p in SCHEMA_LEAVES if p.startswith(app.CONTROLLED) and p not in app.NOT_CONTROLLED))
def test_control_reads_name_default_bounds_and_kind_from_the_schema(path):
    control = app.CONTROLS[app.param_name(path)]
    info = SCHEMA_LEAVES[path]
    value = app.BASE.get(path)
    kind = info.annotation
    if typing.get_origin(kind) is list:
        assert control["type"] == "Select"
        assert app.list_value(path, control["value"]) == value, "the default is the base scenario's value"
        for choice in control["values"]:  # every choice is a valid scenario
            app.BASE.with_overrides({path: app.list_value(path, choice)})
        return
    assert control["value"] == value, "the default is the base scenario's value"
    assert control["label"].startswith(path.split(".", 1)[1])
    if kind is bool:
        assert control["type"] == "Checkbox"
        return
    if typing.get_origin(kind) is typing.Literal:
        assert control["type"] == "Select"
        assert control["values"] == list(typing.get_args(kind))
        return
    assert control["type"] == {int: "SliderInt", float: "SliderFloat"}[kind]
    assert control["min"] <= value <= control["max"]
    assert control["step"] > 0
    lo, hi = app._limits(info)
    documented = app.BASE.meta.get(path, {}).get("range")
    if documented:
        assert [control["min"], control["max"]] == pytest.approx(documented)
    else:
        if lo is not None:
            assert control["min"] == pytest.approx(lo)
        if hi is not None:
            assert control["max"] == pytest.approx(hi)
    if lo is not None:
        assert control["min"] >= lo, "a slider may not go below the schema's hard limit"
    if hi is not None:
        assert control["max"] <= hi, "a slider may not go above the schema's hard limit"


class _Spec:
    """A stand-in scenario holding the value of an imagined new lever."""

    meta: dict = {}

    def __init__(self, value):
        self.value = value

    def get(self, path):
        return self.value


def test_a_new_numeric_lever_gets_a_slider_without_touching_the_app(monkeypatch):
    path = "levers.training.imagined_bonus_yuan"
    info: FieldInfo = Field(..., ge=0, le=500, json_schema_extra={"unit": "yuan"})
    info.annotation = float
    monkeypatch.setitem(SCHEMA_LEAVES, path, info)
    assert path in app.controlled_paths()
    control = app.control_for(path, _Spec(120.0))
    assert control == {"type": "SliderFloat", "value": 120.0, "min": 0.0, "max": 500.0, "step": 5.0, "label": "training.imagined_bonus_yuan [yuan]"}


def test_list_controls_offer_orders_and_month_runs_and_reach_the_model():
    order = app.list_choices(SCHEMA_LEAVES["levers.monitoring.clearing_order"].annotation)
    assert len(order) == 3 + 6 + 6  # every order of every non-empty subset of three measures
    months = app.list_choices(SCHEMA_LEAVES["levers.export.spring_breeze_months"].annotation)
    assert "12" in months and "11, 12" in months and "12, 13" not in months
    model = app.DashboardModel(scale=0.02, levers__monitoring__clearing_order="public_post",
                               levers__export__spring_breeze_months="3, 4")
    assert model.p.levers.monitoring.clearing_order == ["public_post"]
    assert model.p.levers.export.spring_breeze_months == [3, 4]


def test_a_new_lever_the_dashboard_cannot_show_fails_loudly(monkeypatch):
    path = "levers.training.imagined_trades"
    info: FieldInfo = Field(..., json_schema_extra={"unit": "trades"})
    info.annotation = list[str]
    monkeypatch.setitem(SCHEMA_LEAVES, path, info)
    assert path in app.controlled_paths(), "it may not be skipped silently"
    with pytest.raises(TypeError, match="no dashboard control"):
        app.control_for(path, _Spec(["general"]))


def test_solaraviz_accepts_the_controls_and_reset_rebuilds_the_model():
    """Mesa's own checks: the parameters match the model's signature, and Reset's
    keyword arguments (which would carry a Mesa scenario to **kwargs) rebuild it."""
    from mesa.visualization.solara_viz import _build_model_init_kwargs, _check_model_params

    model = app.DashboardModel(scale=0.02)
    _check_model_params(model, app.MODEL_PARAMS)
    chosen = {k: v.get("value") for k, v in app.MODEL_PARAMS.items()}
    chosen["levers__monitoring__coverage"] = 0.0
    chosen["scale"] = 0.02
    kwargs = _build_model_init_kwargs(model, chosen, add_scenario_when_empty=True, require_model_accepts_scenario=True)
    assert "scenario" not in kwargs
    rebuilt = type(model)(**kwargs)
    assert rebuilt.p.levers.monitoring.coverage == 0.0
    assert rebuilt.changed == {"levers.monitoring.coverage": 0.0}
    assert set(inspect.signature(app.DashboardModel.__init__).parameters) == {"self", *app.MODEL_PARAMS}


def test_invalid_combinations_are_reported_not_raised():
    model = app.DashboardModel(scale=0.02, levers__training__age_min=50, levers__monitoring__coverage=0.5)
    assert model.problems and "age_min" in model.problems[0]
    assert model.changed == {"levers.monitoring.coverage": 0.5}, "the valid change is kept"
    assert model.p.levers.training.age_min == app.BASE.params.levers.training.age_min


def test_unknown_parameters_are_rejected():
    with pytest.raises(TypeError, match="unknown dashboard parameters"):
        app.DashboardModel(levers__training__no_such_lever=1)


def test_the_model_stops_at_the_scenario_horizon():
    model = app.DashboardModel(scale=0.02)
    model.run(model.p.run.months - 1)
    assert model.running
    model.step()
    assert not model.running
