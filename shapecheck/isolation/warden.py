"""The parent side of builder-module isolation: it owns the clock, the memory bound, the
output and the exit code.

A builder module runs in a child forked from a zygote (zygote.py) that imported TensorFlow
once, so a clean interpreter costs a fork, not an import. The parent kills the child's
whole process group at the deadline or past the memory bound, whatever the module does
with signals, and reads the child's report from a file, never from the child's output.
A child that died, exited early, forked or wrote no report is "could not check" for that
file, with one line; the other files' results stay.
"""

from __future__ import annotations

import atexit
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Optional

from shapecheck.isolation.protocol import MAX_REPORT_BYTES, load_report, read_message, write_message
from shapecheck.keras_home import keras_home
from shapecheck.results import FileReport

POLL_SECONDS = 0.05
STARTUP_SECONDS = 300.0  # importing TensorFlow on a loaded machine
DEFAULT_MAX_MEMORY = 8 << 30


def hard_deadline(timeout: float) -> float:
    """The child's own timer stops a module at `timeout` with the line it was on; the parent
    kills it a little later if it did not stop (it ignored the signal, or sat in C code)."""
    return timeout + max(5.0, 0.25 * timeout)


class Warden:
    """One zygote, one module at a time."""

    def __init__(self) -> None:
        self._process: Optional[subprocess.Popen[bytes]] = None
        self._replies: queue.Queue = queue.Queue()
        self._folder = tempfile.mkdtemp(prefix="shapecheck-")
        self._count = 0

    # -- the zygote ---------------------------------------------------------------
    def _zygote(self) -> subprocess.Popen[bytes]:
        if self._process is None or self._process.poll() is not None:
            self._replies = queue.Queue()
            debug = os.environ.get("SHAPECHECK_DEBUG")
            self._process = subprocess.Popen(
                [sys.executable, "-m", "shapecheck.isolation.zygote", self._folder],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=None if debug else subprocess.DEVNULL,
                env={**os.environ, "KERAS_HOME": keras_home(self._folder), "SHAPECHECK_PRIVATE_KERAS_HOME": "1"},
            )
            reader = threading.Thread(target=self._read_replies, args=(self._process, self._replies), daemon=True)
            reader.start()
        return self._process

    @staticmethod
    def _read_replies(process: subprocess.Popen[bytes], replies: queue.Queue) -> None:
        assert process.stdout is not None  # opened with stdout=PIPE
        while True:
            try:
                message = read_message(process.stdout)
            except Exception:  # noqa: BLE001 - a broken stream is the end of the zygote
                message = None
            replies.put(message)
            if message is None:
                return

    def close(self) -> None:
        if self._process is not None and self._process.poll() is None and not self._count:
            self._process.kill()  # started early (prestart) and never used: no need to wait for its import
            self._process.wait()
        if self._process is not None and self._process.poll() is None:
            assert self._process.stdin is not None  # opened with stdin=PIPE
            try:
                self._process.stdin.close()
                self._process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self._process.kill()
        shutil.rmtree(self._folder, ignore_errors=True)

    # -- one module ---------------------------------------------------------------
    def check(self, target, options):

        self._count += 1
        number = self._count
        process = self._zygote()
        began = time.perf_counter()
        assert process.stdin is not None  # opened with stdin=PIPE
        try:
            write_message(process.stdin, (target, replace(options, jobs=1), number))
        except OSError:
            self._process = None
            return FileReport(target.path, error=f"{target.path}: could not start the checking process")
        started = self._next(STARTUP_SECONDS)
        if not started or started[0] != "started":
            self._process = None
            return FileReport(
                target.path, error=f"{target.path}: the checking process did not start (TensorFlow import failed?)"
            )
        pid = started[1]
        forked = time.perf_counter()
        why_killed, status = self._watch(pid, options)
        _kill_group(pid)  # whatever the module left running
        report = self._report(target, number, pid, status, why_killed, options)
        if forked - began > 0.1:  # the first file waits for the zygote to import TensorFlow
            report.timings["zygote start"] = forked - began
        report.timings["child process"] = time.perf_counter() - forked  # the phases above, and sending the report
        return report

    def _next(self, seconds: float):
        try:
            return self._replies.get(timeout=seconds)
        except queue.Empty:
            return None

    def _watch(self, pid: int, options) -> tuple[Optional[str], Optional[int]]:
        """Wait for the child to end; kill it at the deadline or past the memory bound."""
        deadline = time.monotonic() + hard_deadline(options.timeout)
        limit = options.max_memory
        why = None
        while True:
            reply = self._next(POLL_SECONDS)
            assert self._process is not None  # check() made it; it is cleared only on the way out
            if reply is None and self._process.poll() is not None and self._replies.empty():
                self._process = None
                return why or "the checking process died", None
            if reply is not None:
                return why, reply[1]
            if why is None and time.monotonic() > deadline:
                why = f"timed out after {options.timeout:g} s (--timeout) and did not stop when asked: killed"
                _kill_group(pid)
            elif why is None and limit and resident_bytes(pid) > limit:
                why = f"used more than {format_bytes(limit)} of memory (--max-memory): killed"
                _kill_group(pid)

    def _report(self, target, number: int, pid: int, status: Optional[int], why_killed: Optional[str], options):

        path = os.path.join(self._folder, f"{number}.report")
        try:
            if why_killed:
                return FileReport(target.path, error=f"{target.path}: {why_killed}")
            data = _read_capped(path)
            if status != 0 or data is None:
                return FileReport(target.path, error=f"{target.path}: {_ended_early(status)}")
            owner, report = load_report(data)
            if owner != pid or not isinstance(report, FileReport):
                return FileReport(
                    target.path, error=f"{target.path}: the report did not come from the module's process"
                )
            return report
        except Exception as exc:  # noqa: BLE001 - a damaged report is the module's doing
            return FileReport(
                target.path, error=f"{target.path}: unreadable report from the checking process ({type(exc).__name__})"
            )
        finally:
            for leftover in (path, path + ".part", os.path.join(self._folder, f"{number}.out")):
                try:
                    os.unlink(leftover)
                except OSError:
                    pass


