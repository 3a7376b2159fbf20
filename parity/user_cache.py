"""What the suite keeps between runs, outside every run's folder: $XDG_CACHE_HOME (or ~/.cache)/checkpoint-parity/.

A run writes only into its own folder (`--out`, or ./reports/<run-id>/ when none is given). What must outlive it
goes here: the run history behind the report's trend (`--history PATH` moves it), the Hypothesis example database
(`--hypothesis-db`) and Hypothesis's own files, and pytest-benchmark's storage.
"""

from __future__ import annotations

import os
from pathlib import Path


def root() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "checkpoint-parity"


def history() -> Path:
    """The run history (one line per run) that `parity run` appends to unless --history says otherwise."""
    return root() / "history.jsonl"


def hypothesis_db() -> Path:
    """Generated failures, replayed first in the next run (--hypothesis-db)."""
    return root() / "hypothesis"


def hypothesis_home() -> Path:
    """Hypothesis's own files (constants, unicode tables), which it would otherwise put in ./.hypothesis."""
    return root() / "hypothesis-home"


def benchmarks() -> Path:
    """pytest-benchmark's storage, which it would otherwise create as ./.benchmarks."""
    return root() / "benchmarks"


def keep_out_of_cwd(pytest_args: list[str]) -> list[str]:
    """Point Hypothesis and pytest-benchmark at the user cache (both default to the current folder), unless the
    user gave their own place: the pytest arguments to add, and HYPOTHESIS_STORAGE_DIRECTORY set for this process."""
    if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = str(hypothesis_home())
        import sys

        if "hypothesis" in sys.modules:  # already imported in this process: it reads the variable lazily, but say so
            from hypothesis.configuration import set_hypothesis_home_dir

            set_hypothesis_home_dir(hypothesis_home())
    given = any(a == "--benchmark-storage" or a.startswith("--benchmark-storage=") for a in pytest_args)
    return [] if given else [f"--benchmark-storage=file://{benchmarks()}"]
