# The two commands: `make run` and `make test`. Everything else is what they stand on.
# The newest Python 3.11+ that actually runs here (a version manager's shim may exist but not run).
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test install lint types unit bench clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Toshav needs Python 3.11 or newer; none was found on PATH." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

run: install
	@mkdir -p var
	$(BIN)/toshav db upgrade
	$(BIN)/toshav demo load
	$(BIN)/toshav demo logins
	$(BIN)/toshav serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: install
	$(BIN)/mypy .

# The tests with a database of their own one at a time, then the rest on two CPUs (tests/conftest.py).
unit: install
	$(BIN)/pytest -m own_database
	$(BIN)/pytest -m "not own_database" -n 2

test: lint types unit

bench: install
	$(BIN)/python bench/ledger.py
	$(BIN)/python bench/credentials.py
	$(BIN)/python bench/inspections.py
	$(BIN)/python bench/cashback.py
	$(BIN)/python bench/startup.py

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache .hypothesis
