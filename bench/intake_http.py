"""HTTP intake speed: accepted documents per second through the real server on loopback, and the
CPU the gateway spends per accepted document beside the sum of its parts measured in the same run.

The load generator runs in a separate process (this script with `--load`) and POSTs ~40 KB typical
envelopes already signed by the facility (policy `required`: the gateway verifies the signature
with chain, revocation and registry, validates, stores with one durable commit, signs a receipt),
`--concurrency` requests in flight. The gateway runs in this process with logging on (JSON lines
to a file, as in production) and its checks in its intake worker process (`--worker thread`: in a
thread); its CPU is the CPU time of both processes over the run.

Parts, each timed in one thread on documents of the run, each document once (CPU time per
document): validation (safe parse + schema + rules), signature verification (the `required`
policy: XML-DSig, chain, CRL, registry), receipt signing (gateway key), store write (the content
digest + `accept`, one document per commit as the gateway commits them at this pace; the cost
with `--concurrency` documents per group commit is printed beside it). Targets (issue 6), on a
2-core machine with the load generator on the same machine: >= 150 accepted/s, and gateway CPU
per accepted document within 1.5x of the sum of the parts.

    .venv/bin/python bench/intake_http.py [--count 2000] [--concurrency 32] [--worker thread]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing
import os
import random
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _machine import machine

TARGET_RATE = 150
TARGET_RATIO = 1.5
TOKEN = "bench-token-facility-01001"
FACILITY = "01001"


# -- documents -----------------------------------------------------------------------------------


def _signed(args: tuple[int, str]) -> bytes:
    seed, pki_dir = args
    from gateway.samples import generate_one
    from gateway.signing import FileKeySigner, facility_key_id, sign

    signer = _signer_cache.get(pki_dir)
    if signer is None:
        signer = _signer_cache[pki_dir] = FileKeySigner.from_pki(Path(pki_dir))
    return sign(generate_one(random.Random(seed), "typical", FACILITY), signer, facility_key_id(FACILITY))


_signer_cache: dict[str, Any] = {}


def make_documents(count: int, first_seed: int, pki_dir: Path) -> list[bytes]:
    """`count` distinct typical envelopes signed by the facility (both cores)."""
    with multiprocessing.get_context("fork").Pool(os.cpu_count() or 2) as pool:
        return pool.map(_signed, [(first_seed + i, str(pki_dir)) for i in range(count)], chunksize=16)


def write_documents(path: Path, documents: list[bytes]) -> None:
    with open(path, "wb") as handle:
        for document in documents:
            handle.write(struct.pack(">I", len(document)))
            handle.write(document)


def read_documents(path: Path) -> list[bytes]:
    data = path.read_bytes()
    documents, offset = [], 0
    while offset < len(data):
        (size,) = struct.unpack_from(">I", data, offset)
        documents.append(data[offset + 4 : offset + 4 + size])
        offset += 4 + size
    return documents


# -- the load generator (a separate process) -----------------------------------------------------


async def load(url: str, documents: list[bytes], concurrency: int) -> dict[str, Any]:
    import aiohttp

    statuses: dict[int, int] = {}
    queue = list(reversed(documents))
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/xml"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            while queue:
                body = queue.pop()
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    statuses[response.status] = statuses.get(response.status, 0) + 1

        started = time.perf_counter()
        cpu = time.process_time()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "statuses": statuses, "cpu": time.process_time() - cpu}


# -- the parts -----------------------------------------------------------------------------------


def cpu_per_call(fn: Callable[[Any], object], items: list[Any]) -> float:
    """CPU seconds per call of `fn`, one thread, each item once (as the gateway sees each document
    once); the first tenth of the items warms up and is not counted."""
    warm = max(1, len(items) // 10)
    for item in items[:warm]:
        fn(item)
    started = time.process_time()
    for item in items[warm:]:
        fn(item)
    return (time.process_time() - started) / (len(items) - warm)


async def store_cpu(documents: list[bytes], in_flight: int, base: Path, name: str) -> float:
    """CPU seconds (every thread of this process) per acknowledged `accept` of these documents,
    `in_flight` at a time, in a fresh store; the content digest (the document's identity in the
    store) is computed here too, as the gateway does for each submission."""
    from gateway.outbox import OutboxSettings, open_store
    from gateway.outbox.identity import submission_from_document
    from gateway.signing import content_digest
    from gateway.xml.dossier import parse_document
    from gateway.xml.validate import validate_parsed

    ready = [(parse_document(d), d) for d in documents]
    reports = [validate_parsed(p) for p, _ in ready]
    store = await open_store(f"sqlite:///{base / name}", settings=OutboxSettings(min_free_bytes=0))
    try:
        started = time.process_time()
        for offset in range(0, len(ready), in_flight):
            batch = [submission_from_document(p, r, submitter=f"facility:{FACILITY}", content_digest=content_digest(p))
                     for (p, _), r in zip(ready[offset : offset + in_flight], reports[offset : offset + in_flight],
                                          strict=True)]
            await asyncio.gather(*(store.accept(s) for s in batch))
        return (time.process_time() - started) / len(ready)
    finally:
        await store.close()


def parts(documents: list[bytes], pki_dir: Path, concurrency: int, base: Path) -> dict[str, float]:
    from gateway.signing import (
        FileKeySigner,
        Receipt,
        SignaturePolicy,
        TrustStore,
        apply_policy,
        sign_receipt,
    )
    from gateway.xml.dossier import parse_document
    from gateway.xml.validate import validate_parsed

    trust = TrustStore.load(pki_dir / "trust")
    signer = FileKeySigner.from_pki(pki_dir)
    parsed = [parse_document(d) for d in documents]
    now = datetime.now(UTC)
    receipts = [Receipt.for_submission(f"01BENCH{i:019d}", FACILITY, parse_document(d).hosos and
                                       validate_parsed(p).ma_lk, d, now) for i, (d, p) in enumerate(zip(documents, parsed, strict=True))]
    return {
        "validation (safe parse + XSD + rules)": cpu_per_call(lambda d: validate_parsed(parse_document(d)), documents),
        "signature verification (XML-DSig, chain, CRL, registry)": cpu_per_call(
            lambda p: apply_policy(p, SignaturePolicy.REQUIRED, FACILITY, trust, signer, now), parsed),
        "receipt signing (gateway key)": cpu_per_call(lambda r: sign_receipt(r, signer), receipts),
        "store write (content digest + `accept`, one document per commit)": asyncio.run(
            store_cpu(documents, 1, base, "parts-1.db")),
    }


def grouped_store_cpu(documents: list[bytes], concurrency: int, base: Path) -> float:
    """The store write with `concurrency` documents per group commit (for comparison)."""
    return asyncio.run(store_cpu(documents, concurrency, base, "parts-n.db"))


# -- the run -------------------------------------------------------------------------------------


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a live process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def serve_and_load(settings: Any, documents_file: Path, warmup_file: Path, concurrency: int
                         ) -> tuple[dict[str, Any], float, float, float]:
    """Returns the loader's result, the gateway's CPU seconds (this process and its intake worker
    process), of which the worker's, and the wall time."""
    from aiohttp import web

    from gateway.http import keys
    from gateway.http.app import make_app
    from gateway.http.cpu import ProcessRunner

    app = make_app(settings)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/api/v1/dossiers"
    try:
        await _run_loader(url, warmup_file, concurrency)  # schemas compiled, caches warm
        runner_ = app[keys.INTAKE]._runner
        workers = runner_.worker_pids() if isinstance(runner_, ProcessRunner) else ()
        wall, cpu = time.perf_counter(), time.process_time()
        worker_cpu = sum(process_cpu(pid) for pid in workers)
        result = await _run_loader(url, documents_file, concurrency)
        worker_cpu = sum(process_cpu(pid) for pid in workers) - worker_cpu
        return result, time.process_time() - cpu + worker_cpu, worker_cpu, time.perf_counter() - wall
    finally:
        await runner.cleanup()


