"""--fix / --diff and the text edits behind them, without TensorFlow: the edits are found with
`ast` on source text, applied as text, and written only when the file is still as checked."""

from __future__ import annotations

import json
import os
import textwrap
from dataclasses import replace

import pytest
from conftest import cli
from hostile import functional_config

from shapecheck import apply_fixes
from shapecheck.fixes._call_site import call_site_edit, other_values
from shapecheck.fixes._source import file_digest, parse_source
from shapecheck.fixes.closure import closure_edit
from shapecheck.fixes.concat_axis import axis_edit
from shapecheck.graph import ChainFrame
from shapecheck.results import FileReport, RunReport
from shapecheck.rules import REGISTRY
from shapecheck.rules.base import Finding, Fix, Severity
from shapecheck.rules.docs import rule_doc


def source(text: str):
    return parse_source(textwrap.dedent(text))


def closure_fixed(text: str, line: int, column=None, names=("c",)) -> str | None:
    src = source(text)
    edit = closure_edit(src, line, column, list(names), "m.py")
    return apply_fixes.apply_edits(src.text, [edit]) if edit else None


def axis_fixed(text: str, line: int, axis: int = 1, column=None, rank: int = 4) -> str | None:
    src = source(text)
    edit = axis_edit(src, line, column, axis, rank, "-1", "m.py")
    return apply_fixes.apply_edits(src.text, [edit]) if edit else None


# -- SC203: lambda x: ... c ...  ->  lambda x, c=c: ... ----------------------------------
def test_closure_edit_adds_the_default_and_keeps_the_rest_of_the_line():
    text = "for c in range(4):\n    x = Lambda(lambda x: x[..., c * g:(c + 1) * g])(inputs)  # groups, é\n"
    assert closure_fixed(text, 2, column=9) == (
        "for c in range(4):\n    x = Lambda(lambda x, c=c: x[..., c * g:(c + 1) * g])(inputs)  # groups, é\n"
    )


def test_closure_edit_binds_every_reported_name_and_handles_defaults_and_no_parameters():
    assert closure_fixed("f = Lambda(lambda x, k=2: x[..., c:c + w])\n", 1, names=("c", "w")) == (
        "f = Lambda(lambda x, k=2, c=c, w=w: x[..., c:c + w])\n"
    )
    assert closure_fixed("f = Lambda(lambda: c)\n", 1) == "f = Lambda(lambda c=c: c)\n"


def test_closure_edit_is_found_under_a_non_ascii_prefix_with_byte_columns():
    text = "x = f('ü', Lambda(lambda x: x * c)(y))\n"
    column = text.encode().index(b"Lambda") + 1  # what a code object reports: bytes
    assert closure_fixed(text, 1, column=column) == "x = f('ü', Lambda(lambda x, c=c: x * c)(y))\n"


@pytest.mark.parametrize(
    "text, names",
    [
        ("a, b = Lambda(lambda x: x * c)(y), Lambda(lambda x: x + c)(y)\n", ("c",)),  # two lambdas: which one?
        ("f = Lambda(lambda x, c=c: x * c)\n", ("c",)),  # already bound: a second --fix changes nothing
        ("f = Lambda(lambda x: x * k)\n", ("c",)),  # the name is not read in the lambda's text
        ("f = Lambda(lambda *xs: xs[c])\n", ("c",)),  # *args: a default cannot simply follow
        ("f = Lambda(g)\n", ("c",)),  # no lambda on the line
    ],
)
def test_closure_edit_refuses_what_is_not_exact(text, names):
    assert closure_fixed(text, 1, names=names) is None


def test_sc203_doc_use_instead_is_what_the_edit_produces():
    doc = rule_doc(REGISTRY["SC203"])
    example, instead = textwrap.dedent(doc.example).strip(), textwrap.dedent(doc.instead.partition("\n")[2]).strip()
    line = 1 + example.splitlines().index(next(l for l in example.splitlines() if "lambda" in l))
    assert closure_fixed(example + "\n", line).strip() == instead


