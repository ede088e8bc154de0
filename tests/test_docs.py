"""The documentation: the site's pages and navigation, the rule pages generated from the
rules' docstrings (their examples checked with shapecheck), the README's entry points, and the
JSON report's contract (its JSON Schema, against the report of every fixture)."""

from __future__ import annotations

import importlib.resources
import json
import re
import subprocess
import sys

import pytest
from conftest import FIXTURES, ROOT, cli, run_cli
from test_fixtures import FIXTURE_FILES

from shapecheck.rules import all_rules

DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS))

import rule_pages  # noqa: E402  (docs/rule_pages.py: the rule pages)

SETUP_COMMANDS = (
    "python -m pip install -e . && shapecheck fixtures/",
    "python -m pip install -e '.[test]' && python -m pytest",
)


# -- the JSON report's schema -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def report_schema() -> dict:
    jsonschema = pytest.importorskip("jsonschema")
    text = importlib.resources.files("shapecheck.report").joinpath("schema/report.schema.json").read_text()
    schema = json.loads(text)
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def test_the_schema_ships_with_the_package_and_versions_the_document(report_schema):
    from shapecheck.report.json_report import SCHEMA_VERSION

    assert re.fullmatch(report_schema["properties"]["schema_version"]["pattern"], SCHEMA_VERSION)
    assert re.fullmatch(r"\d+\.\d+\.\d+", SCHEMA_VERSION)
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"report/schema/*.json"' in pyproject and '"py.typed"' in pyproject
    assert (ROOT / "shapecheck" / "py.typed").exists()


@pytest.mark.slow
def test_a_saved_config_report_validates_and_says_its_version(tmp_path, report_schema):
    """A saved config with an SC101 (its fix built by Keras: TensorFlow is imported), a file
    that is skipped, a file in error."""
    import jsonschema
    from test_saved_models import functional_config

    (tmp_path / "mismatch.json").write_text(json.dumps(functional_config()))
    (tmp_path / "broken.py").write_text("def f(:\n")
    (tmp_path / "plain.py").write_text("import pandas_not_here\n")
    result = cli(
        str(tmp_path / "mismatch.json"), str(tmp_path / "broken.py"), str(tmp_path / "plain.py"), "--format", "json"
    )
    assert result.returncode == 2, result.stderr
    document = json.loads(result.stdout)
    jsonschema.validate(document, report_schema)
    assert document["schema_version"] == "2.0.0" and document["shapecheck"]
    assert {f["status"] for f in document["files"]} == {"findings", "error", "skipped"}
    assert [f["code"] for f in document["findings"]] == ["SC101"]


def test_the_schema_requires_the_documented_keys_and_refuses_a_wrong_status(report_schema):
    import jsonschema

    document = {
        "shapecheck": "0",
        "schema_version": "2.0.0",
        "files": [],
        "findings": [],
        "summary": {k: 0 for k in report_schema["$defs"]["summary"]["required"]},
    }
    jsonschema.validate(document, report_schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**document, "schema_version": "3.0.0"}, report_schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({k: v for k, v in document.items() if k != "summary"}, report_schema)
    file = {
        "path": "m.py",
        "status": "maybe",
        "error": None,
        "reason": None,
        "undecided": False,
        "notes": [],
        "not_called": [],
        "not_swept": 0,
        "models": [],
    }
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**document, "files": [file]}, report_schema)
    jsonschema.validate({**document, "files": [{**file, "status": "ok", "a_later_key": 1}]}, report_schema)


