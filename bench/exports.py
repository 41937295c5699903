"""Benchmark of the export-archive checker against reading the same CSV members with `csv` alone.

    PYTHONPATH=. .venv/bin/python bench/exports.py [--rounds 8] [--seed 44]

Builds varied archives from the demo's generator (`daemon.demo.generate.archive`, the recognised
layout with addresses and responsables): 60, 400 and 2,500 pupils, each as generated (UTF-8,
LF) and rewritten the way other software writes them (columns in another order under their
other accepted names, an unauthorised column, members named otherwise, cp1252 with CRLF, a
byte-order mark). Subject: `check_archive` on the archive. Baseline: opening the zip, decoding
every member (UTF-8, or cp1252 when it is not) and reading it with `csv.reader` into lists. The
two run alternated on each archive (A B, B A the next round, `bench.report.alternate`), every
cache of the checker cleared before each run; the figure is the median of the pair ratios with
their range (target: checking ≤ 3 × the baseline). Then the peak memory (tracemalloc) of checking
a 50-pupil and a 5,000-pupil archive (target: the difference stays within 20 MB). Exits 0 even
when a target is missed, printing MISSED.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import random
import sys
import time
import tracemalloc
import zipfile
from functools import _lru_cache_wrapper

from bench.report import Row, alternate, emit, load_average
from daemon.codes import LEVEL_AGE, LEVELS
from daemon.demo.generate import FIRST_NAMES, LAST_NAMES, DemoPupil, archive
from daemon.ingest.exports import archive as archive_module
from daemon.ingest.exports import coherence, layout
from daemon.ingest.exports.archive import ArchiveLimits, check_archive
from daemon.ingest.exports.records import ArchiveCheck

UAI = "0441234C"
RENTREE = dt.date(2026, 9, 1)
TIME_TARGET = 3.0
MEMORY_TARGET_MB = 20.0
SIZES = (60, 400, 2500)
# Other accepted names (daemon/data/export_aliases.toml) for the rewritten archives.
OTHER_MEMBER = {"eleves.csv": "élèves.csv", "scolarites.csv": "scolarité.csv"}
OTHER_COLUMN = {
    "eleves.csv": {
        "id_eleve": "identifiant_eleve",
        "nom": "Nom de famille",
        "prenom": "Prénom",
        "date_naissance": "Date de naissance",
        "code_postal": "CP",
        "commune": "Ville",
    },
    "responsables.csv": {
        "id_eleve": "identifiant_eleve",
        "autorite_parentale": "Autorité parentale",
    },
    "classes.csv": {"id_classe": "code_classe", "nom": "Libellé"},
    "scolarites.csv": {
        "id_eleve": "identifiant_eleve",
        "niveau": "niveau_eleve",
        "code_ecole": "UAI",
    },
}


def pupils(n: int, rng: random.Random) -> list[DemoPupil]:
    levels = LEVELS[1:]  # PS … CM2
    found = []
    for i in range(n):
        level = levels[i % len(levels)]
        born = dt.date(RENTREE.year - LEVEL_AGE[level], 1, 1) + dt.timedelta(rng.randint(0, 364))
        found.append(
            DemoPupil(
                f"E{i + 1:05d}",
                rng.choice(LAST_NAMES),
                rng.choice(FIRST_NAMES),
                rng.choice("MF"),
                born,
                level,
                f"{level} classe {i % 3 + 1}",
            )
        )
    return found


def rewritten(data: bytes, rng: random.Random) -> bytes:
    """The same archive as other software writes it: columns shuffled under other accepted
    names, an unauthorised column, other member names, cp1252 with CRLF (and a UTF-8 member
    with a byte-order mark)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for number, name in enumerate(source.namelist()):
            rows = list(csv.reader(io.StringIO(source.read(name).decode("utf-8")), delimiter=";"))
            order = list(range(len(rows[0])))
            rng.shuffle(order)
            names = OTHER_COLUMN[name]
            header = [names.get(rows[0][i], rows[0][i]) for i in order] + ["Téléphone"]
            body = [[row[i] for i in order] + ["02 99 00 00 00"] for row in rows[1:]]
            text = io.StringIO(newline="")
            csv.writer(text, delimiter=";", lineterminator="\r\n").writerows([header, *body])
            encoding = "utf-8-sig" if number == 0 else "cp1252"
            target.writestr(
                OTHER_MEMBER.get(name, name),
                text.getvalue().encode(encoding),
                zipfile.ZIP_DEFLATED,
            )
    return out.getvalue()


