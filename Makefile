VENV ?= .venv
PYTHON := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(VENV)/bin/python:
	python3 -m venv $(VENV)

# The matcher's C core is built by the install, so a change to it installs again.
$(STAMP): $(VENV)/bin/python pyproject.toml $(wildcard alerts/csrc/*)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/newswatch demo

# Two workers: the flow tests spend much of their time waiting on child processes and servers.
# Each worker has its own PostgreSQL database and Prefect test server (tests/conftest.py).
TEST_WORKERS ?= 2

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(PYTHON) -m pytest -q -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)
	$(PYTHON) -m bench

clean:
	rm -rf $(VENV) build *.egg-info alerts/_core.*.so
