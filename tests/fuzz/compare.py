"""One generated model: shapecheck's verdicts against Keras', as a list of disagreements.

The subject is shapecheck run in this process on the rendered builder module, the way a
fixture is checked: `load_builder_module` (capture), `check_graphs` with every rule
(findings) and `sweep.plan` on the same graph (the per-merge failing-size masks the size
rules read). Compared:

* at the declared size: the merges Keras refuses (charged: none upstream failed) against
  SC101 / SC102 / SC103 findings, by line and code (rank differs: SC103; a channel axis
  differs: SC101; a spatial one: SC102). Merges downstream of a failing one are not
  compared there (Keras stops; shapecheck continues with a guess and groups consequences);
* at sampled rows of the sweep's own candidates (square sizes, one axis at a time, pairs
  of axes; always the rows where the sweep says a merge fails, and the smallest accepted
  square size with the largest refused one below it): accepted or not, and which merges
  fail, charged, per row;
* the size rules: a merge Keras charges at a square row (each input's own axes equal)
  needs SC104 (declared None sizes) or the model's SC301 (declared sizes); one charged
  only at non-square rows needs SC104 or SC202; an SC104 needs a square row where Keras
  charges it, an SC202 a non-square one and none at a square row; SC301 needs some merge
  failing at a square row.

Not compared: the warnings (SC201, SC204, SC205: intent, not Keras' verdict) and the words
of a size rule (the masks they are made from are compared row by row). Merges the sweep
reports as unchecked (SC002) are left out of the row comparison and counted.
"""

from __future__ import annotations

import os
import random
import tempfile
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from shapecheck.algebra.evaluate import Evaluator
from shapecheck.algebra.float_errors import quiet_numpy
from shapecheck.analysis import check_graphs, selected_rules
from shapecheck.layout import channel_axis
from shapecheck.load.builder import load_builder_module
from shapecheck.size_range import SizeRange
from shapecheck.sweep import plan

from .oracle import Oracle
from .spec import Spec, render

COMPARED = {"SC101", "SC102", "SC103", "SC104", "SC202", "SC301"}
CASE_DIR = os.path.join(tempfile.gettempdir(), "shapecheck-fuzz-cases")

CI_SQUARE = list(range(1, 10)) + [12, 15, 16, 17, 32, 33, 64]
CI_AXIS = list(range(1, 18)) + [31, 32, 33, 64]
AXIS_ROWS = 5  # rows per axis (one axis moved, the others at the reference size), drawn from CI_AXIS


def squareish(sweep) -> np.ndarray:
    """Rows where a failure makes SC104 (or SC301) rather than SC202: each input's own axes
    equal, or two inputs' axes differing on a grid (as Sweep.fails_square reads them)."""
    cross = np.isin(
        sweep.groups, [f"grid{k}.{l}" for k, l in sweep.pairs if sweep.axes[k].input_id != sweep.axes[l].input_id]
    )
    return sweep.square_rows() | cross


@dataclass
class Disagreement:
    kind: str  # declared-miss, declared-false, row-accept, row-miss, row-false, rule-miss, rule-false, crash
    detail: str
    line: Optional[int] = None
    row: Optional[list] = None  # the input shapes of the row

    def __str__(self) -> str:
        where = f" line {self.line}" if self.line else ""
        at = f" at {self.row}" if self.row is not None else ""
        return f"{self.kind}{where}{at}: {self.detail}"


@dataclass
class Outcome:
    spec: Spec
    disagreements: list = field(default_factory=list)
    invalid: Optional[str] = None  # Keras refuses the declared model at a non-merge layer
    rows: int = 0
    failing_sizes: bool = False  # Keras charged some merge at some swept size
    declared_failure: bool = False
    unchecked: int = 0
    findings: list = field(default_factory=list)  # (line, code) of every finding (for fixtures)
    excluded: list = field(default_factory=list)  # known, listed exclusions that applied (KNOWN.md)
    truth: dict = field(default_factory=dict)  # line -> codes Keras' verdict calls for (compared codes)

    def expectations(self) -> dict:
        """line -> codes for a fixture: Keras' verdict for the compared codes, shapecheck's
        own findings for the others (warnings, SC002, SC003)."""
        out = {line: sorted(codes) for line, codes in self.truth.items()}
        for line, code in self.findings:
            if code not in COMPARED and line:
                out.setdefault(line, []).append(code)
        return out


