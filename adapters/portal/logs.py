"""Structured log lines of the portal adapter: one JSON object per event.

Events carry facility codes, usernames (`01001_BV`: an account name, not a secret), outcome
codes and timings; never passwords, digests, tokens, URLs with a query string or document
content. Card lookups log the card code masked.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any


def emit(logger: logging.Logger, event: Mapping[str, Any], level: int = logging.INFO) -> None:
    """Write one event as a JSON line."""
    if logger.isEnabledFor(level):
        logger.log(level, json.dumps(dict(event), ensure_ascii=False, sort_keys=True, default=str))
