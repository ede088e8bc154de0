"""A corpus of hostile saved inputs, generated on demand (nothing large is committed).

Each maker writes one file (or FIFO, or symlink) into a folder and returns its path. The
configs are variations of the tiny functional model below (Conv2D + Add with an SC101
mismatch, also test_saved_models' hand-written config), so a good copy of it has a known finding.
"""

from __future__ import annotations

import json
import os
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Callable

MiB = 2**20


def tensor(layer: str, shape) -> dict:
    return {
        "class_name": "__keras_tensor__",
        "config": {"shape": shape, "dtype": "float32", "keras_history": [layer, 0, 0]},
    }


def functional_config(name: str = "tiny") -> dict:
    """Input (8, 8, 4) -> Conv2D(16) ; Add([conv, input]): SC101 (16 vs 4)."""
    return {
        "module": "keras.src.models.functional",
        "class_name": "Functional",
        "config": {
            "name": name,
            "layers": [
                {
                    "module": "keras.layers",
                    "class_name": "InputLayer",
                    "name": "in",
                    "config": {"batch_shape": [None, 8, 8, 4], "name": "in"},
                    "inbound_nodes": [],
                },
                {
                    "module": "keras.layers",
                    "class_name": "Conv2D",
                    "name": "conv",
                    "config": {
                        "name": "conv",
                        "filters": 16,
                        "kernel_size": [1, 1],
                        "strides": [1, 1],
                        "padding": "valid",
                        "data_format": "channels_last",
                        "dilation_rate": [1, 1],
                    },
                    "inbound_nodes": [{"args": [tensor("in", [None, 8, 8, 4])], "kwargs": {}}],
                },
                {
                    "module": "keras.layers",
                    "class_name": "Add",
                    "name": "add",
                    "config": {"name": "add"},
                    "inbound_nodes": [
                        {"args": [[tensor("conv", [None, 8, 8, 16]), tensor("in", [None, 8, 8, 4])]], "kwargs": {}}
                    ],
                },
            ],
            "input_layers": [["in", 0, 0]],
            "output_layers": [["add", 0, 0]],
        },
    }


def layer(config: dict, name: str) -> dict:
    return next(entry for entry in config["config"]["layers"] if entry["name"] == name)


def write_keras(path: Path, config_bytes: bytes, compression=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        archive.writestr("metadata.json", '{"keras_version": "3.15.0"}')
        archive.writestr("config.json", config_bytes)
    return path


def raw_zip(path: Path, name: str, deflated: bytes, claimed_size: int, crc: int = 0) -> Path:
    """A one-member zip written by hand: the header claims `claimed_size` whatever the data inflates to."""
    encoded = name.encode()
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(deflated), claimed_size, len(encoded), 0)
    central = struct.pack(
        "<IHHHHHHIIIHHHHHII",
        0x02014B50,
        20,
        20,
        0,
        8,
        0,
        0,
        crc,
        len(deflated),
        claimed_size,
        len(encoded),
        0,
        0,
        0,
        0,
        0,
        0,
    )
    body = local + encoded + deflated
    directory = central + encoded
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(directory), len(body), 0)
    path.write_bytes(body + directory + end)
    return path


def crowded_zip(path: Path, entries: int = 1_000_000) -> Path:
    """A zip whose central directory lists `entries` members, all pointing at one local header
    (zipfile would build a million ZipInfo objects: ~0.5 GB)."""
    good = json.dumps(functional_config()).encode()
    name = b"config.json"
    crc = zlib.crc32(good)
    local = (
        struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0, crc, len(good), len(good), len(name), 0) + name + good
    )
    entry = (
        struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, 0, crc, len(good), len(good), len(name), 0, 0, 0, 0, 0, 0
        )
        + name
    )
    with open(path, "wb") as handle:
        handle.write(local)
        handle.write(entry * entries)
        size = len(entry) * entries
        handle.write(
            struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(entries, 0xFFFF), min(entries, 0xFFFF), size, len(local), 0)
        )
    return path


def deflate_repeated(block: bytes, times: int) -> bytes:
    """A raw deflate stream of `block` repeated `times` times, built from one compressed copy
    (each full flush makes its blocks independent): gigabytes inflated in milliseconds."""
    head = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = head.compress(block) + head.flush(zlib.Z_FULL_FLUSH)
    return piece * times + head.flush(zlib.Z_FINISH)


def _json(path: Path, config) -> Path:
    path.write_text(json.dumps(config))
    return path


def _mutated(path: Path, change: Callable[[dict], None]) -> Path:
    config = functional_config()
    change(config)
    return _json(path, config)


def set_add_shape(shape):
    def change(config):
        layer(config, "in")["config"]["batch_shape"] = shape
        layer(config, "conv")["inbound_nodes"][0]["args"][0]["config"]["shape"] = shape

    return change


def merge_axis(class_name: str, key: str, value):
    def change(config):
        add = layer(config, "add")
        add["class_name"] = class_name
        add["config"][key] = value

    return change


