"""Synthetic ground truth for the demographic linkage: insured records without a usable ID
whose true citizen is known, with the noise real records carry, people the population file
does not hold (ghosts) and citizens who look alike (twins).

Built on synth.py's citizens and name pool (same names by real frequency, same IDs):

- every record's ID is unusable: missing, malformed, unknown, one keying slip away from the
  citizen's (``typo``), or another citizen's (``wrong_person``, a citizen of another gender
  and birth year, so that the ID pass refuses it);
- each record may also carry demographic noise, drawn independently per field: the name
  without marks, in a legacy encoding, with a regional family name, a middle name less, in
  another order, misspelt; the birth date known only to the year, day and month swapped,
  another day of the year, the same day in another year; gender unknown or wrong; another
  commune or province;
- ghosts: a share of the people whose records are generated are left out of the population;
- twins: for a share of citizens the population holds a second citizen with the same name,
  gender, birth year and commune and another birth date. A record of such a citizen whose
  birth date is not exact (year only, another day, another year) cannot be told from the twin:
  it is not resolvable (REVIEW is the right answer, a link is a coin toss).

Truth (``truth.parquet``): ``record_id``, ``citizen_id`` (the true citizen, NULL for nobody
in particular), ``ghost``, ``resolvable`` (not a ghost and no twin it cannot be told from),
``id_kind`` and the noise applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from gateway.reconcile.synth import SynthFiles, _citizens, _load_pool, _load_provinces, _macros
from gateway.reconcile.synth_kinds import SynthSpec

ID_KINDS = (
    ("missing", 0.45),
    ("malformed", 0.10),
    ("unknown", 0.15),
    ("typo", 0.10),
    ("wrong_person", 0.20),
)
NAME_NOISE = (
    ("ascii", 0.10), ("partial", 0.02), ("utf8_double", 0.01), ("tcvn3", 0.01), ("vni", 0.01),
    ("regional", 0.02), ("middle", 0.02), ("order", 0.01), ("spelling", 0.04),
)  # fmt: skip
DATE_NOISE = (("year_only", 0.06), ("swapped", 0.03), ("other_day", 0.03), ("other_year", 0.03))
GENDER_NOISE = (("unknown", 0.05), ("different", 0.005))
ADDRESS_NOISE = (("other_commune", 0.08), ("other_province", 0.02))


@dataclass(frozen=True)
class LinkageSpec:
    """``citizens`` in the population file (twins included, ghosts not), ``records`` without a
    usable ID; ``ghost_rate`` of the records' people are missing from the population,
    ``twin_rate`` of citizens have a look-alike."""

    citizens: int
    records: int
    seed: int = 1
    ghost_rate: float = 0.02
    twin_rate: float = 0.01
    name_pool: int = 20_000

    @property
    def key(self) -> str:
        """A short name for cache directories. Raises nothing."""
        return (
            f"lk-c{self.citizens}-r{self.records}-s{self.seed}-g{self.ghost_rate:g}"
            f"-t{self.twin_rate:g}-p{self.name_pool}"
        )


def _case(kinds: tuple[tuple[str, float], ...], draw: str) -> str:
    cases, total = [], 0.0
    for kind, rate in kinds:
        total += rate
        cases.append(f"WHEN {draw} < {total!r} THEN '{kind}'")
    return f"CASE {' '.join(cases)} ELSE 'none' END"


def generate(con: duckdb.DuckDBPyConnection, spec: LinkageSpec) -> None:
    """Create ``syn_population``, ``syn_insured`` and ``syn_truth`` in ``con``. Raises
    duckdb.Error."""
    _macros(con, spec.seed)
    _load_pool(con, SynthSpec(citizens=1, seed=spec.seed, name_pool=spec.name_pool))
    slots = _load_provinces(con)
    base = max(spec.citizens - round(spec.citizens * spec.twin_rate), 1)
    _citizens(con, SynthSpec(citizens=base, seed=spec.seed, name_pool=spec.name_pool), slots)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE syn_twin AS
        SELECT {base} + row_number() OVER (ORDER BY i) - 1 AS i, gender, year, province, k, ma_huyen, xa,
          make_date(year, 1 + syn_r(i, 'tm', 12), 1 + syn_r(i, 'td', 28)) AS birth,
          left(so_dinh_danh, 6) || (900000 + row_number() OVER (PARTITION BY left(so_dinh_danh, 6) ORDER BY i))::VARCHAR AS so_dinh_danh,
          i AS twin_of
        FROM syn_citizen WHERE syn_u(i, 'twin') < {spec.twin_rate / (1 - spec.twin_rate)!r} AND NOT year_only
        LIMIT {spec.citizens - base}"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE syn_population AS
        SELECT c.so_dinh_danh, c.so_cmnd, p.name AS ho_ten,
          CASE WHEN c.year_only THEN c.year::VARCHAR ELSE strftime(c.birth, '%Y%m%d') END AS ngay_sinh,
          c.gender::VARCHAR AS gioi_tinh, right(c.province, 2) AS ma_tinh, c.ma_huyen, lpad(c.xa::VARCHAR, 5, '0') AS ma_xa
        FROM syn_citizen c JOIN syn_pool p ON p.gender = c.gender AND p.k = c.k
        WHERE syn_u(c.i, 'ghost') >= {spec.ghost_rate!r}
        UNION ALL
        SELECT t.so_dinh_danh, '', p.name, strftime(t.birth, '%Y%m%d'), t.gender::VARCHAR,
          right(t.province, 2), t.ma_huyen, lpad(t.xa::VARCHAR, 5, '0')
        FROM syn_twin t JOIN syn_pool p ON p.gender = t.gender AND p.k = t.k"""
    )
    _records(con, spec, base)


