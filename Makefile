# Jieban: `make run` serves the demo, `make test` runs every check. Both set everything up.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/jieban
PYTEST_WORKERS ?= 2

.PHONY: install run test lint types unit unit-sqlite unit-postgres browser bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/jieban migrate --noinput
	$(BIN)/jieban demo --if-empty
	$(BIN)/jieban serve

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts/vendor-assets
	$(BIN)/ruff format --check src tests bench scripts/vendor-assets

types: $(STAMP)
	$(BIN)/mypy

unit-sqlite: $(STAMP)
	env -u DATABASE_URL $(BIN)/pytest -q -n $(PYTEST_WORKERS) -m "not browser"

unit-postgres: $(STAMP)
	scripts/test-services postgres
	DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -q -n $(PYTEST_WORKERS) -m "not browser"

browser: $(STAMP)
	scripts/test-services chromium
	env -u DATABASE_URL $(BIN)/pytest -q -n $(PYTEST_WORKERS) -m browser

test: lint types unit-sqlite unit-postgres browser

bench: $(STAMP)
	scripts/test-services wrk
	$(BIN)/python bench/intake.py

clean:
	rm -rf $(VENV) var test-artifacts
