"""Intake with delivery (issue 7, "Speed"): the running gateway driven over loopback from a
separate process, with delivery to the portal simulator running too, all on one machine.

Three processes besides the gateway's own intake worker process: this one (documents, load
generator, observers), the gateway (intake_procs.py `gateway`: the HTTP API as `gateway serve`
builds it, SQLite store, the delivery workers sending to the simulator with the real portal
client) and the portal simulator (intake_procs.py `sim`, no faults by default), so that the
gateway's CPU is measured alone: user + system time from /proc of its process and descendants.

Documents: typical ~40 KB envelopes signed by facility 01001 (policy `required`), generated and
signed before the run (intake_docs.py), one MA_LK each, plus `--new-version-share` new versions
of a dossier sent 2-30 s earlier.

1. Latency: open-loop load at `--latency-rate` (50/s) for `--latency-seconds`; accept latency
   (from the time each request was due to its answer) p50/p95/p99/max.
2. Sustained: open-loop load at `--rate` (110/s) for `--duration` seconds; accepted/s,
   delivered/s, the backlog (QUEUED + SENDING + RETRY_WAIT + HELD, read from the store every
   second, shown every 10 s) and its trend (least-squares slope after the first 10 s), then the
   time to drain it after the last request. Gateway CPU per dossier = its CPU from the start of
   the phase to the end of the drain (accept + deliver) / dossiers accepted in the phase, beside
   the floor measured in this run after the gateway stopped: validation of one dossier
   (gateway.xml.validate) + its signature verification (gateway.signing, `required`: XML-DSig,
   chain, CRL, registry), CPU time per document, median of 3 passes.

Targets: >= 100 accepted/s sustained for 10 minutes with delivery keeping pace (backlog growth
over the phase below 2 s of offered load, and drained at the end), p99 accept latency <= 100 ms
at 50/s; gateway CPU per dossier reported beside the floor.

    .venv/bin/python bench/intake.py --duration 600            # the issue's run (~15 minutes)
    .venv/bin/python bench/intake.py --duration 60 --latency-seconds 30   # a quick check

Prints the backlog every 10 s, a Markdown section for BENCHMARKS.md and the targets; writes every
figure (and the 1-s samples) to `--json` (default bench/results/intake-<UTC time>.json); exit 0
only when every target is met. `--workdir DIR` keeps documents, store and logs, and a later run
with the same plan reuses the documents (the store is always made afresh).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import intake_docs
import intake_report
from intake_load import Offered, StoreProbe, offer
from intake_procs import FACILITY, TOKEN, process_cpu, tree_cpu, tree_peak_rss

from _machine import machine

HERE = Path(__file__).resolve().parent
SAMPLE_SECONDS = 1.0
SHOW_SECONDS = 10.0


# -- child processes -----------------------------------------------------------------------------


class Child:
    """A child process of intake_procs.py that prints `READY <url>` when it serves."""

    def __init__(self, role: str, argv: list[str], log: Path) -> None:
        self.role, self.argv, self.log = role, argv, log
        self.process: asyncio.subprocess.Process | None = None
        self.url = ""
        self.main_pid = 0  # the serving process (`READY <url> [pid]`; the child itself if no pid)

    async def start(self, timeout: float = 120.0) -> str:
        with open(self.log, "ab") as err:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, str(HERE / "intake_procs.py"), self.role, *self.argv,
                stdout=asyncio.subprocess.PIPE, stderr=err)
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        if not line.startswith(b"READY "):
            tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise SystemExit(f"{self.role} did not start:\n{tail}")
        words = line.decode().split()
        self.url = words[1]
        self.main_pid = int(words[2]) if len(words) > 2 else self.process.pid
        return self.url

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def stop(self, timeout: float = 60.0) -> str:
        """SIGTERM, wait; returns what it printed after READY."""
        if self.process is None or self.process.returncode is not None:
            return ""
        self.process.send_signal(signal.SIGTERM)
        try:
            out, _ = await asyncio.wait_for(self.process.communicate(), timeout)
        except TimeoutError:
            self.process.kill()
            out, _ = await self.process.communicate()
        return out.decode()


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy (all cores; /proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


# -- the phases ----------------------------------------------------------------------------------


class Run:
    """The processes of one run and their CPU clocks."""

    def __init__(self, gateway: Child, sim: Child, probe: StoreProbe) -> None:
        self.gateway, self.sim, self.probe = gateway, sim, probe

    def clocks(self) -> dict[str, float]:
        return {"gateway": tree_cpu(self.gateway.pid), "gateway_main": process_cpu(self.gateway.main_pid),
                "simulator": tree_cpu(self.sim.pid),
                "load_generator": time.process_time(), "machine": machine_busy(),
                "wall": time.monotonic()}

    async def counts(self) -> dict[str, int]:
        return await asyncio.to_thread(self.probe.counts)

    async def drain(self, expected: int, timeout: float) -> float | None:
        """Seconds until every accepted document has left the pending states; None on timeout."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            counts = await self.counts()
            if counts["received"] >= expected and counts["backlog"] == 0:
                return time.monotonic() - started
            await asyncio.sleep(0.1)
        return None


def spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: after[name] - before[name] for name in before}


async def sampled(run: Run, offered: Offered, task: asyncio.Task[Offered], accepted_before: int
                  ) -> list[dict[str, Any]]:
    """Samples every second while `task` runs: elapsed, answers so far, store counts, CPU."""
    samples: list[dict[str, Any]] = []
    start = time.monotonic()
    last_shown = 0.0
    while not task.done():
        await asyncio.wait({task}, timeout=SAMPLE_SECONDS)
        counts, clocks = await run.counts(), run.clocks()
        elapsed = clocks["wall"] - start
        sample = {"t": round(elapsed, 2), "answered": offered.count,
                  "accepted": sum(a.status == 202 for a in offered.answers), **counts,
                  "gateway_cpu": clocks["gateway"]}
        samples.append(sample)
        if elapsed - last_shown >= SHOW_SECONDS or task.done():
            last_shown = elapsed
            print(f"  [{elapsed:5.0f}s] accepted {sample['accepted']}, delivered "
                  f"{counts['delivered'] - accepted_before}, backlog {counts['backlog']}", file=sys.stderr)
    return samples


async def phases(args: argparse.Namespace, work: Path, docs: intake_docs.Documents,
                 sizes: dict[str, int]) -> dict[str, Any]:
    import aiohttp

    sim_argv = ["--faults", args.sim_faults] + (["--trust", str(work / "pki" / "trust")] if args.sim_verify else [])
    sim = Child("sim", sim_argv, work / "sim.log")
    portal_url = await sim.start()
    gateway = Child("gateway", [
        "--data", str(work / "data"), "--pki", str(work / "pki"), "--portal-url", portal_url,
        "--log", str(work / "gateway.log"), "--worker", args.worker, "--workers", str(args.workers),
        "--poll-seconds", str(args.poll_seconds)], work / "gateway.stderr")
    run: Run | None = None
    out: dict[str, Any] = {}
    try:
        api = await gateway.start()
        run = Run(gateway, sim, StoreProbe(work / "data" / "outbox.db"))
        url = f"{api}/api/v1/dossiers"
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/xml"}
        first_latency = sizes["warmup"]
        first_sustained = first_latency + sizes["latency"]
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1024)) as session:
            print(f"warm-up: {sizes['warmup']} dossiers at {args.latency_rate:g}/s ...", file=sys.stderr)
            await offer(session, url, headers, _slice(docs, 0, first_latency), args.latency_rate)
            await run.drain(first_latency, args.drain_timeout)

            print(f"phase 1: {args.latency_rate:g}/s for {args.latency_seconds:g} s ...", file=sys.stderr)
            before = run.clocks()
            latency = await offer(session, url, headers, _slice(docs, first_latency, first_sustained),
                                  args.latency_rate)
            offered_end = run.clocks()
            drain1 = await run.drain(first_sustained, args.drain_timeout)
            out["latency"] = {"offered": latency, "cpu": spent(before, offered_end),
                              "cpu_with_drain": spent(before, run.clocks()), "drain_seconds": drain1}

            print(f"phase 2: {args.rate:g}/s for {args.duration:g} s ...", file=sys.stderr)
            counts_before = await run.counts()
            before = run.clocks()
            sustained = Offered(args.rate, 0.0)
            task = asyncio.create_task(offer(session, url, headers,
                                             _slice(docs, first_sustained, len(docs)), args.rate, sustained))
            samples = await sampled(run, sustained, task, counts_before["delivered"])
            await task
            offered_end = run.clocks()
            counts_end = await run.counts()
            drain2 = await run.drain(counts_before["received"] + sustained.accepted(), args.drain_timeout)
            after = run.clocks()
            out["sustained"] = {"offered": sustained, "samples": samples, "counts_before": counts_before,
                                "counts_end": counts_end, "counts_drained": await run.counts(),
                                "cpu_offered": spent(before, offered_end), "cpu": spent(before, after),
                                "drain_seconds": drain2,
                                "peak_rss_mib": {"gateway": tree_peak_rss(gateway.pid),
                                                 "simulator": tree_peak_rss(sim.pid)}}
        out["by_state"] = await asyncio.to_thread(run.probe.by_state)
        return out
    finally:
        if run is not None:
            run.probe.close()
        await gateway.stop()
        final = (await sim.stop()).strip().splitlines()
        out["simulator"] = json.loads(final[-1]) if final else {}


