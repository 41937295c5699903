"""`bench/reminders.py`: the reminder issue's two benchmarks, in one run.

    PYTHONPATH=. .venv/bin/python bench/reminders.py [sweep|send ...]

- sweep (`bench/reminders_sweep.py`): with 45,000 schools on the first reminder day, the whole
  sweep (decide, compose, render, write) in ≤ 30 s of CPU and ≤ 2 × the necessary work (one
  select of the due rows, the same renders, one bulk insert), alternated;
- send (`bench/reminders_send.py`): 5,000 mails to an aiosmtpd sink on loopback at ≥ 80 % of
  the throughput of a bare aiosmtplib loop with the same concurrency.

Each part can also run alone, with its own options (`bench/reminders_sweep.py --help`).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PARTS = {"sweep": "reminders_sweep.py", "send": "reminders_send.py"}


def main(argv: list[str]) -> int:
    parts = argv or list(PARTS)
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        print(f"unknown part(s): {', '.join(unknown)} (choose among {', '.join(PARTS)})")
        return 2
    here = Path(__file__).resolve().parent
    codes = [
        subprocess.run([sys.executable, str(here / PARTS[p])], check=False).returncode
        for p in parts
    ]
    return max(codes)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
