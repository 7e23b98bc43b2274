"""What every package's exception root shares: a stable machine-readable ``code`` and a message
for people, shown together as ``code: message``.

Each package keeps its own root (STYLE.md: one exception root per package, separating the
caller's mistakes from verification failures and from our own faults); this is only the
common shape they inherit. Put it first among the bases, so its ``__init__`` runs.
"""

from __future__ import annotations


class CodedError(Exception):
    """An exception with a stable ``code`` (``"cccd.length"``, ``"store.io"`` ...): the same
    string goes into the API response, the log line and the metric label. ``message`` never
    repeats a personal value (a name, an ID)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"
