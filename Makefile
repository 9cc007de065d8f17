# Manyi: `make demo` runs it, `make test` tests it. Both bootstrap uv from PyPI if it is missing.
SHELL := /bin/bash
UV ?= $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
MANYI := $(UV) run --frozen manyi
DEMO_DB ?= sqlite:///./manyi.db
# `PORT=8100 make demo` when 8000 is taken; HOST=0.0.0.0 to be reached from other machines.
PORT ?= 8000
HOST ?= 127.0.0.1

.PHONY: install demo test lint typecheck pytest bench clean

$(UV):
	python3 -m venv .tools && .tools/bin/pip install --quiet uv

install: $(UV)
	$(UV) sync --frozen

demo: install
	MANYI_DATABASE_URL=$(DEMO_DB) $(MANYI) db upgrade
	MANYI_DATABASE_URL=$(DEMO_DB) $(MANYI) demo --if-empty
	MANYI_ENV=demo MANYI_DATABASE_URL=$(DEMO_DB) $(MANYI) serve --with-worker --host $(HOST) --port $(PORT)

lint: install
	$(UV) run --frozen ruff check manyi tests bench
	$(UV) run --frozen ruff format --check manyi tests bench

typecheck: install
	$(UV) run --frozen mypy

# The suite runs in parallel (pytest-xdist): each worker has its own PostgreSQL scratch database,
# SQLite files and Chromium. Tests that share one outside server are kept on one worker by
# `xdist_group` marks (--dist loadgroup). `make pytest JOBS=0` runs it in this process.
JOBS ?= 4
pytest: install
	$(UV) run --frozen pytest -n $(JOBS) --dist loadgroup

test: lint typecheck pytest

bench: install
	for b in bench/bench_*.py; do $(UV) run --frozen python $$b; done

clean:
	rm -rf .tools .venv manyi.db manyi.db-* var .pytest_cache .mypy_cache .ruff_cache
