"""The values the linkage compares, prepared once per side (the "keys" of levels.py).

- subjects: the ID pass's NOT_FOUND records (``rc_results``) with their insured values read
  again from the input (the ID pass keeps only what it needed);
- names: one table of name forms keyed by the folded name (``name_f``), shared by both sides:
  the words sorted (``tokens``), the family (first) and given (last) name, and the name with
  its family name replaced by one regional form (``name_c``), its alphabetically first and
  last words (``low_word``, ``high_word``: one of them survives a swap of the family and given
  names together with a typo in the other). The population's names are
  folded in SQL (`DuckDBDialect.folded`, the toolkit's folding for Vietnamese letters) over
  its distinct names; the insured subjects' distinct names are folded in Python by the
  toolkit itself, after `repair_encoding` (a legacy-encoded name must block and compare as
  the name it is);
- each side's row keys: name id, birth-date key, gender, codes; the insured side's ID
  (``idn``) when it has the shape of one (11 to 13 digits, perhaps mistyped) and is not
  another citizen's (a wrong-person ID says nothing of the person's own); a citizen's ID is
  its key, ``pid``;
- the citizens' frequencies (``rc_lk_tf``): of each folded name, of its family name and of its
  given name (the term-frequency adjustment, scoring.py).
"""

from __future__ import annotations

import duckdb

from gateway.identity import fold_name, repair_encoding
from gateway.identity._data import read_rows
from gateway.identity.dates import MAX_YEAR, MIN_YEAR
from gateway.reconcile.dialect import DIALECT
from gateway.reconcile.link import unpack_state_sql

RESULTS = "rc_results"
SUBJECTS = "rc_lk_subjects"
FORMS = "rc_lk_forms"
INSURED_KEYS = "rc_lk_ins"
POPULATION_KEYS = "rc_lk_pop"
FREQUENCIES = "rc_lk_tf"
_INSURED_NAMES = "rc_lk_inames"
_POPULATION_NAMES = "rc_lk_pnames"
_REGIONAL = "rc_lk_regional"

# Key columns of both sides, as levels.py and blocking.py name them.
ROW_KEYS = ("dkey", "g", "tinh", "huyen", "xa")
NAME_KEYS = ("name_f", "name_c", "tokens", "family", "given", "low_word", "high_word")
# Blocking keys: an integer id per name form (``nid`` is the folded name's).
FORM_IDS = {"tid": "tokens", "fid": "family", "gid": "given", "lid": "low_word", "hid": "high_word"}


def fold_insured_name(name: str) -> str:
    """The folded form of an insured name, a legacy encoding repaired first (the identity
    toolkit's `repair_encoding` and `fold_name`). Raises nothing."""
    return fold_name(repair_encoding(name)[0])


def _row_keys(prefix: str = "") -> str:
    d = DIALECT
    key = f"{prefix}_key"
    return (
        f"CASE WHEN {d.date_key_valid(key, MIN_YEAR, MAX_YEAR)} THEN {key} END AS dkey, "
        f"CASE WHEN trim(gioi_tinh) IN ('1', '2') THEN trim(gioi_tinh) END AS g, "
        f"nullif({d.code('ma_tinh')}, '') AS tinh, nullif({d.code('ma_huyen')}, '') AS huyen, "
        f"nullif({d.code('ma_xa')}, '') AS xa"
    )


