"""Hostile and broken saved inputs: every one ends in bounded time and memory, with one line
naming the file and exit 2, and the good files of the same run still reported.

Each case runs the real CLI in a child of a small wrapper process, which reports the child's
peak memory (ru_maxrss of RUSAGE_CHILDREN) and guards the machine with RLIMIT_AS. The hostile
files themselves import no TensorFlow (test_no_hostile_case_imports_tensorflow), but the good
file's SC101 has its suggested fix built by Keras: a run that checks a good file imports
TensorFlow (~3 s, ~550 MiB of the peak), and is marked slow. So run_bounded's CLI has a
`tensorflow` that refuses to be imported (NO_TENSORFLOW, first on its PYTHONPATH): Keras cannot
build the fix, the good file's SC101 is reported all the same (for every case of the corpus the
same exit code, stderr, statuses and findings as with TensorFlow), a case costs its interpreter,
not TensorFlow's import, and the peak memory measured is the file's, not TensorFlow's. Three
good files beside a corrupt one, and the closed-output tests, run with TensorFlow.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import hostile
import pytest
from conftest import ROOT

TIME_LIMIT = 15  # seconds per case, including the interpreter's start
MEMORY_LIMIT_MIB = 1024
GUARD = 3 * 2**30  # RLIMIT_AS for the child: a runaway is stopped before it hurts the machine

WRAPPER = r"""
import json, resource, subprocess, sys
def guard():
    resource.setrlimit(resource.RLIMIT_AS, ({guard}, {guard}))
try:
    child = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout={timeout}, preexec_fn=guard)
    out = {{"rc": child.returncode, "stdout": child.stdout, "stderr": child.stderr}}
except subprocess.TimeoutExpired:
    out = {{"rc": None, "stdout": "", "stderr": "timed out"}}
