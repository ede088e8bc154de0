"""How witnesses.py picks sizes and weighs Keras' answer against the shape algebra's, with
a stand-in judge (no TensorFlow): Keras' answer wins, and every disagreement is said."""

from __future__ import annotations

from irgraphs import PATH
from test_sweep import stem

from shapecheck.analysis import check_graphs, selected_rules
from shapecheck.size_range import SizeRange
from shapecheck.witnesses import Judgement, concrete_shapes


def odd_fails(shapes):
    """Keras as it is for the stem: the concat fails for odd H or W."""
    (shape,) = shapes
    return Judgement(frozenset({"concatenate_3"}) if shape[1] % 2 or shape[2] % 2 else frozenset())


def check(graph, judge, sizes="1:256"):
    graph.judge = judge
    witnessed, notes = {}, []
    findings = check_graphs([graph], PATH, selected_rules((), ()), SizeRange.parse(sizes), notes, {}, witnessed)
    return findings, witnessed.get(graph.name), notes


def test_the_stem_claim_is_confirmed_at_a_failing_and_working_sizes():
    graph = stem("valid")
    findings, keras, notes = check(graph, odd_fails)
    (finding,) = [f for f in findings if f.code == "SC104"]
    assert "fails for odd H or W" in finding.message and "Keras confirms: refuses 3×3" in finding.message
    assert keras.agreed == len(keras.rows) and not keras.disputes and not notes
    built = [text for text, ok, _, _ in keras.rows if ok]
    refused = [text for text, ok, _, _ in keras.rows if not ok]
    assert refused and all(int(t.split("×")[0]) % 2 for t in refused)
    assert built and all(int(t.split("×")[0]) % 2 == 0 for t in built)
    assert keras.summary().startswith(f"sizes confirmed by Keras at {len(keras.rows)} sizes")


def test_a_claim_keras_contradicts_is_withdrawn_and_said():
    graph = stem("valid")
    findings, keras, notes = check(graph, lambda shapes: Judgement())  # Keras builds at every size
    assert not [f for f in findings if f.code == "SC104"]
    assert "concatenate_3" in keras.disputes
    assert any("Keras disagrees with the shape algebra" in n and "withdrawn" in n for n in notes)


def test_a_failure_only_keras_sees_is_reported_from_keras_answer():
    graph = stem("same")  # the algebra: agrees at every size
    findings, keras, notes = check(
        graph, lambda shapes: Judgement(frozenset({"concatenate_3"}) if shapes[0][1] == 5 else frozenset())
    )
    assert "5×5" in keras.sizes  # a residue the sample always has (5 mod 7)
    (finding,) = [f for f in findings if f.code == "SC104"]
    assert "Keras refuses it at 5×5" in finding.message
    assert any("Keras refuses 'concatenate_3' at 5×5" in n for n in notes)


def test_a_model_no_keras_can_build_is_not_confirmed():
    graph = stem("same")
    findings, keras, notes = check(graph, None)
    assert keras.unavailable and any("not confirmed by Keras" in n for n in notes)


def test_witness_sample_covers_residues_small_sizes_and_stays_bounded():
    graph = stem("same")
    _, keras, _ = check(graph, lambda shapes: Judgement())
    sides = sorted(int(t.split("×")[0]) for t in keras.sizes)
    assert 1 in sides and 2 in sides and 3 in sides
    assert {s % 2 for s in sides} == {0, 1} and {s % 3 for s in sides} == {0, 1, 2}
    assert len(sides) <= 12


def test_concrete_shapes_give_a_batch_of_two():
    from shapecheck.sweep import plan

    sweep = plan(stem("same"), SizeRange.parse("1:8"))
    assert concrete_shapes(sweep, 0) == [(2, 1, 1, 3)]


def test_quiet_table_still_says_what_keras_disputes():
    """--quiet drops the merge tables and the ordinary notes, never a disagreement with Keras."""
    import io

    from shapecheck.graph import Graph
    from shapecheck.report import table
    from shapecheck.results import FileReport, RunReport
    from shapecheck.witnesses import Witnessed, loud_notes

    said = {"m": Witnessed(disputes={"add": "Keras builds 9×9, where the algebra said it fails"})}
    file = FileReport("m.py", models=[Graph("m")], witnessed=said, notes=["an ordinary note", *loud_notes(said)])
    out = io.StringIO()
    table.render(RunReport([file]), table.make_console(file=out, width=200), quiet=True)
    text = out.getvalue()
    assert "Keras builds 9×9" in text and "an ordinary note" not in text
