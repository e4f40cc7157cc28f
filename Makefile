# Every target runs inside .venv; `make setup` (a dependency of the others) creates it on a fresh machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
MIRROR ?= ../shared/modellix-docs
# Where `make specs` crawls: a docs base URL (live site or a server of the mirror). Empty = serve $(MIRROR) on loopback.
DOCS_URL ?=

.PHONY: setup specs generate demo test ci check mypy bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# compat: a plain path entry, so mypy/pyright run from any directory see the package (strict mode's import
	# hook is invisible to them).
	$(PY) -m pip install -q -e '.[dev]' --config-settings editable_mode=compat
	touch $@

setup: $(VENV)/.installed

specs: setup
ifeq ($(DOCS_URL),)
	$(PY) -m modellix_typed.codegen crawl --mirror $(MIRROR) --out specs
else
	$(PY) -m modellix_typed.codegen crawl --docs-url $(DOCS_URL) --out specs
endif

generate: setup
	$(PY) -m modellix_typed.codegen generate --specs specs --out generated

# The main job: regenerate from the mirror, then run one task end to end against the local emulator.
demo: specs generate
	$(PY) -m modellix_typed.demo

# Every core (pytest-xdist), one test file per worker at a time (--dist loadfile): a module's costly fixtures
# (worker processes, a Redis, a Celery farm, an emulator) start once. (loadgroup's marks are lost on pytest 9.)
JOBS ?= auto
test: setup
	$(PY) -m pytest -q -n $(JOBS) --dist loadfile

mypy: setup
	$(PY) -m mypy --strict -p modellix_typed

# What CI runs: type checks, then the whole suite (which also checks generated/ is reproducible).
ci: setup mypy test

bench: setup
	$(PY) -m bench

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache
