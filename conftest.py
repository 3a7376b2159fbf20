"""Root conftest: the suite itself is the `parity` pytest plugin (entry point pytest11); here only the doc journeys:
Sybil runs the sh blocks of README.md and docs/*.md in place (`pytest README.md docs`, part of `make test`)."""

try:
    from sybil import Sybil
except ImportError:  # the dev extra's: a checkout without it still runs `pytest compat` and the like
    Sybil = None

if Sybil is not None:
    from tests.doc_journeys import JourneyParser, setup_page, teardown_page

    pytest_collect_file = Sybil(parsers=[JourneyParser()], patterns=["README.md", "docs/*.md"],
                                excludes=["*/README.md", "*/*/*.md"],  # only the top README and docs/ itself
                                setup=setup_page, teardown=teardown_page).pytest()
