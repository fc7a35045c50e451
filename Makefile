VENV ?= .venv
PYTHON := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test test-future lint bench clean

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

# The whole suite with the clock FUTURE ahead (Debian's faketime, libfaketime preloaded into every
# child too; the PostgreSQL server keeps the real time). libfaketime leaves Python's timed lock
# waits (sem_clockwait) untranslated, so a small shim, built here, hands them to sem_timedwait.
FUTURE ?= +400d
SEM_CLOCKWAIT := $(VENV)/sem_clockwait.so

$(SEM_CLOCKWAIT): tests/future/sem_clockwait.c
	cc -O2 -shared -fPIC -o $@ $<

test-future: $(STAMP) $(SEM_CLOCKWAIT)
	@command -v faketime >/dev/null || { echo "make test-future needs faketime (apt-get install faketime)"; exit 1; }
	LD_PRELOAD=$(abspath $(SEM_CLOCKWAIT)) faketime -f $(FUTURE) $(MAKE) test

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)
	$(PYTHON) -m bench

clean:
	rm -rf $(VENV) build *.egg-info alerts/_core.*.so
