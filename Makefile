# Nonpro — every target works from a fresh clone; nothing needs installing by hand.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS := never
export PYTHONDONTWRITEBYTECODE := 1

system-deps:
	bash scripts/system-deps.sh

.PHONY: system-deps help install demo test lint typecheck checks pytest pytest-postgres translations messages bench vendor clean

help:
	@echo "make demo    — set up and run the platform on SQLite with demo data at http://127.0.0.1:8000"
	@echo "make test    — set up and run every check (lint, types, migrations, translations, tests, browser)"
	@echo "make bench   — run the benchmarks"
	@echo "make install — create .venv with the project and its dev tools"

# The stamp is refreshed whenever the lock file or pyproject changes.
$(VENV)/.installed: pyproject.toml uv.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c 'import sys; assert sys.version_info >= (3, 12), "Python 3.12 or newer is needed"'
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv sync --frozen --inexact --extra dev
	@touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/nonpro demo

lint: install
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

checks: install
	env -u NONPRO_TEST_DATABASE_URL DJANGO_SETTINGS_MODULE=nonpro.settings.test $(BIN)/nonpro manage makemigrations --check --dry-run
	env -u NONPRO_TEST_DATABASE_URL DJANGO_SETTINGS_MODULE=nonpro.settings.test $(BIN)/nonpro manage check --fail-level WARNING

translations: install system-deps
	$(BIN)/python scripts/check_translations.py

# Regenerate the catalogues after changing UI strings, then translate the new entries.
messages: install
	$(BIN)/python scripts/check_translations.py --update

pytest: install system-deps
	@echo "pytest on SQLite"
	env -u NONPRO_TEST_DATABASE_URL $(BIN)/pytest -n 2 --dist loadgroup

pytest-postgres: install system-deps
	@if [ -n "$$NONPRO_TEST_DATABASE_URL" ]; then \
		echo "pytest on PostgreSQL ($$NONPRO_TEST_DATABASE_URL), without the browser and demo tests (SQLite pass)"; \
		echo "and without tests/scanning (a library without a database: the SQLite pass runs it)"; \
		$(BIN)/pytest -n 2 -m "not browser and not demo" --ignore=tests/scanning; \
	else \
		echo "NONPRO_TEST_DATABASE_URL is not set: the PostgreSQL run is skipped (.ci/run sets it)."; \
	fi

test: lint typecheck checks translations pytest pytest-postgres

bench: install
	$(BIN)/pytest benchmarks -p no:xdist --benchmark-only -o testpaths=benchmarks

# Re-vendor the pinned front-end packages from the npm registry (see docs/decisions/0002).
vendor:
	bash scripts/vendor.sh

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
