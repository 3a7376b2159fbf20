"""--shard K/N: every item in exactly one shard, balanced, the same plan under any hash seed; bad input in one line."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest

from parity import shard
from parity.errors import ParityUsageError

IDS = [f"compat/test_{m}.py::test_{s}[{b}-{f}]" for m in "abcd" for s in range(7) for b in ("memory", "redis", "pg")
       for f in ("sync", "async-selector")]


@pytest.mark.parametrize("count", [1, 2, 3, 5])
def test_count_plan_partitions_the_matrix_evenly(count):
    plan = shard.plan(IDS, count)
    assert set(plan) == set(IDS) and set(plan.values()) <= set(range(1, count + 1))
    sizes = Counter(plan.values())
    assert max(sizes.values()) - min(sizes.values()) <= 1, sizes


def test_items_skipped_at_collection_are_spread_too():
    idle = frozenset(IDS[::3])
    plan = shard.plan(IDS, 3, idle=idle)
    busy = Counter(plan[i] for i in IDS if i not in idle)
    assert max(busy.values()) - min(busy.values()) <= 1, busy


def test_duration_plan_balances_time_not_count():
    weights = {i: (10.0 if n < 6 else 0.1) for n, i in enumerate(IDS)}  # six slow cells, the rest fast
    plan = shard.plan(IDS, 3, weights)
    load = Counter()
    for i, k in plan.items():
        load[k] += weights[i]
    slow = Counter(plan[i] for i in IDS[:6])
    assert sorted(slow.values()) == [2, 2, 2], f"the slow cells must be spread 2/2/2, got {slow}"
    assert max(load.values()) - min(load.values()) <= 0.1 + 1e-9, load


def test_unrecorded_cells_weigh_the_median():
    weights = {i: 1.0 for i in IDS[:10]}
    plan = shard.plan(IDS, 2, weights)
    assert abs(Counter(plan.values())[1] - Counter(plan.values())[2]) <= 1


def test_plan_is_the_same_under_any_python_hash_seed():
    code = ("import json,sys; from parity import shard; ids=json.load(sys.stdin); "
            "print(json.dumps(shard.plan(ids, 3), sort_keys=True))")
    plans = {subprocess.run([sys.executable, "-c", code], input=json.dumps(IDS), capture_output=True, text=True,
                            env={"PYTHONHASHSEED": seed}, check=True).stdout for seed in ("1", "2")}
    assert len(plans) == 1, "the plan must not depend on Python's salted hash()"
    assert json.loads(plans.pop()) == shard.plan(IDS, 3)


def test_fingerprint_changes_with_matrix_count_and_durations():
    base = shard.fingerprint(IDS, 3, None)
    assert base == shard.fingerprint(list(reversed(IDS)), 3, None)
    assert len({base, shard.fingerprint(IDS[:-1], 3, None), shard.fingerprint(IDS, 2, None),
                shard.fingerprint(IDS, 3, {IDS[0]: 1.0})}) == 4


@pytest.mark.parametrize("bad", ["0/3", "4/3", "3", "a/b", "1/0", "-1/2"])
def test_bad_shard_is_one_line(bad):
    with pytest.raises(ParityUsageError, match=r"--shard .*K/N"):
        shard.parse(bad)


def test_parse():
    assert shard.parse("2/3") == shard.Shard(2, 3) and shard.parse(None) is None
    assert str(shard.parse(" 1 / 4 ")) == "1/4"


def test_durations_from_a_results_document(tmp_path):
    (tmp_path / "results.json").write_text(json.dumps({"cells": [
        {"id": "a", "duration_s": 0.5}, {"id": "a", "duration_s": 1.5}, {"id": "b", "duration_s": None}]}))
    assert shard.durations(tmp_path / "results.json") == {"a": 1.5}
    assert shard.load_durations(str(tmp_path)) == tmp_path / "results.json"
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ParityUsageError, match="cannot read"):
        shard.load_durations(str(tmp_path / "bad.json"))


def test_parity_run_refuses_xdist_for_bench_and_faults(capsys):
    from parity.cli import main

    assert main(["run", "--quick", "--out", "/nonexistent/never", "--", "-n", "2"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pytest-xdist (-n) is for the compat matrix only" in err[0], err


def test_plain_pytest_refuses_xdist_on_bench():
    from parity.cli.run import uses_xdist
    from parity.layout import suite

    assert uses_xdist(["-n", "auto"]) and uses_xdist(["-n2"]) and uses_xdist(["--numprocesses=3"])
    assert not uses_xdist(["-n", "0"]) and not uses_xdist(["-k", "x"])
    done = subprocess.run([sys.executable, "-m", "pytest", "bench", "-n", "2", "-q", "-p", "no:cacheprovider"],
                          cwd=suite().root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 4, done.stdout + done.stderr
    assert "pytest-xdist (-n) is for the compat matrix only; bench/ must run in one process" in done.stderr


class _Item:
    """What shard.select reads of a pytest item: its id and markers."""

    def __init__(self, nodeid: str, whole: str | None = None, skip: bool = False):
        self.nodeid = nodeid
        self.marks = ([pytest.mark.parity_whole(whole).mark] if whole else []) + ([pytest.mark.skip.mark] if skip else [])

    def get_closest_marker(self, name):
        return next((m for m in self.marks if m.name == name), None)

    def iter_markers(self, name=None):
        return [m for m in self.marks if name is None or m.name == name]


def test_select_keeps_bench_and_faults_whole_in_the_owner_and_balances_by_durations(tmp_path):
    items = [_Item(i) for i in IDS] + [_Item("bench/test_latency.py::test_put", "bench"),
                                       _Item("faults/test_durability.py::test_kill", "faults")]
    (tmp_path / "results.json").write_text(json.dumps({"cells": [{"id": i, "duration_s": 1.0 + n % 5}
                                                                  for n, i in enumerate(IDS)]}))
    picked, records = [], []
    for k in (1, 2, 3):
        kept, dropped, record = shard.select(items, shard.Shard(k, 3), tmp_path / "results.json")
        assert len(kept) + len(dropped) == len(items)
        picked.append({i.nodeid for i in kept})
        records.append(record)
    whole = {"bench/test_latency.py::test_put", "faults/test_durability.py::test_kill"}
    assert whole <= picked[0] and not (whole & (picked[1] | picked[2])), "bench and faults run whole in shard 1"
    assert set.union(*picked) - whole == set(IDS) and sum(len(p - whole) for p in picked) == len(IDS)
    assert {r["balance"] for r in records} == {"durations"} and len({r["plan"] for r in records}) == 1
    assert records[0]["whole_parts"] == ["bench", "faults"] and [r["whole_parts_here"] for r in records] == \
        [True, False, False]
    assert "bench and faults run whole in shard 1/3 (not here)" in shard.describe(records[1])


def test_durations_recorded_under_the_old_sync_ids_weigh_the_new_ones(tmp_path):
    """Sync cells lost their loop in the id (`[redis-sync-selector]` -> `[redis-sync]`): an older run balances too."""
    import json

    from parity.shard import durations

    path = tmp_path / "results.json"
    path.write_text(json.dumps({"cells": [
        {"id": "compat/a.py::t[redis-sync-selector]", "duration_s": 3.0},
        {"id": "compat/a.py::t[redis-async-selector]", "duration_s": 1.0},
        {"id": "compat/a.py::t[pg-sync-selector-wl]", "duration_s": 2.0}]}))
    assert durations(path) == {"compat/a.py::t[redis-sync]": 3.0, "compat/a.py::t[redis-async-selector]": 1.0,
                               "compat/a.py::t[pg-sync-wl]": 2.0}
