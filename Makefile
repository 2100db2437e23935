# The two commands: `make run` and `make test`. Everything else is what they stand on.
# The newest Python 3.11+ that actually runs here (a version manager's shim may exist but not run).
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# uv installs from uv.lock, the lockfile: every package at its locked version, checked against the
# lockfile's hashes. uv itself comes into the venv from PyPI at this version.
UV_VERSION := 0.13.9
UV := $(BIN)/uv
UV_STAMP := $(VENV)/.uv-$(UV_VERSION)
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS := never
# `make run PORT=8080` serves there; the pages' public address follows unless TOSHAV_PUBLIC_URL is set.
PORT ?= 8000
RUN_ENV := TOSHAV_PUBLIC_URL="$${TOSHAV_PUBLIC_URL:-http://127.0.0.1:$(PORT)}"

.PHONY: run test install lock lint types unit bench clean vendor

$(UV_STAMP):
	@test -n "$(PYTHON)" || { echo "Toshav needs Python 3.11 or newer; none was found on PATH." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet 'uv==$(UV_VERSION)'
	@touch $(UV_STAMP)

# --locked: a uv.lock that no longer matches pyproject.toml is an error (run `make lock`), never
# re-resolved on the way. --inexact keeps the venv's own pip and uv. The project itself is
# installed editable; its dependencies come from the lockfile only. An editable install maps each
# top-level package it found, so a new package (a new domain) installs the project again.
$(STAMP): pyproject.toml uv.lock $(UV_STAMP) $(wildcard */__init__.py)
	$(UV) sync --locked --inexact --extra test --python $(BIN)/python --reinstall-package toshav
	@touch $(STAMP)

install: $(STAMP)

# The newest releases pyproject.toml allows, written to uv.lock; `make install` then follows it.
lock: $(UV_STAMP)
	$(UV) lock --upgrade --python $(BIN)/python

run: install
	@mkdir -p var
	$(BIN)/toshav db upgrade
	$(BIN)/toshav demo load
	$(RUN_ENV) $(BIN)/toshav demo logins
	@# The worker runs the periodic jobs beside the server, and stops when the server stops.
	$(RUN_ENV) $(BIN)/toshav worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(RUN_ENV) $(BIN)/toshav serve --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: install
	$(BIN)/mypy .

# The races and commands with a database of their own one at a time, then the rest (the browser
# tests among them) on two CPUs, each file's tests together in one process (tests/conftest.py).
# Each stage names its slowest tests at the end: CI has a time bound.
unit: install
	$(BIN)/pytest -m "own_database and not browser" --durations=10
	$(BIN)/pytest -m "not own_database or browser" -n 2 --dist loadfile --durations=20

test: lint types unit

bench: install
	$(BIN)/python bench/ledger.py
	$(BIN)/python bench/credentials.py
	$(BIN)/python bench/inspections.py
	$(BIN)/python bench/cashback.py
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/load.py

# The QR decoder the scanner and the till run where the browser has no QR reader of its own: zxing-wasm
# from the npm registry at this exact version (its reader build only), with its licence and that of
# zxing-cpp, which its WebAssembly is built from (the Apache-2.0 text, from the zxing-cpp wheel the
# tests install). Served by the app; `make vendor` fetches it and Chart.js again after a version changes.
ZXING_WASM_VERSION := 3.1.6
ZXING_WASM_DIR := toshav/web/static/vendor/zxing_wasm
# The dashboard's charts: Chart.js from the npm registry at this exact version, its one-file build
# (which bundles @kurkle/color, MIT too) and its licence, served by the app under /static/vendor.
CHART_JS_VERSION := 4.6.1
CHART_JS_DIR := figures/web/static/vendor/chart_js
vendor: install
	@command -v npm >/dev/null || { echo "make vendor needs npm (the npm registry's client)" >&2; exit 1; }
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	(cd "$$tmp" && npm pack --silent zxing-wasm@$(ZXING_WASM_VERSION) >/dev/null && tar xzf zxing-wasm-$(ZXING_WASM_VERSION).tgz) && \
	rm -rf $(ZXING_WASM_DIR)/es $(ZXING_WASM_DIR)/reader && \
	mkdir -p $(ZXING_WASM_DIR)/es/reader $(ZXING_WASM_DIR)/reader && \
	cp "$$tmp/package/dist/es/reader/index.js" $(ZXING_WASM_DIR)/es/reader/ && \
	cp "$$tmp/package/dist/es/share.js" $(ZXING_WASM_DIR)/es/ && \
	cp "$$tmp/package/dist/reader/zxing_reader.wasm" $(ZXING_WASM_DIR)/reader/ && \
	cp "$$tmp/package/LICENSE" $(ZXING_WASM_DIR)/LICENSE && \
	cp "$$($(BIN)/python -c 'import importlib.metadata as m; print(next(f.locate() for f in m.files("zxing-cpp") if f.name == "LICENSE"))')" $(ZXING_WASM_DIR)/LICENSE.zxing-cpp
	cd $(ZXING_WASM_DIR) && sha256sum es/reader/index.js es/share.js reader/zxing_reader.wasm
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	(cd "$$tmp" && npm pack --silent chart.js@$(CHART_JS_VERSION) >/dev/null && tar xzf chart.js-$(CHART_JS_VERSION).tgz) && \
	mkdir -p $(CHART_JS_DIR) && \
	cp "$$tmp/package/dist/chart.umd.min.js" $(CHART_JS_DIR)/ && \
	cp "$$tmp/package/LICENSE.md" $(CHART_JS_DIR)/LICENSE.md
	cd $(CHART_JS_DIR) && sha256sum chart.umd.min.js

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache .hypothesis
