# The two set-up commands: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint venv clean

# The dependencies (and the dev extra) straight from pyproject.toml: the tools run from the checkout, so the
# project itself is not built or installed.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -c 'import tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; \
	          print("\n".join(p["dependencies"] + p["optional-dependencies"]["dev"]))' > $(VENV)/requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r $(VENV)/requirements.txt
	@touch $(STAMP)

## venv: just the virtualenv, for running the commands by hand (`. .venv/bin/activate`)
venv: $(STAMP)

## demo: local cloud up, a short paired load to both architectures, the comparison, local cloud down
demo: $(STAMP)
	@bash scripts/demo.sh $(PY)

## test: lint, then the whole pytest suite (tests/unit, tests/e2e on MiniStack, tests/registry)
test: $(STAMP) lint
	$(PY) -m pytest

## lint: ruff, then the type checker (mypy, configured in pyproject.toml)
lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy

clean:
	rm -rf $(VENV) .archbench .pytest_cache .ruff_cache .mypy_cache
