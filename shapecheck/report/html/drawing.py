"""The drawing of one merge: its branches from the tensor they share, as inline SVG.

A simple layered layout, which is all this picture needs: the shared tensor on top, one
column per input (identical columns drawn once, "×N"), the merge at the bottom. Layers are
boxes with their output shape; the axis that differs is highlighted in every shape of the
drawing, and the box of the layer that set it on each side carries a tag. Runs of layers
that keep the shape are folded into one box, blocks repeated side by side (a grouped
convolution's 32 slices) into "32× [Lambda → Conv2D]", and very long branches keep their
head and tail. The whole branch, layer by layer, is listed beside the drawing (`branch_rows`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Optional, Sequence

from shapecheck.graph import Graph, Node, Shape
from shapecheck.layout import axis_name, channel_axis, spatial_axes
from shapecheck.provenance import Branches, axis_origin, changes_shape, format_shape, split_branches

BOX_W = 280
BOX_H = 48
GAP_Y = 22
GAP_X = 44
PAD = 16
TAG_H = 14
CHAR_W = 7.2  # the shape text is drawn at 12px in a monospace font, forced to this advance
NAME_CHARS = 34
MAX_COLUMNS = 4
MAX_ITEMS = 12  # per column, after folding: the head and the tail are kept
MIN_FOLD = 2  # runs of at least this many shape-keeping layers become one box
MAX_PERIOD = 4  # longest block looked for in repeated blocks


def esc(text) -> str:
    return escape(str(text), quote=True)


@dataclass
class Item:
    """One box of a column: a layer, a folded run, or a repeated block."""

    nodes: list[Node]
    kind: str = "layer"  # layer | fold | repeat | gap
    count: int = 1  # repeats of the block (repeat), hidden layers (gap)
    block: list[Node] = field(default_factory=list)
    parallel: bool = False
    mark: Optional[str] = None  # "sets channels: 256"
    tags: list = field(default_factory=list)  # more (text, side) tags: "left", "right", "below"

    @property
    def last(self) -> Node:
        return self.nodes[-1]


@dataclass
class Focus:
    """What a drawing highlights: axes (indices into shapes of `rank`) and a word for them."""

    axes: tuple[int, ...] = ()
    rank: int = 0
    word: str = ""
    at: Optional[dict] = None  # node id -> shape at an example input size (a size where it fails)
    at_label: str = ""  # "5×5"

    def shape(self, node: Node) -> Optional[Shape]:
        if self.at is not None and node.id in self.at:
            return self.at[node.id]
        return node.output_shapes[0] if node.output_shapes else None


@dataclass
class Drawing:
    svg: str
    branches: Branches
    origins: list[Optional[Node]]  # per input: the layer that set the focused axis
    columns: list[list[int]]  # input indices drawn in each column


def signature(node: Node) -> tuple:
    return (node.op, tuple(node.input_shapes), tuple(node.output_shapes))


def fold_branch(graph: Graph, members: Sequence[int], marked: set[int], changes=changes_shape) -> list[Item]:
    """Members (node ids in order) -> boxes: repeated blocks, then shape-keeping runs folded
    (`changes(node)`: does this layer change the shape, in the shapes drawn)."""
    nodes = [graph.nodes[i] for i in members]
    items = _repeats(nodes, marked)
    items = _fold_runs(items, marked, changes)
    if len(items) > MAX_ITEMS:
        head, tail = items[:3], items[-(MAX_ITEMS - 4) :]
        hidden = items[3 : len(items) - len(tail)]
        hidden_nodes = [n for it in hidden for n in it.nodes]
        gap = Item(hidden_nodes, kind="gap", count=len(hidden_nodes))
        if any(it.mark for it in hidden):
            gap.mark = next(it.mark for it in hidden if it.mark)
        items = head + [gap] + tail
    return items


def _repeats(nodes: list[Node], marked: set[int]) -> list[Item]:
    """Blocks of 1..MAX_PERIOD layers repeated 3+ times with equal signatures: one box."""
    sigs = [signature(n) for n in nodes]
    items: list[Item] = []
    i = 0
    while i < len(nodes):
        best_k, best_r = 0, 1
        for k in range(1, MAX_PERIOD + 1):
            r = 1
            while i + (r + 1) * k <= len(nodes) and sigs[i + r * k : i + (r + 1) * k] == sigs[i : i + k]:
                r += 1
            if r >= 3 and r * k > best_r * max(best_k, 1):
                best_k, best_r = k, r
        if best_k and all(not changes_shape(n) for n in nodes[i : i + best_k]):
            best_k = 0  # shape-keeping runs are folded instead ("6 layers keep the shape")
        if best_k:
            span = nodes[i : i + best_k * best_r]
            block = span[:best_k]
            ids = {n.id for n in block}
            second = span[best_k]
            parallel = not any(e.source in ids for e in second.inputs)
            items.append(Item(span, kind="repeat", count=best_r, block=block, parallel=parallel))
            i += best_k * best_r
        else:
            items.append(Item([nodes[i]]))
            i += 1
    return items


def _fold_runs(items: list[Item], marked: set[int], changes=changes_shape) -> list[Item]:
    out: list[Item] = []
    run: list[Item] = []

    def flush():
        if len(run) >= MIN_FOLD:
            out.append(Item([n for it in run for n in it.nodes], kind="fold", count=len(run)))
        else:
            out.extend(run)
        run.clear()

    for item in items:
        keeps = item.kind == "layer" and not changes(item.last) and item.last.id not in marked
        if keeps and not item.last.is_merge and item.last.subgraph is None:
            run.append(item)
        else:
            flush()
            out.append(item)
    flush()
    return out


def focus_for(node: Node, marks: str = "conflict") -> Focus:
    """The axes a finding is about, from the merge's own shapes; `marks` (Rule.marks) narrows
    them to the channel or spatial ones, the concatenation axis, or the spatial axes of a size rule."""
    from shapecheck.algebra.merge import outcome

    shapes = node.input_shapes
    if not shapes or node.merge is None:
        return Focus()
    rank = max(len(s) for s in shapes)
    result = outcome(node.merge, shapes)
    layout = node.layout
    axes: tuple[int, ...]
    if node.merge.kind == "concat" and marks == "concat":
        axes = (node.merge.axis % rank,)
    elif result.conflicts and not (result.rank_mismatch and node.merge.kind != "dot"):
        conflicting = sorted({c.axis % rank for c in result.conflicts})
        channels = channel_axis(rank, layout)
        if marks == "channel":
            axes = tuple(a for a in conflicting if a == channels) or tuple(conflicting)
        elif marks == "spatial":
            axes = tuple(a for a in conflicting if a != channels) or tuple(conflicting)
        else:
            axes = tuple(conflicting)
    elif result.broadcasts:
        axes = tuple(sorted({b.axis % rank for b in result.broadcasts}))
    elif marks == "sizes" and rank > 2:
        axes = tuple(spatial_axes(rank, layout))
    else:
        return Focus(rank=rank)
    if not axes:
        return Focus(rank=rank)
    word = " and ".join(axis_name(a, rank, layout) for a in axes)
    return Focus(axes, rank, word)


def shape_svg(shape: Shape, x: float, y: float, focus: Focus, centered: bool = False, backdrop: bool = False) -> str:
    """A shape as monospace text at (x, y) baseline, the focused axes on a highlight."""
    parts = ["None" if d is None else str(d) for d in shape]
    text = "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
    width = len(text) * CHAR_W
    if centered:
        x -= width / 2
    marks = []
    if backdrop:
        marks.append(
            f'<rect class="backdrop" x="{x - 4:.1f}" y="{y - 13}" width="{width + 8:.1f}" height="19" rx="4"/>'
        )
    if focus.axes and len(shape) == focus.rank:
        offset = 1
        for k, part in enumerate(parts):
            if k in focus.axes:
                marks.append(
                    f'<rect class="axis-hl" x="{x + offset * CHAR_W - 2:.1f}" y="{y - 11}" '
                    f'width="{len(part) * CHAR_W + 4:.1f}" height="15" rx="3"/>'
                )
            offset += len(part) + 2
    spans = []
    for k, part in enumerate(parts):
        cls = ' class="axis"' if focus.axes and len(shape) == focus.rank and k in focus.axes else ""
        spans.append(f"<tspan{cls}>{esc(part)}</tspan>")
    inner = "(" + ", ".join(spans) + ("," if len(parts) == 1 else "") + ")"
    return "".join(marks) + (
        f'<text class="shape" x="{x:.1f}" y="{y}" textLength="{width:.1f}" lengthAdjust="spacingAndGlyphs">{inner}</text>'
    )


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _box(item: Item, x: float, y: float, focus: Focus, extra_class: str = "") -> str:
    node = item.last
    classes = ["box", item.kind] + ([extra_class] if extra_class else []) + (["origin"] if item.mark else [])
    title = _title(item)
    out = [f'<g class="{" ".join(classes)}" data-layer="{esc(node.name)}"><title>{esc(title)}</title>']
    out.append(f'<rect class="frame" x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="7"/>')
    head, sub = _labels(item)
    line = f"L{node.line}" if item.kind == "layer" and node.line else ""
    limit = NAME_CHARS - (len(line) + 1 if line else 0)
    out.append(f'<text class="label" x="{x + 10}" y="{y + 18}">{_label_spans(head, sub, limit)}</text>')
    if line:
        out.append(f'<text class="line" x="{x + BOX_W - 10}" y="{y + 18}" text-anchor="end">{esc(line)}</text>')
    shape = focus.shape(node)
    if shape is not None:
        out.append(shape_svg(shape, x + 10, y + 38, focus))
    tags = [(item.mark, "right")] if item.mark else []
    tags += item.tags
    for text, side in tags:
        width = len(text) * 6.3 + 14
        ty = y - TAG_H / 2 - 1 if not side.startswith("below") else y + BOX_H + 3
        left = {
            "right": x + BOX_W - width - 8,
            "left": x + 8,
            "below": x + (BOX_W - width) / 2,
            "below-left": x - width / 3,
            "below-right": x + BOX_W - 2 * width / 3,
        }[side]
        out.append(
            f'<g class="tag{" upstream" if side.startswith("below") else ""}"><rect x="{left:.1f}" y="{ty:.1f}" '
            f'width="{width:.1f}" height="{TAG_H + 2}" rx="8"/><text x="{left + width / 2:.1f}" y="{ty + 12:.1f}" '
            f'text-anchor="middle" textLength="{len(text) * 6.3:.1f}" lengthAdjust="spacingAndGlyphs">{esc(text)}</text></g>'
        )
    out.append("</g>")
    return "".join(out)


def _label_spans(head: str, sub: str, limit: int) -> str:
    head = _clip(head, limit)
    sub = _clip(sub, max(0, limit - len(head) - 1))
    return f'<tspan class="op">{esc(head)}</tspan>' + (f' <tspan class="name">{esc(sub)}</tspan>' if sub else "")


def _labels(item: Item) -> tuple[str, str]:
    node = item.last
    if item.kind == "layer":
        return node.op, node.name.rsplit("/", 1)[-1]  # the full path is in the tooltip and the table
    if item.kind == "fold":
        ops = list(dict.fromkeys(n.op for n in item.nodes))
        return f"{len(item.nodes)} layers keep the shape", ", ".join(ops)
    if item.kind == "repeat":
        chain = " → ".join(n.op for n in item.block)
        how = "in parallel" if item.parallel else "in a row"
        return f"{item.count}× {how}", chain
    return f"… {item.count} more layers", ""


def _title(item: Item) -> str:
    """The tooltip: every layer the box stands for."""
    rows = []
    for n in item.nodes[:40]:
        where = f" line {n.line}" if n.line else ""
        rows.append(f"{n.op} {n.name}{where} → {format_shape(n.output_shapes[0]) if n.output_shapes else '?'}")
    if len(item.nodes) > 40:
        rows.append(f"… and {len(item.nodes) - 40} more")
    return "\n".join(rows)


def _mark_text(focus: Focus, node: Node, axis: int) -> str:
    if not node.output_shapes:
        return f"sets {focus.word}"
    shape = node.output_shapes[0]
    value = shape[axis] if axis < len(shape) else None
    word = axis_name(axis, len(shape), node.layout) if len(shape) == focus.rank else focus.word
    return f"sets {word}: {'None' if value is None else value}"


def draw_merge(
    graph: Graph,
    node: Node,
    focus: Focus,
    severity: str = "error",
    verdict_text: str = "",
    branches: Optional[Branches] = None,
) -> Drawing:
    """The SVG of one merge's branches (see the module docstring)."""
    branches = branches or split_branches(graph, node)
    origins: list[Optional[Node]] = []
    axis = focus.axes[0] if focus.axes else None
    for edge in node.inputs:
        shape = graph.shape_of(edge)
        if (
            focus.at is None
            and axis is not None
            and len(shape) == focus.rank
            and axis < len(shape)
            and shape[axis] is not None
        ):
            try:
                origins.append(axis_origin(graph, edge, axis))
            except (IndexError, KeyError):
                origins.append(None)
        else:
            origins.append(None)
    marked = {o.id for o in origins if o is not None}
    columns = _columns(graph, branches, marked)
    col_items = []
    for inputs in columns:
        i = inputs[0]
        items = fold_branch(graph, branches.members[i], marked, _changes(focus))
        origin = origins[i]
        if origin is not None and axis is not None:
            for it in items:
                if any(n.id == origin.id for n in it.nodes):
                    it.mark = _mark_text(focus, origin, axis)
        if focus.at is not None:
            _tag_changes(items, focus)
        col_items.append(items)
    return Drawing(
        _svg(graph, node, branches, columns, col_items, origins, focus, severity, verdict_text, axis),
        branches,
        origins,
        columns,
    )


