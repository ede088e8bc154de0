"""Builder modules run in a supervised child: nothing a module does decides the exit code,
loses another file's results, or outlives the deadline (the issue "Hostile and broken
inputs", builder-module part). Each module here is written by the test."""

from __future__ import annotations

import json
import os
import textwrap
import time

import pytest
from conftest import run_cli

pytestmark = pytest.mark.slow

MISMATCH = """
import keras
from keras import layers

inputs = keras.Input((8, 8, 4))
y = layers.Conv2D(8, 1)(inputs)
model = keras.Model(inputs, layers.Add()([inputs, y]))
"""

HOSTILE = {
    "exits_zero.py": MISMATCH + "import os\nos._exit(0)\n",
    "exits_zero_at_exit.py": MISMATCH + "import atexit, os\natexit.register(os._exit, 0)\n",
    "forks.py": "import os\nos.fork()\n" + MISMATCH,
    "patches_add.py": "import keras\nclass Quiet(keras.layers.Layer):\n    def call(self, xs):\n        return xs[0]\n"
    "keras.layers.Add = Quiet\n" + MISMATCH.replace("layers.Add()", "keras.layers.Add()"),
    "changes_folder.py": "import os\nos.chdir('/')\n" + MISMATCH,
    "writes_fd1.py": "import os\nos.write(1, b'{not json')\n" + MISMATCH,
    "closes_stdout.py": "import os, sys\nos.close(1)\n" + MISMATCH,
    "leaves_a_thread.py": "import threading, time\nthreading.Thread(target=time.sleep, args=(3600,)).start()\n"
    + MISMATCH,
    "saves_model.py": MISMATCH + "import keras\nkeras.saving.save_model(model, 'written_by_module.keras')\n"
    "model.export('exported_by_module')\n"
    "import tensorflow as tf\ncheckpoint = tf.train.Checkpoint(model=model)\n"
    "checkpoint.save('checkpointed_by_module/ckpt')\ncheckpoint.write('written_checkpoint')\n"
    "tf.train.CheckpointManager(checkpoint, 'managed_by_module', max_to_keep=1).save()\n",
}
# the same mismatch as the hostile modules, after them in the same run (file order is by name)
GOOD = "zz_good.py"


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    for name, text in {**HOSTILE, GOOD: MISMATCH}.items():
        (folder / name).write_text(textwrap.dedent(text))
    result = run_cli("--format", "json", *sorted(str(folder / n) for n in [*HOSTILE, GOOD]), cwd=folder)
    return folder, result, {os.path.basename(f["path"]): f for f in json.loads(result.stdout)["files"]}


def findings_of(result, name: str) -> list:
    """The document's findings of one file (a file's own entry lists its models, not its findings)."""
    return [
        (f["code"], f["layer"]) for f in json.loads(result.stdout)["findings"] if os.path.basename(f["path"]) == name
    ]


def test_the_document_is_valid_and_the_exit_code_is_the_parents(hostile_run):
    _, result, files = hostile_run
    assert result.returncode == 2, result.stderr  # some files could not be checked
    assert set(files) == {*HOSTILE, GOOD}


@pytest.mark.parametrize("name", ["exits_zero.py", "forks.py"])
def test_a_module_that_ends_or_forks_its_process_could_not_be_checked(hostile_run, name):
    _, result, files = hostile_run
    assert files[name]["status"] == "error"
    assert name in files[name]["error"] and "\n" not in files[name]["error"]
    assert any(name in line for line in result.stderr.splitlines())


@pytest.mark.parametrize(
    "name",
    [
        "exits_zero_at_exit.py",
        "changes_folder.py",
        "writes_fd1.py",
        "closes_stdout.py",
        "leaves_a_thread.py",
        "saves_model.py",
        GOOD,
    ],
)
def test_every_other_module_reports_its_mismatch(hostile_run, name):
    _, result, files = hostile_run
    assert files[name]["status"] == "findings", files[name]
    assert findings_of(result, name) == [("SC101", "add")]
    (model,) = files[name]["models"]
    assert [(m["layer"], m["verdict"]) for m in model["merges"]] == [("add", "mismatch")]