# -- SC204: a literal axis to the channels -------------------------------------------
@pytest.mark.parametrize(
    "before, after",
    [
        ("m = Concatenate(axis=1)([a, b])\n", "m = Concatenate(axis=-1)([a, b])\n"),
        ("m = layers.concatenate([a, b], axis=1)  # keep\n", "m = layers.concatenate([a, b], axis=-1)  # keep\n"),
        ("m = keras.ops.concatenate([a, b], 1)\n", "m = keras.ops.concatenate([a, b], -1)\n"),
        ("m = layers.Concatenate(1, name='cat')([a, b])\n", "m = layers.Concatenate(-1, name='cat')([a, b])\n"),
    ],
)
def test_axis_edit_replaces_the_literal_only(before, after):
    assert axis_fixed(before, 1) == after


@pytest.mark.parametrize(
    "text",
    [
        "m = Concatenate(axis=axis)([a, b])\n",  # not a literal
        "m = Concatenate(axis=2)([a, b])\n",  # not the axis the graph has
        "cat = Concatenate(axis=1)\nm = cat([a, b])\n",  # the call on line 2 has no axis
        "m = Concatenate(axis=1)([a, b]); n = Concatenate(axis=1)([c, d])\n",  # two on the line
    ],
)
def test_axis_edit_refuses_what_is_not_exact(text):
    assert axis_fixed(text, text.count("\n")) is None


def test_axis_edit_takes_the_call_at_the_findings_column():
    text = "m = Concatenate(axis=1)([a, b]); n = Concatenate(axis=1)([c, d])\n"
    assert axis_fixed(text, 1, column=text.index("Concatenate", 10) + 1) == (
        "m = Concatenate(axis=1)([a, b]); n = Concatenate(axis=-1)([c, d])\n"
    )


def test_sc204_doc_use_instead_is_what_the_edit_produces():
    doc = rule_doc(REGISTRY["SC204"])
    example, instead = textwrap.dedent(doc.example).strip(), textwrap.dedent(doc.instead.partition("\n")[2]).strip()
    assert axis_fixed(example + "\n", 1).strip() == instead.split("#")[0].strip()


# -- --suggest-rebuild: the argument at the call site ---------------------------------
STACK = """\
def block(x, filters, strides=1, conv_shortcut=True):
    return x


def stack(x, filters):
    x = block(x, filters, strides=2, conv_shortcut=False)  # first
    x = block(x, filters)
    x = block(x, filters, 1, True) if x else block(x, filters, 1, True)
    return x
"""


def site_edit(line: int, name: str, old: str, new: str) -> str | None:
    src = source(STACK)
    edit = call_site_edit(src, ChainFrame("stack", line), ChainFrame("block", 2), name, old, new, "m.py")
    return apply_fixes.apply_edits(src.text, [edit]).splitlines()[line - 1] if edit else None


def test_call_site_edit_rewrites_a_keyword_literal_or_adds_the_default_keyword():
    assert (
        site_edit(6, "conv_shortcut", "False", "True")
        == "    x = block(x, filters, strides=2, conv_shortcut=True)  # first"
    )
    assert site_edit(7, "conv_shortcut", "True", "False") == "    x = block(x, filters, conv_shortcut=False)"


def test_call_site_edit_refuses_an_ambiguous_line_or_another_value():
    assert site_edit(8, "strides", "1", "2") is None  # two calls of block on the line
    assert site_edit(6, "conv_shortcut", "True", "False") is None  # the text is not what ran
    src = source(STACK)
    elsewhere = call_site_edit(src, ChainFrame("stack", 2), ChainFrame("block", 2), "strides", "1", "2", "m.py")
    assert elsewhere is None  # line 2 is not in stack(): the chain points into another file


def test_other_values_are_the_flip_or_the_neighbours():
    assert other_values("False") == ["True"] and other_values("1") == ["2", "0"]
    assert other_values("128") == [] and other_values("'same'") == []


# -- applying: --diff, --fix, idempotence, refusals -------------------------------------
LATE = "import keras\n\n# groups\nfor c in range(4):  # the loop\n    y = Lambda(lambda x: x[..., c])(x)  # slice c\n"


