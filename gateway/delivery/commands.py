"""Operator commands on the outbox's delivery state, working directly on the store:

    gateway replay ID --reason TEXT --operator NAME [--data DIR | --store DSN]
    gateway replay --dead [--facility CODE] --reason TEXT --operator NAME [...]
    gateway release --facility CODE --operator NAME [--reason TEXT] [--data DIR | --store DSN]

`replay` puts DEAD documents back in the queue (HELD if their facility is held), oldest first;
the store refuses one that would overwrite newer data at the portal. `release` returns a held
facility's documents to QUEUED in their original order, at once. Both are audited with the
operator and the reason. A running gateway picks the documents up at its next poll.
Exit codes: 0 done, 1 something was refused or not found, 2 usage error or store failure.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from gateway.outbox import (
    MessageFilter,
    OutboxError,
    OutboxInputError,
    OutboxStore,
    State,
    open_store,
)
from gateway.outbox.commands import DATABASE_FILE

DEFAULT_RELEASE_REASON = "released by an operator (gateway release)"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `replay` and `release` to the CLI."""
    replay = subparsers.add_parser(
        "replay", help="put DEAD documents back in the delivery queue (audited)",
        description="Replay a DEAD document by id, or every DEAD document (of one facility), "
        "oldest first. Exit 0 when all were replayed, 1 when some were refused or not found, "
        "2 on a usage error.",
    )  # fmt: skip
    replay.add_argument("message_id", nargs="?", metavar="ID", help="the message to replay")
    replay.add_argument("--dead", action="store_true", help="replay every DEAD document")
    replay.add_argument("--facility", metavar="CODE", help="with --dead: only this facility's")
    replay.add_argument("--reason", required=True, help="why (kept in the audit)")
    replay.add_argument("--operator", required=True, metavar="NAME", help="who (kept in the audit)")
    _store_arguments(replay)
    replay.set_defaults(handler=run_replay)

    release = subparsers.add_parser(
        "release", help="release a held facility's documents now (audited)",
        description="Return a held facility's documents to the delivery queue in their original "
        "order, at once. Exit 0 when done, 2 on a usage error.",
    )  # fmt: skip
    release.add_argument("--facility", required=True, metavar="CODE")
    release.add_argument(
        "--operator", required=True, metavar="NAME", help="who (kept in the audit)"
    )
    release.add_argument("--reason", default=DEFAULT_RELEASE_REASON, help="why (kept in the audit)")
    _store_arguments(release)
    release.set_defaults(handler=run_release)


def _store_arguments(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--data",
        type=Path,
        metavar="DIR",
        help=f"the gateway data directory ({DATABASE_FILE}); default .",
    )
    where.add_argument(
        "--store", metavar="DSN", help="the store DSN, e.g. sqlite:///data/outbox.db"
    )


def store_dsn(args: argparse.Namespace) -> str:
    """The DSN `--store` gives, or the database in `--data DIR` (default the current directory)."""
    if args.store:
        return str(args.store)
    return f"sqlite:///{((args.data or Path('.')) / DATABASE_FILE).resolve()}"


def run_replay(args: argparse.Namespace) -> int:
    """`gateway replay`; returns the exit code."""
    if bool(args.message_id) == bool(args.dead) or (args.facility and not args.dead):
        print("gateway replay: give either ID or --dead [--facility CODE]", file=sys.stderr)
        return 2
    return _run(args, _replay)


def run_release(args: argparse.Namespace) -> int:
    """`gateway release`; returns the exit code."""
    return _run(args, _release)


def _run(args: argparse.Namespace, action: Any) -> int:
    command = f"gateway {args.command}" if getattr(args, "command", None) else "gateway"
    if not args.reason.strip() or not args.operator.strip():
        print(f"{command}: --reason and --operator must not be empty", file=sys.stderr)
        return 2
    try:
        return int(asyncio.run(_with_store(args, action)))
    except OutboxError as exc:
        print(f"{command}: {exc}", file=sys.stderr)
        return 2


async def _with_store(args: argparse.Namespace, action: Any) -> int:
    store = await open_store(store_dsn(args))
    try:
        return int(await action(store, args))
    finally:
        await store.close()


async def _replay(store: OutboxStore, args: argparse.Namespace) -> int:
    ids = [args.message_id] if args.message_id else await dead_ids(store, args.facility)
    failed = 0
    for message_id in ids:
        try:
            message = await store.replay(message_id, args.operator, args.reason)
        except OutboxInputError as exc:
            failed += 1
            print(f"not replayed {message_id}: {exc}")
            continue
        print(f"replayed {message_id}: {message.state.value}")
    print(f"{len(ids) - failed} replayed, {failed} not")
    return 1 if failed else 0


async def dead_ids(store: OutboxStore, facility: str | None) -> list[str]:
    """Every DEAD message (of `facility`), oldest first: the order replay must follow."""
    ids: list[str] = []
    cursor: str | None = None
    filters = MessageFilter(facility=facility, states=frozenset({State.DEAD}))
    while True:
        page = await store.list_messages(filters, cursor, 500)
        ids.extend(m.message_id for m in page.items)
        cursor = page.next_cursor
        if cursor is None:
            return ids[::-1]


async def _release(store: OutboxStore, args: argparse.Namespace) -> int:
    count = await store.release_facility(args.facility, args.operator, args.reason)
    print(f"released facility {args.facility}: {count} documents back in the queue")
    return 0
