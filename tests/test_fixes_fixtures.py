"""Issue 17 A, done when: every error finding in the fixtures carries a verified suggestion,
and applying a suggestion to the fixture's source (a temp copy, checked again for real)
makes the finding go away. Reuses the session's checks of the fixtures (test_fixtures.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import FIXTURES
from shapecheck.rules import Severity
from test_fixtures import FIXTURE_FILES

pytestmark = pytest.mark.slow

OWN_CODES = {"SC101", "SC102", "SC103", "SC104", "SC201", "SC202", "SC205"}  # SC203/SC204: the --fix work


@pytest.mark.parametrize("fixture", FIXTURE_FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_every_error_finding_carries_a_verified_fix(fixture, checked):
    run = checked(str(fixture))
    for f in run.findings:
        if f.severity == Severity.ERROR or f.code in OWN_CODES:
            assert f.fixes, f"{f.where} {f.code} {f.layer}: no suggestion"
            assert all(fix.verified_at and fix.description for fix in f.fixes)
            assert not any(fix.safe for fix in f.fixes)  # only SC203/SC204 edits are applied by --fix
            if fixture.suffix == ".ipynb":  # placed in the notebook's cells, like the findings
                assert all(fix.cell is not None for fix in f.fixes)


def apply_edits(text: str, edits) -> str:
    """TextEdits (1-based, end exclusive) applied from the last to the first."""
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    for e in sorted(edits, key=lambda e: (e.line, e.column), reverse=True):
        start = offsets[e.line - 1] + e.column - 1
        end = offsets[e.end_line - 1] + e.end_column - 1
        text = text[:start] + e.replacement + text[end:]
    return text


def copy_with(tmp_path: Path, fixture: Path, text: str) -> str:
    target = tmp_path / fixture.name
    target.write_text(text, encoding="utf-8")
    return str(target)


def findings_at(run, code: str, line: int) -> list:
    return [f for f in run.findings if f.code == code and f.line == line]


def test_resnet50_padding_same_on_the_3x3_convs_removes_each_finding(checked, tmp_path):
    """Seed 003: the suggestion for each Add is padding='same' on its block's 3×3 conv; the
    edit applied to a copy of the source, checked again: that Add's finding is gone."""
    fixture = FIXTURES / "resnet50_valid_padding.py"
    run = checked(str(fixture))
    for line, conv_line in ((26, 19), (41, 36)):
        (f,) = findings_at(run, "SC102", line)
        fix = f.fixes[0]
        assert fix.description.startswith("padding='same' on Conv2D") and fix.line == conv_line
        assert len(fix.edits) == 1 and fix.edits[0].replacement == ', padding="same"'
        (tmp_path / str(line)).mkdir()
        again = checked(copy_with(tmp_path / str(line), fixture, apply_edits(fixture.read_text(encoding="utf-8"), fix.edits)))
        assert not again.errors
        assert not findings_at(again, "SC102", line), [x.message for x in findings_at(again, "SC102", line)]


SOURCE_FIXTURES = [p for p in FIXTURE_FILES if p.suffix == ".py" and p.name != "resnet50_valid_padding.py"]


@pytest.mark.parametrize("fixture", SOURCE_FIXTURES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_every_text_edit_removes_its_finding(fixture, checked, tmp_path):
    """Each suggestion that is an exact text edit, applied alone to a copy of the fixture and
    checked again (Keras builds the edited model): its finding is gone."""
    run = checked(str(fixture))
    edited = [(f, fix) for f in run.findings if f.code in OWN_CODES for fix in f.fixes if fix.edits]
    for n, (f, fix) in enumerate(edited):
        folder = tmp_path / str(n)
        folder.mkdir()
        again = checked(copy_with(folder, fixture, apply_edits(fixture.read_text(encoding="utf-8"), fix.edits)))
        assert not again.errors, again.errors
        assert not findings_at(again, f.code, f.line), f"{fix.description} left {f.code} at line {f.line}"


def _checked_copy(checked, tmp_path: Path, fixture: Path, old: str, new: str):
    text = fixture.read_text(encoding="utf-8")
    assert old in text
    return checked(copy_with(tmp_path, fixture, text.replace(old, new, 1)))


def test_resnext_projection_on_the_shortcut(checked, tmp_path):
    """Seed 000: the suggestion is the 1×1 projection conv_shortcut=True makes; with the first
    block of each stack given its projection, every finding at the Add is gone."""
    fixture = FIXTURES / "resnext50_all_identity.py"
    run = checked(str(fixture))
    for code in ("SC101", "SC102"):
        (f,) = findings_at(run, code, 51)
        assert f.fixes[0].kind == "projection" and "as conv_shortcut=True does" in f.fixes[0].description
    assert "Conv2D(256, 1) (then Conv2D(512, 1, strides=2)" in findings_at(run, "SC101", 51)[0].fixes[0].description
    again = _checked_copy(checked, tmp_path, fixture, "strides=strides, groups=groups, conv_shortcut=False",
                          "strides=strides, groups=groups, conv_shortcut=True")
    assert not again.errors and not [f for f in again.findings if f.line == 51]


def test_unet_cascade_input_size_and_crop(checked, tmp_path):
    fixture = FIXTURES / "unet_cascade.py"
    (f,) = findings_at(checked(str(fixture)), "SC102", 20)
    crop, size = f.fixes
    assert crop.description.startswith("Cropping2D(((0, 1), (0, 1))) on input 1 before the Concatenate (line 20)")
    assert size.kind == "input-size" and size.verified_at == ("224×224", "256×256")
    for n, good in enumerate(size.verified_at):
        side = good.split("×")[0]
        (tmp_path / str(n)).mkdir()
        again = _checked_copy(checked, tmp_path / str(n), fixture, "keras.Input((240, 240, 3))", f"keras.Input(({side}, {side}, 3))")
        assert not again.errors and not findings_at(again, "SC102", 20)
    (tmp_path / "crop").mkdir()
    cropped = ("x = layers.Concatenate()([layers.Cropping2D(((0, x.shape[1] - skip.shape[1]), "
               "(0, x.shape[2] - skip.shape[2])))(x), skip])")
    again = _checked_copy(checked, tmp_path / "crop", fixture, "x = layers.Concatenate()([x, skip])", cropped)
    assert not again.errors and not findings_at(again, "SC102", 20)


@pytest.mark.parametrize("name, declared, line", [("unet_dynamic.py", "input_shape=(None, None, 3)", 28),
                                                  ("conv1d_unet_sequence.py", "input_shape=(None, 4)", 23)])
def test_dynamic_unets_work_at_the_suggested_size(name, declared, line, checked, tmp_path):
    """SC104: the suggested size ('e.g. 48×48 instead of 40×40'), declared in a copy: no
    mismatch; the failing example declared instead: the mismatch is there (at the declared size)."""
    fixture = FIXTURES / name
    (f,) = findings_at(checked(str(fixture)), "SC104", line)
    fix = next(x for x in f.fixes if x.kind == "input-size")
    good, bad = re.search(r"e\.g\. (\S+) instead of (\S+)", fix.description).groups()
    for folder, size, fails in (("good", good, False), ("bad", bad, True)):
        (tmp_path / folder).mkdir()
        sides = size.split("×")
        shape = "input_shape=(" + ", ".join(sides) + ", " + declared.rsplit(", ", 1)[1]
        again = _checked_copy(checked, tmp_path / folder, fixture, declared, shape)
        assert not again.errors
        assert bool([x for x in again.findings if x.line == line and x.severity == Severity.ERROR]) == fails
