"""Read a saved model's architecture: `.keras` (zip with config.json), legacy `.h5`
(the `model_config` attribute) or a `model.to_json()` file. Weights are never read,
files are opened read-only, and nothing carried in the file is unmarshalled or run.
No Keras import: the config is turned into the IR by `load/config_graph.py`."""

from __future__ import annotations

import json
import os
import sys
import zipfile
from typing import Callable

from shapecheck.load.config_graph import ConfigGraph, graphs_from_config
from shapecheck.load.errors import CheckError

MAX_CONFIG_BYTES = 256 * 2**20  # a model config is kilobytes to a few megabytes


def read_config(path: str) -> dict:
    if path.endswith(".keras"):
        text = _from_keras_zip(path)
    elif path.endswith((".h5", ".hdf5")):
        text = _from_h5(path)
    else:
        text = _from_json(path)
    try:
        config = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CheckError(f"{path}: the model config is not valid JSON ({exc.__class__.__name__})") from None
    if not isinstance(config, dict):
        raise CheckError(f"{path}: the model config is not a JSON object")
    return config


def _from_keras_zip(path: str) -> bytes:
    try:
        with zipfile.ZipFile(path) as archive:
            if "config.json" not in archive.namelist():
                raise CheckError(f"{path}: not a Keras 3 .keras file (no config.json inside)")
            info = archive.getinfo("config.json")
            if info.file_size > MAX_CONFIG_BYTES:
                raise CheckError(f"{path}: config.json is {info.file_size} bytes; refusing to read it")
            return archive.read("config.json")
    except zipfile.BadZipFile:
        raise CheckError(f"{path}: not a .keras file (a corrupt or truncated zip)") from None
    except (OSError, EOFError, zipfile.LargeZipFile, RuntimeError) as exc:
        raise CheckError(f"{path}: cannot read the .keras file ({exc})") from None


def _from_h5(path: str) -> str:
    try:
        import h5py
    except ImportError:  # pragma: no cover - h5py is a dependency
        raise CheckError(f"{path}: reading .h5 files needs h5py (pip install h5py)") from None
    try:
        with h5py.File(path, "r") as handle:
            config = handle.attrs.get("model_config")
    except OSError:
        raise CheckError(f"{path}: not a readable HDF5 file (corrupt or truncated)") from None
    if config is None:
        raise CheckError(f"{path}: an .h5 file with weights only (no model_config): save the whole model to check it")
    return config.decode("utf-8") if isinstance(config, bytes) else str(config)


def _from_json(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise CheckError(f"{path}: cannot read ({exc.strerror})") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise CheckError(f"{path}: larger than {MAX_CONFIG_BYTES} bytes; not a model config")
    return data.decode("utf-8", errors="replace")


def load_saved(path: str) -> ConfigGraph:
    return graphs_from_config(read_config(path), path, fallback=keras_fallback, keras_class=is_keras_class)


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
                sys.stderr.write(f"shapecheck: debug: asking Keras for the shape of {entry.get('class_name')} "
                                 f"'{entry.get('name') or entry.get('config', {}).get('name')}'\n")
            from shapecheck.capture import session  # noqa: F401  (quiet TensorFlow import)
            from shapecheck.capture.shape_functions import from_saved_entry

            state["function"] = from_saved_entry(entry)
        return state["function"](shapes)

    return call
