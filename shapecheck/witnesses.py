"""Witnesses: Keras confirms what the shape algebra claims about input sizes.

The size sweep (sweep.py) evaluates a model at thousands of sizes with shapecheck's own
shape algebra; that algebra proposes, Keras decides. Before any size claim is shown (SC104,
SC202, SC301, a "works at every size" for a model declared with None sizes), the model is
built by Keras at a few witness sizes: for each merge the algebra says fails, a size where
it fails (Keras must refuse that merge there), and a sample of sizes where the algebra
says the model works (Keras must build it): small sizes, each residue class of small
moduli, the reference size, the top of the range, and each input's axes moved on their own.

Where Keras disagrees, Keras' answer is the one reported: a claim it contradicts is
withdrawn, a merge it refuses at a size the algebra accepted is reported from Keras' own
answer, and each disagreement is a note naming the layer and the size; the model is then
`partial` in every format. Where the algebra could not follow a layer at all (SC002), Keras
is asked at a sample of sizes instead, so merges behind (or inside) that layer are still
checked at those sizes.

The front end gives each graph a `judge` (capture/witness.py for Keras): concrete input
shapes -> a `Judgement`. Nothing here imports Keras.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, NamedTuple, Optional, cast

import numpy as np

from shapecheck import timing
from shapecheck.graph import Graph
from shapecheck.size_range import SizeRange
from shapecheck.sweep import MergeSizes, Sweep, plan

WORKING_SAMPLE = 8  # sizes where the algebra says the model works, per model (the 4 smallest, 4 spread)
FAILING_PER_MERGE = 1  # sizes where the algebra says a merge fails, per merge
FAILING_MERGES = 8  # merges whose failing claim is witnessed, per model (the first ones)
OPAQUE_SAMPLE = 48  # sizes Keras is asked at when the algebra cannot follow a layer
MODULI = (2, 3, 4, 5, 7, 8, 16, 32)


@dataclass(frozen=True)
class Judgement:
    """Keras' answer at one set of concrete input shapes."""

    failing: frozenset = frozenset()  # names of the merges Keras refused (going on past each, as capture does)
    lines: tuple = ()  # (layer name, line) of merges refused inside a layer's call() that Keras ran as one
    rejected: Optional[str] = None  # a layer that is not a merge refused the size: "conv2d: Negative dimension ..."
    stopped: Optional[str] = None  # where the build could not go on (merges after it were not reached)
    rejected_by: Optional[str] = None  # the name of the layer that refused the size

    @property
    def built(self) -> bool:
        return not self.failing and not self.lines and not self.rejected and not self.stopped


Judge = Callable[[list[tuple]], Judgement]


class Asked(NamedTuple):
    """One witness size and what Keras did there."""

    size: str  # in words: "33×33"
    built: bool
    claim: Optional[str]  # the merge whose failure it witnesses (None: a size where the model works)
    refused: tuple  # the merges Keras refused there


class Unavailable(Exception):
    """A judge that found, when first asked, that it cannot build the model (a saved file
    whose config Keras will not rebuild without running code carried in it)."""


@dataclass
class Witnessed:
    """What Keras said about one model's sweep: carried on the report, read by every format."""

    rows: list = field(default_factory=list)  # Asked, per witness size
    agreed: int = 0  # of those, where Keras and the algebra agreed
    disputes: dict = field(default_factory=dict)  # merge name -> note (Keras' answer against the algebra's)
    keras_only: dict = field(default_factory=dict)  # merge name -> sizes Keras refused it at that the algebra missed
    inside: list = field(default_factory=list)  # (layer, line, sizes): refused inside a call() the algebra cannot see
    sampled: int = 0  # sizes Keras was asked at past a layer the algebra cannot follow
    built: list = field(default_factory=list)  # every size Keras built the model at, in words
    built_rows: list = field(default_factory=list)  # the same, as rows of the sweep
    unavailable: Optional[str] = None  # why Keras could not be asked (a saved file without a rebuildable model, ...)
    behind: dict = field(default_factory=dict)  # merge name -> a failing merge before it ("name (line 12)")

    @property
    def sizes(self) -> list[str]:
        return [row.size for row in self.rows]

    def summary(self) -> str:
        """'sizes confirmed by Keras at 12 sizes: refuses 3×3; builds 2×2, 4×4, ...' or the disagreement count."""
        if self.unavailable:
            return f"sizes not confirmed by Keras: {self.unavailable}"
        if not self.rows:
            return ""
        refused = [row.size for row in self.rows if not row.built]
        built = [row.size for row in self.rows if row.built]
        parts = [f"refuses {_some(refused)}"] if refused else []
        parts += [f"builds {_some(built)}"] if built else []
        count = len(self.rows)
        past = f"; asked at {self.sampled} more past a layer the shape algebra cannot follow" if self.sampled else ""
        if self.agreed == count and not self.disputes:
            return f"sizes confirmed by Keras at {count} size{'s' if count != 1 else ''}: {'; '.join(parts)}{past}"
        return (
            f"Keras agreed with the shape algebra at {self.agreed} of {count} sizes ({'; '.join(parts)}){past}; "
            f"{len(self.disputes)} disagreement{'s' if len(self.disputes) != 1 else ''}"
        )


