"""The commands README.md and docs/*.md show, run in place by Sybil: each sh block with its expected exit code and
key lines, declared in the HTML comment just above it (invisible on the rendered page).

    <!-- journey: exit=0 timeout=120 with=myapp
    gate: passed
    -->
    ```sh
    parity check --workload parity-workload.toml --out reports/parity && parity gate reports/parity --policy ...
    ```

Arguments: `exit` (default 0; `exit=0,1` only where a race the page names decides), `timeout` in seconds (default
120), `with=` what the block's folder holds first (a folder of tests/journey_app: `myapp`, the reader's app,
`my_pkg`, the reader's saver; `examples` or `compat` of this checkout and its pyproject.toml (pytest's settings),
for pages that speak from one; `wheel`: the built wheel, and a fresh venv whose bin/ leads PATH for the rest of the
page), `long` (runs in CI's longer job, .ci/journeys.sh, not in `make test`), `as="..."` (a faster equivalent that
runs in place of the shown command wherever the block runs, printed with the test's output: for a command longer
than CI's budget; `long` says where a block runs, `as` what), `skip="reason"`, and `file=PATH` (a block of any
language is written to PATH in the page's folder, for the blocks after it). Each body line is a regular expression
that must match a line of the output (stdout and stderr), in that order. An sh block without a journey comment
fails: a synopsis or a placeholder is fenced as `text`, not `sh`.

Every page runs in its own temporary folder (its blocks share it, as a reader's terminal does), with its own user
cache; nothing is written into the checkout. PARITY_JOURNEYS=all (CI's longer job) runs the long blocks too.
"""

from __future__ import annotations

import atexit
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sybil import Document, Example, Region
from sybil.parsers.markdown.lexers import DirectiveInHTMLCommentLexer, FencedCodeBlockLexer

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "tests" / "journey_app"
SHELLS = r"sh|bash|shell|console"
CHECKOUT = ("examples", "compat", "pyproject.toml")  # for pages that speak from a checkout of this repository
LEAKY_ENV = ("PYTHONPATH", "VIRTUAL_ENV", "PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_CURRENT_TEST")
_WHEELS: list[Path] = []  # built once per session, only when a block asks for the wheel


@dataclass
class Journey:
    """What one sh block must do: its exit code and key lines, within a time, in a folder holding `with`."""
    exit: tuple[int, ...] = (0,)  # more than one only where the outcome is a race the page names
    timeout: float = 120
    with_: tuple[str, ...] = ()
    long: bool = False
    as_: str | None = None
    skip: str | None = None
    file: str | None = None
    lines: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, arguments: str, body: str) -> "Journey":
        journey = cls(lines=[line.strip() for line in body.splitlines() if line.strip()])
        for word in shlex.split(arguments):
            key, _, value = word.partition("=")
            if key == "exit":
                journey.exit = tuple(int(code) for code in value.split(","))
            elif key == "timeout":
                journey.timeout = float(value)
            elif key == "with":
                journey.with_ = tuple(value.split(","))
            elif key == "long":
                journey.long = True
            elif key == "as":
                journey.as_ = value
            elif key == "skip":
                journey.skip = value
            elif key == "file":
                journey.file = value
            else:
                raise ValueError(f"journey comment: unknown argument {word!r} (exit, timeout, with, long, as, skip, "
                                 "file)")
        return journey

    def command(self, shown: str, mode: str) -> str | None:
        """The command this run executes for the block, or None when it belongs to CI's longer job."""
        if self.long and mode != "all":
            return None
        return self.as_ or shown


class JourneyParser:
    """A Sybil parser: every sh block of a page, and any block with a journey comment right above it."""

    def __init__(self) -> None:
        self.comments = DirectiveInHTMLCommentLexer(directive="journey", arguments=".*?")
        self.blocks = FencedCodeBlockLexer(language=r"[\w+-]+")

    def __call__(self, document: Document):
        comments = {_end_of(document.text, c): c for c in self.comments(document)}
        for block in self.blocks(document):
            comment = comments.pop(block.start, None)
            source = str(block.lexemes["source"])
            if comment is None:
                if re.fullmatch(SHELLS, block.lexemes["language"]):
                    yield Region(block.start, block.end, source, _unannotated)
                continue
            journey = Journey.parse(comment.lexemes["arguments"] or "", str(comment.lexemes["source"]))
            if journey.file or re.fullmatch(SHELLS, block.lexemes["language"]):
                yield Region(comment.start, block.end, (journey, source), run_block)
            else:
                yield Region(comment.start, block.end, block.lexemes["language"], _not_a_command)
        for comment in comments.values():
            yield Region(comment.start, comment.end, None, _orphan)


def _end_of(text: str, comment: Region) -> int:
    """Where the sh block that a journey comment annotates starts: after the comment and any blank lines."""
    closing = re.compile(r"-*>?[ \t]*\n(?:[ \t]*\n)*").match(text, comment.end)  # Sybil's end is before the -->
    return closing.end() if closing else comment.end


