"""Safe file loading and the error contract shared by every input file.

`wengang validate` promises one line per problem, ``FILE: key.path: what is
wrong``, no traceback, and a suggestion for a mistyped key.  Scenario files
(:mod:`model.scenario`) and experiment files (``experiments.spec``) both build
their messages here, so the two never drift apart.  A problem with a
command-line flag reads ``--flag: what is wrong``.

Files are read defensively: only a regular file of at most
:data:`MAX_FILE_BYTES`, no symlink loop, and no YAML alias (``*name``), so
that neither a device (``/dev/zero``), a FIFO nor an alias bomb can hang the
loader or exhaust memory.
"""

from __future__ import annotations

import difflib
import errno
import os
import stat
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
        if self.file.startswith("--") and not self.path:
            return _one_line(f"{self.file}: {self.message}")  # a command-line flag
        return _one_line(f"{self.file}: {self.path or '<top>'}: {self.message}")


def _one_line(text: str) -> str:
    """One problem, one line: line breaks inside a key or value are shown escaped."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


def flag_problem(flag: str, message: str) -> Problem:
    """A problem with a command-line flag: ``--flag: message``."""
    return Problem(flag, "", message)


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


#: Largest input file read (scenario, experiment, cluster settings): 1 MB.
MAX_FILE_BYTES = 1_000_000


def read_text(path: str | Path, limit: int = MAX_FILE_BYTES) -> str:
    """The UTF-8 text of a regular file of at most ``limit`` bytes.

    A missing file, a directory, a device or FIFO, a symlink loop, a file
    over the limit or one that is not UTF-8 raises :class:`InputError`.
    """
    name = str(path)
    try:
        info = os.stat(path)  # follows links; does not open (a FIFO would block)
    except FileNotFoundError:
        raise InputError([Problem(name, "", "file not found")]) from None
    except OSError as exc:
        why = "symlink loop" if exc.errno == errno.ELOOP else exc.strerror or str(exc)
        raise InputError([Problem(name, "", f"cannot read: {why}")]) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError([Problem(name, "", "is a directory, not a file")])
    if not stat.S_ISREG(info.st_mode):
        raise InputError([Problem(name, "", "not a regular file (a device, FIFO or socket)")])
    if info.st_size > limit:
        raise InputError([Problem(name, "", f"file is {info.st_size:,} bytes; the limit is {limit:,}")])
    try:
        with open(path, "rb") as f:
            raw = f.read(limit + 1)
    except OSError as exc:
        raise InputError([Problem(name, "", f"cannot read: {exc.strerror or exc}")]) from None
    if len(raw) > limit:  # grew since the stat
        raise InputError([Problem(name, "", f"file is over the limit of {limit:,} bytes")])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError([Problem(name, "", f"not UTF-8 text ({exc.reason})")]) from None


def _first_alias(node: yaml.Node) -> yaml.Node | None:
    """A node reached twice (an alias ``*name``) in a composed document, or None.

    Stops at the first repeat, so an alias bomb costs no more than its text."""
    seen: set[int] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            return current
        seen.add(id(current))
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                stack += [key, value]
        elif isinstance(current, yaml.SequenceNode):
            stack += current.value
    return None


def parse_yaml(text: str, name: str) -> Any:
    """Parse YAML text safely: no tags that build objects, no duplicate keys, no aliases."""
    loader = _StrictSafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        alias = _first_alias(node)
        if alias is not None:
            line = alias.start_mark.line + 1 if alias.start_mark else 0
            raise InputError([Problem(name, f"line {line}" if line else "", "YAML anchors and "
                                      "aliases (&name, *name) are not allowed; write the value out")])
        return loader.construct_document(node)
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
    finally:
        loader.dispose()


def load_yaml(path: str | Path) -> dict[str, Any]:
    """Load a YAML mapping safely (see :func:`read_text` and :func:`parse_yaml`).

    ``!!python/...`` tags, duplicate keys, aliases, syntax errors, a missing
    or irregular file and a top level that is not a mapping all raise
    :class:`InputError`.
    """
    name = str(path)
    data = parse_yaml(read_text(path), name)
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
    """Parse ``key.path=value`` from ``--set``; the value is read as YAML
    (text that is not valid YAML is taken as a string)."""
    if "=" not in text:
        raise InputError([flag_problem("--set", f"expected key.path=value, not {text!r}")])
    key, _, raw = text.partition("=")
    key = key.strip()
    if not key:
        raise InputError([flag_problem("--set", f"no key path before '=' in {text!r}")])
    try:
        value = parse_yaml(raw, "--set") if raw.strip() else None
    except InputError as exc:
        message = exc.problems[0].message
        if not message.startswith("YAML syntax error"):
            raise InputError([Problem("--set", key, message)]) from None
        value = raw
    return key, value


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


def submodel(annotation: Any) -> type[pydantic.BaseModel] | None:
    """The pydantic model inside an annotation (``X``, ``X | None``, ...)."""
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, typing.Annotated):
        for arg in typing.get_args(annotation):
            found = submodel(arg)
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
        current = submodel(field.annotation)
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
