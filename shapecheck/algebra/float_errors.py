"""numpy's floating-point complaints silenced around the shape algebra: an overflow or a 0/0
there is a size the algebra handles (or refuses) itself, never a RuntimeWarning on stderr."""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def quiet_numpy() -> Iterator[None]:
    import numpy as np

    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield
