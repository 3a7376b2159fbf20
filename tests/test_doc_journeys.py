"""The doc journeys' own rules (tests/doc_journeys.py): a page whose command drifts from its exit code or key lines
fails, an sh block nobody annotated fails, and a text block (a synopsis) is left alone."""

from __future__ import annotations

import pytest
from sybil import Document

from tests.doc_journeys import JourneyParser, setup_page, teardown_page

PAGE = '''# A page

<!-- journey: exit=3
^one
^three$
-->
```sh
echo one; echo two; echo three; exit 3
```

```text
parity run [--quick]
```

<!-- journey: file=notes/hello.txt -->
```toml
x = 1
```

<!-- journey: with=myapp
^ok
-->
```sh
cat notes/hello.txt && test -f myapp/graph.py && echo ok
```
'''


def outcomes(text: str) -> list[str | None]:
    document = Document(text, "page.md")
    for region in JourneyParser()(document):
        document.add(region)
    setup_page(document.namespace)
    try:
        return [example.region.evaluator(example) for example in document.examples()]
    finally:
        teardown_page(document.namespace)


def test_a_page_that_holds_passes_and_a_text_block_is_not_run():
    assert outcomes(PAGE) == [None, None, None]


@pytest.mark.parametrize("change, says", [
    (("exit=3", "exit=0"), "exited 3, the page says 0"),
    (("^three$", "^four$"), "no line matching '^four$'"),
    (("^one\n^three$", "^three$\n^one"), "no line matching '^one'"),  # key lines count in their order
    (("<!-- journey: exit=3\n^one\n^three$\n-->\n", ""), "an sh block without a journey comment"),
    (("```sh\necho one", "```text\necho one"), "a journey comment above a `text` block"),
    (("-->\n```sh\necho one", "-->\nWords.\n\n```sh\necho one"), "a journey comment with no sh block"),
])
def test_a_drifted_page_fails_saying_how(change, says):
    failures = [out for out in outcomes(PAGE.replace(*change)) if out]
    assert any(says in out for out in failures), failures


def test_a_block_past_its_time_is_stopped():
    page = "<!-- journey: timeout=1 -->\n```sh\nsleep 30\n```\n"
    [failure] = outcomes(page)
    assert "did not finish within 1 s" in failure
