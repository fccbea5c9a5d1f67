# Hotwave — two commands on a fresh machine:
#   make demo   set up everything and serve http://127.0.0.1:8000 (SQLite, eager Celery)
#   make test   set up everything and run the whole suite
# Set DATABASE_URL / REDIS_URL to run against PostgreSQL and Redis.

SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Where `make demo` / `make serve` listen: `make demo PORT=8010 HOST=0.0.0.0`.
HOST  ?= 127.0.0.1
PORT  ?= 8000
# The development server answers the host it listens on (every name when it listens
# on all interfaces), unless ALLOWED_HOSTS says otherwise.
DEMO_HOSTS = $${ALLOWED_HOSTS:-$(if $(filter 0.0.0.0 :: [::],$(HOST)),*,127.0.0.1,localhost,[::1],$(HOST))}
# Two workers on two cores; files stay together (live servers, module worlds).
PYTEST_ARGS ?= -q -n 2 --dist loadfile

# A Python >= 3.12: $(PYTHON) if given, else python3.13/python3.12 that really
# run, else pyenv's installed versions, else the python3 on PATH if new enough.
define FIND_PYTHON
for c in "$(PYTHON)" python3.13 python3.12 python3 \
         $$(ls -d $$(pyenv root 2>/dev/null || echo $$HOME/.pyenv)/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
  [ -n "$$c" ] || continue; \
  if "$$c" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; then echo "$$c"; exit 0; fi; \
done; exit 1
endef
export FIND_PYTHON

.PHONY: demo test lint format venv migrate seed serve worker beat bench bench-scorecards messages clean help

help:
	@echo "make demo | test | lint | format | worker | beat | bench | messages | clean"

$(STAMP): pyproject.toml
	@set -e; \
	if [ ! -x $(PY) ]; then \
	  base=$$(bash -c "$$FIND_PYTHON") || { \
	    echo "Hotwave needs Python 3.12 or newer. Install it (e.g. 'pyenv install 3.12' or your OS's python3.12 package)"; \
	    echo "or run: make PYTHON=/path/to/python3.12 ..."; exit 1; }; \
	  echo "Using $$base ($$($$base --version))"; \
	  $$base -m venv $(VENV); \
	fi; \
	$(PY) -m pip install -q --upgrade pip; \
	$(PY) -m pip install -q -e '.[dev]'; \
	touch $(STAMP)

venv: $(STAMP)

migrate: venv
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput -v0

seed: migrate
	DEBUG=$${DEBUG:-1} $(PY) manage.py seed_demo

serve:
	DEBUG=$${DEBUG:-1} ALLOWED_HOSTS="$(DEMO_HOSTS)" $(PY) manage.py runserver $(HOST):$(PORT)

demo: seed
	@echo ""
	@echo "Hotwave is at http://$(HOST):$(PORT)  (log in as demo_merchant / hotwave-demo; see README for all demo users)"
	DEBUG=$${DEBUG:-1} ALLOWED_HOSTS="$(DEMO_HOSTS)" $(PY) manage.py runserver $(HOST):$(PORT)

test: venv
	$(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: venv
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

worker: venv
	$(VENV)/bin/celery -A hotwave worker -l info -c $${CONCURRENCY:-2}

beat: venv
	mkdir -p var && $(VENV)/bin/celery -A hotwave beat -l info -s var/celerybeat-schedule

bench: venv
	$(PY) bench/run.py

# The scorecard recompute on inputs built set-based in SQL (bench/scorecards_world.py).
bench-scorecards: venv
	$(PY) -m bench.scorecards_world --scale $${BENCH_SCALE:-full}

messages: venv
	DEBUG=1 $(PY) manage.py makemessages -l en --no-obsolete --ignore=.venv --ignore=staticfiles --ignore=tests --ignore=bench --ignore=var
	DEBUG=1 $(PY) manage.py compilemessages -l en -l zh_Hans --ignore=.venv

clean:
	rm -rf $(VENV) db.sqlite3* staticfiles var
