"""The workload contract: a graph factory plus a step script, from a Python module or a TOML/JSON file."""

from __future__ import annotations

import copy
import importlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

try:
    import tomllib
except ImportError:  # Python 3.10 (requires-python allows it; tomli is its dependency there)
    import tomli as tomllib  # type: ignore[no-redef]

from parity import layout
from parity.errors import ParityUsageError

DEFAULT_THREAD = "workload"
EXAMPLE = "sales_email_workload.toml"  # the shipped example script that fix hints point to
ACTIONS = ("invoke", "continue", "resume", "update", "get_state", "history", "time_travel")
# Keys a step may carry besides its one action key, per action.
MODIFIERS = {"invoke": set(), "continue": set(), "resume": set(), "update": {"as_node"}, "get_state": {"subgraphs"},
             "history": {"limit"}, "time_travel": {"input"}}
COMMON = {"thread", "label"}


@dataclass(frozen=True)
class Step:
    """One step of a script; `arg` is the action's value (input, resume value, update values, N, ...)."""

    action: str
    arg: Any = None
    thread: str = DEFAULT_THREAD
    as_node: str | None = None
    input: Any = None
    subgraphs: bool = False
    limit: int | None = None
    label: str | None = None

    def name(self, index: int) -> str:
        return f"{index + 1:02d} {self.label or self.action}"


def invoke(input: Any, **kw: Any) -> Step:
    """Run the graph with this input (a dict of state values)."""
    return Step("invoke", input, **kw)


def continue_run(**kw: Any) -> Step:
    """invoke(None): carry on from the thread's latest checkpoint (e.g. after update_state)."""
    return Step("continue", True, **kw)


def resume(value: Any, **kw: Any) -> Step:
    """Answer the pending interrupt(): invoke with Command(resume=value)."""
    return Step("resume", value, **kw)


def update(values: Mapping[str, Any], as_node: str | None = None, **kw: Any) -> Step:
    """graph.update_state(config, values, as_node=as_node)."""
    return Step("update", dict(values), as_node=as_node, **kw)


def get_state(subgraphs: bool = False, **kw: Any) -> Step:
    """Observe graph.get_state(config): values, next, tasks, interrupts, metadata."""
    return Step("get_state", True, subgraphs=subgraphs, **kw)


def history(limit: int | None = None, **kw: Any) -> Step:
    """Observe graph.get_state_history(config): one summary per checkpoint, newest first."""
    return Step("history", True, limit=limit, **kw)


def time_travel(checkpoint: int, input: Any = None, **kw: Any) -> Step:
    """Re-invoke from the Nth checkpoint of the thread's history, oldest first (0 = the input checkpoint;
    negative N counts from the newest), with `input` (default None: continue from there)."""
    return Step("time_travel", checkpoint, input=input, **kw)


@dataclass(frozen=True)
class Workload:
    """A team's own graph and what to do with it.

    name: short id used in test ids and reports. build: factory `build(checkpointer) -> CompiledStateGraph`
    (must compile with the checkpointer it is given). steps: Step objects or step dicts (see parse_step).
    ignore: glob-like paths whose values are legitimately non-deterministic, e.g. "values.draft.created_at";
    '*' matches any run of characters, and a pattern matches any path that ends with it.
    """

    name: str
    build: Callable[[Any], Any]
    steps: tuple[Step, ...]
    ignore: tuple[str, ...] = ()
    description: str = ""
    origin: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        where = self.origin or self.name
        object.__setattr__(self, "steps", tuple(parse_step(s, i, where) for i, s in enumerate(self.steps)))
        object.__setattr__(self, "ignore", tuple(self.ignore))
        if not self.steps:
            raise ParityUsageError(f"workload {where} has no steps", "add at least one invoke step")
        if not callable(self.build):
            raise ParityUsageError(f"workload {where}: build is not callable", "pass build=function(checkpointer)")

    def needs_full_history(self) -> bool:
        return any(s.action in ("history", "time_travel") for s in self.steps)

    def fresh_steps(self) -> list[Step]:
        """Steps with their inputs deep-copied, so no run can leak into the next through a shared dict."""
        return [copy.deepcopy(s) for s in self.steps]


def parse_step(raw: Any, index: int, where: str) -> Step:
    """A Step, or a dict with exactly one action key, e.g. {"resume": "yes"} or {"update": {...}, "as_node": "x"}."""
    if isinstance(raw, Step):
        return raw
    bad = lambda what: ParityUsageError(f"workload {where}: step {index + 1} {what}",  # noqa: E731
                                        f"one of {', '.join(ACTIONS)} per step, see {layout.example(EXAMPLE)}")
    if not isinstance(raw, Mapping):
        raise bad(f"is {type(raw).__name__}, not a table/dict")
    actions = [k for k in raw if k in ACTIONS]
    if len(actions) != 1:
        raise bad(f"has {len(actions)} action keys ({', '.join(actions) or 'none'}) in {sorted(raw)}")
    action = actions[0]
    unknown = set(raw) - {action} - MODIFIERS[action] - COMMON
    if unknown:
        raise bad(f"has unknown keys {sorted(unknown)} for action {action}")
    arg = raw[action]
    if action == "time_travel" and (not isinstance(arg, int) or isinstance(arg, bool)):
        raise bad(f"time_travel must be an integer checkpoint index, got {arg!r}")
    if action == "update" and not isinstance(arg, Mapping):
        raise bad(f"update must be a table of state values, got {arg!r}")
    kw = {k: raw[k] for k in raw if k != action}
    return Step(action, arg, **kw)


