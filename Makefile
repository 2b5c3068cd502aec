# Two commands: `make run` (embedded, no server) and `make test` (real PostgreSQL and Redis).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test install bench serve lint messages

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py compilemessages --ignore=.venv -v 0
	$(PY) manage.py setup_demo
	PORT=$(PORT) exec $(PY) manage.py run_embedded

test: $(STAMP)
	$(PY) manage.py compilemessages --ignore=.venv -v 0
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m pytest $(PYTEST_ARGS)

# The production-shaped run (Procfile): gunicorn + whitenoise, Celery worker and beat, on PostgreSQL and Redis.
# Needs the production variables (README, "Security and production"): SECRET_KEY, DATABASE_URL, CELERY_BROKER_URL...
serve: $(STAMP)
	DJANGO_SETTINGS_MODULE=config.settings.production PORT=$(PORT) exec $(PY) manage.py serve

bench: $(STAMP)
	$(PY) benchmarks/run.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .

messages: $(STAMP)
	$(PY) manage.py makemessages -l it -l en --ignore=.venv --ignore=var
