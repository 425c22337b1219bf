# make run  — set up, migrate the SQLite database, load the demo Bündnis, start the server
# make test — set up and run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test lint chat messages clean bench

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/wegweiser db upgrade
	$(BIN)/wegweiser demo load
	$(BIN)/wegweiser serve

chat: setup
	$(BIN)/wegweiser db upgrade
	$(BIN)/wegweiser chat

test: setup
	$(BIN)/pytest

bench: setup
	$(BIN)/python bench/telegram_throughput.py

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis test-artifacts
