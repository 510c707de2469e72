"""Checks of what a user types on the command line: one refusal path.

Every subcommand checks every argument before any work starts.  A bad value
becomes a :class:`~model.validation.Problem` printed as one line,
``--flag: what is wrong``; the command exits 2 with no traceback and leaves
no output folder behind.  The ``check_*`` functions return a list of
problems (empty when the value is fine), so a command gathers all of them
and reports them together; ``experiments`` commands (sweep, analyze,
compare, optimize) use the same functions.

:class:`Parser` is the ``argparse`` parser of every ``wengang`` command: its
own errors (a missing argument, ``--seed abc``) are one line too.

:func:`output_folder` writes a command's outputs atomically: into a hidden
temporary folder beside ``--out``, renamed into place only when complete.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shutil
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

from .signals import Terminated, sigterm_as_interrupt  # noqa: F401 - one import for commands
from .validation import InputError, Problem, flag_problem

EXIT_INPUT = 2
#: Seeds are non-negative 63-bit integers (they fit a signed Parquet column).
MAX_SEED = 2**63 - 1
#: A sample may be at most this many times larger than the scale asked for
#: (the smallest sample is one village per county); beyond it ``--scale`` is refused.
MAX_SCALE_INFLATION = 2.0
#: Above this ratio of effective to requested scale a run says so on one line.
SCALE_NOTICE_RATIO = 1.1
#: Local worker processes per core, at most (beyond it a sweep only thrashes).
MAX_WORKERS_PER_CORE = 4
_HOST = re.compile(r"^[A-Za-z0-9.:\-\[\]]{1,253}$")
#: Prefix of the temporary folder a command writes before renaming it into place.
PARTIAL = ".partial-"


class Parser(argparse.ArgumentParser):
    """``argparse`` with one-line errors: ``--flag: message``, exit status 2."""

    def error(self, message: str) -> NoReturn:  # noqa: D102 - argparse's hook
        print(argparse_line(message, self.prog), file=sys.stderr)
        sys.exit(EXIT_INPUT)


def argparse_line(message: str, prog: str) -> str:
    """One contract line for an ``argparse`` error message."""
    if message.startswith("argument "):
        return message[len("argument "):]  # "--seed: invalid int value: 'x'"
    if message.startswith("unrecognized arguments: "):
        first = message.split(": ", 1)[1].split()[0]
        return f"{first}: unrecognized argument (see {prog} --help)"
    return f"{prog}: {message}"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_seed(seed: Any, flag: str = "--seed") -> list[Problem]:
    """A seed is an integer from 0 to 2**63 - 1."""
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= MAX_SEED:
        return [flag_problem(flag, f"must be an integer from 0 to 2**63-1, not {seed!r}")]
    return []


def check_count(value: Any, flag: str, low: int = 1, high: int | None = None) -> list[Problem]:
    """A whole number in ``[low, high]``."""
    if value is None:
        return []
    if not isinstance(value, int) or isinstance(value, bool) or value < low or (
            high is not None and value > high):
        upper = f" and at most {high:,}" if high is not None else ""
        return [flag_problem(flag, f"must be a whole number of at least {low}{upper}, not {value!r}")]
    return []


def check_workers(workers: int | None, flag: str = "--workers") -> list[Problem]:
    """Local worker processes: at least 1, at most :data:`MAX_WORKERS_PER_CORE` per core."""
    return check_count(workers, flag, 1, MAX_WORKERS_PER_CORE * (os.cpu_count() or 1))


def check_scale_value(scale: Any, flag: str = "--scale") -> list[Problem]:
    """A share of villages: a finite number in (0, 1]."""
    if scale is None:
        return []
    if not _is_number(scale) or not math.isfinite(scale) or not 0 < scale <= 1:
        return [flag_problem(flag, f"must be a share of villages in (0, 1], not {scale!r}")]
    return []


def smallest_scale(params: Any) -> float:
    """The effective scale of the smallest sample, one village per county."""
    from .population import county_people

    people = county_people(params)
    villages = [c.villages for c in params.population.counties]
    return float(sum(p / v for p, v in zip(people, villages)) / people.sum())


def check_scale(scale: Any, params: Any, flag: str = "--scale") -> list[Problem]:
    """:func:`check_scale_value`, and not so small that the one-village-per-county
    sample is more than :data:`MAX_SCALE_INFLATION` times what was asked."""
    problems = check_scale_value(scale, flag)
    if problems or scale is None:
        return problems
    floor = smallest_scale(params)
    if floor > MAX_SCALE_INFLATION * scale:
        return [flag_problem(flag, f"{scale:g} is below the smallest sample, one village per "
                                   f"county (an effective scale of {floor:.4g}); use "
                                   f"{flag} {floor:.4g} or more")]
    return []


def months_message(months: int, warmup: int, style: str = "cli") -> str:
    """Why a run of ``months`` is refused under a warm-up of ``warmup``, and the
    fix as command-line flags (``cli``), :func:`model.simulate` arguments
    (``python``) or experiment-file keys (``spec``)."""
    fix, more = max(0, months - 1), warmup + 1
    how = {"cli": f"add --set run.warmup_months={fix}, or ask for --months {more} or more",
           "python": f"pass run__warmup_months={fix} as well, or months={more} or more",
           "spec": f"set run.warmup_months to {fix} in the scenario, or months: {more} or more",
           }[style]
    return (f"{months} month(s) leave no month after the warm-up of {warmup} "
            f"(run.warmup_months), so no metric could be measured; {how}")


def check_months(months: Any, warmup: int | None, limit: int, flag: str = "--months") -> list[Problem]:
    """Months to simulate: 1 to ``limit``, and above the warm-up (never shortened
    silently: what a metric measures must not change behind the user's back)."""
    problems = check_count(months, flag, 1, limit)
    if problems or months is None or warmup is None:
        return problems
    if months <= warmup:
        return [flag_problem(flag, months_message(months, warmup))]
    return []


def check_host(host: str, flag: str = "--host") -> list[Problem]:
    """A host name or IP address (no spaces, no scheme)."""
    return [] if _HOST.match(host or "") else [flag_problem(flag, f"not a host name or address: {host!r}")]


def check_port(port: Any, flag: str = "--port") -> list[Problem]:
    """A TCP port, 1-65535."""
    return check_count(port, flag, 1, 65535)


def check_input_file(path: Any, flag: str) -> list[Problem]:
    """An existing regular file (what it holds is checked by its loader)."""
    p = Path(path)
    try:
        if p.is_file():
            return []
        what = "is a folder, not a file" if p.is_dir() else "no such file"
    except OSError as exc:
        what = f"cannot read ({exc.strerror or exc})"
    return [flag_problem(flag, f"{path}: {what}")]


def check_out(out: Path, force: bool, owned: Iterable[str] = (), flag: str = "--out") -> list[Problem]:
    """``--out`` must be a folder that can be created, or one to replace.

    A non-empty folder is replaced only with ``force``, and only if every
    file in it is one the command wrote before (``owned``, names relative to
    the folder): files of anyone else are never deleted."""
    out = Path(out)
    for parent in [out, *out.parents]:
        if parent.exists() or parent.is_symlink():
            break
    else:
        parent = None
    try:
        if parent is not None and parent != out and not parent.is_dir():
            return [flag_problem(flag, f"{out}: {parent} is a file, not a folder")]
        if not out.exists():
            if out.is_symlink():
                return [flag_problem(flag, f"{out}: a broken symbolic link")]
            return []
        if not out.is_dir():
            return [flag_problem(flag, f"{out} exists and is not a folder")]
        present = sorted(str(p.relative_to(out)) for p in out.rglob("*") if not p.is_dir())
    except OSError as exc:
        return [flag_problem(flag, f"{out}: cannot use it ({exc.strerror or exc})")]
    if not present:
        return []  # empty, or empty folders only: nothing to lose
    if not force:
        return [flag_problem(flag, f"{out} is not empty; use --force to replace it")]
    foreign = [name for name in present if name not in set(owned)]
    if foreign:
        shown = ", ".join(foreign[:3]) + (" ..." if len(foreign) > 3 else "")
        return [flag_problem(flag, f"{out} holds files this command did not write ({shown}); "
                                   "--force replaces only a previous output: move them away or "
                                   "choose another --out")]
    return []


def refuse(problems: list[Problem]) -> None:
    """Raise :class:`InputError` if there is any problem."""
    if problems:
        raise InputError(problems)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _clear_stale(out: Path) -> None:
    """Remove temporary folders that killed commands left beside ``out``."""
    stale_names = [*out.parent.glob(f".{out.name}{PARTIAL}*"), *out.parent.glob(f".{out.name}.old-*")]
    for stale in stale_names:
        pid = stale.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)


@contextmanager
def output_folder(out: Path) -> Iterator[Path]:
    """A temporary folder to write into; renamed to ``out`` when the block ends
    without an exception, removed otherwise.

    A command killed part-way (even by ``kill -9``) leaves either no ``out``
    or the previous complete one, never a half-written one.  An existing
    ``out`` (already checked by :func:`check_out`) is replaced."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    _clear_stale(out)
    tmp = out.parent / f".{out.name}{PARTIAL}{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    if out.exists():
        os.replace(out, old)
    os.replace(tmp, out)
    shutil.rmtree(old, ignore_errors=True)
