# Two commands on a fresh machine: `make run` (the local stack) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 8000
# One pytest worker per core (pytest-xdist), each test module on one worker, so a module's own
# fixtures (a browser, a local stack, every kind of email) are made once. PARALLEL= runs serially.
PARALLEL ?= -n auto --dist loadscope

.PHONY: run test test-fast lint format bench validate clean build check-template

# --- The deployable artifacts (SAM's makefile build method calls build-<LogicalId>) ---
# Lambda runs Python 3.13 on x86_64: its wheels come from PyPI for that platform, whatever
# Python runs here. One layer (DependenciesLayer) holds the pinned runtime packages under
# python/, where Lambda puts layers on the path; every function shares it. Each function's
# artifact holds only the code (without mailer/local and mailer/cli, which only engineers run),
# the email templates and the catalogue (the code finds them beside its packages). Development
# packages (requirements-dev.txt) go in neither; infra/check_build.py checks all of it.
LAMBDA_PYTHON := 3.13
LAMBDA_PLATFORM := manylinux2014_x86_64
LAYER := .aws-sam/layer
CODE := .aws-sam/code
SAM_VENV := .venv-sam
SAM := SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam
# Lambda cannot write bytecode (its filesystem is read-only), so without it every cold start
# compiles each module it imports: the build compiles it with a Python 3.13 (pyenv's here), as
# unchecked hashes, since the zip's timestamps are not the sources' and the files never change.
LAMBDA_PY ?= $(shell for py in $(HOME)/.pyenv/versions/$(LAMBDA_PYTHON)*/bin/python$(LAMBDA_PYTHON) \
	python$(LAMBDA_PYTHON); do $$py -c '' 2>/dev/null && { command -v $$py; break; }; done)
COMPILE = $(if $(LAMBDA_PY),$(LAMBDA_PY) -m compileall -q -j 0 --invalidation-mode unchecked-hash,\
	$(error make build needs a Python $(LAMBDA_PYTHON) to compile bytecode for Lambda: set LAMBDA_PY))
CODE_SOURCES := $(shell find functions templates/email catalogue -type f \
	-not -path '*/__pycache__/*' -not -name '*.pyc' 2>/dev/null)
FUNCTIONS := WebFunction StaffFunction DigestPlannerFunction DigestSenderFunction \
	SesEventsFunction SubscriberImportFunction
.PHONY: build-DependenciesLayer $(addprefix build-,$(FUNCTIONS))

$(LAYER)/.built: requirements.txt Makefile | $(STAMP)
	rm -rf $(LAYER) && mkdir -p $(LAYER)/python
	$(BIN)/pip install --quiet --no-compile --target $(LAYER)/python -r requirements.txt \
		--platform $(LAMBDA_PLATFORM) --implementation cp --python-version $(LAMBDA_PYTHON) \
		--only-binary=:all:
	rm -rf $(LAYER)/python/bin $(LAYER)/python/share  # console scripts, man pages: unused there
	find $(LAYER) -name __pycache__ -prune -exec rm -rf {} +
	$(COMPILE) $(LAYER)/python >/dev/null
	touch $@

$(CODE)/.built: $(CODE_SOURCES) Makefile
	rm -rf $(CODE) && mkdir -p $(CODE)
	cp -r functions/mailer functions/web functions/handlers $(CODE)/
	rm -rf $(CODE)/mailer/local $(CODE)/mailer/cli  # development tooling stays home
	mkdir -p $(CODE)/templates && cp -r templates/email $(CODE)/templates/
	cp -r catalogue $(CODE)/
	find $(CODE) -name __pycache__ -prune -exec rm -rf {} +
	$(COMPILE) $(CODE)/mailer $(CODE)/web $(CODE)/handlers
	touch $@

build-DependenciesLayer: $(LAYER)/.built
	cp -r $(LAYER)/. "$(ARTIFACTS_DIR)"
	rm -f "$(ARTIFACTS_DIR)/.built"

$(addprefix build-,$(FUNCTIONS)): $(CODE)/.built
	cp -r $(CODE)/. "$(ARTIFACTS_DIR)"
	rm -f "$(ARTIFACTS_DIR)/.built"

$(SAM_VENV)/.installed: requirements-sam.txt
	test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet -r requirements-sam.txt
	touch $@

## build: `sam build` of infra/template.yaml into .aws-sam/build (offline once wheels are cached)
build: $(SAM_VENV)/.installed $(STAMP)
	$(SAM) build --template-file infra/template.yaml --build-dir .aws-sam/build --build-in-source
	$(BIN)/python -m infra.check_build .aws-sam/build

## check-template: cfn-lint and `sam validate --lint`
check-template: $(SAM_VENV)/.installed $(STAMP)
	$(BIN)/cfn-lint infra/template.yaml
	$(SAM) validate --lint --region eu-west-2 --template-file infra/template.yaml

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

# axe-core for the browser tests' accessibility gate, pinned in tests/browser/package-lock.json.
AXE := tests/browser/node_modules/axe-core/axe.min.js
$(AXE): tests/browser/package.json tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund --silent
	touch $@

## run: the local stack — fake AWS (moto), tables and queues from infra/template.yaml, the app;
## its state is kept in .local-stack/ between runs (FRESH=1 starts empty)
run: $(STAMP)
	source ./local.env && PORT=$(PORT) $(BIN)/mailer local run $(if $(FRESH),--fresh)

## test: lint, template checks and the whole test suite
test: $(STAMP) $(AXE)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/cfn-lint infra/template.yaml
	$(BIN)/python -m pytest $(PARALLEL)

## test-fast: while you work: lint and the unit and component tests (under a minute; no browser)
test-fast: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PARALLEL) tests/unit tests/component

validate: $(STAMP)
	$(BIN)/mailer catalogue validate

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## bench: quota, render, planner, cost, import and cold-start benchmarks (the last reads a
## `make build` output for artifact sizes); writes docs/benchmarks.md (about 15 minutes)
bench: $(STAMP)
	$(BIN)/python -m benchmarks.report

clean:
	rm -rf $(VENV) $(SAM_VENV) .pytest_cache .ruff_cache .aws-sam