@pytest.mark.slow
@pytest.mark.parametrize("fixture", FIXTURE_FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_the_json_report_of_every_fixture_validates(fixture, checked, report_schema):
    import jsonschema

    from shapecheck.report import json_report

    document = json.loads(json_report.render(checked(str(fixture))))
    jsonschema.validate(document, report_schema)


# -- packaging: one version, the licence, the changelog -------------------------------------------------------------
def test_the_version_is_written_once_and_the_changelog_names_it():
    import tomllib

    import shapecheck

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"] and pyproject["project"]["dynamic"] == ["version"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "shapecheck.__version__"}
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"shapecheck {shapecheck.__version__}"
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in changelog and f"## [{shapecheck.__version__}]" in changelog
    assert (ROOT / "LICENSE").read_text().startswith("MIT License\n\nCopyright (c) 2026 the shapecheck authors")
    assert "License :: OSI Approved :: MIT License" in pyproject["project"]["classifiers"]


def test_the_installed_keras_is_within_the_bound_capture_is_written_for():
    """capture/ hooks into keras.src internals: pyproject bounds Keras to the versions tested."""
    import importlib.metadata
    import tomllib

    requirements = pytest.importorskip("packaging.requirements")
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    keras = next(requirements.Requirement(r) for r in pyproject["project"]["dependencies"] if r.startswith("keras"))
    assert any(spec.operator == "<" for spec in keras.specifier), "an upper bound on keras"
    assert keras.specifier.contains(importlib.metadata.version("keras"))


# -- rule pages ---------------------------------------------------------------------------------------------------
def test_every_rule_has_its_page_and_a_row_in_the_index():
    pages = rule_pages.pages()
    assert sorted(pages) == sorted(f"rules/{r.code}.md" for r in all_rules())
    table = rule_pages.rules_table()
    for rule in all_rules():
        page = pages[f"rules/{rule.code}.md"]
        assert page.startswith(f"# {rule.code} {rule.name}\n")
        for heading in (
            "## What it does",
            "## Why is this bad?",
            "## Example",
            "## Use instead",
            "## The example, checked",
        ):
            assert f"\n{heading}\n" in page, (rule.code, heading)
        assert f"| [{rule.code}]({rule.code}.md) | {rule.name} | {rule.severity.label} |" in table
    assert rule_pages.MARKER in (DOCS / "rules" / "index.md").read_text()


# -- the site -----------------------------------------------------------------------------------------------------
def _nav_pages() -> set[str]:
    yaml = pytest.importorskip("yaml")
    text = (ROOT / "mkdocs.yml").read_text()
    pages = set()

    def walk(entry):
        if isinstance(entry, str):
            pages.add(entry)
        elif isinstance(entry, list):
            for item in entry:
                walk(item)
        elif isinstance(entry, dict):
            for value in entry.values():
                walk(value)

    walk(yaml.safe_load(re.sub(r"!!python\S*", "", text))["nav"])
    return pages


def test_every_page_is_in_the_navigation():
    written = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    assert written == _nav_pages()


def test_the_site_builds_strictly(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("material")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**__import__("os").environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    for rule in all_rules():
        assert (tmp_path / "site" / "rules" / rule.code / "index.html").exists(), rule.code
    assert not (ROOT / "site").exists()


# -- README ------------------------------------------------------------------------------------------------------
def test_readme_is_short_keeps_the_two_set_up_commands_and_links_into_the_docs():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 200
    for command in SETUP_COMMANDS:
        assert f"\n{command}\n" in readme, command
    assert (ROOT / ".ci" / "run").read_text().count(SETUP_COMMANDS[1]) == 1  # CI runs the README's command
    links = re.findall(r"\]\(((?!https?:|#)[^)#]+)(?:#[^)]*)?\)", readme)
    assert any(link.startswith("docs/") for link in links)
    for link in links:
        assert (ROOT / link).exists(), link


def test_docs_pages_quote_the_tested_files():
    """The snippets shown on the pages are the files the tool-chain tests run."""
    for page, name in (
        ("pre-commit.md", "pre-commit-config.yaml"),
        ("ci.md", "github-actions.yml"),
        ("python-api.md", "test_models_example.py"),
    ):
        assert (DOCS / name).read_text().rstrip("\n") in (DOCS / page).read_text(), name


# -- the pages' `$ shapecheck ...` examples ----------------------------------------------------------------------
FINDING = re.compile(r"^(?P<where>\S+?:(?:cell \d+:)?\d+:\d+): (?P<code>SC\d{3}) ", re.M)


def _examples() -> list[tuple[str, str, str]]:
    """(page, args, printed output) of every `$ shapecheck ARGS` block of the README and docs/*.md."""
    from refresh_readme_examples import BLOCK, documents

    return [
        (path.relative_to(ROOT).as_posix(), match.group("args"), match.group("out"))
        for path in documents([])
        for match in BLOCK.finditer(path.read_text(encoding="utf-8"))
    ]


def test_the_pages_show_examples():
    pages = {page for page, _, _ in _examples()}
    assert {"README.md", "docs/sweep.md", "docs/fixes.md", "docs/examples.md", "docs/capture.md"} <= pages


@pytest.mark.slow
@pytest.mark.parametrize("page, args, printed", _examples(), ids=lambda value: value if len(value) < 80 else "")
def test_an_example_reports_the_findings_the_page_shows(page, args, printed):
    """Each finding a page shows (path:line:col: CODE) is what the command reports today; the
    wording is kept current by `python docs/refresh_readme_examples.py`."""
    import shlex

    result = cli(*shlex.split(args), env={"COLUMNS": "160"})  # in this process, in the repository's folder
    shown = sorted(FINDING.findall(printed))
    assert shown == sorted(FINDING.findall(result.stdout + result.stderr)), (page, args)
