"""Jupyter notebooks (.ipynb): read as cells, IPython syntax neutralised, run cell by cell,
findings at (cell, line) in every format; `%shapecheck` and the Report's HTML in IPython.

The fixture notebooks themselves (fixtures/notebooks/) run in tests/test_fixtures.py."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, checkout_env, cli, finding_lines, run_cli

from shapecheck.cells import file_position
from shapecheck.errors import CheckError
from shapecheck.load.notebook import Cell, neutralise, read_cells

NOTEBOOKS = FIXTURES / "notebooks"
TUTORIAL = NOTEBOOKS / "tutorial_flowers.ipynb"


def code(source: str) -> dict:
    return {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {},
        "outputs": [],
        "source": source.splitlines(True),
    }


def markdown(source: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": source.splitlines(True)}


def write_notebook(path: Path, *cells: dict) -> Path:
    document = {"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


def python_of(source: str) -> list[str]:
    return neutralise(Cell(1, source)).python.splitlines()


# -- IPython syntax (no TensorFlow) ------------------------------------------------------
def test_magics_shell_lines_and_help_become_pass_with_the_same_line_count():
    source = "!pip install keras\n%matplotlib inline\nfiles = !ls data\nmodel?\n??keras.layers\nif True:\n    !echo hi\nx = 1\n"
    assert python_of(source) == ["pass", "pass", "files = None", "pass", "pass", "if True:", "    pass", "x = 1"]


def test_a_timed_statement_runs_once_at_its_own_columns():
    source = "%time model = build()\n%timeit -n 10 -r 3 y = f(x)\n%time\n"
    python = python_of(source)
    assert python == ["if 1: model = build()", "if 1:              y = f(x)", "pass"]
    assert [line.index(tail) for line, tail in zip(python, ("build()", "f(x)"))] == [
        line.index(tail) for line, tail in zip(source.splitlines(), ("build()", "f(x)"))
    ]


def test_a_continued_magic_is_neutralised_on_every_line():
    assert python_of("%pip install \\\n    numpy\nx = 1\n") == ["pass", "pass", "x = 1"]


def test_lookalikes_inside_strings_and_expressions_are_left_alone():
    source = 'x = (10\n     % 3)\ns = """\n!not a shell line\nwhy?\n"""\n'
    assert python_of(source) == source.splitlines()


def test_a_capture_or_time_cell_runs_its_body_and_a_bash_cell_does_not():
    timed = neutralise(Cell(3, "%%time\nx = 1\ny = 2\n"))
    assert timed.python.splitlines() == ["", "x = 1", "y = 2"] and timed.not_run is None
    shell = neutralise(Cell(4, "%%bash\nls data/\nx = 1\n"))
    assert shell.not_run == "%%bash" and shell.python.strip() == ""
    assert shell.python.count("\n") == 3  # line numbers kept


def test_cells_are_numbered_as_the_notebook_shows_them(tmp_path):
    path = write_notebook(tmp_path / "n.ipynb", markdown("# title"), code("a = 1"), markdown("text"), code("b = 2"))
    assert [(c.number, c.source) for c in read_cells(str(path))] == [(2, "a = 1"), (4, "b = 2")]


def test_a_source_given_as_one_string_is_read(tmp_path):
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": "a = 1\nb = 2\n"}
    path = write_notebook(tmp_path / "n.ipynb", cell)
    assert read_cells(str(path))[0].source == "a = 1\nb = 2\n"


def test_file_position_points_at_the_source_line_in_the_json_text(tmp_path):
    path = write_notebook(tmp_path / "n.ipynb", markdown("# t"), code("import keras\nx = keras.layers.Add()([a, b])\n"))
    raw = path.read_text().splitlines()
    line, column = file_position(str(path), 2, 2, 5)
    assert raw[line - 1].strip().startswith('"x = keras.layers.Add()')
    assert raw[line - 1][column - 1 :].startswith("keras.layers.Add")


# -- not a notebook: one line, exit 2 ----------------------------------------------------
@pytest.mark.parametrize(
    "content, said",
    [
        ("{not json", "not a Jupyter notebook: invalid JSON at line 1 column 2"),
        (json.dumps({"nbformat": 3, "worksheets": []}), "nbformat 3 notebook; shapecheck reads nbformat 4"),
        (json.dumps([1, 2]), "not a Jupyter notebook: no list of cells"),
    ],
)
def test_a_bad_notebook_is_one_line_and_exit_2(tmp_path, content, said):
    path = tmp_path / "bad.ipynb"
    path.write_text(content)
    with pytest.raises(CheckError, match=said):
        read_cells(str(path))
    result = cli(str(path), "--format", "concise")  # in this process: as a command, entry.py would start a zygote
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"shapecheck: error: {path}: {said}")


def test_a_syntax_error_in_a_cell_is_at_its_cell_and_line(tmp_path):
    path = write_notebook(tmp_path / "s.ipynb", code("import keras"), code("x = 1\ny = (2,\n"))
    result = cli(str(path), "--format", "concise")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stdout == f"{path}:cell 2:2:5: SyntaxError: '(' was never closed\n"


# -- which notebooks are checked (no TensorFlow) -----------------------------------------
def test_folders_find_notebooks_by_their_imports(tmp_path):
    from shapecheck.load.discover import discover

    write_notebook(tmp_path / "model.ipynb", code("!pip install keras"), code("from keras import layers"))
    write_notebook(tmp_path / "plots.ipynb", code("import json\n%matplotlib inline"))
    targets = {Path(t.path).name: t for t in discover([str(tmp_path)])}
    assert set(targets) == {"model.ipynb"} and targets["model.ipynb"].checkable
    assert "imports keras" in targets["model.ipynb"].reason


def test_a_notebook_is_no_longer_not_a_model_file(tmp_path):
    from shapecheck.load.discover import discover

    (target,) = discover([str(write_notebook(tmp_path / "plots.ipynb", code("import json")))])
    assert target.problem is None and "imports neither keras nor tensorflow" in target.skip


def test_the_pre_commit_hooks_take_notebooks():
    hooks = (ROOT / ".pre-commit-hooks.yaml").read_text()
    assert hooks.count("types_or: [python, jupyter, binary]") == 2
    assert hooks.count(r"files: \.(py|ipynb|keras|h5|hdf5)$") == 2


def test_suppressions_are_read_in_cells(tmp_path):
    from shapecheck import suppress

    path = write_notebook(tmp_path / "n.ipynb", code("%matplotlib inline\nx = 1  # shapecheck: ignore[SC201]"))
    (found,) = suppress.suppressions(str(path))
    assert (found.cell, found.line, found.codes) == (1, 2, ("SC201",))


def test_the_report_renders_as_html_in_jupyter():
    from shapecheck.api import Report
    from shapecheck.results import FileReport, RunReport

    report = Report(RunReport([FileReport("nb.ipynb", notes=["cell 4 raised FileNotFoundError"])]))
    bundle = report._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html"}
    assert bundle["text/html"].startswith("<pre style=") and "nb.ipynb" in bundle["text/html"]
    assert "cell 4 raised FileNotFoundError" in bundle["text/plain"]


# -- running notebooks (TensorFlow) ------------------------------------------------------
def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_the_tutorial_is_checked_at_its_cell_and_the_file_is_never_written(tmp_path):
    before, listing = _digest(TUTORIAL), sorted(p.name for p in NOTEBOOKS.iterdir())
    result = run_cli(str(TUTORIAL), "--format", "concise", cwd=tmp_path)
    assert _digest(TUTORIAL) == before and sorted(p.name for p in NOTEBOOKS.iterdir()) == listing
    assert list(tmp_path.iterdir()) == []  # model.save("flowers.keras") was not run either
    assert result.returncode == 1, result.stderr
    (line,) = finding_lines(result.stdout)
    assert line.startswith(f"{TUTORIAL}:cell 6:9:5: SC101 ")
    notes = result.stderr
    assert "cell 5 raised FileNotFoundError" in notes and "later cells ran without it" in notes
    assert "cell 7 raised NameError: name 'x_train' is not defined (line 2): it needs cell 5" in notes
    assert "cell 8: %%bash cell not run" in notes


@pytest.mark.slow
def test_json_sarif_and_github_locate_the_cell(tmp_path, checked):
    from shapecheck.report import github, json_report, sarif

    run = checked(str(TUTORIAL))
    (finding,) = json.loads(json_report.render(run))["findings"]
    assert (finding["cell"], finding["line"], finding["column"], finding["call_chain"]) == (6, 9, 5, ["cell 6:9"])
    raw = TUTORIAL.read_text().splitlines()
    (result,) = sarif.document(run)["runs"][0]["results"]
    region = result["locations"][0]["physicalLocation"]["region"]
    assert raw[region["startLine"] - 1].strip().startswith('"x = layers.Add()([x, shortcut])  # expect: SC101')
    assert result["properties"] == {"cell": 6, "cellLine": 9, "cellColumn": 5}
    assert result["message"]["text"].startswith("cell 6:9: ")
    annotation = github.render(run).splitlines()[0]
    assert f"line={region['startLine']},col={region['startColumn']}," in annotation and "(cell 6%3A9)" in annotation
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(sarif.document(run), schema)


@pytest.mark.slow
def test_the_html_report_shows_the_cell_and_its_source(checked):
    from shapecheck.report import html

    page = html.render(checked(str(TUTORIAL)))
    assert "tutorial_flowers.ipynb:cell 6:9" in page
    assert "x = layers.Add()([x, shortcut])  # expect: SC101" in page  # the cell's line, not the JSON text
    assert '"source": [' not in page and "&quot;source&quot;" not in page


@pytest.mark.slow
def test_call_chains_name_cells(checked):
    run = checked(str(NOTEBOOKS / "resnext50_seed.ipynb"))
    (finding,) = run.findings
    assert (finding.code, finding.cell, finding.line) == ("SC203", 3, 4)
    assert [frame.short() for frame in finding.call_chain] == [
        "cell 7:1",
        "ResNext50:cell 6:9",
        "stack:cell 5:20",
        "block:cell 5:11",
        "grouped_convolution_block:cell 3:4",
    ]


@pytest.mark.slow
def test_a_model_that_needs_a_failed_cell_is_reported_as_such(tmp_path):
    path = write_notebook(
        tmp_path / "n.ipynb",
        code("import numpy as np\nimport keras"),
        code("x_train = np.load('data/missing.npy')"),
        code("model = keras.Sequential([keras.Input(x_train.shape[1:]), keras.layers.Dense(3)])"),
    )
    result = cli(str(path), "--format", "concise")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (error,) = result.stderr.strip().splitlines()
    assert error.startswith(
        f"shapecheck: error: {path}: no Keras model was built: cell 3 could only run after cell 2, "
        "which raised FileNotFoundError"
    )


@pytest.mark.slow
def test_a_notebook_whose_cells_all_raise_says_so(tmp_path):
    path = write_notebook(tmp_path / "n.ipynb", code("import keras\nraise RuntimeError('no GPU')"), code("1 / 0"))
    result = cli(str(path), "--format", "concise")
    assert result.returncode == 2
    assert (
        "no Keras model was built: every code cell raised or stopped (the first, cell 1: RuntimeError: no GPU (line 2))"
        in result.stderr
    )


@pytest.mark.slow
def test_a_notebook_that_builds_no_model_is_not_a_silent_ok(tmp_path):
    path = write_notebook(tmp_path / "n.ipynb", code("import keras\nlayer = keras.layers.Dense(3)"))
    result = cli(str(path))
    assert result.returncode == 0
    assert "no Keras model was built" in result.stdout and "1 file built no model" in result.stdout


@pytest.mark.slow
def test_await_get_ipython_display_and_ignores_in_cells(tmp_path):
    path = write_notebook(
        tmp_path / "n.ipynb",
        code(
            "import asyncio\nimport keras\nawait asyncio.sleep(0)\nget_ipython().run_line_magic('matplotlib', 'inline')"
        ),
        code(
            "inp = keras.Input((8, 8, 4))\ngate = keras.layers.Conv2D(1, 1)(inp)\n"
            "a = keras.layers.Add()([inp, gate])  # shapecheck: ignore[SC201]\nb = keras.layers.Add()([inp, gate])\n"
            "model = keras.Model(inp, [a, b])\ndisplay(model)"
        ),
    )
    result = cli(str(path), "--format", "concise", "--warn-unused-ignores")
    assert result.returncode == 1, result.stderr
    lines = finding_lines(result.stdout)
    assert lines == [line for line in lines if ":cell 2:4:" in line]
    assert "SC201" in result.stdout and "raised" not in result.stderr


# -- in IPython: the %shapecheck magic ---------------------------------------------------
@pytest.fixture(scope="module")
def shell():
    pytest.importorskip("IPython")
    from IPython.testing.globalipapp import start_ipython

    ip = start_ipython()
    ip.run_cell("%load_ext shapecheck", store_history=True)
    return ip


@pytest.mark.slow
def test_the_magic_checks_a_model_and_the_session(shell):
    built = shell.run_cell(
        "import keras\nfrom keras import layers\ninp = keras.Input((16, 16, 3))\n"
        "a = layers.Conv2D(8, 1)(inp)\ngate = layers.Conv2D(1, 1)(inp)\n"
        "model = keras.Model(inp, layers.Add()([a, gate]))",
        store_history=True,
    )
    assert built.success
    checked_model = shell.run_cell("%shapecheck model", store_history=True)
    report = checked_model.result
    assert [f.code for f in report.findings] == ["SC201"]
    assert "SC201" in report._repr_mimebundle_()["text/html"]
    broken = shell.run_cell(
        "b = layers.Conv2D(4, 1)(inp)\nbroken = keras.Model(inp, layers.Add()([a, b]))", store_history=True
    )
    assert not broken.success  # Keras: "Inputs have incompatible shapes", no line
    session = shell.run_cell("%shapecheck --select SC1", store_history=True).result
    (finding,) = session.findings
    assert (finding.code, finding.path, finding.cell, finding.line) == ("SC101", "this session", 4, 2)
    assert "this session:cell 4:2:" in session.table()


# -- the pre-commit hook -----------------------------------------------------------------
@pytest.mark.slow
def test_the_pre_commit_hook_checks_a_staged_notebook(tmp_path):
    import subprocess
    import sys

    from test_toolchain import git, pre_commit_repo

    pre_commit, repo = pre_commit_repo(tmp_path)
    (repo / "tutorial.ipynb").write_bytes(TUTORIAL.read_bytes())
    (repo / "clean.ipynb").write_bytes((NOTEBOOKS / "clean_cnn.ipynb").read_bytes())
    git("add", ".", cwd=repo)
    env = checkout_env(
        {
            "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "HOME": str(tmp_path),
            "PRE_COMMIT_HOME": str(tmp_path / "cache"),
            "NO_COLOR": "1",
        }
    )

    def hook(*files):
        return subprocess.run(
            [str(pre_commit), "try-repo", str(ROOT), "shapecheck-system", "--files", *files],
            cwd=repo,
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )

    failing = hook("tutorial.ipynb")
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "tutorial.ipynb:cell 6:9:5: SC101" in failing.stdout
    passing = hook("clean.ipynb")
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert (repo / "tutorial.ipynb").read_bytes() == TUTORIAL.read_bytes()


def test_cells_run_in_the_notebook_folder_unless_the_session_names_another(tmp_path):
    from shapecheck.jupyter import write_notebook as write_session
    from shapecheck.load.notebook import read_notebook

    path = tmp_path / "sub" / "n.ipynb"
    path.parent.mkdir()
    write_session(str(path), ["import keras\n", "x = 1\n"])
    cells, folder = read_notebook(str(path))
    assert [c.number for c in cells] == [1, 2] and folder == str(Path.cwd())
    other = write_notebook(tmp_path / "m.ipynb", code("x = 1"))
    assert read_notebook(str(other))[1] == str(tmp_path)


def test_the_magic_says_what_it_cannot_check_in_one_line(capsys):
    from shapecheck.jupyter import shapecheck_magic

    class Shell:
        user_ns: dict = {}

        def ev(self, text):
            return eval(text, {}, {})

    assert shapecheck_magic(Shell(), "no_such_model") is None
    assert capsys.readouterr().out == (
        "%shapecheck: 'no_such_model' is neither a model of this session nor a path "
        "(NameError: name 'no_such_model' is not defined)\n"
    )
    assert shapecheck_magic(Shell(), ". --sizes 9:1") is None  # the size range is read before anything runs
    said = capsys.readouterr().out
    assert said.startswith("%shapecheck: ") and "9:1" in said and said.count("\n") == 1
    assert shapecheck_magic(Shell(), "--bogus") is None
    assert capsys.readouterr().out.startswith(
        "%shapecheck: cannot read the arguments '--bogus'; usage: %shapecheck [TARGET]"
    )


@pytest.mark.slow
def test_a_timed_model_cell_is_built_and_located_at_its_own_column(tmp_path):
    path = write_notebook(
        tmp_path / "n.ipynb",
        code("import keras\ninp = keras.Input((8, 8, 4))\nb = keras.layers.Conv2D(3, 1)(inp)"),
        code("%time out = keras.layers.Add()([inp, b])\nmodel = keras.Model(inp, out)"),
    )
    result = cli(str(path), "--format", "concise")
    assert result.returncode == 1, result.stderr
    (line,) = finding_lines(result.stdout)
    column = "%time out = keras.layers.Add()([inp, b])".index("keras.layers.Add()([") + 1
    assert line.startswith(f"{path}:cell 2:1:{column}: SC101 ")
