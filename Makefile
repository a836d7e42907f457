# Unico — the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export UNICO_VAR_DIR ?= var

.PHONY: run install test test-deps lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

## make run: install, migrate the embedded SQLite database, load the demo retailer if empty, serve.
run: install
	$(BIN)/unico migrate
	$(BIN)/unico demo --if-empty
	$(BIN)/unico serve

test-deps: $(VENV)/.test-installed
	scripts/system-packages.sh

## make lint: ruff, mypy and the layering contract.
lint: $(VENV)/.test-installed
	$(BIN)/ruff check src tests bench migrations
	$(BIN)/ruff format --check src tests bench migrations
	$(BIN)/mypy
	$(BIN)/lint-imports

## make test: everything, on SQLite and on a PostgreSQL started here on loopback.
test: test-deps lint
	UNICO_TEST_POSTGRES_URL=$$(scripts/postgres.sh start) UNICO_REQUIRE_POSTGRES=1 \
	  $(BIN)/pytest -n 2 --dist loadgroup -q $(PYTEST_ARGS)

## make bench: every benchmark, with a durable PostgreSQL started here.
bench: test-deps
	UNICO_BENCH_POSTGRES_URL=$$(scripts/postgres.sh start --durable) $(BIN)/python -m bench

clean:
	scripts/postgres.sh stop
	scripts/postgres.sh stop --durable
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