def build_subjects(con: duckdb.DuckDBPyConnection, insured: str) -> int:
    """Create ``rc_lk_subjects`` (the NOT_FOUND records: ``i_row`` = their ``rc_results``
    ``_lk_row``, ``excluded`` = the citizen a wrong-person ID names, the ID's status, the insured
    values) and return how many there are. Raises duckdb.Error."""
    # The key of each subject in rc_results, stored in the table (``_lk_row``): DuckDB's
    # rowid is no key across statements once rows were deleted (the toolkit pass rewrites its
    # records), as a checkpoint may compact the table and number its rows again.
    # The ID pass leaves out the columns only the linkage fills (a NULL column costs its table
    # write about what a real one does, for every record): added here, as NULL.
    con.execute(
        f"ALTER TABLE {RESULTS} ADD COLUMN IF NOT EXISTS _lk_row BIGINT; "
        f"ALTER TABLE {RESULTS} ADD COLUMN IF NOT EXISTS score DOUBLE"
    )
    con.execute(f"UPDATE {RESULTS} SET _lk_row = rowid WHERE category = 'NOT_FOUND'")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {SUBJECTS} AS
        WITH open AS (
          SELECT _lk_row AS i_row, record_id, _citizen AS excluded, _id_status AS id_status
          FROM ({unpack_state_sql(RESULTS, "category = 'NOT_FOUND'")}))
        SELECT o.*, trim(s.so_cccd) AS so_cccd, s.ho_ten, s.ngay_sinh, s.gioi_tinh,
          s.ma_tinh, s.ma_huyen, s.ma_xa
        FROM open o JOIN {insured} s USING (record_id)
        QUALIFY row_number() OVER (PARTITION BY o.i_row) = 1"""
    )
    found = con.execute(f"SELECT count(*) FROM {SUBJECTS}").fetchall()
    return int(found[0][0])


def _regional_table(con: duckdb.DuckDBPyConnection) -> None:
    # Each regional family name -> one representative (the first column of the toolkit's table).
    pairs = {
        fold_name(variant): fold_name(name)
        for name, variant, *_ in read_rows("regional_family_names.tsv")
    }
    values = ", ".join(f"({DIALECT.literal(k)}, {DIALECT.literal(v)})" for k, v in pairs.items())
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {_REGIONAL} AS SELECT * FROM (VALUES {values}) t(family, canonical)"
    )


def build_keys(con: duckdb.DuckDBPyConnection, population: str) -> None:
    """Create the name forms, both sides' keys and the population's name frequencies
    (``rc_lk_forms``, ``rc_lk_ins``, ``rc_lk_pop``, ``rc_lk_tf``) from ``rc_lk_subjects``
    and ``population``. Raises duckdb.Error."""
    import pyarrow as pa  # here: a run without the linkage never loads pyarrow (~0.1 s)

    names = con.sql(
        f"SELECT DISTINCT ho_ten FROM {SUBJECTS} WHERE ho_ten IS NOT NULL"
    ).to_arrow_table()
    raw = names.column("ho_ten").to_pylist()
    folded = pa.table({"ho_ten": raw, "name_f": [fold_insured_name(n) for n in raw]})
    con.register("rc_lk_inames_arrow", folded)
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {_INSURED_NAMES} AS SELECT * FROM rc_lk_inames_arrow"
        )
    finally:
        con.unregister("rc_lk_inames_arrow")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {_POPULATION_NAMES} AS
        SELECT ho_ten, {DIALECT.folded("ho_ten")} AS name_f
        FROM (SELECT DISTINCT ho_ten FROM {population} WHERE ho_ten IS NOT NULL)"""
    )
    _regional_table(con)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {FORMS} AS
        WITH distinct_names AS (
          SELECT DISTINCT name_f FROM (
            SELECT name_f FROM {_POPULATION_NAMES} UNION ALL SELECT name_f FROM {_INSURED_NAMES})
          WHERE name_f <> ''
        ), split AS (
          SELECT name_f, string_split(name_f, ' ') AS words FROM distinct_names
        )
        SELECT row_number() OVER () AS nid, s.name_f,
          array_to_string(list_sort(s.words), ' ') AS tokens,
          s.words[1] AS family, s.words[-1] AS given,
          list_sort(s.words)[1] AS low_word, list_sort(s.words)[-1] AS high_word,
          concat_ws(' ', coalesce(r.canonical, s.words[1]), array_to_string(s.words[2:], ' ')) AS name_c
        FROM split s LEFT JOIN {_REGIONAL} r ON r.family = s.words[1]"""
    )
    # Integer ids of the name forms, carried by both sides' keys: blocking joins on them
    # without joining the forms (whose join order DuckDB may otherwise choose badly).
    ids = ", ".join(
        f"dense_rank() OVER (ORDER BY {form}) AS {key}" for key, form in FORM_IDS.items()
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE {FORMS} AS SELECT *, {ids} FROM {FORMS}")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {INSURED_KEYS} AS
        SELECT s.i_row, s.excluded, f.nid, {_form_ids("f")}, {_row_keys("ngay_sinh")},
          CASE WHEN s.excluded IS NULL AND regexp_full_match(s.so_cccd, '[0-9]{{11,13}}')
               THEN s.so_cccd END AS idn
        FROM (SELECT *, {DIALECT.date_key("ngay_sinh")} AS ngay_sinh_key FROM {SUBJECTS}) s
        LEFT JOIN {_INSURED_NAMES} n USING (ho_ten) LEFT JOIN {FORMS} f USING (name_f)"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {POPULATION_KEYS} AS
        SELECT p.so_dinh_danh AS pid, f.nid, {_form_ids("f")}, {_row_keys("ngay_sinh")}
        FROM (SELECT *, {DIALECT.date_key("ngay_sinh")} AS ngay_sinh_key FROM {population}) p
        LEFT JOIN {_POPULATION_NAMES} n USING (ho_ten) LEFT JOIN {FORMS} f USING (name_f)"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {FREQUENCIES} AS
        WITH total AS (SELECT count(*)::DOUBLE AS n FROM {POPULATION_KEYS}),
        counts AS (
          SELECT c.nid, c.n, f.family, f.given
          FROM (SELECT nid, count(*) AS n FROM {POPULATION_KEYS} WHERE nid IS NOT NULL GROUP BY nid) c
          JOIN {FORMS} f USING (nid)),
        families AS (SELECT family, sum(n) AS n FROM counts GROUP BY family),
        givens AS (SELECT given, sum(n) AS n FROM counts GROUP BY given)
        SELECT c.nid, c.n / t.n AS tf, fa.n / t.n AS tf_family, gi.n / t.n AS tf_given
        FROM counts c CROSS JOIN total t JOIN families fa USING (family) JOIN givens gi USING (given)"""
    )
    con.execute(
        f"DROP TABLE {_POPULATION_NAMES}; DROP TABLE {_INSURED_NAMES}; DROP TABLE {_REGIONAL}"
    )


def _form_ids(alias: str) -> str:
    return ", ".join(f"{alias}.{key}" for key in FORM_IDS)
