# Every target runs inside .venv; `make setup` (a dependency of the others) creates it on a fresh machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
LOWEST := .venv-lowest
LOWEST_NAMES := $(shell sed -n 's/==.*//p' constraints-lowest.txt | paste -sd'|')
MIRROR ?= ../shared/modellix-docs
# Where `make specs` crawls: a docs base URL (live site or a server of the mirror). Empty = serve $(MIRROR) on loopback.
DOCS_URL ?=
# The second source: stored api_schema copies (models/<provider>/<model_id>/api_schema), or SCHEMA_URL (live origin).
SCHEMA_MIRROR ?= ../shared/modellix-api-schema
SCHEMA_URL ?=
SCHEMA_SOURCE := $(if $(SCHEMA_URL),--api-schema-url $(SCHEMA_URL),$(if $(wildcard $(SCHEMA_MIRROR)/models),--api-schema-mirror $(SCHEMA_MIRROR)))

.PHONY: setup specs generate demo test ci ci-lowest check mypy bench clean unasync unasync-check

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# compat: a plain path entry, so mypy/pyright run from any directory see the package (strict mode's import
	# hook is invisible to them). constraints.txt: the exact versions (pyproject.toml declares ranges).
	$(PY) -m pip install -q -c constraints.txt -e '.[dev,distributed-tests]' --config-settings editable_mode=compat
	touch $@

setup: $(VENV)/.installed

specs: setup
ifeq ($(DOCS_URL),)
	$(PY) -m modellix_typed.codegen crawl --mirror $(MIRROR) --out specs $(SCHEMA_SOURCE)
else
	$(PY) -m modellix_typed.codegen crawl --docs-url $(DOCS_URL) --out specs $(SCHEMA_SOURCE)
endif

generate: setup
	$(PY) -m modellix_typed.codegen generate --specs specs --out generated

# The main job: regenerate from the mirror, then run one task end to end against the local emulator.
demo: specs generate
	$(PY) -m modellix_typed.demo

# Two pytest-xdist workers per core, one test file per worker at a time (--dist loadfile): a module's costly
# fixtures (worker processes, a Redis, a Celery farm, an emulator) start once. Two per core because about half of
# the suite's wall time is waiting (servers that stall on purpose, ~3 s emulated tasks, child processes): on
# 2 cores, -n 4 takes 2 min 41 s where -n 2 took 4 min 32 s (CPU 3 min 34 s either way). (loadgroup's marks are
# lost on pytest 9.)
JOBS ?= $(shell $(PYTHON) -c 'import os; print(2 * len(os.sched_getaffinity(0)))')
test: setup
	$(PY) -m pytest -q -n $(JOBS) --dist loadfile

mypy: setup
	$(PY) -m mypy --strict -p modellix_typed

# The sync twins (_sync/client.py, task.py, transport.py, download.py; _core/sync_ports.py) are generated from
# their async sources: write them, or fail (printing the diff) when one is stale or was edited by hand.
unasync: setup
	$(PY) tools/unasync.py

unasync-check: setup
	$(PY) tools/unasync.py --check

# What CI runs: the twins, type checks, then the whole suite (which also checks generated/ is reproducible).
ci: setup unasync-check mypy test

# The whole suite once more against the OLDEST versions pyproject.toml allows (constraints-lowest.txt; everything
# else at its newest fitting version), in a venv of its own: the declared floors are true. .ci/run calls it
# after `make ci`. $(JOBS) pytest workers when pytest-xdist is installed; LOWEST_ARGS=tests/cli runs a part.
$(LOWEST)/.installed: pyproject.toml constraints-lowest.txt
	rm -rf $(LOWEST)
	$(PYTHON) -m venv $(LOWEST)
	$(LOWEST)/bin/python -m pip install -q --upgrade pip
	$(LOWEST)/bin/python -m pip install -q -c constraints-lowest.txt -e '.[dev]' --config-settings editable_mode=compat
	touch $@

ci-lowest: $(LOWEST)/.installed
	$(LOWEST)/bin/python -m pip list 2>/dev/null | grep -i -E "^($(LOWEST_NAMES)) " | tr -s ' '
	$(LOWEST)/bin/python -m pytest -q $$($(LOWEST)/bin/python -c 'import xdist' 2>/dev/null && printf -- '-n $(JOBS) --dist loadfile') \
		--ignore=tests/docs/test_readme_celery.py $(LOWEST_ARGS)  # Celery needs click >= 8.1.2 (make ci runs it)

bench: setup
	$(PY) -m bench

clean:
	rm -rf $(VENV) $(LOWEST) .mypy_cache .pytest_cache
