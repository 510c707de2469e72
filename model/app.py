"""The Wengang dashboard: Mesa's SolaraViz over :class:`EmploymentModel`.

Start it with ``wengang app`` (or ``solara run model/app.py``), then open
http://127.0.0.1:8765.  Move a lever in the sidebar, press **Reset** to rebuild
the model with it, then **Step** (one month) or **▶** (run to ``run.months``).

Single source.  Every control is generated from the scenario schema: one per
leaf of ``levers`` and per scalar leaf of ``uncertainties`` in
:data:`model.scenario.SCHEMA_LEAVES`.  Its name is the key path (with ``__``
for ``.``), its default the base scenario's value, its bounds the base
scenario's ``range`` metadata, else the schema's hard limits, else
``[lower limit, 2 x default]``.  Nothing here declares a parameter again.

Environment: ``WENGANG_SCENARIO`` (base scenario file, default the Baoji
baseline) and ``WENGANG_APP_SCALE`` (default share of villages, 0.03).
"""

from __future__ import annotations

import inspect
import itertools
import io
import logging
import math
import os
import sys
import typing
from html import escape
from pathlib import Path

# `solara run model/app.py` puts model/ first on sys.path, where model/model.py
# would shadow the package `model`: take that entry out before importing it.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import solara
from matplotlib import dates as mdates
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from model import plots
from model.model import EmploymentModel
from model.scenario import SCHEMA_LEAVES, LoadedScenario, load_scenario
from model.schema import unit_of
from model.validation import InputError

BASE: LoadedScenario = load_scenario(os.environ.get("WENGANG_SCENARIO") or None)
DEFAULT_SCALE = float(os.environ.get("WENGANG_APP_SCALE", "0.03"))
CONTROLLED = ("levers.", "uncertainties.")
NOT_CONTROLLED = {
    "uncertainties.demand_shock.sectors": "a list of sectors, not a number; set it in the scenario file",
}
"""Schema leaves under ``CONTROLLED`` that have no control, with the reason.
Levers may never appear here (tests/app/test_dashboard_schema.py)."""


# ------------------------------------------------------------------ controls
def param_name(path: str) -> str:
    """Keyword name of a control: ``levers.training.x`` -> ``levers__training__x``."""
    return path.replace(".", "__")


def param_path(name: str) -> str:
    return name.replace("__", ".")


def controlled_paths() -> list[str]:
    return [p for p in SCHEMA_LEAVES if p.startswith(CONTROLLED) and p not in NOT_CONTROLLED]


def _limits(info) -> tuple[float | None, float | None]:
    lo = hi = None
    for m in info.metadata:
        lo = getattr(m, "ge", getattr(m, "gt", lo))
        hi = getattr(m, "le", getattr(m, "lt", hi))
    return lo, hi


def _nice_step(span: float, integer: bool) -> float:
    """About a hundred steps across ``span``, rounded to 1, 2 or 5 x 10^k."""
    raw = span / 100 if span > 0 else 1.0
    exp = 10 ** math.floor(math.log10(raw))
    step = next(m * exp for m in (1, 2, 5, 10) if m * exp >= raw * (1 - 1e-9))
    return max(1, round(step)) if integer else float(f"{step:.6g}")


def control_for(path: str, spec: LoadedScenario = BASE) -> dict:
    """The SolaraViz user-parameter dict of one schema leaf."""
    info = SCHEMA_LEAVES[path]
    value = spec.get(path)
    unit = unit_of(info)
    label = path.split(".", 1)[1] + (f" [{unit}]" if unit else "")
    kind = info.annotation
    if kind is bool:
        return {"type": "Checkbox", "value": bool(value), "label": label}
    if typing.get_origin(kind) is typing.Literal:
        return {"type": "Select", "value": value, "values": list(typing.get_args(kind)), "label": label}
    if typing.get_origin(kind) is list:
        choices = list_choices(kind)
        shown = list_text(value)
        return {"type": "Select", "value": shown, "values": ([shown] if shown not in choices else []) + choices, "label": label}
    if kind not in (int, float):
        raise TypeError(f"{path}: no dashboard control for a {kind}; add one to model/app.py or list it in NOT_CONTROLLED")
    lo, hi = _limits(info)
    rng = spec.meta.get(path, {}).get("range")
    if rng:
        lo, hi = rng
    lo = lo if lo is not None else min(0, value)
    hi = hi if hi is not None else max(2 * value, lo + 1)
    lo, hi = min(lo, value), max(hi, value)  # a variant may lie outside the baseline's range
    step = _nice_step(hi - lo, kind is int)
    if kind is int:
        return {"type": "SliderInt", "value": int(value), "min": int(lo), "max": int(hi), "step": step, "label": label}
    return {"type": "SliderFloat", "value": float(value), "min": float(lo), "max": float(hi), "step": step, "label": label}