def _slice(docs: intake_docs.Documents, start: int, stop: int) -> Iterator[bytes]:
    """docs[start:stop], read one at a time from the map as they are sent."""
    return (docs[i] for i in range(start, stop))


# -- the floor -----------------------------------------------------------------------------------


def cpu_per_call(fn: Callable[[Any], object], items: list[Any], passes: int = 3) -> float:
    """CPU seconds per call of `fn` over `items` (one thread): median of `passes` passes, after
    one warm-up call."""
    fn(items[0])
    results = []
    for _ in range(passes):
        started = time.process_time()
        for item in items:
            fn(item)
        results.append((time.process_time() - started) / len(items))
    return statistics.median(results)


def floors(documents: list[bytes], pki: Path) -> dict[str, float]:
    from gateway.signing import FileKeySigner, SignaturePolicy, TrustStore, apply_policy
    from gateway.xml.dossier import parse_document
    from gateway.xml.validate import validate

    trust = TrustStore.load(pki / "trust")
    signer = FileKeySigner.from_pki(pki)
    parsed = [parse_document(d) for d in documents]
    now = datetime.now(UTC)
    return {
        "validation": cpu_per_call(validate, documents),
        "signature": cpu_per_call(
            lambda p: apply_policy(p, SignaturePolicy.REQUIRED, FACILITY, trust, signer, now), parsed),
    }


