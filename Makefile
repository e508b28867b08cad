# Two commands for a newcomer: `make run` and `make test`. Both set the machine up first.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
LAKE ?= lake
# Re-install when any dependency file changes.
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-glue.txt requirements-dev.txt pyproject.toml 2>/dev/null | cksum | cut -d' ' -f1)

.PHONY: help setup java run test lint fmt bench bench-sample fuzz clean glue-env glue-build

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP):
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -e .
	@# Glue's pure-Python argument parser, for tests only (Amazon Software License): kept off the venv's
	@# import path so entry scripts run on plain pyspark exactly as they would without Glue.
	$(PY) -m pip install --quiet --no-deps --target $(VENV)/awsglue-dev awsglue-dev==2021.12.30
	@rm -f $(VENV)/.installed-*; touch $(STAMP)

setup: $(STAMP) java ## Create .venv, install packages and a Java runtime if missing

java: ## Make sure a Java 17+ runtime is on PATH (Spark needs it)
	@bash tools/ensure_java.sh

ANSWERS := volume_and_price_by_energy_type_per_day margin_and_net_position_by_energy_type top_customers_by_spend

run: setup ## Run the local pipeline on the sample feeds and print the answers
	$(VENV)/bin/energy-lake run --landing data/landing --lake $(LAKE) --summary-json $(LAKE)/last_run.json
	@for q in $(ANSWERS); do \
	  echo; echo "== $$(sed -n '1s/^-- Question: //p' src/sql/$$q.sql)"; \
	  $(VENV)/bin/energy-lake query --file src/sql/$$q.sql --lake $(LAKE) --as analyst || exit 1; \
	done
	$(VENV)/bin/energy-lake report --lake $(LAKE)

test: setup checkov-venv glue-env glue-build ## Run every test
	$(PY) -m pytest -q

lint: setup infra-lint ## ruff, import layers, mypy and bandit on src/
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/lint-imports
	@# mypy resolves packages by folder name: a view where src/ is called energy_lake (docs/adr/0003)
	@mkdir -p .build && ln -sfn ../src .build/energy_lake
	cd .build && ../$(VENV)/bin/mypy --config-file ../pyproject.toml -p energy_lake
	$(VENV)/bin/bandit -q -c pyproject.toml -r src

fmt: setup ## Fix what the linters can fix
	$(VENV)/bin/ruff check --fix src tests bench
	$(VENV)/bin/ruff format src tests bench

bench: setup ## Benchmarks (not part of make test): sample feeds, then 5M trades against DuckDB and bare Spark
	$(PY) bench/run_bench.py $(BENCH_ARGS)

bench-sample: setup ## The sample-feeds figure of make bench alone (what make run waits for), about a minute
	$(PY) bench/run_bench.py --sample-only

FUZZ_FEEDS ?= 1000
fuzz: setup ## The thorough profiles (not part of make test; ~30 min): hostile feeds over FUZZ_FEEDS (1000), a kill at every crash point
	HYPOTHESIS_PROFILE=fuzz FUZZ_FEEDS=$(FUZZ_FEEDS) ENERGY_LAKE_THOROUGH=1 $(PY) -m pytest -q -p no:cacheprovider \
		tests/property/test_generated_feeds.py tests/integration/test_crash_consistency.py

# The Glue job environment the tests run the jobs in: exactly AWS Glue 5.1's Python packages (the list AWS
# publishes, in ../shared) plus Glue's Spark (pyspark as pinned in requirements.txt), none of this project's.
# Rebuilt when that list changes; without it the Glue-environment test skips and says why.
GLUE_PYTHON ?= python3.11
GLUE_BASE := ../shared/glue-5.1/base-requirements.txt
GLUE_VENV := .venv-glue
GLUE_STAMP := $(GLUE_VENV)/.installed-$(shell cat $(GLUE_BASE) requirements.txt 2>/dev/null | cksum | cut -d' ' -f1)

$(GLUE_STAMP):
	@if [ ! -f $(GLUE_BASE) ] || ! command -v $(GLUE_PYTHON) >/dev/null; then \
	  echo "no $(GLUE_BASE) or no $(GLUE_PYTHON): no Glue 5.1 environment (its tests skip)"; exit 0; fi; \
	rm -rf $(GLUE_VENV) && $(GLUE_PYTHON) -m venv $(GLUE_VENV) && \
	$(GLUE_VENV)/bin/python -m pip install --quiet -r $(GLUE_BASE) "$$(grep '^pyspark==' requirements.txt)" && \
	touch $@

glue-env: $(GLUE_STAMP) ## Create .venv-glue: Glue 5.1's packages, for the Glue-environment test

glue-build: setup ## Build what deploy ships (library archive, zip of wheels) into build/glue
	$(PY) src/scripts/deploy_glue_jobs.py --build-only

# Infrastructure checks. checkov has its own virtualenv: its pins conflict with moto's boto3 and python-hcl2.
CHECKOV_VERSION := 3.3.30
CHECKOV_STAMP := .venv-checkov/.installed-$(CHECKOV_VERSION)
.PHONY: checkov-venv infra-lint

$(CHECKOV_STAMP):
	@test -x .venv-checkov/bin/python || $(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/python -m pip install --quiet --upgrade pip
	.venv-checkov/bin/python -m pip install --quiet checkov==$(CHECKOV_VERSION)
	@rm -f .venv-checkov/.installed-*; touch $(CHECKOV_STAMP)

checkov-venv: $(CHECKOV_STAMP) ## Create .venv-checkov (checkov for the Terraform code)

infra-lint: setup checkov-venv ## terraform fmt -check, checkov, module README tables
	@if command -v terraform >/dev/null; then terraform fmt -check -recursive infrastructure/terraform; \
	  else echo "terraform not on PATH: skipping terraform fmt (the tests skip too)"; fi
	.venv-checkov/bin/checkov -d infrastructure --framework terraform --skip-download --quiet --compact
	$(PY) infrastructure/terraform/readme_tables.py --check

clean: ## Remove the local lake and caches (keeps .venv)
	rm -rf $(LAKE) .pytest_cache .mypy_cache .ruff_cache .build spark-warehouse build

# First-deploy smoke check of an environment in a sandbox account (docs/operations.md): one Glue job run,
# a few Athena queries (a few cents), one test message to the alert topic. Never part of make test or CI.
ENV ?= dev
.PHONY: aws-smoke

aws-smoke: $(STAMP) ## Smoke-check a deployed environment in AWS (ENV=dev): job run, personas, grants, alerts
	$(PY) src/scripts/aws_smoke.py --env $(ENV)
