"""Compat scenarios: --parity-quick runs the default event loop only (no uvloop) and leaves out scenarios marked slow."""

import pytest


def pytest_collection_modifyitems(config, items) -> None:
    if not config.getoption("parity_quick"):
        return
    from parity import loops
    from parity.plugin import loop_of

    default = loops.default_loop().name
    extra = {lp.name for lp in loops.platform_loops() if lp.applicable and lp.name != default}  # not-applicable ones stay: they cost nothing and say why
    keep, drop = [], []
    for item in items:
        loop = loop_of(item)
        if item.get_closest_marker("slow") or loop in extra:
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "slow: takes more than a few seconds; left out by --parity-quick")
