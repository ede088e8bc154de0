"""Layers built without weight values while a builder module runs.

The check needs shapes, never weights, and creating and randomly initialising every
variable is a third of a build (764 variables in the seeds' ResNeXt-50). While a module
runs, a variable made from an initializer keeps the initializer and its shape and gets no
value: Keras' own deferred variables (those made in a `StatelessScope`) work the same way,
and Keras reads them as placeholders wherever a shape is all it needs.

A module that reads weight values (`get_weights()`, `kernel.numpy()`, `set_weights`,
`assign`) gets no placeholder: the read raises `WeightsRead` (a BaseException, so the
module's own `except Exception` does not hide it) and the loader runs the module again the
ordinary way (load/builder.py), saying so under --debug.

In a supervised child (isolation/zygote.py sets DISPOSABLE) the variables are left
without values: the process ends after the report. In shapecheck's own process
(`isolate=False`, the API) they get their values when the module has run, so the models
built are ordinary Keras models afterwards.
"""

from __future__ import annotations

import contextlib
from typing import Optional

from keras.src.backend import Variable

from shapecheck.capture.patching import patch

DISPOSABLE = False  # set in a supervised child, whose models die with it


class WeightsRead(BaseException):
    """The module read a weight value while its variables had none."""


class DeferredWeights:
    """Context manager: variables made from an initializer get no value while it is active.
    `read` is set (to what was read) once the module reads one; `where` says where."""

    def __init__(self, where=lambda: None) -> None:
        self.deferred: list = []
        self.read: Optional[str] = None
        self._where = where
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> DeferredWeights:
        deferred = self.deferred
        self._patch("_initialize_with_initializer", self._defer(deferred))
        # Keras initialises the variables made inside its own stateless scopes when the
        # outermost one ends: those stay without values too
        self._patch("_deferred_initialize", lambda variable: deferred.append(variable))
        for name in ("numpy", "__array__", "assign", "assign_add", "assign_sub"):
            self._patch(name, self._guard(name, getattr(Variable, name)))
        original_handle = Variable.handle
        self._patch("handle", property(self._guard("handle", original_handle.fget)))
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()
        if not DISPOSABLE:
            self.materialize()

    def materialize(self) -> None:
        """Give every variable still without a value its initial value (the ordinary build's)."""
        for variable in self.deferred:
            if variable._value is None and variable._initializer is not None:
                variable._deferred_initialize()
        self.deferred.clear()

    def _patch(self, name: str, replacement) -> None:
        patch(self._stack, Variable, name, replacement)

    @staticmethod
    def _defer(deferred: list):
        def _initialize_with_initializer(variable, initializer):
            variable._initializer = initializer
            variable._value = None
            deferred.append(variable)

        return _initialize_with_initializer

    def _guard(self, what: str, original):
        scope = self

        def guarded(variable, *args, **kwargs):
            if variable._value is None and variable._initializer is not None:
                location = scope._where()
                scope.read = f"{variable.path}: {what}" + (f" at {location.label()}" if location else "")
                raise WeightsRead(scope.read)
            return original(variable, *args, **kwargs)

        return guarded
