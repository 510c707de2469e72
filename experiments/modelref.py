"""The model an experiment names: whether it may run, and the spec checked against it.

**A spec that names a model runs code.**  So ``model:`` may name only

- a model registered in the entry-point group :data:`MODELS_GROUP`
  (``wengang.models``; the Wengang model ``model:simulate`` and the
  known-answer functions of :mod:`experiments.testfunctions` are built in), or
- a function of a module the user allows explicitly (``--allow-model MODULE``
  on ``wengang validate`` and ``wengang sweep``).

Nothing else is imported, not even by ``wengang validate``.

:func:`check_model` then imports the model and checks that it accepts the
spec's parameters (by name, or through ``**kwargs``) and the run arguments the
spec sets.  A model that lists its outcomes (an attribute ``outcome_names``,
a tuple or a function returning one; ``model.simulate`` has it) has every
outcome and analysis key of the spec checked against that list, with the
nearest name as a hint.  For the Wengang model itself (module ``model``) it
also checks parameter key paths against the scenario schema and asks the
scenario to accept sample values at the ends of each range, so that a
mistyped key or an integer lever sampled as a real number is caught before
any run.

This module imports nothing from :mod:`experiments.spec` at run time (the
spec module imports this one), so there is no import circle.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterable
from functools import lru_cache
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from model.validation import InputError, Problem, suggest

if TYPE_CHECKING:  # types only: experiments.spec imports this module
    from experiments.spec import ExperimentSpec, ParameterSpec

#: Entry-point group of the models an experiment may name without a flag.
MODELS_GROUP = "wengang.models"
#: Module whose models take scenario key paths as parameters.
WENGANG_MODULE = "model"
#: Where inside a real range the extra probe value sits (any non-integer share).
PROBE_SHARE = 0.37
PROBE_DIGITS = 6


def registered_models() -> dict[str, str]:
    """``{module:function: entry-point name}`` of the models in :data:`MODELS_GROUP`."""
    return {ep.value.strip(): ep.name for ep in entry_points(group=MODELS_GROUP)}


def allowed(ref: str, allow_models: Iterable[str] = ()) -> bool:
    """True when ``ref`` (``module:function``) is registered or its module
    (or the ref itself) is in ``allow_models``."""
    module = ref.partition(":")[0]
    allow = set(allow_models)
    return ref in registered_models() or module in allow or ref in allow


def resolve_model(ref: str):
    """Import ``module:function`` and return the function (no allow-list check:
    callers check :func:`allowed` first)."""
    module_name, _, func_name = ref.partition(":")
    module = importlib.import_module(module_name)
    try:
        return getattr(module, func_name)
    except AttributeError:
        raise AttributeError(f"module '{module_name}' has no function '{func_name}'") from None


def declared_outcomes(func: Any) -> tuple[str, ...] | None:
    """The outcome names a model declares (attribute ``outcome_names``), or None."""
    names = getattr(func, "outcome_names", None)
    if callable(names):
        names = names()
    return tuple(names) if names is not None else None


def probe_values(param: ParameterSpec) -> list[Any]:
    """Values that exercise a parameter's range and type."""
    if param.type == "real":
        inner = param.min + PROBE_SHARE * (param.max - param.min)
        return [param.min, param.max, float(f"{inner:.{PROBE_DIGITS}g}")]
    if param.type == "integer":
        return [int(param.min), int(param.max)]
    return list(param.values)


def _run_problems(spec: ExperimentSpec, scenario, file: str) -> list[Problem]:
    """The spec's months and scale against the scenario (no silent changes)."""
    from model.arguments import check_scale, months_message

    problems = []
    warmup = scenario.params.run.warmup_months
    if spec.months is not None and spec.months <= warmup and not any(
            k.replace("__", ".") == "run.warmup_months" for k in spec.parameters):
        problems.append(Problem(file, "months", months_message(spec.months, warmup, "spec")))
    if spec.scale is not None:
        problems += [Problem(file, "scale", p.message)
                     for p in check_scale(spec.scale, scenario.params, "scale:")]
    return problems


def _wengang_problems(spec: ExperimentSpec, file: str) -> list[Problem]:
    """Check key paths, sample values, months and scale against the scenario."""
    from model.scenario import load_scenario, unknown_parameter

    problems, known = [], {}
    for key, param in spec.parameters.items():
        why = unknown_parameter(key)
        if why is not None:
            problems.append(Problem(file, f"parameters.{key}", "not a scenario parameter: " + why))
        else:
            known[key] = param
    try:
        scenario = load_scenario(spec.scenario_path)
    except InputError as exc:
        return problems + [Problem(file, "scenario", f"the scenario is invalid: {exc.problems[0]}")]
    problems += _run_problems(spec, scenario, file)
    for key, param in known.items():
        for value in probe_values(param):
            try:
                scenario.with_overrides({key: value})
            except InputError as exc:
                message = exc.problems[0].message
                hint = ("; declare `type: integer`" if param.type == "real"
                        and "integer" in message else "")
                problems.append(Problem(file, f"parameters.{key}",
                                        f"the model rejects {value!r}: {message}{hint}"))
                break
    return problems


