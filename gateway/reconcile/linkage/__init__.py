"""Demographic linkage: the records whose ID did not link (missing, malformed, unknown, or a
clearly different person's) linked to a citizen by name, birth date, gender and residence.

Fellegi–Sunter in DuckDB SQL, after Splink: blocking rules as data (blocking.py), comparison
levels as data compiled to SQL (levels.py), m and u estimated from the input (em.py),
term-frequency adjusted scores and decisions (scoring.py), the ID pass's classification for
the linked records (details.py), and an explanation of every decision (explain.py).
`link_demographics` runs it all (stage.py).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from gateway.reconcile.linkage.settings import LinkageConfig

if TYPE_CHECKING:
    from gateway.reconcile.linkage.blocking import RULES, BlockingRule
    from gateway.reconcile.linkage.em import Model
    from gateway.reconcile.linkage.explain import FILE_NAME as EXPLANATIONS_FILE
    from gateway.reconcile.linkage.explain import write_explanations
    from gateway.reconcile.linkage.stage import LinkageStats, link_demographics

# The rest is imported on first use: a run with --no-linkage (or a command that only needs
# the settings) does not pay for the linkage's modules at start-up (~30 ms).
_LAZY = {
    "RULES": ("blocking", "RULES"),
    "BlockingRule": ("blocking", "BlockingRule"),
    "Model": ("em", "Model"),
    "EXPLANATIONS_FILE": ("explain", "FILE_NAME"),
    "write_explanations": ("explain", "write_explanations"),
    "LinkageStats": ("stage", "LinkageStats"),
    "link_demographics": ("stage", "link_demographics"),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = _LAZY[name]
    value = getattr(importlib.import_module(f"{__name__}.{module}"), attribute)
    globals()[name] = value
    return value


__all__ = [
    "EXPLANATIONS_FILE",
    "RULES",
    "BlockingRule",
    "LinkageConfig",
    "LinkageStats",
    "Model",
    "link_demographics",
    "write_explanations",
]
