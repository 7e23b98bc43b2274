"""Exceptions of the identity toolkit: one root, every rejection with a stable code."""

from __future__ import annotations


class IdentityError(ValueError):
    """Root of the identity toolkit's exceptions: always the caller's input, never our fault."""


class IdentityFormatError(IdentityError):
    """A value that does not have the shape its kind requires.

    ``code`` is stable and machine-readable (``"cccd.length"``, ``"card.format"`` ...): the same
    string goes into the API response, the log line and the metric label. The message is for
    people and never repeats the full value (it may be a personal ID).
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class BirthDateError(IdentityFormatError):
    """A birth date that cannot be read or cannot exist; codes start with ``birth_date.``."""
