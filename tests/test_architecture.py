"""The arrows between rooms (docs/architecture.md): nothing below imports from above.

Every `import` in `daemon/` and `db/` is read from the source (those under `if TYPE_CHECKING:`
included: a type that needs a room above is an arrow the wrong way too)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Rooms from the bottom up. A module may import from its own room and from any room listed
# before it; never from a room after it.
ROOMS = [
    ("db", ["db"]),
    (
        "ground",
        [
            "daemon",
            "daemon.codes",
            "daemon.clock",
            "daemon.logs",
            "daemon.wording",
            "daemon.budget",
            "daemon.config",
        ],
    ),
    ("app", ["daemon.app"]),
    ("readers", ["daemon.ingest", "daemon.ingest.reports", "daemon.ingest.exports"]),
    ("school", ["daemon.school"]),
    ("intake", ["daemon.ingest.intake"]),
    ("reminders", ["daemon.reminders"]),
    ("delivery", ["daemon.delivery"]),
    ("mailbox", ["daemon.mailbox"]),
    ("demo", ["daemon.demo"]),
    ("web", ["daemon.web"]),
    ("runtime", ["daemon.runtime"]),
    ("cli", ["daemon.cli", "daemon.__main__"]),
]


def room_of(module: str) -> int:
    """The index of the most specific room holding `module`."""
    best, best_len = -1, -1
    for index, (_name, prefixes) in enumerate(ROOMS):
        for prefix in prefixes:
            exact_only = prefix == "daemon"  # the package's own __init__, not all of daemon.*
            matches = module == prefix or (not exact_only and module.startswith(prefix + "."))
            if matches and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    if best < 0:
        raise AssertionError(f"{module} is in no room: add it to ROOMS and docs/architecture.md")
    return best


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            # `from daemon.school import actions`: the module imported is daemon.school.actions
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return [(line, name) for line, name in found if name.split(".")[0] in {"daemon", "db"}]


SOURCES = sorted(p for folder in ("daemon", "db") for p in (REPO / folder).rglob("*.py"))


def test_every_module_is_in_a_room() -> None:
    for path in SOURCES:
        room_of(module_name(path))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(REPO)))
def test_imports_run_one_way(path: Path) -> None:
    here = module_name(path)
    mine = room_of(here)
    wrong = []
    for line, target in imports_of(path):
        if not _is_module(target):
            continue  # a name inside a module (`from daemon.codes import fold`)
        theirs = room_of(target)
        if theirs > mine:
            wrong.append(f"{path.name}:{line} imports {target} ({ROOMS[theirs][0]} is above)")
    assert not wrong, f"{here} ({ROOMS[mine][0]}) imports from above:\n" + "\n".join(wrong)


def _is_module(name: str) -> bool:
    base = REPO.joinpath(*name.split("."))
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def test_the_checker_sees_a_wrong_arrow(tmp_path: Path) -> None:
    """The rule itself: db importing the school, or delivery importing the runtime, is caught."""
    assert room_of("daemon.school.stage") > room_of("db.states")
    assert room_of("daemon.runtime.lifecycle") > room_of("daemon.delivery.sender")
    assert room_of("daemon.app") < room_of("daemon.runtime.lifecycle")
    assert room_of("daemon") < room_of("daemon.app")  # the package's __init__ is ground
    assert room_of("daemon.delivery.outbox") < room_of("daemon.mailbox.process")
    assert room_of("daemon.mailbox.poller") < room_of("daemon.runtime.parts")


# The habits (issue 18): no function radon ranks D or worse, at most a handful over 50 lines.
LONG_FUNCTION_LINES = 50
LONG_FUNCTIONS_ALLOWED = 5


def _sources() -> list[Path]:
    return sorted([*(REPO / "daemon").rglob("*.py"), *(REPO / "db").rglob("*.py")])


def long_functions(source: str, name: str) -> list[str]:
    """Functions (methods and nested ones included) longer than LONG_FUNCTION_LINES lines."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > LONG_FUNCTION_LINES:
                found.append(f"{name}:{node.lineno} {node.name} ({length} lines)")
    return found


def complex_functions(source: str, name: str) -> list[str]:
    """Blocks radon ranks D or worse (cyclomatic complexity above 20)."""
    from radon.complexity import cc_rank, cc_visit

    return [
        f"{name}:{block.lineno} {block.name} ({cc_rank(block.complexity)} {block.complexity})"
        for block in cc_visit(source)
        if cc_rank(block.complexity) >= "D"
    ]


def test_no_function_is_ranked_d_or_worse() -> None:
    found = [
        hit
        for path in _sources()
        for hit in complex_functions(path.read_text(encoding="utf-8"), str(path.relative_to(REPO)))
    ]
    assert found == []


def test_few_functions_run_over_fifty_lines() -> None:
    found = [
        hit
        for path in _sources()
        for hit in long_functions(path.read_text(encoding="utf-8"), str(path.relative_to(REPO)))
    ]
    assert len(found) <= LONG_FUNCTIONS_ALLOWED, "\n".join(found)


def test_the_habit_checks_see_a_long_and_a_branchy_function() -> None:
    branches = "\n".join(f"    if x == {n}:\n        return {n}" for n in range(25))
    branchy = f"def branchy(x):\n{branches}\n    return -1\n"
    assert complex_functions(branchy, "m.py") == ["m.py:1 branchy (D 26)"]
    assert long_functions(branchy, "m.py") == ["m.py:1 branchy (52 lines)"]
    assert long_functions("def short():\n    return 1\n", "m.py") == []
