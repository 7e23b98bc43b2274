"""Benchmark of the demographic linkage (issue 10) on synthetic data with ground truth.

Three measurements, each in a child process running the `gateway reconcile` CLI (wall time,
peak memory: the child's peak RSS and the peak sum of PSS over it and its workers, sampled):

1. linkage: ``--records`` insured records without a usable ID (synth_linkage.py: noise,
   ghosts, twins) against a ``--citizens`` population; accuracy against the generator's truth
   on a seed the tests never use: wrong links (PROBABLE_MATCH to anyone but the true citizen,
   ghosts included) as a share of the records, resolvable records linked correctly, ghosts
   linked, and the REVIEW / NOT_FOUND shares;
2. blocking recall: the share of true (record, citizen) pairs that reach comparison, measured
   in-process on the same data by running the linkage's blocking alone;
3. full: the ID pass and the linkage on ``--full-size`` x ``--full-size`` (synth.py, the
   issue-9 generator: ~4.5% of records without a usable ID), with category accuracy.

Splink's published figure (about 1M records a minute on a laptop) is printed beside ours.

    .venv/bin/python bench/linkage.py                                   # 1M vs 10M, full 10M
    .venv/bin/python bench/linkage.py --records 100000 --citizens 1000000 --full-size 1000000
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from reconcile import RunResult, run_reconcile  # noqa: E402

from _machine import machine  # noqa: E402
from gateway.reconcile import ReconcileConfig, reconcile  # noqa: E402
from gateway.reconcile.linkage.blocking import PAIRS, block  # noqa: E402
from gateway.reconcile.linkage.keys import SUBJECTS, build_keys, build_subjects  # noqa: E402
from gateway.reconcile.pipeline import IdLinkPass, PassContext, ToolkitPass  # noqa: E402
from gateway.reconcile.progress import Progress  # noqa: E402
from gateway.reconcile.score import score  # noqa: E402
from gateway.reconcile.synth import DEFAULT_RATES, SynthFiles, SynthSpec  # noqa: E402
from gateway.reconcile.synth import write as write_synth  # noqa: E402
from gateway.reconcile.synth_linkage import LinkageSpec  # noqa: E402
from gateway.reconcile.synth_linkage import write as write_linkage  # noqa: E402

BENCH_SEED = 20261124  # never used by the tests
SPLINK_PER_MINUTE = 1_000_000


def _cached(directory: Path, make: object) -> SynthFiles:
    files = SynthFiles(
        directory / "insured.parquet", directory / "population.parquet", directory / "truth.parquet"
    )
    if all(p.exists() for p in (files.insured, files.population, files.truth)):
        return files
    started = time.perf_counter()
    print(f"generating {directory.name} ...", file=sys.stderr)
    made = make()  # type: ignore[operator]
    print(f"  generated in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return made  # type: ignore[no-any-return]


def accuracy(out: Path, truth: Path) -> dict[str, float]:
    """Shares over the linkage truth (see the module)."""
    row = duckdb.sql(
        f"""SELECT count(*),
          count(*) FILTER (r.category = 'PROBABLE_MATCH' AND r.so_dinh_danh IS DISTINCT FROM t.citizen_id),
          count(*) FILTER (t.resolvable AND r.category = 'PROBABLE_MATCH' AND r.so_dinh_danh = t.citizen_id),
          count(*) FILTER (t.resolvable),
          count(*) FILTER (t.ghost AND r.category = 'PROBABLE_MATCH'), count(*) FILTER (t.ghost),
          count(*) FILTER (r.category = 'REVIEW'), count(*) FILTER (r.category = 'NOT_FOUND')
        FROM '{truth}' t JOIN read_csv('{out / "reconciliation.csv"}', header = true, all_varchar = true) r USING (record_id)"""
    ).fetchall()[0]
    n, wrong, right, resolvable, ghosts_linked, ghosts, review, not_found = (int(v) for v in row)
    return {
        "records": n,
        "wrong_links": wrong / n,
        "resolvable_linked": right / max(resolvable, 1),
        "ghosts_linked": ghosts_linked / max(ghosts, 1),
        "review": review / n,
        "not_found": not_found / n,
        "resolvable_share": resolvable / n,
        "ghosts": ghosts,
    }


# The decision thresholds tried by `frontier` (upper probability, margin in bits).
FRONTIER = tuple((up, margin) for up in (0.8, 0.9, 0.95, 0.97, 0.99) for margin in (4.0, 6.0, 8.0))


def frontier(out: Path, truth: Path) -> list[tuple[float, float, dict[str, float]]]:
    """The three accuracy figures had the linkage decided with other thresholds: from the
    explanations (each record's two best candidates and their match weights), as
    `scoring.decide_sql` decides (probability of the best >= upper, the runner-up at least
    ``margin`` bits below). The row of the run's own thresholds matches `accuracy` but for
    the few records the ID pass settles (no explanation: counted as not linked)."""
    con = duckdb.connect()
    con.execute(
        f"""CREATE TEMP TABLE j AS
        WITH best AS (
          SELECT record_id, max(CASE WHEN rank = 1 THEN so_dinh_danh END) AS best,
            max(CASE WHEN rank = 1 THEN match_weight END) AS w1, max(CASE WHEN rank = 2 THEN match_weight END) AS w2
          FROM '{out / "explanations.parquet"}' GROUP BY record_id)
        SELECT t.citizen_id, t.ghost, t.resolvable, b.best, b.w1, coalesce(b.w1 - b.w2, 1e9) AS gap
        FROM '{truth}' t LEFT JOIN best b USING (record_id)"""
    )
    rows = []
    for upper, margin in FRONTIER:
        linked = f"(w1 >= {math.log2(upper / (1 - upper))!r} AND gap >= {margin!r})"
        n, wrong, right, resolvable, ghosts_linked, ghosts = con.execute(
            f"""SELECT count(*), count(*) FILTER ({linked} AND best IS DISTINCT FROM citizen_id),
              count(*) FILTER (resolvable AND {linked} AND best = citizen_id), count(*) FILTER (resolvable),
              count(*) FILTER (ghost AND {linked}), count(*) FILTER (ghost) FROM j"""
        ).fetchall()[0]
        rows.append((upper, margin, {
            "wrong_links": wrong / n, "resolvable_linked": right / max(resolvable, 1),
            "ghosts_linked": ghosts_linked / max(ghosts, 1),
        }))  # fmt: skip
    con.close()
    return rows


class _RecallPass:
    """Blocking alone on the NOT_FOUND records, then the share of true pairs it produced."""

    name = "blocking_recall"

    def __init__(self, truth: Path) -> None:
        self.truth = truth
        self.recall = 0.0
        self.pairs = 0

    def run(self, ctx: PassContext) -> None:
        build_subjects(ctx.con, ctx.insured.relation)
        build_keys(ctx.con, ctx.population.relation)
        self.pairs = sum(block(ctx.con).values())
        found, total = ctx.con.execute(
            f"""SELECT count(p.pid), count(*) FROM '{self.truth}' t JOIN {SUBJECTS} s USING (record_id)
            LEFT JOIN {PAIRS} p ON p.i_row = s.i_row AND p.pid = t.citizen_id
            WHERE t.citizen_id IS NOT NULL"""
        ).fetchall()[0]
        self.recall = int(found) / max(int(total), 1)


def blocking_recall(
    files: SynthFiles, out: Path, threads: int, memory_limit: str
) -> tuple[float, int]:
    step = _RecallPass(files.truth)
    reconcile(
        files.insured, files.population, out,
        ReconcileConfig(threads=threads, memory_limit=memory_limit),
        Progress(enabled=False), passes=(IdLinkPass(), ToolkitPass(), step),
    )  # fmt: skip
    return step.recall, step.pairs


def _line(label: str, records: int, run: RunResult) -> str:
    per_minute = records / run.seconds * 60
    return (
        f"| {label} | {run.seconds:.1f} | {run.peak_rss_mib / 1024:.2f} GiB | {run.peak_tree_pss_mib / 1024:.2f} GiB "
        f"| {per_minute / 1e6:.2f}M | {per_minute / SPLINK_PER_MINUTE:.1f}x |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--citizens", type=int, default=10_000_000)
    parser.add_argument("--full-size", type=int, default=10_000_000, help="0 skips the full run")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/gateway-linkage-bench"))
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--memory-limit", default="3GB")
    parser.add_argument("--no-recall", action="store_true", help="skip the blocking-recall run")
    args = parser.parse_args()
    spec = LinkageSpec(citizens=args.citizens, records=args.records, seed=BENCH_SEED)
    files = _cached(args.cache / spec.key, lambda: write_linkage(spec, args.cache / spec.key))
    out = args.cache / f"out-{spec.key}"
    run = run_reconcile(files, out, args.threads, args.memory_limit, "csv", linkage=True)
    acc = accuracy(out, files.truth)
    lines = [
        f"Machine: {machine()}; DuckDB {duckdb.__version__}; threads {args.threads}, memory limit {args.memory_limit}; "
        f"load average at the end {os.getloadavg()[0]:.1f} (shared machine); one run each of the CLI in a child process.",
        "",
        "| run | wall (s) | peak RSS | peak PSS, all processes | records/min | vs Splink's ~1M/min |",
        "|---|---:|---:|---:|---:|---:|",
        _line(
            f"linkage: {args.records:,} without usable ID vs {args.citizens:,} citizens",
            args.records,
            run,
        ),
    ]
    if args.full_size:
        full = SynthSpec(citizens=args.full_size, seed=BENCH_SEED, rates=DEFAULT_RATES)
        directory = args.cache / f"full-{full.key}"
        full_files = _cached(directory, lambda: write_synth(full, directory))
        full_out = args.cache / f"out-full-{args.full_size}"
        full_run = run_reconcile(
            full_files, full_out, args.threads, args.memory_limit, "csv", linkage=True
        )
        full_acc = score(full_out / "reconciliation.csv", full_files.truth)
        lines.append(
            _line(
                f"full: ID pass + linkage, {args.full_size:,} x {args.full_size:,}",
                args.full_size,
                full_run,
            )
        )
        lines += ["", f"Full run category accuracy {full_acc.category_accuracy:.4%}, linked ID accuracy "
                  f"{full_acc.linked_id_accuracy:.4%}, details exact {full_acc.details_accuracy:.4%}."]  # fmt: skip
    lines += [
        "",
        f"Accuracy (seed {BENCH_SEED}, {acc['records']:,} records, {acc['resolvable_share']:.1%} resolvable, "
        f"{acc['ghosts']:,} ghosts): wrong links {acc['wrong_links']:.4%} of records (target < 0.05%), "
        f"resolvable linked correctly {acc['resolvable_linked']:.2%} (target >= 95%), ghosts linked "
        f"{acc['ghosts_linked']:.3%} of ghosts (target <= 0.1%); REVIEW {acc['review']:.2%}, NOT_FOUND {acc['not_found']:.2%}.",
    ]
    lines += [
        "",
        "Other thresholds, same run (from the explanations): upper / margin bits -> wrong links, "
        "resolvable linked, ghosts linked",
        "",
        "| upper | margin (bits) | wrong links | resolvable linked | ghosts linked |",
        "|---:|---:|---:|---:|---:|",
    ]
    for upper, margin, figures in frontier(out, files.truth):
        lines.append(
            f"| {upper:g} | {margin:g} | {figures['wrong_links']:.4%} | "
            f"{figures['resolvable_linked']:.2%} | {figures['ghosts_linked']:.3%} |"
        )
    if not args.no_recall:
        recall, pairs = blocking_recall(
            files, args.cache / "out-recall", args.threads, args.memory_limit
        )
        lines.append(
            f"Blocking recall {recall:.3%} of true pairs (target >= 99%), {pairs:,} candidate pairs."
        )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
