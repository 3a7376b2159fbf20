"""report.html in a real headless Chromium: every chart renders, no script error, a screenshot worth looking at."""

from __future__ import annotations

import json
import os
import shutil
import re
from pathlib import Path

import pytest

from parity.render import render_all
from parity.render.screenshot import BROWSERS, chromium, find_browser

FIXTURE = Path(__file__).parent / "fixtures" / "sample_results.json"
MIN_SCREENSHOT_BYTES = 20_000  # a blank or unstyled 1400x3000 page compresses to far less


@pytest.fixture(scope="module")
def browser() -> str:
    path = find_browser()
    if path is None:
        pytest.skip(f"no headless browser found (looked for {', '.join(BROWSERS)}); apt-get install -y chromium")
    return path


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report")
    render_all(json.loads(FIXTURE.read_text(encoding="utf-8")), out)
    return out / "report.html"


@pytest.fixture(scope="module")
def dom(browser, report, tmp_path_factory) -> tuple[str, str]:
    done = chromium(browser, "--enable-logging=stderr", "--v=0", "--dump-dom",
                     report.as_uri())
    assert done.returncode == 0, f"chromium exited {done.returncode}: {done.stderr[-2000:]}"
    return done.stdout, done.stderr


def test_no_script_errors(dom):
    html, log = dom
    console = [line for line in log.splitlines() if "CONSOLE" in line]
    assert not [line for line in console if "Uncaught" in line or "Error" in line], f"console errors: {console}"
    root = re.search(r"<html[^>]*>", html).group(0)
    assert "data-js-errors" not in root, f"the page caught script errors: {root}"
    assert "data-console-errors" not in root, f"the page logged console errors: {root}"


def test_every_chart_renders(dom, report):
    html, _ = dom
    expected = report.read_text(encoding="utf-8").count('<div class="chart">')
    rendered = re.search(r'data-charts-rendered="(\d+)"', html)
    assert rendered, "the load marker never ran: the page did not finish loading"
    assert int(rendered.group(1)) == expected, f"expected {expected} charts drawn, got {rendered.group(1)}"
    assert int(re.search(r'data-svgs="(\d+)"', html).group(1)) >= expected, "charts without an SVG"


def test_screenshot(browser, report, tmp_path_factory):
    shot = tmp_path_factory.mktemp("shot") / "report.png"
    done = chromium(browser, f"--screenshot={shot}", "--window-size=1400,3000",
                     report.as_uri())
    assert shot.exists(), f"no screenshot written: {done.stderr[-2000:]}"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", "screenshot is not a PNG"
    assert shot.stat().st_size > MIN_SCREENSHOT_BYTES, f"screenshot only {shot.stat().st_size} bytes: blank page?"
    keep = os.environ.get("PARITY_SCREENSHOT_DIR")  # to look at it: PARITY_SCREENSHOT_DIR=/tmp pytest ...
    if keep:
        shutil.copy(shot, Path(keep) / "parity-report.png")