def subject(spec: Spec, source: str, sizes: SizeRange):
    os.makedirs(CASE_DIR, exist_ok=True)
    path = os.path.join(CASE_DIR, f"case_{abs(spec.seed)}.py")
    loaded = load_builder_module(path, text=source)
    if not loaded.graphs:
        raise RuntimeError(f"no graph: {loaded.notes}")
    graph = loaded.graphs[0]
    findings = check_graphs([graph], path, selected_rules((), ()), sizes)
    with quiet_numpy():
        sweep = plan(graph, sizes)
    return Subject(graph, findings, sweep, loaded.notes)


@dataclass
class Subject:
    graph: object
    findings: list
    sweep: object
    notes: list


def expected_codes(kind: str, args: dict, shapes: list, layout: str) -> set:
    """The SC10x codes for a merge Keras refused, from the shapes it was given."""
    ranks = {len(s) for s in shapes}
    if kind == "merge" and args.get("cls") == "Dot":
        axes = args["kw"]["axes"]
        ax = (axes[0] if isinstance(axes, (list, tuple)) else axes) % len(shapes[0])
        return {"SC101" if ax == channel_axis(len(shapes[0]), layout) else "SC102"}
    if len(ranks) > 1:
        return {"SC103"}
    rank = ranks.pop()
    concat = (kind == "merge" and args.get("cls") == "Concatenate") or (
        kind == "opmerge" and args.get("fn") == "concatenate"
    )
    codes = set()
    for ax in range(1, rank):
        column = [s[ax] for s in shapes]
        known = {d for d in column if d is not None}
        if concat:
            cat = (args.get("kw") or {}).get("axis", args.get("axis", -1)) % rank
            bad = ax != cat and len(known) > 1
        else:
            bad = len(known - {1}) > 1
        if bad:
            codes.add("SC101" if ax == channel_axis(rank, layout) else "SC102")
    return codes or {"SC101", "SC102", "SC103"}  # Keras refused, shapes agree: any code will do


def row_shapes(spec: Spec, graph, sweep, row: int) -> list:
    shapes = [list(i.shape) for i in spec.inputs]
    for k, axis in enumerate(sweep.axes):
        p = graph.inputs.index(axis.input_id)
        shapes[p][axis.index - 1] = int(sweep.candidates[row, k])
    return [tuple(s) for s in shapes]


def sample_rows(sweep, seed: int, hunt: bool, charged_rows: dict) -> list[int]:
    rng = random.Random(seed)
    groups, cand = sweep.groups, sweep.candidates
    rows = set()
    square = np.flatnonzero(groups == "square")
    if hunt:
        rows |= set(rng.sample(list(square), min(18, len(square))))
        for k in range(len(sweep.axes)):
            ax = np.flatnonzero(groups == f"axis{k}")
            rows |= set(rng.sample(list(ax), min(6, len(ax))))
    else:
        rows |= {int(r) for r in square if cand[r, 0] in CI_SQUARE}
        for k in range(len(sweep.axes)):
            ax = [int(r) for r in np.flatnonzero(groups == f"axis{k}") if cand[r, k] in CI_AXIS]
            rows |= set(rng.sample(ax, min(AXIS_ROWS, len(ax))))
    grid = np.flatnonzero(np.char.startswith(groups.astype(str), "grid"))
    if len(grid):
        rows |= set(rng.sample(list(grid), min(4 if hunt else 3, len(grid))))
    sq_rows = squareish(sweep)
    for merge in sweep.merges:  # where the sweep says it fails
        failing = np.flatnonzero(merge.failing)
        for pick in (failing[sq_rows[failing]], failing[~sq_rows[failing]]):
            if len(pick):
                rows.add(int(pick[0]))
                rows.add(int(rng.choice(list(pick))))
    acc = sweep.accepted[square]
    if acc.any() and not acc.all():  # the edge of what is accepted
        first = int(np.argmax(acc))
        rows.add(int(square[first]))
        refused_below = np.flatnonzero(~acc[:first])
        if len(refused_below):
            rows.add(int(square[refused_below[-1]]))
    return sorted(int(r) for r in rows)


