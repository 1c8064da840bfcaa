# make demo   set everything up, then render the sample applicants into build/
# make test   set everything up, then run the tests
# make test-fast  the same set-up, then only the quick tests: no LibreOffice, no browser, nothing slow
# make bench  set everything up, then run the benchmarks
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FORMGEN_TODAY ?= 2026-11-23

.PHONY: demo test test-fast bench setup system lint clean messages messages-update

setup: $(STAMP)

system:
	WITH_BROWSER=1 bash scripts/setup-system.sh

$(STAMP): pyproject.toml scripts/setup-system.sh formgen/fonts.toml tests/vc-verifier/package-lock.json
	$(MAKE) --no-print-directory system
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	cd tests/vc-verifier && npm ci --no-audit --no-fund --loglevel=error
	touch $(STAMP)

messages: $(STAMP)
	@if [ -d formgen/locale ]; then $(BIN)/pybabel compile -d formgen/locale -D messages 2>/dev/null; fi

demo: setup messages
	$(BIN)/formgen check
	$(BIN)/formgen validate data/applicants.yaml
	$(BIN)/formgen validate data/applicants.xlsx
	$(BIN)/formgen render data/applicants.yaml --out build/forms --format both
	$(BIN)/formgen pack data/applicants.xlsx --out build/packs
	$(BIN)/formgen certificates data/applicants.yaml --out build/certificates --register build/register.sqlite --init-register --verify-url http://localhost:8000
	@echo "Done: forms in build/forms, packs in build/packs, certificates in build/certificates"

# The tests run in as many processes as there are cores (pytest-xdist), a file's tests in one
# process so that its costly fixtures (LibreOffice conversions) are made once.
test: setup messages
	$(BIN)/pytest -q -n auto --dist loadfile

test-fast: setup messages
	$(BIN)/pytest -q -n auto -m "not needs_office and not browser and not slow"

# Every benchmark runs and reports its figures, even after one has missed its target (its
# exit status says so); the run fails at the end, naming those that missed. Ctrl-C stops it.
bench: setup messages
	@failed=""; \
	for script in bench/bench_*.py; do \
	  echo "== $$script"; \
	  $(BIN)/python $$script; status=$$?; \
	  if [ $$status -eq 130 ]; then exit 130; fi; \
	  if [ $$status -ne 0 ]; then echo "== $$script: exit status $$status"; failed="$$failed $$script"; fi; \
	done; \
	if [ -n "$$failed" ]; then echo "== benchmarks that missed their target or failed:$$failed" >&2; exit 1; fi; \
	echo "== every benchmark met its target"

lint: setup
	$(BIN)/ruff check formgen tests
	$(BIN)/mypy formgen
	$(BIN)/lint-imports

clean:
	rm -rf build

# After adding a message id (see formgen/messages.py): new ids arrive in both catalogues
# with empty texts to fill in; ids no code uses any more are dropped.
messages-update: $(STAMP)
	$(BIN)/pybabel extract -F formgen/locale/babel.cfg -k tr -k msg --no-location --sort-output -w 100 \
	  --project=formgen --version=0.1.0 --header-comment="# Messages of formgen (template)." \
	  -o formgen/locale/messages.pot .
	$(BIN)/pybabel update -i formgen/locale/messages.pot -d formgen/locale -D messages -w 100 --ignore-obsolete
