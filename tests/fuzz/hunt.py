"""Many seeds, in one process or a pool: coverage, disagreements shrunk and written out."""

from __future__ import annotations

import multiprocessing
import os
import time
from typing import Iterable, Optional

from shapecheck.size_range import SizeRange

SIZES = SizeRange(1, 64)


def _worker_init() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from . import run  # noqa: F401 - TensorFlow once per worker


def _one(args):
    seed, hunt = args
    from .run import check_seed

    try:
        return check_seed(seed, SIZES, hunt)
    except Exception as exc:  # noqa: BLE001 - the fuzzer's own failure is reported, not hidden
        from .compare import Disagreement, Outcome
        from .generate import generate

        out = Outcome(generate(seed))
        out.disagreements.append(Disagreement("fuzzer-error", f"{type(exc).__name__}: {exc}"))
        return out


def outcomes(seeds: Iterable[int], hunt: bool, jobs: int, deadline: Optional[float] = None):
    """Yield the Outcome of each seed (in any order with jobs > 1) until the deadline."""
    work = ((s, hunt) for s in seeds)
    if jobs <= 1:
        _worker_init()
        for item in work:
            if deadline is not None and time.monotonic() > deadline:
                return
            yield _one(item)
        return
    context = multiprocessing.get_context("spawn")
    with context.Pool(jobs, initializer=_worker_init, maxtasksperchild=400) as pool:
        for outcome in pool.imap_unordered(_one, work, chunksize=4):
            yield outcome
            if deadline is not None and time.monotonic() > deadline:
                pool.terminate()
                return


def shrink_outcome(outcome, hunt: bool):
    """The minimal spec keeping the first disagreement's kind, and its outcome."""
    from .run import check_spec_outcome, still_fails
    from .shrink import shrink

    kind = outcome.disagreements[0].kind
    if kind in ("crash", "fuzzer-error"):
        small = shrink(outcome.spec, lambda s: still_fails(s, kind, SIZES, hunt), budget=60)
    else:
        small = shrink(outcome.spec, lambda s: still_fails(s, kind, SIZES, hunt))
    return small, check_spec_outcome(small, SIZES, hunt)


def write_case(directory: str, original, small, small_outcome) -> str:
    from .shrink import fixture_source

    os.makedirs(directory, exist_ok=True)
    name = os.path.join(directory, f"fuzz_seed_{original.spec.seed}.py")
    lines = [f"Shrunk by tests/fuzz from seed {original.spec.seed}.", "", "Disagreements (before the fix):"]
    lines += [f"  {d}" for d in small_outcome.disagreements[:8]]
    lines += ["", "Spec:", *("  " + ln for ln in repr(small).splitlines())]
    note = "\n".join(lines).replace('"""', "'''")
    with open(name, "w", encoding="utf-8") as handle:
        handle.write(fixture_source(small, small_outcome.expectations(), note))
    return name
