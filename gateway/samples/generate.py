"""Orchestration: a deterministic run of synthetic documents, with its manifest.

The mix of documents, by 1-based position in the run: every 25th file is an XML12 (medical
assessment) document, every other 10th an XML0 (check-in) document, all the rest are GIAMDINHHS
dossier envelopes of the chosen profile (one HOSO each). An XML0 document holds one visit's
check-in, an XML12 document 1–3 assessments. `invalid_rate` of the envelopes (rounded to a
whole number, positions drawn with the seed) carry exactly one known defect each, assigned
round-robin in the order of `DEFECTS`, so a run with enough invalid envelopes holds them all.

Each file draws from its own random stream, seeded by (seed, position): a file does not change
when another one does, and the same seed gives the same bytes.
"""

from __future__ import annotations

import functools
import json
import random
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

from gateway.samples import clinical, episode, timeline
from gateway.samples.amounts import LineAmounts, Totals, totals
from gateway.samples.build import table_document
from gateway.samples.defects import DEFECTS, Defect
from gateway.samples.defects import defect as find_defect
from gateway.samples.dossier import Dossier
from gateway.samples.episode import Episode
from gateway.samples.people import PROVINCE_NAMES, make_person, province_of_facility
from gateway.samples.standalone import assessment_record, checkin_record

ENVELOPE, CHECKIN, ASSESSMENT = "envelope", "XML0", "XML12"
DEFAULT_FACILITY = "01001"
# Visits fall in this window, so that a card running for the calendar year covers every stay
# (the longest stay of the large profile is 50 nights).
PERIOD_START = date(2026, 1, 5)
PERIOD_DAYS = 300
_STEMS = {ENVELOPE: "GIAMDINHHS", CHECKIN: "XML0_checkin", ASSESSMENT: "XML12_assessment"}


@dataclass(frozen=True)
class GeneratedFile:
    """One generated document and what a validator must say about it."""

    name: str
    kind: str  # 'envelope' | 'XML0' | 'XML12'
    content: bytes
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    ma_lk: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        """True when a validator must report no error (warnings allowed)."""
        return not self.errors


def kind_at(position: int) -> str:
    """The kind of document at a 1-based position of a run (see the module docstring)."""
    if position % 25 == 0:
        return ASSESSMENT
    if position % 10 == 0:
        return CHECKIN
    return ENVELOPE


def check_facility(facility: str) -> None:
    """Raise ValueError unless `facility` is a 5-digit code of a known province (01001)."""
    if len(facility) != 5 or not facility.isdigit():
        raise ValueError(f"facility code must be 5 digits (e.g. 01001), not {facility!r}")
    if province_of_facility(facility) not in PROVINCE_NAMES:
        raise ValueError(f"facility code {facility!r}: {facility[:2]} is not a province code")


@functools.lru_cache(maxsize=64)
def _staff(facility: str) -> timeline.Staff:
    return timeline.Staff.of(facility)


def _visit_day(rng: random.Random) -> date:
    return PERIOD_START + timedelta(days=rng.randrange(PERIOD_DAYS))


def _ma_lk(rng: random.Random, facility: str, admitted: datetime) -> str:
    return f"{facility}{admitted:%y%m%d}{rng.randrange(10**8):08d}"


def make_episode(rng: random.Random, profile: timeline.Profile, facility: str) -> Episode:
    """A consistent treatment episode: person, course, and the records of XML1–XML5."""
    staff = _staff(facility)
    day = _visit_day(rng)
    person = make_person(rng, facility, day)
    diagnosis = timeline.diagnosis_for(rng, profile)
    course = timeline.make_course(rng, profile, staff, diagnosis, day)
    ma_lk = _ma_lk(rng, facility, course.admitted)
    benefit = person.card.benefit_percent
    drug_rows, drug_lines = [], []
    for stt, order in enumerate(course.drugs, start=1):
        row, line = episode.drug_record(rng, ma_lk, stt, order, benefit, facility)
        drug_rows.append(row)
        drug_lines.append(line)
    service_rows, service_lines = [], []
    for stt, service in enumerate(course.services, start=1):
        row, line = episode.service_record(
            rng, ma_lk, stt, service, benefit, facility, diagnosis.code
        )
        service_rows.append(row)
        service_lines.append((service.group, line))
    others = [d for d in clinical.DIAGNOSES if d.area != diagnosis.area]
    secondary = tuple(rng.sample(others, rng.choice((0, 0, 1, 2))))
    xml1 = episode.summary_record(
        rng, ma_lk, person, course, facility, staff.head,
        _totals(drug_lines, service_lines), secondary,
    )  # fmt: skip
    tables = {"XML1": [xml1], "XML2": drug_rows, "XML3": service_rows}
    if course.inpatient:
        reader = rng.choice(staff.doctors)
        tables["XML4"] = episode.result_records(rng, ma_lk, list(course.services), reader)
        tables["XML5"] = episode.progress_records(ma_lk, course)
    return Episode(ma_lk, person, course, tables)


def _totals(drugs: list[LineAmounts], services: list[tuple[str, LineAmounts]]) -> Totals:
    return totals(drugs, services, clinical.SUPPLY_GROUPS)


def make_dossier(
    rng: random.Random, profile: str = "typical", facility: str = DEFAULT_FACILITY,
    defect: str | None = None,
) -> tuple[Dossier, Defect | None]:  # fmt: skip
    """A dossier (one HOSO) of the profile, with the named defect applied if any.

    Raises ValueError for an unknown profile or defect, or a malformed facility code.
    """
    if profile not in timeline.PROFILES:
        raise ValueError(f"unknown profile {profile!r}; known: {', '.join(timeline.PROFILES)}")
    check_facility(facility)
    chosen = find_defect(defect) if defect is not None else None
    item = make_episode(rng, timeline.PROFILES[profile], facility)
    created = item.course.settled.date() + timedelta(days=rng.choice((0, 0, 1)))
    dossier = Dossier(facility, episode.day8(created), [item])
    if chosen is not None:
        chosen.apply(dossier, rng)
    return dossier, chosen


