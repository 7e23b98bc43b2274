"""Property test: any sequence of store operations keeps the outbox's invariants.

- one current version per (facility, document type, key set): at most one version waiting
  (QUEUED, RETRY_WAIT, HELD), and it is the newest;
- per MA_LK order: a message is marked SENDING only when no earlier message sharing one of its
  lanes is pending, and at most one message per lane is SENDING;
- final states stay final (DELIVERED, REFUSED, SUPERSEDED never change; DEAD only by replay);
- the audit is complete: each message's records form a path through TRANSITIONS that ends in
  its current state, and the whole chain verifies.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import tempfile
from collections import defaultdict
from collections.abc import Coroutine
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from gateway.outbox import (
    DocumentType,
    Lease,
    OutboxInputError,
    OutboxSettings,
    Outcome,
    OutcomeKind,
)
from gateway.outbox.audit import ChainWalk
from gateway.outbox.identity import keys_from_text
from gateway.outbox.model import PENDING_STATES, TRANSITIONS, State
from gateway.outbox.sqlite_reads import AUDIT_COLUMNS, to_audit
from gateway.outbox.sqlite_store import SqliteOutboxStore
from tests.outbox.conftest import FakeClock, submission

T = TypeVar("T")
PENDING = {s.value for s in PENDING_STATES}
WAITING = {State.QUEUED.value, State.RETRY_WAIT.value, State.HELD.value}
FOREVER = {State.DELIVERED.value, State.REFUSED.value, State.SUPERSEDED.value}


class OutboxMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.directory = Path(tempfile.mkdtemp(prefix="outbox-sm-"))
        self.loop = asyncio.new_event_loop()
        self.clock = FakeClock()
        self.store = SqliteOutboxStore(
            self.directory / "outbox.db", clock=self.clock,
            settings=OutboxSettings(min_free_bytes=0, payload_retention=timedelta(minutes=5)),
            disk_probe=lambda _p: 10**12,
        )
        self.run(self.store.open())
        self.db = sqlite3.connect(f"file:{self.directory / 'outbox.db'}?mode=ro", uri=True)
        self.leases: list[Lease] = []
        self.final: dict[str, str] = {}
        self.order_violations: list[str] = []

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)

    def teardown(self) -> None:
        self.db.close()
        self.run(self.store.close())
        self.loop.close()
        shutil.rmtree(self.directory, ignore_errors=True)

    def rows(self) -> list[tuple[str, int, str, str, str, str]]:
        return self.db.execute(
            "SELECT id, seq, facility, document_type, keyset, state FROM messages ORDER BY seq").fetchall()

    # -- operations ----------------------------------------------------------------------------

    @rule(facility=st.sampled_from(["01001", "79001"]),
          keys=st.frozensets(st.sampled_from(["A", "B", "C"]), min_size=1, max_size=2),
          content=st.sampled_from(["c1", "c2", "c3"]),
          checkin=st.booleans(),
          key=st.none() | st.sampled_from(["k1", "k2"]))
    def accept(self, facility: str, keys: frozenset[str], content: str, checkin: bool, key: str | None) -> None:
        kind = DocumentType.CHECKIN if checkin else DocumentType.ENVELOPE
        try:
            self.run(self.store.accept(submission(tuple(sorted(keys)), content, facility=facility,
                                                  document_type=kind, idempotency_key=key)))
        except OutboxInputError as exc:
            assert exc.code == "idempotency.conflict"

    @rule(worker=st.sampled_from(["w1", "w2"]), limit=st.integers(1, 3))
    def lease(self, worker: str, limit: int) -> None:
        self.leases.extend(self.run(self.store.lease(worker, self.clock(), limit, 30)))

    @precondition(lambda self: self.leases)
    @rule(data=st.data())
    def mark_sending(self, data: st.DataObject) -> None:
        lease = data.draw(st.sampled_from(self.leases))
        if self.run(self.store.mark_sending(lease)):
            self.check_order(lease.message_id)

    @precondition(lambda self: self.leases)
    @rule(data=st.data(), kind=st.sampled_from(list(OutcomeKind)))
    def record_outcome(self, data: st.DataObject, kind: OutcomeKind) -> None:
        lease = data.draw(st.sampled_from(self.leases))
        later = self.clock() + timedelta(seconds=20)
        outcome = {
            OutcomeKind.DELIVERED: Outcome.delivered("GD", "20260304090000", b"{}"),
            OutcomeKind.REFUSED: Outcome.refused("422", "no"),
            OutcomeKind.RETRY: Outcome.retry(later, "503", "busy"),
            OutcomeKind.UNKNOWN: Outcome.unknown(later, "timeout", "?"),
            OutcomeKind.HELD: Outcome.held("401", "credentials"),
            OutcomeKind.DEAD: Outcome.dead("exhausted", "gave up"),
        }[kind]
        try:
            if self.run(self.store.record_outcome(lease, outcome)):
                self.leases.remove(lease)
        except OutboxInputError as exc:
            assert exc.code == "outbox.invalid_transition" and kind in (
                OutcomeKind.DELIVERED, OutcomeKind.REFUSED, OutcomeKind.UNKNOWN)

    @rule(seconds=st.sampled_from([5, 31, 120]))
    def advance(self, seconds: int) -> None:
        self.clock.advance(seconds=seconds)

    @rule(worker=st.sampled_from(["w1", "w2"]))
    def lease_and_send(self, worker: str) -> None:
        for lease in self.run(self.store.lease(worker, self.clock(), 2, 30)):
            self.leases.append(lease)
            if self.run(self.store.mark_sending(lease)):
                self.check_order(lease.message_id)

    @rule(facility=st.sampled_from(["01001", "79001"]), hold=st.booleans(), often=st.integers(0, 3))
    def hold_or_release(self, facility: str, hold: bool, often: int) -> None:
        if often:  # holds are rare events: most draws do nothing
            return
        action = self.store.hold_facility if hold else self.store.release_facility
        self.run(action(facility, "ops", "property test"))

    @rule(data=st.data())
    def replay(self, data: st.DataObject) -> None:
        dead = [r[0] for r in self.rows() if r[5] == State.DEAD.value]
        if not dead:
            return
        message_id = data.draw(st.sampled_from(dead))
        try:
            self.run(self.store.replay(message_id, "ops", "property test"))
            self.final.pop(message_id, None)
        except OutboxInputError as exc:
            assert exc.code == "outbox.replay_refused"

    @rule()
    def prune(self) -> None:
        self.run(self.store.prune(self.clock()))

    # -- invariants ----------------------------------------------------------------------------

    def check_order(self, message_id: str) -> None:
        rows = self.rows()
        me = next(r for r in rows if r[0] == message_id)
        my_lanes = {(me[2], me[3], k) for k in keys_from_text(me[4])}
        for other in rows:
            lanes = {(other[2], other[3], k) for k in keys_from_text(other[4])}
            if other[1] < me[1] and lanes & my_lanes and other[5] in PENDING:
                self.order_violations.append(f"{message_id} sent while earlier {other[0]} is {other[5]}")

    @invariant()
    def sends_respect_per_ma_lk_order(self) -> None:
        assert not self.order_violations, self.order_violations
        in_flight: dict[tuple[str, str, str], int] = defaultdict(int)
        for _id, _seq, facility, kind, keyset, state in self.rows():
            if state == State.SENDING.value:
                for key in keys_from_text(keyset):
                    in_flight[(facility, kind, key)] += 1
        assert all(count <= 1 for count in in_flight.values()), in_flight

    @invariant()
    def one_current_version_per_document(self) -> None:
        versions: dict[tuple[str, str, str], list[tuple[int, str]]] = defaultdict(list)
        for _id, seq, facility, kind, keyset, state in self.rows():
            versions[(facility, kind, keyset)].append((seq, state))
        for identity, items in versions.items():
            waiting = [seq for seq, state in items if state in WAITING]
            assert len(waiting) <= 1, (identity, items)
            if waiting:
                assert waiting[0] == max(seq for seq, _ in items), (identity, items)

    @invariant()
    def final_states_stay_final(self) -> None:
        for message_id, _seq, _f, _k, _ks, state in self.rows():
            if message_id in self.final:
                assert state == self.final[message_id], (message_id, self.final[message_id], state)
            if state in FOREVER or state == State.DEAD.value:
                self.final[message_id] = state

    @invariant()
    def audit_is_complete_and_chained(self) -> None:
        records = [to_audit(r) for r in self.db.execute(f"SELECT {AUDIT_COLUMNS} FROM audit ORDER BY seq")]
        walk = ChainWalk()
        walk.feed(records)
        assert walk.first_break is None and walk.count == len(records)
        trail: dict[str, str | None] = {}
        for record in records:
            if record.to_state is None or record.message_id is None:
                continue
            before = trail.get(record.message_id)
            assert record.from_state == before, record
            start = None if before is None else State(before)
            assert (start, State(record.to_state)) in TRANSITIONS, record
            trail[record.message_id] = record.to_state
        for message_id, *_rest, state in self.rows():
            assert trail.get(message_id) == state, (message_id, trail.get(message_id), state)


OutboxMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=30, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestOutboxStateMachine = OutboxMachine.TestCase
