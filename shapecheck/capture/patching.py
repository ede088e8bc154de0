"""Setting a class attribute for the length of a run, and putting it back."""

from __future__ import annotations

import contextlib


def patch(stack: contextlib.ExitStack, owner: type, name: str, replacement) -> None:
    """Set owner.name; when `stack` closes, restore the class's own value (or remove the
    attribute, when it was inherited)."""
    if name in owner.__dict__:
        stack.callback(setattr, owner, name, owner.__dict__[name])
    else:
        stack.callback(delattr, owner, name)
    setattr(owner, name, replacement)
