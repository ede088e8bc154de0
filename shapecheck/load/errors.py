"""The one exception type that means "this path could not be checked" (exit 2)."""


class CheckError(Exception):
    """A one-line, user-facing reason why a path could not be checked."""
