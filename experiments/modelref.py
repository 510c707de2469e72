"""The model an experiment names: import it and check the spec against it.

A model is any importable ``module:function``.  :func:`check_model` imports
it and checks that it accepts the spec's parameters (by name, or through
``**kwargs``) and the run arguments the spec sets (``scenario``, ``scale``,
``months``).  For the Wengang model itself (module ``model``) it also checks
every parameter key path against the scenario schema, suggesting the nearest
valid key, and asks the scenario to accept sample values at the ends of each
range, so that a mistyped key or an integer lever sampled as a real number
is caught by ``wengang validate`` rather than by thousands of failed runs.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from experiments.spec import ExperimentSpec, ParameterSpec
from model.validation import InputError, Problem, split_path, suggest

#: Module whose models take scenario key paths as parameters.
WENGANG_MODULE = "model"
#: Where inside a real range the extra probe value sits (any non-integer share).
PROBE_SHARE = 0.37
PROBE_DIGITS = 6


def resolve_model(ref: str):
    """Import ``module:function`` and return the function."""
    module_name, _, func_name = ref.partition(":")
    module = importlib.import_module(module_name)
    try:
        return getattr(module, func_name)
    except AttributeError:
        raise AttributeError(f"module '{module_name}' has no function '{func_name}'") from None


def probe_values(param: ParameterSpec) -> list[Any]:
    """Values that exercise a parameter's range and type."""
    if param.type == "real":
        inner = param.min + PROBE_SHARE * (param.max - param.min)
        return [param.min, param.max, float(f"{inner:.{PROBE_DIGITS}g}")]
    if param.type == "integer":
        return [int(param.min), int(param.max)]
    return list(param.values)


def _wengang_problems(spec: ExperimentSpec, file: str) -> list[Problem]:
    """Check key paths and sample values against the Wengang scenario schema."""
    from model.scenario import SCHEMA_LEAVES, load_scenario

    problems = []
    known = {}
    for key, param in spec.parameters.items():
        dotted = ".".join(split_path(key))
        if dotted not in SCHEMA_LEAVES:
            parent = dotted.rsplit(".", 1)[0] + "." if "." in dotted else ""
            siblings = [p for p in SCHEMA_LEAVES if p.startswith(parent)] or list(SCHEMA_LEAVES)
            problems.append(Problem(file, f"parameters.{key}", "not a scenario parameter"
                                    + suggest(dotted, siblings)))
        else:
            known[key] = param
    if not known:
        return problems
    try:
        scenario = load_scenario(spec.scenario_path)
    except InputError as exc:
        return problems + [Problem(file, "scenario", f"the scenario is invalid: {exc.problems[0]}")]
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


def check_model(spec: ExperimentSpec, file: str) -> list[Problem]:
    """Problems with the model a spec names (see module doc)."""
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
        return []
    named = {n for n, p in params.items() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    open_kwargs = any(p.kind == p.VAR_KEYWORD for p in params.values())
    problems = []
    for key in spec.parameters:
        if key not in named and not open_kwargs:
            problems.append(Problem(file, f"parameters.{key}", f"{spec.model} takes no "
                                    f"argument '{key}'" + suggest(key, named)))
    for arg in ("scale", "months", "scenario"):
        if getattr(spec, arg) is not None and arg not in named:
            problems.append(Problem(file, arg, f"{spec.model} takes no '{arg}' argument"))
    if spec.model.partition(":")[0] == WENGANG_MODULE and not problems:
        problems += _wengang_problems(spec, file)
    return problems