async def _run_loader(url: str, documents_file: Path, concurrency: int) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--load", url, "--documents", str(documents_file),
        "--concurrency", str(concurrency), stdout=subprocess.PIPE)
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"load generator failed ({process.returncode})")
    result: dict[str, Any] = json.loads(out)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=2000, help="documents in the timed run")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight")
    parser.add_argument("--parts-sample", type=int, default=300, help="documents for timing the parts")
    parser.add_argument("--worker", choices=("process", "thread"), default="process",
                        help="where the checks run ([intake] worker; default process)")
    parser.add_argument("--load", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--documents", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load:
        print(json.dumps(asyncio.run(load(args.load, read_documents(args.documents), args.concurrency))))
        return 0

    from gateway.config import (
        CallbackConfig,
        FacilityConfig,
        Settings,
        SigningConfig,
        StoreConfig,
        TokenHash,
    )
    from gateway.http.logs import configure_logging
    from gateway.http.tokens import hash_token
    from gateway.signing.devpki import init_dev_pki

    with tempfile.TemporaryDirectory(prefix="bench-intake-") as folder:
        base = Path(folder)
        pki = init_dev_pki(base / "pki", (FACILITY,))
        print(f"making {args.count + 100} signed envelopes ...", file=sys.stderr)
        documents = make_documents(args.count + 100, 1000, pki.base)
        warmup, timed = documents[:100], documents[100:]
        write_documents(base / "warmup.bin", warmup)
        write_documents(base / "timed.bin", timed)
        settings = Settings(
            data_dir=base / "data",
            store=StoreConfig(min_free_bytes=0),
            signing=SigningConfig(trust_dir=pki.trust_dir, keys_dir=pki.base),
            callbacks=CallbackConfig(enabled=False),
            facilities={FACILITY: FacilityConfig(FACILITY, tokens=(TokenHash(hash_token(TOKEN)),))},
        )
        from dataclasses import replace

        from gateway.config import IntakeConfig, RateLimit

        settings = replace(settings, rate_limit=RateLimit(rate=1e6, burst=1e6),
                           intake=IntakeConfig(worker=args.worker))
        configure_logging()
        log_file = logging.FileHandler(base / "gateway.log")
        logging.getLogger().handlers[:] = [log_file]
        print("serving and loading ...", file=sys.stderr)
        load_before = os.getloadavg()[0]
        result, gateway_cpu, worker_cpu, wall = asyncio.run(
            serve_and_load(settings, base / "timed.bin", base / "warmup.bin", args.concurrency))
        accepted = result["statuses"].get("202", 0)
        logging.getLogger().handlers[:] = []
        print("timing the parts ...", file=sys.stderr)
        measured = parts(timed[: args.parts_sample], pki.base, args.concurrency, base)
        grouped = grouped_store_cpu(timed[args.parts_sample : 2 * args.parts_sample], args.concurrency, base)
        size = sum(len(d) for d in timed) / len(timed) / 1024

    rate = accepted / result["seconds"]
    per_doc = gateway_cpu / max(accepted, 1) * 1000
    total = sum(measured.values()) * 1000
    print(f"Machine: {machine()}\n")
    print(f"| intake through HTTP ({accepted} of {len(timed)} envelopes of {size:.1f} KB accepted, "
          f"{args.concurrency} in flight, checks in a worker {args.worker}) | value |")
    print("|---|---:|")
    print(f"| accepted documents per second (load generator in its own process) | {rate:,.0f} |")
    print(f"| gateway CPU per accepted document (gateway process + its intake worker process) | {per_doc:.2f} ms |")
    if args.worker == "process":
        print(f"| of which the intake worker process | {worker_cpu / max(accepted, 1) * 1000:.2f} ms |")
    print(f"| load generator CPU per document | {result['cpu'] / max(accepted, 1) * 1000:.2f} ms |")
    for name, seconds in measured.items():
        print(f"| part: {name} | {seconds * 1000:.2f} ms |")
    print(f"| sum of the parts | {total:.2f} ms |")
    print(f"| gateway CPU / sum of the parts | {per_doc / total:.2f}x |")
    print(f"| (for comparison: store write with {args.concurrency} documents per group commit) "
          f"| {grouped * 1000:.2f} ms |")
    ok = rate >= TARGET_RATE and per_doc / total <= TARGET_RATIO and accepted == len(timed)
    print(f"\nTargets: >= {TARGET_RATE}/s and within {TARGET_RATIO}x of the parts: {'met' if ok else 'NOT met'}. "
          f"Wall time of the run {wall:.1f} s; statuses {result['statuses']}; load average before the "
          f"run {load_before:.2f} (the machine is shared: other work inflates both figures).")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
