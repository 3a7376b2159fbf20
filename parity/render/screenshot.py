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
    """Run the browser in a session of its own and stop that whole group however we leave (Ctrl-C included):
    Chromium's helper processes would otherwise outlive it, writing into a profile dir being removed."""
    with tempfile.TemporaryDirectory(prefix="parity-chromium-", ignore_cleanup_errors=True) as profile:
        # TMPDIR inside the profile: Chromium's singleton socket folder (org.chromium.Chromium.XXXXXX) goes with it,
        # also when the browser is killed (on a timeout or Ctrl-C) before it could remove that folder itself.
        env = {**os.environ, "LANG": "C.UTF-8", "TMPDIR": profile}
        proc = subprocess.Popen([browser, *FLAGS, f"--user-data-dir={profile}", *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env, start_new_session=os.name == "posix")
        try:
            out, err = proc.communicate(timeout=timeout)
        except BaseException:
            _stop_group(proc)
            raise
        _stop_group(proc)  # helpers left behind by a browser that exited
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _stop_group(proc: subprocess.Popen) -> None:
    import signal

    try:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def screenshot(html: Path, png: Path, size: str = "1400,3000") -> Path | None:
    """Write png from html; None when no browser is installed (the caller says so)."""
    browser = find_browser()
    if browser is None:
        return None
    chromium(browser, f"--screenshot={png}", f"--window-size={size}", html.resolve().as_uri())
    return png if png.exists() else None
