"""Open report.html in headless Chromium: a screenshot for the reviewer and the DOM for the browser test."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
         # Virtual time lets the page finish its scripts and the load event before the dump or screenshot.
         "--virtual-time-budget=15000"]


def find_browser() -> str | None:
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def chromium(browser: str, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="parity-chromium-") as profile:
        return subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                              text=True, timeout=timeout, env={**os.environ, "LANG": "C.UTF-8"})


def screenshot(html: Path, png: Path, size: str = "1400,3000") -> Path | None:
    """Write png from html; None when no browser is installed (the caller says so)."""
    browser = find_browser()
    if browser is None:
        return None
    chromium(browser, f"--screenshot={png}", f"--window-size={size}", html.resolve().as_uri())
    return png if png.exists() else None
