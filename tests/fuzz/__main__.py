"""python -m tests.fuzz --minutes 30 [--seed S] [--out DIR] [--jobs J]: a long hunt.

Seeds from S upward until the time is up; Keras' verdict against shapecheck's on each
generated model (sizes sampled at random from the sweep's own rows over 1..64); every
disagreement is shrunk and written to DIR as a ready fixture module. Prints the coverage
and the counts at the end (and every few minutes)."""

from __future__ import annotations

import argparse
import sys
import time


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz")
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=100_000, help="first seed (CI uses 0..)")
    parser.add_argument("--count", type=int, default=None, help="stop after this many graphs")
    parser.add_argument("--out", default="fuzz-out", help="folder for shrunk disagreements")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--ci", action="store_true", help="the CI sampling of sizes instead of random rows")
    parser.add_argument("--no-shrink", action="store_true")
    parser.add_argument("--shrink-per-kind", type=int, default=3, help="shrink this many cases of each kind")
    args = parser.parse_args(argv)

    from .hunt import outcomes, shrink_outcome, write_case
    from .run import Coverage

    hunt = not args.ci
    start = time.monotonic()
    deadline = start + args.minutes * 60
    last_report = start
    coverage = Coverage()
    failures = []
    stop = args.seed + args.count if args.count else None
    seeds = range(args.seed, stop) if stop else iter(lambda s=[args.seed - 1]: s.__setitem__(0, s[0] + 1) or s[0], None)
    for outcome in outcomes(seeds, hunt, args.jobs, deadline):
        coverage.add(outcome)
        if outcome.disagreements:
            failures.append(outcome)
            print(
                f"seed {outcome.spec.seed}: {len(outcome.disagreements)} disagreements, first: "
                f"{outcome.disagreements[0]}",
                flush=True,
            )
        if time.monotonic() - last_report > 300:
            last_report = time.monotonic()
            coverage.seconds = last_report - start
            print(coverage.text(), flush=True)
    coverage.seconds = time.monotonic() - start
    written = []
    if not args.no_shrink:
        shrunk_kinds: dict = {}
        for outcome in failures:
            kind = outcome.disagreements[0].kind
            shrunk_kinds[kind] = shrunk_kinds.get(kind, 0) + 1
            if shrunk_kinds[kind] > args.shrink_per_kind:  # written as found: the time goes to new kinds
                written.append(write_case(args.out, outcome, outcome.spec, outcome))
                continue
            small, small_outcome = shrink_outcome(outcome, hunt)
            if not small_outcome.disagreements:  # it went away (a row sampled at random): keep the original
                small, small_outcome = outcome.spec, outcome
            written.append(write_case(args.out, outcome, small, small_outcome))
            print(f"seed {outcome.spec.seed}: shrunk to {len(small.ops)} ops -> {written[-1]}", flush=True)
    print(coverage.text())
    print(f"fuzz: {len(failures)} graphs with disagreements" + (f", written to {args.out}/" if written else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
