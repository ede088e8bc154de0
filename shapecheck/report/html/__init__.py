"""`--format html`: one self-contained page (inline SVG, CSS and one small script; nothing
fetched) that shows, per model, the summary, every finding with a drawing of the merge's
branches from the tensor they share, a map of the input sizes that work for models the size
sweep covers, and the table of every merge with its verdict.

Every string that comes from the user (layer names, messages, paths, source lines) goes
through `esc`; the page's Content-Security-Policy allows only its own script (by hash), so
a layer named `<script>` is text, and the page loads nothing from anywhere.

Cost: one pass over each model's nodes for the name index, one `split_branches` and at
most one `axis_origin` per input for each finding's merge, one verdict per merge (as the
table does), and one size-sweep evaluation (plus one H × W grid) for models with spatial
inputs: linear in the merges and the layers.
"""

from __future__ import annotations

import base64
import hashlib
import linecache
import os
from typing import Optional, cast

from shapecheck import __version__
from shapecheck.errors import CheckError
from shapecheck.graph import Graph, Node, Shape
from shapecheck.layout import axis_name, spatial_axes
from shapecheck.provenance import format_shape, shape_runs
from shapecheck.report.html import drawing, sizemap
from shapecheck.report.html.assets import CSS, SCRIPT
from shapecheck.report.html.drawing import esc
from shapecheck.report.suggestions import fix_words
from shapecheck.rules import Finding, Severity
from shapecheck.rules.base import Fix
from shapecheck.size_range import SizeRange

SEVERITY = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "info"}
PROBLEM_VERDICTS = {
    "mismatch": "problem",
    "sizes": "problem",
    "broadcast": "warn",
    "square-only": "warn",
    "follows": "warn",
    "disputed": "problem",
    "behind a failure": "warn",
}
MAX_REPEAT_DRAWINGS = 64  # per finding; further repeats are listed, not drawn


def render(run, sizes=None) -> str:
    """The whole page for a RunReport. `sizes` is the size sweep's range (default 1..1024)."""

    page = Page(run, sizes or SizeRange())
    return page.html()


