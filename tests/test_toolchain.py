"""The tool chain: output formats, --output, --exit-zero, the console entry, configuration,
inline suppressions, baselines, the Python API and -j. Format tests read a saved-model
config, whose SC101 fix Keras builds (so they import TensorFlow, and are slow); the others
build small models. Where the process is not the point, the command runs in this process
(conftest.cli): TensorFlow is imported once, not once a command."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import DATA, FIXTURES, ROOT, checkout_env, cli, finding_lines, imported_shapecheck, run_cli
from test_saved_models import functional_config

SEED001 = str(FIXTURES / "add_does_not_pad.py")


@pytest.fixture()
def mismatch_json(tmp_path) -> Path:
    """A saved model config with one SC101 (16 vs 4 channels at an Add): checked without Keras."""
    path = tmp_path / "mismatch.json"
    path.write_text(json.dumps(functional_config()))
    return path


# -- console entry --------------------------------------------------------------------------------
@pytest.mark.parametrize("raised", ["RuntimeError('boom')", "KeyboardInterrupt()", "BrokenPipeError()"])
def test_anything_escaping_is_exit_2_with_one_line(raised, mismatch_json):
    code = (
        "import sys, shapecheck.runner as r\n"
        f"def explode(*a, **k): raise {raised}\n"
        "r.check_paths = explode\n"
        f"sys.argv = ['shapecheck', {str(mismatch_json)!r}]\n"
        "from shapecheck.cli import main; main()\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 1


# -- formats ----------------------------------------------------------------------------------------
@pytest.mark.slow
def test_concise_is_one_line_per_finding_and_nothing_else(mismatch_json):
    result = cli(str(mismatch_json), "--format", "concise")
    assert result.returncode == 1
    (line,) = finding_lines(result.stdout)
    assert re.match(rf"{re.escape(str(mismatch_json))}: SC101 Add 'add' cannot merge .* \[tiny/add\]$", line)


@pytest.mark.slow
def test_concise_on_a_builder_gives_path_line_col():
    result = cli("fixtures/add_does_not_pad.py", "fixtures/trains_at_import.py", "--format", "concise")
    lines = finding_lines(result.stdout)
    assert lines and all(re.match(r"^fixtures/add_does_not_pad\.py:\d+:\d+: SC\d{3} ", l) for l in lines), lines
    assert "fixtures/trains_at_import.py: note: not run: " in result.stderr  # notes go to stderr


@pytest.mark.slow
def test_github_annotations(mismatch_json):
    result = cli(str(mismatch_json), "--format", "github")
    (line,) = result.stdout.splitlines()
    assert line.startswith(f"::error file={mismatch_json},title=SC101 channel-mismatch::Add 'add' cannot merge")


def test_github_escapes_properties_and_data():
    from shapecheck.report.github import annotation
    from shapecheck.rules import Finding, Severity

    f = Finding("SC201", "silent-broadcast", Severity.WARNING, "50%\nnext", "a,b:c.py", 3, 7, "m", "add")
    assert annotation(f) == "::warning file=a%2Cb%3Ac.py,line=3,col=7,title=SC201 silent-broadcast::50%25%0Anext"


@pytest.fixture(scope="module")
def sarif_schema():
    return json.loads((DATA / "sarif-schema-2.1.0.json").read_text())


@pytest.mark.slow
def test_sarif_validates_against_the_official_schema(mismatch_json, sarif_schema):
    jsonschema = pytest.importorskip("jsonschema")
    result = cli(str(mismatch_json), "--format", "sarif")
    document = json.loads(result.stdout)  # nothing but the document on stdout
    jsonschema.validate(document, sarif_schema)
    run = document["runs"][0]
    codes = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert {"SC101", "SC104", "SC203", "SC301"} <= set(codes)
    assert all(rule["help"]["text"].startswith(rule["id"]) for rule in run["tool"]["driver"]["rules"])
    (finding,) = run["results"]
    assert finding["ruleId"] == "SC101" and codes[finding["ruleIndex"]] == "SC101"
    assert finding["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "tiny/add"


@pytest.mark.slow
def test_sarif_of_a_builder_has_physical_locations(sarif_schema, tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    out = tmp_path / "report.sarif"
    result = cli("fixtures/add_does_not_pad.py", "--format", "sarif", "--output", str(out), env={"NO_COLOR": "1"})
    assert result.returncode == 1
    assert "model seed001" in result.stdout or "Found 1 error" in result.stdout  # the table still printed
    document = json.loads(out.read_text())
    jsonschema.validate(document, sarif_schema)
    regions = [r["locations"][0]["physicalLocation"] for r in document["runs"][0]["results"]]
    assert [(p["artifactLocation"]["uri"], p["region"]["startLine"]) for p in regions] == [
        ("fixtures/add_does_not_pad.py", 15),
        ("fixtures/add_does_not_pad.py", 18),
    ]


@pytest.mark.slow
def test_output_writes_json_while_the_table_goes_to_the_terminal(mismatch_json, tmp_path):
    out = tmp_path / "report.json"
    result = cli(str(mismatch_json), "--format", "json", "--output", str(out))
    assert result.returncode == 1
    assert "Found 1 error" in result.stdout
    assert json.loads(out.read_text())["summary"]["errors"] == 1


@pytest.mark.slow
def test_output_to_an_unwritable_place_is_exit_2(mismatch_json, tmp_path):
    result = cli(str(mismatch_json), "--format", "json", "--output", str(tmp_path / "missing" / "r.json"))
    assert result.returncode == 2 and result.stderr.startswith("shapecheck: error: --output")


@pytest.mark.slow
def test_exit_zero_keeps_2_for_what_could_not_be_checked(mismatch_json, tmp_path):
    assert cli(str(mismatch_json), "--exit-zero").returncode == 0
    assert cli(str(tmp_path / "nope.keras"), "--exit-zero").returncode == 2


@pytest.mark.slow
def test_force_color_and_no_color(mismatch_json):  # a fresh process each: colour is decided for the process
    assert "\x1b[" in run_cli(str(mismatch_json), env={"FORCE_COLOR": "1"}).stdout
    assert "\x1b[" not in run_cli(str(mismatch_json), env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout


# -- configuration ------------------------------------------------------------------------------------------
def project(tmp_path: Path, toml: str, config: dict | None = None) -> Path:
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent(toml))
    models = tmp_path / "models"
    models.mkdir(exist_ok=True)
    (models / "tiny.json").write_text(json.dumps(config or functional_config()))
    return models / "tiny.json"


@pytest.mark.slow
def test_config_is_found_walking_up_from_the_checked_path(tmp_path):
    path = project(
        tmp_path,
        """
        [tool.shapecheck]
        ignore = ["SC101"]
    """,
    )
    assert cli(str(path)).returncode == 0
    assert cli(str(path), "--config", str(ROOT / "pyproject.toml")).returncode == 1  # --config wins


@pytest.mark.slow
def test_per_file_ignores_and_fail_on(tmp_path):
    path = project(
        tmp_path,
        """
        [tool.shapecheck]
        fail-on = "never"
        [tool.shapecheck.per-file-ignores]
        "models/other*.json" = ["SC1"]
    """,
    )
    result = cli(str(path), "--format", "concise")
    assert result.returncode == 0 and "SC101" in result.stdout  # reported, not failing
    (tmp_path / "pyproject.toml").write_text('[tool.shapecheck.per-file-ignores]\n"models/tiny.json" = ["SC1"]\n')
    result = cli(str(path), "--format", "concise")
    assert result.returncode == 0 and result.stdout == ""


@pytest.mark.parametrize(
    "toml, named",
    [
        ('[tool.shapecheck]\nselct = ["SC1"]\n', "selct"),
        ('[tool.shapecheck]\nfail-on = "sometimes"\n', "fail-on"),
        ('[tool.shapecheck.entries]\n"m.py" = [{ function = "b", argz = {} }]\n', "argz"),
        ("[tool.shapecheck\n", "invalid TOML"),
    ],
)
def test_bad_config_is_exit_2_naming_the_key(tmp_path, toml, named):
    path = project(tmp_path, toml)
    result = run_cli(str(path))
    assert result.returncode == 2 and named in result.stderr and len(result.stderr.strip().splitlines()) == 1


BUILDER = """
import keras
from keras import layers


