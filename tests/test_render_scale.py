"""Reports stay linear in the number of merges: the provenance behind every merge's "why" is
walked once per model, not once per merge. No timing assertions: the walks are counted."""

from __future__ import annotations

import io
import json

import pytest
from irgraphs import merge_chain

from shapecheck.analysis import check_graphs, selected_rules
from shapecheck.graph import Graph
from shapecheck.report import json_report, table
from shapecheck.results import FileReport, RunReport


def report_of(graph: Graph) -> RunReport:
    findings = check_graphs([graph], "model.py", selected_rules((), ()))
    return RunReport([FileReport("model.py", models=[graph], findings=findings)])


@pytest.mark.parametrize("kind", ["residual", "long"])
def test_ten_thousand_merges_render_in_every_format(kind):
    run = report_of(merge_chain(10_000, kind))
    document = json.loads(json_report.render(run))
    merges = document["files"][0]["models"][0]["merges"]
    assert len(merges) == 10_000 and {m["verdict"] for m in merges} == {"ok"}
    if kind == "residual":
        assert merges[-1]["why"].startswith("identity shortcut (input 2)")
        buffer = io.StringIO()  # rich's table costs ~1 ms a row, linear: one kind is enough
        table.render(run, table.make_console(file=buffer, width=160))
        assert buffer.getvalue().rstrip().endswith("No problems found in 1 file (1 model, 10000 merges checked)")


@pytest.mark.parametrize("kind", ["residual", "long"])
def test_report_walks_are_linear_in_the_merges(monkeypatch, kind):
    """Each step of a provenance walk asks the graph for a producer: count them."""
    steps = {"n": 0}
    producer = Graph.producer

    def counted(self, edge):
        steps["n"] += 1
        return producer(self, edge)

    for merges in (500, 2000):
        run = report_of(merge_chain(merges, kind))
        steps["n"] = 0
        monkeypatch.setattr(Graph, "producer", counted)
        json_report.render(run)
        monkeypatch.setattr(Graph, "producer", producer)
        assert steps["n"] <= 10 * merges, f"{steps['n']} walk steps for {merges} merges"