def range_notices(spec: ExperimentSpec) -> list[str]:
    """One warning line per Wengang parameter sampled beyond its documented
    plausible ``range`` (it runs: the range is advice, the schema's limits are hard)."""
    if spec.model.partition(":")[0] != WENGANG_MODULE:
        return []
    from model.scenario import load_scenario

    try:
        meta = load_scenario(spec.scenario_path).meta
    except InputError:
        return []
    lines = []
    for key, param in spec.parameters.items():
        rng = meta.get(key.replace("__", "."), {}).get("range")
        if param.type in ("real", "integer") and isinstance(rng, list) and len(rng) == 2 and (
                param.min < rng[0] or param.max > rng[1]):
            lines.append(f"warning: parameters.{key} samples [{param.min:g}, {param.max:g}], "
                         f"beyond its documented plausible range [{rng[0]:g}, {rng[1]:g}]")
    return lines


def _outcome_problems(spec: ExperimentSpec, names: tuple[str, ...] | None,
                      file: str) -> list[Problem]:
    """Outcomes and analysis keys must name an outcome the model returns."""
    problems = []
    if names is not None:
        for i, outcome in enumerate(spec.outcomes):
            if outcome not in names:
                problems.append(Problem(file, f"outcomes.{i}", f"{spec.model} has no outcome "
                                        f"'{outcome}'" + suggest(outcome, names)))
    for key in ("zero_outcome", "cost_outcome"):
        value = getattr(spec.analysis, key)
        explicit = key in spec.analysis.model_fields_set
        known = names if names is not None else (spec.outcomes if explicit else None)
        if known is not None and value not in known and (explicit or names is not None):
            problems.append(Problem(file, f"analysis.{key}", f"'{value}' is not an outcome of "
                                    f"{spec.model}" + suggest(value, known)))
    return problems


def check_model(spec: ExperimentSpec, file: str, allow_models: Iterable[str] = ()) -> list[Problem]:
    """Problems with the model a spec names (see module doc)."""
    if not allowed(spec.model, allow_models):
        module = spec.model.partition(":")[0]
        return [Problem(file, "model", f"'{spec.model}' is not a registered model (entry points "
                        f"'{MODELS_GROUP}': {', '.join(sorted(registered_models())) or 'none'}); "
                        f"a spec's model runs code, so allow it explicitly with --allow-model {module}")]
    try:
        func = resolve_model(spec.model)
    except Exception as exc:  # noqa: BLE001 - any import error is a problem to report
        return [Problem(file, "model", f"cannot import {spec.model!r} "
                                       f"({type(exc).__name__}: {exc})")]
    if not callable(func):
        return [Problem(file, "model", f"{spec.model!r} is not callable")]
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        params = {}
    named = {n for n, p in params.items() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    open_kwargs = not params or any(p.kind == p.VAR_KEYWORD for p in params.values())
    problems = []
    for key in spec.parameters:
        if key not in named and not open_kwargs:
            problems.append(Problem(file, f"parameters.{key}", f"{spec.model} takes no "
                                    f"argument '{key}'" + suggest(key, named)))
    for arg in ("scale", "months", "scenario"):
        if getattr(spec, arg) is not None and arg not in named and params:
            problems.append(Problem(file, arg, f"{spec.model} takes no '{arg}' argument"))
    if spec.model.partition(":")[0] == WENGANG_MODULE and not problems:
        problems += _wengang_problems(spec, file)
    return problems + _outcome_problems(spec, _declared(spec.model, func), file)


@lru_cache(maxsize=16)
def _declared(ref: str, func: Any) -> tuple[str, ...] | None:
    """:func:`declared_outcomes`, once per process and model."""
    return declared_outcomes(func)


def metric_columns(spec: ExperimentSpec, allow_models: Iterable[str] = ()) -> list[str]:
    """The metric columns of every row of a sweep: the spec's outcomes, then the
    other outcomes the model declares (so every Parquet part has one schema)."""
    names = None
    if allowed(spec.model, allow_models):
        try:
            func = resolve_model(spec.model)
            names = _declared(spec.model, func)
        except Exception:  # noqa: BLE001 - the sweep reports an unimportable model itself
            names = None
    return [*spec.outcomes, *(n for n in names or () if n not in spec.outcomes)]
