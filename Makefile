# Two commands on a fresh machine: `make report` (the main job) and `make test` (the tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: report test venv clean browser docker langgraph-tests-venv results-corpus

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

report: $(STAMP)
	$(BIN)/parity doctor
	$(BIN)/parity run

# The report is checked in Debian's Chromium; install it when missing and we may (root + apt), else the
# browser test skips with that reason.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get install -y -qq chromium >/dev/null 2>&1 || (apt-get update -qq >/dev/null 2>&1 && \
	   apt-get install -y -qq chromium >/dev/null 2>&1)) || echo "note: chromium not installed; browser test will skip"; }

# The Testcontainers tests start a private Docker engine: install Debian's docker.io (and debootstrap, for the
# stand-in images) when missing and we may (root + apt), else those tests skip with that reason.
docker:
	@{ command -v dockerd >/dev/null 2>&1 && command -v debootstrap >/dev/null 2>&1; } || { [ "$$(id -u)" = 0 ] && \
	  command -v apt-get >/dev/null 2>&1 && (apt-get install -y -qq docker.io debootstrap >/dev/null 2>&1 || \
	  (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq docker.io debootstrap >/dev/null 2>&1)) || \
	  echo "note: docker.io not installed; the Testcontainers tests will skip"; }

# LangGraph's own tests (`parity langgraph-tests`) need the sdist of the installed langgraph and a venv of their own
# dependency group, cached per langgraph version in the user cache: made once (2-4 min: pip download and install),
# then a no-op. Without them tests/test_langgraph_tests.py's real run skips, saying so.
langgraph-tests-venv: $(STAMP)
	@$(BIN)/parity langgraph-tests --prepare --install-test-deps || \
	  echo "note: LangGraph's tests or their venv could not be prepared; their real run in make test will skip"

# README.md and docs/ are tests too: Sybil runs their sh blocks in place (tests/doc_journeys.py; the long ones in
# CI's longer job, .ci/journeys.sh). The tests run with a TMPDIR of their own (tests/litter.py): a file, a folder or
# a process they leave there turns the run red, by name; a green run's folder is removed.
test: $(STAMP) browser docker langgraph-tests-venv
	$(BIN)/python -m tests.litter $(BIN)/python -m pytest tests README.md docs -q -p no:cacheprovider --durations=25 \
	  -m "not ci_long"

# The real results documents that tests/test_results_corpus.py runs every consumer on: remade by the suite's own
# commands (tests/results_corpus.py) when the schema changes, never edited by hand. Takes 60-100 min on a busy
# 2-vCPU machine (three quick benchmark runs, one standard and one full benchmark cell).
results-corpus: $(STAMP)
	$(BIN)/python -m tests.results_corpus

clean:
	rm -rf $(VENV) build *.egg-info
