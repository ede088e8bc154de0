"""A Report shown in Jupyter: the table as text (IPython in a terminal) and as rich's
Jupyter HTML (a notebook's output cell). `api.Report._repr_mimebundle_` calls this."""

from __future__ import annotations

import io
import shutil
from typing import Optional

# what rich itself uses for Jupyter output (rich/jupyter.py)
JUPYTER_HTML_FORMAT = (
    '<pre style="white-space:pre;overflow-x:auto;line-height:normal;'
    "font-family:Menlo,'DejaVu Sans Mono',consolas,'Courier New',monospace\">{code}</pre>"
)
HTML_WIDTH = 140


def report_text(report, width: Optional[int] = None) -> str:
    """The table as text, as wide as the terminal (IPython in a terminal shows this one)."""
    return report.table(width=width or min(shutil.get_terminal_size((HTML_WIDTH, 24)).columns, 160))


def report_html(report, width: int = HTML_WIDTH) -> str:
    """The table report (every merge, the findings, the summary) in rich's Jupyter HTML."""
    from rich.console import Console
    from rich.text import Text

    from shapecheck.report import table

    console = Console(record=True, file=io.StringIO(), width=width, force_terminal=True, color_system="truecolor")
    table.render(report.run, console)
    for error in report.errors:
        console.print(Text(f"error: {error}", style="bold red"))
    return console.export_html(inline_styles=True, code_format=JUPYTER_HTML_FORMAT)


def mimebundle(report) -> dict:
    return {"text/plain": report_text(report), "text/html": report_html(report)}
