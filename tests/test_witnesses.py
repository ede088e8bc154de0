"""Keras confirms every size verdict (shapecheck/witnesses.py): each witness size printed
for a fixture declared with None sizes is run for real, eagerly on zeros, and must do what
the report says Keras did there (build, or refuse)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import FIXTURES

DYNAMIC = [p for p in sorted(FIXTURES.rglob("*.py")) if "None" in p.read_text(encoding="utf-8")]


def _runs(model, shapes) -> tuple[bool, str]:
    """A forward pass on zeros (batch 1: the sweep is about lengths and spatial sizes)."""
    data = [np.zeros((1,) + tuple(s[1:]), dtype="float32") for s in shapes]
    try:
        model(data if len(data) > 1 else data[0])
    except Exception as exc:  # noqa: BLE001 - Keras refusing the size at run time
        return False, f"{type(exc).__name__}: {str(exc)[:300]}"
    return True, ""


@pytest.mark.slow
@pytest.mark.parametrize("fixture", DYNAMIC, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_every_printed_witness_size_does_at_run_time_what_the_report_says(fixture, checked):
    from shapecheck.witnesses import SweepCache, concrete_shapes

    run = checked(str(fixture), isolate=False)
    checked_sizes, dynamic = 0, 0
    for file in run.files:
        for graph in file.models:
            keras_said = file.witnessed.get(graph.name)
            if keras_said is None or graph.source is None or not keras_said.rows:
                continue
            sweep = SweepCache(file_sizes(), witness=False).get(graph)
            if sweep.fixed:
                continue  # "at other sizes" of a fixed model means built again there, not run there
            dynamic += 1
            by_text = {sweep.size_text(r): r for r in range(len(sweep.candidates))}
            for text, built, _claim, refused in keras_said.rows:
                if not built and not refused:
                    continue  # a layer, not a merge, refused the size: no claim of the sweep's
                shapes = concrete_shapes(sweep, by_text[text])
                if any(d is None for s in shapes for d in s):
                    continue  # a token input's other axes: not a size of ours to run
                if int(np.prod(shapes[0])) > 1 << 21:
                    continue  # a real forward pass that large is a benchmark, not a test
                runs, why = _runs(graph.source, shapes)
                assert runs == built, (graph.name, text, built, why)
                checked_sizes += 1
    assert checked_sizes or not dynamic, "a model with None sizes whose witness sizes were never run"


def file_sizes():
    from shapecheck.size_range import SizeRange

    return SizeRange()


@pytest.mark.slow
def test_a_claim_keras_contradicts_is_withdrawn_and_the_model_is_partial(checked, monkeypatch):
    """With the algebra made wrong on purpose (a pooling that rounds up), Keras' answer wins."""
    from shapecheck.algebra import layers as algebra_layers

    original = algebra_layers.output_shape

    def wrong(op, config, ins, built, outs):
        out, mask = original(op, config, ins, built, outs)
        if op == "AveragePooling1D":
            out = (out[0], out[1] + (ins[0][1] % 5 != 0), *out[2:])
        return out, mask

    monkeypatch.setattr("shapecheck.algebra.evaluate.output_shape", wrong)
    from shapecheck.options import Options
    from shapecheck.runner import check_paths

    run = check_paths([str(FIXTURES / "witnesses" / "se_strided_conv1d.py")], Options(isolate=False))
    (file,) = run.files
    assert file.status == "partial"
    notes = " ".join(file.notes)
    assert "Keras disagrees with the shape algebra" in notes and "concatenate" in notes
    (finding,) = [f for f in file.findings if f.code == "SC104"]
    assert "Keras refuses it at 6" in finding.message


@pytest.mark.slow
def test_the_merges_after_a_gate_that_fails_are_not_a_plain_ok(checked):
    from shapecheck.verdicts import model_verdicts

    run = checked(str(FIXTURES / "witnesses" / "attention_gate_unet.py"))
    (file,) = run.files
    (graph,) = file.models
    verdicts = {
        node.name: label
        for _, node, label, _ in model_verdicts(graph, file.path, file.findings, file.unchecked, file.witnessed)
    }
    assert verdicts == {"multiply": "sizes", "multiply_1": "broadcast", "concatenate": "behind a failure"}
    assert file.witnessed[graph.name].summary().startswith("sizes confirmed by Keras")


@pytest.mark.slow
def test_a_builder_that_raises_after_a_mismatch_keeps_it(checked):
    """Kept out of fixtures/ (its raise would make `shapecheck fixtures/` exit 2), checked the
    fixtures' way: its `# expect:` lines both ways, ERROR where the file's error must point."""
    from collections import Counter

    from conftest import DATA
    from expectations import expected_findings

    path = DATA / "raises_after_mismatch.py"
    run = checked(str(path))
    (file,) = run.files
    expected = expected_findings(path)
    (error_line,) = [line for line, code in expected if code == "ERROR"]
    assert file.status == "error" and f":{error_line}: ValueError" in file.error
    assert Counter((f.line, f.code) for f in file.findings) == Counter(
        {k: v for k, v in expected.items() if k[1] != "ERROR"}
    )
