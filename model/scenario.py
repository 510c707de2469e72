"""Scenario files: loading, inheritance, dotted overrides and validation.

A scenario file is YAML.  Each parameter is written either as a bare value or
as ``{value: ..., unit: ..., source: ..., range: [lo, hi], note: ...}``.  A
file without ``extends`` must be complete and give every parameter its unit
and source (the baseline does); a variant names its base with ``extends`` and
overrides only what differs, so no value is ever declared twice.

The parsed result is a :class:`LoadedScenario`: the typed, frozen
:class:`~model.schema.Scenario` plus each parameter's metadata and the hash of
the resolved inputs (for provenance).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic

from .schema import Scenario, unit_of
from .validation import (
    InputError,
    Problem,
    deep_merge,
    load_yaml,
    pydantic_problems,
    set_path,
    split_path,
    submodel,
    suggest,
)

META_KEYS = frozenset({"value", "unit", "source", "range", "note", "target"})
SOURCES = ("case", "domain", "census", "assumption", "calibrated")
"""Allowed first words of a ``source``: the case text, the domain README's
public figures, the 2020 census, a stated assumption, or a calibration."""

BASELINE_PATH = Path(__file__).resolve().parents[1] / "scenarios" / "baoji_baseline.yaml"


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario with the metadata of every parameter."""

    params: Scenario
    meta: dict[str, dict[str, Any]] = field(default_factory=dict)
    path: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:  # scenario.levers, scenario.run, ...
        if name.startswith("__") or name in ("params", "meta", "path", "overrides"):
            raise AttributeError(name)
        return getattr(self.params, name)

    @property
    def hash(self) -> str:
        """SHA-256 of the resolved parameter values (after inheritance and overrides)."""
        blob = json.dumps(self.params.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()

    def get(self, path: str) -> Any:
        """The value at a dotted (or double-underscore) key path."""
        node: Any = self.params
        for part in split_path(path):
            node = getattr(node, part) if isinstance(node, pydantic.BaseModel) else node[part]
        return node

    def outside_range(self) -> list[str]:
        """One warning line per overridden value outside its documented plausible
        ``range`` (it still runs: the range is advice, the schema's limits are hard)."""
        lines = []
        for key in self.overrides:
            dotted = ".".join(split_path(str(key)))
            rng = self.meta.get(dotted, {}).get("range")
            value = _get(self.params, dotted)
            if (isinstance(rng, list) and len(rng) == 2 and isinstance(value, (int, float))
                    and not isinstance(value, bool) and not rng[0] <= value <= rng[1]):
                lines.append(f"warning: {dotted} = {value:g} lies outside its documented "
                             f"plausible range [{rng[0]:g}, {rng[1]:g}]; running it anyway")
        return lines

    def with_overrides(self, overrides: dict[str, Any]) -> LoadedScenario:
        """A new scenario with ``{key.path: value}`` overrides applied and validated."""
        if not overrides:
            return self
        return _build(
            self.params.model_dump(mode="python"),
            dict(self.meta),
            self.path or "<scenario>",
            {**self.overrides, **overrides},
            require_sources=False,
        )


def _is_leaf_spec(node: Any) -> bool:
    return isinstance(node, dict) and "value" in node and set(node) <= META_KEYS


def _strip_meta(
    node: Any, prefix: str, meta: dict[str, dict[str, Any]], file: str, problems: list[Problem]
) -> Any:
    """Replace ``{value: ..., unit: ...}`` leaves by their value; collect metadata."""
    if _is_leaf_spec(node):
        info = {k: v for k, v in node.items() if k != "value"}
        info["file"] = file
        meta[prefix] = info
        return node["value"]
    if isinstance(node, dict):
        return {
            k: _strip_meta(v, f"{prefix}.{k}" if prefix else str(k), meta, file, problems)
            for k, v in node.items()
        }
    return node


#: Files an ``extends`` chain may pass through (a guard against runaway chains).
MAX_EXTENDS_DEPTH = 16


def _resolve(path: Path, file: str, key: str = "") -> Path:
    """``path.resolve()``, with a symlink loop as an :class:`InputError`."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):  # Python 3.12 raises RuntimeError("Symlink loop ...")
        raise InputError([Problem(file, key, f"{path}: cannot read: symlink loop")]) from None


def _read_chain(path: Path, seen: tuple[Path, ...] = ()) -> tuple[dict, dict, list[Problem], bool]:
    """Read a file and the files it extends; later files override earlier ones.

    Returns the merged values, their metadata, problems, and whether the file
    extends another (a file that does not must be complete and sourced)."""
    path = _resolve(path, str(path))
    file = str(path)
    if path in seen:
        raise InputError([Problem(file, "extends", "circular extends chain")])
    if len(seen) >= MAX_EXTENDS_DEPTH:
        raise InputError([Problem(file, "extends", f"more than {MAX_EXTENDS_DEPTH} files in the extends chain")])
    raw = load_yaml(path)
    problems: list[Problem] = []
    meta: dict[str, dict[str, Any]] = {}
    base_values: dict = {}
    base_meta: dict = {}
    extends = raw.pop("extends", None)
    if extends is not None:
        if not isinstance(extends, str) or not extends.strip():
            raise InputError([Problem(file, "extends", "must be a file path")])
        base_path = _resolve(path.parent / extends, file, "extends")
        if not base_path.exists():
            raise InputError([Problem(file, "extends", f"base file not found: {extends}")])
        try:
            base_values, base_meta, problems, _ = _read_chain(base_path, seen + (path,))
        except InputError as exc:  # a base that cannot be read at all: say where it was named
            first = exc.problems[0]
            if len(exc.problems) == 1 and first.file == str(base_path) and not first.path:
                raise InputError([Problem(file, "extends", f"{extends}: {first.message}")]) from None
            raise
    values = _strip_meta(raw, "", meta, file, problems)
    merged_meta = {**base_meta, **meta}
    for key in _leaf_paths(values):
        if key not in meta and extends is not None:
            merged_meta[key] = {**base_meta.get(key, {}), "source": f"variant: {path.name}", "file": file}
    return deep_merge(base_values, values), merged_meta, problems, extends is not None


def _leaf_paths(node: Any, prefix: str = "") -> list[str]:
    if isinstance(node, dict):
        out = []
        for k, v in node.items():
            out += _leaf_paths(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    return [prefix]


def _schema_leaves(model: type[pydantic.BaseModel] = Scenario, prefix: str = "") -> dict[str, Any]:
    """Every parameter path of the schema with its FieldInfo."""
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        path = f"{prefix}.{name}" if prefix else name
        sub = submodel(info.annotation)
        if sub is not None:
            out.update(_schema_leaves(sub, path))
        else:
            out[path] = info
    return out


SCHEMA_LEAVES = _schema_leaves()


def _check_meta(
    params: Scenario, meta: dict[str, dict[str, Any]], file: str, require_sources: bool
) -> list[Problem]:
    problems = []
    for path, info in meta.items():
        fi = SCHEMA_LEAVES.get(path)
        if fi is None:
            continue  # unknown keys are reported by pydantic already
        unit = info.get("unit")
        want = unit_of(fi)
        where = info.get("file", file)
        if unit is not None and want is not None and unit != want:
            problems.append(Problem(where, path, f"unit '{unit}' does not match the schema's '{want}'"))
        source = info.get("source")
        if source is not None and not str(source).startswith(SOURCES + ("variant", "override")):
            problems.append(
                Problem(where, path, f"source must start with one of {', '.join(SOURCES)}")
            )
        rng = info.get("range")
        if rng is not None:
            value = _get(params, path)
            if not (isinstance(rng, list) and len(rng) == 2 and rng[0] <= rng[1]):
                problems.append(Problem(where, path, "range must be [low, high] with low <= high"))
            elif (
                isinstance(value, (int, float))
                and not str(source).startswith(("override", "variant"))
                and not rng[0] <= value <= rng[1]
            ):  # a documented value lies in its documented range; overrides may explore beyond
                problems.append(Problem(where, path, f"value {value} lies outside range {rng}"))
    if require_sources:
        for path, fi in SCHEMA_LEAVES.items():
            if path in ("name", "description"):
                continue
            info = meta.get(path, {})
            if "source" not in info:
                problems.append(
                    Problem(file, path, "no source: write {value: ..., unit: ..., source: ...}")
                )
            elif "unit" not in info and unit_of(fi) is not None:
                problems.append(Problem(file, path, f"no unit: expected '{unit_of(fi)}'"))
    return problems


def _get(params: Scenario, path: str) -> Any:
    node: Any = params
    for part in path.split("."):
        node = getattr(node, part, None) if isinstance(node, pydantic.BaseModel) else None
    return node


def unknown_parameter(key: str) -> str | None:
    """Why ``key`` (dots or double underscores) is not a scenario parameter,
    with the nearest valid one, or None when it is one."""
    dotted = ".".join(split_path(key))
    if dotted in SCHEMA_LEAVES:
        return None
    if any(p.startswith(dotted + ".") for p in SCHEMA_LEAVES):
        return "a section, not a parameter: set one of its keys" + suggest(
            dotted, [p for p in SCHEMA_LEAVES if p.startswith(dotted + ".")])
    parent = dotted.rsplit(".", 1)[0] + "." if "." in dotted else ""
    siblings = [p for p in SCHEMA_LEAVES if p.startswith(parent)] or list(SCHEMA_LEAVES)
    return "unknown parameter" + suggest(dotted, siblings)


def _apply_overrides(values: dict, overrides: dict[str, Any], file: str) -> list[Problem]:
    problems = []
    for key, value in overrides.items():
        dotted = ".".join(split_path(str(key)))
        why = unknown_parameter(dotted)
        if why is not None:
            problems.append(Problem(file, dotted, why))
            continue
        set_path(values, dotted, value)
    return problems


def _blame(problems: list[Problem], overrides: dict[str, Any]) -> list[Problem]:
    """Problems at an overridden key (or a section holding one) are the override's."""
    keys = [".".join(split_path(str(k))) for k in overrides]
    out = []
    for p in problems:
        if p.path and any(k == p.path or k.startswith(p.path + ".") for k in keys):
            p = Problem("--set", p.path, p.message)
        out.append(p)
    return out


def _build(
    values: dict,
    meta: dict[str, dict[str, Any]],
    file: str,
    overrides: dict[str, Any],
    require_sources: bool,
) -> LoadedScenario:
    problems = _apply_overrides(values, overrides, "--set") if overrides else []
    for key in overrides:
        dotted = ".".join(split_path(key))
        meta[dotted] = {**meta.get(dotted, {}), "source": "override", "file": "--set"}
    try:
        params = Scenario.model_validate(values)
    except pydantic.ValidationError as exc:
        raise InputError(problems + _blame(pydantic_problems(exc, Scenario, file), overrides)) from None
    problems += _check_meta(params, meta, file, require_sources)
    if problems:
        raise InputError(problems)
    return LoadedScenario(params=params, meta=meta, path=file, overrides=dict(overrides))


def load_scenario(
    path: str | Path | None = None, overrides: dict[str, Any] | None = None
) -> LoadedScenario:
    """Load, merge and validate a scenario file (the Baoji baseline if ``None``).

    ``overrides`` maps full key paths (dots or double underscores) to values and
    is validated like the file.  Raises :class:`~model.validation.InputError`
    listing every problem.
    """
    path = Path(path) if path is not None else BASELINE_PATH
    values, meta, problems, extends = _read_chain(path)
    if problems:
        raise InputError(problems)
    return _build(values, meta, str(path), dict(overrides or {}), require_sources=not extends)


def as_scenario(scenario: Any = None, overrides: dict[str, Any] | None = None) -> LoadedScenario:
    """Accept a path, a :class:`LoadedScenario` or ``None`` and apply overrides."""
    if isinstance(scenario, LoadedScenario):
        return scenario.with_overrides(overrides or {})
    return load_scenario(scenario, overrides)