class Page:
    def __init__(self, run, sizes) -> None:
        self.run = run
        self.sizes = sizes
        self.anchors: dict[tuple, str] = {}  # (file index, model, layer) -> finding anchor
        self.rows: dict[tuple, str] = {}  # (file index, model, layer) -> its row in the merge table
        self.sources: dict[str, list[str]] = {}
        self._current = None  # the file report being drawn: its size maps

    def maps(self, file, graph: Graph):
        """The size map and failing-size examples the analysis made for `graph` (size_map.py)."""
        return (getattr(file, "size_maps", None) or {}).get(graph.name)

    # -- the page ---------------------------------------------------------------------
    def html(self) -> str:
        from shapecheck.report.table import summary_line

        body = [self._header(summary_line(self.run))]
        for k, file in enumerate(self.run.files):
            body.append(self._file(k, file))
        body.append(
            f"<footer>shapecheck {esc(__version__)} · size sweep over {esc(self.sizes)} · "
            "this file is self-contained: it loads nothing.</footer>"
        )
        script_hash = base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode("ascii")
        csp = (
            f"default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
            f"script-src 'sha256-{script_hash}'; base-uri 'none'; form-action 'none'"
        )
        title = (
            "shapecheck report: "
            + ", ".join(f.path for f in self.run.files[:3])
            + ("…" if len(self.run.files) > 3 else "")
        )
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<meta name="color-scheme" content="light dark">'
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
            + drawing.ARROW_DEFS
            + "<main>"
            + "".join(body)
            + f"</main><script>{SCRIPT}</script></body></html>\n"
        )

    def _header(self, summary: str) -> str:
        counts = [
            _pill(self.run.count(Severity.ERROR), "error"),
            _pill(self.run.count(Severity.WARNING), "warning"),
            _pill(self.run.count(Severity.INFO), "info"),
        ]
        if self.run.errors:
            counts.append(f'<span class="pill error">{len(self.run.errors)} not checked</span>')
        files = "".join(
            f'<li><a href="#file-{k}">{esc(f.path)}</a> <span class="muted">{esc(f.status)}, '
            f"{len(f.models)} model{'s' if len(f.models) != 1 else ''}, {len(f.findings)} finding{'s' if len(f.findings) != 1 else ''}</span></li>"
            for k, f in enumerate(self.run.files)
        )
        toc = f'<ul class="plain files">{files}</ul>' if len(self.run.files) > 1 else ""
        return (
            f'<header class="top"><div><h1>shapecheck report</h1><div class="summary">{esc(summary)}</div></div>'
            f'<div class="counts">{"".join(counts)}</div></header>{toc}'
        )

    def _file(self, k: int, file) -> str:
        out = [
            f'<section class="file" id="file-{k}"><h2><span class="mono">{esc(file.path)}</span> '
            f'<span class="pill {_status_class(file.status)}">{esc(file.status)}</span></h2>'
        ]
        reason = getattr(file, "reason", None)
        if reason:
            out.append(
                f'<p class="meta">checked because it {esc(reason)}</p>'
                if not reason.startswith(("it ", "checked"))
                else f'<p class="meta">{esc(reason)}</p>'
            )
        if file.error:
            position = getattr(file, "position", None)
            where = f" (line {position[0]}, column {position[1]})" if position else ""
            out.append(f'<div class="banner error">could not be checked{esc(where)}: {esc(file.error)}</div>')
        if getattr(file, "skip", None):
            kind = "banner" if getattr(file, "undecided", False) else "banner note"
            out.append(f'<div class="{kind}">skipped: {esc(file.skip)}</div>')
        indexes = [{node.name: (owner, node) for owner, node in g.walk()} for g in file.models]
        per_model: list[list[Finding]] = [[] for _ in file.models]
        loose: list[Finding] = []
        for f in file.findings:
            same = [j for j, g in enumerate(file.models) if g.name == f.model]
            j = next((j for j in same if f.layer in indexes[j]), same[0] if same else None)
            (per_model[j] if j is not None else loose).append(f)
        for found in per_model:  # errors first, then warnings, then infos; in source order within each
            found.sort(key=lambda f: -int(f.severity))
        merges = [list(g.merges()) for g in file.models]
        for j, graph in enumerate(file.models):  # anchors first: a finding may link to a later model's
            for n, (_, node) in enumerate(merges[j]):
                self.rows.setdefault((k, graph.name, node.name), f"r{k}-{j}-{n}")
            for n, f in enumerate(per_model[j]):
                self.anchors.setdefault((k, graph.name, f.layer), f"f{k}-{j}-{n}")
                for r, rep in enumerate(_repeats(f)):
                    self.anchors.setdefault((k, graph.name, rep.layer), f"f{k}-{j}-{n}-{r}")
        for j, graph in enumerate(file.models):
            out.append(self._model(k, j, file, graph, per_model[j], indexes[j], merges[j]))
        if loose:
            out.append("<h3>Other findings</h3>")
            out.extend(self._finding(k, f"{k}-x", n, f, None, file.path) for n, f in enumerate(loose))
        notes = [f"note: {n}" for n in file.notes if not (file.skip and n == f"skipped: {file.skip}")]
        notes += [f"not called: {s}" for s in file.not_called]
        if notes:
            out.append('<ul class="notes">' + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>")
        out.append("</section>")
        return "".join(out)

    # -- one model --------------------------------------------------------------------
    def _model(self, k: int, j: int, file, graph: Graph, findings: list[Finding], index: dict, merges: list) -> str:
        key = f"{k}-{j}"
        self._current = file
        inputs = ", ".join(format_shape(s) for s in graph.input_shapes)
        counts = " ".join(_pill(sum(1 for f in findings if f.severity == s), SEVERITY[s]) for s in SEVERITY)
        meta = [
            f"{graph.layer_count()} layers",
            f"{len(merges)} merge{'s' if len(merges) != 1 else ''}",
            f"inputs {inputs}",
        ]
        if graph.entry:
            meta.insert(0, f"from {graph.entry}")
        out = [
            f'<section class="model" id="m{key}"><div class="model-head"><h3>model <span class="mono">{esc(graph.name)}</span></h3>'
            f'<span class="meta">{esc(" · ".join(meta))}</span><span class="counts">{counts}</span></div>'
        ]
        if graph.partial:
            out.append(f'<div class="banner">{esc(graph.partial)}</div>')
        keras = (getattr(file, "witnessed", None) or {}).get(graph.name)
        if keras is not None and keras.summary():
            cls = "banner" if keras.disputes or keras.unavailable else "muted witnesses"
            out.append(f'<div class="{cls}">{esc(keras.summary())}</div>')
        if len(findings) > 3:
            out.append(_index(key, findings))
        for n, f in enumerate(findings):
            out.append(self._finding(k, key, n, f, (graph, index), file.path))
        out.append(self._sizes(key, graph, findings))
        out.append(self._merge_table(k, key, graph, merges, file))
        out.append("</section>")
        return "".join(out)

    def _sizes(self, key: str, graph: Graph, findings: list[Finding]) -> str:
        maps = self.maps(self._current, graph)
        m = maps.map if maps is not None else None
        if m is None:
            return ""
        if m.rule.startswith("works at every size"):  # nothing to see: say so in one line
            return (
                f'<section class="sizes compact" id="sizes-{key}"><div><span class="muted">Input sizes ({esc(m.tried)}):</span> '
                f'<span class="rule ok">{esc(m.rule)}</span></div></section>'
            )
        pictures = []
        if m.grid is not None:
            high = m.low + m.grid.shape[0] - 1
            pair = " × ".join(m.names)
            pictures.append(
                f'<figure class="figure"><figcaption class="muted">every {esc(pair)} from {m.low} to {high}, a cell per size</figcaption>'
                f"{sizemap.grid_svg(m)}</figure>"
            )
        if m.square_values is not None and len(m.square_values) and (len(m.names) == 1 or m.names == ["H", "W"]):
            word = (
                "square sizes s × s"
                if m.names == ["H", "W"]
                else "every axis at the same size s"
                if len(m.names) > 1
                else esc(m.names[0])
            )
            pictures.append(
                f'<figure class="figure"><figcaption class="muted">{word} over {esc(self.sizes)}, '
                f"{sizemap.ROW} to a row: s = row + column</figcaption>{sizemap.square_svg(m)}</figure>"
            )
        declared = ""
        if m.fixed:
            size = "×".join(str(d) for d in m.declared)
            declared = f'<div class="muted">built for {esc(size)}: blue in the pictures, where they reach it</div>'
        examples = f'<div class="muted">fails at {esc(m.examples)}, …</div>' if m.examples else ""
        notes = "".join(f'<div class="notes">{esc(n)}</div>' for n in m.notes)
        legend = (
            '<div class="legend"><span><i class="sw-works"></i>works</span><span><i class="sw-fails"></i>a merge fails</span>'
            '<span><i class="sw-refused"></i>not accepted (a layer output would be empty)</span>'
            + ('<span><i class="sw-declared"></i>declared size</span>' if m.fixed else "")
            + "</div>"
        )
        return (
            f'<section class="sizes" id="sizes-{key}"><div style="flex-basis:100%"><div class="muted">Input sizes ({esc(m.tried)})</div>'
            f'<div class="rule">{esc(m.rule)}</div>{declared}{examples}{legend}{notes}</div>'
            + "".join(pictures)
            + "</section>"
        )

    def _merge_table(
        self,
        k: int,
        key: str,
        graph: Graph,
        merges,
        file,
    ) -> str:
        if not merges:
            return '<p class="muted">No merges in this model.</p>'
        rows = []
        problems = 0
        for _owner, node, label, why in file.merge_rows(graph):
            if node.recovered:
                why += f" ({node.recovered})"
            cls = PROBLEM_VERDICTS.get(label, "")
            problems += bool(cls)
            anchor = self.anchors.get((k, graph.name, node.name))
            name = f'<a href="#{anchor}">{esc(node.name)}</a>' if anchor else esc(node.name)
            shapes = "<br>".join(esc(s) for s in shape_runs(node.input_shapes, "×"))
            row_id = self.rows.get((k, graph.name, node.name), "")
            rows.append(
                f'<tr class="{cls}" id="{row_id}"><td class="mono">{name}</td><td>{esc(node.op)}</td><td class="mono">{esc(_line(node))}</td>'
                f'<td class="mono">{shapes}</td><td><span class="verdict {esc(label.split()[0])}">{esc(label)}</span></td>'
                f'<td class="why">{esc(why)}</td></tr>'
            )
        table_id = f"merges-{key}"
        filters = (
            f'<div class="filters" data-table="{table_id}"><span class="muted">show</span>'
            '<button type="button" data-only="all" aria-pressed="true">every merge</button>'
            f'<button type="button" data-only="problems" aria-pressed="false">only the {problems} with a problem</button></div>'
            if problems and problems < len(merges)
            else ""
        )
        return (
            f'<details class="merges" {"open" if len(merges) <= 40 else ""}><summary>Every merge ({len(merges)}) with its verdict</summary>'
            f'{filters}<table class="merges" id="{table_id}"><thead><tr><th>layer</th><th>op</th><th>line</th><th>input shapes</th>'
            f"<th>verdict</th><th>why</th></tr></thead><tbody>{''.join(rows)}</tbody></table></details>"
        )

    # -- one finding ------------------------------------------------------------------
    def _finding(self, k: int, key: str, n: int, f: Finding, model: Optional[tuple], path: str) -> str:
        severity = SEVERITY[f.severity]
        where = f.where if f.line else f"{f.path} [{f.model}/{f.layer}]"
        owner_node = model[1].get(f.layer) if model else None
        figure, aside_extra, focus = "", "", drawing.Focus()
        if owner_node is not None:
            assert model is not None  # owner_node was found in it
            owner, node = owner_node
            figure, aside_extra, focus = self._figure(model[0], owner, node, f, severity)
        head = (
            f'<header><div class="title"><span class="pill {severity}">{severity}</span>'
            f'<span class="code">{esc(f.code)}</span><span class="muted">{esc(f.name)}</span>'
            f'<span class="mono">{esc(f.layer)}</span>{_times(f)}<span class="where">{esc(where)}</span></div>'
            f'<p class="message">{esc(f.message)}</p></header>'
        )
        aside = [self._source(f, owner_node[1] if owner_node else None), _chain(f), _shapes(f, focus)]
        aside.append(_fixes(getattr(f, "fixes", None)))
        repeats = _repeats(f)
        aside.append(self._related(k, f, [r for r in getattr(f, "related", None) or () if r not in repeats]))
        aside.append(aside_extra)
        if f.rule.about_sizes and model is not None:
            aside.append(f'<p><a href="#sizes-{key}">The map of input sizes that work and that fail ↓</a></p>')
        more = self._repeat_figures(key, n, f, repeats, model, severity) if repeats else ""
        return (
            f'<article class="finding {severity}" id="f{key}-{n}" data-code="{esc(f.code)}" data-layer="{esc(f.layer)}">{head}'
            f'<div class="body"><div class="figure">{figure}</div><div class="aside">{"".join(aside)}</div></div>{more}</article>'
        )

    def _repeat_figures(
        self, key: str, n: int, f: Finding, repeats: list, model: Optional[tuple], severity: str
    ) -> str:
        """The same problem at the same line, from other calls (a block called many times):
        each merge drawn too, under one fold (open when there are few)."""
        parts = []
        for r, rep in enumerate(repeats):
            owner_node = model[1].get(rep.layer) if model and r < MAX_REPEAT_DRAWINGS else None
            figure = ""
            if owner_node is not None:
                assert model is not None  # owner_node was found in it
                owner, node = owner_node
                svg, _, _ = self._figure(model[0], owner, node, f, severity)
                figure = f'<div class="figure">{svg}</div>'
            chain = " → ".join(frame.describe() for frame in getattr(rep, "call_chain", ()) or ())
            shapes = " and ".join(format_shape(s) for s in getattr(rep, "shapes", ()) or ())
            parts.append(
                f'<div class="repeat" id="f{key}-{n}-{r}" data-layer="{esc(rep.layer)}"><h4><span class="mono">{esc(rep.layer)}</span> '
                f'<span class="muted">{esc(shapes)}</span></h4>'
                + (f'<div class="chain mono">via {esc(chain)}</div>' if chain else "")
                + figure
                + "</div>"
            )
        count = len(repeats)
        return (
            f'<details class="repeats"{" open" if count <= 3 else ""}><summary>The same at this line from '
            f"{count} other call{'s' if count != 1 else ''}: every one drawn</summary>{''.join(parts)}</details>"
        )

    def _figure(
        self, model: Graph, graph: Graph, node: Node, f: Finding, severity: str
    ) -> tuple[str, str, drawing.Focus]:
        if not node.is_merge or len(node.inputs) < 2:
            return drawing.draw_layer(graph, node, severity), "", drawing.Focus()
        focus = drawing.focus_for(node, f.rule.marks)
        caption = ""
        maps = self.maps(self._current, model)
        if f.rule.fails_at_sizes and maps is not None and node.name in maps.examples:
            focus, caption = self._at_failing_size(model, maps.examples[node.name], node, focus)
        d = drawing.draw_merge(graph, node, focus, severity, _verdict_text(node, f, focus))
        return caption + d.svg, _branch_table(graph, node, d, focus), focus

    def _at_failing_size(self, model: Graph, found: tuple, node: Node, focus):
        """Shapes at a size where the merge fails: the drawing then shows which branch rounds."""
        label, at = found
        inputs = [at.get(e.source) for e in node.inputs]
        if any(s is None for s in inputs):
            return focus, ""
        from shapecheck.algebra.merge import outcome

        assert node.merge is not None  # _figure draws sizes only for merges
        result = outcome(node.merge, inputs)
        rank = max(len(s) for s in inputs)
        axes = tuple(sorted({c.axis % rank for c in result.conflicts})) or focus.axes

        word = " and ".join(axis_name(a, rank, node.layout) for a in axes)
        focus = drawing.Focus(axes, rank, word, at, label)
        declared_sizes = _declared(model)
        declared = (
            f" (declared {esc(' × '.join('None' if d is None else str(d) for d in declared_sizes))})"
            if declared_sizes
            else ""
        )
        caption = (
            f'<p class="caption">Drawn at input size <b class="mono">{esc(label)}</b>, a size where it fails'
            f"{declared}.</p>"
        )
        return focus, caption

    def _source(self, f: Finding, node: Optional[Node]) -> str:
        if not f.line:
            return f'<h4>Layer</h4><div class="mono">{esc(f.model)}/{esc(f.layer)}</div>'
        file = node.location.path if node is not None and node.location else f.path
        lines = self._cell_lines(file, f.cell) if f.cell is not None else self._lines(file)
        at = f"{esc(f.path)}:cell {f.cell}:{f.line}" if f.cell is not None else f"{esc(f.path)}:{f.line}"
        if not lines or f.line > len(lines):
            return f'<h4>Source</h4><div class="mono">{at}</div>'
        rows = []
        for number in range(max(1, f.line - 2), min(len(lines), f.line + 1) + 1):
            text = lines[number - 1].rstrip("\n")
            cls = ' class="here"' if number == f.line else ""
            rows.append(f'<span{cls}><span class="ln">{number}</span>{esc(text)}</span>')
        body = "".join(rows)
        return f'<h4>Source <span class="mono">{at}</span></h4><pre class="source">{body}</pre>'

    def _cell_lines(self, path: str, cell: int) -> list[str]:
        """A notebook cell's lines as written (IPython syntax included)."""
        key = f"{path}:cell {cell}"
        if key not in self.sources:
            from shapecheck.load.notebook import read_cells

            try:
                found = [c.source for c in read_cells(path) if c.number == cell]
            except CheckError:
                found = []
            self.sources[key] = found[0].splitlines(True) if found else []
        return self.sources[key]

    def _lines(self, path: str) -> list[str]:
        if path not in self.sources:
            self.sources[path] = linecache.getlines(path)
        return self.sources[path]

    def _related(self, k: int, f: Finding, related) -> str:
        """Consequences (findings, or layer names) attached to this finding, linked where they
        are drawn on this page."""
        if not related:
            return ""
        items = []
        for r in related:
            layer = (
                r
                if isinstance(r, str)
                else getattr(r, "layer", None) or (r.get("layer") if isinstance(r, dict) else None)
            )
            text = r if isinstance(r, str) else _describe(r)
            anchor = (self.anchors.get((k, f.model, layer)) or self.rows.get((k, f.model, layer))) if layer else None
            items.append(f'<li><a href="#{anchor}">{esc(text)}</a></li>' if anchor else f"<li>{esc(text)}</li>")
        return (
            f'<h4>Consequences ({len(items)})</h4><p class="muted">mismatches that exist only because of this one: '
            f'fixing it fixes them</p><ul class="plain related">{"".join(items)}</ul>'
        )


# -- small pieces ------------------------------------------------------------------------
def _reraise_when_debugging() -> None:
    """The pictures of the sweep never fail a report, except under --debug (or in tests)."""
    if os.environ.get("SHAPECHECK_DEBUG"):
        raise


def _line(node: Node) -> str:
    """A merge's line; 'cell 5:48' in a notebook."""
    if node.location is not None and node.location.cell is not None:
        return node.location.label()
    return str(node.line or "–")


def _finding_line(f: Finding) -> str:
    return f"cell {f.cell}:{f.line}" if f.cell is not None else f"line {f.line or '–'}"


def _index(key: str, findings: list[Finding]) -> str:
    """A model with many findings: one line each, linked to its card."""
    rows = "".join(
        f'<li><a href="#f{key}-{n}"><span class="pill {SEVERITY[f.severity]}">{esc(f.code)}</span> '
        f'<span class="mono">{esc(f.layer)}</span></a>{_times(f)} <span class="muted">{esc(_finding_line(f))}</span> '
        f"{esc(_headline(f))}</li>"
        for n, f in enumerate(findings)
    )
    return f'<nav class="index"><ol>{rows}</ol></nav>'


def _headline(f: Finding) -> str:
    """The part of the message after the merge's name: 'cannot merge ...: channels 256 vs 64'."""
    text = f.message.split(". ")[0]
    return text if len(text) <= 140 else text[:139] + "…"


def _pill(count: int, severity: str) -> str:
    word = {"error": "error", "warning": "warning", "info": "info"}[severity]
    cls = severity if count else "none"
    return f'<span class="pill {cls}">{count} {word}{"s" if count != 1 else ""}</span>'


def _status_class(status: str) -> str:
    return {"ok": "ok", "findings": "warning", "error": "error", "partial": "warning"}.get(
        status, "none"
    )  # skipped, no-model


def _marked_shape(shape, focus: drawing.Focus) -> str:
    parts = ["None" if d is None else str(d) for d in shape]
    if focus.axes and len(shape) == focus.rank:
        parts = [f'<mark class="axis">{esc(p)}</mark>' if i in focus.axes else esc(p) for i, p in enumerate(parts)]
    else:
        parts = [esc(p) for p in parts]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def _chain(f: Finding) -> str:
    if not f.call_chain:
        return ""
    items = []
    for frame in f.call_chain:
        args = ", ".join(f"{name}={value}" for name, value in frame.args)
        items.append(f"<li>{esc(frame.short())}{f' <span class=args>({esc(args)})</span>' if args else ''}</li>")
    return f'<h4>Call chain</h4><ol class="chain">{"".join(items)}</ol>'


def _shapes(f: Finding, focus: drawing.Focus) -> str:
    if not f.shapes:
        return ""
    rows = "".join(
        f"<tr><td>input {i + 1}</td><td>{_marked_shape(s, focus)}</td></tr>" for i, s in enumerate(f.shapes[:8])
    )
    more = f'<tr><td colspan="2" class="muted">… {len(f.shapes) - 8} more</td></tr>' if len(f.shapes) > 8 else ""
    word = f' <span class="muted">({esc(focus.word)} highlighted)</span>' if focus.word else ""
    return f'<h4>Input shapes{word}</h4><table class="shapes">{rows}{more}</table>'


def _times(f: Finding) -> str:
    count = 1 + len(_repeats(f))
    return f' <span class="pill none">×{count} at this line</span>' if count > 1 else ""


def _repeats(f: Finding) -> list:
    """The other merges a grouped finding stands for (`related` of kind "repeat")."""
    return [r for r in getattr(f, "related", None) or () if getattr(r, "kind", None) == "repeat"]


def _describe(thing) -> str:
    if isinstance(thing, dict):
        get = thing.get
    else:

        def get(name, default=None):
            return getattr(thing, name, default)

    if get("kind") and get("layer") and not get("message"):  # a Related: a layer, its line and shapes
        line = f" (line {get('line')})" if get("line") else ""
        if get("line") and get("cell") is not None:
            line = f" (cell {get('cell')}:{get('line')})"
        shapes = " and ".join(format_shape(s) for s in get("shapes") or ())
        return f"{get('layer')}{line}" + (f": {shapes}" if shapes else "")
    head = " ".join(str(x) for x in (get("code"), get("layer")) if x)
    message = get("message") or get("description") or get("title") or get("summary")
    return f"{head}: {message}" if head and message else head or str(message or thing)


def _fixes(fixes) -> str:
    """Suggested fixes, if the finding carries any: text, or objects with a description and
    an edit (whatever their exact fields)."""

    if not fixes:
        return ""
    items = []
    for fix in fixes:
        if isinstance(fix, str):
            items.append(f"<li>{esc(fix)}</li>")
            continue
        get = fix.get if isinstance(fix, dict) else (lambda name, default=None, _f=fix: getattr(_f, name, default))
        text = get("description") or get("message") or get("title") or get("summary") or ""
        if isinstance(fix, Fix):
            text = fix_words(fix)
        edit = get("replacement") or get("edit") or get("text") or get("diff") or get("new")
        line = get("line")
        where = f'<span class="muted">line {esc(line)}:</span> ' if line else ""
        code = f'<pre class="source">{esc(edit)}</pre>' if edit else ""
        items.append(f"<li>{where}{esc(text or (not edit and fix) or '')}{code}</li>")
    return f'<h4>Suggested fix{"es" if len(items) > 1 else ""}</h4><ul class="plain fixes">{"".join(items)}</ul>'


def _declared(model: Graph) -> list:

    for node_id in model.inputs:
        shape = model.nodes[node_id].output_shapes[0]
        if len(shape) >= 3:
            return [shape[a] for a in spatial_axes(len(shape), model.nodes[node_id].layout)]
    return []


def _verdict_text(node: Node, f: Finding, focus: drawing.Focus) -> str:
    from shapecheck.algebra.merge import outcome

    if f.rule.marks == "concat":
        return f"! joined along {focus.word}"
    shapes = node.input_shapes
    if focus.at is not None:  # made only where every input's shape is known (_at_failing_size)
        shapes = cast("list[Shape]", [focus.at.get(e.source) for e in node.inputs])
    elif f.rule.short:
        return f"✗ {f.rule.short}"
    assert node.merge is not None  # _figure draws merges only
    result = outcome(node.merge, shapes)
    if result.conflicts:
        if result.rank_mismatch and node.merge.kind != "dot":
            return "✗ ranks " + " vs ".join(str(len(s)) for s in shapes)
        rank = max(len(s) for s in shapes)
        c = next((c for c in result.conflicts if c.axis % rank in focus.axes), result.conflicts[0])
        dims = " vs ".join("?" if d is None else str(d) for d in c.dims)

        at = f" at {focus.at_label}" if focus.at is not None and len(focus.at_label) <= 11 else ""
        return f"✗ {axis_name(c.axis % rank, rank, node.layout)} {dims}{at}"
    if result.broadcasts:
        return f"! broadcasts {focus.word}"
    return f"{f.code} {f.name}"


def _branch_table(graph: Graph, node: Node, d: drawing.Drawing, focus: drawing.Focus) -> str:
    """Every layer of every branch (what --explain lists), folded away under a <details>."""
    parts = []
    total = 0
    origin_ids = {o.id for o in d.origins if o is not None}
    common = graph.nodes[d.branches.common] if d.branches.common is not None else None
    for i, nodes, left in drawing.branch_rows(graph, d.branches, d.origins):
        total += len(nodes) + left
        rows = "".join(
            f'<tr><td class="mono">{esc(n.name)}{" ◆" if n.id in origin_ids else ""}</td><td>{esc(n.op)}</td>'
            f'<td class="mono">{esc(n.line or "–")}</td><td class="mono">{_marked_shape(n.output_shapes[0], focus) if n.output_shapes else ""}</td></tr>'
            for n in nodes
        )
        if left:
            rows += f'<tr><td colspan="4" class="muted">… and {left} more</td></tr>'
        if not nodes:
            rows = '<tr><td colspan="4" class="muted">no layers: the shared tensor itself</td></tr>'
        parts.append(f'<tr><th colspan="4">input {i + 1}</th></tr>{rows}')
    shared = ""
    if common is not None:
        shared = (
            f'<p class="muted">The inputs share <span class="mono">{esc(common.op)} {esc(common.name)}</span> → '
            f'<span class="mono">{_marked_shape(common.output_shapes[0], focus)}</span>. ◆ sets the highlighted axis.</p>'
        )
    return (
        f"<details><summary>Every layer of the branches ({total})</summary>{shared}"
        f'<table class="layers"><thead><tr><th>layer</th><th>op</th><th>line</th><th>output shape</th></tr></thead>'
        f"<tbody>{''.join(parts)}</tbody></table></details>"
    )