def _changes(focus: Focus):
    if focus.at is None:
        return changes_shape

    def changes(node: Node) -> bool:
        assert focus.at is not None  # checked above, when the function was made
        if not node.inputs:
            return True
        return focus.at.get(node.id) != focus.at.get(node.inputs[0].source)

    return changes


def _tag_changes(items: list[Item], focus: Focus) -> None:
    """At an example size: tag the boxes where the focused axes change ("height 5 → 3")."""
    assert focus.at is not None  # called only for a focus at an example size
    for item in items:
        first, last = item.nodes[0], item.last
        if not first.inputs:
            continue
        before = focus.at.get(first.inputs[0].source)
        after = focus.at.get(last.id)
        if before is None or after is None or len(before) != focus.rank or len(after) != focus.rank:
            continue
        changed = [a for a in focus.axes if before[a] != after[a]]
        if changed:
            a = changed[0]
            word = "H × W" if len(changed) > 1 and focus.rank == 4 else axis_name(a, focus.rank, last.layout)
            if len(changed) > 1 and focus.rank == 4:
                item.mark = (
                    f"{word} {before[changed[0]]}×{before[changed[1]]} → {after[changed[0]]}×{after[changed[1]]}"
                )
            else:
                item.mark = f"{word} {before[a]} → {after[a]}"


