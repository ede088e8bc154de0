"""The command line: formats, exit codes and one-line errors, through the console entry's
`cli.main` in this process (conftest.cli, typer's CliRunner); colour in a fresh process."""

from __future__ import annotations

import json

import pytest
from conftest import DATA, FIXTURES, cli
from typer.testing import CliRunner

from shapecheck import __version__
from shapecheck.cli import app

SEED001 = str(FIXTURES / "add_does_not_pad.py")


def invoke(*args):
    return CliRunner().invoke(app, list(args))


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0 and result.output.strip() == f"shapecheck {__version__}"


def test_missing_path_is_exit_2_with_one_line_and_no_traceback():
    result = cli("no/such/model.py")  # in this process: as a command, entry.py would start a zygote for a .py
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["shapecheck: error: no/such/model.py: no such file or directory"]
    assert result.stdout == ""


def test_syntax_error_does_not_import_tensorflow_or_trace():
    result = cli(str(DATA / "syntax_error.py"), "--format", "json")  # tests/tf_guard.py: no TensorFlow
    assert result.returncode == 2 and "Traceback" not in result.stderr
    document = json.loads(result.stdout)
    assert document["files"][0]["status"] == "error"


def test_bad_option_value_is_a_usage_error():
    result = invoke(SEED001, "--fail-on", "sometimes")
    assert result.exit_code == 2


@pytest.mark.slow
class TestOnSeed001:
    def test_table_lists_every_merge_and_the_summary(self):
        result = invoke(SEED001)
        assert result.exit_code == 1
        for text in ("no_zero_padding", "size_one_broadcasts", "mismatch", "SC101", "via build_model:15"):
            assert text in result.output
        last = result.output.strip().splitlines()[-1]
        assert last == "Found 1 error and 1 warning in 1 file (1 model, 3 merges checked)"

    def test_quiet_shows_findings_and_summary_only(self):
        result = invoke(SEED001, "--quiet")
        assert "size_one_broadcasts" not in result.output and "SC101" in result.output

    def test_json_document_follows_the_design(self):
        result = invoke(SEED001, "--format", "json")
        document = json.loads(result.stdout)
        assert set(document) == {"shapecheck", "schema_version", "files", "findings", "summary"}
        (file,) = document["files"]
        assert file["status"] == "findings" and file["error"] is None
        (model,) = file["models"]
        assert (model["name"], model["entry"], model["inputs"]) == ("seed001", "build_model", [[None, 56, 56, 64]])
        assert [m["verdict"] for m in model["merges"]] == ["mismatch", "broadcast", "broadcast"]
        assert model["merges"][0]["recovered"].startswith("build went on with (None, 56, 56, 256)")
        finding, warning = document["findings"]
        assert (warning["code"], warning["severity"], warning["layer"]) == ("SC201", "warning", "size_one_adds")
        assert finding["code"] == "SC101" and finding["severity"] == "error"
        assert finding["shapes"] == [[None, 56, 56, 256], [None, 56, 56, 64]]
        assert (finding["line"], finding["layer"], finding["call_chain"]) == (15, "no_zero_padding", ["build_model:15"])
        assert document["summary"] == {
            "files": 1,
            "models": 1,
            "merges": 3,
            "errors": 1,
            "warnings": 1,
            "infos": 0,
            "file_errors": 0,
            "not_swept": 0,
            "disputed": 0,
            "unconfirmed": 0,
            "undecided": 0,
            "no_model": 0,
        }
        assert (file["reason"], file["undecided"]) == ("imports keras", False)

    @pytest.mark.parametrize(
        "options, code",
        [
            ((), 1),
            (("--fail-on", "never"), 0),
            (("--select", "SC102"), 0),
            (("--ignore", "SC101"), 1),
            (("--ignore", "SC101", "--fail-on", "error"), 0),
            (("--ignore", "SC1,SC2"), 0),
            (("--fail-on", "error"), 1),
        ],
    )
    def test_exit_codes(self, options, code):
        assert invoke(SEED001, *options).exit_code == code

    def test_no_colour_when_piped_or_with_no_color(self):
        """In this process (CliRunner's stdout is not a terminal, as a pipe); test_toolchain's
        test_force_color_and_no_color asks fresh processes."""
        piped = cli(SEED001)
        assert piped.returncode == 1 and "\x1b[" not in piped.stdout
        forced = cli(SEED001, env={"FORCE_COLOR": "1"})
        assert "\x1b[" in forced.stdout
        refused = cli(SEED001, env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
        assert "\x1b[" not in refused.stdout


UNCHECKED = str(FIXTURES / "sweep_unchecked_op.py")


@pytest.mark.slow
class TestAPartialSweep:
    """An op the size sweep cannot follow: never a silent "ok", in any format."""

    def test_table_verdict_and_summary(self):
        result = invoke(UNCHECKED)
        assert result.exit_code == 1  # the SC104 Keras found past the op the sweep cannot follow
        assert "Keras was run at" in result.output
        last = result.output.strip().splitlines()[-1]
        assert last == "Found 1 error and 1 info in 1 file (1 model, 2 merges checked, 1 merge not swept)"

    def test_json_status_is_partial(self):
        document = json.loads(invoke(UNCHECKED, "--format", "json").stdout)
        (file,) = document["files"]
        assert (file["status"], file["not_swept"]) == ("partial", 1)
        verdicts = {m["layer"]: m["verdict"] for m in file["models"][0]["merges"]}
        assert verdicts == {"add": "ok", "concatenate": "sizes"}
        assert document["summary"]["not_swept"] == 1
        assert [(f["code"], f["name"], f["severity"]) for f in document["findings"]] == [
            ("SC002", "sweep-incomplete", "info"),
            ("SC104", "size-dependent-mismatch", "error"),
        ]

    @pytest.mark.parametrize(
        "fmt, text",
        [
            ("concise", "sweep_unchecked_op.py:20:15: SC002 the size sweep cannot follow ExtractPatches"),
            ("github", "::notice file="),
            ("sarif", '"ruleId": "SC002"'),
        ],
    )
    def test_machine_formats_carry_the_note(self, fmt, text):
        assert text in invoke(UNCHECKED, "--format", fmt).stdout

    def test_fail_on_info_fails_on_it(self):
        assert invoke(UNCHECKED, "--fail-on", "info").exit_code == 1