def generate_one(
    rng: random.Random, profile: str = "typical", facility: str = DEFAULT_FACILITY,
    defect: str | None = None,
) -> bytes:  # fmt: skip
    """One dossier envelope as bytes (for benchmarks); see `make_dossier`."""
    return make_dossier(rng, profile, facility, defect)[0].to_bytes()


def _checkin(rng: random.Random, facility: str) -> GeneratedFile:
    """One visit's check-in: a single TRANG_THAI_KCB (STT 1), so STT runs 1..n both per
    document and per MA_LK, whichever way a validator reads it."""
    day = _visit_day(rng)
    person = make_person(rng, facility, day)
    diagnosis = rng.choice(clinical.DIAGNOSES)
    admitted = datetime.combine(day, time(7)) + timedelta(minutes=rng.randint(0, 540))
    ma_lk = _ma_lk(rng, facility, admitted)
    inpatient = rng.random() < 0.3
    service = rng.choice(clinical.CONSULTATIONS)
    record = checkin_record(
        ma_lk, 1, person, facility, admitted, inpatient, service, diagnosis.reason
    )
    return GeneratedFile("", CHECKIN, table_document(CHECKIN, [record]), ma_lk=(ma_lk,))


def _assessment(rng: random.Random, facility: str) -> GeneratedFile:
    meeting = _visit_day(rng)
    first = rng.randint(1, 400)
    records = []
    for number in range(first, first + rng.randint(1, 3)):
        person = make_person(rng, facility, meeting, adult=True)
        if person.year_only:  # an assessment needs the full birth date from the ID papers
            person = replace(person, year_only=False)
        records.append(assessment_record(rng, person, meeting, number))
    return GeneratedFile("", ASSESSMENT, table_document(ASSESSMENT, records))


def _envelope(rng: random.Random, profile: str, facility: str, defect: str | None) -> GeneratedFile:
    dossier, chosen = make_dossier(rng, profile, facility, defect)
    errors = chosen.errors if chosen else ()
    warnings = chosen.warnings if chosen else ()
    keys = tuple(ep.ma_lk for ep in dossier.episodes)
    return GeneratedFile("", ENVELOPE, dossier.to_bytes(), errors, warnings, keys)


def plan_defects(seed: int, count: int, invalid_rate: float) -> dict[int, str]:
    """Which envelope positions (1-based) carry which defect code, for a run."""
    envelopes = [p for p in range(1, count + 1) if kind_at(p) == ENVELOPE]
    chosen = sorted(
        random.Random(f"defects:{seed}").sample(envelopes, round(invalid_rate * len(envelopes)))
    )
    return {position: DEFECTS[i % len(DEFECTS)][0] for i, position in enumerate(chosen)}


def generate(
    out_dir: Path | None,
    count: int,
    seed: int = 0,
    invalid_rate: float = 0.0,
    profile: str = "typical",
    facility: str = DEFAULT_FACILITY,
) -> list[GeneratedFile]:
    """Generate `count` documents; with `out_dir`, write them and `manifest.json` there.

    Deterministic for a seed. Raises ValueError for a negative count, an invalid_rate outside
    0..1, an unknown profile or a malformed facility code; OSError when writing fails.
    """
    if count < 0:
        raise ValueError(f"count must be 0 or more, not {count}")
    if not 0.0 <= invalid_rate <= 1.0:
        raise ValueError(f"invalid_rate must be between 0 and 1, not {invalid_rate}")
    if profile not in timeline.PROFILES:
        raise ValueError(f"unknown profile {profile!r}; known: {', '.join(timeline.PROFILES)}")
    check_facility(facility)
    defects = plan_defects(seed, count, invalid_rate)
    width = max(5, len(str(count)))
    files = []
    for position in range(1, count + 1):
        rng = random.Random(f"{seed}:{position}")
        kind = kind_at(position)
        if kind == CHECKIN:
            made = _checkin(rng, facility)
        elif kind == ASSESSMENT:
            made = _assessment(rng, facility)
        else:
            made = _envelope(rng, profile, facility, defects.get(position))
        files.append(replace(made, name=f"{position:0{width}d}_{_STEMS[kind]}.xml"))
    if out_dir is not None:
        write(out_dir, files, seed=seed, profile=profile, facility=facility)
    return files


def manifest(
    files: list[GeneratedFile], *, seed: int, profile: str, facility: str
) -> dict[str, object]:
    """The manifest of a run: per file, its kind and the errors/warnings a validator reports."""
    return {
        "seed": seed,
        "profile": profile,
        "facility": facility,
        "files": [
            {
                "file": f.name,
                "kind": f.kind,
                "valid": f.valid,
                "errors": list(f.errors),
                "warnings": list(f.warnings),
                "ma_lk": list(f.ma_lk),
            }
            for f in files
        ],
    }


def write(
    out_dir: Path, files: list[GeneratedFile], *, seed: int, profile: str, facility: str
) -> None:
    """Write the files and manifest.json into `out_dir` (created if needed)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for item in files:
        (out_dir / item.name).write_bytes(item.content)
    document = manifest(files, seed=seed, profile=profile, facility=facility)
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    (out_dir / "manifest.json").write_text(text, encoding="utf-8")
