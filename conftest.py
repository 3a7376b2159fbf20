"""Root conftest: the suite itself is the `parity` pytest plugin (entry point pytest11); here only the doc journeys:
Sybil runs the sh blocks of README.md and docs/*.md in place (`pytest README.md docs`, part of `make test`)."""

from sybil import Sybil

from tests.doc_journeys import JourneyParser, setup_page, teardown_page

pytest_collect_file = Sybil(parsers=[JourneyParser()], patterns=["README.md", "docs/*.md"],
                            excludes=["*/README.md", "*/*/*.md"],
                            setup=setup_page, teardown=teardown_page).pytest()
