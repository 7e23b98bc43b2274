"""The batch reconciliation: inputs -> passes over DuckDB tables -> outputs.

Every pass reads and refines one table, ``rc_results``: one row per insured record, with the
output's columns (`model.OUTPUT_COLUMNS`), the insured columns passed through (``_extra_<n>``)
and internal columns (``_*``, see `classify.LEVEL_COLUMNS`). Today's passes:

1. `IdLinkPass`   link by the 12-digit ID (or an old 9-digit ID), compare and classify in SQL;
2. `ToolkitPass`  settle in Python what SQL could not (names, odd dates), classify again;
3. `LinkagePass`  link the NOT_FOUND rows (``_id_status``, ``_citizen`` say why) on name,
   birth date, gender and residence: PROBABLE_MATCH, REVIEW, ``score``, ``so_cccd:typo``,
   ``so_cccd:wrong_person`` (linkage/); it also leaves the explanations file's rows;
4. `DuplicatePass` group records that resolve to the same citizen, by ID or demographics.

DuckDB runs with an explicit memory limit and a private temporary directory (db.py); the
process umask is 077 while files are written.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import duckdb

from gateway.reconcile import outputs
from gateway.reconcile.classify import TrustRule
from gateway.reconcile.db import connect, first_row
from gateway.reconcile.duplicates import mark_duplicates
from gateway.reconcile.errors import ReconcileError, ReconcileInputError
from gateway.reconcile.inputs import InputTable, extra_column, locate_csv_error, open_input
from gateway.reconcile.link import run_link
from gateway.reconcile.linkage import LinkageConfig
from gateway.reconcile.model import INSURED_COLUMNS, OUTPUT_COLUMNS, POPULATION_COLUMNS
from gateway.reconcile.progress import Progress
from gateway.reconcile.resolve import resolve_pending
from gateway.reconcile.summary import InputSize, Summary, count_results


@dataclass(frozen=True)
class ReconcileConfig:
    """How to run. ``memory_limit`` is DuckDB's (the process needs a few hundred MB more);
    ``threads`` defaults to the cores; ``workers`` (processes comparing names in Python)
    defaults to ``threads``; ``temp_dir`` is where the private temporary directory is made
    (the system's default when None)."""

    memory_limit: str = "3GB"
    threads: int | None = None
    workers: int | None = None
    temp_dir: Path | None = None
    formats: tuple[str, ...] = ("csv",)
    trust: TrustRule = field(default_factory=TrustRule)
    linkage: LinkageConfig = field(default_factory=LinkageConfig)

    @property
    def thread_count(self) -> int:
        """Threads DuckDB uses. Raises nothing."""
        return self.threads or os.cpu_count() or 1


@dataclass
class PassContext:
    """What a pass works with: the connection, the settings, the opened inputs, the progress
    display, and a place to leave counts for the summary."""

    con: duckdb.DuckDBPyConnection
    config: ReconcileConfig
    insured: InputTable
    population: InputTable
    progress: Progress
    extras: tuple[tuple[str, str], ...]
    counts: dict[str, int] = field(default_factory=dict)


class Pass(Protocol):
    """One step over ``rc_results``."""

    name: str

    def run(self, ctx: PassContext) -> None:
        """Do the step. Raises ReconcileError for bad input, duckdb.Error otherwise."""
        ...


class IdLinkPass:
    """Link by ID, compare and classify in SQL (link.py, comparisons.py, classify.py)."""

    name = "link_by_id"

    def run(self, ctx: PassContext) -> None:
        """See the class. Raises duckdb.Error."""
        with ctx.progress.query("reading and comparing", ctx.con, ctx.insured.rows_for_progress):
            run_link(
                ctx.con,
                ctx.insured.relation,
                ctx.population.relation,
                [c for c, _ in ctx.extras],
                ctx.config.trust,
                insured_rescan_cheap=ctx.insured.format == "parquet",
            )


class ToolkitPass:
    """Settle the pending records with the identity toolkit (resolve.py)."""

    name = "toolkit"

    def run(self, ctx: PassContext) -> None:
        """See the class. Raises duckdb.Error."""
        workers = ctx.config.workers or ctx.config.thread_count
        stats = resolve_pending(ctx.con, ctx.config.trust, workers, ctx.progress)
        ctx.counts.update(
            pending_records=stats.records,
            name_pairs=stats.name_pairs,
            date_pairs=stats.date_pairs,
            workers=stats.workers,
        )


class LinkagePass:
    """Link the records without a usable ID on demographics (linkage/)."""

    name = "linkage"

    def run(self, ctx: PassContext) -> None:
        """See the class. Raises duckdb.Error."""
        if not ctx.config.linkage.enabled:
            return
        from gateway.reconcile.linkage.stage import link_demographics  # only when it runs

        with ctx.progress.query("linking on demographics", ctx.con, None):
            stats = link_demographics(
                ctx.con, ctx.insured.relation, ctx.population.relation, ctx.config.linkage
            )
        ctx.counts.update(stats.counts())


class DuplicatePass:
    """Mark records that resolve to the same citizen (duplicates.py)."""

    name = "duplicates"

    def run(self, ctx: PassContext) -> None:
        """See the class. Raises ReconcileInputError when a record appears twice under one
        citizen (a repeated ``record_id``, or a repeated ID in the population file)."""
        stats = mark_duplicates(ctx.con)
        if stats.repeated_record is not None:
            raise _repeated_key(ctx)
        ctx.counts.update(duplicate_groups=stats.groups, duplicate_records=stats.records)


PASSES: tuple[Pass, ...] = (IdLinkPass(), ToolkitPass(), LinkagePass(), DuplicatePass())


def _repeated_key(ctx: PassContext) -> ReconcileInputError:
    """Which input repeats a key: the insured ``record_id`` or the population ID."""
    con = ctx.con
    # row_number() counts rows in file order only with one thread and insertion order kept.
    con.execute("SET threads = 1; SET preserve_insertion_order = true")
    for table, column in ((ctx.insured, "record_id"), (ctx.population, "so_dinh_danh")):
        found = first_row(
            con,
            f"""SELECT n, row_number FROM (
                  SELECT {column}, row_number() OVER () AS row_number, count(*) OVER (PARTITION BY {column}) AS n
                  FROM {table.relation}) WHERE n > 1 AND {column} IS NOT NULL AND {column} <> ''
                ORDER BY row_number LIMIT 1 OFFSET 1""",
        )
        if found:
            line = int(found[1]) + (1 if table.format == "csv" else 0)
            return ReconcileInputError(
                "reconcile.input.duplicate_key",
                f"{column} repeats a value of an earlier row: it must be unique",
                file=table.path,
                line=line,
                column=column,
            )
    return ReconcileInputError(
        "reconcile.input.duplicate_key", "a key repeats", file=ctx.insured.path
    )


@contextmanager
def _private_umask() -> Iterator[None]:
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def _extras(insured: InputTable) -> tuple[tuple[str, str], ...]:
    taken = set(OUTPUT_COLUMNS)
    pairs = []
    for i, name in enumerate(insured.extra_columns):
        shown = name if name not in taken else f"insured_{name}"
        taken.add(shown)
        pairs.append((extra_column(i), shown))
    return tuple(pairs)


def _run_pass(step: Pass, ctx: PassContext) -> None:
    try:
        step.run(ctx)
    except duckdb.InvalidInputException as exc:  # how DuckDB reports a CSV row it cannot read
        for table in (ctx.insured, ctx.population):
            located = locate_csv_error(ctx.con, table)
            if located is not None:
                raise located from exc
        raise


def reconcile(
    insured: Path,
    population: Path,
    out_dir: Path,
    config: ReconcileConfig | None = None,
    progress: Progress | None = None,
    passes: Sequence[Pass] = PASSES,
) -> tuple[Summary, list[Path]]:
    """Reconcile ``insured`` against ``population`` into ``out_dir``; return the summary and
    the files written. Raises ReconcileInputError (bad input: file, line, column),
    ReconcileOutputError (the directory cannot be written), duckdb.Error (our fault, or out
    of memory)."""
    config = config or ReconcileConfig()
    progress = progress or Progress()
    timings: dict[str, float] = {}
    started = time.perf_counter()
    staging = outputs.prepare(out_dir)
    try:
        with (
            _private_umask(),
            connect(config.memory_limit, config.thread_count, config.temp_dir) as con,
        ):
            mark = time.perf_counter()
            ins = open_input(con, insured, "insured", INSURED_COLUMNS)
            pop = open_input(con, population, "population", POPULATION_COLUMNS, materialize=True)
            ctx = PassContext(con, config, ins, pop, progress, _extras(ins))
            timings["open_inputs"] = time.perf_counter() - mark
            for step in passes:
                mark = time.perf_counter()
                _run_pass(step, ctx)
                timings[step.name] = time.perf_counter() - mark
            mark = time.perf_counter()
            with progress.query("writing results", con, None):
                files = outputs.write_results(con, staging, config.formats, ctx.extras)
                if config.linkage.enabled:
                    from gateway.reconcile.linkage.explain import write_explanations

                    files += write_explanations(con, staging)
            categories, fields, details = count_results(con)
            timings["write_results"] = time.perf_counter() - mark
            timings["total"] = time.perf_counter() - started
            records = sum(categories.values())
            summary = Summary(
                categories=categories,
                fields=fields,
                details=details,
                duplicate_groups=ctx.counts.get("duplicate_groups", 0),
                duplicate_records=ctx.counts.get("duplicate_records", 0),
                inputs=(
                    InputSize(
                        "insured",
                        ins.format,
                        ins.rows if ins.rows is not None else records,
                        ins.size_bytes,
                    ),
                    InputSize("population", pop.format, pop.rows or 0, pop.size_bytes),
                ),
                timings=timings,
                toolkit={k: v for k, v in ctx.counts.items() if not k.startswith("duplicate")},
                settings={
                    "memory_limit": config.memory_limit,
                    "threads": config.thread_count,
                    "trust_rule": {
                        "min_name_similarity": config.trust.min_name_similarity,
                        "min_agreeing": config.trust.min_agreeing,
                    },
                    "linkage": {
                        "enabled": config.linkage.enabled,
                        "upper": config.linkage.upper,
                        "lower": config.linkage.lower,
                        "margin_bits": config.linkage.margin_bits,
                    },
                    "duckdb": duckdb.__version__,
                },
            )
            files += outputs.write_summary(summary, staging)
        return summary, outputs.publish(staging, out_dir, files)
    except (ReconcileError, duckdb.Error, OSError, KeyboardInterrupt):
        outputs.discard(staging)
        raise