def _columns(graph: Graph, branches: Branches, marked: set[int]) -> list[list[int]]:
    """Input indices per drawn column: inputs whose branches look the same share one."""
    seen: dict[tuple, list[int]] = {}
    for i, members in enumerate(branches.members):
        key = tuple(signature(graph.nodes[m]) for m in members) + (
            bool(set(members) & marked),
            i if len(branches.members) <= MAX_COLUMNS else 0,
        )
        seen.setdefault(key, []).append(i)
    return list(seen.values())


def _svg(graph, node, branches, columns, col_items, origins, focus, severity, verdict_text, axis) -> str:
    shown = columns[:MAX_COLUMNS]
    hidden = sum(len(c) for c in columns[MAX_COLUMNS:])
    ncols = len(shown)
    width = PAD * 2 + ncols * BOX_W + (ncols - 1) * GAP_X
    width = max(width, BOX_W + 2 * PAD + 120)
    rows = max((len(col_items[c]) for c in range(ncols)), default=0)
    top = PAD + 6
    header_h = 34  # the column headers
    common_y = top
    has_common = branches.common is not None
    first_y = common_y + (BOX_H + GAP_Y if has_common else 0) + header_h
    merge_y = first_y + max(rows, 1) * (BOX_H + GAP_Y) + 14
    height = merge_y + BOX_H + PAD + 6
    body: list[str] = []
    xs: list[float] = [PAD + c * (BOX_W + GAP_X) for c in range(ncols)]
    if ncols * BOX_W + (ncols - 1) * GAP_X < width - 2 * PAD:  # center a lone column
        shift = (width - 2 * PAD - (ncols * BOX_W + (ncols - 1) * GAP_X)) / 2
        xs = [x + shift for x in xs]
    center = width / 2
    cx = center - BOX_W / 2
    edges: list[str] = []
    upstream = _upstream(graph, branches, shown, col_items, origins, axis)
    if has_common:
        common = graph.nodes[branches.common]
        mark = None
        if axis is not None and any(o is not None and o.id == common.id for o in origins):
            mark = _mark_text(focus, common, axis)
        sides = ["below"] if len(upstream) == 1 else ["below-left", "below-right"]
        tags = [(_upstream_text(focus, o, axis), side) for o, side in zip(upstream, sides)]
        body.append(_box(Item([common], mark=mark, tags=tags), cx, common_y, focus, "common"))
    for c in range(ncols):
        x = xs[c]
        mid = x + BOX_W / 2
        items = col_items[c]
        inputs = shown[c]
        label = _column_label(inputs, items, graph, branches)
        body.append(f'<text class="colhead" x="{x + 2}" y="{first_y - 10}">{esc(label)}</text>')
        start_y = common_y + BOX_H if has_common else first_y - header_h + 4
        if items:
            if has_common:
                edges.append(_elbow(center, start_y, mid, first_y, arrow=True))
            y = first_y
            for k, item in enumerate(items):
                body.append(_box(item, x, y, focus))
                if k + 1 < len(items):
                    edges.append(_line(mid, y + BOX_H, mid, y + BOX_H + GAP_Y, arrow=True))
                y += BOX_H + GAP_Y
            edges.append(_elbow(mid, y - GAP_Y, center, merge_y, arrow=True, into_merge=True))
        else:
            if has_common:
                edges.append(_elbow(center, start_y, mid, first_y, arrow=False))
            edges.append(_line(mid, first_y, mid, merge_y - 14, dashed=True))
            edges.append(_elbow(mid, merge_y - 14, center, merge_y, arrow=True, into_merge=True))
            body.append(
                f'<g class="identity"><rect x="{mid - 78}" y="{first_y + 6}" width="156" height="40" rx="20"/>'
                f'<text x="{mid}" y="{first_y + 23}" text-anchor="middle">no layers: the shared</text>'
                f'<text x="{mid}" y="{first_y + 38}" text-anchor="middle">tensor itself</text></g>'
            )
        # the shape that reaches the merge on this side, just above it
        edge = node.inputs[inputs[0]]
        in_shape = focus.shape(graph.nodes[edge.source]) if edge.index == 0 else graph.shape_of(edge)
        if ncols > 1:
            body.append(shape_svg(in_shape, mid, merge_y - 12, focus, centered=True, backdrop=True))
    if hidden:
        body.append(
            f'<text class="colhead" x="{width - PAD}" y="{first_y - 12}" text-anchor="end">+{hidden} more inputs</text>'
        )
    body.append(_merge_box(node, cx, merge_y, severity, verdict_text))
    return (
        f'<svg class="drawing" xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{esc("branches of " + node.name)}">'
        + "".join(edges)
        + "".join(body)
        + "</svg>"
    )


