# Two commands do all the set-up on a fresh clone:
#   make run   create .venv, install Byline, ingest examples/articles, serve on 127.0.0.1:8000
#   make test  create .venv, install Byline with its test extras (and Debian's chromium for the
#              browser tests), lint, type-check, test, build the docs site (strict), and check
#              the seed eval against its baseline run
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The chat page's tests drive Debian's Chromium: browser downloads fail here, Debian's mirror answers.
CHROMIUM ?= /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: run test eval clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# torch goes first, pinned: 2.13.0 resolves to the local CPU wheel, never the multi-GB CUDA build.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install torch==2.13.0
	$(BIN)/pip install -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install torch==2.13.0
	$(BIN)/pip install -e '.[test]'
	touch $@ $(VENV)/.installed-run

$(CHROMIUM):
	$(SUDO) apt-get update
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium

run: $(VENV)/.installed-run
	$(BIN)/byline ingest examples/articles
	$(BIN)/byline serve --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-test $(CHROMIUM)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	CHROMIUM=$(CHROMIUM) $(BIN)/pytest
	# A broken link, anchor or a page left out of mkdocs.yml's navigation fails the build.
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir build/site
	# Answer quality must not drop below the kept baseline run of the seed set, nor its floors.
	$(BIN)/byline eval check --baseline eval/baselines/seed.json --tolerance 0.02 \
		--floor accuracy=0.9 --floor decline_recall=0.9 --floor outlet_attribution=0.9

eval: $(VENV)/.installed-run
	$(BIN)/byline eval --corpus examples/articles

clean:
	rm -rf $(VENV) .byline .pytest_cache .mypy_cache .ruff_cache build
