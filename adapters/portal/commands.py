"""`gateway sim portal`: run the simulated assessment portal.

    gateway sim portal --port 8088 [--host 127.0.0.1] [--faults SPEC] [--certs DIR]
                       [--facilities 01001,79001] [--password TEXT] [--seed N]

`sim` is a group of simulators of the external parties; each adds itself with
`sim_subcommands(subparsers).add_parser(...)`, whichever module registers first creates the
group (`gateway sim population` can join the same way). The fault SPEC grammar is in
adapters/portal/simulator/faults.py; `--certs DIR` is a `gateway certs init` directory (or its
`trust/` folder): documents must then carry a facility signature registered there.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path
from typing import Any

from adapters.portal.errors import PortalConfigError
from adapters.portal.simulator.config import DEV_FACILITIES, DEV_PASSWORD, SimConfig, dev_accounts
from adapters.portal.simulator.faults import parse_faults
from adapters.portal.simulator.server import PortalSimulator
from gateway.signing import SigningError, TrustStore

SIM_GROUP = "sim"
_SUBCOMMANDS = "sim_subcommands"


def sim_subcommands(subparsers: Any) -> Any:
    """The `gateway sim` group's sub-parsers, creating the group on first use."""
    sim = subparsers.choices.get(SIM_GROUP)
    if sim is None:
        sim = subparsers.add_parser(SIM_GROUP, help="run a simulator of an external party (tests, demo)")
        actions = sim.add_subparsers(dest="sim_party", metavar="PARTY", required=True)
        sim.set_defaults(**{_SUBCOMMANDS: actions})
    return sim.get_default(_SUBCOMMANDS)


def register(subparsers: Any) -> None:
    """Add `gateway sim portal` to the `gateway` parser."""
    p = sim_subcommands(subparsers).add_parser(
        "portal",
        help="the VSS assessment portal's API, with fault injection",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8088, help="0 picks a free port (default 8088)")
    p.add_argument("--faults", default="none", metavar="SPEC",
                   help="e.g. error_rate=0.1,latency_ms=5..50,down=30..60 (see faults.py)")  # fmt: skip
    p.add_argument("--certs", type=Path, metavar="DIR",
                   help="verify facility signatures against this trust directory")  # fmt: skip
    p.add_argument("--facilities", default=",".join(DEV_FACILITIES),
                   help="accounts <MACSKCB>_BV to create (comma-separated)")  # fmt: skip
    p.add_argument("--password", default=DEV_PASSWORD, help="their (development) password")
    p.add_argument("--seed", type=int, default=0, help="seed of the fault dice and card dataset")
    p.add_argument("--no-validate", action="store_true", help="accept documents the validator refuses")
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    try:
        config = _config(args)
    except PortalConfigError as exc:
        print(f"gateway sim portal: {exc.code}: {exc.message}", file=sys.stderr)
        return 2
    try:
        asyncio.run(_serve(config, args.host, args.port))
    except OSError as exc:
        print(f"gateway sim portal: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 1
    return 0


def _config(args: argparse.Namespace) -> SimConfig:
    facilities = [code.strip() for code in args.facilities.split(",") if code.strip()]
    trust = None
    if args.certs is not None:
        folder = args.certs / "trust" if (args.certs / "trust").is_dir() else args.certs
        try:
            trust = TrustStore.load(folder)
        except SigningError as exc:
            raise PortalConfigError(exc.code, exc.message) from None
    return SimConfig(
        accounts=dev_accounts(facilities, args.password),
        faults=parse_faults(args.faults),
        seed=args.seed,
        trust=trust,
        validate=not args.no_validate,
    )


async def _serve(config: SimConfig, host: str, port: int) -> None:
    sim = PortalSimulator(config)
    url = await sim.start(host, port)
    print(f"portal simulator on {url} (accounts: {', '.join(sorted(config.accounts))}; "
          f"faults: {config.faults.spec()}; signatures: {'checked' if config.trust else 'not checked'})",
          flush=True)  # fmt: skip
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await sim.stop()
