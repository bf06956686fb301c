# Baton: `make run` (set up, run the underwriting workflow on a sample) and `make test` (everything).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SAMPLE ?= data/samples/underwriting/02_high_risk_referral.json

export LANGGRAPH_CLI_NO_ANALYTICS := 1
export LANGGRAPH_NO_VERSION_CHECK := true

.PHONY: run test docs-handoffs bench bench-quality bench-triage bench-invoices bench-supply bench-late lint typecheck pytest lock clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Baton needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)

# Installs exactly the locked versions, then Baton itself (editable, no dependency resolution).
$(VENV)/.run-installed: requirements/run.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements/run.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

$(VENV)/.dev-installed: requirements/dev.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements/dev.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@ $(VENV)/.run-installed

run: $(VENV)/.run-installed
	$(BIN)/baton run underwriting $(SAMPLE)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy

pytest: $(VENV)/.dev-installed
	$(BIN)/pytest

test: lint typecheck pytest

# Writes docs/handoffs.md from the graphs (a test fails when it is stale).
docs-handoffs: $(VENV)/.run-installed
	$(BIN)/baton handoffs --format markdown > docs/handoffs.md.tmp
	mv docs/handoffs.md.tmp docs/handoffs.md

# Writes docs/benchmarks.md: token sizes, governance overhead, throughput, latency, crash recovery.
bench: $(VENV)/.dev-installed
	$(BIN)/python -m bench.report

# Contract review quality on a CUAD-format set (default: the shared dev set).
CUAD ?= ../shared/data/cuad
bench-quality: $(VENV)/.dev-installed
	$(BIN)/python -m bench.contract_review_quality $(CUAD)/contracts $(CUAD)/master_clauses.csv

# Support triage quality: train on a stratified 80% of Banking77 (seed 2026), score the rest.
BANKING77 ?= data/support_triage/banking77
bench-triage: $(VENV)/.dev-installed
	$(BIN)/python -m bench.split_csv $(BANKING77)/train.csv .baton/banking77_split
	$(BIN)/python -m bench.support_triage_quality .baton/banking77_split/train.csv .baton/banking77_split/test.csv

# Invoice review quality: 400 generated invoices with planted anomalies (seed 2027, not the samples').
bench-invoices: $(VENV)/.dev-installed
	$(BIN)/python -m bench.invoice_review_quality --invoices 400

# The supply-chain hierarchy: forecast error, plan cost and fill rate, latency per level (seed 2028).
bench-supply: $(VENV)/.dev-installed
	$(BIN)/python -m bench.supply_chain --plans 20 --skus 6 --runs 5

# The late-delivery mesh: planted causes named, what the debate adds over a supervisor (seed 2029).
bench-late: $(VENV)/.dev-installed
	$(BIN)/python -m bench.late_delivery --per-kind 10

# Re-resolve the lock files (needs uv; the package index must be reachable).
lock:
	$(PYTHON) -m uv pip compile pyproject.toml --python-version 3.11 --no-header -o requirements/run.lock
	$(PYTHON) -m uv pip compile pyproject.toml --extra dev --python-version 3.11 --no-header -o requirements/dev.lock

clean:
	rm -rf $(VENV) .baton .mypy_cache .ruff_cache .pytest_cache
