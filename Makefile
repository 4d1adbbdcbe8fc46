# Two commands: `make run` sets everything up and serves the app; `make test` sets up and runs every test.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test setup setup-dev vendor db clean nodes load catalogues translations

# The web server and the job queue's consumer (e-mail), both from the Procfile; Ctrl+C stops both.
run: setup db
	@echo "Serving Reciprocate on http://$(HOST):$(PORT) with its job queue  (Ctrl+C stops both)"
	HOST=$(HOST) $(BIN)/honcho start -f Procfile -p $(PORT)

test: setup-dev
	bash scripts/test.sh $(ARGS)

# Two app nodes as two machines would run them (gunicorn, 2 workers, and a queue consumer each) on one PostgreSQL
# and one Redis of their own: scripts/nodes.py (README, "Running in production").
nodes: setup
	scripts/with-postgres.sh $(BIN)/python scripts/nodes.py

# The load test, kept out of `make test` (it loads the whole machine for its 20 seconds): two nodes take a burst of
# redemptions, retried purchases, refunds and report reads; it prints throughput and p50/p99 per route and fails
# when a voucher is redeemed twice, a sale is not stored exactly once or a refund passes its sale. CI runs it.
load: setup-dev
	scripts/with-postgres.sh $(BIN)/python bench/load_nodes.py --seconds $(or $(LOAD_SECONDS),20)

setup: $(VENV)/.runtime vendor catalogues

# The customers' languages: the .po files are the source, compiled here (never committed). `make translations`
# extracts the customers' messages again and merges them into every .po (then translate what is new or fuzzy).
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard campaigns/translations/*/LC_MESSAGES/messages.po))
catalogues: $(CATALOGUES)

campaigns/translations/%/LC_MESSAGES/messages.mo: campaigns/translations/%/LC_MESSAGES/messages.po | $(VENV)/.runtime
	@$(BIN)/pybabel compile --statistics -i $< -o $@ -l $*

translations: $(VENV)/.runtime
	$(BIN)/pybabel extract -F babel.cfg -k translate:2 -k lazy_gettext -k _l --no-location \
		--sort-output --project Reciprocate -o campaigns/translations/messages.pot .
	$(BIN)/pybabel update -i campaigns/translations/messages.pot -d campaigns/translations --no-fuzzy-matching

setup-dev: setup $(VENV)/.dev

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(VENV)/bin/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt | $(VENV)/bin/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Front-end packages are served from our own static folder: no CDN at run time.
vendor: node_modules/.installed
	@mkdir -p static/vendor
	@cp node_modules/chart.js/dist/chart.umd.min.js static/vendor/chart.umd.min.js
	@cp node_modules/chartjs-chart-funnel/build/index.umd.min.js static/vendor/chartjs-chart-funnel.umd.min.js
	@cp node_modules/barcode-detector/dist/iife/ponyfill.js static/vendor/barcode-detector.js
	@cp node_modules/zxing-wasm/dist/reader/zxing_reader.wasm static/vendor/zxing_reader.wasm

# Schema, and demo data on the first run only; prints the demo log-ins every time.
db:
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache
