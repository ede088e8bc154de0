"""Read a saved model's architecture: `.keras` (zip with config.json), legacy `.h5`
(the `model_config` attribute) or a `model.to_json()` file. Weights are never read,
files are opened read-only, and nothing carried in the file is unmarshalled or run.
No Keras import: the config is turned into the IR by `saved/config_graph.py`."""

from __future__ import annotations

import os
import sys
from typing import Callable

from shapecheck import bounded
from shapecheck.errors import CheckError
from shapecheck.saved.config_graph import ConfigGraph, graphs_from_config

SAVED_READERS = {".keras": "zip", ".h5": "h5", ".hdf5": "h5"}


def read_config(path: str) -> dict:
    """The model config as a dict, read within the caps of bounded.py; CheckError (one
    line naming the file) for anything else."""
    reader = SAVED_READERS.get(os.path.splitext(path)[1].lower(), "json")
    if reader == "zip":
        config = bounded.parse_json(bounded.read_zip_member(path, "config.json"), path)
    elif reader == "h5":
        config = bounded.parse_json(_from_h5(path), path)
    else:
        config = bounded.parse_json(bounded.read_file(path), path)
    if not isinstance(config, dict):
        raise CheckError(f"{path}: the model config is not a JSON object")
    return config


def _from_h5(path: str) -> bytes | str:
    """The `model_config` attribute. HDF5 keeps attributes uncompressed, so one is never
    larger than the file; a fixed-length one is refused by its declared size before it is
    read, a variable-length one once read, before it is decoded or parsed."""
    try:
        import h5py
    except ImportError:  # pragma: no cover - h5py is a dependency
        raise CheckError(f"{path}: reading .h5 files needs h5py (pip install h5py)") from None
    bounded.require_regular(path)
    try:
        with h5py.File(path, "r") as handle:
            if "model_config" not in handle.attrs:
                config = None
            else:
                _refuse_large_attribute(handle.attrs.get_id("model_config"), path)
                config = handle.attrs["model_config"]
    except CheckError:
        raise
    except UnicodeDecodeError as exc:
        raise CheckError(f"{path}: the model_config attribute is not UTF-8 text ({exc.reason})") from None
    except (OSError, ValueError, TypeError, KeyError, RuntimeError) as exc:
        raise CheckError(f"{path}: not a readable HDF5 file (corrupt or truncated: {type(exc).__name__})") from None
    if config is None:
        raise CheckError(f"{path}: an .h5 file with weights only (no model_config): save the whole model to check it")
    if not isinstance(config, (bytes, str)):
        raise CheckError(f"{path}: the model_config attribute is not text ({type(config).__name__})")
    if len(config) > bounded.MAX_CONFIG_BYTES:
        raise CheckError(
            f"{path}: the model_config attribute is larger than {bounded.mib(bounded.MAX_CONFIG_BYTES)}; not parsed"
        )
    return config


def _refuse_large_attribute(attribute, path: str) -> None:
    if attribute.shape not in ((), None):
        raise CheckError(f"{path}: the model_config attribute is an array, not text")
    if attribute.get_storage_size() > bounded.MAX_CONFIG_BYTES:
        raise CheckError(
            f"{path}: the model_config attribute is larger than {bounded.mib(bounded.MAX_CONFIG_BYTES)}; not read"
        )


def load_saved(path: str) -> ConfigGraph:
    from shapecheck.algebra.float_errors import quiet_numpy

    config = read_config(path)
    with quiet_numpy():
        saved = graphs_from_config(config, path, fallback=keras_fallback, keras_class=is_keras_class)
    if len(saved.graphs) == 1:
        saved.graphs[0].judge = lazy_judge(config, saved.graphs[0])
    return saved


def lazy_judge(config: dict, graph):
    """Keras' own answer at witness sizes (witnesses.py): Keras is imported only when a size
    claim is to be confirmed, and the model rebuilt from its config in safe mode."""
    state: dict = {}

    def judge(shapes: list, changes=None) -> object:
        if "judge" not in state:
            from shapecheck.capture import session  # noqa: F401  (quiet TensorFlow import)
            from shapecheck.capture.witness import saved_judge

            state["judge"] = saved_judge(config, graph)
        return state["judge"](shapes, changes)

    return judge


def is_keras_class(class_name: str) -> bool:
    """Is a class that a legacy .h5 names without a module one of Keras' own layers? (Keras
    is imported for this only for a class the shape algebra does not know.)"""
    import importlib

    from shapecheck.capture import session  # noqa: F401  (quiet TensorFlow import)

    homes = ["keras.layers"] + [f"keras.src.ops.{m}" for m in ("numpy", "nn", "image", "math", "core", "linalg")]
    return any(isinstance(getattr(importlib.import_module(home), class_name, None), type) for home in homes)


def keras_fallback(entry: dict) -> Callable[[list], tuple]:
    """A built-in layer the algebra lacks: Keras is imported the first time it is asked,
    and not at all when every layer is one the algebra knows."""
    state: dict = {}

    def call(shapes: list) -> tuple:
        if "function" not in state:
            if os.environ.get("SHAPECHECK_DEBUG"):
                sys.stderr.write(
                    f"shapecheck: debug: asking Keras for the shape of {entry.get('class_name')} "
                    f"'{entry.get('name') or entry.get('config', {}).get('name')}'\n"
                )
            from shapecheck.capture import session  # noqa: F401  (quiet TensorFlow import)
            from shapecheck.capture.shape_functions import from_saved_entry

            state["function"] = from_saved_entry(entry)
        return state["function"](shapes)

    return call
