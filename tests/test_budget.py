"""Untrusted work in a worker process within a budget: CPU time, memory, wall clock."""

from __future__ import annotations

import os
import time

import pytest

from daemon.budget import Budget, OverBudget, run_budgeted

# Small, distinct budgets: each is its own pool (a pool per Budget value).
CPU = Budget(cpu_seconds=1, memory_mb=1024, wall_seconds=30, workers=1)
MEMORY = Budget(cpu_seconds=20, memory_mb=400, wall_seconds=30, workers=1)
WALL = Budget(cpu_seconds=20, memory_mb=1024, wall_seconds=1, workers=1)


# ---- what the workers run (module level: imported by name in the worker) ------------------
def spin(seconds: float) -> int:
    """Burn the CPU; a reader's broad `except Exception` does not stop the budget."""
    started = time.process_time()
    turns = 0
    while time.process_time() - started < seconds:
        try:
            turns += 1
        except Exception:  # what a careless reader does
            continue
    return turns


def grab(megabytes: int) -> int:
    return len(bytearray(megabytes * 1024 * 1024))


def wait(seconds: float) -> str:
    time.sleep(seconds)
    return "réveillé"


def refuse(reason: str) -> None:
    raise ValueError(reason)


def pid() -> int:
    return os.getpid()


# ---- tests -------------------------------------------------------------------------------------
def test_work_within_budget_returns_its_result_from_another_process() -> None:
    assert run_budgeted(CPU, grab, 10) == 10 * 1024 * 1024
    assert run_budgeted(CPU, pid) != os.getpid()


def test_the_functions_own_exception_comes_back_as_is() -> None:
    with pytest.raises(ValueError, match="fichier illisible"):
        run_budgeted(CPU, refuse, "fichier illisible")


@pytest.mark.slow
def test_cpu_time_past_the_budget_stops_the_task_and_the_worker_goes_on() -> None:
    worker = run_budgeted(CPU, pid)
    started = time.monotonic()
    with pytest.raises(OverBudget) as caught:
        run_budgeted(CPU, spin, 60)
    assert caught.value.limit == "cpu"
    assert caught.value.reason == "lecture interrompue : plus de 1 seconde de calcul"
    assert time.monotonic() - started < 20  # not the 60 s asked for
    assert run_budgeted(CPU, pid) == worker  # the same worker, still serving


def test_memory_past_the_budget_stops_the_task() -> None:
    with pytest.raises(OverBudget) as caught:
        run_budgeted(MEMORY, grab, 2048)
    assert caught.value.limit == "memory"
    assert "400 Mo de mémoire" in caught.value.reason
    assert run_budgeted(MEMORY, grab, 10) == 10 * 1024 * 1024


def test_wall_clock_past_the_budget_kills_the_worker_and_another_takes_over() -> None:
    first = run_budgeted(WALL, pid)
    started = time.monotonic()
    with pytest.raises(OverBudget) as caught:
        run_budgeted(WALL, wait, 30)
    assert caught.value.limit == "wall"
    assert time.monotonic() - started < 10
    assert run_budgeted(WALL, wait, 0) == "réveillé"
    assert run_budgeted(WALL, pid) != first


def test_the_memory_budget_is_the_tasks_not_the_imports_it_needs() -> None:
    """The fork server runs already (started for another reader), so the worker imports the
    task's module itself: that import is not the task and is not cut by its memory budget."""
    import importlib

    run_budgeted(CPU, os.getpid)  # the fork server is up, without the heavy module
    heavy = importlib.import_module("tests.budget_heavy")
    small = Budget(cpu_seconds=20, memory_mb=200, wall_seconds=30, workers=1)
    assert run_budgeted(small, heavy.light) == "lu"
    with pytest.raises(OverBudget) as caught:
        run_budgeted(small, grab, 400)
    assert caught.value.limit == "memory"