def list_choices(kind) -> list[str]:
    """Choices offered for a list lever, as text: every order of every
    non-empty subset of a list of names (e.g. the clearing order), or runs of
    one to three consecutive calendar months (e.g. the Spring Breeze months)."""
    (item,) = typing.get_args(kind)
    if typing.get_origin(item) is typing.Literal:
        names = typing.get_args(item)
        return [list_text(c) for k in range(len(names), 0, -1) for c in itertools.permutations(names, k)]
    if item is int:
        return [list_text(range(start, start + n)) for n in (1, 2, 3) for start in range(1, 14 - n)]
    raise TypeError(f"no dashboard control for a list of {item}; add one to model/app.py")


def list_text(values) -> str:
    return ", ".join(str(v) for v in values)


def list_value(path: str, text: str) -> list:
    """The list a list control's text stands for (numbers stay numbers)."""
    (item,) = typing.get_args(SCHEMA_LEAVES[path].annotation)
    parts = [t.strip() for t in str(text).split(",") if t.strip()]
    return [int(t) for t in parts] if item is int else parts


RUN_CONTROLS = {
    "rng": {"type": "SliderInt", "value": 0, "min": 0, "max": 99, "step": 1, "label": "random seed"},
    "scale": {"type": "SliderFloat", "value": DEFAULT_SCALE, "min": 0.01, "max": 0.2, "step": 0.01, "label": "scale [share of villages simulated]"},
}
"""Run settings (not scenario parameters): kept small so that a month takes well under a second."""
CONTROLS = {param_name(p): control_for(p) for p in controlled_paths()}
MODEL_PARAMS = {**RUN_CONTROLS, **CONTROLS}


# --------------------------------------------------------------------- model
class DashboardModel(EmploymentModel):
    """:class:`EmploymentModel` taking the dashboard's flat keyword arguments.

    SolaraViz re-creates the model on Reset with ``type(model)(**params)``;
    the keywords are the control names (see :data:`CONTROLS`).  Values equal
    to the base scenario's are not overrides.  Invalid combinations (say
    ``age_min`` above ``age_max``) are dropped and reported on the page.
    """

    def __init__(self, *, rng: int = 0, scale: float = DEFAULT_SCALE, **controls) -> None:
        unknown = sorted(set(controls) - set(CONTROLS))
        if unknown:
            raise TypeError(f"unknown dashboard parameters: {unknown}")
        wanted = {param_path(k): v for k, v in controls.items()}
        wanted = {
            p: list_value(p, v) if typing.get_origin(SCHEMA_LEAVES[p].annotation) is list else v for p, v in wanted.items()
        }
        changed = {p: v for p, v in wanted.items() if v != BASE.get(p)}
        self.problems: list[str] = []
        try:
            spec = BASE.with_overrides(changed)
        except InputError as exc:
            self.problems = [f"{pr.path or 'scenario'}: {pr.message}" for pr in exc.problems]
            bad = tuple(pr.path for pr in exc.problems)
            changed = {p: v for p, v in changed.items() if not any(p == b or p.startswith(b + ".") or not b for b in bad)}
            try:
                spec = BASE.with_overrides(changed)
            except InputError:
                changed, spec = {}, BASE
        self.changed = changed
        super().__init__(spec, rng=int(rng), scale=float(scale))

    def step(self) -> None:
        super().step()
        self.running = self.month < self.p.run.months


_SELF = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
DashboardModel.__init__.__signature__ = inspect.Signature(
    [_SELF] + [inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, default=v["value"]) for k, v in MODEL_PARAMS.items()]
)  # SolaraViz checks the controls against this signature (and would pass a Mesa scenario to **kwargs)


# -------------------------------------------------------------------- charts
CJK = plots.use_cjk_font()
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)  # CJK fonts have no bold face


def _tidy_dates(fig) -> None:
    """Month ticks on short runs, year ticks on long ones (the dashboard starts at month 1)."""
    for ax in fig.axes:
        if not isinstance(ax.xaxis.get_major_locator(), mdates.AutoDateLocator):
            continue
        lo, hi = ax.get_xlim()
        months = (hi - lo) / 30.4
        if months <= 24:
            ax.xaxis.set_major_locator(mdates.MonthLocator(interval=max(1, math.ceil(months / 6))))
            ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
        else:
            ax.xaxis.set_major_locator(mdates.YearLocator())
            ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))


