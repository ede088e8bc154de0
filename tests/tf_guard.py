"""`-m "not slow"` stays fast because every test that imports TensorFlow is marked `slow`.
This module (its hooks are re-exported by conftest.py) fails a test that is not marked slow
and imported TensorFlow, in this process or in a Python process it started:

* in this process: `tensorflow` was not in sys.modules before the test's setup and is after
  its teardown (only while nothing earlier imported it: in a `-m "not slow"` run, always);
* in a child process (`python -m shapecheck model.py`, the zygote that runs builder modules,
  `python -c ...`): a `sitecustomize` on PYTHONPATH installs a finder that writes the current
  test's id (PYTEST_CURRENT_TEST, inherited) to a log the moment `tensorflow` is looked up.
  A child started with an environment of its own (no PYTHONPATH, or none of ours), or with
  `python -S`/`-I`, is not seen.

The finder only records and returns None: imports proceed unchanged. Another sitecustomize
further down the path still runs (ours loads it).

Not reliable, so not to be relied on: a command whose arguments name a .py, an .ipynb or a
folder starts its zygote at once (entry.py) and kills it unused when the command ends early
(a syntax error, a bad option): whether that zygote reached `import tensorflow` first is a
race. Such a run starts TensorFlow's import all the same: run it in this process
(conftest.cli, no early zygote) or mark the test slow. And in a run with slow tests the
in-process check is blind once one of them imported TensorFlow (a zygote started by a slow
test and reused by a later one is not seen either): `-m "not slow"` is where it counts."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

__all__ = [  # the hooks, re-exported by conftest.py
    "pytest_collection_finish",
    "pytest_runtest_makereport",
    "pytest_runtest_setup",
    "pytest_sessionfinish",
    "pytest_terminal_summary",
    "pytest_testnodedown",
]

HEAVY = "tensorflow"
LOG_VARIABLE = "SHAPECHECK_TESTS_TF_LOG"

SITECUSTOMIZE = f'''
import os, sys


class _TensorFlowWatch:
    """tests/tf_guard.py: notes the running test when this process looks up tensorflow."""
    seen = False

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name == "tensorflow" and not cls.seen:
            cls.seen = True
            log, test = os.environ.get("{LOG_VARIABLE}"), os.environ.get("PYTEST_CURRENT_TEST")
            if log and test:
                with open(log, "a", encoding="utf-8") as handle:
                    handle.write(test.rsplit(" (", 1)[0] + "\\n")
        return None


sys.meta_path.insert(0, _TensorFlowWatch)


def _next_sitecustomize():
    """The sitecustomize this one hides: the next one on sys.path after this folder."""
    import importlib.machinery, importlib.util
    here = os.path.dirname(os.path.abspath(__file__))
    folders = [os.path.abspath(p or os.curdir) for p in sys.path]
    rest = sys.path[folders.index(here) + 1:] if here in folders else []
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is not None and spec.loader is not None:
        module = importlib.util.module_from_spec(spec)
        sys.modules["sitecustomize"] = module
        spec.loader.exec_module(module)


_next_sitecustomize()
'''


def install() -> Path:
    """Write the sitecustomize, put it first on the PYTHONPATH children inherit; the log path."""
    folder = Path(tempfile.mkdtemp(prefix="shapecheck-tests-tf-guard-"))
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    log = folder / "tensorflow-imports.log"
    log.touch()
    os.environ[LOG_VARIABLE] = str(log)
    os.environ["PYTHONPATH"] = os.pathsep.join([str(folder), *filter(None, [os.environ.get("PYTHONPATH")])])
    return log


LOG = install()
_flagged: set[str] = set()
_before: dict[str, bool] = {}


def _children_that_imported() -> set[str]:
    try:
        return set(LOG.read_text(encoding="utf-8").splitlines())
    except OSError:
        return set()


def _not_slow(item) -> bool:
    return item.get_closest_marker("slow") is None


def _why(item) -> str | None:
    reasons = []
    if not _before.pop(item.nodeid, True) and HEAVY in sys.modules:
        reasons.append("imported tensorflow in the test process")
    if item.nodeid in _children_that_imported():
        reasons.append("started a Python process that imported tensorflow")
    if not reasons:
        return None
    return (
        f"{item.nodeid} {' and '.join(reasons)} but is not marked slow: mark it "
        "@pytest.mark.slow (or keep TensorFlow out of it); `-m 'not slow'` is the quick run (tests/tf_guard.py)"
    )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    _before[item.nodeid] = HEAVY in sys.modules


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "teardown" and _not_slow(item):
        why = _why(item)
        if why:
            _flagged.add(item.nodeid)
            if report.passed:
                report.outcome = "failed"
                report.longrepr = why
    return report


_ITEMS = pytest.StashKey[dict]()
_AT_COLLECTION = pytest.StashKey[bool]()


def pytest_collection_finish(session):
    """A test module that imports TensorFlow when it is collected costs every run its import,
    and blinds the in-process check above."""
    session.config.stash[_ITEMS] = {item.nodeid: item for item in session.items}
    session.config.stash[_AT_COLLECTION] = HEAVY in sys.modules


def pytest_sessionfinish(session, exitstatus):
    """A child's log line that came after its test's teardown (a zygote still importing), and
    an import at collection: failures of the run. A pytest-xdist worker hands them to the
    controller, which reports them (pytest_testnodedown)."""
    config = session.config
    items = config.stash.get(_ITEMS, {})
    late = sorted(n for n in _children_that_imported() - _flagged if n in items and _not_slow(items[n]))
    config.stash[_LATE] = config.stash.get(_LATE, []) + late
    if hasattr(config, "workeroutput"):
        config.workeroutput["tf_guard"] = {"late": late, "at_collection": config.stash.get(_AT_COLLECTION, False)}
    if (config.stash[_LATE] or config.stash.get(_AT_COLLECTION, False)) and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    said = getattr(node, "workeroutput", {}).get("tf_guard", {})
    config = node.config
    config.stash[_LATE] = config.stash.get(_LATE, []) + said.get("late", [])
    config.stash[_AT_COLLECTION] = config.stash.get(_AT_COLLECTION, False) or said.get("at_collection", False)


_LATE = pytest.StashKey[list]()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if config.stash.get(_AT_COLLECTION, False):
        terminalreporter.write_line(
            "ERROR collecting the tests imported tensorflow: import it inside the tests "
            "that need it (tests/tf_guard.py)",
            red=True,
        )
    for nodeid in config.stash.get(_LATE, []):
        terminalreporter.write_line(
            f"ERROR {nodeid}: started a Python process that imported tensorflow "
            "but is not marked slow (tests/tf_guard.py)",
            red=True,
        )
