"""Demographic linkage: the records whose ID did not link (missing, malformed, unknown, or a
clearly different person's) linked to a citizen by name, birth date, gender and residence.

Fellegi–Sunter in DuckDB SQL, after Splink: blocking rules as data (blocking.py), comparison
levels as data compiled to SQL (levels.py), m and u estimated from the input (em.py),
term-frequency adjusted scores and decisions (scoring.py), the ID pass's classification for
the linked records (details.py), and an explanation of every decision (explain.py).
`link_demographics` runs it all (stage.py).
"""

from gateway.reconcile.linkage.blocking import RULES, BlockingRule
from gateway.reconcile.linkage.em import Model
from gateway.reconcile.linkage.explain import FILE_NAME as EXPLANATIONS_FILE
from gateway.reconcile.linkage.explain import write_explanations
from gateway.reconcile.linkage.settings import LinkageConfig
from gateway.reconcile.linkage.stage import LinkageStats, link_demographics

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
