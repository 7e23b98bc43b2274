"""Benchmark of `gateway reconcile` on synthetic data, with its floor and its accuracy.

For each size (records per side): generate the inputs once (DuckDB SQL, cached as Parquet
under --cache), then alternately measure

- the floor: DuckDB reading both inputs and inner-joining them on the 12-digit ID, every
  column carried through the join (the least any reconciliation must do), same threads and
  memory limit (A: reduced to one row, in this process; B: materialized; C: A in a fresh
  process, start-up included, for information);
- the reconciliation: `gateway reconcile` in a child process, wall time and CPU;

then one more, untimed run for peak memory (the child's own peak RSS, and the peak sum of PSS
over it and its worker processes, sampled every 0.1 s: the sampler costs CPU on the same
cores, so the timed runs go without it), and score the output against the generator's ground truth (a seed the tests never use).
Prints a markdown table for BENCHMARKS.md and the extrapolation to 91 million.

    .venv/bin/python bench/reconcile.py                      # 1M and 10M, Parquet inputs
    .venv/bin/python bench/reconcile.py --sizes 1000000 --input-format csv
    .venv/bin/python bench/reconcile.py --sizes 1000000 --every-kind 0.05
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway.reconcile.model import INSURED_COLUMNS, POPULATION_COLUMNS  # noqa: E402
from gateway.reconcile.score import Accuracy, score  # noqa: E402
from gateway.reconcile.synth import DEFAULT_RATES, SynthFiles, SynthSpec, every_kind, write  # noqa: E402

BENCH_SEED = 20261124  # never used by the tests
NATIONAL = 91_000_000


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def generate(spec: SynthSpec, cache: Path, fmt: str) -> SynthFiles:
    directory = cache / f"{spec.key}-{fmt}-duckdb{duckdb.__version__}"
    files = SynthFiles(
        directory / f"insured.{fmt}", directory / f"population.{fmt}", directory / "truth.parquet"
    )
    if all(p.exists() for p in (files.insured, files.population, files.truth)):
        return files
    started = time.perf_counter()
    print(
        f"generating {spec.citizens:,} x {spec.insured_count:,} ({fmt}) into {directory} ...",
        file=sys.stderr,
    )
    made = write(spec, directory, fmt)
    print(f"  generated in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return made


def _source(path: Path) -> str:
    if path.suffix == ".csv":
        return f"read_csv('{path}', header = true, all_varchar = true)"
    return f"read_parquet('{path}')"


def _floor_join(files: SynthFiles) -> tuple[str, str]:
    """(floor A's query, the FROM ... JOIN clause it shares with floor B)."""
    touched = " + ".join(
        [f"strlen(i.{c})" for c in (*INSURED_COLUMNS, "ma_dkbd")]
        + [f"strlen(p.{c})" for c in POPULATION_COLUMNS]
    )
    join = f"FROM {_source(files.insured)} i JOIN {_source(files.population)} p ON i.so_cccd = p.so_dinh_danh"
    return f"SELECT count(*), sum({touched}) {join}", join


def floor_seconds(files: SynthFiles, threads: int, memory_limit: str) -> tuple[float, float, float]:
    """The floor, three ways: (A: read both inputs and inner-join them on the ID with every
    column carried through the join, the result reduced to one row; B: the same join
    materialized as a table; C: A in a fresh Python process, start-up and `import duckdb`
    included, as the reconcile run pays them). Same threads and memory limit as the run."""
    query, join = _floor_join(files)
    config: dict[str, str | bool | int | float | list[str]] = {
        "threads": threads,
        "memory_limit": memory_limit,
        "preserve_insertion_order": False,
    }
    con = duckdb.connect(config=config)
    try:
        started = time.perf_counter()
        con.execute(query).fetchall()
        reduced = time.perf_counter() - started
        started = time.perf_counter()
        con.execute(f"CREATE TEMP TABLE joined AS SELECT i.*, p.* EXCLUDE (so_dinh_danh) {join}")
        materialized = time.perf_counter() - started
    finally:
        con.close()
    code = (
        "import sys, json, duckdb; "
        "duckdb.connect(config=json.loads(sys.argv[1])).execute(sys.argv[2]).fetchall()"
    )
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, json.dumps(config), query], check=True)
    fresh = time.perf_counter() - started
    return reduced, materialized, fresh


def _tree_pss_kib(root: int) -> int:
    """PSS of a process and its descendants (KiB), from /proc."""
    pids, total = [root], 0
    try:
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if int((entry / "stat").read_text().split(") ", 1)[1].split()[1]) == root:
                        pids.append(int(entry.name))
                except (OSError, IndexError, ValueError):
                    continue
        for pid in pids:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
    except OSError:
        pass
    return total