def build(channels, input_shape=(32, 32, 8)):
    inputs = keras.Input(input_shape)
    x = layers.Conv2D(channels, 1)(inputs)
    return keras.Model(inputs, layers.Add()([x, inputs]))
"""


@pytest.mark.slow
def test_config_entries_call_a_builder_with_arguments_and_sizes(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "net.py").write_text(BUILDER)
    (tmp_path / "pyproject.toml").write_text(
        textwrap.dedent("""
        [tool.shapecheck]
        sizes = "8:64"
        timeout = 60
        [tool.shapecheck.entries]
        "models/net.py" = [{ function = "build", args = { channels = 16 } }]
    """)
    )
    result = run_cli("models/net.py", "--format", "json", cwd=tmp_path)
    document = json.loads(result.stdout)
    assert [f["code"] for f in document["findings"]] == ["SC101"], result.stderr
    assert "needs arguments" not in json.dumps(document["files"][0]["not_called"])


@pytest.mark.slow
def test_config_sizes_and_timeout_reach_the_run(tmp_path):
    (tmp_path / "stem.py").write_text((FIXTURES / "stem_two_branch.py").read_text())
    (tmp_path / "hangs.py").write_text((DATA / "hangs.py").read_text())
    (tmp_path / "pyproject.toml").write_text('[tool.shapecheck]\nsizes = "8:64"\ntimeout = 2\n')
    result = cli(str(tmp_path / "stem.py"), "--format", "concise")  # the config found walking up from the file
    assert "tried H and W over 8..64" in result.stdout and "9×9" in result.stdout, result.stdout
    result = cli(str(tmp_path / "hangs.py"))
    assert result.returncode == 2 and "timed out after 2 s" in result.stderr, result.stderr


# -- suppressions -------------------------------------------------------------------------------------------
SUPPRESSED = """
import keras
from keras import layers


