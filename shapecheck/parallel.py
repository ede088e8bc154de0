"""-j N: check files in worker processes, each importing TensorFlow once for all its files.
Results come back in the order of the files, whatever order the workers finish in."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from shapecheck.runner import FileReport, Options, check_target
from shapecheck.load.discover import Target


def _portable(report: FileReport) -> FileReport:
    """Drop what only the worker's process can hold: Keras objects and shape functions."""
    for graph in report.models:
        graph.source = None
        for _, node in graph.walk():
            node.shape_function = None
    return report


def _check(target: Target, options: Options) -> FileReport:
    return _portable(check_target(target, options))


def check_in_workers(targets: list[Target], options: Options) -> list[FileReport]:
    # spawn, not fork: a parent that already imported TensorFlow must not be forked
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(options.jobs, len(targets)), mp_context=context) as pool:
        futures = [pool.submit(_check, target, options) for target in targets]
        return [future.result() for future in futures]
