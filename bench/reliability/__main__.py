"""`python -m bench.reliability [--only NAME]… [--keep]`: run the scenarios, print one line
`N passed, M failed` each with what was measured, exit 1 if any check failed.

PostgreSQL scenarios need RELANCE_TEST_DATABASE_URL (two daemons) or the PostgreSQL server
programs (restart, on a private throw-away server); without them they are reported as skipped.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
import traceback
from pathlib import Path

from bench.reliability.harness import Outcome, Skip, Workspace
from bench.reliability.scenarios import SCENARIOS


def run_one(name: str, root: Path) -> Outcome:
    out = Outcome(name)
    started = time.monotonic()
    with Workspace(root / name) as ws:
        try:
            SCENARIOS[name](ws, out)
        except Skip as skip:
            out.skipped = str(skip)
        except Exception as exc:
            out.check(
                "scenario runs to the end",
                False,
                f"{type(exc).__name__}: {str(exc).splitlines()[0]}",
            )
            traceback.print_exc()
            for proc in ws.procs:
                print(f"--- last lines of {proc.log}:\n{proc.tail(8)}", flush=True)
    out.seconds = time.monotonic() - started
    return out


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reliability", description=__doc__)
    parser.add_argument("--only", action="append", choices=list(SCENARIOS), help="repeatable")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="relance-reliability-"))
    print(f"reliability suite; work folder {root}", flush=True)
    outcomes = []
    for name in args.only or list(SCENARIOS):
        print(f"== {name}", flush=True)
        outcome = run_one(name, root)
        print(outcome.report(), flush=True)
        outcomes.append(outcome)
    failed = [o.name for o in outcomes if o.failed]
    skipped = [o.name for o in outcomes if o.skipped]
    passed = sum(o.passed for o in outcomes)
    print(
        f"reliability: {len(outcomes)} scenarios, {passed} checks passed, "
        f"{sum(o.failed for o in outcomes)} failed"
        + (f" (failing: {', '.join(failed)})" if failed else "")
        + (f"; skipped: {', '.join(skipped)}" if skipped else ""),
        flush=True,
    )
    if failed or args.keep:
        print(f"work folder kept: {root}")
    else:
        shutil.rmtree(root, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