def build_model():
    inputs = keras.Input((16, 16, 8))
    one = layers.Conv2D(1, 1)(inputs)
    a = layers.Add()([inputs, one])  # shapecheck: ignore[SC201]
    b = layers.Add()([inputs, one])  # shapecheck: ignore
    c = layers.Add()([inputs, one])  # shapecheck: ignore[SC101]
    d = layers.Add()([inputs, one])
    note = "# shapecheck: ignore"
    e = layers.Conv2D(8, 1)(inputs)  # shapecheck: ignore
    return keras.Model(inputs, [a, b, c, d, e])
"""


@pytest.mark.slow
def test_inline_suppressions_and_unused_ones(tmp_path, checked):
    path = tmp_path / "suppressed.py"
    path.write_text(SUPPRESSED)
    run = checked(str(path))
    assert [(f.code, f.line) for f in run.findings] == [("SC201", 11), ("SC201", 12)]
    run = checked(str(path), warn_unused_ignores=True)
    assert [(f.code, f.line) for f in run.findings] == [("SC201", 11), ("SC001", 11), ("SC201", 12), ("SC001", 14)]


# -- baseline -------------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_snapshot_then_only_new_findings_fail(tmp_path):
    path = project(tmp_path, "[tool.other]\n")
    baseline = tmp_path / "baseline.json"
    result = cli("snapshot", str(path), "--baseline", str(baseline))
    assert result.returncode == 0 and "wrote 1 finding" in result.stdout
    assert cli(str(path), "--baseline", str(baseline)).returncode == 0
    config = functional_config()
    config["config"]["layers"][2]["name"] = config["config"]["layers"][2]["config"]["name"] = "renamed_add"
    config["config"]["output_layers"] = [["renamed_add", 0, 0]]
    path.write_text(json.dumps(config))
    result = cli(str(path), "--baseline", str(baseline), "--format", "concise")
    assert result.returncode == 1 and "'renamed_add'" in result.stdout
    assert cli(str(path), "--baseline", str(tmp_path / "none.json")).returncode == 2


# -- pre-commit --------------------------------------------------------------------------------------------------
def test_an_ordinary_module_is_skipped_without_importing_tensorflow(tmp_path):
    plain = tmp_path / "utils.py"
    plain.write_text("def add(a, b):\n    return a + b\n")
    code = (
        "import sys\nfrom shapecheck.runner import check_paths\n"
        f"run = check_paths([{str(plain)!r}])\n"
        "assert [f.status for f in run.files] == ['skipped'] and not run.undecided, run.files\n"
        "assert not {'tensorflow', 'keras', 'numpy'} & set(sys.modules), 'heavy imports'\n"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT).returncode == 0
    result = cli(str(plain))  # in this process: as a command, entry.py would start a zygote for a .py
    assert result.returncode == 0


def git(*args, cwd):
    subprocess.run(
        ["git", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        env={
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@t",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@t",
            "HOME": str(cwd),
            "PATH": "/usr/bin:/bin",
        },
    )


def pre_commit_repo(tmp_path) -> tuple[Path, Path]:
    """pre-commit's executable and a new git repository (skips when pre-commit is not installed)."""
    pre_commit = Path(sys.executable).with_name("pre-commit")
    if not pre_commit.exists():
        pytest.skip("pre-commit is not installed (pip install -e '.[test]')")
    repo = tmp_path / "repo"
    repo.mkdir()
    git("init", "-q", cwd=repo)
    return pre_commit, repo


