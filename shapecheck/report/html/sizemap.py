"""The map of input sizes that work and that fail, for a model the size sweep covers.

Two pictures, both small inline PNGs (a cell per size, scaled up without smoothing) inside
SVG with their axes:
  - H × W: every pair of sizes from the bottom of the range up to 128 (one extra vectorised
    pass of the shape algebra, like the sweep's own), so "multiples of 32" reads as a lattice
    of green points and "fails for odd H or W" as stripes;
  - square sizes s × s over the whole range, 32 to a row, so a multiple of 32 is a column.
For a model with one length axis, only the second picture, of lengths.
"""

from __future__ import annotations

import base64
import os
import struct
import zlib
from dataclasses import dataclass
from html import escape
from typing import Optional

import numpy as np

WORKS, FAILS, REFUSED, DECLARED, BLANK = 1, 2, 0, 3, 4
# not accepted, works, fails, declared, outside the range (transparent)
PALETTE = [(175, 184, 193), (45, 164, 78), (207, 34, 46), (9, 105, 218), (128, 128, 128)]
GRID_UP_TO = 128
ROW = 32


@dataclass
class SizeMap:
    names: list[str]
    rule: str  # the constraint in words
    tried: str
    fixed: bool
    declared: tuple
    grid: Optional[np.ndarray] = None  # (K, K) codes, H rows and W columns, from `low`
    low: int = 1
    square_values: Optional[np.ndarray] = None
    square_codes: Optional[np.ndarray] = None
    examples: str = ""
    notes: tuple = ()


def sweep_of(model, sizes):
    """The size sweep of `model` (the same evaluation the rules read)."""
    from shapecheck.sweep import plan

    return plan(model, sizes)


def build(model, sizes, sweep=None) -> Optional[SizeMap]:
    """The map for `model` over `sizes` (a sweep.SizeRange), or None when there is none to draw:
    no axis to sweep, or a fixed-size model whose merges agree at every size."""
    from shapecheck.algebra.merge import outcome

    sweep = sweep if sweep is not None else sweep_of(model, sizes)
    if sweep.skipped or sweep.candidates is None or sweep.accepted is None:
        return None
    sized = [m for m in sweep.merges if outcome(m.node.merge, m.node.input_shapes).ok]
    if sweep.fixed and not sized:
        return None
    names = list(sweep.names)
    n = len(sweep.candidates)
    failing = sweep.union(sized) if sized else np.zeros(n, dtype=bool)
    if sized and not any(sweep.fails_square(m) for m in sized):
        rule = "works only when H = W: every size with H ≠ W fails" if names == ["H", "W"] else sweep.constraint(failing)
    elif sized:
        rule = sweep.constraint(failing)
    else:
        rule = "works at every size tried"
        square = sweep.groups == "square"
        accepted_sizes = sweep.candidates[square & sweep.accepted, 0]
        if len(accepted_sizes) and accepted_sizes.min() > sizes.low:
            rule += f" that the model accepts ({' and '.join(names)} ≥ {int(accepted_sizes.min())})"
    square = sweep.groups == "square"
    codes = np.where(sweep.accepted, np.where(failing, FAILS, WORKS), REFUSED)
    result = SizeMap(
        names=names, rule=rule, tried=f"{' and '.join(names)} over {sizes}", fixed=bool(sweep.fixed),
        declared=tuple(getattr(sweep, "declared", ()) or ()), low=sizes.low,
        square_values=sweep.candidates[square, 0], square_codes=codes[square],
        examples=sweep.examples(failing) if sized else "", notes=tuple(sweep.notes),
    )
    if len(names) == 2:
        result.grid = _grid(model, sweep, sized, sizes)
    return result


def _grid(model, sweep, sized, sizes) -> Optional[np.ndarray]:
    """Codes for every pair of sizes of the two swept axes (H and W, or two inputs' lengths)
    from sizes.low up, in one evaluation."""
    from shapecheck.algebra.evaluate import Evaluator

    high = min(sizes.high, sizes.low + _extent(sweep, sized) - 1)
    values = np.arange(sizes.low, high + 1, dtype=np.int64)
    a, b = np.meshgrid(values, values, indexing="ij")
    mapping = _inputs_at(model, sweep, [a.ravel(), b.ravel()])
    if mapping is None:
        return None
    try:
        evaluator = Evaluator(a.size)
        evaluator.run(model, mapping)
    except Exception:  # noqa: BLE001 - a picture is not worth failing the report for
        if os.environ.get("SHAPECHECK_DEBUG"):
            raise
        return None
    result = evaluator.result
    keys = {(id(m.graph), m.node.id) for m in sized}
    failing = np.zeros(a.size, dtype=bool)
    for key, mask in result.merge_fail.items():
        if key in keys or (result.merge_nodes.get(key) and _sized(result.merge_nodes[key][1])):
            failing |= np.asarray(mask, dtype=bool)
    accepted = np.broadcast_to(np.asarray(result.accepted, dtype=bool), (a.size,))
    codes = np.where(accepted, np.where(failing, FAILS, WORKS), REFUSED)
    return codes.reshape(len(values), len(values))


