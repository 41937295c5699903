"""Untrusted work (reading a dropped PDF, OCR) run in a worker process, within a budget.

A file from outside can be built to burn the CPU or the memory of whoever reads it (a 48 KB PDF
whose page is 16 MB of drawing operators). Such work runs here: never in a web request's
thread nor in the event loop, and never for longer or bigger than its budget.

API::

    from daemon.budget import Budget, OverBudget, run_budgeted

    budget = Budget(cpu_seconds=30, memory_mb=1024, wall_seconds=90, workers=2)
    try:
        result = run_budgeted(budget, parse_report, data, filename, labels=labels)
    except OverBudget as exc:
        exc.limit   # "cpu" | "memory" | "wall" | "crash"
        exc.reason  # one French sentence, for the quarantine: "lecture interrompue : …"

- `function` is called as `function(*args, **kwargs)` in a worker process. It must be importable
  by name (a module-level function), its arguments and its result picklable. An exception it
  raises is raised again in the caller, as is (`ReportRefused` stays `ReportRefused`).
- Limits, set with `resource.setrlimit` in the worker before each task: RLIMIT_AS at the worker's
  address space plus `memory_mb`, so an allocation past it fails with MemoryError (set around the
  task only: the modules the worker imports to unpickle it are not the task's); RLIMIT_CPU, at
  the CPU time the worker has used so far plus `cpu_seconds`: SIGXCPU then ends the task (a
  BaseException, so a reader's `except Exception` cannot swallow it) and the worker lives on.
  The kernel counts whole seconds: a task may run up to a second past `cpu_seconds`.
  `wall_seconds` counts from the task's start on a worker: past it (stuck in C code, waiting on
  something) the worker is killed and replaced.
- Workers are forked from a clean fork server (no thread, connection or file of the caller's),
  kept between tasks (no start-up cost per file), and replaced after `MAX_TASKS` tasks. One pool
  per `Budget` value in a process; at most `workers` tasks run at once, others wait their turn.
- `run_budgeted` blocks its calling thread until the task ends: from a coroutine, call it
  through `asyncio.to_thread` (the web's sync routes already run in a thread pool).
- `shutdown()` stops every pool (also done at interpreter exit).
"""

from __future__ import annotations

import math
import multiprocessing
import resource
import signal
import threading
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Literal, ParamSpec, TypeVar

from pebble import ProcessExpired, ProcessPool

P = ParamSpec("P")
T = TypeVar("T")
Limit = Literal["cpu", "memory", "wall", "crash"]
MAX_TASKS = 200  # a worker is replaced after this many tasks (whatever a reader leaks goes)


@dataclass(frozen=True)
class Budget:
    """What one task may spend; also the key of its pool."""

    cpu_seconds: float = 30.0
    memory_mb: int = 1024
    wall_seconds: float = 90.0
    workers: int = 2


class OverBudget(Exception):
    """The task ran out of its budget and was stopped; `reason` is one French sentence."""

    def __init__(self, limit: Limit, reason: str) -> None:
        super().__init__(reason)
        self.limit, self.reason = limit, reason


def run_budgeted(
    budget: Budget, function: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
) -> T:
    """`function(*args, **kwargs)` in a worker process within `budget` (see the module)."""
    future = _pool(budget, function).schedule(
        _run_task,
        args=(budget.cpu_seconds, budget.memory_mb, function, args, kwargs),
        timeout=budget.wall_seconds,
    )
    try:
        result: T = future.result()
    except _Spent as spent:
        raise OverBudget(spent.limit, _reason(spent.limit, budget)) from None
    except FutureTimeout:
        raise OverBudget("wall", _reason("wall", budget)) from None
    except ProcessExpired as expired:
        limit: Limit = "cpu" if expired.exitcode in (-signal.SIGXCPU, -signal.SIGKILL) else "crash"
        raise OverBudget(limit, _reason(limit, budget)) from None
    except BrokenProcessPool:  # every worker died at once: the next call starts a new pool
        with _lock:
            _pools.pop(budget, None)
        raise OverBudget("crash", _reason("crash", budget)) from None
    return result


def _reason(limit: Limit, budget: Budget) -> str:
    return {
        "cpu": f"lecture interrompue : plus de {_seconds(budget.cpu_seconds)} de calcul",
        "memory": f"lecture interrompue : plus de {budget.memory_mb} Mo de mémoire",
        "wall": f"lecture interrompue : plus de {_seconds(budget.wall_seconds)} de lecture",
        "crash": "lecture interrompue : le processus de lecture s'est arrêté",
    }[limit]


def _seconds(value: float) -> str:
    shown = f"{value:g}".replace(".", ",")
    return f"{shown} seconde" if value <= 1 else f"{shown} secondes"


# ---- the pools (in the caller's process) ----------------------------------------------------
_pools: dict[Budget, ProcessPool] = {}
_lock = threading.Lock()


def _pool(budget: Budget, function: Callable[..., Any]) -> ProcessPool:
    with _lock:
        pool = _pools.get(budget)
        if pool is None or not pool.active:
            context = multiprocessing.get_context("forkserver")
            # the server imports the reader once; each worker forked from it starts warm
            context.set_forkserver_preload([function.__module__])
            pool = ProcessPool(
                max_workers=budget.workers,
                max_tasks=MAX_TASKS,
                initializer=_start_worker,
                context=context,
            )
            _pools[budget] = pool
        return pool


def shutdown() -> None:
    """Stop every pool of this process (their workers end)."""
    with _lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.stop()  # type: ignore[no-untyped-call]
        pool.join()


# ---- in the worker ----------------------------------------------------------------------------
class _Spent(BaseException):
    """Raised in the worker when the task is over its CPU time or memory (pickled back)."""

    def __init__(self, limit: Limit) -> None:
        super().__init__(limit)
        self.limit: Limit = limit


_running = False


def _start_worker() -> None:
    signal.signal(signal.SIGXCPU, _on_cpu_limit)


def _address_space() -> int:
    """The worker's virtual memory now, in bytes (what RLIMIT_AS counts)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[0]) * resource.getpagesize()


def _on_cpu_limit(signum: int, frame: object) -> None:
    if _running:
        raise _Spent("cpu")


def _run_task(
    cpu_seconds: float,
    memory_mb: int,
    function: Callable[..., T],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> T:
    global _running
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (math.ceil(used + cpu_seconds), hard))
    _, hard_memory = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(
        resource.RLIMIT_AS, (_address_space() + memory_mb * 1024 * 1024, hard_memory)
    )
    _running = True
    try:
        return function(*args, **kwargs)
    except MemoryError:
        raise _Spent("memory") from None
    finally:
        _running = False
        resource.setrlimit(resource.RLIMIT_CPU, (hard, hard))
        resource.setrlimit(resource.RLIMIT_AS, (hard_memory, hard_memory))