def loud_notes(said: dict) -> list[str]:
    """model name -> Witnessed, as notes: each disagreement between Keras and the shape
    algebra, each model whose size claims no Keras could confirm."""
    out = []
    for model, keras in said.items():
        for note in keras.disputes.values():
            out.append(
                f"Keras disagrees with the shape algebra in model '{model}': {note} (a shapecheck bug: "
                f"please report it; the model counts as partial)"
            )
        if keras.unavailable:
            out.append(
                f"model '{model}': {keras.summary()}; its size verdicts are the shape algebra's alone "
                f"(the model counts as partial)"
            )
    return out


def _some(texts: list[str], most: int = 4) -> str:
    return ", ".join(texts[:most]) + (", ..." if len(texts) > most else "")


def confirm(sweep, judge: Optional[Judge]) -> Witnessed:
    """Ask Keras at the witness sizes of `sweep`; amend the sweep to Keras' answer."""
    witnessed = Witnessed()
    if sweep.skipped or sweep.candidates is None:
        return witnessed
    if judge is None:
        if not sweep.fixed or size_claims(sweep):
            witnessed.unavailable = "no Keras model to build here"
        witnessed.behind = behind_failures(sweep)
        return witnessed
    with timing.phase("witness"):
        rows = witness_rows(sweep)
        try:
            answers = [(row, claim, _ask(judge, sweep, row)) for row, claim in rows]
            if sweep.unchecked:
                _sample_past_stops(sweep, judge, witnessed, {row for row, _, _ in answers})
        except Unavailable as exc:
            return Witnessed(unavailable=str(exc), behind=behind_failures(sweep))
        _compare(sweep, answers, witnessed)
    witnessed.behind = behind_failures(sweep)  # after Keras' answer: withdrawn claims stop nothing
    return witnessed


def _ask(judge: Judge, sweep, row: int) -> Judgement:
    try:
        return judge(concrete_shapes(sweep, row))
    except Unavailable:
        raise
    except Exception as exc:  # noqa: BLE001 - the judge's own trouble is a stop, never a verdict
        return Judgement(stopped=f"Keras could not be asked ({type(exc).__name__}: {str(exc)[:120]})")


def concrete_shapes(sweep, row: int) -> list[tuple]:
    """The model's input shapes at candidate `row` (batch 2: nothing broadcasts by accident)."""
    model = sweep.model
    values = {(a.input_id, a.index): int(v) for a, v in zip(sweep.axes, sweep.candidates[row])}
    shapes = []
    for node_id in model.inputs:
        shape = list(model.nodes[node_id].output_shapes[0])
        for i in range(len(shape)):
            if (node_id, i) in values:
                shape[i] = values[(node_id, i)]
        shape[0] = 2 if shape and shape[0] is None else shape[0]
        shapes.append(tuple(shape))
    return shapes


