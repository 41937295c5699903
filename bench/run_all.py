"""`make bench`: run every benchmark and write one Markdown table into the README's
performance section (between the `bench:start` and `bench:end` markers)."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.report import load_average

REPO = Path(__file__).resolve().parents[1]
# Every benchmark script of bench/, except the shared helpers and the reliability suite.
# The reminder benchmarks run through bench/reminders.py, which runs both parts.
NOT_BENCHMARKS = {
    "__init__.py",
    "run_all.py",
    "report.py",
    "sink.py",
    "reliability.py",
    "reminders_sweep.py",
    "reminders_send.py",
}
SCRIPTS = tuple(
    sorted(
        p.name
        for p in (REPO / "bench").glob("*.py")
        if p.name not in NOT_BENCHMARKS and not p.name.startswith("_")
    )
)
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def run(script: str, out: Path) -> int:
    path = REPO / "bench" / script
    if not path.exists():
        print(f"== {script}: missing", flush=True)
        return 1
    print(f"== {script}", flush=True)
    env = {**os.environ, "RELANCE_BENCH_JSON": str(out), "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, str(path)], env=env, cwd=REPO, check=False).returncode


def table(rows: list[dict[str, object]]) -> str:
    lines = [
        "| benchmark | figure | value | baseline (same run) | ratio (median) | pairs min–max "
        "| target | result |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ratio = f"{r['ratio']:.2f}×" if isinstance(r["ratio"], int | float) else "—"
        lines.append(
            f"| {r['benchmark']} | {r['figure']} | {r['value']} | {r['baseline'] or '—'} | "
            f"{ratio} | {r.get('spread') or '—'} | {r['target']} | "
            f"{'met' if r['met'] else '**MISSED** in this run'} |"
        )
    return "\n".join(lines)


def main() -> int:
    load_before = load_average()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rows.jsonl"
        out.touch()
        failures = [s for s in SCRIPTS if run(s, out) != 0]
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    load = f"machine {load_before} at the start, {load_average()} at the end"
    text = (
        f"{START}\nMeasured by `make bench` on {dt.date.today():%Y-%m-%d} ({machine}; {load}). "
        "Each ratio with a pairs min–max is the median of pairs alternated with the baseline, "
        "caches cleared before each run; a ratio without one was not measured in pairs.\n\n"
        f"{table(rows)}\n"
        + (f"\nBenchmarks that failed to run: {', '.join(failures)}\n" if failures else "")
        + END
    )
    readme = REPO / "README.md"
    content = readme.read_text(encoding="utf-8")
    if START in content and END in content:
        before, rest = content.split(START, 1)
        content = before + text + rest.split(END, 1)[1]
    else:
        content += f"\n## Performance\n\n{text}\n"
    readme.write_text(content, encoding="utf-8")
    print(table(rows))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
