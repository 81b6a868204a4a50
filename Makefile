# Backprop by Hand — every command a learner or an instructor needs.
# `make lab` opens the course; `make test` runs every test.  Both create .venv on first use.

PYTHON ?= python3
VENV   ?= .venv
PORT   ?= 8888
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST := $(BIN)/python -m pytest

.DEFAULT_GOAL := help
.PHONY: help install lab test test-unit test-notebooks exercises solutions clean

help:
	@echo "make lab         open the course in JupyterLab (PORT=$(PORT); NO_BROWSER=1 when headless)"
	@echo "make test        run the unit tests and every notebook (nbval)"
	@echo "make exercises   regenerate notebooks/ from solutions/"
	@echo "make solutions   re-run every solution notebook, save its outputs, regenerate notebooks/"
	@echo "make clean       remove .venv and caches"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Backprop by Hand needs Python 3.11 or newer, found " + sys.version.split()[0] + ": run make PYTHON=python3.12 (or another 3.11+)")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python requirements.txt pyproject.toml
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(PORT) --ServerApp.port_retries=0 \
		--ServerApp.root_dir=$(CURDIR) --LabApp.default_url=/lab/tree/notebooks \
		$(if $(NO_BROWSER)$(CI),--no-browser)

test: test-unit test-notebooks

test-unit: $(STAMP)
	$(PYTEST) tests

# exercise notebooks: must run clean untouched (checks say "not attempted");
# solution notebooks: must run clean and print exactly what their saved outputs show
test-notebooks: $(STAMP)
	$(PYTEST) --nbval-lax --nbval-current-env --nbval-cell-timeout=300 notebooks
	$(PYTEST) --nbval --nbval-current-env --nbval-cell-timeout=300 \
		--nbval-sanitize-with tests/nbval-sanitize.cfg solutions

exercises: $(STAMP)
	$(BIN)/python -m helpers.exercises

solutions: $(STAMP)
	$(BIN)/python -m helpers.exercises --execute

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
