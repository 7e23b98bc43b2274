"""The exception root of gateway.xml: what callers catch, with a stable code."""

from __future__ import annotations


class XmlError(Exception):
    """Root of every exception raised by gateway.xml."""

    def __init__(self, code: str, message: str, *, line: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class XmlInputError(XmlError):
    """The caller's input cannot be read as a document at all (malformed, hostile, too big).

    Maps to a 400/413 at the HTTP edge; never an alarm on our side.
    """