def _upstream(graph, branches, shown, col_items, origins, axis) -> list[Node]:
    """Origins of the focused axis that lie before the shared tensor (one per distinct layer)."""
    found: dict[int, Node] = {}
    if axis is None or branches.common is None:
        return []
    for c, inputs in enumerate(shown):
        origin = origins[inputs[0]]
        if origin is None or origin.id == branches.common:
            continue
        if any(n.id == origin.id for it in col_items[c] for n in it.nodes):
            continue
        found.setdefault(origin.id, origin)
    return list(found.values())[:2]


def _upstream_text(focus: Focus, origin: Node, axis: int) -> str:
    value = origin.output_shapes[0][axis] if origin.output_shapes and axis < len(origin.output_shapes[0]) else None
    word = axis_name(axis, len(origin.output_shapes[0]), origin.layout) if origin.output_shapes else focus.word
    line = f" L{origin.line}" if origin.line else ""
    return _clip(f"{word} {value} set earlier by {origin.op} {origin.name}{line}", 52)


def _column_label(inputs: list[int], items: list[Item], graph: Graph, branches: Branches) -> str:
    names = "input " + ", ".join(str(i + 1) for i in inputs[:3]) + ("…" if len(inputs) > 3 else "")
    if len(inputs) > 1:
        names = f"inputs {', '.join(str(i + 1) for i in inputs[:3])}{'…' if len(inputs) > 3 else ''} (×{len(inputs)}, alike)"
    count = len(branches.members[inputs[0]])
    return f"{names} · {count} layer{'s' if count != 1 else ''}"