def example(model, sweep, node) -> Optional[tuple[str, dict]]:
    """A size at which `node` fails in the sweep, and every node's output shape there:
    ("5×5", {(id(graph), node id): shape}); None when the sweep has no such size."""
    from shapecheck.algebra.evaluate import Evaluator

    merge = next((m for m in sweep.merges if m.node is node), None)
    if merge is None or sweep.candidates is None:
        return None
    rows = np.flatnonzero(merge.failing & (sweep.groups == "square"))
    if not len(rows):
        rows = np.flatnonzero(merge.failing)
    if not len(rows):
        return None
    near = np.abs(sweep.candidates[rows].astype(np.int64) - 224).sum(axis=1)
    row = int(rows[int(np.argmin(near))])  # the failing size nearest a usual image size
    values = [int(v) for v in sweep.candidates[row]]
    label = sweep.size_text(row) if hasattr(sweep, "size_text") else "×".join(map(str, values))
    mapping = _inputs_at(model, sweep, values)
    if mapping is None:
        return None
    evaluator = Evaluator(1)
    evaluator.run(model, mapping, keep_shapes=True)
    shapes = {key: tuple(_int(d) for d in shape) for key, shape in evaluator.result.shapes.items() if shape is not None}
    return label, shapes


def _int(d):
    if d is None:
        return None
    arr = np.asarray(d).ravel()
    return int(arr[0]) if arr.size else None


def _inputs_at(model, sweep, values: list) -> Optional[dict]:
    """Input shapes with the swept axes at `values` (one per column of the sweep's candidates:
    sizes, or arrays of them)."""
    from shapecheck.sweep import image_inputs

    axes = getattr(sweep, "axes", None)
    mapping = {i: list(model.nodes[i].output_shapes[0]) for i in model.inputs}
    if axes and hasattr(axes[0], "input_id"):  # a sweep with one column per input axis
        for k, axis in enumerate(axes):
            mapping[axis.input_id][axis.index] = values[k]
        return {i: tuple(s) for i, s in mapping.items()}
    declared = tuple(sweep.declared)
    free = [k for k, d in enumerate(declared) if sweep.fixed or d is None]
    if len(free) != len(values):
        return None
    for node, spatial in image_inputs(model):
        for j, k in enumerate(free):
            mapping[node.id][spatial[k]] = values[j]
    return {i: tuple(s) for i, s in mapping.items()}


def _extent(sweep, sized) -> int:
    """How many sizes per side the H × W picture shows: four periods of the failing pattern
    along the square sizes (so "odd" shows 32, "multiples of 32" 128), at least 32."""
    if not sized:
        return 64
    square = sweep.groups == "square"
    fails = sweep.union(sized)[square]
    accepted = sweep.accepted[square]
    for period in (2, 4, 8, 16, 32):
        a, b = fails[:-period], fails[period:]
        both = accepted[:-period] & accepted[period:]
        if both.any() and (a[both] == b[both]).all():
            return max(32, min(GRID_UP_TO, 4 * period))
    return GRID_UP_TO


def _sized(node) -> bool:
    from shapecheck.algebra.merge import outcome

    return outcome(node.merge, node.input_shapes).ok


