"""Structured log lines of the outbox: one JSON object per state change, MA_LK masked.

The store's metadata holds no personal data except facility codes and MA_LK (a treatment
episode code chosen by the hospital); MA_LK is masked here, payloads are never logged.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any


def mask_key(key: str) -> str:
    """`HS2026001234` -> `HS********34`: enough to tell keys apart in a log, not to read one."""
    if len(key) <= 4:
        return "*" * len(key)
    return key[:2] + "*" * (len(key) - 4) + key[-2:]


def mask_keys(keys: Iterable[str]) -> list[str]:
    return [mask_key(k) for k in keys]


def emit(logger: logging.Logger, event: Mapping[str, Any]) -> None:
    """Write one event as a JSON line at INFO (keys under "keys" are masked)."""
    if not logger.isEnabledFor(logging.INFO):
        return
    line = dict(event)
    if "keys" in line:
        line["keys"] = mask_keys(line["keys"])
    logger.info(json.dumps(line, ensure_ascii=False, sort_keys=True))
