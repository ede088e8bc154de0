"""The walls: rules, reports and the IR never import Keras or TensorFlow."""

import subprocess
import sys


def test_rules_and_reports_do_not_import_keras():
    code = (
        "import sys, shapecheck.rules, shapecheck.report.json_report, shapecheck.report.table, shapecheck.report.html, "
        "shapecheck.runner, shapecheck.explain, shapecheck.graph, shapecheck.cli, shapecheck.sweep, "
        "shapecheck.algebra.layers, shapecheck.algebra.evaluate, shapecheck.algebra.constraints, "
        "shapecheck.saved.files, shapecheck.saved.config_graph, shapecheck.load.discover, shapecheck.load.imports\n"
        "leaked = sorted(m for m in ('keras', 'tensorflow') if m in sys.modules)\n"
        "assert not leaked, leaked\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
