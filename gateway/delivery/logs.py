"""Structured log lines of the delivery workers: one JSON object per event, MA_LK masked.

Events carry message ids, facility codes, outcome codes and timings; never document content,
credentials or tokens.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from gateway.outbox.logs import mask_keys

LOGGER_NAME = "gateway.delivery"


def emit(logger: logging.Logger, event: Mapping[str, Any], level: int = logging.INFO) -> None:
    """Write one event as a JSON line (keys under "keys" are masked)."""
    if not logger.isEnabledFor(level):
        return
    line = dict(event)
    if "keys" in line:
        line["keys"] = mask_keys(line["keys"])
    logger.log(level, json.dumps(line, ensure_ascii=False, sort_keys=True, default=str))
