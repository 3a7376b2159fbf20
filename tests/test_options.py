"""Options are declared once (parity/options.py): pytest and every `parity` command read the same declaration."""

from __future__ import annotations

import argparse

import pytest

from parity.errors import ParityUsageError
from parity.options import SUITE, Options, add_options, forward, pytest_dest


class _PytestLike:
    """pytest's parser API (getgroup().addoption) over plain argparse, to parse what the CLI forwards."""

    def __init__(self) -> None:
        self.argparse = argparse.ArgumentParser()

    def getgroup(self, *_):
        return self

    def addoption(self, *flags, **kw):
        self.argparse.add_argument(*flags, **kw)


def _cli_parser(command: str):
    if command == "run":
        from parity.cli.run import build_parser
    else:
        from parity.cli.check import build_parser
    return build_parser()


@pytest.mark.parametrize("command", SUITE)
def test_the_cli_forwards_every_option_it_parsed_unchanged(command, tmp_path):
    argv = ["--provider", "embedded", "--redis-url", "redis://127.0.0.1:1/0", "--backend", "memory,redis",
            "--backend", "sqlite", "--parity-saver", "x=m:f", "--loop", "asyncio", "--out", str(tmp_path), "--quick",
            "--repeat", "3", "--profile", "full", "--workload", "a:b", "--timeout", "7.5"]
    args = _cli_parser(command).parse_args(argv)
    pytest_parser = _PytestLike()
    add_options(pytest_parser)
    forwarded = pytest_parser.argparse.parse_args(forward(args, command))
    assert Options.from_values(lambda name: getattr(forwarded, pytest_dest(name))) == Options.from_args(args)
    options = Options.from_args(args)
    assert (options.backends, options.repeat, options.profile, options.cell_timeout_s) == \
        (["memory", "redis", "sqlite"], 3, "full", 7.5), options


@pytest.mark.parametrize("command", SUITE)
def test_every_option_reaches_every_suite_command(command):
    parser = _cli_parser(command)
    flags = {flag for action in parser._actions for flag in action.option_strings}
    missing = [opt.flag for _, opt in Options.declared() if "run" in opt.commands and opt.flag not in flags]
    assert not missing, f"parity {command} lacks {missing}"


@pytest.mark.parametrize("values, says", [({"repeat": 0}, "--repeat 0"), ({"cell_timeout_s": -1.0}, "cannot be negative")])
def test_bad_values_are_refused_in_the_one_validation(values, says):
    with pytest.raises(ParityUsageError, match=says):
        Options.from_values(values.get)


def test_defaults_when_nothing_is_given(monkeypatch):
    monkeypatch.delenv("PARITY_REPEAT", raising=False)
    assert Options.from_values(lambda name: None) == Options()
    assert Options.from_values({"quick": True}.get).profile == "quick"


def test_every_pytest_flag_and_dest_is_namespaced():
    """The plugin loads in a team's repository: a flag or dest of ours must not collide with theirs."""
    for name, opt in Options.declared():
        assert opt.flag.startswith("--parity-") and pytest_dest(name).startswith("parity_"), (name, opt.flag)


def test_a_new_server_family_brings_its_url_option_with_it(monkeypatch):
    """Issue 11: a third family is one new module; its --FAMILY-url comes from the family, not from options.py."""
    from parity import families
    from parity.families.redis import Redis

    class Valkey(Redis):
        name, title, order = "valkey", "Valkey", 5

    known = dict(families._all())
    monkeypatch.setattr(families, "_all", lambda: {**known, "valkey": Valkey()})
    flags = {opt.flag: opt for _, opt in Options.declared("doctor")}
    assert {"--parity-redis-url", "--parity-postgres-url", "--parity-valkey-url"} <= flags.keys()
    assert flags["--parity-valkey-url"].cli == "--valkey-url" and "Valkey" in flags["--parity-valkey-url"].help
    given = {"valkey_url": "redis://127.0.0.1:7/0"}
    assert Options.from_values(given.get).urls == {"valkey": "redis://127.0.0.1:7/0"}
    parser = _cli_parser("run")
    args = parser.parse_args(["--valkey-url", "redis://127.0.0.1:7/0"])
    assert Options.from_args(args).urls == {"valkey": "redis://127.0.0.1:7/0"}, "the CLI takes it and forwards it"
    assert "--parity-valkey-url=redis://127.0.0.1:7/0" in forward(args, "run")
