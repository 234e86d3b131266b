# Two commands for a new user: `make run` (demo site) and `make test` (whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
MANAGE := $(BIN)/python manage.py
# Exact versions of every package (the app's and the test tools'); see `make lock`.
LOCK := requirements.lock
UV := uv==0.13.9

.PHONY: run test install install-dev lint lock bench clean

# The stamp files make a second `make run` skip the install when pyproject.toml and the lock are unchanged.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/pip install --quiet -c $(LOCK) -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/pip install --quiet -c $(LOCK) -e ".[dev]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# The base URL of links made without a request (emails, calendar files; SITE_BASE_URL and the API's default
# to it) is where this run serves the site; with a request, development links use the request's host.
run: export WAGTAILADMIN_BASE_URL := http://127.0.0.1:$(PORT)
run: install
	$(MANAGE) migrate --noinput
	$(MANAGE) load_demo
	$(MANAGE) collectstatic --noinput --verbosity 0
	$(MANAGE) runserver 127.0.0.1:$(PORT)

test: install-dev
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MANAGE) makemigrations --check --dry-run

# Re-resolve every version within pyproject.toml's ranges and write them to the lock (a deliberate upgrade:
# run the suite before committing the new lock). The resolver runs in its own throwaway environment.
lock:
	$(PYTHON) -m venv $(VENV)-lock
	$(VENV)-lock/bin/pip install --quiet $(UV)
	$(VENV)-lock/bin/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 --no-header \
		--annotation-style line --upgrade -o $(LOCK).new
	{ sed -n '/^#/p;/^[^#]/q' $(LOCK); cat $(LOCK).new; } > $(LOCK).tmp && mv $(LOCK).tmp $(LOCK) && rm $(LOCK).new
	rm -rf $(VENV)-lock

bench: install-dev
	$(BIN)/python bench/bench_site.py

clean:
	rm -rf $(VENV) static_collected media db.sqlite3
