"""Crash safety: a process writing under load is killed with SIGKILL at random moments; after
each restart every acknowledged write is there and the audit chain verifies."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.outbox.checkpoint import CertificateVerifier, GatewayCheckpointSigner
from gateway.outbox.sqlite_store import SqliteOutboxStore
from gateway.outbox.verify import verify_sqlite
from gateway.signing.certutil import load_certificates
from gateway.signing.devpki import DevPki

ROOT = Path(__file__).resolve().parents[2]


def run_until_killed(data: Path, pki: DevPki, first: int, kill_after: int) -> dict[str, str]:
    """Start the child, SIGKILL it after `kill_after` acknowledgements; every ACK it printed."""
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.outbox.crash_child", str(data), str(pki.base), str(first)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout is not None
    acked: dict[str, str] = {}
    for line in child.stdout:
        if line.startswith("ACK "):
            _, message_id, digest = line.split()
            acked[message_id] = digest
            if len(acked) >= kill_after:
                break
    child.send_signal(signal.SIGKILL)
    rest, errors = child.communicate()
    for line in rest.splitlines():  # acknowledged before the kill, still in the pipe
        if line.startswith("ACK ") and len(line.split()) == 3:
            _, message_id, digest = line.split()
            acked[message_id] = digest
    assert child.returncode == -signal.SIGKILL, errors
    assert acked, errors
    return acked


@pytest.mark.slow
async def test_every_acknowledged_write_survives_sigkill(
    tmp_path: Path, dev_pki: DevPki, checkpoint_signer: GatewayCheckpointSigner
) -> None:
    rng = random.Random(os.environ.get("CRASH_SEED", "5"))
    acked: dict[str, str] = {}
    for round_number in range(5):
        acked |= run_until_killed(tmp_path, dev_pki, round_number * 100_000, rng.randint(20, 400))
        store = SqliteOutboxStore(tmp_path / "outbox.db", disk_probe=lambda _p: 10**12,
                                  checkpoint_signer=checkpoint_signer)
        await store.open()
        for message_id, digest in acked.items():
            message = await store.get(message_id)
            assert message is not None, f"acknowledged {message_id} lost in round {round_number}"
            payload = await store.payload(message_id)
            assert message.body_sha256 == digest
            assert payload is None or hashlib.sha256(payload).hexdigest() == digest
        await store.close()
        verifier = CertificateVerifier(load_certificates(dev_pki.cert("gateway").read_bytes())[0])
        report = verify_sqlite(tmp_path / "outbox.db", tmp_path / "checkpoints", verifier)
        assert report.ok, (report.first_break, report.problems)
        assert report.checkpoints_matched >= round_number + 1  # ours at each close, the child's
