"""Benchmark of the command line's start: CPU time of `relance …` against `python -c pass`.

    PYTHONPATH=. .venv/bin/python bench/cli.py [--rounds 15]

Each command runs as a new process, as a person runs it, against a demo-sized installation (the
264 schools of the demo's annuaire with a follow-up each, in a temporary folder); its baseline
is the bare interpreter (`python -c pass`), measured in alternated pairs in the same run
(`bench.report.alternate`). The figure is the CPU time (user + system) the process used, from
`getrusage(RUSAGE_CHILDREN)`: what a command costs before and while doing its work, whatever
else the machine does. Targets: `--version` and `--help` under 0.3 s, `school show UAI` and
`schools list` under 0.8 s. The value is the median, with the least and the most in brackets.
As on an installed machine, Python keeps the compiled modules (`PYTHONDONTWRITEBYTECODE` is
dropped for the runs; the preparing runs compile them). Exits 0 even when a target is missed,
printing MISSED.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.report import Row, alternate, emit

REPO = Path(__file__).resolve().parents[1]
UAI = "0351059L"
# (figure, arguments, target in seconds)
COMMANDS: tuple[tuple[str, tuple[str, ...], float], ...] = (
    ("relance --version", ("--version",), 0.3),
    ("relance --help", ("--help",), 0.3),
    ("relance school show UAI (264 schools)", ("school", "show", UAI), 0.8),
    ("relance schools list (264 schools)", ("schools", "list"), 0.8),
)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def relance() -> list[str]:
    """The console script of this checkout's environment (what `make install` made)."""
    script = Path(sys.executable).with_name("relance")
    return [str(script)] if script.exists() else [sys.executable, "-m", "daemon"]


def prepare(folder: Path) -> dict[str, str]:
    """A state folder holding the demo's private schools, their follow-ups, migrated."""
    env = {**os.environ, "RELANCE_CONFIG": "", "RELANCE_STATE_DIR": str(folder)}
    env.pop("RELANCE_DATABASE_URL", None)
    env.pop("RELANCE_BENCH_JSON", None)  # the runner's, not a setting: relance refuses it
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: compiled modules are kept
    annuaire = REPO / "daemon" / "data" / "demo" / "annuaire-035-2023.csv"
    subprocess.run(
        [*relance(), "schools", "import", str(annuaire), "--statut", "prive"],
        env=env,
        check=True,
        capture_output=True,
    )
    subprocess.run([*relance(), "schools", "list"], env=env, check=True, capture_output=True)
    return env


def measure(env: dict[str, str], rounds: int) -> list[Row]:
    rows = []
    command = relance()
    baseline = [sys.executable, "-c", "pass"]

    def run(arguments: list[str]) -> None:
        subprocess.run(arguments, env=env, check=False, stdout=subprocess.DEVNULL)

    for figure, arguments, target in COMMANDS:
        pairs = alternate(
            lambda _item, a=arguments: run([*command, *a]),
            lambda _item: run(baseline),
            [None],
            rounds=rounds,
            clock=children_cpu,
        )
        value = pairs.subject_median
        rows.append(
            Row(
                benchmark="cli",
                figure=f"CPU time of `{figure}`",
                value=f"{value:.2f} s ({min(pairs.subject):.2f}–{max(pairs.subject):.2f})",
                baseline=f"{pairs.baseline_median:.2f} s (python -c pass)",
                ratio=pairs.ratio,
                target=f"< {target} s",
                met=value < target,
                spread=pairs.spread,
            )
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = prepare(Path(tmp))
        emit(measure(env, args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
