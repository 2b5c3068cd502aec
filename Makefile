# Two commands: `make run` (embedded, no server) and `make test` (real PostgreSQL and Redis).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# `make run` installs what the product needs; `make test` adds the test tools and the directory login (ldap extra).
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test install bench serve lint messages

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	@touch $(STAMP)

$(TEST_STAMP): pyproject.toml $(STAMP)
	$(PY) -m pip install --quiet -e ".[test]"
	@touch $(TEST_STAMP)

install: $(TEST_STAMP)

run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py compilemessages --ignore=.venv -v 0
	$(PY) manage.py setup_demo
	PORT=$(PORT) exec $(PY) manage.py run_embedded

test: $(TEST_STAMP)
	$(PY) manage.py compilemessages --ignore=.venv -v 0
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m pytest $(PYTEST_ARGS)

# The production-shaped run (Procfile): gunicorn + whitenoise, Celery worker and beat, on PostgreSQL and Redis.
# Needs the production variables (README, "Security and production"): SECRET_KEY, DATABASE_URL, CELERY_BROKER_URL...
serve: $(STAMP)
	DJANGO_SETTINGS_MODULE=config.settings.production PORT=$(PORT) exec $(PY) manage.py serve

bench: $(TEST_STAMP)
	$(PY) benchmarks/run.py

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check .

messages: $(TEST_STAMP)
	$(PY) manage.py makemessages -l it -l en --ignore=.venv --ignore=var
