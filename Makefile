# Thin wrapper around ./parvis (the one entry script). `make help` lists the targets.
.PHONY: help run test test-postgres setup ci lint format lock

PY := .venv/bin/python

help:  ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

setup:  ## install what is missing (system packages, .venv, browser assets)
	./parvis setup

run:  ## run the whole platform with demo data (Ctrl-C stops it)
	./parvis run

test:  ## the whole test suite on SQLite
	./parvis test

test-postgres:  ## the whole test suite, plus the service and e2e tiers on PostgreSQL
	./parvis test --postgres

lint:  ## ruff (rules and format check) and bandit: what CI runs first
	./parvis lint

format:  ## let ruff fix what it can and format every file
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

lock:  ## remake requirements.lock and requirements-dev.lock (with hashes) from the .in files
	$(PY) -m uv pip compile --quiet --generate-hashes --python-version 3.11 requirements.in -o requirements.lock
	$(PY) -m uv pip compile --quiet --generate-hashes --python-version 3.11 requirements-dev.in -o requirements-dev.lock

ci:  ## what CI runs
	.ci/run