def nested_args(depth: int):
    def change(config):
        args = [tensor("conv", [None, 8, 8, 16]), tensor("in", [None, 8, 8, 4])]
        for _ in range(depth):
            args = [args]
        layer(config, "add")["inbound_nodes"][0]["args"] = args

    return change


def deep_args_json(path: Path, depth: int) -> Path:
    """nested_args(depth) written as text (json.dumps itself would recurse too deep)."""
    config = functional_config()
    layer(config, "add")["inbound_nodes"][0]["args"] = "ARGS"
    pair = json.dumps([tensor("conv", [None, 8, 8, 16]), tensor("in", [None, 8, 8, 4])])
    path.write_text(json.dumps(config).replace('"ARGS"', "[" * depth + pair + "]" * depth))
    return path


def cycle_self(config):
    layer(config, "add")["inbound_nodes"][0]["args"][0].append(tensor("add", [None, 8, 8, 16]))


def cycle_two(config):
    layer(config, "conv")["inbound_nodes"][0]["args"] = [tensor("add", [None, 8, 8, 16])]


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def dev_zero(path: Path) -> Path:
    path.symlink_to("/dev/zero")
    return path


def curly_keras(path: Path, megabytes: int = 250) -> Path:
    """A ~255 KB .keras whose config.json inflates to `megabytes` MB of '{},' (honest header)."""
    block = b"{}," * (MiB // 3)
    deflated = deflate_repeated(block, megabytes)
    crc = 0
    for _ in range(megabytes):
        crc = zlib.crc32(block, crc)
    return raw_zip(path, "config.json", deflated, len(block) * megabytes, crc)


def lying_keras(path: Path) -> Path:
    """~3 MB whose header says config.json is 100 bytes; it inflates to 3 GB of spaces."""
    return raw_zip(path, "config.json", deflate_repeated(b" " * MiB, 3000), 100)


def bomb_under_claim(path: Path) -> Path:
    """A header claiming 1 MB (under the cap), data inflating to 2 GB of valid-looking JSON whitespace."""
    return raw_zip(path, "config.json", deflate_repeated(b" " * MiB, 2000), MiB)


def corrupt_deflate(path: Path) -> Path:
    good = json.dumps(functional_config()).encode()
    deflated = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = bytearray(deflated.compress(good) + deflated.flush())
    data[0] = 0xFF  # block type 3: "invalid block type"
    data[1:9] = b"\xff" * 8
    return raw_zip(path, "config.json", bytes(data), len(good), zlib.crc32(good))


def deep_json(path: Path, depth: int = 100_000) -> Path:
    path.write_text('{"class_name": "Functional", "config": ' + "[" * depth + "]" * depth + "}")
    return path


def text_file(text: str):
    def make(path: Path) -> Path:
        path.write_text(text)
        return path

    return make


def curly_json(path: Path, megabytes: int) -> Path:
    with open(path, "w") as handle:
        handle.write("[")
        for _ in range(megabytes):
            handle.write("{}," * (MiB // 3))
        handle.write("{}]")
    return path


def sparse_json(path: Path) -> Path:
    with open(path, "wb") as handle:
        handle.truncate(300 * MiB)
    return path


def h5_attribute(value, libver=None):
    def make(path: Path) -> Path:
        import h5py

        with h5py.File(path, "w", libver=libver) as handle:
            handle.attrs["model_config"] = value
        return path

    return make


def big_h5_attribute(path: Path) -> Path:
    import numpy as np

    return h5_attribute(np.bytes_(b" " * (40 * MiB)), libver="latest")(path)


def keras_of(config_change: Callable[[dict], None]) -> Callable[[Path], Path]:
    def make(path: Path) -> Path:
        config = functional_config()
        config_change(config)
        return write_keras(path, json.dumps(config).encode())

    return make


def infinity_json(path: Path) -> Path:
    text = json.dumps(functional_config()).replace(
        '"batch_shape": [null, 8, 8, 4]', '"batch_shape": [null, Infinity, 8, 4]'
    )
    assert "Infinity" in text
    path.write_text(text)
    return path


def _config_json(change):
    return lambda path: _mutated(path, change)


def _set(name: str, key: str, value):
    def change(config):
        layer(config, name)["config"][key] = value

    return change


# name -> (file name, maker). Every one must end in one line naming the file and exit 2.
CASES: dict[str, tuple[str, Callable[[Path], Path]]] = {
    "cycle: a layer that is its own input": ("cycle_self.json", _config_json(cycle_self)),
    "cycle: two layers feeding each other": ("cycle_two.json", _config_json(cycle_two)),
    "FIFO named .keras": ("pipe.keras", fifo),
    "FIFO named .h5": ("pipe.h5", fifo),
    "FIFO named .json": ("pipe.json", fifo),
    "FIFO named .py": ("pipe.py", fifo),
    "FIFO named .ipynb": ("pipe.ipynb", fifo),
    "symlink to /dev/zero named .ipynb": ("zero.ipynb", dev_zero),
    "symlink to /dev/zero named .keras": ("zero.keras", dev_zero),
    "symlink to /dev/zero named .py": ("zero.py", dev_zero),
    "symlink to /dev/zero named .json": ("zero.json", dev_zero),
    ".keras: 250 MB of '{},' in 255 KB": ("curly.keras", curly_keras),
    ".keras: header claims 100 bytes, inflates to 3 GB": ("liar.keras", lying_keras),
    ".keras: header claims 1 MB, inflates to 2 GB": ("bomb.keras", bomb_under_claim),
    ".keras: corrupt deflate data": ("corrupt.keras", corrupt_deflate),
    ".keras: a directory of 1,000,000 entries": ("crowded.keras", crowded_zip),
    ".json: 40 MB (over the byte cap)": ("curly40.json", lambda p: curly_json(p, 40)),
    ".json: 20 MB of '{},' (over the container cap)": ("curly20.json", lambda p: curly_json(p, 20)),
    ".json: a sparse 300 MB file": ("sparse.json", sparse_json),
    "JSON nested 100,000 deep": ("deep.json", deep_json),
    "call arguments nested 5,000 deep": ("deep_args.json", lambda p: deep_args_json(p, 5000)),
    "dim of 2**70": ("dim_huge.json", _config_json(set_add_shape([None, 2**70, 8, 4]))),
    "dim of Infinity": ("dim_inf.json", infinity_json),
    "number 1e400": ("float_inf.json", text_file('{"class_name": "Functional", "config": {"x": 1e400}}')),
    "negative dim": ("dim_negative.json", _config_json(set_add_shape([None, -8, 8, 4]))),
    "zero dim": ("dim_zero.json", _config_json(set_add_shape([None, 0, 8, 4]))),
    "float dim": ("dim_float.json", _config_json(set_add_shape([None, 8.5, 8, 4]))),
    "kernel size 2**70": ("kernel_huge.json", _config_json(_set("conv", "kernel_size", [2**70, 1]))),
    "kernel size -3": ("kernel_negative.json", _config_json(_set("conv", "kernel_size", [-3, 1]))),
    "filters 1e30 in a .keras": ("filters_float.keras", keras_of(_set("conv", "filters", 1e30))),
    "strides 0": ("strides_zero.json", _config_json(_set("conv", "strides", [0, 0]))),
    "Concatenate axis 1.5": ("axis_float.json", _config_json(merge_axis("Concatenate", "axis", 1.5))),
    "Concatenate axis 'x'": ("axis_str.json", _config_json(merge_axis("Concatenate", "axis", "x"))),
    "Concatenate axis [1]": ("axis_list.json", _config_json(merge_axis("Concatenate", "axis", [1]))),
    "Concatenate axis null": ("axis_null.json", _config_json(merge_axis("Concatenate", "axis", None))),
    "Concatenate axis 2**70": ("axis_huge.json", _config_json(merge_axis("Concatenate", "axis", 2**70))),
    "Dot axes 1.5": ("axes_float.json", _config_json(merge_axis("Dot", "axes", 1.5))),
    "Dot axes 'x'": ("axes_str.json", _config_json(merge_axis("Dot", "axes", "x"))),
    "Dot axes [1, 2, 3]": ("axes_list.json", _config_json(merge_axis("Dot", "axes", [1, 2, 3]))),
    "Dot axes null": ("axes_null.json", _config_json(merge_axis("Dot", "axes", None))),
    ".h5: model_config of invalid UTF-8": ("bad_utf8.h5", h5_attribute(b'\xff\xfe{"class_name": 1}')),
    ".h5: model_config of 40 MB": ("big_attr.h5", big_h5_attribute),
    ".h5: model_config that is a number": ("number_attr.h5", h5_attribute(42)),
    ".h5: model_config nested 100,000 deep": ("deep_attr.h5", h5_attribute("[" * 100_000 + "]" * 100_000)),
    "top level is a list": ("list.json", text_file("[1, 2, 3]")),
    "layers is a string": ("layers_str.json", _config_json(lambda c: c["config"].__setitem__("layers", "abc"))),
    "keras_history names a missing layer": (
        "missing.json",
        _config_json(lambda c: layer(c, "add")["inbound_nodes"][0]["args"][0].append(tensor("ghost", [None, 8, 8, 4]))),
    ),
    "keras_history node index 2**70": (
        "history_huge.json",
        _config_json(
            lambda c: layer(c, "add")["inbound_nodes"][0]["args"][0][0]["config"].__setitem__(
                "keras_history", ["conv", 2**70, 0]
            )
        ),
    ),
    "output_layers is null": (
        "outputs_null.json",
        _config_json(lambda c: c["config"].__setitem__("output_layers", None)),
    ),
}


def make_case(name: str, folder: Path) -> Path:
    file_name, maker = CASES[name]
    return maker(folder / file_name)


def good_copy(folder: Path, name: str = "good.json") -> Path:
    """A file that can be checked, with one SC101 at layer 'add'."""
    return _json(folder / name, functional_config())
