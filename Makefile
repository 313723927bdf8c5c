# Honua: the two commands of the quick start.
#   make run   - set up and serve on the embedded default (SQLite, local workers) with demo data
#   make test  - set up and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

run: $(BIN)/python
	$(BIN)/pip install --quiet -e .
	$(BIN)/honua serve --demo

# scripts/services.py installs (as root) and starts what the tests talk to -- PostgreSQL
# with PostGIS, Node.js -- or stops with one line saying what to install; it writes the
# variables the tests need to find a throwaway server to .honua-test.env.
test: $(BIN)/python
	$(PYTHON) scripts/services.py --env .honua-test.env
	$(BIN)/pip install --quiet -e ".[test]"
	npm ci --prefix tests/clients/arcgis-js --no-audit --no-fund --loglevel=error
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/lint-imports
	$(BIN)/mypy
	set -a && . ./.honua-test.env && set +a && $(BIN)/pytest

lint: $(BIN)/python
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	$(BIN)/python bench/foundation.py

clean:
	rm -rf $(VENV) .honua .pytest_cache .honua-test .honua-test.env