@dataclass(frozen=True)
class RunResult:
    seconds: float
    peak_rss_mib: float
    peak_tree_pss_mib: float
    cpu_seconds: float  # user + system of the child and its worker processes
    stages: tuple[tuple[str, float], ...] = ()  # the run's own timings (summary.json)


def run_reconcile(
    files: SynthFiles,
    out: Path,
    threads: int,
    memory_limit: str,
    fmt: str,
    linkage: bool = False,
    sample_memory: bool = True,
) -> RunResult:
    """One CLI run. ``sample_memory``: read the PSS of the child and its workers every 0.1 s
    (each sample costs ~3 ms of CPU on the same two cores and takes the child's memory-map
    lock, so the timed runs are made without it and the peak comes from a run of its own)."""
    # The command line the operator runs (gateway.cli: it imports the reconcile command only).
    code = "import sys; from gateway.cli import main; sys.exit(main(sys.argv[1:]))"
    argv = [
        sys.executable, "-c", code, "reconcile", "--insured", str(files.insured), "--population", str(files.population),
        "--out", str(out), "--threads", str(threads), "--memory-limit", memory_limit, "--no-progress", "--format", fmt,
        *(() if linkage else ("--no-linkage",)),
    ]  # fmt: skip
    started = time.perf_counter()
    # Output to files and the child reaped with wait4: its own peak RSS and CPU (with its
    # worker processes), not the largest of every child this benchmark ever started (the
    # generator's, say, which RUSAGE_CHILDREN would report).
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        child = subprocess.Popen(argv, cwd=ROOT, stdout=stdout, stderr=stderr, text=True)
        peak = [0]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.1):
                peak[0] = max(peak[0], _tree_pss_kib(child.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        if sample_memory:
            sampler.start()
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        if sample_memory:
            sampler.join()
        if child.returncode != 0:
            stdout.seek(0)
            stderr.seek(0)
            raise SystemExit(
                f"gateway reconcile failed ({child.returncode}):\n{stderr.read()}\n{stdout.read()}"
            )
    rss, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    timings = json.loads((out / "summary.json").read_text()).get("timings_seconds", {})
    stages = tuple((str(k), float(v)) for k, v in timings.items())
    return RunResult(seconds, rss / 1024, peak[0] / 1024, cpu, stages)


@dataclass(frozen=True)
class Row:
    size: int
    profile: str
    input_format: str
    floor: float
    floor_materialized: float
    floor_fresh: float
    run: RunResult
    accuracy: Accuracy
    discrepant_share: float
    paired_ratio: (
        float  # median over the repeats of (that run / the floor A measured just before it)
    )


def bench(size: int, args: argparse.Namespace) -> Row:
    rates = every_kind(args.every_kind) if args.every_kind else DEFAULT_RATES
    spec = SynthSpec(citizens=size, seed=BENCH_SEED, rates=rates)
    files = generate(spec, args.cache, args.input_format)
    out = args.cache / f"out-{size}"
    floors, runs = [], []

    def run(sample_memory: bool) -> RunResult:
        return run_reconcile(
            files, out, args.threads, args.memory_limit, args.output_format,
            args.with_linkage, sample_memory=sample_memory,
        )  # fmt: skip

    for _ in range(args.repeat):
        floors.append(floor_seconds(files, args.threads, args.memory_limit))
        runs.append(run(sample_memory=False))
    # Peak memory from one more run, not timed: the sampler would slow the timed runs.
    sampled = run(sample_memory=True)
    accuracy = score(out / f"reconciliation.{args.output_format}", files.truth)
    shares = duckdb.execute(f"SELECT avg((kind <> 'none')::INT) FROM '{files.truth}'").fetchall()
    share = shares[0][0]
    best = min(runs, key=lambda r: r.seconds)
    return Row(
        size,
        f"every kind {args.every_kind:.0%}" if args.every_kind else "default",
        args.input_format,
        statistics.median(f[0] for f in floors),
        statistics.median(f[1] for f in floors),
        statistics.median(f[2] for f in floors),
        RunResult(
            best.seconds,
            max(r.peak_rss_mib for r in (*runs, sampled)),
            sampled.peak_tree_pss_mib,
            min(r.cpu_seconds for r in runs),
            best.stages,
        ),
        accuracy,
        float(share),
        # The machine's speed drifts between minutes (a shared VM): each run against the floor
        # measured just before it is the steadier ratio.
        statistics.median(r.seconds / f[0] for f, r in zip(floors, runs, strict=True)),
    )


def report(rows: list[Row], args: argparse.Namespace) -> str:
    load = os.getloadavg()[0]
    lines = [
        f"Machine: {cpu_model()}, {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB; Python {platform.python_version()}, "
        f"DuckDB {duckdb.__version__}; {datetime.date.today().isoformat()}; threads {args.threads}, "
        f"memory limit {args.memory_limit}; reconcile ({'ID pass + demographic linkage' if args.with_linkage else 'the ID pass: --no-linkage, issue 9; category accuracy then counts the records the linkage would link as misses; bench/linkage.py measures the linkage'}): best of {args.repeat} runs of the CLI in a child process "
        f"(start-up included; peak memory from one more run, sampled every 0.1 s, not timed), floors: median; output reconciliation.{args.output_format}; "
        f"load average at the end {load:.1f} (the machine is shared).",
        "",
        "Floor A: read both inputs, inner-join on the ID with every column carried, reduce to one row. "
        "Floor B: the same join materialized as a table. Floor C: floor A in a fresh Python process "
        "(start-up and `import duckdb` included, as the reconcile run pays them; for information: issue 9's "
        "target is floor A). Paired: the median over the repeats of each run "
        "divided by the floor A measured just before it (steadier on a machine whose speed drifts).",
        "",
        "| records per side | data | input | floor A (s) | floor B (s) | floor C (s) | reconcile (s) | / floor A "
        "| / floor A, paired | / floor B | / floor C | rows/s | peak RSS | peak PSS, all processes | field precision "
        "| field recall | category accuracy | details exact |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.size:,} | {r.profile} ({r.discrepant_share:.0%} of records with a discrepancy) | {r.input_format} "
            f"| {r.floor:.2f} | {r.floor_materialized:.2f} | {r.floor_fresh:.2f} | {r.run.seconds:.2f} "
            f"| {r.run.seconds / r.floor:.1f}x | {r.paired_ratio:.1f}x | {r.run.seconds / r.floor_materialized:.1f}x "
            f"| {r.run.seconds / r.floor_fresh:.1f}x | {r.size / r.run.seconds / 1e6:.2f}M "
            f"| {r.run.peak_rss_mib / 1024:.2f} GiB | {r.run.peak_tree_pss_mib / 1024:.2f} GiB "
            f"| {r.accuracy.field_precision:.4%} | {r.accuracy.field_recall:.4%} | {r.accuracy.category_accuracy:.4%} "
            f"| {r.accuracy.details_accuracy:.4%} |"
        )
    lines.append("")
    for r in rows:
        stages = ", ".join(f"{name} {seconds:.2f}" for name, seconds in r.run.stages)
        lines.append(
            f"Stages of the best run at {r.size:,} (s, in-process): {stages}; "
            f"CPU (user + system, all processes, least of the runs) {r.run.cpu_seconds:.2f} s."
        )
    largest = max(rows, key=lambda r: r.size)
    factor = NATIONAL / largest.size
    lines += [
        "",
        f"Extrapolation to the national {NATIONAL / 1e6:.0f}M x {NATIONAL / 1e6:.0f}M from {largest.size / 1e6:.0f}M (linear; "
        f"at that size the hash joins spill past the memory limit, so expect somewhat worse): "
        f"~{largest.run.seconds * factor / 60:.0f} min on this 2-core machine (floor A ~{largest.floor * factor / 60:.0f} min); "
        "partition by province (ma_tinh / the ID's first 3 digits) to spread it over machines.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", default="1000000,10000000", help="records per side, comma-separated"
    )
    parser.add_argument("--cache", type=Path, default=Path("/tmp/gateway-reconcile-bench"))
    parser.add_argument("--input-format", choices=("parquet", "csv"), default="parquet")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--memory-limit", default="3GB")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--every-kind", type=float, default=0.0, help="give each details kind this share of records"
    )
    parser.add_argument("--output-format", choices=("csv", "parquet"), default="csv")
    parser.add_argument("--generate-only", action="store_true", help="fill the cache and stop")
    parser.add_argument(
        "--with-linkage",
        action="store_true",
        help="run the demographic linkage too (default: the ID pass alone, issue 9's scope)",
    )
    args = parser.parse_args()
    if args.generate_only:
        for size in (int(s) for s in args.sizes.split(",")):
            rates = every_kind(args.every_kind) if args.every_kind else DEFAULT_RATES
            generate(
                SynthSpec(citizens=size, seed=BENCH_SEED, rates=rates),
                args.cache,
                args.input_format,
            )
        return
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        rows.append(bench(size, args))
        print(report(rows, args), file=sys.stderr)
    print(report(rows, args))


if __name__ == "__main__":
    main()