def _ended_early(status: Optional[int]) -> str:
    if status is None:
        return "the checking process died"
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        return f"the module's process was killed by {name} before shapecheck finished"
    code = os.WEXITSTATUS(status)
    return f"the module ended its process (exit status {code}: os._exit, a crash) before shapecheck finished"


def _read_capped(path: str) -> Optional[bytes]:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_REPORT_BYTES + 1)
    except OSError:
        return None
    return data if len(data) <= MAX_REPORT_BYTES else None


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def resident_bytes(pid: int) -> int:
    """Resident memory of a process (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def format_bytes(count: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20)):
        if count >= size:
            return f"{count / size:g} {unit}"
    return f"{count} bytes"


def parse_bytes(text: str) -> int:
    """'8G', '512M', '2GiB', '0' (no bound) -> bytes."""
    value = text.strip().upper().removesuffix("IB").removesuffix("B")
    scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}.get(value[-1:], 1)
    number = value[:-1] if value[-1:] in "KMGT" and value[-1:] else value
    try:
        amount = float(number)
    except ValueError:
        raise ValueError(f"--max-memory expects a size such as 4G or 512M, got {text!r}") from None
    if not amount >= 0 or amount == float("inf"):
        raise ValueError(f"--max-memory expects a size such as 4G or 512M, got {text!r}")
    return int(amount * scale)


# -- the run ------------------------------------------------------------------------
_WARDENS: list[Warden] = []
_LOCK = threading.Lock()


def _wardens(count: int) -> list[Warden]:
    """Wardens kept for the life of the process: their zygotes are reused across runs."""
    with _LOCK:
        while len(_WARDENS) < count:
            _WARDENS.append(Warden())
        return _WARDENS[:count]


def prestart() -> None:
    """Start the first zygote now, so that its TensorFlow import overlaps with the rest of
    the command's start-up (entry.py); the run then uses it."""
    with _LOCK:
        if not _WARDENS:
            _WARDENS.append(Warden())
        _WARDENS[0]._zygote()


@atexit.register
def _close_all() -> None:
    for warden in _WARDENS:
        warden.close()


def check_isolated(targets: list, options, check_in_process) -> list:
    """Every target checked, in order: builder modules in supervised children (N at a time
    with -j N), everything else by `check_in_process`."""
    isolated = [
        i for i, t in enumerate(targets) if t.path.lower().endswith((".py", ".ipynb")) and not t.problem and not t.skip
    ]
    results: list = [None] * len(targets)
    for i, target in enumerate(targets):
        if i not in isolated:
            results[i] = check_in_process(target, options)
    wardens = _wardens(max(1, min(options.jobs, len(isolated))))
    if len(wardens) == 1:
        for i in isolated:
            results[i] = wardens[0].check(targets[i], options)
        return results
    work: queue.Queue = queue.Queue()
    for i in isolated:
        work.put(i)

    def serve(warden: Warden) -> None:
        while True:
            try:
                i = work.get_nowait()
            except queue.Empty:
                return
            results[i] = warden.check(targets[i], options)

    with ThreadPoolExecutor(max_workers=len(wardens)) as pool:
        list(pool.map(serve, wardens))
    return results
