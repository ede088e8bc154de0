"""What a run is asked to check, and how (the command line's and the API's options)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Optional, Sequence

from shapecheck.config import Config
from shapecheck.size_range import SizeRange


@dataclass
class Options:
    select: Sequence[str] = ()  # code prefixes; empty = all
    ignore: Sequence[str] = ()
    entries: Sequence = ()  # builder functions to call (--entry): names or config.Entry
    timeout: float = 120.0
    sizes: SizeRange = SizeRange()  # the size sweep's range for H and W (--sizes)
    config: Optional[Config] = None  # per-file ignores and entries from [tool.shapecheck]
    warn_unused_ignores: bool = False
    jobs: int = 1  # worker processes (-j)
    input_shapes: dict = field(default_factory=dict)  # subclassed models: name -> batch shape (--input-shape)
    cache: bool = True  # the import-closure cache in the user's cache directory (--no-cache)
    max_memory: int = 8 << 30  # bytes a builder module's process may hold (--max-memory; 0: no bound)
    isolate: bool = True  # builder modules in a supervised child process (isolation/); False: in this process
    # build modules the ordinary way, weights and all (capture/weights.py); SHAPECHECK_BUILD_WEIGHTS=1
    build_weights: bool = field(default_factory=lambda: os.environ.get("SHAPECHECK_BUILD_WEIGHTS", "") not in ("", "0"))
    suggest_rebuild: bool = False  # try the other value of a flag in the call chain by building again (rebuild.py)
    size_maps: bool = False  # make the HTML report's size maps beside the analysis (size_map.py)

    def entries_for(self, path: str) -> list:
        if self.entries:
            return list(self.entries)
        return self.config.entries_for(path) if self.config else []

    def input_shapes_for(self) -> dict:
        return {**(self.config.input_shapes if self.config else {}), **self.input_shapes}

    def ignore_for(self, path: str) -> list[str]:
        return list(self.ignore) + (self.config.ignores_for(path) if self.config else [])
