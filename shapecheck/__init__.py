"""shapecheck: audit Keras model architectures for merge-layer shape trouble.

import shapecheck
shapecheck.check("model.py").ok          # or a keras.Model, a .keras file, a folder
shapecheck.assert_clean(model)           # in a test suite
%load_ext shapecheck                     # in Jupyter/IPython: the %shapecheck magic
"""

__version__ = "0.1.0"
__all__ = ["__version__", "assert_clean", "check"]


def __getattr__(name: str):
    """The API is imported on first use: `import shapecheck` stays light for the CLI."""
    if name in ("check", "assert_clean", "Report"):
        from shapecheck import api

        return getattr(api, name)
    raise AttributeError(f"module 'shapecheck' has no attribute {name!r}")


def load_ipython_extension(ipython) -> None:
    """`%load_ext shapecheck` in IPython or Jupyter (shapecheck/jupyter.py)."""
    from shapecheck.jupyter import load_ipython_extension as load

    load(ipython)
