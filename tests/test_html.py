"""`--format html` on hand-made IR graphs (no TensorFlow): the page is self-contained, every
finding has its drawing, the differing axis and the layer that set it are marked, user
strings are escaped, long branches fold, and the size map states the rule.
The same pages in a real browser: test_html_browser.py."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from conftest import ROOT, cli
from irgraphs import PATH, GraphBuilder, algebra_judge

from shapecheck.analysis import check_graphs, selected_rules
from shapecheck.report import html
from shapecheck.report.html import drawing, sizemap
from shapecheck.results import FileReport, RunReport
from shapecheck.size_range import SizeRange

N = None
EVIL = "<script>window.__pwned=1</script>"


@pytest.fixture(autouse=True)
def debugging(monkeypatch):
    """The report hides a failure of its size pictures from users; not from these tests."""
    monkeypatch.setenv("SHAPECHECK_DEBUG", "1")


def checked_run(*graphs, path=PATH, sizes="1:256") -> RunReport:
    report = FileReport(path, models=list(graphs))
    for graph in graphs:
        graph.judge = algebra_judge(graph)
    report.findings = check_graphs(
        list(graphs),
        path,
        selected_rules((), ()),
        SizeRange.parse(sizes),
        report.notes,
        report.unchecked,
        report.witnessed,
        report.size_maps,
    )
    return RunReport([report])


def residual(channels_main=256, name="add", bn_run=1, line=14):
    """The seed-000 shape: a main branch that sets 256 channels beside a 64-channel identity."""
    b = GraphBuilder("resnet")
    x = b.input((N, 56, 56, 3))
    stem = b.add("Conv2D", (N, 56, 56, 64), [x], line=10, name="stem", config={"filters": 64})
    pool = b.add("MaxPooling2D", (N, 56, 56, 64), [stem], line=11, name="pool")
    y = b.add("Conv2D", (N, 56, 56, channels_main), [pool], line=12, name="conv3", config={"filters": channels_main})
    for k in range(bn_run):
        y = b.add(
            "BatchNormalization" if k % 2 == 0 else "ReLU", (N, 56, 56, channels_main), [y], line=13, name=f"bn{k}"
        )
    b.add("Add", (N, 56, 56, channels_main), [y, pool], line=line, name=name, merge=_elementwise())
    return b.graph


def _elementwise():
    from shapecheck.graph import MergeSpec

    return MergeSpec("elementwise")


def conv(b, x, filters, shape, strides=1, line=None, name=None):
    config = {
        "filters": filters,
        "kernel_size": [3, 3],
        "strides": [strides, strides],
        "padding": "same",
        "dilation_rate": [1, 1],
        "data_format": "channels_last",
    }
    return b.add("Conv2D", shape, [x], line=line, config=config, name=name)


def stem():
    """A stride-2 conv beside a 2x2 max pool, for any size: fails for odd H or W (SC104)."""
    b = GraphBuilder("stem")
    x = b.input((N, N, N, 3))
    c = conv(b, x, 8, (N, N, N, 8), strides=2, line=5, name="conv")
    p = b.add(
        "MaxPooling2D",
        (N, N, N, 3),
        [x],
        line=6,
        name="pool",
        config={"pool_size": [2, 2], "strides": [2, 2], "padding": "valid", "data_format": "channels_last"},
    )
    b.merge("Concatenate", [c, p], (N, N, N, 11), line=7, kind="concat", axis=-1)
    b.graph.outputs = [b.graph.nodes[-1].inputs[0]]
    return b.graph


def articles(page: str) -> list[str]:
    return re.findall(r'<article class="finding.*?</article>', page, flags=re.S)


# -- the page ------------------------------------------------------------------------------------
def test_one_self_contained_page_that_loads_nothing():
    page = html.render(checked_run(residual()))
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    urls = set(re.findall(r'(?:https?:)?//[^\s"\'<>)]+', page))
    assert urls <= {"http://www.w3.org/2000/svg"}, urls  # the SVG namespace is a name, not a fetch
    assert not re.search(r"<(link|iframe|object|embed)\b", page)
    assert not re.search(r"\ssrc=", page)  # images are data: URIs in href
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert (
        "default-src 'none'" in csp
        and "script-src 'sha256-" in csp
        and "unsafe-inline" not in csp.split("script-src")[1]
    )
    assert "prefers-color-scheme: dark" in page


def test_the_script_hash_in_the_policy_is_the_script_on_the_page():
    import base64
    import hashlib

    page = html.render(checked_run(residual()))
    (script,) = re.findall(r"<script>(.*?)</script>", page, flags=re.S)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in page


def test_summary_counts_and_the_merge_table():
    page = html.render(checked_run(residual()))
    assert "Found 1 error in 1 file (1 model, 1 merge checked)" in page
    assert '<span class="pill error">1 error</span>' in page
    (table,) = re.findall(r'<table class="merges".*?</table>', page, flags=re.S)
    assert 'class="verdict mismatch"' in table and "channels 256 vs 64" in table
    assert re.search(r'<a href="#f0-0-0">add</a>', table)  # the row links to its finding


def test_every_finding_has_a_drawing_of_its_branches():
    run = checked_run(residual(), stem())
    page = html.render(run)
    cards = articles(page)
    assert len(cards) == len(run.findings) == 2
    for card in cards:
        assert '<svg class="drawing"' in card


def test_the_differing_axis_is_highlighted_on_both_sides_and_its_origin_marked():
    (card,) = articles(html.render(checked_run(residual())))
    svg = re.search(r'<svg class="drawing".*?</svg>', card, flags=re.S).group(0)
    assert '<tspan class="axis">256</tspan>' in svg and '<tspan class="axis">64</tspan>' in svg
    assert "sets channels: 256" in svg  # the main branch's conv3
    assert "channels 64 set earlier by Conv2D stem L10" in svg  # the identity side: before the shared tensor
    assert "no layers: the shared" in svg  # the identity branch
    assert "✗ channels 256 vs 64" in svg
    assert '<mark class="axis">256</mark>' in card  # the input shapes beside the drawing


def test_source_line_and_call_chain_beside_the_drawing(tmp_path):
    source = tmp_path / "model.py"
    source.write_text("".join(f"line_{k} = {k}\n" for k in range(1, 20)))
    graph = residual()
    from shapecheck.graph import ChainFrame, Location

    merge = graph.nodes[-1]
    merge.location = Location(str(source), 14, 9)
    merge.chain = (ChainFrame("build", 30), ChainFrame("block", 14, (("conv_shortcut", "False"),)))
    (card,) = articles(html.render(checked_run(graph, path=str(source))))
    assert '<span class="here"><span class="ln">14</span>line_14 = 14</span>' in card
    assert "block:14" in card and "(conv_shortcut=False)" in card


def test_user_strings_are_escaped_everywhere():
    graph = residual(name=EVIL)
    graph.nodes[3].name = '<img src=x onerror="window.__pwned=1">'
    graph.name = "</title><script>window.__pwned=1</script>"
    run = checked_run(graph, path='models/"evil"<script>.py')
    run.files[0].notes.append(EVIL)
    page = html.render(run)
    assert "<script>window" not in page and "<img src" not in page
    assert page.count("<script>") == 1  # the page's own
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page


def test_findings_without_a_node_or_a_line_still_render():
    from shapecheck.rules import Finding, Severity

    run = checked_run(residual())
    run.files[0].findings.append(
        Finding("SC001", "unused-ignore", Severity.WARNING, "unused", PATH, 3, 1, "resnet", "nowhere")
    )
    run.files[0].findings.append(
        Finding("SC101", "channel-mismatch", Severity.ERROR, "m", "x.keras", None, None, "other", "a/b")
    )
    page = html.render(run)
    assert len(articles(page)) == 3 and "Other findings" in page and "x.keras [other/a/b]" in page


def test_fixes_and_related_consequences_are_rendered_when_present():
    from shapecheck.rules.base import Related

    first_graph, second_graph = residual(name="first"), residual(name="second", line=24)
    second_graph.name = "other"
    run = checked_run(first_graph, second_graph)
    first, second = run.files[0].findings
    first.fixes = [
        "Use a 1x1 projection: Conv2D(256, 1)(x)",
        {"description": "project", "replacement": "Conv2D(256, 1)", "line": 14},
    ]
    first.related = [
        Related("consequence", "second", 24, PATH, ((N, 56, 56, 256), (N, 56, 56, 64))),
        Related("consequence", "bn0", 13, PATH),
        "somewhere/else",
    ]
    page = html.render(run)
    card = articles(page)[0]
    assert "Suggested fixes" in card and "Conv2D(256, 1)(x)" in card and "line 14" in card
    assert "Consequences (3)" in card and "somewhere/else" in card
    assert "second (line 24): (None, 56, 56, 256) and (None, 56, 56, 64)" in card
    assert 'href="#f0-1-0"' not in card  # another model's layer of the same name is not this one
    assert "Suggested fix" not in articles(page)[1]  # absent is fine


def test_a_consequence_links_to_its_row_in_the_merge_table():
    from shapecheck.rules.base import Related

    b = GraphBuilder("m")
    x = b.input((N, 8, 8, 4))
    y = b.add("Conv2D", (N, 8, 8, 16), [x], line=2, config={"filters": 16})
    a = b.add("Add", (N, 8, 8, 16), [y, x], line=3, name="cause", merge=_elementwise())
    b.add("Add", (N, 8, 8, 16), [a, y], line=4, name="later", merge=_elementwise())
    run = checked_run(b.graph)
    cause = next(f for f in run.findings if f.layer == "cause")
    cause.related = [Related("consequence", "later", 4, PATH)]
    page = html.render(run)
    assert re.search(r'<a href="#(r0-0-1)">later \(line 4\)</a>', page)
    assert '<tr class="' in page and 'id="r0-0-1"' in page


def test_repeats_of_one_line_are_one_finding_with_every_merge_drawn():
    """A block called three times: one finding (grouped by the rules), three drawings."""
    b = GraphBuilder("blocks")
    x = b.input((N, 8, 8, 4))
    for k in range(3):
        y = b.add("Conv2D", (N, 8, 8, 16), [x], line=2, name=f"conv_{k}", config={"filters": 16})
        x = b.add("Add", (N, 8, 8, 4), [y, x], line=3, name=f"add_{k}", merge=_elementwise())
    run = checked_run(b.graph)
    (card,) = articles(html.render(run))
    related = getattr(run.findings[0], "related", [])
    assert [r.layer for r in related if r.kind == "repeat"] == ["add_1", "add_2"]
    assert card.count('<svg class="drawing"') == 3 and "×3 at this line" in card
    assert 'id="f0-0-0-0" data-layer="add_1"' in card and 'id="f0-0-0-1" data-layer="add_2"' in card


def test_unchanged_runs_fold_and_parallel_groups_repeat():
    b = GraphBuilder("grouped")
    x = b.input((N, 56, 56, 128))
    relu = b.add("ReLU", (N, 56, 56, 128), [x], line=3, name="relu")
    groups = []
    for g in range(32):
        s = b.add("Lambda", (N, 56, 56, 4), [relu], line=5, name=f"slice_{g}")
        groups.append(b.add("Conv2D", (N, 56, 56, 4), [s], line=6, name=f"gconv_{g}", config={"filters": 4}))
    y = b.merge("Concatenate", groups, (N, 56, 56, 128), line=8, kind="concat", axis=-1)
    for k in range(6):
        y = b.add("BatchNormalization" if k % 2 == 0 else "ReLU", (N, 56, 56, 128), [y], line=9, name=f"keep_{k}")
    y = b.add("Conv2D", (N, 56, 56, 256), [y], line=10, name="expand", config={"filters": 256})
    b.merge("Add", [y, relu], (N, 56, 56, 256), line=11)
    (card,) = articles(html.render(checked_run(b.graph)))
    svg = re.search(r'<svg class="drawing".*?</svg>', card, flags=re.S).group(0)
    assert "32× in parallel" in svg and "Lambda → Conv2D" in svg
    assert "6 layers keep the shape" in svg
    assert svg.count('class="box layer') <= 6  # 72 layers, a handful of boxes
    assert "Every layer of the branches (72)" in card  # and all of them listed beside it


def test_a_very_long_branch_keeps_its_head_and_tail():
    b = GraphBuilder("deep")
    x = b.input((N, 8, 8, 4))
    y = x
    for k in range(300):
        y = b.add("Conv2D", (N, 8, 8, 5 + k), [y], line=k + 2, name=f"c{k}", config={"filters": 5 + k})
    b.merge("Add", [y, x], (N, 8, 8, 304), line=400)
    (card,) = articles(html.render(checked_run(b.graph)))
    svg = re.search(r'<svg class="drawing".*?</svg>', card, flags=re.S).group(0)
    assert "… 289 more layers" in svg and svg.count('<g class="box') <= drawing.MAX_ITEMS + 3
    assert "sets channels: 304" in svg  # the last conv, in the kept tail


def test_a_size_dependent_merge_is_drawn_at_a_size_where_it_fails():
    (card,) = articles(html.render(checked_run(stem())))
    assert re.search(r"Drawn at input size <b class=\"mono\">(\d+)×\1</b>, a size where it fails", card)
    assert re.search(r"H × W (\d+)×\1 → (\d+)×\2", card)  # the conv and the pool round differently
    assert "✗ height" in card


def test_the_size_map_states_the_rule_and_draws_both_pictures():
    page = html.render(checked_run(stem()), sizes=SizeRange(1, 256))
    (section,) = re.findall(r'<section class="sizes".*?</section>', page, flags=re.S)
    assert "fails for odd H or W" in section
    assert section.count("<image ") == 2 and section.count("data:image/png;base64,") == 2
    assert "every H × W from 1 to 32" in section  # four periods of the odd/even pattern


def test_two_inputs_whose_lengths_must_agree_map_as_a_diagonal():
    """Two free lengths added: the sweep relates them (SC104: must be equal, or one of them 1)
    and the pair's map is its diagonal, with the first row and column (a length 1 broadcasts)."""
    b = GraphBuilder("pair")
    config = {
        "filters": 8,
        "kernel_size": [3],
        "strides": [1],
        "padding": "same",
        "dilation_rate": [1],
        "data_format": "channels_last",
    }
    a = b.add("Conv1D", (N, N, 8), [b.input((N, N, 4), name="enc")], line=3, config=config, name="enc_conv")
    d = b.add("Conv1D", (N, N, 8), [b.input((N, N, 4), name="dec")], line=4, config=config, name="dec_conv")
    b.merge("Add", [a, d], (N, N, 8), line=5)
    b.graph.outputs = [b.graph.nodes[-1].inputs[0]]
    run = checked_run(b.graph)
    (finding,) = run.findings
    assert finding.code == "SC104" and "`enc` length must equal `dec` length (or be 1)" in finding.message
    page = html.render(run, sizes=SizeRange(1, 256))
    (section,) = re.findall(r'<section class="sizes".*?</section>', page, flags=re.S)
    assert "must equal" in section and section.count("<image ") == 1  # the pair's grid; no square strip
    assert "every `enc` length × `dec` length from 1 to 32" in section
    assert "Drawn at input size" in articles(page)[0]
    (uri,) = re.findall(r'href="data:image/png;base64,([^"]+)"', section)
    grid = png_cells(uri)
    assert grid.shape == (32, 32)
    works = [[i == j or 0 in (i, j) for j in range(32)] for i in range(32)]  # cell (i, j): lengths i+1 and j+1
    assert (grid == sizemap.WORKS).tolist() == works
    assert ((grid == sizemap.WORKS) | (grid == sizemap.FAILS)).all()


