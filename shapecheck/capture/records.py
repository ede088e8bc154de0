"""What capture records while a builder module runs: where each layer was called, the
models built, the closures of Lambdas, the traces of user blocks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from shapecheck.capture.blocks import BlockTrace
from shapecheck.capture.callsite import CallSites
from shapecheck.graph import ChainFrame, Location


@dataclass
class Site:
    location: Optional[Location]
    chain: tuple[ChainFrame, ...]


@dataclass
class ModelRecord:
    """A Model(...) call: the finished model, or the tensors a failed one was given."""

    site: Site
    owner: Any  # the model the user holds (a Sequential owns an inner functional model)
    model: Any = None  # the functional model, once built
    inputs: Any = None
    outputs: Any = None
    error: Optional[BaseException] = None
    subclassed: bool = False  # a subclassed model called on its own: `outputs` came from tracing its call()
    entry: Optional[str] = None  # how it was found, when not from the call chain (a variable, a builder's result)
    raised_in: Optional[str] = (
        None  # a builder that raised before Model(...): its tensors so far, walked (`error` is it)
    )


@dataclass
class Recorder:
    sites: dict[int, Site] = field(default_factory=dict)  # id(Keras Node) -> where it was called
    recovered: dict[int, str] = field(default_factory=dict)  # id(Node) -> note on the guessed shape
    keep_alive: list = field(default_factory=list)  # nodes whose ids key the dicts above
    models: list[ModelRecord] = field(default_factory=list)
    skipped_calls: list[str] = field(default_factory=list)
    closures: dict[int, tuple] = field(default_factory=dict)  # id(Node) -> (Lambda function, free vars then)
    blocks: dict[int, BlockTrace] = field(default_factory=dict)  # id(Node) of a user block's call -> its trace
    data_format: str = "channels_last"  # keras.config.image_data_format() as the module left it
    callsites: CallSites = field(default_factory=CallSites)
    weights: Any = None  # the DeferredWeights of the run, when variables get no values (weights.py)

    def frontier_since(self, start: int) -> list:
        """Output tensors of the nodes recorded from `keep_alive[start]` on that no later one
        consumed: where a builder that raised before `Model(...)` had got to."""
        nodes = [n for n in self.keep_alive[start:] if hasattr(n, "outputs")]
        used = {id(t) for n in nodes for t in getattr(n, "input_tensors", ())}
        return [t for n in nodes for t in n.outputs if id(t) not in used]

    def mismatch_since(self, start: int) -> bool:
        """Was a merge recovered from a mismatch among the nodes recorded from `start` on?"""
        return any(id(n) in self.recovered for n in self.keep_alive[start:])


def closure_values(function) -> dict[str, str]:
    """repr of the simple values a function closes over, by variable name."""
    cells = getattr(function, "__closure__", None) or ()
    names = getattr(getattr(function, "__code__", None), "co_freevars", ())
    values = {}
    for name, cell in zip(names, cells):
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if isinstance(value, (bool, int, float, str, tuple, type(None))):
            values[name] = repr(value)
    return values