@pytest.mark.slow
def test_pre_commit_hook_fails_on_a_mismatch_and_passes_on_a_clean_model(tmp_path):
    pre_commit, repo = pre_commit_repo(tmp_path)
    for name in ("add_does_not_pad.py", "resnets_dynamic_clean.py"):
        (repo / name).write_text((FIXTURES / name).read_text())
    (repo / "utils.py").write_text("X = 1\n")
    git("add", ".", cwd=repo)
    env = checkout_env(
        {
            "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "HOME": str(tmp_path),
            "PRE_COMMIT_HOME": str(tmp_path / "cache"),
            "NO_COLOR": "1",
        }
    )
    assert imported_shapecheck(env, repo) == ROOT / "shapecheck"  # the hook's `shapecheck` is this checkout's

    def hook(*files):
        return subprocess.run(
            [str(pre_commit), "try-repo", str(ROOT), "shapecheck-system", "--files", *files],
            cwd=repo,
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )

    failing = hook("add_does_not_pad.py", "utils.py")
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "SC101" in failing.stdout
    passing = hook("resnets_dynamic_clean.py", "utils.py")
    assert passing.returncode == 0, passing.stdout + passing.stderr


def test_the_documented_pre_commit_config_uses_hooks_the_manifest_offers():
    yaml = pytest.importorskip("yaml")
    offered = {hook["id"] for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert offered == {"shapecheck", "shapecheck-system"}
    documented = yaml.safe_load((ROOT / "docs" / "pre-commit-config.yaml").read_text())
    used = {hook["id"] for repo in documented["repos"] for hook in repo["hooks"]}
    assert used <= offered
    manifest = {hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert all(h["require_serial"] for h in manifest.values())
    assert manifest["shapecheck"]["language"] == "python" and manifest["shapecheck-system"]["language"] == "unsupported"


# -- CI gate -----------------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_the_documented_github_workflow_gates_a_pull_request(tmp_path, sarif_schema):
    """Run the workflow's own shell steps in a git repository shaped like a pull request."""
    yaml = pytest.importorskip("yaml")
    jsonschema = pytest.importorskip("jsonschema")
    steps = {
        s.get("name"): s
        for s in yaml.safe_load((ROOT / "docs" / "github-actions.yml").read_text())["jobs"]["shapecheck"]["steps"]
    }
    repo = tmp_path / "repo"
    repo.mkdir()
    git("init", "-q", "-b", "main", cwd=repo)
    (repo / "README.md").write_text("models\n")
    git("add", ".", cwd=repo)
    git("commit", "-qm", "base", cwd=repo)
    git("update-ref", "refs/remotes/origin/main", "main", cwd=repo)
    git("checkout", "-qb", "pr", cwd=repo)
    (repo / "seed001.py").write_text(Path(SEED001).read_text())
    git("add", ".", cwd=repo)
    git("commit", "-qm", "a model", cwd=repo)
    env = checkout_env(
        {
            "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "GITHUB_BASE_REF": "main",
            "GITHUB_OUTPUT": str(tmp_path / "output"),
            "HOME": str(tmp_path),
            "NO_COLOR": "1",
        }
    )
    assert imported_shapecheck(env, repo) == ROOT / "shapecheck"  # the step's `shapecheck` is this checkout's
    for name in ("Changed model files", "shapecheck"):
        result = subprocess.run(
            ["bash", "-e", "-c", steps[name]["run"]], cwd=repo, env=env, capture_output=True, text=True
        )
        if name == "Changed model files":
            assert result.returncode == 0, result.stderr
            assert (tmp_path / "output").read_text() == "count=1\n"
    assert result.returncode == 1, result.stderr  # the gate fails on the mismatch
    document = json.loads((repo / "shapecheck.sarif").read_text())
    jsonschema.validate(document, sarif_schema)
    assert [r["ruleId"] for r in document["runs"][0]["results"]] == ["SC101", "SC201"]
    page = (repo / "shapecheck.html").read_text()  # the artifact beside the SARIF
    assert page.count('<article class="finding') == 2 and "✗ channels 256 vs 64" in page
    assert steps["Upload HTML report"]["with"]["path"] == "shapecheck.html"


def _action_env(step: dict, inputs: dict, outputs: dict, env: dict) -> dict:
    """A composite step's `env:` as the runner would set it: ${{ inputs.x }} and ${{ steps.id.outputs.y }}."""

    def value(text):
        def one(match):
            scope, _, rest = match.group(1).strip().partition(".")
            if scope == "inputs":
                return inputs[rest]
            if scope == "steps":
                step_id, _, output = rest.partition(".outputs.")
                return outputs.get(step_id, {}).get(output, "")
            raise AssertionError(f"an expression the test does not know: {match.group(0)}")

        return re.sub(r"\$\{\{(.*?)\}\}", one, str(text))

    return {**env, **{k: value(v) for k, v in (step.get("env") or {}).items()}}


@pytest.mark.slow
def test_the_reusable_action_checks_the_changed_model_files_and_writes_sarif(tmp_path, sarif_schema):
    """Run action.yml's own shell steps (not its `uses:` steps) in a repository shaped like a pull
    request, with shapecheck installed by the action's install step into a fresh virtualenv."""
    yaml = pytest.importorskip("yaml")
    jsonschema = pytest.importorskip("jsonschema")
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    assert [s["uses"].split("@")[0] for s in steps if "uses" in s] == [
        "actions/setup-python",
        "github/codeql-action/upload-sarif",
    ]
    for step in steps:  # inputs reach the shell through the environment only
        assert "${{" not in step.get("run", ""), step.get("name")
    inputs = {name: spec.get("default", "") for name, spec in action["inputs"].items()}
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    inputs.update(install=str(ROOT), **{"pip-args": "--no-deps --no-build-isolation --quiet"})
    repo = tmp_path / "repo"
    repo.mkdir()
    git("init", "-q", "-b", "main", cwd=repo)
    (repo / "README.md").write_text("models\n")
    (repo / "old_model.py").write_text(Path(SEED001).read_text())  # on the base branch: not checked
    git("add", ".", cwd=repo)
    git("commit", "-qm", "base", cwd=repo)
    git("update-ref", "refs/remotes/origin/main", "main", cwd=repo)
    git("checkout", "-qb", "pr", cwd=repo)
    (repo / "seed001.py").write_text(Path(SEED001).read_text())
    (repo / "notes.txt").write_text("not a model\n")
    git("add", ".", cwd=repo)
    git("commit", "-qm", "a model", cwd=repo)
    base_env = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "GITHUB_BASE_REF": "main",
        "HOME": str(tmp_path),
        "NO_COLOR": "1",
        "RUNNER_TEMP": str(tmp_path),
        "PIP_NO_INDEX": "1",
    }
    outputs: dict = {}
    for step in steps:
        if "uses" in step:
            continue
        output_file = tmp_path / f"output-{len(outputs)}"
        output_file.write_text("")
        env = {**_action_env(step, inputs, outputs, base_env), "GITHUB_OUTPUT": str(output_file)}
        result = subprocess.run(
            ["bash", "-e", "-c", step["run"]], cwd=repo, env=env, capture_output=True, text=True, timeout=600
        )
        outputs[step.get("id", step["name"])] = dict(
            line.split("=", 1) for line in output_file.read_text().splitlines()
        )
        if step["name"] == "Fail on findings":
            assert result.returncode == 1, result.stderr  # the gate fails on the mismatch
        else:
            assert result.returncode == 0, (step["name"], result.stdout, result.stderr)
    installed = imported_shapecheck(base_env, repo)  # what the install step put into the virtualenv: this checkout
    assert installed.is_relative_to(venv), installed
    sources = {p.relative_to(ROOT / "shapecheck"): p.read_bytes() for p in (ROOT / "shapecheck").rglob("*.py")}
    assert {p.relative_to(installed): p.read_bytes() for p in installed.rglob("*.py")} == sources
    assert outputs["changed"]["count"] == "1"
    assert Path(outputs["changed"]["list"]).read_text() == "seed001.py\n"
    assert outputs["check"]["exit-code"] == "1"
    document = json.loads((repo / "shapecheck.sarif").read_text())
    jsonschema.validate(document, sarif_schema)
    assert [r["ruleId"] for r in document["runs"][0]["results"]] == ["SC101", "SC201"]
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif"))
    assert upload["with"]["sarif_file"] == "${{ inputs.sarif-file }}" and inputs["sarif-file"] == "shapecheck.sarif"


# -- Python API ---------------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_api_on_paths_and_on_model_objects():
    import keras
    from keras import layers

    import shapecheck

    report = shapecheck.check(SEED001)
    assert not report.ok and [f.code for f in report.findings] == ["SC101", "SC201"]
    assert shapecheck.check(SEED001, fail_on="never").ok
    inputs = keras.Input((None, None, 3))
    conv = layers.Conv2D(8, 3, strides=2, padding="same")(inputs)
    pool = layers.MaxPooling2D(2)(layers.Conv2D(8, 1)(inputs))
    model = keras.Model(inputs, layers.Concatenate()([conv, pool]))
    report = shapecheck.check(model)
    assert [f.code for f in report.findings] == ["SC104"] and "fails for odd H or W" in report.findings[0].message
    with pytest.raises(AssertionError, match="SC104"):
        shapecheck.assert_clean(model)
    assert shapecheck.assert_clean(model, fail_on="never").ok


CLEAN_STEM = """
import keras
from keras import layers


def build_stem(input_shape=(None, None, 3)):
    inputs = keras.Input(input_shape)
    conv = layers.Conv2D(16, 3, strides=2, padding="same")(inputs)
    pool = layers.MaxPooling2D(2, padding="same")(layers.Conv2D(16, 1)(inputs))
    return keras.Model(inputs, layers.Concatenate()([conv, pool]))
"""


@pytest.mark.slow
def test_the_documented_pytest_example_passes_and_fails_as_it_should(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    (models / "__init__.py").write_text("")
    (models / "stem.py").write_text(CLEAN_STEM)
    (models / "resnet.py").write_text(
        (FIXTURES / "resnets_dynamic_clean.py").read_text().split("def build_keras_resnets")[0]
    )
    (tmp_path / "test_shapes.py").write_text((ROOT / "docs" / "test_models_example.py").read_text())

    env = checkout_env({"PATH": "/usr/bin:/bin", "COLUMNS": "160", "HOME": str(tmp_path)})
    assert imported_shapecheck(env, tmp_path, python=sys.executable) == ROOT / "shapecheck"  # the example's import

    def pytest_run():
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_shapes.py"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
            env=env,
        )

    passing = pytest_run()
    assert passing.returncode == 0, passing.stdout[-3000:]
    (models / "resnet.py").write_text((FIXTURES / "add_does_not_pad.py").read_text())
    failing = pytest_run()
    assert failing.returncode == 1
    assert "SC101" in failing.stdout and "no_zero_padding" in failing.stdout  # the table, on failure


# -- parallel ---------------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_parallel_workers_give_the_same_report_in_the_same_order():
    files = [str(FIXTURES / n) for n in ("stem_two_branch.py", "add_does_not_pad.py", "square_only_shortcut.py")]
    serial = cli(*files, "--format", "json")
    parallel = cli(*files, "--format", "json", "-j", "2")
    assert parallel.returncode == serial.returncode == 1, parallel.stderr
    assert json.loads(parallel.stdout) == json.loads(serial.stdout)


# The pages that quote docs/pre-commit-config.yaml, docs/github-actions.yml and
# docs/test_models_example.py are checked against those files in tests/test_docs.py.
