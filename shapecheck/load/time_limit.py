"""--timeout for a saved file: the read, the config walk and the rules stop when it expires.

SIGALRM raises TimeLimit (a BaseException, so no `except Exception` on the way swallows it)
in the main thread. Elsewhere (the API called from a thread) or with a timer already
running (a caller's own), there is no limit: the caps of bounded.py still bound the work.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Callable, Iterator


class TimeLimit(BaseException):
    """The file's time is up; the message is the one line to show."""


def usable() -> bool:
    return (
        hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getitimer(signal.ITIMER_REAL)[0] == 0
    )


@contextmanager
def alarm(seconds: float, error: Callable[[], BaseException]) -> Iterator[None]:
    """Raise `error()` in the main thread when `seconds` have passed (no limit where that
    cannot be done: see usable())."""
    if not seconds or seconds <= 0 or not usable():
        yield
        return

    def expire(signum, frame):
        raise error()

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def time_limit(seconds: float, path: str):
    return alarm(seconds, lambda: TimeLimit(f"{path}: not checked within {seconds:g} s (--timeout); stopped"))
