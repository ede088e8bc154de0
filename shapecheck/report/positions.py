"""Where a finding is in the file itself, for viewers of the raw file (SARIF, GitHub).

A .py finding is at its line and column. A notebook finding is at a cell and a line within
it; code scanning shows the .ipynb file's raw JSON text, so there it is placed at the line
of that text that holds the cell's source line (nbformat writes each source line as its own
JSON string on its own line), the column counted from that string's opening quote. The cell
and the line within it stay in the message and in the result's properties.
"""

from __future__ import annotations

from typing import Optional

from shapecheck.cells import file_position


def file_region(path: str, line: int, column: Optional[int], cell: Optional[int]) -> tuple[int, int]:
    if cell is None:
        return line, column or 1
    return file_position(path, cell, line, column or 1)
