"""The disk watermark: refuse new documents before the disk fills."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.outbox import DiskFull, StoreUnavailable
from tests.outbox.conftest import FakeClock, StoreFactory, submission
from tests.outbox.helpers import deliver, lease_one


class Disk:
    def __init__(self, free: int) -> None:
        self.free = free

    def __call__(self, _path: Path) -> int:
        return self.free


async def test_new_documents_are_refused_under_the_watermark(open_test_store: StoreFactory, clock: FakeClock) -> None:
    disk = Disk(10 * 2**30)
    store = await open_test_store(min_free_bytes=2**30, probe=disk)
    accepted = await store.accept(submission(("LK1",), "a"))
    disk.free = 2**30 - 1
    with pytest.raises(DiskFull) as caught:
        await store.accept(submission(("LK2",), "b"))
    assert caught.value.code == "store.disk_watermark"
    assert isinstance(caught.value, StoreUnavailable)
    await deliver(store, await lease_one(store, clock))  # delivery goes on: it frees space
    message = await store.get(accepted.message_id)
    assert message is not None and message.receipt == "GD-1"
    disk.free = 2**31
    assert not (await store.accept(submission(("LK2",), "b"))).duplicate