def _merge_box(node: Node, x: float, y: float, severity: str, verdict_text: str) -> str:
    line = f"L{node.line}" if node.line else ""
    out = [
        f'<g class="box merge {esc(severity)}" data-layer="{esc(node.name)}"><title>{esc(node.op + " " + node.name)}</title>'
    ]
    out.append(f'<rect class="frame" x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="7"/>')
    limit = NAME_CHARS - (len(line) + 1 if line else 0)
    out.append(
        f'<text class="label" x="{x + 10}" y="{y + 18}">{_label_spans(node.op, node.name.rsplit("/", 1)[-1], limit)}</text>'
    )
    if line:
        out.append(f'<text class="line" x="{x + BOX_W - 10}" y="{y + 18}" text-anchor="end">{esc(line)}</text>')
    out.append(f'<text class="verdict" x="{x + 10}" y="{y + 38}">{esc(_clip(verdict_text, 38))}</text>')
    out.append("</g>")
    return "".join(out)


def _line(x1, y1, x2, y2, arrow=False, dashed=False) -> str:
    cls = "edge" + (" dashed" if dashed else "")
    end = ' marker-end="url(#arrow)"' if arrow else ""
    return f'<path class="{cls}" d="M{x1:.1f},{y1:.1f} L{x2:.1f},{y2:.1f}"{end}/>'


