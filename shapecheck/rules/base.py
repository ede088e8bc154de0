"""Rule, Finding and the registry. Rules read the graph IR only (no Keras)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Iterator, Optional

from shapecheck.graph import ChainFrame, Graph, Node, Shape
from shapecheck.provenance import display_path


class Severity(enum.IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class NodeSite:
    """What a rule sees: one node, the graph that owns it, the model it belongs to."""

    model: Graph
    graph: Graph
    node: Node
    path: str  # the checked file, as given on the command line


@dataclass(frozen=True)
class Related:
    """Another place a finding stands for: a consequence of it, or a repeat of its line."""

    kind: str  # "consequence" | "repeat"
    layer: str
    line: Optional[int]
    path: str
    shapes: tuple = ()
    call_chain: tuple[ChainFrame, ...] = ()
    cell: Optional[int] = None  # in a notebook: the cell, `line` being the line within it


@dataclass(frozen=True)
class TextEdit:
    """Replace the text from (line, column) up to (end_line, end_column) with `replacement`.
    Lines and columns are 1-based, the end exclusive (SARIF's region); columns count
    characters (code points), not bytes. In a notebook `cell` is the cell and lines count
    within it. `digest`: the sha256 of the file's bytes the positions refer to (--fix
    writes nothing into a file that changed since)."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    replacement: str
    cell: Optional[int] = None
    digest: str = ""


@dataclass(frozen=True)
class Fix:
    """A suggested change that shapecheck checked: applied to a copy of the graph (or of the
    source, re-run), this finding and every merge after it agree at `verified_at`."""

    description: str  # "padding='same' on Conv2D 'conv2d_5' (line 48)"
    kind: (
        str  # what is changed: "layer-argument", "projection", "crop", "input-size", "axis", "closure", "rebuild", ...
    )
    path: str  # where the change goes
    line: Optional[int]
    verified_at: tuple = ()  # the input sizes (shape tuples) or the words ("H, W over 1..1024") it was checked at
    edits: tuple[TextEdit, ...] = ()  # the exact text change, when the fix is one (SARIF `fixes`, --fix)
    safe: bool = False  # exact and safe as a text change on the user's line: --fix may apply it
    cell: Optional[int] = None
    cost: int = 1  # how big the edit is (arguments, layers, lines touched): the smallest is shown first
    keras_built: tuple = ()  # sizes Keras built the edited model at with this finding's merges agreeing


@dataclass
class Finding:
    code: str
    name: str
    severity: Severity
    message: str
    path: str
    line: Optional[int]
    column: Optional[int]
    model: str
    layer: str
    call_chain: tuple[ChainFrame, ...] = ()
    shapes: list[Shape] = field(default_factory=list)
    order: int = 0  # the node's place in its graph: findings on one line sort in build order
    related: list[Related] = field(default_factory=list)
    cell: Optional[int] = None  # in a notebook: the cell, `line` being the line within it
    fixes: list[Fix] = field(default_factory=list)  # verified suggestions, best first (shapecheck/fixes/)
    claim: str = ""  # what it says about the merge, as a verdict quotes it (Rule.finding)

    @property
    def rule(self) -> Rule:
        """The rule that made it (its facts: Rule.checks_none_sizes, .verdict, .fix_check, ...)."""
        return REGISTRY[self.code]  # filled by importing shapecheck.rules, as every reader of findings does

    @property
    def where(self) -> str:
        """'path:line:col', 'nb.ipynb:cell 5:line:col' in a notebook (ruff's form), or the path."""
        if not self.line:
            return self.path
        cell = f"cell {self.cell}:" if self.cell is not None else ""
        return f"{self.path}:{cell}{self.line}:{self.column or 1}"

    @property
    def count(self) -> int:
        """How many merges this finding stands for (repeated calls of its line are grouped)."""
        return 1 + sum(1 for r in self.related if r.kind == "repeat")

    def members(self) -> list[tuple[str, tuple]]:
        """(layer, shapes) of every merge it stands for, itself first."""
        own = (self.layer, tuple(tuple(s) for s in self.shapes))
        return [own] + [(r.layer, r.shapes) for r in self.related if r.kind == "repeat"]

    def chains(self) -> list[tuple[ChainFrame, ...]]:
        """The call chain of every merge it stands for, itself first."""
        return [self.call_chain] + [r.call_chain for r in self.related if r.kind == "repeat"]

    @property
    def sort_key(self):
        return (self.path, self.cell or 0, self.line or 0, self.column or 0, self.code, self.model, self.order)