def late_run(path, text=LATE, cell=None) -> RunReport:
    """A run with one SC203 finding on `path` whose fix is computed from `text`."""
    src = parse_source(text, file_digest(text.encode()))
    edit = closure_edit(src, 5, 9, ["c"], str(path), cell)
    fix = Fix("lambda ..., c=c", "closure", str(path), 5, edits=(edit,), safe=True)
    finding = Finding(
        "SC203", "lambda-late-binding", Severity.WARNING, "...", str(path), 5, 9, "m", "lambda", fixes=[fix], cell=cell
    )
    return RunReport([FileReport(str(path), findings=[finding])])


def test_diff_prints_and_writes_nothing(tmp_path):
    path = tmp_path / "m.py"
    path.write_text(LATE)
    outcome = apply_fixes.fix_run(late_run(path), write_files=False)
    assert (
        "-    y = Lambda(lambda x: x[..., c])(x)  # slice c\n+    y = Lambda(lambda x, c=c: x[..., c])(x)  # slice c"
        in outcome.diff
    )
    assert path.read_text() == LATE and outcome.summary(written=False) == "Would fix 1 finding in 1 file"


def test_fix_writes_keeps_comments_mode_and_line_endings_then_changes_nothing(tmp_path):
    path = tmp_path / "m.py"
    crlf = LATE.replace("\n", "\r\n")
    path.write_bytes(crlf.encode())
    os.chmod(path, 0o640)
    run = late_run(path, crlf)
    outcome = apply_fixes.fix_run(run, write_files=True)
    assert outcome.summary(written=True) == "Fixed 1 finding in 1 file" and not outcome.problems
    assert path.read_bytes() == crlf.replace("lambda x:", "lambda x, c=c:").encode()
    assert oct(os.stat(path).st_mode & 0o777) == oct(0o640)
    assert run.findings == []  # the fixed finding no longer counts for the exit code
    assert sorted(os.listdir(tmp_path)) == ["m.py"]  # no temporary file left
    again = closure_edit(parse_source(path.read_text()), 5, 9, ["c"], str(path))
    assert again is None  # a second --fix finds nothing to do


def test_a_file_changed_since_it_was_checked_is_not_written(tmp_path):
    path = tmp_path / "m.py"
    path.write_text(LATE)
    run = late_run(path)
    path.write_text(LATE + "# edited meanwhile\n")
    outcome = apply_fixes.fix_run(run, write_files=True)
    assert outcome.problems == [f"{path}: changed on disk since it was checked; not written (check it again)"]
    assert path.read_text() == LATE + "# edited meanwhile\n" and len(run.findings) == 1


def test_a_file_changed_between_planning_and_writing_is_not_written(tmp_path):
    path = tmp_path / "m.py"
    path.write_text(LATE)
    (target,) = apply_fixes.plan(late_run(path).findings)
    path.write_text(LATE.replace("# groups", "# mine"))
    assert "changed on disk" in apply_fixes.write(target)
    assert "# mine" in path.read_text()


def test_notebooks_and_saved_files_are_never_written(tmp_path):
    notebook = tmp_path / "nb.ipynb"
    notebook.write_text("{}")
    saved = tmp_path / "m.keras"
    saved.write_bytes(b"PK")
    nb_outcome = apply_fixes.fix_run(late_run(notebook, cell=2), write_files=True)
    assert nb_outcome.notes and "notebooks are not rewritten" in nb_outcome.notes[0] and nb_outcome.fixed == 0
    saved_outcome = apply_fixes.fix_run(late_run(saved), write_files=True)
    assert saved_outcome.problems == [f"{saved}: not a Python source file; never rewritten"]
    assert notebook.read_text() == "{}" and saved.read_bytes() == b"PK"


def test_findings_with_the_same_edit_apply_it_once(tmp_path):
    path = tmp_path / "m.py"
    path.write_text(LATE)
    run = late_run(path)
    run.files[0].findings.append(late_run(path).findings[0])
    outcome = apply_fixes.fix_run(run, write_files=True)
    assert outcome.fixed == 2 and path.read_text().count("c=c") == 1 and run.findings == []