def behind_failures(sweep) -> dict[str, str]:
    """Merges downstream of a merge the size claims say fails at some sizes: at those sizes
    the build stops at the first one, so the later merge is not reached there ("ok" would
    say too much). One pass in topological order; inside a nested graph, its merges are
    behind what reaches the node that holds it."""
    model = sweep.model
    claims: dict[str, str] = {}
    if sweep.fixed:
        return {}  # a fixed-size model is ok where declared; its other sizes are SC301's to state
    for merge in size_claims(sweep):
        holder = next(
            (
                node
                for node in model.nodes
                if node is merge.node
                or (node.subgraph is not None and any(inner is merge.node for _, inner in node.subgraph.walk()))
            ),
            None,
        )
        if holder is not None:
            where = f" ({merge.node.location.label()})" if merge.node.line else ""
            claims.setdefault(holder.id, f"'{merge.node.name}'{where}")
    cause: dict[int, Optional[str]] = {}
    behind: dict[str, str] = {}
    for node in model.nodes:  # ids are topological
        reaching = next((cause[e.source] for e in node.inputs if cause.get(e.source)), None)
        if reaching is not None:
            inner = [n for _, n in node.subgraph.walk()] if node.subgraph is not None else []
            for merge in [node] + inner:
                if merge.merge is not None:
                    behind.setdefault(merge.name, reaching)
        cause[node.id] = reaching or claims.get(node.id)
    failing = {m.node.name for m in sweep.merges}
    return {name: why for name, why in behind.items() if name not in failing}


# -- which sizes -------------------------------------------------------------------------
def size_claims(sweep) -> list:
    """The failing merges whose failure is a claim about other sizes: those that agree at
    the declared size (a mismatch there is Keras' own answer already, from the build)."""
    from shapecheck.algebra.merge import outcome

    return [m for m in sweep.merges if not m.from_keras and outcome(m.node.merge, m.node.input_shapes).ok]


def witness_rows(sweep) -> list[tuple[int, Optional[str]]]:
    """Rows of the sweep to build with Keras, each with the merge whose failure it
    witnesses (None: a size where the algebra says the model works)."""
    rows: dict[int, Optional[str]] = {}
    square = sweep.square_rows()
    claims = size_claims(sweep)
    for merge in claims[:FAILING_MERGES]:
        failing = (
            np.flatnonzero(merge.failing & square) if (merge.failing & square).any() else np.flatnonzero(merge.failing)
        )
        for r in failing[:FAILING_PER_MERGE]:
            rows.setdefault(int(r), merge.node.name)
    working = sweep.accepted & ~sweep.any_conflict()
    if not sweep.fixed or claims:
        for r in working_sample(sweep, working):
            rows.setdefault(r, None)
    return list(rows.items())