out["maxrss_kib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps(out))
"""


def _no_tensorflow() -> str:
    """A folder whose `tensorflow` package raises ImportError, to put first on a PYTHONPATH."""
    folder = Path(tempfile.mkdtemp(prefix="shapecheck-tests-no-tensorflow-"))
    (folder / "tensorflow").mkdir()
    (folder / "tensorflow" / "__init__.py").write_text(
        'raise ImportError("no TensorFlow in this test (tests/test_hostile_saved.py)")\n'
    )
    return str(folder)


NO_TENSORFLOW = _no_tensorflow()


def run_bounded(*args: str, cwd=ROOT, tensorflow: bool = False) -> dict:
    """The CLI on `args`: {rc, stdout, stderr, maxrss_kib}; rc None when it ran past TIME_LIMIT.
    TensorFlow cannot be imported unless `tensorflow`."""
    wrapper = WRAPPER.format(guard=GUARD, timeout=TIME_LIMIT)
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    if not tensorflow:
        env["PYTHONPATH"] = os.pathsep.join([NO_TENSORFLOW, env.get("PYTHONPATH", "")])
    result = subprocess.run(
        [sys.executable, "-c", wrapper, sys.executable, "-m", "shapecheck", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=TIME_LIMIT + 30,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def assert_bounded(out: dict) -> None:
    assert out["rc"] is not None, f"ran past {TIME_LIMIT} s"
    peak = out["maxrss_kib"] / 1024
    assert peak < MEMORY_LIMIT_MIB, f"peak memory {peak:.0f} MiB"
    assert "Traceback" not in out["stderr"], out["stderr"]
    assert "internal error" not in out["stderr"], out["stderr"]


def findings_of(document: dict, path) -> list:
    return [(f["code"], f["layer"]) for f in document["findings"] if f["path"] == str(path)]


@pytest.fixture
def good(tmp_path):
    return hostile.good_copy(tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(hostile.CASES))
def test_hostile_file_is_one_line_exit_2_and_the_good_file_is_still_reported(tmp_path, good, case):
    bad = hostile.make_case(case, tmp_path)
    out = run_bounded("--format", "json", str(bad), str(good))
    assert_bounded(out)
    assert out["rc"] == 2, out
    lines = out["stderr"].strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"shapecheck: error: {bad}: "), out["stderr"]
    document = json.loads(out["stdout"])
    statuses = {f["path"]: f["status"] for f in document["files"]}
    assert statuses == {str(bad): "error", str(good): "findings"}
    assert findings_of(document, good) == [("SC101", "add")]
    if not case.startswith(("FIFO", "symlink")):
        assert not bad.is_symlink() and bad.stat().st_size > 0  # never written to


@pytest.mark.parametrize("case", sorted(hostile.CASES))
def test_the_api_returns_hostile_files_in_errors_and_never_raises(tmp_path, case):
    import shapecheck

    bad = hostile.make_case(case, tmp_path)
    report = shapecheck.check(str(bad))
    assert len(report.errors) == 1 and report.errors[0].startswith(f"{bad}: "), report.errors
    assert not report.ok


@pytest.mark.slow
def test_a_folder_skips_fifos_and_devices_with_a_word_and_checks_the_rest(tmp_path):
    for name in ("pipe.keras", "pipe.h5", "pipe.py"):
        hostile.fifo(tmp_path / name)
    hostile.dev_zero(tmp_path / "zero.keras")
    hostile.write_keras(tmp_path / "good.keras", json.dumps(hostile.functional_config()).encode())
    out = run_bounded("--format", "json", str(tmp_path))
    assert_bounded(out)
    assert out["rc"] == 1, out  # the good file's SC101; the others are skipped, not failures
    document = json.loads(out["stdout"])
    files = {os.path.basename(f["path"]): f for f in document["files"]}
    for name in ("pipe.keras", "pipe.h5", "pipe.py", "zero.keras"):
        assert files[name]["status"] == "skipped" and "not a regular file" in files[name]["reason"], files[name]
    assert files["good.keras"]["status"] == "findings"


@pytest.mark.slow
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_one_corrupt_file_does_not_hide_three_good_ones(tmp_path, jobs):
    goods = [
        hostile.write_keras(tmp_path / f"good{i}.keras", json.dumps(hostile.functional_config()).encode())
        for i in range(3)
    ]
    bad = hostile.corrupt_deflate(tmp_path / "bad.keras")
    out = run_bounded("--format", "json", "-j", jobs, str(tmp_path), tensorflow=True)  # the fixes built by Keras
    assert_bounded(out)
    assert out["rc"] == 2
    assert out["stderr"].strip().splitlines() == [
        line for line in out["stderr"].strip().splitlines() if line.startswith(f"shapecheck: error: {bad}: ")
    ]
    document = json.loads(out["stdout"])
    for path in goods:
        assert findings_of(document, path) == [("SC101", "add")]
    assert document["summary"]["file_errors"] == 1


@pytest.mark.slow
def test_upper_case_suffixes_are_model_files(tmp_path):
    path = hostile.write_keras(tmp_path / "MODEL.KERAS", json.dumps(hostile.functional_config()).encode())
    out = run_bounded("--format", "json", str(path))
    assert out["rc"] == 1, out
    assert findings_of(json.loads(out["stdout"]), path) == [("SC101", "add")]
    out = run_bounded("--format", "json", str(tmp_path))
    assert findings_of(json.loads(out["stdout"]), path) == [("SC101", "add")]


@pytest.mark.slow
def test_call_arguments_nested_within_the_cap_are_read(tmp_path):
    path = hostile._mutated(tmp_path / "nested.json", hostile.nested_args(150))
    out = run_bounded("--format", "json", str(path))
    assert out["rc"] == 1, out
    assert findings_of(json.loads(out["stdout"]), path) == [("SC101", "add")]


def test_a_saved_file_past_the_timeout_is_stopped(tmp_path):
    config = hostile.functional_config()
    layers = config["config"]["layers"]
    previous = "add"
    for i in range(20_000):  # a long chain: well past 10 ms on any machine
        name = f"relu_{i}"
        layers.append(
            {
                "module": "keras.layers",
                "class_name": "ReLU",
                "name": name,
                "config": {"name": name},
                "inbound_nodes": [{"args": [hostile.tensor(previous, [None, 8, 8, 16])], "kwargs": {}}],
            }
        )
        previous = name
    config["config"]["output_layers"] = [[previous, 0, 0]]
    path = tmp_path / "long.json"
    path.write_text(json.dumps(config))
    out = run_bounded(str(path), "--timeout", "0.01")
    assert out["rc"] == 2
    assert out["stderr"].strip().splitlines() == [
        f"shapecheck: error: {path}: not checked within 0.01 s (--timeout); stopped"
    ]


@pytest.mark.parametrize("value", ["-1", "0", "1e-9", "inf", "nan", "-inf"])
def test_a_timeout_that_is_not_a_positive_finite_number_is_refused(good, value):
    out = run_bounded(str(good), f"--timeout={value}")
    assert out["rc"] == 2
    lines = out["stderr"].strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("shapecheck: error: --timeout "), out["stderr"]


@pytest.mark.parametrize(
    "how",
    [
        "same path",
        "through a symlink",
        pytest.param("inside a checked folder", marks=pytest.mark.slow),  # a folder: entry.py starts the zygote early
    ],
)
def test_output_onto_a_checked_file_is_refused_and_the_file_untouched(tmp_path, how):
    model = hostile.write_keras(tmp_path / "model.keras", json.dumps(hostile.functional_config()).encode())
    before = model.read_bytes()
    if how == "through a symlink":
        target = tmp_path / "link.keras"
        target.symlink_to(model)
        output, inputs = str(target), [str(model)]
    elif how == "same path":
        output, inputs = str(model), [str(model)]
    else:
        output, inputs = str(model), [str(tmp_path)]
    out = run_bounded("-o", output, "--format", "json", *inputs)
    assert out["rc"] == 2
    lines = out["stderr"].strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"shapecheck: error: --output {output}: "), out["stderr"]
    assert model.read_bytes() == before


def test_a_closed_stdout_is_exit_2_with_a_word(good):
    result = subprocess.run(
        [sys.executable, "-m", "shapecheck", str(good)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        timeout=60,
        preexec_fn=lambda: os.close(1),
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "shapecheck: error: standard output is closed; the report was not written in full"
    ]


@pytest.mark.slow
@pytest.mark.parametrize("output_format", ["table", "json"])
def test_a_reader_that_goes_away_is_exit_2_with_a_word(good, output_format):
    """`shapecheck ... | true`: the reader is gone before the report is written."""
    child = subprocess.Popen(
        [sys.executable, "-m", "shapecheck", "--format", output_format, str(good)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    child.stdout.close()
    stderr = child.stderr.read().decode()
    assert child.wait(timeout=60) == 2
    assert stderr.strip().splitlines() == [
        "shapecheck: error: standard output was closed (broken pipe); the report was not written in full"
    ]


@pytest.mark.parametrize(
    "case", [".keras: header claims 100 bytes, inflates to 3 GB", ".keras: header claims 1 MB, inflates to 2 GB"]
)
def test_a_zip_member_is_refused_by_what_it_inflates_to_not_by_its_header(tmp_path, case):
    import shapecheck

    bad = hostile.make_case(case, tmp_path)
    assert shapecheck.check(str(bad)).errors == [f"{bad}: config.json inflates past 32 MiB (a zip bomb?); not read"]


@pytest.mark.slow
def test_a_keras_file_whose_header_understates_a_small_config_is_still_read(tmp_path):
    import zlib

    from shapecheck.runner import check_paths

    good = json.dumps(hostile.functional_config()).encode()
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    path = hostile.raw_zip(
        tmp_path / "understated.keras", "config.json", deflate.compress(good) + deflate.flush(), 10, zlib.crc32(good)
    )
    run = check_paths([str(path)])
    assert not run.errors and [(f.code, f.layer) for f in run.findings] == [("SC101", "add")]


def test_numpy_warnings_of_the_algebra_never_reach_the_user():
    """A Reshape to (-1, 0) divides by zero in the size sweep: handled there, never printed."""
    import warnings

    from irgraphs import GraphBuilder

    from shapecheck.analysis import check_graphs, selected_rules

    b = GraphBuilder("m")
    x = b.input((None, None, 8, 4))
    y = b.add("Reshape", (None, None, 0), [x], line=3, config={"target_shape": [-1, 0]})
    b.graph.outputs = [y]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_graphs([b.graph], "model.py", selected_rules((), ()))
    assert [str(w.message) for w in caught] == []


def test_a_reshape_to_a_zero_size_in_a_saved_file_is_refused(tmp_path):
    from shapecheck.runner import check_paths

    config = {
        "class_name": "Sequential",
        "config": {
            "name": "seq",
            "layers": [
                {"class_name": "InputLayer", "config": {"batch_shape": [None, None, 8, 4], "name": "input"}},
                {"class_name": "Reshape", "config": {"name": "r", "target_shape": [-1, 0]}},
            ],
        },
    }
    path = tmp_path / "reshape0.json"
    path.write_text(json.dumps(config))
    assert check_paths([str(path)]).errors == [
        f"{path}: layer 'r': target_shape [-1, 0] has a size 0; sizes are positive (or -1)"
    ]


@pytest.mark.slow
def test_a_module_importing_a_fifo_is_decided_without_reading_the_fifo(tmp_path):
    (tmp_path / "train.py").write_text("import helpers\n")
    hostile.fifo(tmp_path / "helpers.py")
    hostile.good_copy(tmp_path)
    out = run_bounded("--format", "json", str(tmp_path / "train.py"), str(tmp_path / "good.json"))
    assert_bounded(out)
    document = json.loads(out["stdout"])
    statuses = {os.path.basename(f["path"]): f["status"] for f in document["files"]}
    assert statuses["good.json"] == "findings" and statuses["train.py"] in ("skipped", "error"), document["files"]


@pytest.mark.slow
def test_a_module_nested_too_deeply_for_python_is_one_syntax_error_line(tmp_path, good):
    deep = tmp_path / "deep.py"
    deep.write_text("import keras\nx = 1" + "+1" * 200_000 + "\n")
    out = run_bounded("--format", "json", str(deep), str(good))
    assert_bounded(out)
    assert out["rc"] == 2
    assert out["stderr"].strip().splitlines() == [
        f"shapecheck: error: {deep}:1:1: SyntaxError: nested too deeply for Python's parser"
    ]
    assert findings_of(json.loads(out["stdout"]), good) == [("SC101", "add")]


def test_no_hostile_case_imports_tensorflow(tmp_path):
    for case in hostile.CASES:
        if "GB" not in case and "250 MB" not in case:  # the big ones are covered by the subprocess runs above
            hostile.make_case(case, tmp_path)
    code = (
        "import sys\n"
        "from shapecheck.runner import check_paths\n"
        f"run = check_paths({[str(p) for p in sorted(tmp_path.iterdir())]!r})\n"
        "assert len(run.errors) == len(run.files), [f.path for f in run.files if not f.error]\n"
        "leaked = sorted(m for m in ('tensorflow', 'keras') if m in sys.modules)\n"
        "assert not leaked, leaked\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.slow
def test_the_api_from_a_thread_still_reports_hostile_files(tmp_path, good):
    """No SIGALRM outside the main thread: the caps still hold and nothing raises."""
    import threading

    import shapecheck

    bad = hostile.make_case(".keras: header claims 100 bytes, inflates to 3 GB", tmp_path)
    results = []
    worker = threading.Thread(target=lambda: results.append(shapecheck.check([str(bad), str(good)])))
    worker.start()
    worker.join(60)
    (report,) = results
    assert report.errors == [f"{bad}: config.json inflates past 32 MiB (a zip bomb?); not read"]
    assert [(f.code, f.layer) for f in report.findings] == [("SC101", "add")]


def test_snapshot_baseline_onto_a_checked_file_is_refused(good):
    before = good.read_bytes()
    out = run_bounded("snapshot", str(good), "--baseline", str(good))
    assert out["rc"] == 2
    assert out["stderr"].strip().splitlines() == [
        f"shapecheck: error: --baseline {good}: that is a file being checked; not overwritten (write the report somewhere else)"
    ]
    assert good.read_bytes() == before
