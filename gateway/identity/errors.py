"""Exceptions of the identity toolkit: one root, every rejection with a stable code."""

from __future__ import annotations

from gateway.errors import CodedError


class IdentityError(ValueError):
    """Root of the identity toolkit's exceptions: always the caller's input, never our fault."""


class IdentityFormatError(CodedError, IdentityError):
    """A value that does not have the shape its kind requires.

    ``code`` is stable and machine-readable (``"cccd.length"``, ``"card.format"`` ...): the same
    string goes into the API response, the log line and the metric label. The message is for
    people and never repeats the full value (it may be a personal ID).
    """


class BirthDateError(IdentityFormatError):
    """A birth date that cannot be read or cannot exist; codes start with ``birth_date.``."""