def _records(con: duckdb.DuckDBPyConnection, spec: LinkageSpec, base: int) -> None:
    variants = ("ascii", "partial", "utf8_double", "tcvn3", "vni", "regional", "middle", "order")
    name_case = " ".join(f"WHEN '{v}' THEN v_{v}" for v in variants)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE syn_lk_joined AS
        WITH draw AS (
          SELECT j, syn_r(j, 'who', {base}) AS i, syn_r(j, 'wp', {base}) AS w,
            {_case(ID_KINDS, "syn_u(j, 'idk')")} AS id_drawn,
            {_case(NAME_NOISE, "syn_u(j, 'nn')")} AS name_drawn,
            {_case(DATE_NOISE, "syn_u(j, 'dn')")} AS date_drawn,
            {_case(GENDER_NOISE, "syn_u(j, 'gn')")} AS gender_noise,
            {_case(ADDRESS_NOISE, "syn_u(j, 'an')")} AS address_noise
          FROM range({spec.records}) t(j)
        )
        SELECT d.*, c.gender, c.birth, c.year, c.year_only, c.province, c.ma_huyen, c.xa, c.so_dinh_danh,
          p.name, {", ".join(f"p.v_{v}" for v in variants)},
          syn_u(c.i, 'ghost') < {spec.ghost_rate!r} AS ghost,
          EXISTS (SELECT 1 FROM syn_twin t WHERE t.twin_of = c.i) AS has_twin,
          CASE WHEN w.gender <> c.gender AND w.year <> c.year AND syn_u(w.i, 'ghost') >= {spec.ghost_rate!r}
               THEN w.so_dinh_danh END AS w_id,
          string_split(p.name, ' ')[-1] AS given
        FROM draw d JOIN syn_citizen c ON c.i = d.i JOIN syn_pool p ON p.gender = c.gender AND p.k = c.k
        JOIN syn_citizen w ON w.i = d.w"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE syn_lk_applied AS
        SELECT *,
          CASE WHEN id_drawn = 'wrong_person' AND w_id IS NULL THEN 'missing' ELSE id_drawn END AS id_kind,
          CASE WHEN name_drawn = 'spelling' THEN 'spelling'
               WHEN (CASE name_drawn {name_case} END) IS NULL THEN 'none' ELSE name_drawn END AS name_noise,
          CASE WHEN year_only THEN 'none'
               WHEN has_twin AND syn_u(j, 'tw') < 0.5 THEN 'year_only'
               WHEN date_drawn = 'swapped' AND (day(birth) > 12 OR day(birth) = month(birth)) THEN 'none'
               ELSE date_drawn END AS date_noise,
          1 + syn_r(j, 'sp', length(given)) AS pos
        FROM syn_lk_joined"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE syn_insured AS
        WITH spelt AS (
          SELECT *, chr(97 + ((ascii(CASE WHEN lower(given[pos]) = 'đ' THEN 'd' ELSE lower(strip_accents(given[pos])) END) - 97
                    + 1 + syn_r(j, 'sl', 25)) % 26)::INTEGER) AS newc
          FROM syn_lk_applied
        ), moved AS (
          SELECT s.*, coalesce(pr.code, s.province) AS new_province
          FROM spelt s LEFT JOIN syn_province pr
            ON s.address_noise = 'other_province' AND pr.slot = syn_r(s.j, 'np', (SELECT count(*) FROM syn_province))
        )
        SELECT
          'L' || lpad(((j * 2654435761 + 7654321) % 10000000000)::VARCHAR, 10, '0') AS record_id,
          CASE id_kind
            WHEN 'missing' THEN ''
            WHEN 'malformed' THEN CASE WHEN left(so_dinh_danh, 1) = '0' THEN substr(so_dinh_danh, 2) ELSE so_dinh_danh || '0' END
            WHEN 'unknown' THEN left(so_dinh_danh, 6) || (500000 + syn_r(j, 'unk', 400000))::VARCHAR
            WHEN 'typo' THEN left(so_dinh_danh, 6) || (substr(so_dinh_danh, 7, 1)::INTEGER + 5)::VARCHAR || substr(so_dinh_danh, 8)
            ELSE w_id END AS so_cccd,
          '' AS ma_the,
          CASE WHEN name_noise = 'spelling' THEN left(name, length(name) - length(given)) || left(given, pos - 1)
                 || CASE WHEN given[pos] = upper(given[pos]) THEN upper(newc) ELSE newc END || substr(given, pos + 1)
               WHEN name_noise <> 'none' THEN CASE name_noise {name_case} END
               WHEN syn_u(j, 'nb') < 0.03 THEN upper(name)
               ELSE name END AS ho_ten,
          CASE WHEN year_only AND syn_u(j, 'yf') < 0.5
                 THEN strftime(make_date(year, 1 + syn_r(j, 'ym', 12), 1 + syn_r(j, 'yd', 28)), '%Y%m%d')
               WHEN year_only THEN year::VARCHAR
               WHEN date_noise = 'year_only' THEN year::VARCHAR
               WHEN date_noise = 'swapped' THEN strftime(birth, '%Y%d%m')
               WHEN date_noise = 'other_day' THEN strftime(
                 CASE WHEN dayofyear(birth) <= 180 THEN birth + (1 + syn_r(j, 'od', 180))::INTEGER
                      ELSE birth - (1 + syn_r(j, 'od', 180))::INTEGER END, '%Y%m%d')
               WHEN date_noise = 'other_year' THEN strftime(
                 (birth + to_years((CASE WHEN syn_u(j, 'oy') < 0.5 THEN 1 ELSE -1 END)::INTEGER))::DATE, '%Y%m%d')
               ELSE strftime(birth, '%Y%m%d') END AS ngay_sinh,
          CASE gender_noise WHEN 'unknown' THEN '3' WHEN 'different' THEN (3 - gender)::VARCHAR ELSE gender::VARCHAR END AS gioi_tinh,
          right(new_province, 2) AS ma_tinh,
          CASE WHEN address_noise = 'other_province' THEN lpad((1 + syn_r(j, 'nh', 999))::VARCHAR, 3, '0') ELSE ma_huyen END AS ma_huyen,
          lpad((CASE WHEN address_noise = 'none' THEN xa ELSE (xa + syn_r(j, 'ax', 31998)) % 32000 + 1 END)::VARCHAR, 5, '0') AS ma_xa,
          CASE WHEN ghost THEN NULL ELSE so_dinh_danh END AS citizen_id, ghost,
          NOT ghost AND NOT (has_twin AND date_noise IN ('year_only', 'other_day', 'other_year')) AS resolvable,
          id_kind, name_noise, date_noise, gender_noise, address_noise
        FROM moved"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE syn_truth AS
        SELECT record_id, citizen_id, ghost, resolvable, id_kind, name_noise, date_noise, gender_noise, address_noise
        FROM syn_insured"""
    )
    con.execute("DROP TABLE syn_lk_joined; DROP TABLE syn_lk_applied")


def write(spec: LinkageSpec, directory: Path, *, threads: int | None = None) -> SynthFiles:
    """Generate ``spec`` into ``directory`` as Parquet: ``insured.parquet``,
    ``population.parquet``, ``truth.parquet``. Raises OSError or duckdb.Error."""
    directory.mkdir(parents=True, exist_ok=True)
    files = SynthFiles(
        directory / "insured.parquet", directory / "population.parquet", directory / "truth.parquet"
    )
    con = duckdb.connect(
        config={"threads": threads or 2, "memory_limit": "8GB", "preserve_insertion_order": True}
    )
    try:
        generate(con, spec)
        columns = (
            "record_id, so_cccd, ma_the, ho_ten, ngay_sinh, gioi_tinh, ma_tinh, ma_huyen, ma_xa"
        )
        options = "(FORMAT parquet, COMPRESSION zstd)"
        con.execute(
            f"COPY (SELECT {columns} FROM syn_insured ORDER BY hash(record_id)) TO '{files.insured}' {options}"
        )
        con.execute(
            f"COPY (SELECT * FROM syn_population ORDER BY hash(so_dinh_danh)) TO '{files.population}' {options}"
        )
        con.execute(f"COPY syn_truth TO '{files.truth}' {options}")
    finally:
        con.close()
    return files