def test_an_edit_without_the_digest_of_what_was_read_is_not_applied(tmp_path):
    path = tmp_path / "m.py"
    path.write_text(LATE)
    run = late_run(path)
    fix = run.findings[0].fixes[0]
    run.files[0].findings[0].fixes = [replace(fix, edits=tuple(replace(e, digest="") for e in fix.edits))]
    assert "does not say which text" in apply_fixes.fix_run(run, write_files=True).problems[0]
    assert path.read_text() == LATE


@pytest.mark.slow  # the SC101's fix is built by Keras
def test_fix_on_a_saved_file_leaves_it_and_exits_by_the_findings(tmp_path):
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(functional_config()))
    before = path.read_bytes()
    result = cli("--fix", "--format", "json", str(path))
    assert result.returncode == 1 and json.loads(result.stdout)["findings"][0]["code"] == "SC101"
    assert "Nothing to fix" in result.stderr and path.read_bytes() == before
    diff = cli("--diff", str(path))
    assert diff.returncode == 0 and diff.stdout == "" and "Nothing to fix" in diff.stderr


# -- SC204: kept only when the shape algebra says the channels agree ----------------------
def concat_site(heights: tuple[int, int]):
    """Input (8, 8, 4) -> two croppings to the given heights -> Concatenate(axis=1)."""
    from irgraphs import GraphBuilder

    from shapecheck.fixes import FindingSite
    from shapecheck.rules.base import Context, NodeSite

    b = GraphBuilder("m")
    x = b.input((None, 8, 8, 4))
    a, c = (b.add("Cropping2D", (None, h, 8, 4), [x], config={"cropping": ((0, 8 - h), (0, 0))}) for h in heights)
    cat = b.merge("Concatenate", [a, c], (None, sum(heights), 8, 4), line=3, kind="concat", axis=1)
    b.graph.outputs = [cat]
    graph, node = b.graph, b.graph.nodes[cat.source]
    (finding,) = REGISTRY["SC204"].check(NodeSite(graph, graph, node, "model.py"))
    return FindingSite(finding, graph, graph, node, "model.py", Context())


def test_sc204_fix_is_verified_by_the_algebra_or_not_shown():
    from shapecheck.fixes.concat_axis import channel_concat

    (fix,) = channel_concat(concat_site((8, 8)))
    assert fix.kind == "axis" and fix.verified_at == ("(None, 8, 8, 4)",)
    assert fix.description.startswith("axis=-1 on Concatenate")
    assert list(channel_concat(concat_site((4, 8)))) == []  # 4 vs 8 high: joining the channels would fail


def test_call_site_edit_counts_positions_after_self_in_a_method_call():
    src = source("""\
    class Net:
        def block(self, x, project=False):
            return x

        def build(self, x):
            return self.block(x, False)
    """)
    edit = call_site_edit(src, ChainFrame("build", 6), ChainFrame("block", 3), "project", "False", "True", "m.py")
    assert apply_fixes.apply_edits(src.text, [edit]).splitlines()[5] == "        return self.block(x, True)"


def test_a_saved_models_sc204_gets_the_suggestion_without_a_text_edit(tmp_path):
    from hostile import layer

    from shapecheck.runner import check_paths

    config = functional_config()
    layer(config, "conv")["config"]["filters"] = 4
    concat = layer(config, "add")
    concat["class_name"], concat["config"]["axis"] = "Concatenate", 1
    concat["inbound_nodes"][0]["args"][0][0]["config"]["shape"] = [None, 8, 8, 4]
    path = tmp_path / "cat.json"
    path.write_text(json.dumps(config))
    (finding,) = check_paths([str(path)]).findings
    (fix,) = finding.fixes
    assert (finding.code, fix.description, fix.edits, fix.safe) == (
        "SC204",
        "axis=-1 on Concatenate 'add': join the channels",
        (),
        False,
    )
    assert apply_fixes.plan([finding]) == []  # nothing for --fix to write
