"""Every relative Markdown link in README.md and docs/*.md points to a file that exists: the README sends a newcomer to
docs/ pages, and a page moved or renamed must not leave a dead link behind."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)


def relative_links(text: str) -> list[str]:
    text = FENCE.sub("", text)  # links inside code blocks are code, not links
    text = re.sub(r"`[^`\n]*`", "", text)
    found = []
    for target in LINK.findall(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("#"):
            continue  # http(s), mailto: and in-page anchors are not files
        found.append(target.split("#", 1)[0])
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page):
    dead = [t for t in relative_links(page.read_text(encoding="utf-8")) if not (page.parent / t).exists()]
    assert not dead, f"{page.relative_to(ROOT)} links to missing files: {dead}"


def test_the_link_finder_sees_links_and_skips_code():
    text = ("see [a](docs/a.md#x) and ![img](b.png), [web](https://x.org), [here](#top)\n"
            "```sh\n[c](c.md)\n```\n`[d](d.md)`")
    assert relative_links(text) == ["docs/a.md", "b.png"]


def test_the_readme_links_every_docs_page():
    """A page under docs/ that the README does not reach (directly or through another page) is lost to a newcomer."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    reached = {(ROOT / t).resolve() for t in relative_links(readme)}
    missing = [p.name for p in PAGES[1:] if p.resolve() not in reached]
    assert not missing, f"README.md links no page for: {missing}"
