"""The corpus of real results documents (`make results-corpus`): every shape a run writes, made by the suite's own
commands on embedded servers, gzipped into tests/fixtures/results_corpus/ with a manifest saying how. Never edit them
by hand: change the commands here and regenerate.

    python -m tests.results_corpus [--only NAME ...]     (from the repository root, with the venv's python)

Every document records the commit it was made at, and `parity merge` refuses runs of different commits: make the
whole corpus from one commit (commit first; do not commit while it runs).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import operator
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Callable, TypedDict

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "fixtures" / "results_corpus"
MANIFEST = CORPUS / "manifest.json"
PARITY = [sys.executable, "-m", "parity.cli"]
NO_HISTORY = ["--history", "none"]  # the corpus runs are not this checkout's regression history

# A subset of each part keeps the corpus small and quick to make; the document's shape is the same as a whole run's.
COMPAT = ["-k", "test_invoke_and_resume or test_state_history"]
FAULTS = ["-k", "test_durability or test_ttl_expiry or test_server_stopped_mid_run"]


def schema_hash() -> str:
    """The schema as validation uses it: the file with the sections and claims declared in Python filled in."""
    from parity.results_schema import schema

    return hashlib.sha256(json.dumps(schema(), sort_keys=True).encode()).hexdigest()[:16]


class State(TypedDict):
    items: Annotated[list, operator.add]


def app_traffic(saver, threads: int = 4) -> None:
    """An app's traffic: a graph that pauses at an interrupt (pending writes); half the threads resumed."""
    from langgraph.graph import END, START, StateGraph
    from langgraph.types import Command, interrupt

    g = StateGraph(State)
    g.add_node("a", lambda s: {"items": ["a"]})
    g.add_node("b", lambda s: {"items": [f"b:{interrupt('ok?')}"]})
    g.add_edge(START, "a")
    g.add_edge("a", "b")
    g.add_edge("b", END)
    graph = g.compile(checkpointer=saver)
    for t in range(threads):
        cfg = {"configurable": {"thread_id": f"thread-{t}"}}
        graph.invoke({"items": ["x"]}, cfg)
        if t % 2 == 0:
            graph.invoke(Command(resume="yes"), cfg)
        graph.get_state(cfg)
        list(graph.get_state_history(cfg))


def _parity(*args: str) -> None:
    print("$ parity " + " ".join(args), flush=True)
    done = subprocess.run(PARITY + list(args), cwd=ROOT)
    if done.returncode not in (0, 1):  # 1: the run found something (a finding, a failed cell): still a real document
        raise SystemExit(f"results_corpus: `parity {' '.join(args)}` exited {done.returncode}")


def _run(*args: str) -> Callable[[Path], list[str]]:
    def make(out: Path) -> list[str]:
        _parity("run", *args, *NO_HISTORY, "--out", str(out))
        return ["parity run", *args]
    return make


def _check(out: Path) -> list[str]:
    args = ["check", "--workload", "parity.workloads.demo:sales_email", "--quick", "--out", str(out)]
    _parity(*args)
    return ["parity", *args[:-2]]


def _shadow(out: Path) -> list[str]:
    """A ShadowSaver recording (in-memory primary, SQLite candidate) summarised as a team would."""
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.checkpoint.sqlite import SqliteSaver

    from parity.shadow import ShadowSaver

    recording = out / "recording"
    with sqlite3.connect(":memory:", check_same_thread=False) as conn:
        with ShadowSaver(InMemorySaver(), SqliteSaver(conn), out_dir=recording, read_fraction=1.0, seed=1) as shadow:
            app_traffic(shadow)
            shadow.flush(30)
    _parity("shadow", "summarize", str(recording), "--out", str(out))
    shutil.rmtree(recording)
    return ["ShadowSaver(InMemorySaver, SqliteSaver) over tests.results_corpus.app_traffic", "parity shadow summarize"]


