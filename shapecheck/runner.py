"""The run: discover the files, check each (builder modules in supervised children, see
isolation/; the rest here, see worker.py), and collect the RunReport.

Detection never prints; the CLI (or a caller of `check_paths`) hands the result to a
reporter.
"""

from __future__ import annotations

import os
from typing import Optional, Sequence

from shapecheck import timing
from shapecheck.load.discover import discover
from shapecheck.load.imports import Closure
from shapecheck.load.imports_cache import NO_CACHE, FactsCache, cache_path
from shapecheck.options import Options
from shapecheck.results import FileReport, RunReport
from shapecheck.worker import check_target

__all__ = ["Options", "check_paths"]


def check_paths(paths: Sequence[str], options: Optional[Options] = None) -> RunReport:
    options = options or Options()
    cache = FactsCache(cache_path()) if options.cache else NO_CACHE
    targets = discover(list(paths), Closure(cache))
    if options.isolate:
        from shapecheck.isolation.warden import check_isolated

        files = check_isolated(targets, options, check_target)
    else:
        files = [check_target(t, options) for t in targets]
    if os.environ.get("SHAPECHECK_DEBUG"):
        for file in files:
            if file.timings:
                memory = (
                    f"; memory +{file.added_memory / 2**20:.0f} MiB over the zygote's"
                    if file.added_memory is not None
                    else ""
                )
                file.notes.append("time: " + timing.describe(file.timings) + memory)
    return RunReport(files + _folders_without_models(paths, files))


def _folders_without_models(paths: Sequence[str], files: list[FileReport]) -> list[FileReport]:
    """A folder whose files were all run and none built a model could not be checked (exit 2)."""
    out = []
    for folder in (p for p in paths if os.path.isdir(p)):
        prefix = os.path.join(os.path.abspath(folder), "")
        inside = [f for f in files if os.path.abspath(f.path).startswith(prefix)]
        if inside and not any(f.models or f.error for f in inside) and any(f.status == "no-model" for f in inside):
            out.append(FileReport(folder, error=f"{folder}: no Keras model was built by any file here"))
    return out
