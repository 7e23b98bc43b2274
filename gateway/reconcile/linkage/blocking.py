"""Blocking: which (record, citizen) pairs are compared at all. Rules as data, one screen:
a pair is a candidate when it agrees exactly on every key of at least one rule (keys.py
names the keys). Each rule is one hash join of the subjects (small) against the population
(large, streamed); the union of the rules' pairs is deduplicated.

Why these rules (each catches what the others miss):

1. the folded name's words, sorted, the birth year and the province: every name written with
   or without marks, in another order or another encoding, with any date error within the year;
2. the given name and the full birth date: a regional family name, a middle name more or less,
   a move to another province;
3. the full birth date and the province: a misspelt name;
4. the commune and the birth year: a misspelt name with a date error within the year;
5. the folded name and the commune: a wrong birth year;
6.-12. the family or the given name with the commune; the name, the birth date, the family
   name, or the alphabetically first or last word of the name with the district; for the less common
   values only (``max_block``): a misspelt name with a wrong or missing birth date, a commune
   code mistyped, the family and given names swapped with a typo.

Block sizes decide the cost: a name and a birth year alone make blocks of thousands for the
common names (Nguyễn Thị Hương), so the province is added; a year-only birth date
(``yyyy0000``) is no full date (``birth_date`` is NULL for it), else every year-only citizen
of a year would be one block.

Blocking recall (the share of true pairs that reach comparison) is measured by
bench/linkage.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from gateway.reconcile.linkage.keys import INSURED_KEYS, POPULATION_KEYS

PAIRS = "rc_lk_pairs"


@dataclass(frozen=True)
class BlockingRule:
    """Pairs that agree exactly on every one of ``keys``: ``name`` (folded), ``name_words``
    (sorted), ``family``, ``given``, ``first_word`` / ``last_word`` (alphabetically), ``year``
    and ``birth_date`` (the key when it is a full date), ``tinh``, ``huyen``, ``xa``. With
    ``max_block``, key values that more than that many citizens share are skipped (a common
    family name in a commune says too little to be worth the pairs)."""

    name: str
    keys: tuple[str, ...]
    max_block: int | None = None

    def join_condition(self) -> str:
        """The SQL condition over ``i`` (subject keys) and ``p`` (population keys). Raises nothing."""
        return " AND ".join(f"{_key('i', k)} = {_key('p', k)}" for k in self.keys)


# Name keys -> the integer id columns of keys.py (one per name form).
_NAME_IDS = {
    "name": "nid",
    "name_words": "tid",
    "family": "fid",
    "given": "gid",
    "first_word": "lid",
    "last_word": "hid",
}


def _key(alias: str, key: str) -> str:
    if key == "year":
        return f"left({alias}.dkey, 4)"
    if key == "birth_date":
        return f"CASE WHEN right({alias}.dkey, 4) <> '0000' THEN {alias}.dkey END"
    return f"{alias}.{_NAME_IDS.get(key, key)}"


RULES: tuple[BlockingRule, ...] = (
    BlockingRule("name_words+birth_year+province", ("name_words", "year", "tinh")),
    BlockingRule("given_name+birth_date", ("given", "birth_date")),
    BlockingRule("birth_date+province", ("birth_date", "tinh")),
    BlockingRule("commune+birth_year", ("tinh", "xa", "year")),
    BlockingRule("name+commune", ("name", "tinh", "xa")),
    BlockingRule("family_name+commune", ("family", "xa"), max_block=20),
    BlockingRule("given_name+commune", ("given", "xa"), max_block=20),
    BlockingRule("name+district", ("name", "huyen"), max_block=20),
    BlockingRule("birth_date+district", ("birth_date", "huyen"), max_block=20),
    BlockingRule("family_name+district", ("family", "huyen"), max_block=20),
    BlockingRule("first_word+district", ("first_word", "huyen"), max_block=20),
    BlockingRule("last_word+district", ("last_word", "huyen"), max_block=20),
    BlockingRule("small_commune", ("xa",), max_block=20),
    BlockingRule("small_district", ("huyen",), max_block=20),
)


def candidates_sql(rules: tuple[BlockingRule, ...] = RULES) -> str:
    """SQL creating ``rc_lk_pairs`` (``i_row``, ``pid``, ``rule``: the first rule that found
    the pair, 1-based; ``rules``: a bit per rule that found it, bit 0 for the first). A citizen a wrong-person ID names is never a candidate for that
    record: the ID pass found the two clearly different. Raises nothing."""
    parts = []
    for number, rule in enumerate(rules, start=1):
        population = POPULATION_KEYS
        if rule.max_block is not None:
            keys = ", ".join(f"{_key('k', k)} AS k{j}" for j, k in enumerate(rule.keys))
            small = " AND ".join(f"{_key('p', k)} = s.k{j}" for j, k in enumerate(rule.keys))
            population = (
                f"(SELECT p.* FROM {POPULATION_KEYS} p SEMI JOIN (SELECT {keys} FROM "
                f"{POPULATION_KEYS} k GROUP BY ALL HAVING count(*) <= {rule.max_block}) s ON {small})"
            )
        parts.append(
            f"SELECT i.i_row, p.pid, {number} AS rule FROM {INSURED_KEYS} i JOIN {population} p "
            f"ON {rule.join_condition()} WHERE p.pid IS DISTINCT FROM i.excluded"
        )
    union = " UNION ALL ".join(parts)
    return (
        f"CREATE OR REPLACE TEMP TABLE {PAIRS} AS "
        f"SELECT i_row, pid, min(rule) AS rule, bit_or(1 << (rule - 1)) AS rules "
        f"FROM ({union}) GROUP BY i_row, pid"
    )


def block(
    con: duckdb.DuckDBPyConnection, rules: tuple[BlockingRule, ...] = RULES
) -> dict[str, int]:
    """Create ``rc_lk_pairs``; return the pairs each rule contributed first, by rule name.
    Raises duckdb.Error."""
    con.execute(candidates_sql(rules))
    counts = dict.fromkeys((r.name for r in rules), 0)
    for rule, count in con.execute(f"SELECT rule, count(*) FROM {PAIRS} GROUP BY 1").fetchall():
        counts[rules[int(rule) - 1].name] = int(count)
    return counts
