"""`make reliability`: the daemon under faults, with real processes.

Each scenario starts `relance serve` (and an SMTP sink, a lock holder, a PostgreSQL server…) as
separate processes, breaks something on purpose, and counts what came out the other end. Each
prints one line `N passed, M failed`, then what it measured. See `python -m bench.reliability -h`.
"""