# -- drawing -----------------------------------------------------------------------------
def png(codes: np.ndarray) -> bytes:
    """An 8-bit palette PNG of a 2-D array of palette indices."""
    height, width = codes.shape
    raw = b"".join(b"\x00" + bytes(row.astype(np.uint8).tolist()) for row in codes)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0)
    palette = b"".join(bytes(c) for c in PALETTE)
    transparency = bytes([255] * BLANK + [0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"PLTE", palette) + chunk(b"tRNS", transparency) + \
        chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def _data_uri(codes: np.ndarray) -> str:
    return "data:image/png;base64," + base64.b64encode(png(codes)).decode("ascii")


def _ticks(low: int, high: int) -> list[int]:
    step = 32 if high - low >= 96 else 16 if high - low >= 40 else 8
    first = ((low + step - 1) // step) * step
    return list(range(first, high + 1, step))


def grid_svg(m: SizeMap) -> str:
    k = m.grid.shape[0]
    cell = max(2, 384 // k)
    size = k * cell
    left, top = 44, 22
    width, height = left + size + 12, top + size + 34
    high = m.low + k - 1
    parts = [f'<svg class="sizemap" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="sizes H by W that work and that fail">']
    parts.append(f'<image x="{left}" y="{top}" width="{size}" height="{size}" preserveAspectRatio="none" '
                 f'style="image-rendering:pixelated" href="{_data_uri(m.grid)}"/>')
    for t in _ticks(m.low, high):
        pos = (t - m.low + 0.5) * cell
        parts.append(f'<path class="tick" d="M{left + pos:.1f},{top - 4} L{left + pos:.1f},{top}"/>')
        parts.append(f'<text class="ticklabel" x="{left + pos:.1f}" y="{top - 7}" text-anchor="middle">{t}</text>')
        parts.append(f'<path class="tick" d="M{left - 4},{top + pos:.1f} L{left},{top + pos:.1f}"/>')
        parts.append(f'<text class="ticklabel" x="{left - 7}" y="{top + pos + 4:.1f}" text-anchor="end">{t}</text>')
    works = np.argwhere(m.grid == WORKS)
    if cell < 8 and 0 < len(works) <= 400 and len(works) < 0.1 * m.grid.size:  # a sparse lattice: make each point visible
        radius = max(2.5, cell * 0.9)
        parts.extend(f'<circle class="works" cx="{left + (c + 0.5) * cell:.1f}" cy="{top + (r + 0.5) * cell:.1f}" r="{radius:.1f}"/>'
                     for r, c in works)
    if m.fixed and len(m.declared) == 2 and all(isinstance(d, int) and m.low <= d <= high for d in m.declared):
        y, x = ((d - m.low + 0.5) * cell for d in m.declared)
        parts.append(f'<circle class="declared" cx="{left + x:.1f}" cy="{top + y:.1f}" r="5"/>')
    down, across = (m.names + ["", ""])[:2]
    parts.append(f'<text class="axislabel" x="{left + size / 2}" y="{height - 8}" text-anchor="middle">{escape(across)} →</text>')
    parts.append(f'<text class="axislabel" x="12" y="{top + size / 2}" text-anchor="middle" '
                 f'transform="rotate(-90 12 {top + size / 2})">← {escape(down)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def square_svg(m: SizeMap, cell: int = 12) -> str:
    """Sizes s laid out 32 to a row, s = row + column: a multiple of 32 is column 0."""
    values, codes = m.square_values.astype(np.int64), m.square_codes
    first_row = int(values.min()) // ROW
    rows = int(values.max()) // ROW - first_row + 1
    grid = np.full((rows, ROW), REFUSED, dtype=np.int64)
    blank = np.ones((rows, ROW), dtype=bool)
    r, c = values // ROW - first_row, values % ROW
    grid[r, c] = codes
    blank[r, c] = False
    if m.fixed and m.declared and len(set(m.declared)) == 1 and isinstance(m.declared[0], int):
        d = m.declared[0]
        if values.min() <= d <= values.max():
            grid[d // ROW - first_row, d % ROW] = DECLARED
    grid = np.where(blank, BLANK, grid)
    left, top = 44, 20
    width, height = left + ROW * cell + 10, top + rows * cell + 10
    word = " × ".join(["s"] * len(m.names)) if len(m.names) > 1 else m.names[0] if m.names else "size"
    parts = [f'<svg class="sizemap" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="sizes that work and that fail, 32 to a row">']
    parts.append(f'<image x="{left}" y="{top}" width="{ROW * cell}" height="{rows * cell}" preserveAspectRatio="none" '
                 f'style="image-rendering:pixelated" href="{_data_uri(grid)}"/>')
    for col in range(0, ROW, 8):
        parts.append(f'<text class="ticklabel" x="{left + (col + 0.5) * cell:.1f}" y="{top - 6}" text-anchor="middle">+{col}</text>')
    step = max(1, rows // 12)
    for k in range(0, rows, step):
        parts.append(f'<text class="ticklabel" x="{left - 6}" y="{top + (k + 0.5) * cell + 4:.1f}" text-anchor="end">{(first_row + k) * ROW}</text>')
    parts.append(f'<title>{escape(word)} = row + column</title></svg>')
    return "".join(parts)