def check(data: bytes) -> ArchiveCheck:
    return check_archive(
        data, f"{UAI}.zip", limits=ArchiveLimits(), school_year_start=RENTREE, known_uais={UAI}
    )


def csv_only(data: bytes) -> int:
    """The baseline: every member decoded (UTF-8, or cp1252) and read by `csv` into lists."""
    rows = 0
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            raw = zf.read(name)
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = raw.decode("cp1252")
            rows += len(list(csv.reader(io.StringIO(text, newline=""), delimiter=";")))
    return rows


def clear_caches() -> None:
    """Every `lru_cache` of the checker's modules, so that each run starts cold, except the
    alias table: that is configuration, read once when the daemon starts
    (`ArchiveLimits.from_settings`)."""
    for module in (archive_module, coherence, layout):
        for value in vars(module).values():
            if isinstance(value, _lru_cache_wrapper) and value is not layout.load_aliases:
                value.cache_clear()


def peak_mb(data: bytes) -> float:
    clear_caches()
    tracemalloc.start()
    tracemalloc.reset_peak()
    result = check(data)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result.accepted and not result.findings, result.refusal
    return peak / (1024 * 1024)


def archives(rng: random.Random) -> list[tuple[str, bytes]]:
    made = []
    for size in SIZES:
        plain = archive(UAI, pupils(size, rng), RENTREE)
        made += [(f"{size} pupils", plain), (f"{size} pupils rewritten", rewritten(plain, rng))]
    for name, data in made:
        result = check(data)
        assert result.accepted and result.headcount, (name, result.refusal)
        assert not [f for f in result.findings if f.severity == "erreur"], (name, result.findings)
    return made


def main() -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--rounds", type=int, default=8)
    options.add_argument("--seed", type=int, default=44)
    args = options.parse_args()
    rng = random.Random(args.seed)
    inputs = archives(rng)
    pairs = alternate(
        lambda item: check(item[1]),
        lambda item: csv_only(item[1]),
        inputs,
        rounds=args.rounds,
        reset=clear_caches,
        clock=time.process_time,
    )
    small = peak_mb(archive(UAI, pupils(50, rng), RENTREE))
    large = peak_mb(archive(UAI, pupils(5000, rng), RENTREE))
    sizes = ", ".join(f"{s:,}" for s in SIZES)
    rows = [
        Row(
            "exports",
            f"check of {len(inputs)} archives ({sizes} pupils; as generated and rewritten: "
            "columns reordered and renamed, cp1252, CRLF), median per archive, caches cleared",
            f"{pairs.subject_median * 1000:.1f} ms CPU",
            f"{pairs.baseline_median * 1000:.1f} ms CPU (zipfile + decode + csv module)",
            pairs.ratio,
            f"≤ {TIME_TARGET:g}×",
            pairs.ratio <= TIME_TARGET,
            pairs.spread,
        ),
        Row(
            "exports",
            "peak memory checking 5,000 pupils (tracemalloc)",
            f"{large:.1f} MB",
            f"{small:.1f} MB (50 pupils)",
            large / small if small else None,
            f"within {MEMORY_TARGET_MB:g} MB",
            large - small <= MEMORY_TARGET_MB,
        ),
    ]
    emit(rows)
    print(load_average())
    return 0


if __name__ == "__main__":
    sys.exit(main())
