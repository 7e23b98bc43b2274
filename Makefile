# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench clean venv

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/gateway demo

test: $(STAMP)
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check gateway adapters tests bench
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) bench/validate.py
	$(PY) bench/identity.py
	$(PY) bench/sign.py
	$(PY) bench/outbox.py
	$(PY) bench/intake_http.py
	$(PY) bench/intake.py --duration 600
	$(PY) bench/reconcile.py
	$(PY) bench/linkage.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
