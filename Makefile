# Thin wrapper around ./parvis (the one entry script). `make help` lists the targets.
.PHONY: help run test test-postgres setup ci

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

ci:  ## what CI runs
	.ci/run
