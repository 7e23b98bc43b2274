"""The outbox's settings: one frozen value built from configuration and passed in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

GIB = 1024**3


@dataclass(frozen=True)
class OutboxSettings:
    """How the store behaves. Defaults suit one machine and `gateway demo`.

    `min_free_bytes`: new documents are refused (`store.disk_watermark`, HTTP 503) while the
    database's file system has less free space; a day of national portal outage is ~20 GB of
    payload, so provision for the outage you want to ride out above this watermark.
    `checkpoint_dir`: where signed audit checkpoints go (outside the database); None means
    `<database directory>/checkpoints`.
    `resend_on_unknown`: the portal is assumed to keep one current version per facility and
    MA_LK (DOMAIN.md: an open assumption), so a document whose send's outcome is unknown is sent
    again (audited as a re-send). Set False if the portal turns out to keep duplicates: such a
    document then goes DEAD with code `outcome.unknown`, for an operator to check at the portal
    and replay.
    """

    min_free_bytes: int = 2 * GIB
    payload_retention: timedelta = timedelta(days=30)
    idempotency_ttl: timedelta = timedelta(hours=24)
    timezone: str = "Asia/Ho_Chi_Minh"  # the day of the daily counts
    max_batch: int = 256  # jobs per group commit
    read_pool_size: int = 2
    checkpoint_dir: Path | None = None
    prune_batch: int = 500
    resend_on_unknown: bool = True
