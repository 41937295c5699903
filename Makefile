# relance — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
RUN_STAMP := $(VENV)/.installed-run-stamp
DEMO   ?= demo
PORT   ?= 8000

.PHONY: install run test check lint typecheck unit quick bench reliability clean locale screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstalls only when pyproject.toml changed: `make test` is quick the second time.
# `make run` needs only the runtime packages (half the download of the test tools).
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP) $(RUN_STAMP)

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $(RUN_STAMP)

install: $(STAMP)

# Click's messages in French: the catalog is the .po, the .mo is compiled from it (both committed).
locale: install
	$(BIN)/python -c 'from daemon.cli.french import write_compiled; print(write_compiled())'

lint: install
	$(BIN)/ruff check daemon db tests bench
	$(BIN)/ruff format --check daemon db tests bench

typecheck: install
	$(BIN)/mypy daemon db

# Two processes: on SQLite each test has its own database file, on PostgreSQL (CI's second pass)
# each worker its own database on the server (tests/conftest.py). The demo's tests are marked
# `xdist_group("demo")` to share one worker (built once per worker that runs them: see
# tests/demo_helpers.py; with xdist 3.8 they were still seen on both workers).
XDIST := -n 2 --dist loadgroup

# Compiled modules are kept (in the venv, off the work tree) even where the environment says
# PYTHONDONTWRITEBYTECODE: each test process and each `relance` subprocess a test starts would
# otherwise compile the whole program again (about 2 s of CPU each).
unexport PYTHONDONTWRITEBYTECODE
export PYTHONPYCACHEPREFIX ?= $(abspath $(VENV))/pycache

unit: install
	$(BIN)/pytest -q $(XDIST) $(PYTEST_ARGS)

test: lint typecheck unit

# The quick loop while working: lint, types, and the tests without the browser and the slow ones
# (demo builds, campaign simulations, fuzzing), which `make test` and CI run.
check: lint typecheck quick

quick: install
	$(BIN)/pytest -q $(XDIST) -m "not browser and not slow" $(PYTEST_ARGS)

run: $(RUN_STAMP)
	$(BIN)/relance demo --dir $(DEMO) --port $(PORT)

# The README's screenshots, of the demo at a fixed moment (Debian's chromium, through Playwright).
screenshots: install
	PYTHONPATH=. $(BIN)/python docs/screenshots.py

bench: install
	$(BIN)/python -m bench.run_all

reliability: install
	$(BIN)/python -m bench.reliability

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
