"""The processes of bench/intake.py besides the load generator, and their CPU accounting.

    python bench/intake_procs.py sim --port 0 [--faults SPEC] [--trust DIR]
    python bench/intake_procs.py gateway --data DIR --pki DIR --portal-url URL [--workers 16]

`sim`: the portal simulator (adapters/portal/simulator) in its own process, keeping digests
only (`keep_documents=False`: a 10-minute run sends ~3 GB); it prints `READY <url>`, and when
stopped (SIGTERM) one JSON line of what it received.

`gateway`: the real `gateway serve --config FILE` (the store, the intake and its worker process,
the delivery workers with the real portal client sending to `--portal-url`, JSON log lines to
`--log`) as a child of this small wrapper, which writes the settings and portal accounts files,
prints `READY <url> <pid of gateway serve>` once /readyz answers 200 and passes SIGTERM on (a clean stop). The wrapper
is in the CPU accounting too (it sleeps).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FACILITY = "01001"
TOKEN = "bench-token-facility-01001"
PORTAL_PASSWORD = "bench-portal"


# -- CPU accounting (Linux /proc) ----------------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of one live process (not its children); 0 once it is gone."""
    fields = _stat(pid)
    return 0.0 if fields is None else (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree(pid: int) -> list[int]:
    """The process and its live descendants."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields is not None:
                parents[int(entry)] = int(fields[1])
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        if current not in found:
            found.append(current)
            todo.extend(child for child, parent in parents.items() if parent == current)
    return found


def tree_cpu(pid: int) -> float:
    """User + system CPU seconds of a process and all its live descendants, plus the children it
    has already reaped (cutime + cstime)."""
    total = 0
    for current in tree(pid):
        fields = _stat(current)
        if fields is not None:
            total += int(fields[11]) + int(fields[12])
            if current == pid:
                total += int(fields[13]) + int(fields[14])
    return total / os.sysconf("SC_CLK_TCK")


def tree_peak_rss(pid: int) -> float:
    """Sum of the peak resident sizes (VmHWM) of a process and its live descendants, MiB."""
    total = 0
    for current in tree(pid):
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1])
    return total / 1024


# -- the children --------------------------------------------------------------------------------


async def _until_terminated() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()


async def run_sim(args: argparse.Namespace) -> None:
    from adapters.portal.simulator import PortalSimulator, SimConfig, dev_accounts, parse_faults
    from gateway.signing import TrustStore

    trust = TrustStore.load(args.trust) if args.trust else None
    sim = PortalSimulator(SimConfig(
        accounts=dev_accounts((FACILITY,), PORTAL_PASSWORD), faults=parse_faults(args.faults),
        trust=trust, keep_documents=False,
    ), shutdown_timeout=1.0)  # fmt: skip
    url = await sim.start("127.0.0.1", args.port)
    print(f"READY {url}", flush=True)
    await _until_terminated()
    received = sim.received
    outcomes: dict[str, int] = {}
    for receipt in received:
        result = receipt.ma_ket_qua or f"HTTP {receipt.status}"
        outcomes[result] = outcomes.get(result, 0) + 1
    await sim.stop()
    print(json.dumps({"received": len(received), "by_result": outcomes,
                      "current": len(sim.state.current)}), flush=True)


def write_config(args: argparse.Namespace, port: int) -> Path:
    """The settings file `gateway serve --config` reads, and its portal accounts file (the
    portal password from the environment, as in production)."""
    from gateway.http.tokens import hash_token

    accounts = args.data.parent / "portal-accounts.toml"
    accounts.write_text(f'[defaults]\nbase_url = "{args.portal_url}"\nversion = "4750"\n'
                        f'[facilities."{FACILITY}"]\nusername = "{FACILITY}_BV"\n', encoding="utf-8")
    config = args.data.parent / "gateway.toml"
    config.write_text(
        f'host = "127.0.0.1"\nport = {port}\ndata_dir = "{args.data}"\n'
        "[store]\nmin_free_bytes = 0\n"
        f'[signing]\ntrust_dir = "{args.pki / "trust"}"\nkeys_dir = "{args.pki}"\n'
        f'[intake]\nworker = "{args.worker}"\n'
        "[rate_limit]\nrate = 1000000.0\nburst = 1000000\n"
        "[callbacks]\nenabled = false\n"
        f'[delivery]\naccounts_file = "{accounts}"\nconcurrency = {args.workers}\n'
        f"poll_seconds = {args.poll_seconds}\n"
        f'[facilities."{FACILITY}"]\nsignature_policy = "required"\ntokens = ["{hash_token(TOKEN)}"]\n',
        encoding="utf-8")
    return config


async def run_gateway(args: argparse.Namespace) -> None:
    """`gateway serve --config` (the production entry point, delivery workers included) as a
    child of this process; READY once /readyz answers 200; SIGTERM is passed on."""
    import socket

    import aiohttp

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    config = write_config(args, port)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env[f"GATEWAY_PORTAL_PASSWORD_{FACILITY}"] = PORTAL_PASSWORD
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    with args.log.open("ab") as log:
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "gateway", "serve", "--config", str(config),
            stdout=log, stderr=log, env=env)
    url = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as session:
        for _ in range(1200):
            if child.returncode is not None:
                raise SystemExit(f"gateway serve exited with {child.returncode}; see {args.log}")
            try:
                async with session.get(f"{url}/readyz") as answer:
                    if answer.status == 200:
                        break
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
        else:
            raise SystemExit(f"gateway serve not ready after 120 s; see {args.log}")
    print(f"READY {url} {child.pid}", flush=True)
    try:
        await _until_terminated()
    finally:
        child.send_signal(signal.SIGTERM)
        await child.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    roles = parser.add_subparsers(dest="role", required=True)
    sim = roles.add_parser("sim")
    sim.add_argument("--port", type=int, default=0)
    sim.add_argument("--faults", default="none")
    sim.add_argument("--trust", type=Path, help="check facility signatures against this trust directory")
    gateway = roles.add_parser("gateway")
    gateway.add_argument("--data", type=Path, required=True)
    gateway.add_argument("--pki", type=Path, required=True)
    gateway.add_argument("--portal-url", required=True)
    gateway.add_argument("--log", type=Path, required=True)
    gateway.add_argument("--worker", choices=("process", "thread"), default="process")
    gateway.add_argument("--workers", type=int, default=16, help="delivery sends in flight")
    gateway.add_argument("--poll-seconds", type=float, default=1.0)
    args = parser.parse_args()
    asyncio.run(run_sim(args) if args.role == "sim" else run_gateway(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
