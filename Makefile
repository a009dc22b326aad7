# Antre: `make run` starts the whole system with the demo MPP Kota Kupang; `make test` runs every test.
# Both set up what they need first (venv, pinned packages, Kafka jars, PostgreSQL).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STATE  ?= .antre
PACKAGES := -e libs/contracts -e libs/platform -e deploy/local \
            -e services/registry -e services/ticketing -e services/estimation \
            -e services/notify -e services/wa_sandbox
INPUTS := requirements/constraints.txt requirements/dev.txt $(wildcard libs/*/pyproject.toml) \
          $(wildcard services/*/pyproject.toml) deploy/local/pyproject.toml
STAMP  := $(VENV)/.antre-installed

.PHONY: setup browser screenshots run test compose-env schemas lint clean help bench bench-ticketing bench-estimation bench-notify

help:
	@echo "make run      start Kafka, PostgreSQL, the four services, the WhatsApp sandbox and the demo MPP"
	@echo "make test     the same infrastructure, fresh, then unit, integration and end-to-end tests"
	@echo "make screenshots  PNGs of the board, console, kiosk and status page in docs/screenshots/"
	@echo "make bench    benchmarks (bench-ticketing, bench-estimation, bench-notify) with their floors"
	@echo "make setup    only the venv and pinned packages"
	@echo "make compose-env  write .env with generated secrets for docker compose"

setup: $(STAMP)

$(STAMP): $(INPUTS)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed: install python3.11 and run make again (or PYTHON=python3.11 make ...)")'
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || { echo "Python's venv module is missing: apt-get install -y python3-venv"; exit 1; }
	@echo "[setup] virtualenv $(VENV) and pinned packages (first time: about a minute)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check -c requirements/constraints.txt \
		-r requirements/dev.txt $(PACKAGES)
	@touch $@

run: setup
	@$(PY) -m antre_devstack run --state $(STATE)

test: setup browser
	@$(VENV)/bin/ruff check --quiet . && echo "[lint] ruff: clean"
	@$(PY) -m antre_devstack prepare
	@$(PY) -m pytest $(PYTEST_ARGS)

# The page tests drive Debian's chromium through Playwright; no browser is ever downloaded.
browser:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "[setup] installing Debian's chromium for the browser tests (apt-get, about a minute)"; \
	    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "The browser tests need Debian's chromium: sudo apt-get install -y chromium, then make test again"; exit 1; \
	  fi; }

# PNGs of the four pages at phone and TV sizes, in docs/screenshots/.
screenshots: setup browser
	@$(PY) tools/screenshots.py

# Benchmarks print figures beside a floor measured in the same run; tests never time anything.
bench: bench-ticketing bench-estimation bench-notify

bench-ticketing: setup
	@$(PY) bench/ticketing_bench.py

bench-estimation: setup
	@$(PY) -m bench.estimation

bench-notify: setup
	@$(PY) bench/notify_bench.py

compose-env: setup
	@$(PY) -m antre_devstack compose-env --out .env

schemas: setup
	@$(PY) -m antre_contracts.schemas

lint: setup
	@$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) $(STATE)