def test_findings_of_every_file_are_in_the_document(hostile_run):
    _, result, _ = hostile_run
    codes = {(os.path.basename(f["path"]), f["code"]) for f in json.loads(result.stdout)["findings"]}
    assert (GOOD, "SC101") in codes and ("writes_fd1.py", "SC101") in codes


def test_a_module_that_patches_keras_hides_only_its_own_merges(hostile_run):
    _, _, files = hostile_run  # it replaced keras.layers.Add for itself; the next file is clean of it
    assert files["patches_add.py"]["status"] == "ok"
    assert files[GOOD]["status"] == "findings"


def test_nothing_is_written_by_a_module(hostile_run):
    folder, _, _ = hostile_run
    assert not (folder / "written_by_module.keras").exists()
    assert not (folder / "exported_by_module").exists()
    assert not any((folder / name).exists() for name in ("checkpointed_by_module", "managed_by_module"))
    assert not list(folder.glob("written_checkpoint*"))


STUBBORN = {
    "ignores_alarm.py": "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\nimport time\nwhile True:\n    time.sleep(0.1)\n",
    "swallows_everything.py": "import time\nwhile True:\n    try:\n        time.sleep(0.1)\n    except:\n        pass\n",
    "loops_in_c.py": "sum(range(10**12))\n",
}


def test_stubborn_modules_are_stopped_by_the_parent(tmp_path):
    for name, text in {**STUBBORN, GOOD: MISMATCH}.items():
        (tmp_path / name).write_text("import keras\n" + text)
    started = time.monotonic()
    result = run_cli(
        "--format",
        "json",
        "--timeout",
        "1",
        *sorted(str(tmp_path / n) for n in [*STUBBORN, GOOD]),
        cwd=tmp_path,
        timeout=240,
    )
    elapsed = time.monotonic() - started
    files = {os.path.basename(f["path"]): f for f in json.loads(result.stdout)["files"]}
    assert result.returncode == 2
    for name in ("ignores_alarm.py", "swallows_everything.py", "loops_in_c.py"):
        assert files[name]["status"] == "error" and "timed out after 1 s" in files[name]["error"], files[name]
    assert files[GOOD]["status"] == "findings"
    assert elapsed < 200, elapsed  # a bound on the test itself, not a benchmark: it never hangs


def test_a_module_over_the_memory_bound_is_stopped(tmp_path):
    (tmp_path / "eats_memory.py").write_text(
        "import keras\nblocks = []\nwhile True:\n    blocks.append(bytearray(100 << 20))\n"
    )
    (tmp_path / GOOD).write_text(MISMATCH)
    result = run_cli(
        "--format",
        "json",
        "--timeout",
        "120",
        "--max-memory",
        "1G",
        str(tmp_path / "eats_memory.py"),
        str(tmp_path / GOOD),
        cwd=tmp_path,
        timeout=240,
    )
    files = {os.path.basename(f["path"]): f for f in json.loads(result.stdout)["files"]}
    assert result.returncode == 2
    assert "used more than 1 GiB of memory (--max-memory)" in files["eats_memory.py"]["error"]
    assert files[GOOD]["status"] == "findings"


def test_a_bad_memory_bound_is_one_line_and_exit_2():
    result = run_cli("fixtures/unet_cascade.py", "--max-memory", "lots")
    assert result.returncode == 2 and result.stderr.startswith("shapecheck: error: --max-memory")


@pytest.mark.parametrize(
    "arguments, expected",
    [
        (["model.py"], True),
        (["notebooks/train.IPYNB", "--quiet"], True),
        (["fixtures"], True),
        (["model.keras"], False),
        (["rules"], False),
        (["model.py", "--help"], False),
        (["--version"], False),
        ([], False),
        (["--output", "report.py.json", "model.h5"], False),
    ],
)
def test_the_zygote_starts_early_only_when_a_module_may_run(arguments, expected):
    """entry.py starts TensorFlow's import before the CLI is imported, only for what may hold a builder module."""
    from shapecheck.entry import may_run_modules

    assert may_run_modules(arguments) is expected
