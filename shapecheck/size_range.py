"""--sizes LOW:HIGH, the range of H and W the size sweep tries (no numpy until it is used:
a pre-commit run over ordinary files imports neither numpy nor the sweep)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SizeRange:
    low: int = 1
    high: int = 1024

    @classmethod
    def parse(cls, text: str) -> SizeRange:
        """'32:2048' (inclusive); a lone '512' means 1..512."""
        try:
            low, _, high = text.partition(":") if ":" in text else ("1", "", text)
            result = cls(int(low), int(high))
        except ValueError:
            raise ValueError(f"--sizes expects LOW:HIGH (e.g. 32:2048), got {text!r}") from None
        if not 1 <= result.low <= result.high or result.high > 1 << 20:
            raise ValueError(f"--sizes {text}: need 1 <= LOW <= HIGH <= {1 << 20}")
        return result

    def __str__(self) -> str:
        return f"{self.low}..{self.high}"

    def values(self):
        import numpy as np  # here, not at the top: a run that checks nothing never needs numpy

        return np.arange(self.low, self.high + 1, dtype=np.int64)
