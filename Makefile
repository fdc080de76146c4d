# Townhall: `make run` serves, `make test` checks everything. Both build .venv first.
# Every install comes from uv.lock (exact versions and hashes), through a pinned uv kept in
# .tools/; `make lock` refreshes the lock, `make test-latest` tries the newest releases.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
UV_VERSION := 0.13.10
UV     := .tools/bin/uv
# uv installs into $(VENV) with the interpreter given here; it never downloads a Python.
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)
# Compile .pyc at install (as pip does): with PYTHONDONTWRITEBYTECODE set, as on CI, every
# worker process would otherwise compile every module it imports, each time it starts.
export UV_COMPILE_BYTECODE := 1

.PHONY: run test lint typecheck unit bench clean lock test-latest

$(UV):
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Townhall needs Python 3.11 or newer"'
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet uv==$(UV_VERSION)

# --locked: refuse to run when pyproject.toml and uv.lock disagree (run `make lock`).
$(VENV)/.run-installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --inexact --quiet
	touch $@

$(VENV)/.dev-installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --extra dev --quiet
	touch $@ $(VENV)/.run-installed

# Refresh the lock to the newest releases pyproject.toml admits (commit uv.lock after
# `make test` passes with it).
lock: | $(UV)
	$(UV) lock --upgrade

run: $(VENV)/.run-installed
	$(BIN)/townhall serve

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy
	$(BIN)/lint-imports

# Unit, integration (real Redis and PostgreSQL) and browser tests, then coverage:
# facilitation/ must stay at 100 % line and branch coverage.
# The tests mostly wait (worker processes starting, browsers, timers), so they run in
# PYTEST_WORKERS parallel processes (pytest-xdist), each file whole in one of them (its
# module fixtures are made once), the files with slow tests handed out first (the order
# tests/conftest.py gives; --no-loadscope-reorder keeps it). Every process isolates
# itself like a separate run.
PYTEST_WORKERS ?= 2
unit: $(VENV)/.dev-installed
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder --cov --cov-report=term
	$(BIN)/coverage report --include='facilitation/*' --fail-under=100

test: lint typecheck unit

# The whole suite against the newest release of every dependency (uvicorn included,
# past the minor version pyproject admits), in .venv-latest; the lock is not touched.
# Run it before `make lock`, and monthly: drift shows on purpose, not in CI.
LATEST := .venv-latest
test-latest: | $(UV)
	rm -rf $(LATEST)
	$(UV) venv --quiet $(LATEST)
	echo 'uvicorn[standard]>=0.54' > $(LATEST)/overrides.txt
	$(UV) pip install --quiet --python $(LATEST)/bin/python --upgrade \
		--override $(LATEST)/overrides.txt -e '.[dev]'
	touch $(LATEST)/.dev-installed $(LATEST)/.run-installed
	$(MAKE) lint typecheck unit VENV=$(LATEST)

bench: $(VENV)/.dev-installed
	$(BIN)/python bench/run.py --quick

clean:
	rm -rf $(VENV) .tools .venv-latest .mypy_cache .ruff_cache .pytest_cache .coverage
