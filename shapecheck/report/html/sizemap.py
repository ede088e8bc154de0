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
import struct
import zlib
from html import escape

import numpy as np

from shapecheck.size_map import BLANK, DECLARED, FAILS, GRID_UP_TO, REFUSED, ROW, WORKS, SizeMap  # noqa: F401

# not accepted, works, fails, declared, outside the range (transparent)
PALETTE = [(175, 184, 193), (45, 164, 78), (207, 34, 46), (9, 105, 218), (128, 128, 128)]


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
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"PLTE", palette)
        + chunk(b"tRNS", transparency)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def _data_uri(codes: np.ndarray) -> str:
    return "data:image/png;base64," + base64.b64encode(png(codes)).decode("ascii")


def _ticks(low: int, high: int) -> list[int]:
    step = 32 if high - low >= 96 else 16 if high - low >= 40 else 8
    first = ((low + step - 1) // step) * step
    return list(range(first, high + 1, step))


def grid_svg(m: SizeMap) -> str:
    assert m.grid is not None  # drawn only for a map with a grid
    k = m.grid.shape[0]
    cell = max(2, 384 // k)
    size = k * cell
    left, top = 44, 22
    width, height = left + size + 12, top + size + 34
    high = m.low + k - 1
    parts = [
        f'<svg class="sizemap" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="sizes H by W that work and that fail">'
    ]
    parts.append(
        f'<image x="{left}" y="{top}" width="{size}" height="{size}" preserveAspectRatio="none" '
        f'style="image-rendering:pixelated" href="{_data_uri(m.grid)}"/>'
    )
    for t in _ticks(m.low, high):
        pos = (t - m.low + 0.5) * cell
        parts.append(f'<path class="tick" d="M{left + pos:.1f},{top - 4} L{left + pos:.1f},{top}"/>')
        parts.append(f'<text class="ticklabel" x="{left + pos:.1f}" y="{top - 7}" text-anchor="middle">{t}</text>')
        parts.append(f'<path class="tick" d="M{left - 4},{top + pos:.1f} L{left},{top + pos:.1f}"/>')
        parts.append(f'<text class="ticklabel" x="{left - 7}" y="{top + pos + 4:.1f}" text-anchor="end">{t}</text>')
    works = np.argwhere(m.grid == WORKS)
    if (
        cell < 8 and 0 < len(works) <= 400 and len(works) < 0.1 * m.grid.size
    ):  # a sparse lattice: make each point visible
        radius = max(2.5, cell * 0.9)
        parts.extend(
            f'<circle class="works" cx="{left + (c + 0.5) * cell:.1f}" cy="{top + (r + 0.5) * cell:.1f}" r="{radius:.1f}"/>'
            for r, c in works
        )
    if m.fixed and len(m.declared) == 2 and all(isinstance(d, int) and m.low <= d <= high for d in m.declared):
        y, x = ((d - m.low + 0.5) * cell for d in m.declared)
        parts.append(f'<circle class="declared" cx="{left + x:.1f}" cy="{top + y:.1f}" r="5"/>')
    down, across = (m.names + ["", ""])[:2]
    parts.append(
        f'<text class="axislabel" x="{left + size / 2}" y="{height - 8}" text-anchor="middle">{escape(across)} →</text>'
    )
    parts.append(
        f'<text class="axislabel" x="12" y="{top + size / 2}" text-anchor="middle" '
        f'transform="rotate(-90 12 {top + size / 2})">← {escape(down)}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def square_svg(m: SizeMap, cell: int = 12) -> str:
    """Sizes s laid out 32 to a row, s = row + column: a multiple of 32 is column 0."""
    assert m.square_values is not None and m.square_codes is not None  # drawn only for a map with them
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
    parts = [
        f'<svg class="sizemap" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="sizes that work and that fail, 32 to a row">'
    ]
    parts.append(
        f'<image x="{left}" y="{top}" width="{ROW * cell}" height="{rows * cell}" preserveAspectRatio="none" '
        f'style="image-rendering:pixelated" href="{_data_uri(grid)}"/>'
    )
    for col in range(0, ROW, 8):
        parts.append(
            f'<text class="ticklabel" x="{left + (col + 0.5) * cell:.1f}" y="{top - 6}" text-anchor="middle">+{col}</text>'
        )
    step = max(1, rows // 12)
    for k in range(0, rows, step):
        parts.append(
            f'<text class="ticklabel" x="{left - 6}" y="{top + (k + 0.5) * cell + 4:.1f}" text-anchor="end">{(first_row + k) * ROW}</text>'
        )
    parts.append(f"<title>{escape(word)} = row + column</title></svg>")
    return "".join(parts)