# -- main ----------------------------------------------------------------------------------------


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=600.0, help="sustained phase, seconds (default 600)")
    parser.add_argument("--rate", type=float, default=110.0, help="offered dossiers/s, sustained phase (default 110)")
    parser.add_argument("--latency-rate", type=float, default=50.0, help="offered dossiers/s, latency phase (default 50)")
    parser.add_argument("--latency-seconds", type=float, default=60.0, help="latency phase, seconds (default 60)")
    parser.add_argument("--warmup", type=int, default=200, help="dossiers sent before measuring (default 200)")
    parser.add_argument("--new-version-share", type=float, default=0.02,
                        help="share of sustained-phase dossiers that are new versions of earlier ones (default 0.02)")
    parser.add_argument("--workers", type=int, default=16, help="delivery sends in flight (DeliverySettings.concurrency)")
    parser.add_argument("--poll-seconds", type=float, default=1.0, help="delivery poll interval (DeliverySettings default 1)")
    parser.add_argument("--worker", choices=("process", "thread"), default="process",
                        help="where the gateway runs its intake checks ([intake] worker; default process)")
    parser.add_argument("--sim-faults", default="none", help="fault SPEC of the portal simulator (default none)")
    parser.add_argument("--sim-verify", action="store_true", help="the simulator verifies facility signatures too")
    parser.add_argument("--drain-timeout", type=float, default=300.0, help="longest wait for the backlog to drain")
    parser.add_argument("--floor-sample", type=int, default=200, help="dossiers for timing the floor")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, help="keep documents, store and logs here (default: a temporary folder)")
    parser.add_argument("--json", type=Path, help="results file (default bench/results/intake-<UTC time>.json)")
    return parser.parse_args()


def prepare(args: argparse.Namespace, work: Path, sizes: dict[str, int]
            ) -> tuple[Path, list[intake_docs.Planned]]:
    """The PKI and the signed documents in `work`, reused when a `--workdir` already holds them
    for the same plan; a fresh store (`work/data`) either way. Returns the PKI folder and the plan."""
    from gateway.signing.devpki import init_dev_pki

    plan = intake_docs.plan(sizes["warmup"] + sizes["latency"], 0, 0.0, args.latency_rate, args.seed)
    plan += intake_docs.plan(sizes["sustained"], len(plan), args.new_version_share, args.rate, args.seed + 1)
    manifest = {"sizes": sizes, "seed": args.seed, "new_version_share": args.new_version_share,
                "rate": args.rate, "latency_rate": args.latency_rate, "documents": len(plan)}
    shutil.rmtree(work / "data", ignore_errors=True)
    for name in ("gateway.log", "gateway.stderr", "sim.log"):
        (work / name).unlink(missing_ok=True)
    made = work / "documents.json"
    if made.exists() and json.loads(made.read_text()) == manifest and (work / "pki" / "trust").is_dir():
        print(f"reusing the {len(plan):,} signed dossiers in {work}", file=sys.stderr)
        return work / "pki", plan
    made.unlink(missing_ok=True)
    pki = init_dev_pki(work / "pki", (FACILITY,))
    started = time.monotonic()
    print(f"making {len(plan):,} signed dossiers ({sizes}) ...", file=sys.stderr)
    intake_docs.write(work / "documents.bin", plan, pki.base)
    made.write_text(json.dumps(manifest))
    print(f"  {time.monotonic() - started:.0f} s", file=sys.stderr)
    return pki.base, plan


def main() -> int:
    args = arguments()
    with tempfile.TemporaryDirectory(prefix="bench-intake-") as temporary:
        work = args.workdir or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        sizes = {"warmup": args.warmup, "latency": round(args.latency_rate * args.latency_seconds),
                 "sustained": round(args.rate * args.duration)}
        pki, plan = prepare(args, work, sizes)
        docs = intake_docs.Documents(work / "documents.bin")
        load_before = os.getloadavg()
        result = asyncio.run(phases(args, work, docs, sizes))
        load_after = os.getloadavg()
        first = sizes["warmup"] + sizes["latency"]
        step = max(1, sizes["sustained"] // args.floor_sample)
        print("timing the floor ...", file=sys.stderr)
        floor = floors([docs[i] for i in range(first, len(docs), step)][: args.floor_sample], pki)
        versions = sum(item.version > 1 for item in plan[first:])
        summary = intake_report.summarise(args, result, floor, docs.mean_size(), versions,
                                          load_before, load_after, machine())
        docs.close()
    path = args.json or HERE / "results" / f"intake-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=1, default=str))
    print(intake_report.render(summary))
    print(f"\nResults: {path}")
    return 0 if summary["targets"]["all_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
