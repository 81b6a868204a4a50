# Backprop by Hand — every command a learner or an instructor needs.
# `make lab` opens the course; `make test` runs every test.  Both create .venv on first use.
# Every target runs course.py, the same script learners without make run (python3 course.py lab),
# so there is one implementation of each command.

PYTHON ?= python3
PORT   ?= 8888
COURSE := $(PYTHON) course.py

.DEFAULT_GOAL := help
.PHONY: help install lab workspace progress reset test test-unit test-notebooks test-browser \
	bench exercises solutions lock clean

help:
	@echo "Learners"
	@echo "  make lab              open your workspace my-work/ in JupyterLab (PORT=$(PORT); NO_BROWSER=1 when headless)"
	@echo "  make progress         run your lessons and list every exercise: ✓ / ✗ / … (TIMEOUT=120 s per lesson)"
	@echo "  make reset LESSON=1   back up your copy of a lesson to my-work/backups/, then start it afresh"
	@echo "  make workspace        create my-work/ from notebooks/, or copy in new lessons (never overwrites yours)"
	@echo "Instructors"
	@echo "  make test             run the unit tests and every notebook (nbval), on every core (JOBS=1: one)"
	@echo "  make solutions        re-run every solution notebook, save its outputs, regenerate notebooks/"
	@echo "  make exercises        regenerate notebooks/ from solutions/"
	@echo "  make lock             write requirements.lock from requirements.txt (then commit both)"
	@echo "  make bench            measure how fast the course feels (figures with their targets)"
	@echo "  make test-browser     run lesson 1 in JupyterLab in headless Chromium (needs Chromium)"
	@echo "  make clean            remove .venv and caches"
	@echo "Without make: python3 course.py lab, python3 course.py test, ... (python3 course.py help)"

install:
	@$(COURSE) install

# ---------------------------------------------------------------- learners
# my-work/ holds the learner's own copies of the lessons: git pull and course updates never touch it

lab:
	@$(COURSE) lab --port $(PORT) $(if $(NO_BROWSER)$(CI),--no-browser)

workspace:
	@$(COURSE) workspace

progress:
	@$(COURSE) progress $(if $(TIMEOUT),--timeout "$(TIMEOUT)")

reset:
	@$(COURSE) reset "$(LESSON)"

# ---------------------------------------------------------------- instructors
test:
	@$(COURSE) test $(if $(JOBS),--jobs $(JOBS))

test-unit:
	@$(COURSE) test-unit $(if $(JOBS),--jobs $(JOBS))

test-notebooks:
	@$(COURSE) test-notebooks $(if $(JOBS),--jobs $(JOBS))

test-browser:
	@$(COURSE) test-browser

bench:
	@$(COURSE) bench

exercises:
	@$(COURSE) exercises

solutions:
	@$(COURSE) solutions

lock:
	@$(COURSE) lock

clean:
	@$(COURSE) clean
