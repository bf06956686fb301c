# Baton: `make run` (set up, run the underwriting workflow on a sample) and `make test` (everything).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SAMPLE ?= data/samples/underwriting/02_high_risk_referral.json

export LANGGRAPH_CLI_NO_ANALYTICS := 1
export LANGGRAPH_NO_VERSION_CHECK := true

.PHONY: run test browser browser-if-possible docs-handoffs bench bench-quality bench-clause-model clause-model-data bench-triage bench-invoices bench-supply bench-late lint typecheck pytest lock clean

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

# The suite in parallel, then on its own what restarts the PostgreSQL server the others use.
pytest: $(VENV)/.dev-installed browser-if-possible
	$(BIN)/pytest
	$(BIN)/pytest -n 0 -m alone

# Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver) for the browser
# tests in tests/browser, through apt-get and only when one is missing (quick when both are there).
# Nothing is downloaded at run time: the tests drive these binaries, never a browser of their own.
# Needs root and apt-get; `make browser` fails without them, `make test` warns and goes on (the
# browser tests then skip, saying why).
BROWSER_PACKAGES := chromium chromium-driver

browser:
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then \
		exit 0; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
		echo "make browser: apt-get is not available to install $(BROWSER_PACKAGES)" >&2; exit 1; \
	elif [ "$$(id -u)" -ne 0 ]; then \
		echo "make browser: installing $(BROWSER_PACKAGES) with apt-get needs root" >&2; exit 1; \
	else \
		echo "make browser: installing $(BROWSER_PACKAGES) with apt-get"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq \
		&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(BROWSER_PACKAGES) >/dev/null \
		&& command -v chromium >/dev/null && command -v chromedriver >/dev/null; \
	fi

# The test setup's step: `make browser`, but a warning (never a failure) when it cannot install.
browser-if-possible:
	@$(MAKE) --no-print-directory browser || echo "warning: chromium or chromium-driver is missing and could not be installed (\`make browser\` needs root and apt-get): the browser tests will skip" >&2

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

# The clause rules against the rules with a learned sentence model, on folds of the same set.
bench-clause-model: $(VENV)/.dev-installed
	$(BIN)/python -m bench.contract_clause_model $(CUAD)/contracts $(CUAD)/master_clauses.csv

# Remakes the clause model's shipped files from the set: its training sentences and decisions.
clause-model-data: $(VENV)/.dev-installed
	$(BIN)/python -m bench.contract_clause_model $(CUAD)/contracts $(CUAD)/master_clauses.csv \
		--export data/contract_review/cuad/clause_sentences.csv.gz --leave-out data/samples/contract_review \
		--choose data/contract_review/clause_model.yaml

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
