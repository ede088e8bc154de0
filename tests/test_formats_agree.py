"""Every output format says what the JSON says, on every fixture: the same findings by code,
and every loud note (Keras disagreeing with the shape algebra, or not asked) in each. The
report carries the analysis; no reporter computes a verdict of its own."""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from html import escape

import pytest
from conftest import FIXTURES
from test_fixtures import FIXTURE_FILES


def rendered(run) -> dict[str, str]:
    from shapecheck.report import concise, github, html, json_report, sarif, table

    buffer = io.StringIO()
    table.render(run, table.make_console(file=buffer, width=400))
    return {
        "json": json_report.render(run),
        "concise": concise.render(run),
        "github": github.render(run),
        "sarif": sarif.render(run),
        "table": buffer.getvalue(),
        "html": html.render(run),
    }


def codes_in(fmt: str, text: str) -> Counter:
    if fmt == "json":
        return Counter(f["code"] for f in json.loads(text)["findings"])
    if fmt == "sarif":
        return Counter(r["ruleId"] for r in json.loads(text)["runs"][0]["results"])
    if fmt == "concise":
        return Counter(m.group(1) for m in re.finditer(r"^\S.*?: (SC\d{3}) ", text, re.M))
    if fmt == "github":
        return Counter(m.group(1) for m in re.finditer(r"^::\w+ .*?title=(SC\d{3})", text, re.M))
    if fmt == "table":
        return Counter(m.group(1) for m in re.finditer(r": (SC\d{3}) \[", text))
    return Counter(re.findall(r'<article class="finding \w+" id="[^"]+" data-code="(SC\d{3})"', text))


@pytest.mark.slow
@pytest.mark.parametrize("fixture", FIXTURE_FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_every_format_says_what_the_json_says(fixture, checked):
    run = checked(str(fixture))
    texts = rendered(run)
    expected = codes_in("json", texts["json"])
    for fmt, text in texts.items():
        assert codes_in(fmt, text) == expected, fmt
    loud = [note for file in run.files for note in file.loud_notes]
    document = json.loads(texts["json"])
    notifications = json.loads(texts["sarif"])["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    for note in loud:
        assert note in {n for f in document["files"] for n in f["notes"]}
        assert note in texts["concise"]
        assert squash(note) in squash(texts["table"])
        assert any(note in n["message"]["text"] for n in notifications)
        assert escape(note) in texts["html"]
    assert texts["github"].count("title=shapecheck%3A sizes::") == len(loud)
    summaries = [m["witnesses"]["summary"] for f in document["files"] for m in f["models"] if m.get("witnesses")]
    for summary in summaries:
        assert squash(summary) in squash(texts["table"])
        assert escape(summary) in texts["html"]


def squash(text: str) -> str:
    """The table folds long lines: compare with runs of white space made one space."""
    return re.sub(r"\s+", " ", text)