_CACHE: dict[str, Workload] = {}


def load(spec: str) -> Workload:
    """A validated Workload from "module:name" (a Workload object, or a callable returning one) or a .toml/.json path."""
    spec = spec.strip()
    if spec not in _CACHE:
        if spec.endswith((".toml", ".json")) or (os.sep in spec and Path(spec).is_file()):
            workload = load_file(Path(spec))
        elif ":" in spec:
            workload = _from_object(spec, _import_target(spec, "workload"))
        else:
            raise ParityUsageError(f"workload {spec!r} is neither module:name nor a .toml/.json file",
                                   "pass --parity-workload mypkg.graphs:my_workload or path/to/script.toml")
        validate(workload)
        _CACHE[spec] = workload
    return _CACHE[spec]


def _from_object(spec: str, obj: Any) -> Workload:
    if callable(obj) and not isinstance(obj, Workload):
        try:
            obj = obj()
        except ParityUsageError:
            raise
        except Exception as exc:
            raise ParityUsageError(f"workload {spec}: calling it raised {type(exc).__name__}: {exc}",
                                   "module:name must name a Workload or a function returning one") from None
    if not isinstance(obj, Workload):
        raise ParityUsageError(f"workload {spec} is a {type(obj).__name__}, not a parity.workloads.Workload",
                               "define name = Workload(name=..., build=..., steps=[...])")
    return obj


def _import_target(target: str, what: str, base: Path | None = None) -> Any:
    """Import module:attr with the current directory (and the script's directory) on sys.path."""
    module_name, _, attr = target.partition(":")
    if not module_name or not attr:
        raise ParityUsageError(f"{what} {target!r} is not module:name", "write it as package.module:attribute")
    for path in filter(None, (str(base) if base else None, os.getcwd())):
        if path not in sys.path:
            sys.path.insert(0, path)
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        dotted = module_name.removesuffix(".py").replace("/", ".").replace("\\", ".").strip(".")
        fix = (f"write the module dotted, importable from {os.getcwd()}, e.g. {dotted}:{attr}"
               if dotted != module_name else f"check the module name and that it is importable from {os.getcwd()} "
               "(run from your project's root, or set PYTHONPATH)")
        raise ParityUsageError(f"{what} {target}: module {module_name!r} does not import "
                               f"({type(exc).__name__}: {str(exc)[:200]})", fix) from None
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ParityUsageError(f"{what} {target}: module {module_name!r} has no attribute {attr!r}",
                               "check the name after the colon") from None


def load_file(path: Path) -> Workload:
    """A workload from TOML or JSON: factory = "module:function", name, description, ignore, [[steps]]."""
    if not path.is_file():
        raise layout.missing_relative(path, "workload file", EXAMPLE)
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ParityUsageError(f"workload file {path} does not parse: {exc}",
                               f"fix the syntax (see {layout.example(EXAMPLE)})") from None
    if not isinstance(data, dict):
        raise ParityUsageError(f"workload file {path} is not a table/object", f"see {layout.example(EXAMPLE)}")
    unknown = set(data) - {"name", "factory", "description", "ignore", "steps"}
    if unknown or "factory" not in data or not isinstance(data.get("steps"), list):
        raise ParityUsageError(f"workload file {path} needs factory = \"module:function\" and [[steps]]"
                               + (f"; unknown keys {sorted(unknown)}" if unknown else ""),
                               f"see {layout.example(EXAMPLE)}")
    build = _import_target(str(data["factory"]), f"factory of {path}", base=path.parent.resolve())
    return Workload(name=str(data.get("name") or path.stem), build=build, steps=tuple(data["steps"]),
                    ignore=tuple(data.get("ignore", ())), description=str(data.get("description", "")),
                    origin=str(path))


def validate(workload: Workload) -> None:
    """The factory must return a compiled graph that uses the checkpointer it was given."""
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.pregel import Pregel

    saver = InMemorySaver()
    where = workload.origin or workload.name
    try:
        app = workload.build(saver)
    except Exception as exc:
        raise ParityUsageError(f"workload {where}: build(checkpointer) raised {type(exc).__name__}: {str(exc)[:200]}",
                               "the factory must build and compile the graph") from None
    if not isinstance(app, Pregel):
        raise ParityUsageError(f"workload {where}: build(checkpointer) returned {type(app).__name__}, "
                               "not a compiled graph", "return builder.compile(checkpointer=checkpointer)")
    if app.checkpointer is not saver:
        raise ParityUsageError(f"workload {where}: the compiled graph does not use the checkpointer it was given",
                               "return builder.compile(checkpointer=checkpointer)")
