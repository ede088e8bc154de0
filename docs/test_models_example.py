"""tests/test_shapes.py: keep your models free of merge-shape problems (copy into your suite).

shapecheck.assert_clean fails the test with shapecheck's whole report: every merge, its
verdict, and each finding at its source line.
"""

import pytest

import shapecheck

MODEL_FILES = ["models/stem.py", "models/resnet.py"]


@pytest.mark.parametrize("path", MODEL_FILES)
def test_model_file_has_no_shape_problems(path):
    shapecheck.assert_clean(path, fail_on="warning")


def test_a_built_model_is_clean_at_every_size():
    from models.stem import build_stem

    report = shapecheck.check(build_stem(), sizes="1:512")
    assert report.ok, report.table()
