"""What a run found: one FileReport per file, a RunReport for the run.

The result model every reporter, the warden and the API read; nothing here computes
findings. "partial", "skipped" and the other file statuses are defined by
`FileReport.status` alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from shapecheck.graph import Graph, Node
from shapecheck.rules.base import Finding, Severity

FAIL_LEVELS = {"error": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.INFO}


@dataclass
class FileReport:
    path: str
    models: list[Graph] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    not_called: list[str] = field(default_factory=list)  # builder functions not called, each with why
    error: Optional[str] = None
    position: Optional[tuple[int, int]] = None  # line and column of the error, when it has one
    skip: Optional[str] = None  # why it was not checked (no Keras in its imports, or cannot tell)
    undecided: bool = False  # skipped because nobody can tell whether it reaches Keras
    reason: Optional[str] = None  # why it was checked ("imports models.unet, which imports keras")
    unchecked: dict = field(default_factory=dict)  # model -> {merge: why the size sweep did not reach it}
    timings: dict = field(default_factory=dict)  # phase -> seconds spent on this file (timing.py)
    added_memory: Optional[int] = None  # bytes: how far the supervised child's peak memory rose above the zygote's
    fatal: Optional[str] = None  # set while loading: becomes `error` once the rules ran (findings kept)
    witnessed: dict = field(default_factory=dict)  # model -> witnesses.Witnessed: what Keras said at witness sizes
    size_maps: dict = field(default_factory=dict)  # model -> size_map.ModelMaps, when asked for (--format html)
    verdicts: dict = field(default_factory=dict)  # model -> [(merge, verdict, why)], in merge order (verdicts.py)

    def decide_verdicts(self) -> None:
        """Every merge's verdict, from the findings as they stand: the analysis does this once
        (in the child, for a builder module), and every format reads the same answer."""
        from shapecheck.verdicts import model_verdicts  # the provenance walks: only once there is a model

        for graph in self.models:
            self.verdicts[graph.name] = [
                (node.name, label, why)
                for _, node, label, why in model_verdicts(
                    graph, self.path, self.findings, self.unchecked, self.witnessed
                )
            ]

    def merge_rows(self, graph: Graph) -> list[tuple[Graph, Node, str, str]]:
        """(owner, merge, verdict, why) for every merge of `graph`, in order, as decided
        (`decide_verdicts`; a report put together by hand gets them decided here, once)."""
        said = self.verdicts.get(graph.name)
        if said is None:
            self.decide_verdicts()
            said = self.verdicts.get(graph.name, [])
        return [(owner, node, label, why) for (owner, node), (_, label, why) in zip(graph.merges(), said)]

    @property
    def status(self) -> str:
        if self.error:
            return "error"
        if self.skip:
            return "skipped"
        if not self.models:
            return "no-model"
        if self.unchecked or self.disputed or self.unconfirmed:
            return "partial"  # some merges were not swept, or Keras disputed a claim: never "ok"
        return "findings" if self.findings else "ok"

    @property
    def not_swept(self) -> int:
        return sum(len(merges) for merges in self.unchecked.values())

    @property
    def disputed(self) -> int:
        """Size claims of the shape algebra that Keras contradicted (or could not be asked about)."""
        return sum(len(w.disputes) for w in self.witnessed.values())

    @property
    def loud_notes(self) -> list[str]:
        """Each disagreement of Keras with the shape algebra, each model no Keras could confirm:
        every format says these (the machine formats as warnings of their own)."""
        from shapecheck.witnesses import loud_notes  # numpy: only once there is a sweep

        return loud_notes(self.witnessed)

    @property
    def unconfirmed(self) -> int:
        """Models with size claims (or None sizes) that no Keras could be asked about."""
        return sum(bool(w.unavailable) for w in self.witnessed.values())


@dataclass
class RunReport:
    files: list[FileReport]

    @property
    def findings(self) -> list[Finding]:
        return [f for file in self.files for f in file.findings]

    @property
    def errors(self) -> list[str]:
        return [file.error for file in self.files if file.error]

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def fails_at(self, level: str) -> bool:
        """Is there a finding at or above `level` (error, warning, info; never: no)?"""
        threshold = FAIL_LEVELS.get(level)
        return threshold is not None and any(f.severity >= threshold for f in self.findings)

    @property
    def undecided(self) -> list[FileReport]:
        """Files skipped because nobody can tell whether they reach Keras."""
        return [f for f in self.files if f.undecided]

    @property
    def no_model(self) -> list[FileReport]:
        """Files that were run and built no model (a utilities module that imports Keras)."""
        return [f for f in self.files if f.status == "no-model"]

    @property
    def models(self) -> list[Graph]:
        return [g for file in self.files for g in file.models]

    @property
    def merge_count(self) -> int:
        return sum(1 for g in self.models for _ in g.merges())

    @property
    def not_swept(self) -> int:
        """Merges of models declared with None sizes that the size sweep could not evaluate."""
        return sum(file.not_swept for file in self.files)

    @property
    def disputed(self) -> int:
        """Size claims Keras contradicted at a witness size, or that no Keras could confirm."""
        return sum(file.disputed for file in self.files)

    @property
    def unconfirmed(self) -> int:
        return sum(file.unconfirmed for file in self.files)