def _replay(out: Path) -> list[str]:
    """An app's SQLite store replayed into every built-in target (the suite's embedded servers)."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    source = out.parent / f"{out.name}-app.sqlite"
    with sqlite3.connect(source, check_same_thread=False) as conn:
        app_traffic(SqliteSaver(conn))
    args = ["replay", "--from", f"sqlite:///{source}", "--backend", "memory,sqlite,redis,postgres"]
    _parity(*args, "--out", str(out))
    source.unlink()
    return ["parity", *args[:2], "sqlite:///app.sqlite (tests.results_corpus.app_traffic)", *args[3:]]


def _calibration(out: Path) -> list[str]:
    """A small real calibration (SQLite's put doubled; no servers): the document `parity calibrate` writes."""
    args = ["calibrate", "--target", "sqlite", "--methods", "put", "--shares", "1.0", "--same-code", "1", "-k",
            "test_core_ops_defaults and not async", "--out", str(out), "--", "--backend", "memory,sqlite"]
    _parity(*args)
    return ["parity", *args[:11], *args[13:]]


def _merged(out: Path, made: dict[str, Path]) -> list[str]:
    """Parts run separately, merged as a team merges shards and platforms."""
    parts = ["compat-quick", "faults-quick", "bench-quick-a"]
    _parity("merge", *(str(made[p]) for p in parts), "--out", str(out))
    return ["parity merge", *parts]


# name -> how it is made; two of a kind where a pair of the same code is what a consumer compares.
SHAPES: dict[str, Callable[[Path], list[str]]] = {
    "bench-quick-a": _run("--only", "bench", "--quick"),
    "bench-quick-b": _run("--only", "bench", "--quick"),
    # A calibration run (parity calibrate): the headline cell with Redis's put 30% slower on the client.
    # The standard and full profiles' own shapes (repeat target 5%, three repeats and workers, larger sweeps, async
    # durability pairs) on one durability pair each: the whole runs take an hour and hours on 2 busy cores (the standard headline
    # cell alone took 30 min at load 20).
    "bench-standard": _run("--only", "bench", "--profile", "standard", "-k",
                           "test_durability_pairs and selector and strict"),
    "bench-full": _run("--only", "bench", "--profile", "full", "-k", "test_durability_pairs and not async and strict"),
    "bench-slowed": _run("--only", "bench", "--quick", "-k", "test_core_ops_defaults", "--slowdown", "redis:put=0.3"),
    "calibration": _calibration,
    "compat-quick": _run("--only", "compat", "--quick", *COMPAT),
    "faults-quick": _run("--only", "faults", "--quick", *FAULTS),
    "check": _check,
    "shadow-a": _shadow,
    "shadow-b": _shadow,
    "replay-a": _replay,
    "replay-b": _replay,
}
DERIVED = {"merged": _merged}  # made from the runs above
# Shapes a real run writes that the corpus does not hold yet, and why (tests/test_results_corpus.py prints them).
MISSING: dict[str, str] = {}


def store(name: str, made: Path, how: list[str], seconds: float) -> dict:
    raw = (made / "results.json").read_bytes()
    path = CORPUS / f"{name}.json.gz"
    path.write_bytes(gzip.compress(raw, 9, mtime=0))
    return {"file": path.name, "made_by": how, "seconds": round(seconds), "load_avg": round(os.getloadavg()[0], 2),
            "bytes": len(raw)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", nargs="+", choices=sorted({*SHAPES, *DERIVED}), help="regenerate only these")
    args = p.parse_args(argv)
    CORPUS.mkdir(parents=True, exist_ok=True)
    manifest = json.loads(MANIFEST.read_text()) if MANIFEST.exists() and args.only else {"documents": {}}
    wanted = args.only or [*SHAPES, *DERIVED]
    with tempfile.TemporaryDirectory(prefix="parity-corpus-") as tmp:
        made: dict[str, Path] = {}
        for name in wanted:
            out, start = Path(tmp) / name, time.monotonic()
            if name in DERIVED:
                for need in ("compat-quick", "faults-quick", "bench-quick-a"):
                    made.setdefault(need, _unpacked(need, Path(tmp)))
                how = DERIVED[name](out, made)
            else:
                how = SHAPES[name](out)
            made[name] = out
            manifest["documents"][name] = store(name, out, how, time.monotonic() - start)
            print(f"results_corpus: {name} stored ({manifest['documents'][name]['bytes']} bytes)", flush=True)
    if MANIFEST.exists() and args.only:  # another generator may have stored documents meanwhile: keep them
        manifest["documents"] = {**json.loads(MANIFEST.read_text())["documents"],
                                 **{name: manifest["documents"][name] for name in wanted}}
    manifest.update(schema_sha256_16=schema_hash(), made=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    missing=MISSING)
    MANIFEST.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return 0


def _unpacked(name: str, tmp: Path) -> Path:
    """A stored document back in a run directory of its own (for the derived shapes when it was not remade)."""
    out = tmp / name
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_bytes(gzip.decompress((CORPUS / f"{name}.json.gz").read_bytes()))
    return out


if __name__ == "__main__":
    sys.exit(main())