def working_sample(sweep, working: np.ndarray) -> list[int]:
    """Working sizes: the smallest, each residue class of small moduli, the reference size
    and the largest, on the square rows; then per axis (the others at their reference)
    and, for axes of different inputs, rows where they differ."""
    picked: list[int] = []
    square = np.flatnonzero((sweep.groups == "square") & working)
    if len(square):
        values = sweep.candidates[square, 0]
        picked += [int(square[0]), int(square[min(1, len(square) - 1)])]
        for p in MODULI:
            for r in range(p):
                hit = np.flatnonzero(values % p == r)
                if len(hit):
                    picked.append(int(square[hit[0]]))
        picked.append(int(square[values <= 512][-1]) if (values <= 512).any() else int(square[-1]))
    for k in range(len(sweep.axes) if len(sweep.axes) > 1 else 0):
        axis_rows = np.flatnonzero((sweep.groups == f"axis{k}") & working)
        if len(axis_rows):
            picked += [int(axis_rows[0]), int(axis_rows[len(axis_rows) // 2])]
    for k, l in sweep.pairs:
        grid = np.flatnonzero((sweep.groups == f"grid{k}.{l}") & working)
        if len(grid):
            picked += [int(grid[len(grid) // 3]), int(grid[(2 * len(grid)) // 3])]
    unique = list(dict.fromkeys(picked))
    if len(unique) <= WORKING_SAMPLE:
        return unique
    head = unique[:4]  # the smallest sizes, then an even spread over the rest
    rest = unique[4:]
    step = len(rest) / (WORKING_SAMPLE - 4)
    return head + [rest[int(i * step)] for i in range(WORKING_SAMPLE - 4)]


# -- what Keras said against what the algebra said ----------------------------------------
def _expected(sweep, row: int) -> set[str]:
    """Merges the algebra says conflict at `row` (consequences of an earlier conflict too:
    Keras is asked going on past each refused merge, as the algebra does)."""
    return {node.name for (graph, node), mask in sweep.conflict_masks() if mask[row]}


def _compare(sweep, answers: list, witnessed: Witnessed) -> None:
    """The witness sizes: each claim Keras contradicts is withdrawn, each refusal the algebra
    missed is Keras' to report, and each size counts as agreed or not."""
    withdrawn: set[str] = set()
    unfollowed = {stop.node.name for _, _, stop in sweep.unchecked}
    unclaimed = _not_claimed(sweep)
    for row, claim, answer in answers:
        size = sweep.size_text(row)
        witnessed.rows.append(Asked(size, answer.built, claim, tuple(sorted(answer.failing))))
        expected, surprised = _record(sweep, witnessed, row, answer, unclaimed)
        agree = not surprised
        for name in sorted(expected - answer.failing):
            if answer.rejected or answer.stopped:
                continue  # Keras stopped before it; said below
            agree = False
            withdrawn.add(name)
            witnessed.disputes.setdefault(
                name,
                f"the shape algebra says '{name}' fails at {size}, but Keras builds it "
                f"there: the size claim is withdrawn",
            )
        if answer.rejected and answer.rejected_by not in unfollowed:  # a layer the algebra stopped at claims nothing
            agree = False
            witnessed.disputes.setdefault(
                f"size {size}", f"Keras refuses the size {size} at {answer.rejected}, which the shape algebra accepts"
            )
        if answer.stopped and not answer.lines and not answer.failing:
            agree = False
            witnessed.disputes.setdefault(f"stop {answer.stopped}", f"at {size} Keras stopped at {answer.stopped}")
        witnessed.agreed += agree
    if withdrawn:
        sweep.merges = [m for m in sweep.merges if m.node.name not in withdrawn]
    _keras_only_merges(sweep, witnessed)


def _not_claimed(sweep) -> tuple[set[str], set[str]]:
    """The merges the sweep could not reach, and those already wrong as declared: Keras
    refusing either contradicts no claim of the algebra's."""
    return {node.name for _, node, _ in sweep.unchecked}, declared_failing(sweep.model)


def _record(sweep, witnessed: Witnessed, row: int, answer: Judgement, unclaimed: tuple) -> tuple[set[str], bool]:
    """What Keras refused at `row`, kept for the report: a merge the algebra could not reach,
    or said agrees there (a disagreement, said), and refusals inside a call() the algebra
    cannot see. Returns the merges the algebra expected to fail there, and whether Keras
    refused one it did not expect. `unclaimed`: _not_claimed(sweep)."""
    unchecked, known = unclaimed
    size = sweep.size_text(row)
    if answer.built:
        witnessed.built.append(size)
        witnessed.built_rows.append(row)
    expected = _expected(sweep, row)
    surprised = False
    for name in sorted(answer.failing - known - expected):
        witnessed.keras_only.setdefault(name, []).append(row)
        if name not in unchecked:
            surprised = True
            witnessed.disputes.setdefault(
                name,
                f"Keras refuses '{name}' at {size}, where the shape algebra said it agrees: Keras' answer is reported",
            )
    for layer, line in answer.lines:
        named = _merges_at_line(sweep.model, layer, line)
        for name in named - expected:
            witnessed.keras_only.setdefault(name, []).append(row)
        surprised = surprised or not named <= expected
        if not named:  # inside a call() the algebra cannot see: Keras' word alone, nothing to disagree with
            _add_inside(witnessed, layer, line, row)
    return expected, surprised


def declared_failing(model) -> set[str]:
    """Merges already wrong as declared (a mismatch, or an op whose NumPy broadcasting puts
    the batch axis on another: SC101-SC103): Keras refusing them elsewhere says nothing new."""
    from shapecheck.algebra.merge import batch_clash, outcome

    out = set()
    for _, node in model.merges():
        if not outcome(node.merge, node.input_shapes).ok or (
            node.kind == "op" and node.merge.kind == "elementwise" and batch_clash(node.input_shapes)
        ):
            out.add(node.name)
    return out


def _merges_at_line(model, layer: str, line: int) -> set[str]:
    """IR merges at `line` inside the layer `layer` (the model itself for a subclassed one)."""
    found = model.find_node(layer)
    graph = found[1].subgraph if found is not None and found[1].subgraph is not None else model
    return {node.name for _, node in graph.merges() if node.line == line}


def _add_inside(witnessed: Witnessed, layer: str, line: int, row: int) -> None:
    for entry in witnessed.inside:
        if entry[0] == layer and entry[1] == line:
            entry[2].append(row)
            return
    witnessed.inside.append((layer, line, [row]))


def _keras_only_merges(sweep, witnessed: Witnessed) -> None:
    """Merges Keras refused where the algebra said they agree (or could not follow them):
    reported from Keras' answer, at the sizes Keras was asked."""
    by_name = {node.name: (graph, node) for graph, node in sweep.model.merges()}
    sweep.merges = [m for m in sweep.merges if not m.from_keras]  # made afresh from every answer so far
    for name, rows in witnessed.keras_only.items():
        if name not in by_name:
            continue
        failing = np.zeros(len(sweep.candidates), dtype=bool)
        failing[rows] = True
        graph, node = by_name[name]
        sweep.merges.append(MergeSizes(graph, node, failing & sweep.accepted, from_keras=True))


def _sample_past_stops(sweep, judge: Judge, witnessed: Witnessed, done: set[int]) -> None:
    """The algebra could not follow some layer: ask Keras at a sample of sizes, so that the
    merges behind it (and inside it) are checked at those sizes at least."""
    square = np.flatnonzero((sweep.groups == "square") & sweep.accepted)
    others = np.flatnonzero((sweep.groups != "square") & sweep.accepted)
    small = [int(r) for r in square[:32]]
    spread = [int(r) for r in square[32 :: max(1, (len(square) - 32) // 8)]] if len(square) > 32 else []
    extra = [int(r) for r in others[:: max(1, len(others) // 8)]] if len(others) else []
    rows = [r for r in dict.fromkeys(small + spread + extra) if r not in done][:OPAQUE_SAMPLE]
    unclaimed = _not_claimed(sweep)
    for row in rows:
        witnessed.sampled += 1
        _record(sweep, witnessed, row, _ask(judge, sweep, row), unclaimed)
    _keras_only_merges(sweep, witnessed)


class SweepCache:
    """One sweep per model per run, shared by the rules that read it (SC104, SC202, SC301, SC002),
    each confirmed by Keras at its witness sizes before a rule reads it."""

    def __init__(self, sizes: SizeRange, witness: bool = True) -> None:
        self.sizes = sizes
        self.witness = witness  # Keras confirms the sweep's claims (witnesses.py) before a rule reads them
        self._done: dict[int, tuple[Graph, Sweep]] = {}

    def get(self, model: Graph) -> Sweep:
        entry = self._done.get(id(model))
        if entry is None or entry[0] is not model:
            with timing.phase("sweep"):
                sweep = plan(model, self.sizes)
            if self.witness:
                # Graph.judge is typed loosely: the graph IR, below this layer, cannot name Judgement
                sweep.witnessed = confirm(sweep, cast(Optional[Judge], model.judge))
            entry = (model, sweep)
            self._done[id(model)] = entry
        return entry[1]

    def witnessed(self) -> dict[str, Witnessed]:
        """model name -> what Keras said at its witness sizes (models with something said)."""
        return {
            model.name: sweep.witnessed
            for model, sweep in self._done.values()
            if sweep.witnessed is not None and (sweep.witnessed.rows or sweep.witnessed.unavailable)
        }

    def notes(self) -> list[str]:
        return [note for _, sweep in self._done.values() for note in sweep.notes]

    def unchecked(self) -> dict[str, dict[str, str]]:
        """model name -> {merge name: why it was not swept}, for models declared with None sizes."""
        out: dict[str, dict[str, str]] = {}
        for model, sweep in self._done.values():
            if sweep.fixed or sweep.skipped:
                continue
            for _, node, stop in sweep.unchecked:
                out.setdefault(model.name, {})[node.name] = f"the size sweep stops at {stop.node.op} '{stop.node.name}'"
        return out
