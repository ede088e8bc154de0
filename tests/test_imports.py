"""The import closure: which .py files reach Keras, decided by reading, never importing.

Throwaway packages on a temporary sys.path stand in for installed libraries; none of these
tests imports TensorFlow (the first one proves it in a fresh process).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import ROOT, cli

from shapecheck.load import source
from shapecheck.load.discover import discover
from shapecheck.load.imports import Closure
from shapecheck.load.imports_cache import NO_CACHE, FactsCache, cache_path


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


SITE = {
    # a library whose __init__ imports keras
    "kerasy/__init__.py": "import keras\nfrom keras import layers\n",
    # one that reaches keras two imports deep: __init__ -> deep.zoo -> deep._backend -> tensorflow
    "deep/__init__.py": "from deep.zoo import build_resnet\n",
    "deep/zoo.py": "from ._backend import tf\n\ndef build_resnet():\n    return tf\n",
    "deep/_backend.py": "import tensorflow as tf\n",
    # one that reaches keras only through another installed library
    "wrapper/__init__.py": "import json\nimport deep\n",
    # one that does not: stdlib only, a submodule, an optional import of something missing
    "plainlib/__init__.py": "import os, json\nfrom .util import helper\ntry:\n    import not_here_xyz\nexcept ImportError:\n    not_here_xyz = None\n",
    "plainlib/util.py": "import collections\n\ndef helper():\n    import keras_lookalike_missing  # inside a function: not run on import\n",
    # keras only in a submodule that the package's __init__ does not import
    "lazy/__init__.py": "VERSION = 1\n",
    "lazy/models.py": "from tensorflow import keras\n",
    # keras reached only when a function runs, through the package's own submodule
    "lazylib/__init__.py": "def build():\n    from .zoo import resnet\n    return resnet()\n",
    "lazylib/zoo.py": "import keras\n",
    # metadata: requires tensorflow (and the package's source never names it)
    "metalib/__init__.py": "X = 1\n",
    "metalib-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: metalib\nVersion: 1.0\nRequires-Dist: tensorflow>=2.16\n",
    # an optional extra that mentions keras does not count
    "extralib/__init__.py": "X = 1\n",
    "extralib-2.0.dist-info/METADATA": 'Metadata-Version: 2.1\nName: extralib\nVersion: 2.0\nRequires-Dist: numpy\nRequires-Dist: keras>=3; extra == "keras"\n',
}


@pytest.fixture()
def site(tmp_path, monkeypatch) -> Path:
    """Throwaway 'installed' packages on a temporary sys.path entry."""
    root = write(tmp_path / "site", SITE)
    monkeypatch.syspath_prepend(str(root))
    return root


def reach(tmp_path: Path, text: str, name: str = "user.py", cache=NO_CACHE):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    closure = Closure(cache)
    found = closure.reach(str(path))
    closure.save()
    return found


# -- installed packages ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, verdict, description",
    [
        ("import kerasy\n", "keras", "imports kerasy, which imports keras"),
        (
            "from deep import build_resnet\n",
            "keras",
            "imports deep, which imports deep.zoo, which imports deep._backend, which imports tensorflow",
        ),
        (
            "import wrapper\n",
            "keras",
            "imports wrapper, which imports deep, which imports deep.zoo, which imports deep._backend, which imports tensorflow",
        ),
        ("from lazy.models import keras\n", "keras", "imports lazy.models, which imports tensorflow"),
        ("import lazylib\n", "keras", "imports lazylib, which imports lazylib.zoo, which imports keras"),
        ("import metalib\n", "keras", "imports metalib, which requires tensorflow (installed metadata)"),
        (
            "import plainlib\nimport extralib\nimport os.path, json\n",
            "none",
            "imports neither keras nor tensorflow, directly or through its imports",
        ),
        ("import lazy\n", "none", "imports neither keras nor tensorflow, directly or through its imports"),
    ],
)
def test_installed_packages(site, tmp_path, text, verdict, description):
    found = reach(tmp_path, text)
    assert (found.verdict, found.describe()) == (verdict, description)
    assert not {"kerasy", "deep", "wrapper", "plainlib", "lazy", "lazylib", "metalib"} & set(
        sys.modules
    )  # read, never imported


def test_nothing_is_imported_to_decide(site, tmp_path):
    """In a fresh process: deciding about a file that reaches keras imports neither TensorFlow,
    Keras nor the packages read."""
    user = tmp_path / "user.py"
    user.write_text("import wrapper\nfrom models.unet import build\n")
    write(tmp_path, {"models/__init__.py": "", "models/unet.py": "import keras\n"})
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(site)!r})
        from shapecheck.load.imports import Closure
        assert Closure().reach({str(user)!r}).verdict == "keras"
        leaked = sorted(m for m in ("keras", "tensorflow", "wrapper", "deep", "models") if m in sys.modules)
        assert not leaked, leaked
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr


def test_keras_names_directly(tmp_path):
    for text, name in (
        ("import keras\n", "keras"),
        ("from tensorflow.keras import layers\n", "tensorflow"),
        ("import tf_keras as k\n", "tf_keras"),
        ("def build():\n    import keras\n", "keras"),
        ("import importlib\nk = importlib.import_module('keras')\n", "keras"),
    ):
        found = reach(tmp_path, text)
        assert (found.verdict, found.chain) == ("keras", (name,)), text


# -- the project's own modules --------------------------------------------------------------------------
@pytest.mark.parametrize("init", [True, False], ids=["package", "namespace-package"])
def test_a_local_models_package(tmp_path, init):
    files = {"models/unet.py": "from keras import layers\n\ndef build_unet(input_shape):\n    pass\n"}
    if init:
        files["models/__init__.py"] = ""
    write(tmp_path, files)
    found = reach(
        tmp_path,
        "from models.unet import build_unet\n\ndef build():\n    return build_unet((300, 300, 3))\n",
        "train.py",
    )
    assert found.describe() == "imports models.unet, which imports keras"


def test_relative_imports_and_the_package_root(tmp_path):
    write(
        tmp_path,
        {
            "proj/pkg/__init__.py": "",
            "proj/pkg/sub/__init__.py": "",
            "proj/pkg/sub/helpers.py": "from .. import layers_lib\n",
            "proj/pkg/layers_lib.py": "import tensorflow as tf\n",
            "proj/pkg/other.py": "from pkg.sub import helpers\n",  # absolute, from the package root
        },
    )
    found = reach(tmp_path, "from . import helpers\n", "proj/pkg/sub/mod.py")
    assert found.describe() == "imports pkg.sub.helpers, which imports pkg.layers_lib, which imports tensorflow"
    assert Closure().reach(str(tmp_path / "proj/pkg/other.py")).verdict == "keras"


def test_local_cycles_and_plain_local_modules(tmp_path):
    write(tmp_path, {"a.py": "import b\nimport json\n", "b.py": "import a\n"})
    assert reach(tmp_path, "import a\n").verdict == "none"


# -- what cannot be decided ---------------------------------------------------------------------------------
def test_an_import_that_is_not_installed_leaves_the_answer_open(tmp_path):
    found = reach(tmp_path, "import os\nfrom not_installed_xyz.models import build\n")
    assert found.verdict == "unknown"
    assert found.describe() == "cannot tell: imports `not_installed_xyz`, which is not installed here"
    write(tmp_path, {"helpers.py": "import also_missing_xyz\n"})
    found = reach(tmp_path, "import helpers\n")
    assert (
        found.describe()
        == "cannot tell: imports `helpers`, which imports `also_missing_xyz`, which is not installed here"
    )


def test_keras_anywhere_wins_over_an_unknown(tmp_path):
    assert reach(tmp_path, "import not_installed_xyz\nimport keras\n").verdict == "keras"


def test_an_optional_import_of_something_missing_is_not_a_question(tmp_path):
    text = "try:\n    import not_installed_xyz\nexcept ImportError:\n    not_installed_xyz = None\n"
    assert reach(tmp_path, text).verdict == "none"


def test_a_local_module_that_cannot_be_read(tmp_path):
    write(tmp_path, {"broken.py": "def f(:\n"})
    found = reach(tmp_path, "import broken\n")
    assert found.describe() == "cannot tell: imports `broken`, which cannot be read (invalid syntax at line 1)"


# -- unreadable files ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw, expected",
    [
        (b"import keras\n\ndef build(:\n    pass\n", ":3:11: SyntaxError: invalid syntax"),
        (b"import os\nx = 1\x00\n", ":2:6: SyntaxError: source code cannot contain null bytes"),
        (b"import os\nname = '\xff'\n", ":2:9: SyntaxError: not valid utf-8 (byte 0xff: invalid start byte)"),
    ],
)
def test_unreadable_files_say_where(tmp_path, raw, expected):
    path = tmp_path / "bad.py"
    path.write_bytes(raw)
    with pytest.raises(source.Unreadable) as raised:
        source.parse(str(path))
    assert str(raised.value) == f"{path}{expected}"


def test_a_declared_encoding_is_honoured(tmp_path):
    path = tmp_path / "latin.py"
    path.write_bytes(b"# -*- coding: latin-1 -*-\nimport keras\nname = '\xe9'\n")
    assert Closure().reach(str(path)).verdict == "keras"


def test_folder_discovery(tmp_path):
    write(
        tmp_path,
        {
            "models/__init__.py": "",
            "models/unet.py": "import keras\n",
            "train.py": "from models.unet import build_unet\n",
            "utils.py": "import os\n",
            "viz.py": "import not_installed_xyz\n",
            "broken.py": "import os\nx = (\n",
        },
    )
    targets = {Path(t.path).relative_to(tmp_path).as_posix(): t for t in discover([str(tmp_path)])}
    assert set(targets) == {"broken.py", "models/unet.py", "train.py", "viz.py"}  # utils.py: no keras, not a target
    assert targets["train.py"].reason == "imports models.unet, which imports keras" and targets["train.py"].checkable
    assert targets["models/unet.py"].reason == "imports keras"
    assert targets["viz.py"].undecided and targets["viz.py"].skip.startswith("cannot tell: imports `not_installed_xyz`")
    assert targets["broken.py"].problem == f"{tmp_path / 'broken.py'}:2:5: SyntaxError: '(' was never closed"
    assert targets["broken.py"].position == (2, 5)


# -- the cache ----------------------------------------------------------------------------------------------
def test_the_cache_keeps_each_distribution_by_name_and_version(site, tmp_path):
    write(
        site,
        {
            "cached/__init__.py": "from cached.impl import thing\n",
            "cached/impl.py": "import keras\n",
            "cached-0.3.dist-info/METADATA": "Metadata-Version: 2.1\nName: cached\nVersion: 0.3\n",
        },
    )
    cache_file = tmp_path / "cache" / "imports.json"
    assert reach(tmp_path, "import cached\n", cache=FactsCache(str(cache_file))).verdict == "keras"
    Closure(FactsCache(str(cache_file))).save()  # nothing new: nothing written, nothing lost
    entry = json.loads(cache_file.read_text())["distributions"]["cached 0.3"]
    assert entry["modules"]["cached.impl"] == ["keras", [["keras", 0]]]
    # the same version is not read again: the cached answer stands even if the file changed
    (site / "cached" / "impl.py").write_text("import os\n")
    closure = Closure(FactsCache(str(cache_file)))
    assert closure.reach(str(tmp_path / "user.py")).verdict == "keras"
    assert Closure(NO_CACHE).reach(str(tmp_path / "user.py")).verdict == "none"  # --no-cache reads it
    # a new version is a new entry
    (site / "cached-0.3.dist-info").rename(site / "cached-0.4.dist-info")
    assert reach(tmp_path, "import cached\n", cache=FactsCache(str(cache_file))).verdict == "none"


def test_an_editable_install_is_never_cached(site, tmp_path):
    write(
        site,
        {
            "devpkg/__init__.py": "import keras\n",
            "devpkg-0.1.dist-info/METADATA": "Metadata-Version: 2.1\nName: devpkg\nVersion: 0.1\n",
            "devpkg-0.1.dist-info/direct_url.json": '{"url": "file:///src", "dir_info": {"editable": true}}',
        },
    )
    cache = FactsCache(str(tmp_path / "imports.json"))
    assert reach(tmp_path, "import devpkg\n", cache=cache).verdict == "keras"
    cache.save()
    document = json.loads((tmp_path / "imports.json").read_text()) if (tmp_path / "imports.json").exists() else {}
    assert not any(key.startswith("devpkg ") for key in document.get("distributions", {}))


def test_cache_location_honours_xdg_cache_home(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_path().startswith(str(tmp_path / "shapecheck") + "/")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_path().startswith(str(tmp_path / "home" / ".cache" / "shapecheck") + "/")


def test_a_corrupt_cache_is_ignored(site, tmp_path):
    cache_file = tmp_path / "imports.json"
    cache_file.write_text("{not json")
    cache = FactsCache(str(cache_file))
    assert reach(tmp_path, "import kerasy\n", cache=cache).verdict == "keras"


# -- what the reports say (no model is built: nothing here imports TensorFlow) ------------------------------
@pytest.fixture(scope="module")
def sarif_schema():
    return json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())


@pytest.mark.parametrize("where", ["command line", "folder"])
def test_a_syntax_error_is_one_line_and_exit_2_in_every_format(tmp_path, where, sarif_schema):
    jsonschema = pytest.importorskip("jsonschema")
    bad = tmp_path / "models" / "bad.py"
    write(tmp_path, {"models/bad.py": "import os\n\ndef build(:\n    pass\n", "models/utils.py": "import os\n"})
    line = f"{bad}:3:11: SyntaxError: invalid syntax"
    arg = str(bad) if where == "command line" else str(tmp_path / "models")
    results = {fmt: cli(arg, "--format", fmt) for fmt in ("table", "concise", "json", "github", "sarif")}
    for fmt, result in results.items():
        assert result.returncode == 2 and "Traceback" not in result.stderr, (fmt, result.stderr)
        assert f"shapecheck: error: {line}" in result.stderr.splitlines(), fmt
    assert line in results["concise"].stdout.splitlines()
    files = {f["path"]: f for f in json.loads(results["json"].stdout)["files"]}
    assert (files[str(bad)]["status"], files[str(bad)]["error"]) == ("error", line)
    assert f"::error file={bad},line=3,col=11,title=shapecheck::{line}" in results["github"].stdout.splitlines()
    sarif = json.loads(results["sarif"].stdout)
    jsonschema.validate(sarif, sarif_schema)
    (invocation,) = sarif["runs"][0]["invocations"]
    notification = next(n for n in invocation["toolExecutionNotifications"] if n["message"]["text"] == line)
    assert notification["level"] == "error" and not invocation["executionSuccessful"]
    assert notification["locations"][0]["physicalLocation"]["region"] == {"startLine": 3, "startColumn": 11}


def test_a_file_that_cannot_be_decided_is_said_in_every_format(tmp_path, sarif_schema):
    jsonschema = pytest.importorskip("jsonschema")
    viz = write(tmp_path, {"viz.py": "import os\nimport not_installed_xyz\n"}) / "viz.py"
    said = "cannot tell: imports `not_installed_xyz`, which is not installed here"
    results = {fmt: cli(str(viz), "--format", fmt) for fmt in ("table", "concise", "json", "github", "sarif")}
    assert {fmt: r.returncode for fmt, r in results.items()} == dict.fromkeys(results, 0)
    table = results["table"].stdout.splitlines()
    assert f"{viz}: skipped: {said}" in table
    assert (
        table[-1]
        == "No problems found in 1 file (0 models, 0 merges checked); 1 file undecided (cannot tell whether it builds a model)"
    )
    assert results["concise"].stdout.splitlines() == [f"{viz}: skipped: {said}"]
    document = json.loads(results["json"].stdout)
    (file,) = document["files"]
    assert (file["status"], file["undecided"], file["reason"]) == ("skipped", True, said)
    assert document["summary"]["undecided"] == 1
    assert results["github"].stdout.splitlines() == [f"::warning file={viz},title=shapecheck%3A not checked::{said}"]
    sarif = json.loads(results["sarif"].stdout)
    jsonschema.validate(sarif, sarif_schema)
    (invocation,) = sarif["runs"][0]["invocations"]
    assert [(n["level"], n["message"]["text"]) for n in invocation["toolExecutionNotifications"]] == [
        ("warning", f"{viz}: skipped: {said}")
    ]
    quiet = cli(str(viz), "--quiet").stdout.splitlines()
    assert f"{viz}: skipped: {said}" in quiet  # said even with --quiet


def test_a_folder_with_only_undecided_files_could_not_be_checked(tmp_path):
    write(tmp_path, {"viz.py": "import not_installed_xyz\n", "utils.py": "import os\n"})
    result = cli(str(tmp_path), "--format", "concise")
    assert result.returncode == 2
    assert result.stdout.splitlines() == [
        f"{tmp_path}: no model files here (*.py and *.ipynb that reach keras or tensorflow through their imports, *.keras, *.h5) (1 undecided)",
        f"{tmp_path / 'viz.py'}: skipped: cannot tell: imports `not_installed_xyz`, which is not installed here",
    ]


def test_the_cli_caches_in_xdg_cache_home_unless_no_cache(site, tmp_path):
    user = write(tmp_path, {"user.py": "import json\nimport extralib\n"}) / "user.py"
    cache_home = tmp_path / "xdg"
    env = {"XDG_CACHE_HOME": str(cache_home)}  # in this process: `site` is on its sys.path
    assert cli(str(user), "--no-cache", env=env).returncode == 0
    assert not cache_home.exists()
    assert cli(str(user), env=env).returncode == 0
    (written,) = (cache_home / "shapecheck").iterdir()
    assert "extralib 2.0" in json.loads(written.read_text())["distributions"]


def test_the_api_does_not_call_an_undecided_file_clean(tmp_path):
    import shapecheck

    viz = write(tmp_path, {"viz.py": "import not_installed_xyz\n"}) / "viz.py"
    report = shapecheck.check(str(viz))
    assert not report.ok and not report.errors
    assert report.undecided == [f"{viz}: cannot tell: imports `not_installed_xyz`, which is not installed here"]
    with pytest.raises(AssertionError, match="cannot tell"):
        shapecheck.assert_clean(str(viz))
    assert shapecheck.check(str(write(tmp_path, {"plain.py": "import os\n"}) / "plain.py")).ok


def test_null_bytes_and_bad_encodings_in_a_folder_are_errors_too(tmp_path):
    (tmp_path / "nul.py").write_bytes(b"import keras\nx = 1\x00\n")
    (tmp_path / "latin.py").write_bytes(b"import os\nname = 'caf\xe9'\n")
    (tmp_path / "fine.py").write_text("import os\n")
    result = cli(str(tmp_path), "--format", "concise")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    assert f"{tmp_path / 'latin.py'}:2:12: SyntaxError: not valid utf-8 (byte 0xe9: invalid continuation byte)" in lines
    assert f"{tmp_path / 'nul.py'}:2:6: SyntaxError: source code cannot contain null bytes" in lines