def png_cells(encoded: str):
    """The palette indices of sizemap.png's image (8 bits a cell, filter 0 on every row)."""
    import base64
    import struct
    import zlib

    data = base64.b64decode(encoded)
    width, height = struct.unpack(">II", data[16:24])
    idat = data[data.index(b"IDAT") + 4 : data.index(b"IEND") - 8]
    raw = zlib.decompress(idat)
    rows = [raw[k * (width + 1) : (k + 1) * (width + 1)] for k in range(height)]
    assert all(row[0] == 0 for row in rows)
    return sizemap.np.array([list(row[1:]) for row in rows])


def test_size_map_png_is_a_valid_palette_image():
    import zlib

    codes = sizemap.np.array([[0, 1], [2, 3]])
    data = sizemap.png(codes)
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and b"IHDR" in data and data.endswith(b"IEND\xaeB`\x82")
    idat = data[data.index(b"IDAT") + 4 : data.index(b"IEND") - 8]
    assert zlib.decompress(idat) == b"\x00\x00\x01\x00\x02\x03"


def test_a_fixed_size_model_that_works_everywhere_has_no_map():
    assert '<section class="sizes"' not in html.render(checked_run(residual(64)))


def test_provenance_work_is_bounded_per_merge(monkeypatch):
    """Linear in the merges: one branch split per drawn finding (the verdicts' own walks are
    one per merge, as in the table), whatever the model's size."""
    import shapecheck.explain
    from shapecheck.provenance import split_branches

    calls = {"drawing": 0, "verdicts": 0}

    def counted(key):
        def split(graph, node, *limit):
            calls[key] += 1
            return split_branches(graph, node, *limit)

        return split

    monkeypatch.setattr(drawing, "split_branches", counted("drawing"))
    monkeypatch.setattr(shapecheck.explain, "split_branches", counted("verdicts"))
    b = GraphBuilder("chain")
    x = b.input((N, 8, 8, 4))
    merges = 0
    for k in range(200):
        channels = 8 if k % 10 == 9 else 4  # every tenth block a mismatch
        y = b.add("Conv2D", (N, 8, 8, channels), [x], line=2, name=f"c{k}", config={"filters": channels})
        x = b.merge("Add", [y, x], (N, 8, 8, 4), line=3)
        merges += 1
    run = checked_run(b.graph, sizes="1:64")
    html.render(run, sizes=SizeRange(1, 64))
    bad = sum(1 + len(getattr(f, "related", ())) for f in run.findings)  # repeats of a line are grouped
    assert bad == 20
    assert calls["drawing"] == 20 and calls["verdicts"] <= merges


# -- the command line ----------------------------------------------------------------------------
@pytest.mark.slow
def test_cli_writes_an_html_report_beside_the_table(tmp_path):
    """The page imports no Keras (below); the check of the saved file does, to build the SC101's fix."""
    from test_saved_models import functional_config

    model = tmp_path / "tiny.json"
    model.write_text(json.dumps(functional_config()))
    out = tmp_path / "report.html"
    result = cli(str(model), "--format", "html", "-o", str(out), env={"NO_COLOR": "1"})
    assert result.returncode == 1, result.stderr
    assert "Found 1 error" in result.stdout  # the table still goes to the terminal
    page = out.read_text()
    assert len(articles(page)) == 1 and "✗ channels 16 vs 4" in page


def test_the_html_report_imports_no_keras():
    code = (
        "import sys, shapecheck.report.html\n"
        "leaked = sorted(m for m in ('keras', 'tensorflow') if m in sys.modules)\nassert not leaked, leaked\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
