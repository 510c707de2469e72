"""Signals: Ctrl-C and SIGTERM stop a command the same way.

Every ``wengang`` command runs inside :func:`sigterm_as_interrupt`, so that
SIGTERM raises :class:`Terminated` (a ``KeyboardInterrupt``) where Ctrl-C
would: output folders are cleaned up, a sweep records the interruption, and
``wengang app`` stops its server.  Code that waits on a library's event loop
(Dask) uses :func:`deferred_signals` and checks :func:`stop_if_signalled`
between tasks, so that no exception is raised inside the library.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C would be, so that both stop a command the same way."""


def _raise_terminated(signum, frame) -> NoReturn:
    raise Terminated()


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` (a KeyboardInterrupt)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def deferred_signals() -> Iterator[list[int]]:
    """While waiting on a library (Dask), Ctrl-C and SIGTERM are noted (and acted on by
    :func:`stop_if_signalled`) rather than raised inside its event loop,
    which would leave it printing tracebacks; a second signal raises at once."""
    caught: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield caught
        return

    def note(signum, frame):
        if caught:
            stop_if_signalled([signum])
        caught.append(signum)

    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(sig) is not signal.SIG_IGN:  # an ignored signal stays ignored
            previous[sig] = signal.signal(sig, note)
    try:
        yield caught
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def stop_if_signalled(caught: list[int]) -> None:
    """Raise what the first noted signal would have raised."""
    if caught:
        raise Terminated() if caught[0] == signal.SIGTERM else KeyboardInterrupt()
