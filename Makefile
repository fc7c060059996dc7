# Dialback: `make demo` runs the product on SQLite + the simulated telephone
# network; `make test` runs lint, types and the tests. Both set up what they need.
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: setup demo test lint types pytest clean

setup:
	@bash scripts/setup.sh

demo: setup
	$(BIN)/dialback demo --host $(HOST) --port $(PORT)

lint: setup
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

types: setup
	$(BIN)/mypy

pytest: setup
	$(BIN)/pytest -q

test: lint types pytest

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
