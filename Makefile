# Backprop by Hand — every command a learner or an instructor needs.
# `make lab` opens the course; `make test` runs every test.  Both create .venv on first use.

PYTHON ?= python3
VENV   ?= .venv
PORT   ?= 8888
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST := $(BIN)/python -m pytest
FIRST  := 01_derivatives.ipynb

.DEFAULT_GOAL := help
.PHONY: help install lab workspace progress reset test test-unit test-notebooks test-browser \
	bench exercises solutions clean

help:
	@echo "Learners"
	@echo "  make lab              open your workspace my-work/ in JupyterLab (PORT=$(PORT); NO_BROWSER=1 when headless)"
	@echo "  make progress         run your lessons and list every exercise: ✓ / ✗ / … (TIMEOUT=120 s per lesson)"
	@echo "  make reset LESSON=1   back up your copy of a lesson to my-work/backups/, then start it afresh"
	@echo "  make workspace        create my-work/ from notebooks/, or copy in new lessons (never overwrites yours)"
	@echo "Instructors"
	@echo "  make test             run the unit tests and every notebook (nbval)"
	@echo "  make solutions        re-run every solution notebook, save its outputs, regenerate notebooks/"
	@echo "  make exercises        regenerate notebooks/ from solutions/"
	@echo "  make bench            measure how fast the course feels (figures with their targets)"
	@echo "  make test-browser     run lesson 1 in JupyterLab in headless Chromium (needs Chromium)"
	@echo "  make clean            remove .venv and caches"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Backprop by Hand needs Python 3.11 or newer, found " + sys.version.split()[0] + ": run make PYTHON=python3.12 (or another 3.11+)")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python requirements.txt pyproject.toml
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)

# ---------------------------------------------------------------- learners
# my-work/ holds the learner's own copies of the lessons: git pull and course updates never touch it

lab: workspace
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(PORT) --ServerApp.port_retries=0 \
		--ServerApp.root_dir=$(CURDIR)/my-work --LabApp.default_url=/lab/tree/$(FIRST) \
		$(if $(NO_BROWSER)$(CI),--no-browser) $(if $(filter 0,$(shell id -u)),--allow-root)

workspace: $(STAMP)
	@$(BIN)/python -m helpers.workspace setup

progress: $(STAMP)
	@$(BIN)/python -m helpers.workspace progress $(if $(TIMEOUT),--timeout $(TIMEOUT))

reset: $(STAMP)
	@$(BIN)/python -m helpers.workspace reset "$(LESSON)"

# ---------------------------------------------------------------- instructors
test: test-unit test-notebooks

test-unit: $(STAMP)
	$(PYTEST) tests helpers --doctest-modules --ignore=tests/browser

# exercise notebooks: must run clean untouched (checks say "not attempted");
# solution notebooks: must run clean and print exactly what their saved outputs show
test-notebooks: $(STAMP)
	$(PYTEST) --nbval-lax --nbval-current-env --nbval-cell-timeout=300 notebooks
	$(PYTEST) --nbval --nbval-current-env --nbval-cell-timeout=300 \
		--nbval-sanitize-with tests/nbval-sanitize.cfg solutions

test-browser: $(STAMP) $(VENV)/.browser
	$(PYTEST) tests/browser -v

$(VENV)/.browser: requirements-browser.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-browser.txt
	@touch $@

bench: $(STAMP)
	$(BIN)/python bench/bench.py

exercises: $(STAMP)
	$(BIN)/python -m helpers.exercises

solutions: $(STAMP)
	$(BIN)/python -m helpers.exercises --execute

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
