"""The `shapecheck` command's first steps: start the zygote (which spends seconds importing
TensorFlow) before the command line interface is even imported, when the arguments name
something that may hold a builder module. The rest is cli.py."""

from __future__ import annotations

import os
import sys

NO_CHECK = {"rules", "rule", "--help", "-h", "--version", "--install-completion", "--show-completion"}


def may_run_modules(arguments: list[str]) -> bool:
    """A `.py` or `.ipynb` file or a folder among the arguments, and nothing that ends the
    command before any check (a bad value is found later: the zygote is then simply closed)."""
    if not arguments or NO_CHECK.intersection(arguments):
        return False
    return any(a.lower().endswith((".py", ".ipynb")) or os.path.isdir(a) for a in arguments if not a.startswith("-"))


def main() -> None:
    if may_run_modules(sys.argv[1:]):
        from shapecheck.isolation.warden import prestart

        if "--debug" in sys.argv[1:]:  # what cli.py would set: the zygote and its children read it at start
            os.environ["SHAPECHECK_DEBUG"] = "1"

        prestart()
    from shapecheck.cli import main as cli_main

    cli_main()
