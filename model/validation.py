"""Safe file loading and the error contract shared by every input file.

`wengang validate` promises one line per problem, ``FILE: key.path: what is
wrong``, no traceback, and a suggestion for a mistyped key.  Scenario files
(:mod:`model.scenario`) and experiment files (``experiments.spec``) both build
their messages here, so the two never drift apart.
"""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydantic
import yaml


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input file."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path or '<top>'}: {self.message}"


class InputError(Exception):
    """An input file (or override) is invalid; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


# libyaml's C parser is ~20x faster than the pure-Python one (the same safe constructors)
_SafeBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictSafeLoader(_SafeBase):  # type: ignore[misc, valid-type]
    """SafeLoader that also rejects duplicate keys (a silent overwrite otherwise)."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False):
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictSafeLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)


def load_yaml(path: str | Path) -> dict[str, Any]:
    """Load a YAML mapping safely.

    ``!!python/...`` tags, duplicate keys, syntax errors, a missing file and a
    top level that is not a mapping all raise :class:`InputError`.
    """
    path = Path(path)
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError([Problem(name, "", "file not found")]) from None
    except IsADirectoryError:
        raise InputError([Problem(name, "", "is a directory, not a file")]) from None
    except UnicodeDecodeError as exc:
        raise InputError([Problem(name, "", f"not UTF-8 text ({exc.reason})")]) from None
    try:
        data = yaml.load(text, Loader=_StrictSafeLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}" if mark else ""
        msg = exc.problem or str(exc)
        if "python/" in msg or "constructor for the tag" in msg:
            msg = f"unsafe or unknown YAML tag rejected ({msg.strip()})"
        raise InputError([Problem(name, where, msg)]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError([Problem(name, where, f"YAML syntax error: {problem}")]) from None
    if data is None:
        raise InputError([Problem(name, "", "file is empty")])
    if not isinstance(data, dict):
        raise InputError(
            [Problem(name, "", f"top level must be a mapping, not {type(data).__name__}")]
        )
    return data


def suggest(key: str, candidates: typing.Iterable[str]) -> str:
    """A ``; did you mean 'x'?`` suffix for a mistyped key, or an empty string."""
    match = difflib.get_close_matches(str(key), list(candidates), n=1, cutoff=0.5)
    return f"; did you mean '{match[0]}'?" if match else ""


def split_path(path: str) -> list[str]:
    """Split a key path written with dots or double underscores."""
    return path.replace("__", ".").split(".")


def parse_override(text: str) -> tuple[str, Any]:
    """Parse ``key.path=value`` from ``--set``; the value is read as YAML."""
    if "=" not in text:
        raise InputError([Problem("--set", text, "expected key.path=value")])
    key, _, raw = text.partition("=")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        value = raw
    return key.strip(), value


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set a nested key, creating mappings on the way."""
    parts = split_path(path)
    node = data
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Recursive merge: mappings merge key by key, anything else replaces."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _submodel(annotation: Any) -> type[pydantic.BaseModel] | None:
    """The pydantic model inside an annotation (``X``, ``X | None``, ...)."""
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, typing.Annotated):
        for arg in typing.get_args(annotation):
            found = _submodel(arg)
            if found is not None:
                return found
    return None


def valid_keys(model: type[pydantic.BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The field names valid at ``loc`` (a pydantic error location) in ``model``."""
    current: type[pydantic.BaseModel] | None = model
    for part in loc:
        if current is None:
            return []
        field = current.model_fields.get(str(part))
        if field is None:
            continue  # list index or union tag: stay on the same model
        current = _submodel(field.annotation)
    return list(current.model_fields) if current is not None else []


def pydantic_problems(
    exc: pydantic.ValidationError, model: type[pydantic.BaseModel], file: str
) -> list[Problem]:
    """Turn a pydantic error into contract lines, with key suggestions."""
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        path = ".".join(str(p) for p in loc)
        if err["type"] == "extra_forbidden":
            msg = "unknown key" + suggest(str(loc[-1]), valid_keys(model, loc[:-1]))
        elif err["type"] == "missing":
            msg = "required key is missing"
        else:
            msg = err["msg"]
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, ") :]
            if "input" in err and not isinstance(err["input"], (dict, list)):
                msg += f" (got {err['input']!r})"
        problems.append(Problem(file, path, msg))
    return problems