def _elbow(x1, y1, x2, y2, arrow=False, into_merge=False) -> str:
    """A vertical S-curve from (x1, y1) down to (x2, y2)."""
    end = ' marker-end="url(#arrow)"' if arrow else ""
    if abs(x1 - x2) < 1:
        return f'<path class="edge" d="M{x1:.1f},{y1:.1f} L{x2:.1f},{y2:.1f}"{end}/>'
    midy = (y1 + y2) / 2 if not into_merge else y2 - 10
    return (
        f'<path class="edge" d="M{x1:.1f},{y1:.1f} C{x1:.1f},{midy:.1f} {x2:.1f},{midy:.1f} {x2:.1f},{y2:.1f}"{end}/>'
    )


ARROW_DEFS = (
    '<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>'
    '<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
    '<path d="M0,1 L9,5 L0,9 z" class="arrowhead"/></marker></defs></svg>'
)


def draw_layer(graph: Graph, node: Node, severity: str = "warning") -> str:
    """A finding at a layer that is not a merge (a Lambda, an Input): the layer between
    what feeds it and what it gives."""
    width = BOX_W + 2 * PAD
    y = PAD
    parts = []
    feeds = [graph.nodes[e.source] for e in node.inputs[:2]]
    for f in feeds:
        parts.append(_box(Item([f]), PAD, y, Focus()))
        parts.append(_line(PAD + BOX_W / 2, y + BOX_H, PAD + BOX_W / 2, y + BOX_H + GAP_Y, arrow=True))
        y += BOX_H + GAP_Y
    parts.append(_box(Item([node]), PAD, y, Focus(), f"subject {severity}"))
    y += BOX_H + PAD
    return (
        f'<svg class="drawing" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{y}" viewBox="0 0 {width} {y}" '
        f'role="img" aria-label="{esc(node.name)}">' + "".join(parts) + "</svg>"
    )


def branch_rows(
    graph: Graph, branches: Branches, origins: list[Optional[Node]], limit: int = 300
) -> list[tuple[int, list[Node], int]]:
    """Per input: (index, its layers in order (at most `limit`), how many were left out)."""
    out = []
    for i, members in enumerate(branches.members):
        nodes = [graph.nodes[m] for m in members[:limit]]
        out.append((i, nodes, max(0, len(members) - limit)))
    return out
