# Two commands on a fresh machine: `make run` (the local stack) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 8000

.PHONY: run test lint format bench validate clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

## run: the local stack — fake AWS (moto), tables and queues from infra/template.yaml, the app
run: $(STAMP)
	source ./local.env && PORT=$(PORT) $(BIN)/mailer local run

## test: lint, template checks and the whole test suite
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/cfn-lint infra/template.yaml
	$(BIN)/python -m pytest

validate: $(STAMP)
	$(BIN)/mailer catalogue validate

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python -m benchmarks.render

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .aws-sam
