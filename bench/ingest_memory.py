"""Benchmark of `relance ingest`'s memory: the peak resident memory of one call given 2,000
comptes rendus against the same call given 100, in the same run.

    PYTHONPATH=. .venv/bin/python bench/ingest_memory.py [--few 100] [--many 2000]

Each call is a new process (`relance ingest FOLDER`, as a person runs it) on a fresh SQLite
installation knowing one school per file; the figure is its peak resident memory
(`ru_maxrss` from `os.wait4`, the largest of the process and of the reader processes it
waited for). The files vary: most are comptes rendus copied as text (the demo's generator),
one in ten a PDF laid out by reportlab (`bench.ingest.make_cr`, 5 to 60 rows) and one in
twenty an export archive of 400 pupils. Target: the 2,000-file call peaks within 30 MB of the
100-file one. Exits 0 even when missed, printing MISSED.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.exports import RENTREE, pupils
from bench.ingest import make_cr, uai_for
from bench.report import Row, emit, load_average
from daemon.app import App
from daemon.config import Settings
from daemon.demo.generate import archive, compte_rendu, make_pupils
from db.engine import transaction
from db.schools import add_school

TARGET_MB = 30.0


def one_file(n: int, rng: random.Random) -> tuple[str, bytes]:
    uai = uai_for(n)
    if n % 20 == 19:
        return f"{uai}.zip", archive(uai, pupils(400, rng), RENTREE)
    if n % 10 == 9:
        return f"cr-{n:05d}.pdf", make_cr(rng, rng.randint(5, 60), uai)
    roll = make_pupils(uai, {"CP": rng.randint(5, 25), "CE1": rng.randint(5, 25)}, rng, 2026)
    text = compte_rendu(
        uai,
        f"École {n}",
        roll,
        submitted=dt.datetime(2026, 9, 14, 17, 42),
        processed=dt.datetime(2026, 9, 15, 3, 10),
        errors=rng.randint(0, 8),
        pending=rng.randint(0, 3),
        rng=rng,
    )
    return f"cr-{n:05d}.txt", text.encode()


def peak_rss(count: int, root: Path, seed: int) -> tuple[float, float]:
    """Peak resident memory (MB) and wall time of `relance ingest` given `count` files."""
    state = root / "state"
    app = App(Settings.model_validate({"state_dir": str(state)}))
    now = app.now()
    with transaction(app.engine) as session:
        for n in range(count):
            add_school(session, now=now, uai=uai_for(n), actor="bench", name=f"École {n}")
        app.campaign(session, now)
    app.close()
    folder = root / "depot"
    folder.mkdir()
    rng = random.Random(seed)
    for n in range(count):
        name, data = one_file(n, rng)
        (folder / name).write_bytes(data)
    env = {**os.environ, "RELANCE_STATE_DIR": str(state), "RELANCE_CONFIG": ""}
    env.pop("RELANCE_DATABASE_URL", None)
    env.pop("RELANCE_BENCH_JSON", None)  # the runner's, not a setting: relance refuses it
    relance = Path(sys.executable).with_name("relance")
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(relance), "ingest", str(folder)], env=env, stdout=subprocess.DEVNULL
    )
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in (0, 3):
        raise SystemExit(f"relance ingest failed ({status})")
    return usage.ru_maxrss / 1024, elapsed


def main() -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--few", type=int, default=100)
    options.add_argument("--many", type=int, default=2000)
    options.add_argument("--seed", type=int, default=44)
    args = options.parse_args()
    measured = {}
    for count in (args.few, args.many):
        with tempfile.TemporaryDirectory() as tmp:
            measured[count] = peak_rss(count, Path(tmp), args.seed)
    (few, few_time), (many, many_time) = measured[args.few], measured[args.many]
    growth = many - few
    emit(
        [
            Row(
                "ingest_memory",
                f"peak resident memory of `relance ingest` given {args.many:,} files "
                f"(text and PDF comptes rendus, archives; {many_time:.0f} s)",
                f"{many:.1f} MB (+{growth:.1f} MB, {growth * 1024 / (args.many - args.few):.1f} "
                "kB a file)",
                f"{few:.1f} MB ({args.few} files, {few_time:.0f} s)",
                many / few,
                f"within {TARGET_MB:g} MB of {args.few} files",
                growth <= TARGET_MB,
            )
        ]
    )
    print(load_average())
    return 0


if __name__ == "__main__":
    sys.exit(main())
