"""The child side of builder-module isolation (see warden.py for the parent side).

`python -m shapecheck.isolation.zygote DIR` imports TensorFlow and Keras once, then serves
requests from the parent on stdin: for each builder module it forks a fresh child, which
runs the module and the rules, writes its report to a file in DIR and ends with
`os._exit`, so nothing a module leaves behind (atexit handlers, threads, patched Keras, a
changed working directory, output on file descriptor 1) reaches the parent or the next
file. The zygote itself never runs user code, and answers with messages on stdout:
("started", pid) when a child is forked, ("exited", wait status) when it is gone.
"""

from __future__ import annotations

import gc
import os
import pickle
import resource
import signal
import sys

from shapecheck.isolation.protocol import read_message, write_message
from shapecheck.results import FileReport


def main() -> None:
    folder = sys.argv[1]
    requests = os.fdopen(os.dup(0), "rb")
    replies = os.fdopen(os.dup(1), "wb")
    _quiet_standard_streams()
    from shapecheck import fixes, rules, witnesses, worker  # noqa: F401  (what every child runs after the module)
    from shapecheck.capture import session  # noqa: F401  (TensorFlow and Keras, imported once for every child)

    gc.freeze()  # the imported heap is never traversed by a child's collections: no copy-on-write of it

    for request in iter(lambda: read_message(requests), None):
        target, options, number = request
        result_path = os.path.join(folder, f"{number}.report")
        pid = os.fork()
        if pid == 0:
            requests.close()
            replies.close()
            _child(target, options, result_path, os.path.join(folder, f"{number}.out"))
        write_message(replies, ("started", pid))
        _, status = os.waitpid(pid, 0)
        write_message(replies, ("exited", status))


def _quiet_standard_streams() -> None:
    """fd 0 from /dev/null, fds 1 and 2 to /dev/null (children redirect their own)."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1):
        os.dup2(null, fd)
    if not os.environ.get("SHAPECHECK_DEBUG"):
        os.dup2(null, 2)
    os.close(null)


def _child(target, options, result_path: str, output_path: str) -> None:
    """Run one builder module and the rules; write (pid, report) to `result_path`; exit."""
    code = 1
    try:
        os.setpgrp()  # the parent kills the whole group: whatever the module started goes too
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        output = os.open(output_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(output, 1)
        if not os.environ.get("SHAPECHECK_DEBUG"):
            os.dup2(output, 2)
        os.close(output)
        me = os.getpid()
        inherited = resident_bytes()  # what the zygote's imports hold: the check's own memory is above it
        forked = _watch_forks()
        from shapecheck.capture import weights
        from shapecheck.isolation.plain_report import plain_report
        from shapecheck.worker import check_target

        weights.DISPOSABLE = True  # this process ends after the report: its models need no weight values

        try:
            report = check_target(target, options)
        except Exception as exc:  # noqa: BLE001 - shapecheck's own failure on this file
            report = FileReport(target.path, error=f"{target.path}: internal error: {type(exc).__name__}: {exc}")
        report.added_memory = max(0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - inherited)
        if os.getpid() != me:
            os._exit(0)  # a copy the module forked: it reports nothing
        if forked:
            report.models, report.findings = [], []
            report.error = f"{target.path}: the module forked a process (os.fork); its results are not trusted"
        try:
            payload = pickle.dumps((me, plain_report(report)), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - shapecheck's own failure: say so, not "the module crashed"
            failed = FileReport(
                target.path,
                error=f"{target.path}: internal error: the report could not be sent back ({type(exc).__name__}: {exc})",
            )
            payload = pickle.dumps((me, failed), protocol=pickle.HIGHEST_PROTOCOL)
        with open(result_path + ".part", "wb") as handle:
            handle.write(payload)
        os.replace(result_path + ".part", result_path)
        code = 0
    finally:
        os._exit(code)


def resident_bytes() -> int:
    """This process's resident memory now (Linux; 0 where /proc is not there)."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _watch_forks() -> list:
    """Record whether the module forks (the list is non-empty once it has)."""
    seen: list = []
    real_fork = os.fork

    def fork():
        seen.append(True)
        return real_fork()

    os.fork = fork
    return seen


if __name__ == "__main__":
    main()