@dataclass
class Context:
    """What a run hands every rule besides the graph."""

    sweeps: Any = None  # shapecheck.witnesses.SweepCache: the size sweep, run once per model, confirmed by Keras
    fixes: dict = field(default_factory=dict)  # what the suggesters evaluate once per model (fixes/verify.py)


class Rule:
    """A check on one merge node. Subclasses set code, name, severity and a four-part doc
    (What it does / Why is this bad? / Example / Use instead)."""

    code: str = ""
    name: str = ""
    severity: Severity = Severity.ERROR
    # What the rest of the house knows about a rule, it reads here (never from its code):
    checks_none_sizes: bool = (
        False  # checks None sizes across the sweep: merges it could not reach make the file partial
    )
    about_sizes: bool = False  # a claim about input sizes: the HTML report shows the model's size map beside it
    fails_at_sizes: bool = False  # the merge fails at some input sizes: drawn at such a size, its size map kept
    verdict: Optional[str] = None  # the merge's verdict in every report when this rule fires on it
    short: str = ""  # the drawing's one-line verdict when no shape at one size can say it ("fails when H ≠ W")
    fix_check: str = (
        "declared"  # a suggestion is verified at the declared size, "across the sweep", or "broadcast gone"
    )
    rebuild: bool = False  # --suggest-rebuild tries the flags of the merge's call chain by building again
    marks: str = (
        "conflict"  # the axes a drawing marks: the conflicting ones, or only "channel", "spatial", "concat", "sizes"
    )

    def check(self, site: NodeSite) -> Iterator[Finding]:  # pragma: no cover - interface
        raise NotImplementedError

    def check_model(self, model: Graph, path: str, context: Context) -> Iterator[Finding]:
        """Run `check` on every merge; rules about other nodes override this instead."""
        for graph, node in model.merges():
            yield from self.check(NodeSite(model, graph, node, path))

    def finding(self, site: NodeSite, message: str, claim: str = "") -> Finding:
        """`claim`: what the finding says about the merge, as a report's verdict quotes it
        (the message after the merge is named)."""
        node = site.node
        loc = node.location
        related = [_related("consequence", other, site.path) for other in node.consequences]
        if related:
            lines = sorted({(r.cell or 0, r.line) for r in related if r.line})
            if any(r.cell is not None for r in related):
                where = "at " + ", ".join(f"cell {cell}:{line}" for cell, line in lines) if lines else "later"
            else:
                where = (
                    f"at line{'s' if len(lines) > 1 else ''} {', '.join(str(line) for _, line in lines)}"
                    if lines
                    else "later"
                )
            verb = "it follows" if len(related) == 1 else "they follow"
            message += f"; then also {where} ({', '.join(r.layer for r in related)}): {verb} from this"
        return Finding(
            code=self.code,
            name=self.name,
            severity=self.severity,
            message=message,
            path=display_path(loc.path, site.path) if loc else site.path,
            line=loc.line if loc else None,
            column=loc.column if loc else None,
            model=site.model.name,
            layer=node.name,
            call_chain=node.chain,
            shapes=list(node.input_shapes),
            order=node.id,
            related=related,
            cell=loc.cell if loc else None,
            claim=claim,
        )


def _related(kind: str, node: Node, checked_path: str) -> Related:
    loc = node.location
    path = display_path(loc.path, checked_path) if loc else checked_path
    return Related(
        kind,
        node.name,
        loc.line if loc else None,
        path,
        tuple(tuple(s) for s in node.input_shapes),
        node.chain,
        loc.cell if loc else None,
    )


def group_repeats(findings: list[Finding]) -> list[Finding]:
    """Findings of one rule at one source line of one model (a block called many times)
    become one finding: the first, with the others under `related` and a count."""
    groups: dict[tuple, Finding] = {}
    out = []
    for f in findings:
        if f.line is None:
            out.append(f)
            continue
        key = (f.path, f.cell, f.line, f.column, f.code, f.model)
        first = groups.get(key)
        if first is None:
            groups[key] = f
            out.append(f)
            continue
        first.related.append(
            Related("repeat", f.layer, f.line, f.path, tuple(tuple(s) for s in f.shapes), f.call_chain, f.cell)
        )
        first.related.extend(r for r in f.related if r.kind == "consequence")
    for f in out:
        if f.count > 1:
            layers = [layer for layer, _ in f.members()]
            shown = ", ".join(layers[:6]) + (", ..." if len(layers) > 6 else "")
            f.message += f" (in {f.count} calls of this line: {shown})"
    return out


REGISTRY: dict[str, Rule] = {}


def register(cls: type[Rule]) -> type[Rule]:
    REGISTRY[cls.code] = cls()
    return cls