def check_spec(spec: Spec, sizes: SizeRange = SizeRange(1, 64), hunt: bool = False, exclusions=()) -> Outcome:
    out = Outcome(spec)
    rendered = render(spec)
    line_of = rendered.lines  # op index -> merge line
    op_at = {line: i for i, line in line_of.items()}
    oracle = Oracle(spec)
    declared = oracle.build([i.shape for i in spec.inputs])
    if declared.rejected:
        out.invalid = declared.rejected[0]
        return out
    oracle.reference = declared
    try:
        seen = subject(spec, rendered.source, sizes)
        graph, findings, sweep = seen.graph, seen.findings, seen.sweep
    except Exception as exc:  # noqa: BLE001 - a crash of shapecheck is a disagreement
        if declared.raised and type(exc).__name__ == "CheckError":  # see known.py: no model at all
            out.excluded.append("build-stops-after-continuation")
            return out
        out.disagreements.append(Disagreement("crash", f"shapecheck raised {type(exc).__name__}: {exc}"))
        return out
    out.findings = sorted({(f.line, f.code) for f in findings})
    for rule in exclusions:
        if rule.applies(spec, seen):
            out.excluded.append(rule.name)
    if out.excluded:
        return out

    # -- the declared size ------------------------------------------------------------
    out.declared_failure = bool(declared.raised)
    declared_tainted = _tainted_ops(spec, declared.raised)
    expected = set()
    for i in declared.charged:
        op = spec.ops[i]
        shapes = declared.merge_inputs.get(i, [])
        if op.kind in ("nested", "block", "se"):
            codes = {"SC101", "SC102", "SC103"}  # Keras says nothing of the inner shapes
        else:
            layout = oracle.layouts[op.inputs[0]]
            if layout is None:  # no layer says where the channels are: a channel or a spatial axis
                codes = expected_codes(op.kind, op.args, shapes, "channels_last") | expected_codes(
                    op.kind, op.args, shapes, "channels_first"
                )
            else:
                codes = expected_codes(op.kind, op.args, shapes, layout)
        expected.add((line_of[i], frozenset(codes)))
        got = {f.code for f in findings if f.line == line_of[i] and f.code in codes}
        out.truth.setdefault(line_of[i], set()).update(got or {min(codes)})
    reported = {}
    for f in findings:
        if f.code in ("SC101", "SC102", "SC103"):
            reported.setdefault(f.line, set()).add(f.code)
    for line, codes in expected:
        got = reported.get(line, set())
        if not got:
            out.disagreements.append(
                Disagreement(
                    "declared-miss",
                    f"Keras refuses {_op_text(spec, op_at[line])}; {declared.raised[op_at[line]]}",
                    line,
                )
            )
        elif not got & codes:
            out.disagreements.append(
                Disagreement("declared-code", f"reported {sorted(got)}, expected one of {sorted(codes)}", line)
            )
    for line, codes in reported.items():
        i = op_at.get(line)
        if i is None:
            out.disagreements.append(
                Disagreement("declared-false", f"{sorted(codes)} on a line that is no merge", line)
            )
        elif i not in declared.charged and i not in declared_tainted:
            out.disagreements.append(
                Disagreement(
                    "declared-false",
                    f"{sorted(codes)} on {_op_text(spec, i)}, which Keras builds at {[i.shape for i in spec.inputs]}",
                    line,
                )
            )
    if sweep.skipped or sweep.candidates is None:
        return out

    # -- rows of the sweep --------------------------------------------------------------
    unchecked = {op_at.get(n.line if n.location else None) for _, n, _ in sweep.unchecked}
    out.unchecked = len(sweep.unchecked)
    sweep_fail = {}
    for m in sweep.merges:
        i = op_at.get(m.node.line)
        if i is not None:
            sweep_fail[i] = m.failing if i not in sweep_fail else sweep_fail[i] | m.failing
    rows = sample_rows(sweep, spec.seed, hunt, sweep_fail)
    square = squareish(sweep)
    checks = [
        (
            row_shapes(spec, graph, sweep, r),
            bool(sweep.accepted[r]),
            {i for i, mask in sweep_fail.items() if mask[r]},
            bool(square[r]),
        )
        for r in rows
    ]
    checks += own_rows(spec, graph, op_at, hunt, unchecked)
    out.rows = len(checks)
    charged_sq, charged_other = set(), set()
    for shapes, ours_ok, ours, is_square in checks:
        v = oracle.build(shapes)
        keras_ok = v.accepted
        if not ours_ok and (keras_ok is None or v.raised):
            continue  # refused behind a failing merge: how the build goes on after it decides, not Keras
        if not ours_ok and any(i in declared_tainted or i not in declared.weights for i in v.weights):
            continue  # weights the declared build made only behind a failing merge: the same convention
        if (keras_ok is not False) != ours_ok:
            why = v.rejected[0] if v.rejected else "Keras builds it"
            out.disagreements.append(
                Disagreement(
                    "row-accept",
                    f"shapecheck says {'accepted' if ours_ok else 'not accepted'}; Keras: {why}",
                    row=shapes,
                )
            )
            continue
        if not ours_ok:
            continue
        theirs = v.charged - unchecked
        if theirs:
            out.failing_sizes = True
            (charged_sq if is_square else charged_other).update(theirs)
        for i in sorted(theirs - ours):
            out.disagreements.append(
                Disagreement(
                    "row-miss",
                    f"Keras: {_op_text(spec, i)} fails ({v.raised[i]}); shapecheck charges it nothing here",
                    line_of[i],
                    shapes,
                )
            )
        for i in sorted(ours - theirs - unchecked):
            said = "builds it" if i not in v.raised else "fails at it but an earlier merge failed first"
            out.disagreements.append(
                Disagreement("row-false", f"shapecheck charges {_op_text(spec, i)}; Keras {said}", line_of[i], shapes)
            )

    # -- the size rules -----------------------------------------------------------------
    codes_at = {}
    for f in findings:
        codes_at.setdefault(f.line, set()).add(f.code)
    if sweep.fixed:
        failing_square = {i for i in charged_sq if i not in declared.raised and i not in declared_tainted}
        has = "SC301" in codes_at.get(rendered.input_line, set())
        if failing_square and not has:
            out.disagreements.append(
                Disagreement(
                    "rule-miss",
                    f"no SC301, but Keras fails at square sizes at {sorted(line_of[i] for i in failing_square)}",
                    rendered.input_line,
                )
            )
        if has and not failing_square and not sweep_fail.keys() - set(declared.raised):
            out.disagreements.append(
                Disagreement("rule-false", "SC301 but no merge fails at a square size", rendered.input_line)
            )
    if sweep.fixed and {i for i in charged_sq if i not in declared.raised and i not in declared_tainted}:
        out.truth.setdefault(rendered.input_line, set()).add("SC301")
    for i, line in line_of.items():
        if i in declared.raised or i in declared_tainted or i in unchecked:
            continue
        if not sweep.fixed and i in charged_sq:
            out.truth.setdefault(line, set()).add("SC104")
        elif i in charged_other and i not in charged_sq:  # SC104 too may be right (a square row not tried)
            out.truth.setdefault(line, set()).add("SC104" if "SC104" in codes_at.get(line, set()) else "SC202")
        codes = codes_at.get(line, set())
        if i in charged_sq and not sweep.fixed and "SC104" not in codes:
            out.disagreements.append(
                Disagreement(
                    "rule-miss",
                    f"Keras fails {_op_text(spec, i)} at a square size; reported {sorted(codes) or 'nothing'}",
                    line,
                )
            )
        if i in charged_other and i not in charged_sq and not codes & {"SC104", "SC202"}:
            out.disagreements.append(
                Disagreement(
                    "rule-miss",
                    f"Keras fails {_op_text(spec, i)} at a non-square size; reported {sorted(codes) or 'nothing'}",
                    line,
                )
            )
        if "SC104" in codes and i not in charged_sq:
            out.disagreements.append(
                Disagreement(
                    "rule-false", f"SC104 on {_op_text(spec, i)}, but Keras fails it at no square size tried", line
                )
            )
        if "SC202" in codes and (i in charged_sq or i not in charged_other):
            out.disagreements.append(
                Disagreement(
                    "rule-false",
                    f"SC202 on {_op_text(spec, i)}, Keras: square {i in charged_sq}, non-square {i in charged_other}",
                    line,
                )
            )
    return out