def _png(draw, size=(6.4, 3.4)) -> bytes:
    fig = Figure(figsize=size, dpi=100, layout="constrained")
    draw(fig)
    _tidy_dates(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _chart(model, name: str, draw, size=(6.4, 3.4)):
    update_counter.get()  # redraw after each Step
    key = [id(model), len(model.rows)]
    png = solara.use_memo(lambda: None if not model.rows else _png(lambda f: draw(f, model), size), key)
    if png is None:
        return solara.Info("Month 0: press Step or ▶ to simulate.", classes=[f"wengang-{name}"])
    return solara.Image(png, width="100%", classes=[f"wengang-{name}"])


@solara.component
def EmploymentChart(model):
    return _chart(model, "employment", lambda f, m: plots.employment_by_channel(m.timeseries(), f.subplots()))


@solara.component
def ZeroEmploymentChart(model):
    return _chart(model, "zero-employment", lambda f, m: plots.zero_employment(m.timeseries(), f.subplots(), warmup=m.p.run.warmup_months))


@solara.component
def PostsChart(model):
    return _chart(model, "posts", lambda f, m: plots.public_posts_filled(m.timeseries(), f.subplots(), m.p))


@solara.component
def FiscalChart(model):
    return _chart(model, "fiscal", lambda f, m: plots.fiscal_cost_by_lever(m.timeseries(), f.subplots()))


@solara.component
def CountyChart(model):
    return _chart(model, "county", lambda f, m: plots.by_county(m.county_table(), f, m.p.population.counties, f"end of {m.rows[-1]['date']}", cjk=CJK), size=(12, 3.6))


# ------------------------------------------------------------------- readout
def _fmt(x: float, digits: int = 0) -> str:
    return f"{x:,.{digits}f}"


@solara.component
def Readout(model):
    """Month, employment, zero-employment households, posts and cost as text (``data-testid`` per value)."""
    update_counter.get()
    rows = model.rows
    last = rows[-1] if rows else None
    cells = [
        ("month", "Month", f"{model.month} ({model.date_label()})"),
        ("employed", "Employed", _fmt(last["employed"]) if last else "—"),
        ("employment-rate", "Employment rate", f"{100 * last['employment_rate']:.1f} %" if last else "—"),
        ("zero-employment-households", "Zero-employment households", _fmt(last["zero_employment_households"]) if last else "—"),
        ("public-posts", "On public posts", _fmt(last["on_public_posts"]) if last else "—"),
        ("fiscal-cost", "Fiscal cost to date", f"{sum(r['fiscal_cost_yuan'] for r in rows) / 1e6:,.1f} million yuan" if rows else "—"),
    ]
    body = "".join(
        f'<tr><td>{label}</td><td style="text-align:right;font-weight:600" data-testid="{key}">{value}</td></tr>' for key, label, value in cells
    )
    changed = ", ".join(f"{escape(k.split('.', 1)[1])} = {escape(str(v))}" for k, v in model.changed.items()) or "none (the base scenario)"
    html = (
        f'<table style="width:100%;border-collapse:collapse">{body}</table>'
        f'<p style="margin:8px 0 0;font-size:90%" data-testid="changed">Changed from {escape(model.p.name)}: {changed}</p>'
        f'<p style="margin:4px 0 0;font-size:85%;color:grey">Full-scale equivalents of {model.p.population.people_total:,} '
        f"poverty-alleviated people, simulated on a {100 * model.scale:.1f} % sample. Move a lever, press Reset, then Step or ▶.</p>"
    )
    with solara.Card(margin=0):
        solara.HTML(tag="div", unsafe_innerHTML=html, attributes={"data-testid": "readout"})
        if model.problems:
            solara.Warning("Ignored invalid settings: " + "; ".join(model.problems))


@solara.component
def Charts(model):
    """The live charts, redrawn after each Step (Mesa's ``force_update``) and on Reset."""
    update_counter.get()
    Readout(model)
    with solara.ColumnsResponsive(default=12, large=6):
        for chart in (EmploymentChart, ZeroEmploymentChart, PostsChart, FiscalChart):
            with solara.Card(margin=0):
                chart(model)
    with solara.Card("Counties", margin=0):
        CountyChart(model)


SIDEBAR_CSS = """
.v-navigation-drawer .v-slider.v-input--horizontal {
  grid-template-areas: "prepend" "control"; grid-template-columns: 1fr; margin: 0 8px 10px 0;
}
.v-navigation-drawer .v-slider .v-input__prepend { margin: 0 0 -10px; }
.v-navigation-drawer .v-slider__label { white-space: normal; font-size: 0.85rem; }
.v-navigation-drawer .v-slider-thumb::after {
  content: attr(aria-valuenow); position: absolute; top: 17px; left: 50%;
  transform: translateX(-50%); font-size: 12px; font-weight: 600; color: rgba(0, 0, 0, 0.75); white-space: nowrap;
}
.v-navigation-drawer .v-checkbox .v-input__details { display: none; }
.v-navigation-drawer .v-checkbox .v-label, .v-navigation-drawer .v-select .v-label { font-size: 0.85rem; }
"""
"""Lever labels on their own line and every slider's value shown under its thumb."""


@solara.component
def Dashboard():
    """SolaraViz drives the sidebar (controls and the generated lever controls);
    the charts are laid out here.  One model per browser session: solara runs
    this module once for all sessions.

    The charts are not passed to SolaraViz as ``components``: its draggable
    grid loads a Vue 2 library that fails under ipyvuetify 3 ("GlobalVue.use
    is not a function") and would leave the page empty.
    """
    first = solara.use_memo(lambda: DashboardModel(**{k: v["value"] for k, v in MODEL_PARAMS.items()}), [])
    model = solara.use_reactive(first)
    solara.Style(SIDEBAR_CSS)
    SolaraViz(model, components=[], model_params=MODEL_PARAMS, name=f"Wengang 稳岗 · {BASE.params.name}")
    Charts(model.value)


page = Dashboard()
page  # noqa: B018  (shown when this file is run in a notebook)