def _unannotated(example: Example) -> str:
    return (f"an sh block without a journey comment above it: add `<!-- journey: exit=0 -->` (exit code and key "
            f"lines), or fence a synopsis or placeholder as `text`:\n{example.parsed}")


def _not_a_command(example: Example) -> str:
    return (f"a journey comment above a `{example.parsed}` block: only sh blocks run (file=PATH writes a block of "
            "another language for the commands after it)")


def _orphan(example: Example) -> str:
    return "a journey comment with no sh block right below it"


def setup_page(namespace: dict) -> None:
    """A page's own folder and user cache: its blocks build on each other, as in one terminal."""
    work = Path(tempfile.mkdtemp(prefix="parity-journey-"))
    env = {k: v for k, v in os.environ.items() if k not in LEAKY_ENV and not k.startswith("PARITY_")}
    env.update(PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
               XDG_CACHE_HOME=str(work / "cache"), HOME=str(work / "home"), GITHUB_STEP_SUMMARY=str(work / "summary"))
    (work / "home").mkdir()
    namespace.update(journey_work=work / "page", journey_env=env, journey_root=work)
    (work / "page").mkdir()


def teardown_page(namespace: dict) -> None:
    shutil.rmtree(namespace["journey_root"], ignore_errors=True)


def run_block(example: Example) -> str | None:
    journey, shown = example.parsed
    if journey.skip:
        pytest.skip(journey.skip)
    mode = os.environ.get("PARITY_JOURNEYS", "quick")
    command = journey.command(shown, mode)
    if command is None:
        pytest.skip("long: runs in CI's longer job (.ci/journeys.sh, PARITY_JOURNEYS=all)")
    work, env = example.namespace["journey_work"], example.namespace["journey_env"]
    _provide(journey.with_, work, env, example.namespace["journey_root"])
    if journey.file:  # a file the page shows (a workload, a test): written where the page says, for later blocks
        (work / journey.file).parent.mkdir(parents=True, exist_ok=True)
        (work / journey.file).write_text(shown)
        return None
    if command != shown:
        print(f"ran the faster equivalent: {command}")
    code, output = _run(command, work, env, journey.timeout)
    return _judge(journey, code, output, command)


def _provide(needs: tuple[str, ...], work: Path, env: dict, root: Path) -> None:
    for need in needs:
        source = APP / need if (APP / need).is_dir() else ROOT / need if need in CHECKOUT else None
        if source is not None and source.is_dir():
            shutil.copytree(source, work / need, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
        elif source is not None:
            shutil.copy(source, work / need)
        elif need == "wheel":
            for wheel in _wheels():
                shutil.copy(wheel, work)
            venv = root / "venv"
            if not venv.exists():
                subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=300)
                env["PATH"] = os.pathsep.join([str(venv / "bin"), env["PATH"]])
        else:
            raise ValueError(f"journey comment: with={need!r} is none of {sorted(p.name for p in APP.iterdir())}, "
                             f"{', '.join(CHECKOUT)} or wheel")


def _wheels() -> list[Path]:
    """The wheel, built from a copy of the checkout (setuptools writes build/ and *.egg-info where it builds)."""
    if not _WHEELS:
        out = Path(tempfile.mkdtemp(prefix="parity-journey-wheel-"))
        atexit.register(shutil.rmtree, out, ignore_errors=True)
        src = out / "src"
        shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
            ".git", ".venv", "reports", "build", "*.egg-info", "__pycache__", ".hypothesis", ".benchmarks"))
        subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out / "dist"), str(src)],
                       check=True, capture_output=True, timeout=900)
        _WHEELS.extend(sorted((out / "dist").glob("*.whl")))
    return _WHEELS


def _run(command: str, cwd: Path, env: dict, timeout: float) -> tuple[int | None, str]:
    """bash -e: a reader's terminal shows the first failing command; the whole process group stops on timeout."""
    proc = subprocess.Popen(["bash", "-e", "-o", "pipefail", "-c", command], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=timeout)
        return proc.returncode, output
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)  # parity stops its servers on SIGTERM (exit 130)
        try:
            output, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            output, _ = proc.communicate()
        return None, output


def _judge(journey: Journey, code: int | None, output: str, command: str) -> str | None:
    if code is None:
        return f"`{command}` did not finish within {journey.timeout:.0f} s; its output:\n{_tail(output)}"
    if code not in journey.exit:
        says = " or ".join(map(str, journey.exit))
        return f"`{command}` exited {code}, the page says {says}; its output:\n{_tail(output)}"
    lines, at = output.splitlines(), 0
    for wanted in journey.lines:
        found = next((i for i in range(at, len(lines)) if re.search(wanted, lines[i])), None)
        if found is None:
            return f"`{command}` printed no line matching {wanted!r} (after line {at}); its output:\n{_tail(output)}"
        at = found + 1
    return None


def _tail(output: str, keep: int = 60) -> str:
    lines = output.splitlines()
    return "\n".join((["..."] if len(lines) > keep else []) + lines[-keep:])
