"""The one exception type that means "this path could not be checked" (exit 2), and how an
exception's message is shown in one line."""

import re


class CheckError(Exception):
    """A one-line, user-facing reason why a path could not be checked."""


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_KERAS_WRAPPER = "Exception encountered when calling"
_INNER_ERROR = ("Error encountered:", "Exception encountered:")


def message_line(exc: BaseException) -> str:
    """The first line of an exception's message that says something. Keras wraps errors
    raised inside a layer's call() ("Exception encountered when calling X.call().", "Could
    not automatically infer the output shape ... Error encountered:") with the real
    message on a later line: that one is returned."""
    lines = [line.strip() for line in _ANSI.sub("", str(exc)).splitlines() if line.strip()]
    for marker in _INNER_ERROR:  # "... Error encountered:" then the cause, on the next line
        found = [i for i, line in enumerate(lines) if line.endswith(marker)]
        if found and found[-1] + 1 < len(lines):
            return lines[found[-1] + 1].strip("'")
    if lines and lines[0].startswith(_KERAS_WRAPPER) and len(lines) > 1:
        return lines[1]
    return lines[0] if lines else ""
