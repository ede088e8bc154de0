"""Messages between the parent and the zygote, and what the parent accepts back.

Requests and replies are length-prefixed pickles on the zygote's stdin and stdout: both
ends are shapecheck's own code. A child's report is written by a process that also ran
the user's module, so the parent reads it with an unpickler that builds shapecheck's
report dataclasses and plain values only, never anything that could run code in the
parent (which owns the exit code).
"""

from __future__ import annotations

import io
import pickle
import struct
from typing import IO, Any, Optional

_LENGTH = struct.Struct(">Q")
MAX_REPORT_BYTES = 512 << 20


def write_message(stream: IO[bytes], message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(data)) + data)
    stream.flush()


def read_message(stream: IO[bytes]) -> Optional[Any]:
    """The next message, or None at the end of the stream."""
    header = stream.read(_LENGTH.size)
    if len(header) < _LENGTH.size:
        return None
    (length,) = _LENGTH.unpack(header)
    data = stream.read(length)
    if len(data) < length:
        return None
    return pickle.loads(data)


ALLOWED = {
    "builtins": {"slice", "set", "frozenset", "complex", "range", "Ellipsis", "NotImplemented"},
    "copyreg": {"_reconstructor", "__newobj__"},
    "shapecheck.results": {"FileReport"},
    "shapecheck.witnesses": {"Witnessed", "Asked"},
    "shapecheck.size_map": {"SizeMap", "ModelMaps"},
    "shapecheck.graph": {"Graph", "Node", "Edge", "Location", "ChainFrame", "MergeSpec"},
    "shapecheck.rules.base": {"Finding", "Related", "Severity", "Fix", "TextEdit"},
    "numpy": {"dtype", "int64", "int32", "bool_", "float64", "ndarray"},
    "numpy.core.multiarray": {"scalar", "_reconstruct"},
    "numpy._core.multiarray": {"scalar", "_reconstruct"},
}


class ReportUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if name in ALLOWED.get(module, ()):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"a report may not contain {module}.{name}")


def load_report(data: bytes) -> Any:
    return ReportUnpickler(io.BytesIO(data)).load()