def own_rows(spec: Spec, graph, op_at: dict, hunt: bool, unchecked: set) -> list:
    """Sizes the oracle picks itself, not from the sweep's rows: every `None` axis of the
    spec (the axes its author left free, whatever layout shapecheck reads) at one size, and
    with two free axes one row where they differ. The algebra is evaluated at exactly these
    sizes (one Evaluator pass), so a sweep that varies the wrong axis cannot hide a failure.
    Returns (input shapes, algebra accepts, merges it charges, square) per row."""
    free = [(p, j) for p, inp in enumerate(spec.inputs) for j, d in enumerate(inp.shape) if d is None]
    if not free or len(graph.inputs) != spec.n_inputs:
        return []
    rng = random.Random(spec.seed * 7 + 1)
    values = rng.sample([2, 3, 4, 5, 6, 7, 9, 11, 12, 13, 17, 24, 31, 33], 4 if hunt else 3)
    table = [[v] * len(free) for v in values]
    if len(free) > 1:
        table.append([rng.randint(1, 40) for _ in free])
    arrays = np.array(table, dtype=np.int64)
    inputs = {}
    for node_id in graph.inputs:
        inputs[node_id] = list(graph.nodes[node_id].output_shapes[0])
    for k, (p, j) in enumerate(free):
        shape = inputs[graph.inputs[p]]
        if j + 1 >= len(shape):
            return []
        shape[j + 1] = arrays[:, k]
    evaluator = Evaluator(len(table))
    with quiet_numpy():
        evaluator.run(graph, {n: tuple(s) for n, s in inputs.items()})
    result = evaluator.result
    skip = unchecked | {op_at.get(n.line) for _, n, _ in result.unchecked.values()}
    charged = {}
    for key, mask in result.merge_fail.items():
        i = op_at.get(result.merge_nodes[key][1].line)
        if i is not None and i not in skip:
            charged[i] = mask if i not in charged else charged[i] | mask
    rows = []
    for r, row in enumerate(table):
        shapes = [list(inp.shape) for inp in spec.inputs]
        for (p, j), value in zip(free, row):
            shapes[p][j] = int(value)
        rows.append(
            (
                [tuple(x) for x in shapes],
                bool(result.accepted[r]),
                {i for i, mask in charged.items() if mask[r]},
                len(set(row)) == 1,
            )
        )
    return rows


def _tainted_ops(spec: Spec, raised: dict) -> set:
    """Ops downstream of a merge that failed (not the failing merges themselves)."""
    k = spec.n_inputs
    bad = {k + i for i in raised}
    out = set()
    for i, op in enumerate(spec.ops):
        if any(t in bad for t in op.inputs):
            bad.add(k + i)
            out.add(i)
    return out


def _op_text(spec: Spec, i: int) -> str:
    return f"op {i} ({spec.ops[i].label})"
