"""No false alarms on Keras' own architectures (built with weights=None, nothing downloaded)."""

import pytest
from conftest import DATA

from shapecheck.rules import Severity

pytestmark = pytest.mark.slow

MODELS = {
    "resnet50",
    "resnet50v2",
    "densenet121",
    "mobilenetv2_1.00_224",
    "efficientnetb0",
    "nasnet_mobile",
    "inception_v3",
    "inception_resnet_v2",
    "xception",
    "convnext_tiny",
}


def test_keras_applications_report_no_error_and_no_warning(checked):
    run = checked(str(DATA / "keras_applications.py"))
    assert not run.errors
    assert {g.name for g in run.models} == MODELS
    assert all(any(True for _ in g.merges()) for g in run.models)  # every one has merges to check
    loud = [f for f in run.findings if f.severity >= Severity.WARNING]
    assert loud == [], [(f.code, f.model, f.layer, f.message) for f in loud]


CHANNELS_FIRST = {
    "resnet50",
    "resnet50v2",
    "mobilenetv2_1.00_224",
    "efficientnetb0",
    "inception_v3",
    "inception_resnet_v2",
    "xception",
}


def test_keras_applications_built_channels_first_report_no_error_and_no_warning(checked):
    run = checked(str(DATA / "keras_applications_channels_first.py"))
    assert not run.errors
    assert {g.name for g in run.models} == CHANNELS_FIRST
    assert all(g.input_shapes[0][1] == 3 for g in run.models)  # really built channels_first
    loud = [f for f in run.findings if f.severity >= Severity.WARNING]
    assert loud == [], [(f.code, f.model, f.layer, f.message) for f in loud]
