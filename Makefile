# The two commands a newcomer needs:  make run   and   make test
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PACKAGES := -e lib -e services/identity -e services/providers -e services/capacity \
            -e services/search -e services/notifications -e services/reporting -e gateway \
            -e tools/synthetic_england
export VAR_DIR ?= $(CURDIR)/var

.PHONY: run test test-unit install install-test services browser keys bus migrate seed admin clean bench-search bench-read-models bench-england

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required (found %s)" % sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python  ## the system's dependencies, pinned
	$(BIN)/pip install -q -c constraints.txt -r requirements.txt
	$(BIN)/pip install -q --no-deps $(PACKAGES)

install-test: install
	$(BIN)/pip install -q -c constraints.txt -r requirements-test.txt

services:  ## PostgreSQL, RabbitMQ and Redis: start them or say what is missing
	@bash deploy/ensure-services.sh

browser:  ## Chromium from Debian's packages, for the tests of the web pages in a real browser
	@bash deploy/ensure-browser.sh

keys:
	@$(BIN)/python -m tracker_common.keys

bus:
	@$(BIN)/python -m tracker_common.bus

migrate:
	@$(BIN)/python -m identity.manage migrate
	@$(BIN)/python -m providers.manage migrate
	@$(BIN)/python -m capacity.manage migrate
	@$(BIN)/python -m search.manage migrate
	@$(BIN)/python -m notifications.manage migrate
	@$(BIN)/python -m reporting.manage migrate

DEMO_DATA := $(VAR_DIR)/synthetic-$(DEMO_SIZE)
DEMO_SIZE ?= small

seed:  ## reference data, a fictional slice of England through the real importers, and a year of its life
	@$(BIN)/python -m identity.manage seed-demo
	@$(BIN)/python -m providers.manage load-geography
	@[ -f $(DEMO_DATA)/HSCA_Active_Locations.csv ] || $(BIN)/python -m synthetic_england --out $(DEMO_DATA) --size $(DEMO_SIZE)
	@$(BIN)/python -m providers.manage import-postcodes $(DEMO_DATA)/ONSPD.csv
	@$(BIN)/python -m providers.manage import-cqc $(DEMO_DATA)/HSCA_Active_Locations.csv
	@# the living demo (each step idempotent): homes set up, a year of returns, people and Terms of Use
	@$(BIN)/python -m providers.manage seed-demo
	@$(BIN)/python -m capacity.manage seed-demo-history
	@deploy/with-demo-env.sh $(BIN)/python -m identity.manage create-admin
	@deploy/with-demo-env.sh $(BIN)/python -m identity.manage seed-demo-people

admin:
	@deploy/with-demo-env.sh $(BIN)/python -m identity.manage create-admin

run: install services keys bus migrate seed admin  ## install everything and run the whole system
	@echo
	@echo "Capacity Tracker is starting: gateway on http://localhost:8000"
	@echo "  Web pages:    http://localhost:8000/sign-in"
	@echo "  API docs:     http://localhost:8000/api/v1/docs"
	@echo "  OpenAPI:      http://localhost:8000/api/v1/openapi.json"
	@echo "  Health:       http://localhost:8000/healthz"
	@echo "  Emails sent:  http://localhost:8025 (the local mail catcher)"
	@echo "  Log in as the administrator from deploy/demo.env; the README has a walk-through."
	@echo "  Ctrl-C stops everything."
	@echo
	@# supervisord restarts a process that exits (docs/operations.md)
	@PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python -m tracker_common.supervise deploy/Procfile

test: install-test services browser  ## install everything and run every test
	$(BIN)/python -m pytest

# The database, broker and Redis addresses point nowhere: a test that reaches one fails, never waits.
# Installed once, again only when a requirement or a package's pyproject changes (the packages are editable).
$(VENV)/.installed-test: requirements.txt requirements-test.txt constraints.txt lib/pyproject.toml gateway/pyproject.toml \
                         $(wildcard services/*/pyproject.toml tools/*/pyproject.toml)
	$(MAKE) install-test
	touch $@

test-unit: $(VENV)/.installed-test  ## the fast tests: rules, contracts and the house plan; no broker, database or Redis (under a minute)
	TEST_DATABASE_URL_TEMPLATE="postgresql+psycopg2://nobody@127.0.0.1:9/none_{service}" \
	TEST_REDIS_URL=redis://127.0.0.1:9/0 AMQP_URI=amqp://nobody:none@127.0.0.1:9/ \
	$(BIN)/python -m pytest -m unit -q

bench-search: install-test services  ## search over England through the gateway, against its floors (docs/performance.md)
	$(BIN)/python bench/vacancy_search.py

bench-read-models: install-test services  ## England into search and reporting through the bus, and both rebuilt (docs/performance.md)
	$(BIN)/python bench/read_models_load.py $(BENCH_ARGS)

bench-england: install-test services  ## an England morning: 30,000 returns while people search and report (docs/performance.md)
	$(BIN)/python bench/england_morning.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var
