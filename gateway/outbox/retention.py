"""Retention: payloads of delivered documents are pruned after a configurable period.

What stays, for evidence and for the operations dashboard: the message row (digests, receipt,
state, received / delivered times, the portal's thoiGianTiepNhan), the whole audit chain, and
the per-facility per-day counts (received, delivered, refused, dead; days in Asia/Ho_Chi_Minh),
which are counted as events happen, not recomputed from rows. Idempotency keys expire after
24 hours. Each batch is one transaction; each pruned payload leaves an audit record.
"""

from __future__ import annotations

from gateway.outbox.records import PruneResult
from gateway.outbox.timeutil import iso
from gateway.outbox.tx import Tx

ACTOR = "retention"


def prune_batch(tx: Tx) -> PruneResult:
    """Prune up to `prune_batch` payloads delivered before the retention cutoff (a writer job);
    expire idempotency keys older than their TTL."""
    settings = tx.settings
    cutoff = iso(tx.now - settings.payload_retention)
    rows = tx.all(
        "SELECT seq, id, body_sha256 FROM messages WHERE state = 'DELIVERED' AND pruned_at IS NULL "
        "AND delivered_at < ? ORDER BY delivered_at LIMIT ?",
        (cutoff, settings.prune_batch),
    )
    for row in rows:
        tx.run("DELETE FROM payloads WHERE seq = ?", (row["seq"],))
        tx.run("UPDATE messages SET pruned_at = ? WHERE seq = ?", (tx.now_iso, row["seq"]))
        tx.audit("payload.pruned", ACTOR, message_id=row["id"], body_digest=row["body_sha256"],
                 detail={"retention_days": settings.payload_retention.days})
    expired = tx.run("DELETE FROM idempotency WHERE created_at < ?", (iso(tx.now - settings.idempotency_ttl),))
    if rows:
        tx.log("outbox.pruned", payloads=len(rows), idempotency_keys=expired)
    return PruneResult(len(rows), expired, tuple(r["id"] for r in rows))
