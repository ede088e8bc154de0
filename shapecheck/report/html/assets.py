"""The page's CSS and its one script, inlined in every report (no network, no CDN)."""

CSS = """
:root {
  --bg: #ffffff; --fg: #1f2328; --muted: #59636e; --faint: #eef1f4; --line: #d1d9e0;
  --card: #ffffff; --box: #f6f8fa; --box-line: #8c959f; --edge: #818b98;
  --error: #cf222e; --error-bg: #ffebe9; --warning: #9a6700; --warning-bg: #fff8c5;
  --info: #0969da; --info-bg: #ddf4ff; --ok: #1a7f37; --ok-bg: #dafbe1;
  --hl: #ffd33d; --hl-fg: #1f2328; --accent: #8250df; --accent-bg: #fbefff;
  --mono: "DejaVu Sans Mono", Menlo, Consolas, "Liberation Mono", monospace;
  --sans: system-ui, -apple-system, "Segoe UI", "Noto Sans", "DejaVu Sans", Helvetica, Arial, sans-serif;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --faint: #161b22; --line: #30363d;
    --card: #0d1117; --box: #161b22; --box-line: #6e7681; --edge: #7d8590;
    --error: #ff7b72; --error-bg: #3c1618; --warning: #d29922; --warning-bg: #37290a;
    --info: #58a6ff; --info-bg: #0c2d6b; --ok: #3fb950; --ok-bg: #0f2e1b;
    --hl: #e3b341; --hl-fg: #0d1117; --accent: #d2a8ff; --accent-bg: #2c1a4a;
  }
}
* { box-sizing: border-box; }
html { background: var(--bg); color: var(--fg); }
body { margin: 0; font: 14px/1.5 var(--sans); }
main { max-width: 1280px; margin: 0 auto; padding: 24px 28px 64px; }
a { color: var(--info); text-decoration: none; }
a:hover { text-decoration: underline; }
code, .mono { font-family: var(--mono); font-size: 12.5px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 36px 0 8px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 24px 0 8px; }
.muted { color: var(--muted); }
header.top { display: flex; flex-wrap: wrap; gap: 12px 24px; align-items: baseline; justify-content: space-between;
  border-bottom: 1px solid var(--line); padding-bottom: 14px; }
.summary { font-size: 15px; font-weight: 600; }
.counts { display: flex; gap: 8px; flex-wrap: wrap; }
.pill { display: inline-block; border-radius: 999px; padding: 1px 10px; font-size: 12px; font-weight: 600;
  border: 1px solid transparent; white-space: nowrap; }
.pill.error { color: var(--error); background: var(--error-bg); border-color: var(--error); }
.pill.warning { color: var(--warning); background: var(--warning-bg); border-color: var(--warning); }
.pill.info { color: var(--info); background: var(--info-bg); border-color: var(--info); }
.pill.ok { color: var(--ok); background: var(--ok-bg); border-color: var(--ok); }
.pill.none { color: var(--muted); background: var(--faint); border-color: var(--line); }
.file { margin-top: 28px; }
.file > h2 { display: flex; gap: 12px; align-items: baseline; flex-wrap: wrap; }
.model { margin: 18px 0 30px; }
.model-head { display: flex; flex-wrap: wrap; gap: 6px 16px; align-items: baseline; }
.model-head h3 { margin: 0; }
.meta { color: var(--muted); font-size: 13px; }
.banner { border-left: 4px solid var(--warning); background: var(--warning-bg); padding: 8px 12px; margin: 10px 0;
  border-radius: 4px; }
.banner.error { border-color: var(--error); background: var(--error-bg); }
.banner.note { border-color: var(--line); background: var(--faint); color: var(--muted); }
.finding { border: 1px solid var(--line); border-left: 5px solid var(--box-line); border-radius: 8px;
  background: var(--card); margin: 16px 0; overflow: hidden; }
.finding.error { border-left-color: var(--error); }
.finding.warning { border-left-color: var(--warning); }
.finding.info { border-left-color: var(--info); }
.finding:target, .repeat:target { box-shadow: 0 0 0 3px var(--info); }
tr:target td { outline: 2px solid var(--info); }
details.repeats { margin: 0; padding: 10px 14px 14px; border-top: 1px solid var(--line); }
.repeat { margin: 14px 0 0; padding-top: 10px; border-top: 1px dashed var(--line); }
.repeat h4 { margin: 0 0 2px; font-size: 13px; }
.repeat .chain { font-size: 12px; color: var(--muted); margin-bottom: 6px; }
.finding > header { padding: 10px 14px 8px; border-bottom: 1px solid var(--line); background: var(--faint); }
.finding .title { display: flex; flex-wrap: wrap; gap: 6px 12px; align-items: baseline; }
.finding .code { font-weight: 700; font-family: var(--mono); }
.finding .where { font-family: var(--mono); font-size: 12.5px; color: var(--muted); }
.finding .message { margin: 6px 0 0; }
.finding .body { display: flex; flex-wrap: wrap; gap: 18px 28px; padding: 14px; align-items: flex-start; }
.figure { flex: 0 1 auto; max-width: 100%; overflow-x: auto; }
.aside { flex: 1 1 320px; min-width: 280px; font-size: 13px; }
.aside h4 { margin: 12px 0 4px; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.aside h4:first-child { margin-top: 0; }
.aside h4 .mono { text-transform: none; letter-spacing: 0; color: var(--fg); font-weight: 400; }
pre.source { margin: 0; padding: 8px 10px; background: var(--box); border: 1px solid var(--line); border-radius: 6px;
  overflow-x: auto; font-family: var(--mono); font-size: 12.5px; line-height: 1.45; }
pre.source .ln { color: var(--muted); user-select: none; display: inline-block; min-width: 3.2em; }
pre.source > span { display: block; }
pre.source .here { background: var(--accent-bg); margin: 0 -10px; padding: 0 10px 0 7px; border-left: 3px solid var(--accent); }
ol.chain { margin: 0; padding-left: 20px; font-family: var(--mono); font-size: 12.5px; }
ol.chain .args { color: var(--muted); }
ul.plain { margin: 0; padding-left: 18px; }
.shapes td { font-family: var(--mono); font-size: 12.5px; padding: 1px 10px 1px 0; }
mark.axis { background: var(--hl); color: var(--hl-fg); border-radius: 3px; padding: 0 2px; font-weight: 700; }
details { margin-top: 8px; }
details > summary { cursor: pointer; color: var(--info); }
table.layers, table.merges { border-collapse: collapse; width: 100%; font-size: 13px; }
table.layers th, table.layers td, table.merges th, table.merges td { text-align: left; padding: 4px 8px;
  border-bottom: 1px solid var(--line); vertical-align: top; }
table.layers th, table.merges th { font-size: 12px; color: var(--muted); font-weight: 600;
  background: var(--bg); }
table.layers td.mono, table.merges td.mono { white-space: nowrap; }
table.merges tr.problem td { background: color-mix(in srgb, var(--error-bg) 55%, transparent); }
table.merges tr.warn td { background: color-mix(in srgb, var(--warning-bg) 55%, transparent); }
.verdict { font-weight: 700; white-space: nowrap; }
.verdict.ok { color: var(--ok); } .verdict.mismatch, .verdict.sizes { color: var(--error); }
.verdict.broadcast, .verdict.square-only { color: var(--warning); } .verdict.unchecked, .verdict.follows { color: var(--muted); }
.why { color: var(--fg); max-width: 640px; }
.filters { display: flex; gap: 8px; align-items: center; margin: 6px 0; font-size: 13px; }
.filters button { font: inherit; border: 1px solid var(--line); background: var(--faint); color: var(--fg);
  border-radius: 6px; padding: 2px 10px; cursor: pointer; }
.filters button[aria-pressed="true"] { background: var(--info-bg); border-color: var(--info); color: var(--info); }
.sizes { display: flex; flex-wrap: wrap; gap: 16px 32px; align-items: flex-start; border: 1px solid var(--line);
  border-radius: 8px; padding: 14px; margin: 14px 0; }
.sizes .rule { font-size: 15px; font-weight: 600; }
.sizes.compact { padding: 8px 14px; }
.sizes .rule.ok { color: var(--ok); font-size: 14px; }
nav.index ol { margin: 8px 0 4px; padding-left: 22px; font-size: 13px; }
nav.index li { margin: 2px 0; }
nav.index .pill { font-size: 11px; padding: 0 7px; }
.legend { display: flex; gap: 14px; flex-wrap: wrap; font-size: 12px; color: var(--muted); margin-top: 6px; }
.legend i { display: inline-block; width: 11px; height: 11px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
.sw-works { background: rgb(45,164,78); } .sw-fails { background: rgb(207,34,46); }
.sw-refused { background: rgb(175,184,193); } .sw-declared { background: rgb(9,105,218); }
.notes { color: var(--muted); font-size: 13px; }
.caption { margin: 0 0 6px; font-size: 13px; color: var(--muted); }
.caption b { color: var(--fg); }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); padding-top: 10px; }
/* the drawings */
svg.drawing { display: block; overflow: visible; }
svg.drawing text { font-family: var(--sans); font-size: 12px; fill: var(--fg); }
svg.drawing .box > rect.frame { fill: var(--box); stroke: var(--box-line); stroke-width: 1; }
svg.drawing .box.fold > rect.frame, svg.drawing .box.gap > rect.frame { stroke-dasharray: 5 4; fill: var(--bg); }
svg.drawing .box.repeat > rect.frame { stroke-width: 1; fill: var(--box); }
svg.drawing .box.common > rect.frame { stroke: var(--fg); stroke-width: 1.5; }
svg.drawing .box.origin > rect.frame { stroke: var(--accent); stroke-width: 2.5; }
svg.drawing .box.merge > rect.frame { stroke-width: 2.5; stroke: var(--box-line); }
svg.drawing .box.merge.error > rect.frame, svg.drawing .box.subject.error > rect.frame { stroke: var(--error); fill: var(--error-bg); stroke-width: 2.5; }
svg.drawing .box.merge.warning > rect.frame, svg.drawing .box.subject.warning > rect.frame { stroke: var(--warning); fill: var(--warning-bg); stroke-width: 2.5; }
svg.drawing .box.merge.info > rect.frame, svg.drawing .box.subject.info > rect.frame { stroke: var(--info); fill: var(--info-bg); stroke-width: 2.5; }
svg.drawing .op { font-weight: 700; }
svg.drawing .name, svg.drawing .line { fill: var(--muted); }
svg.drawing .line { font-family: var(--mono); font-size: 11px; }
svg.drawing text.shape { font-family: var(--mono); font-size: 12px; }
svg.drawing text.shape .axis { font-weight: 700; fill: var(--hl-fg); }
svg.drawing .axis-hl { fill: var(--hl); }
svg.drawing .backdrop { fill: var(--bg); stroke: var(--line); }
svg.drawing .verdict { font-weight: 700; fill: var(--fg); }
svg.drawing .tag rect { fill: var(--accent); }
svg.drawing .tag text { fill: var(--bg); font-size: 10.5px; font-weight: 700; }
svg.drawing .tag.upstream rect { fill: var(--bg); stroke: var(--accent); stroke-width: 1.2; }
svg.drawing .tag.upstream text { fill: var(--accent); }
svg.drawing .edge { fill: none; stroke: var(--edge); stroke-width: 1.4; }
svg.drawing .edge.dashed { stroke-dasharray: 4 4; }
svg.drawing .colhead { fill: var(--muted); font-size: 12px; font-weight: 600; }
svg.drawing .upstream { fill: var(--accent); font-size: 11.5px; font-weight: 600; }
svg.drawing .identity rect { fill: var(--bg); stroke: var(--edge); stroke-dasharray: 4 4; }
svg.drawing .identity text { fill: var(--muted); font-size: 11.5px; }
.arrowhead { fill: var(--edge); }
svg.sizemap text { font-family: var(--sans); font-size: 11px; fill: var(--muted); }
svg.sizemap .tick { stroke: var(--muted); }
svg.sizemap .works { fill: rgb(45,164,78); stroke: var(--bg); stroke-width: 1.2; }
svg.sizemap .declared { fill: none; stroke: rgb(9,105,218); stroke-width: 3; }
svg.sizemap .axislabel { fill: var(--fg); font-size: 12px; }
"""

# Filters the merge table: every merge, or only those with a problem. Nothing else runs.
SCRIPT = """
document.querySelectorAll('.filters').forEach(function (bar) {
  var table = document.getElementById(bar.dataset.table);
  if (!table) { return; }
  bar.querySelectorAll('button').forEach(function (button) {
    button.addEventListener('click', function () {
      var only = button.dataset.only === 'problems';
      bar.querySelectorAll('button').forEach(function (b) { b.setAttribute('aria-pressed', String(b === button)); });
      table.querySelectorAll('tbody tr').forEach(function (row) {
        row.hidden = only && !row.classList.contains('problem') && !row.classList.contains('warn');
      });
    });
  });
});
"""
