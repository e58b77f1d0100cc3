# Nightingale: the two commands.
#   make demo   create .venv, install, run the platform's main job end to end
#   make test   install, then lint, type-check and run the whole test suite
#   make bench  run every benchmark script (figures, not pass/fail)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
NPM_STAMP := deploy/local/node_modules/.installed-stamp

.PHONY: demo test lint typecheck pytest bench clean install proxy

install: $(STAMP) $(NPM_STAMP)

# configurable-http-proxy for the one-machine hub, pinned in deploy/local/package.json.
proxy: $(NPM_STAMP)

$(NPM_STAMP): deploy/local/package.json deploy/local/package-lock.json
	cd deploy/local && npm ci --no-audit --no-fund --loglevel=error
	@touch $(NPM_STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,spark]"
	@touch $(STAMP)

demo: $(STAMP) $(NPM_STAMP)
	$(BIN)/nightingale demo $(if $(NO_SERVE),--no-serve,)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# One worker per core; whole modules go to one worker (module-scoped hubs, worlds and Spark
# sessions are paid once), longest modules first (tests/conftest.py orders them). Not
# --dist loadgroup: with xdist 3.8 and pytest 9 it ignored xdist_group marks (xdist #1386).
# Serially: $(BIN)/python -m pytest -p no:xdist (or -n 0).
PYTEST_WORKERS ?= auto
pytest: $(STAMP) $(NPM_STAMP)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=15

test: $(NPM_STAMP) lint typecheck pytest

bench: $(STAMP)
	@for script in benchmarks/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
