"""opsux-lint on real code: is every sink call accounted for, and is the linter right about it?

Usage::

    python benchmarks/corpus_check.py CHECKOUT NAME            # NAME: a directory of benchmarks/corpora/
    python benchmarks/corpus_check.py CHECKOUT NAME --write-config

``benchmarks/corpora/NAME/corpus.yaml`` pins the repository and commit and names the paths to
lint; ``benchmarks/corpora/NAME/opsux.yaml`` maps the project's own convention onto opsux (its
sink calls and argument, and its registry of valid values). ``--write-config`` regenerates that
registry from the project's own definitions in the checkout (see ``REGISTRIES``).

The script writes the config into the checkout's root as ``opsux.yaml`` (module names and
``lint.src`` are relative to the config file's directory) and then:

1. counts, with :mod:`ast` and independently of the linter, every call whose callee's last name
   is a configured sink's last name, plus the calls of forwarding wrappers (a function that passes
   one of its parameters, or ``*args`` / ``**kwargs``, on to the sink's position);
2. runs ``opsux-lint --format json`` (timed, no cache) and takes what it did at each site: from
   ``--coverage`` when the linter has it, else from the library (:func:`linter_sites`, the only
   place that imports ``opsux_lint``);
3. gives every counted call exactly one outcome - verified, OPS001, OPS008 (by reason), not this
   sink, unknown receiver - or calls it *silent*: the linter said nothing about it at all;
4. mutation check: every registry entry that some site uses is renamed in a copy of the config,
   all at once, and one more run must report each (site, entry) use as OPS001.

Test suites are left out unless ``--with-tests`` is given (they feed made-up values to the code
they test). OPS001 findings that were reviewed and are real (the project itself breaks its
convention) are listed in ``corpus.yaml`` under ``known_findings`` with the reason (and calls the
count matches by a last name only that are reviewed to be no sink's, under ``not_sinks``); any other
OPS001 finding is a false positive. The run is made with every rule selected: these code bases do
not use opsux, so any finding of OPS002-OPS007 is a false positive as well.
"""

from __future__ import annotations

import argparse
import ast
import fnmatch
import json
import re
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
CORPORA = HERE / "corpora"

# The outcomes a name-matched call can have; anything else is "silent".
VERIFIED, OPS001, OPS008, NOT_A_SINK, UNKNOWN_RECEIVER = "verified", "OPS001", "OPS008", "not-a-sink", "unknown-receiver"
FORWARDED = "forwarded"  # the call inside a forwarding wrapper: checked at the wrapper's callers
NO_VALUE = "no-value"  # a wrapper called without the argument (its default applies, checked there)
SILENT = "silent"
OUTCOMES = (VERIFIED, OPS001, OPS008, NOT_A_SINK, UNKNOWN_RECEIVER)
GUARDS = frozenset({"OPS002", "OPS003", "OPS004", "OPS005", "OPS006", "OPS007"})
"""The rules about runs, notifications, counts, copy and links: silent on a code base without opsux."""


# ------------------------------------------------------------------------ registries


def _string_constants(body: Iterable[ast.stmt]) -> Iterator[tuple[str, str]]:
    """``NAME = "value"`` statements: (name, value)."""
    for stmt in body:
        if (
            isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
            and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)
        ):
            yield stmt.targets[0].id, stmt.value.value


def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def _netbox_registry(checkout: Path) -> dict[str, str]:
    constants = dict(_string_constants(_parse(checkout / "netbox/core/events.py").body))
    labels: dict[str, str] = {}
    for node in ast.walk(_parse(checkout / "netbox/core/apps.py")):
        # EventType(OBJECT_CREATED, _('Object created')).register()
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "EventType":
            name, label = node.args[0], node.args[1]
            if isinstance(label, ast.Call) and label.args:
                label = label.args[0]
            if isinstance(name, ast.Name) and isinstance(label, ast.Constant) and name.id in constants:
                labels[constants[name.id]] = str(label.value)
    return {value: labels.get(value, value) for value in constants.values()}


def _warehouse_registry(checkout: Path) -> dict[str, str]:
    registry: dict[str, str] = {}
    for outer in _parse(checkout / "warehouse/events/tags.py").body:
        if isinstance(outer, ast.ClassDef) and outer.name == "EventTag":
            for inner in outer.body:
                if isinstance(inner, ast.ClassDef):
                    for name, value in _string_constants(inner.body):
                        registry[value] = f"{inner.name} {name}"
    return registry


def _saleor_registry(checkout: Path) -> dict[str, str]:
    for node in _parse(checkout / "saleor/webhook/event_types.py").body:
        if isinstance(node, ast.ClassDef) and node.name == "WebhookEventAsyncType":
            return {value: name for name, value in _string_constants(node.body)}
    raise SystemExit("saleor/webhook/event_types.py has no class WebhookEventAsyncType")


def _wagtail_registry(checkout: Path) -> dict[str, str]:
    # actions.register_action("wagtail.create", _("Create"), _("Created")), or as a class
    # decorator: @actions.register_action("wagtail.workflow.start") class ...: label = _("...")
    registry: dict[str, str] = {}
    for path in sorted((checkout / "wagtail").rglob("wagtail_hooks.py")):
        if "tests" in path.parts or "test" in path.parts:
            continue
        tree = _parse(path)
        class_labels: dict[int, ast.expr] = {}  # id(decorator call) -> the decorated class's `label = _("...")`
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                label = next((s.value for s in node.body if isinstance(s, ast.Assign)
                              and any(isinstance(t, ast.Name) and t.id == "label" for t in s.targets)), None)
                for decorator in node.decorator_list:
                    if label is not None:
                        class_labels[id(decorator)] = label
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "register_action" and node.args):
                continue
            action = node.args[0]
            if isinstance(action, ast.Constant) and isinstance(action.value, str):
                label = node.args[1] if len(node.args) > 1 else class_labels.get(id(node))
                if isinstance(label, ast.Call) and label.args:
                    label = label.args[0]
                registry[action.value] = str(label.value) if isinstance(label, ast.Constant) else action.value
    return registry


def _inventree_registry(checkout: Path) -> dict[str, str]:
    # class BuildEvents(BaseEventEnum): COMPLETED = 'build.completed' (each app's events.py), and
    # the subclasses of those classes.
    root = checkout / "src/backend/InvenTree"
    classes: dict[str, list[tuple[str, str]]] = {}
    bases: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts or path.name.startswith("test"):
            continue
        for node in _parse(path).body:
            if isinstance(node, ast.ClassDef):
                bases[node.name] = [b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases]
                classes[node.name] = list(_string_constants(node.body))

    def is_event(name: str, seen: frozenset[str] = frozenset()) -> bool:
        return name not in seen and any(b == "BaseEventEnum" or is_event(b, seen | {name}) for b in bases.get(name, []))

    return {value: f"{cls} {member}" for cls in sorted(bases) if is_event(cls) for member, value in classes[cls]}


def _authentik_registry(checkout: Path) -> dict[str, str]:
    # class EventAction(models.TextChoices): LOGIN = "login" (no labels: Django makes them of the name)
    for node in _parse(checkout / "authentik/events/models.py").body:
        if isinstance(node, ast.ClassDef) and node.name == "EventAction":
            return {value: name.replace("_", " ").title() for name, value in _string_constants(node.body)}
    raise SystemExit("authentik/events/models.py has no class EventAction")


def _plane_registry(checkout: Path) -> dict[str, str]:
    # issue_activity(type, ...) looks the activity up in its ACTIVITY_MAPPER = {"issue.activity.created":
    # create_issue_activity, ...}; a type missing there records nothing.
    tree = _parse(checkout / "apps/api/plane/bgtasks/issue_activities_task.py")
    for node in ast.walk(tree):
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict)
                and any(isinstance(t, ast.Name) and t.id == "ACTIVITY_MAPPER" for t in node.targets)):
            return {
                key.value: ast.unparse(value) for key, value in zip(node.value.keys, node.value.values, strict=True)
                if isinstance(key, ast.Constant) and isinstance(key.value, str)
            }
    raise SystemExit("issue_activities_task.py has no ACTIVITY_MAPPER")


REGISTRIES: dict[str, Callable[[Path], dict[str, str]]] = {
    "plane": _plane_registry,
    "netbox": _netbox_registry,
    "warehouse": _warehouse_registry,
    "saleor": _saleor_registry,
    "wagtail": _wagtail_registry,
    "inventree": _inventree_registry,
    "authentik": _authentik_registry,
}


def write_config(checkout: Path, name: str) -> None:
    target = CORPORA / name / "opsux.yaml"
    config = yaml.safe_load(target.read_text(encoding="utf-8"))
    config["operation_types"] = REGISTRIES[name](checkout)
    header = "".join(line for line in target.read_text(encoding="utf-8").splitlines(True) if line.startswith("#"))
    target.write_text(header + yaml.safe_dump(config, sort_keys=False, width=120), encoding="utf-8")
    print(f"wrote {len(config['operation_types'])} registry entries to {target}")


# ------------------------------------------------- the independent count (ast only)


@dataclass(frozen=True)
class Position:
    """Where a sink (or a forwarding wrapper) takes its value: positional index and/or keyword."""

    name: str
    arg: int | None
    keyword: str | None
    wrapper: str | None = None  # "path:line def" for a derived one


@dataclass(frozen=True)
class Call:
    path: str
    line: int
    column: int  # 1-based, in characters
    end_line: int
    end_column: int
    callee: str
    position: Position
    forwarding: bool = False  # inside a wrapper, passing the wrapper's parameter on
    passes_value: bool = True  # False: no argument at the position and no *args / **kwargs

    def contains(self, line: int, column: int) -> bool:
        return (self.line, self.column) <= (line, column) <= (self.end_line, self.end_column)

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class Site:
    """One counted call and what the linter did with it."""

    call: Call
    status: str = SILENT
    reason: str = ""
    values: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)


def discover(checkout: Path, paths: list[str], excludes: list[str]) -> list[Path]:
    """The ``.py`` files under ``paths``, minus directories (``tests/``) and file names
    (``tests.py``, ``test_*.py``) named in ``excludes``."""
    dirs = {e.strip("/") for e in excludes if e.endswith("/")}
    names = [e for e in excludes if not e.endswith("/")]
    files: list[Path] = []
    for entry in paths:
        root = checkout / entry
        for file in sorted(root.rglob("*.py")) if root.is_dir() else [root]:
            parts = file.relative_to(checkout).parts[:-1]
            if (not dirs.intersection(parts) and not any(p.startswith(".") for p in parts)
                    and not any(fnmatch.fnmatch(file.name, n) for n in names)):
                files.append(file)
    return files


def _last_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _argument(call: ast.Call, position: Position) -> ast.expr | None:
    if position.keyword is not None:
        for keyword in call.keywords:
            if keyword.arg == position.keyword:
                return keyword.value
    if position.arg is not None:
        plain = [a for a in call.args if not isinstance(a, ast.Starred)]
        stars = any(isinstance(a, ast.Starred) for a in call.args[: position.arg + 1])
        if not stars and position.arg < len(plain):
            return plain[position.arg]
    return None


_TASK_RUNS = frozenset({"delay", "s", "si", "apply_async"})
"""A Celery task's own methods that run it: ``task.delay(kind)`` is a call of ``task``."""


_MANAGER_CREATES = frozenset({"create", "get_or_create", "update_or_create"})
"""Django's manager methods that make a row: ``Model.objects.create(...)`` is ``Model(...)``."""


def _sink_name(call: ast.Call, positions: dict[str, Position]) -> str | None:
    """The name of the counted sink or wrapper ``call`` runs: its callee's last name, the
    task's of ``task.delay(...)``, or the model's of ``Model.objects.create(...)``."""
    name = _last_name(call.func)
    if name in positions:
        return name
    if isinstance(call.func, ast.Attribute) and name in _TASK_RUNS:
        task = _last_name(call.func.value)
        if task in positions:
            return task
    if isinstance(call.func, ast.Attribute) and name in _MANAGER_CREATES:
        base = call.func.value
        while isinstance(base, ast.Call) and isinstance(base.func, ast.Attribute):
            base = base.func.value
        if isinstance(base, ast.Attribute) and base.attr == "objects" and _last_name(base.value) in positions:
            return _last_name(base.value)
    return None


def _forwarded(function: ast.FunctionDef | ast.AsyncFunctionDef, call: ast.Call, position: Position,
               method: bool) -> tuple[int | None, str | None] | None:
    """If ``call`` hands one of ``function``'s parameters (or its ``*args``/``**kwargs``) to the
    sink position, the position of that value in ``function``'s own calls; else None."""
    params = [*function.args.posonlyargs, *function.args.args]
    names = [p.arg for p in params]
    offset = 1 if method and names and names[0] in ("self", "cls") else 0
    value = _argument(call, position)
    if isinstance(value, ast.Name) and value.id in names:
        index = names.index(value.id)
        return (index - offset if index >= offset else None), value.id
    if isinstance(value, ast.Name) and value.id in {p.arg for p in function.args.kwonlyargs}:
        return None, value.id
    if value is None:
        vararg, kwarg = function.args.vararg, function.args.kwarg
        for arg in call.args:
            if isinstance(arg, ast.Starred) and isinstance(arg.value, ast.Name) and vararg and arg.value.id == vararg.arg:
                before = sum(1 for a in call.args[: call.args.index(arg)] if not isinstance(a, ast.Starred))
                if position.arg is not None and position.arg >= before:
                    return len(names) - offset + position.arg - before, position.keyword
        for keyword in call.keywords:
            if (keyword.arg is None and isinstance(keyword.value, ast.Name) and kwarg
                    and keyword.value.id == kwarg.arg and position.keyword is not None):
                return None, position.keyword
    return None


def _functions(tree: ast.Module) -> Iterator[tuple[ast.FunctionDef | ast.AsyncFunctionDef, bool]]:
    """Every function with whether it is a method (defined directly in a class body)."""
    def walk(node: ast.AST, in_class: bool) -> Iterator[tuple[ast.FunctionDef | ast.AsyncFunctionDef, bool]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield child, in_class
                yield from walk(child, False)
            else:
                yield from walk(child, isinstance(child, ast.ClassDef))
    yield from walk(tree, False)


_BARE_EXCEPT_TUPLE = re.compile(r"^(\s*except\*?\s+)([^():\n]+,[^():\n]+)(\s*(?:as\s+\w+\s*)?:)", re.MULTILINE)


def parse_any(text: str) -> ast.Module | None:
    """``ast.parse``, also for code newer than this interpreter in the one way the corpora are:
    ``except A, B:`` (PEP 758, Python 3.14) is parenthesized first (same lines, so positions of
    calls stay put)."""
    for source in (text, _BARE_EXCEPT_TUPLE.sub(r"\1(\2)\3", text)):
        try:
            return ast.parse(source)
        except (SyntaxError, ValueError):
            continue
    return None


def count_calls(checkout: Path, files: list[Path], sinks: list[Position]) -> tuple[list[Call], list[Position], list[str]]:
    """Every call matched by name: the sinks' last names, then forwarding wrappers to a fixpoint."""
    trees: dict[str, tuple[ast.Module, list[str]]] = {}
    unparsed: list[str] = []
    for file in files:
        text = file.read_bytes().decode("utf-8", errors="replace")
        tree = parse_any(text)
        if tree is None:
            unparsed.append(file.relative_to(checkout).as_posix())
        else:
            trees[file.relative_to(checkout).as_posix()] = (tree, text.splitlines())
    positions = {p.name: p for p in sinks}
    wrappers: list[Position] = []
    # Every function that forwards, including one named like the sink it forwards to
    # (saleor's method ``trigger_webhooks_async(self, *args, **kwargs)``).
    wrapper_defs: set[str | None] = set()
    while True:
        new: list[Position] = []
        for path, (tree, _) in trees.items():
            for function, method in _functions(tree):
                for node in ast.walk(function):
                    if isinstance(node, ast.Call) and (name := _sink_name(node, positions)) is not None:
                        hop = _forwarded(function, node, positions[name], method)
                        if hop is None:
                            continue
                        wrapper_defs.add(f"{path}:{function.lineno}")
                        if function.name not in positions and function.name not in {w.name for w in new}:
                            new.append(Position(function.name, hop[0], hop[1], f"{path}:{function.lineno}"))
        if not new:
            break
        wrappers += new
        positions.update({w.name: w for w in new})
    calls: list[Call] = []
    for path, (tree, lines) in trees.items():
        enclosing: dict[ast.AST, str] = {}
        for function, _ in _functions(tree):
            for node in ast.walk(function):
                enclosing.setdefault(node, f"{path}:{function.lineno}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and (name := _sink_name(node, positions)) is not None:
                position = positions[name]
                packed = _last_name(node.func) == "apply_async" and name != "apply_async"
                calls.append(Call(
                    path=path, line=node.lineno, column=_chars(lines, node.lineno, node.col_offset) + 1,
                    end_line=node.end_lineno or node.lineno,
                    end_column=_chars(lines, node.end_lineno or node.lineno, node.end_col_offset or 0),
                    callee=ast.unparse(node.func), position=position,
                    forwarding=_is_forwarding(node, position, enclosing.get(node), wrapper_defs, tree),
                    passes_value=packed or _argument(node, position) is not None
                    or any(isinstance(a, ast.Starred) for a in node.args)
                    or any(k.arg is None for k in node.keywords),
                ))
    return calls, wrappers, unparsed


def _is_forwarding(node: ast.Call, position: Position, where: str | None, wrapper_defs: set[str | None],
                   tree: ast.Module) -> bool:
    if where not in wrapper_defs:
        return False
    line = int(where.rsplit(":", 1)[1]) if where else 0
    for function, method in _functions(tree):
        if function.lineno == line:
            return _forwarded(function, node, position, method) is not None
    return False


def _chars(lines: list[str], line: int, offset: int) -> int:
    """ast's byte offset as a character offset (the linter counts characters)."""
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return len(text.encode("utf-8")[:offset].decode("utf-8", errors="replace"))


# ---------------------------------------------------------------- what the linter did


def run_cli(checkout: Path, config: Path, paths: list[str], *extra: str) -> tuple[dict[str, Any], float]:
    command = [sys.executable, "-m", "opsux_lint", *paths, "--config", str(config), "--format", "json", *extra]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=checkout, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode == 2:
        raise LinterRefused(done.stderr.strip())
    return json.loads(done.stdout), elapsed


class LinterRefused(Exception):
    """opsux-lint exited 2 (usage or config error): the message is its stderr."""


def coverage_sites(report: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The per-site list of ``opsux-lint --coverage --format json``, wherever the report keeps it."""
    for holder in (report.get("coverage"), report):
        if isinstance(holder, dict):
            for key in ("sites", "coverage"):
                sites = holder.get(key)
                if isinstance(sites, list) and all(isinstance(s, dict) and "status" in s for s in sites):
                    return sites
    return None


def linter_sites(checkout: Path, config: Path, files: list[Path]) -> list[dict[str, Any]]:
    """What the library says at each sink position, in the ``--coverage`` per-site shape.

    The one place that imports ``opsux_lint``: used only when the command has no ``--coverage``.
    Statuses: ``verified``, ``OPS001`` (an unregistered value), ``OPS008`` (cannot be known),
    ``forwarded`` (a wrapper's parameter, checked at its callers). opsux's own positions matched
    by method name (``.start``, ``.label``) come back with ``builtin: True``.
    """
    from opsux_core.policy import load_policy
    from opsux_lint.engine import Linter
    from opsux_lint.registry import builtin_rules
    from opsux_lint.runner import project_index
    from opsux_lint.selection import select_rules

    policy = load_policy(config)
    rules = select_rules(builtin_rules(), ["OPS001", "OPS008"], [])
    linter = Linter(policy, rules, project_index(policy, cache=False))
    builtin = {str(s["call"]) for r in rules if r.id == "OPS001" for s in r.params["sinks"]}
    via = {w.spec.call: w.via for family in linter.wrappers.values() for w in family}

    def root(call: str) -> str:
        seen = set()
        while call in via and call not in seen:
            seen.add(call)
            call = via[call]
        return call

    sites: list[dict[str, Any]] = []
    for file in files:
        for line, column, outcome in linter.sites(file, file.read_bytes()):
            if not outcome.call:
                continue  # comparisons with .operation_type: not calls
            status = OPS001 if outcome.bad else OPS008 if outcome.unknown else VERIFIED
            if status == VERIFIED and outcome.delegated:
                status = FORWARDED
            sites.append({
                "path": file.relative_to(checkout).as_posix(), "line": line, "column": column,
                "callee": outcome.sink, "status": status, "site": outcome.site,
                "reason": "; ".join(u.reason for u in outcome.unknown),
                "values": sorted({v.text for v in outcome.values if v.pattern is None}),
                "builtin": root(outcome.sink) in builtin, "shape_only": outcome.shape_only,
            })
    return sites


_COVERAGE_STATUS = {"unregistered": OPS001, "unverifiable": OPS008, "delegated": FORWARDED}


def _status(raw: object) -> str:
    """A ``--coverage`` status in this script's spelling (``unregistered`` -> ``OPS001``, ``delegated``:
    the value is a wrapper's parameter, checked at the wrapper's callers)."""
    text = str(raw).strip().replace("_", "-").replace(" ", "-").lower()
    if text in _COVERAGE_STATUS:
        return _COVERAGE_STATUS[text]
    return text.upper() if re.fullmatch(r"ops\d{3}", text) else text


def assign(
    calls: list[Call], reported: list[dict[str, Any]], findings: list[dict[str, Any]]
) -> tuple[list[Site], list[dict[str, Any]]]:
    """Give each counted call the linter's outcome: the innermost call that holds the position.
    Also returns the linter's sites that fall in no counted call (the ast count missed them)."""
    by_path: dict[str, list[Site]] = defaultdict(list)
    sites = [Site(call) for call in calls]
    for site in sites:
        by_path[site.call.path].append(site)

    def holder(path: str, line: int, column: int) -> Site | None:
        inside = [s for s in by_path.get(path, []) if s.call.contains(line, column)]
        return max(inside, key=lambda s: (s.call.line, s.call.column), default=None)

    outside: list[dict[str, Any]] = []
    for entry in reported:
        if entry.get("builtin"):
            continue
        site = holder(entry["path"], int(entry["line"]), int(entry["column"]))
        if site is None:
            outside.append(entry)
            continue
        # A finding outranks "verified" when both come from the same call (OPS001 > OPS008 > rest).
        status = _status(entry["status"])
        if status == OPS008 and entry.get("shape_only"):
            # The library knows the value is unknown, but the command reports no OPS008 at a
            # name-matched (shape-only) position: the user sees nothing.
            status = SILENT
            entry = {**entry, "reason": f"not reported (shape-only position): {entry.get('reason', '')}"}
        if _rank(status) >= _rank(site.status):
            site.status, site.reason = status, str(entry.get("reason") or "")
        site.values = sorted({*site.values, *entry.get("values", [])})
    for finding in findings:
        site = holder(finding["path"], finding["line"], finding["column"])
        if site is not None and finding["code"] in (OPS001, OPS008):
            site.messages.append(f"{finding['code']} {finding['message']}")
            if _rank(finding["code"]) >= _rank(site.status):
                site.status = finding["code"]
                if finding["code"] == OPS008:
                    site.reason = site.reason or finding["message"]
    for site in sites:
        if site.call.forwarding and not site.messages and site.status in (SILENT, FORWARDED, OPS008):
            site.status = FORWARDED
        elif not site.call.passes_value and site.status in (SILENT, FORWARDED):
            site.status = NO_VALUE
    return sites, outside


def _rank(status: str) -> int:
    return {SILENT: 0, NOT_A_SINK: 1, UNKNOWN_RECEIVER: 1, FORWARDED: 2, VERIFIED: 3, OPS008: 4, OPS001: 5}.get(status, 1)


def _reason_kind(reason: str) -> str:
    """An OPS008 reason without the expression, so equal reasons group together."""
    return re.sub(r"`[^`]*`|'[^']*'", "…", reason)[:120]


# ------------------------------------------------------------------------------ main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkout", type=Path, help="a checkout of the repository at the pinned commit")
    parser.add_argument("name", choices=sorted(REGISTRIES))
    parser.add_argument("--write-config", action="store_true", help="regenerate the registry from the checkout")
    parser.add_argument("--with-tests", action="store_true", help="also lint the project's test suite")
    parser.add_argument("--list-sites", action="store_true", help="print every counted call and its outcome")
    parser.add_argument("--json", type=Path, help="also write every counted call and its outcome to this file")
    args = parser.parse_args()
    checkout: Path = args.checkout.resolve()
    corpus = yaml.safe_load((CORPORA / args.name / "corpus.yaml").read_text(encoding="utf-8"))
    if args.write_config:
        write_config(checkout, args.name)
        return 0
    config = checkout / "opsux.yaml"
    settings = yaml.safe_load((CORPORA / args.name / "opsux.yaml").read_text(encoding="utf-8"))
    paths: list[str] = list(corpus["paths"])
    if args.with_tests:
        paths += corpus.get("test_paths", [])
    else:
        # Test suites feed deliberately made-up values to the machinery they test.
        settings["lint"]["exclude"] = [*settings["lint"].get("exclude", []), *corpus.get("test_excludes", [])]
    config.write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    known = {(k["path"], int(k["line"])): k["why"] for k in corpus.get("known_findings") or []}
    # Calls the count matches by a last name only (``hmac.new`` for a sink ``Event.new``), by site
    # or by callee, that were reviewed and are no sink's: not counted as sites.
    not_sinks = {(k["path"], int(k["line"])): k["why"] for k in corpus.get("not_sinks") or [] if "path" in k}
    not_sink_callees = {k["callee"]: k["why"] for k in corpus.get("not_sinks") or [] if "callee" in k}

    print(f"== {corpus['repository']} @ {corpus['commit'][:12]}  (paths: {', '.join(paths)})")
    files = discover(checkout, paths, settings["lint"].get("exclude", []))
    sinks = [
        Position(str(s["call"]).rsplit(".", 1)[-1], s.get("arg"), s.get("keyword"))
        for s in settings["lint"]["operation_type_sinks"]
    ]
    calls, wrappers, unparsed = count_calls(checkout, files, sinks)
    if unparsed:
        alternation = "|".join(re.escape(p.name) for p in sinks)
        needle = re.compile(rf"\b(?:{alternation})\s*\(")
        inside = sum(len(needle.findall((checkout / p).read_text(encoding="utf-8", errors="replace"))) for p in unparsed)
        print(f"ast (Python {sys.version_info.major}.{sys.version_info.minor}) could not parse {len(unparsed)} files, "
              f"with {inside} sink-named calls (by regex; not counted): {', '.join(unparsed[:5])}")
    print(f"ast: {len(files)} files, {len(calls)} calls matched by name "
          f"({', '.join(f'{n} {c}' for n, c in Counter(c.position.name for c in calls).most_common())})")
    for wrapper in wrappers:
        print(f"  forwarding wrapper {wrapper.name}(arg={wrapper.arg}, keyword={wrapper.keyword}) at {wrapper.wrapper}")

    try:
        # Every rule on: the code bases do not use opsux, so any finding of the run-convention rules
        # (OPS002-OPS007) is a false positive too.
        report, elapsed = run_cli(checkout, config, paths, "--no-cache", "--coverage", "--select", "OPS")
        reported = coverage_sites(report)
        source = "opsux-lint --coverage"
    except LinterRefused as refused:
        if "coverage" not in str(refused):
            raise SystemExit(f"opsux-lint failed:\n{refused}") from None
        report, elapsed = run_cli(checkout, config, paths, "--no-cache", "--select", "OPS")
        reported = None
    if reported is None:
        reported = linter_sites(checkout, config, files)
        source = "Linter.sites (no --coverage in this opsux-lint)"
    findings = report["findings"]
    print(f"opsux-lint: {report['summary']['files']} files in {elapsed:.2f} s (no cache); "
          f"findings {dict(Counter(f['code'] for f in findings))}; outcomes from {source}")

    sites, outside = assign(calls, reported, findings)
    reviewed_not_sinks = [
        s for s in sites
        if s.status in (SILENT, NOT_A_SINK)
        and ((s.call.path, s.call.line) in not_sinks or s.call.callee in not_sink_callees)
    ]
    counted = [s for s in sites if s.status not in (FORWARDED, NO_VALUE) and s not in reviewed_not_sinks]
    status = Counter(s.status for s in counted)
    total = len(counted)
    forwarding = sum(s.status == FORWARDED for s in sites)
    print(f"calls matched by name: {len(sites)} ({forwarding} forwarding calls inside wrappers, checked at "
          f"their callers; {sum(s.status == NO_VALUE for s in sites)} wrapper calls that pass no value there, the "
          f"default applies; {total} sites)")
    for outcome in (*OUTCOMES, SILENT):
        print(f"  {outcome:17} {status[outcome]:5}")
    if reviewed_not_sinks:
        print(f"  (and {len(reviewed_not_sinks)} calls reviewed to be no sink's, not counted: "
              f"{dict(Counter(s.call.callee for s in reviewed_not_sinks))})")
    verified_share = 100.0 * status[VERIFIED] / total if total else 0.0
    accounted = 100.0 * (status[VERIFIED] + status[OPS001] + status[OPS008]) / total if total else 0.0
    print(f"verified share: {status[VERIFIED]}/{total} = {verified_share:.1f}%; "
          f"verified or reported: {accounted:.1f}%; OPS008: {100.0 * status[OPS008] / total if total else 0:.1f}%")
    reasons = Counter(_reason_kind(s.reason) for s in counted if s.status == OPS008)
    for reason, count in reasons.most_common():
        print(f"  OPS008 x{count}: {reason}")

    ops001 = [f for f in findings if f["code"] == OPS001]
    reviewed = [f for f in ops001 if (f["path"], f["line"]) in known]
    unreviewed = [f for f in ops001 if (f["path"], f["line"]) not in known]
    print(f"OPS001 reviewed (real): {len(reviewed)}")
    for f in reviewed:
        print(f"  {f['path']}:{f['line']}: {f['message']}\n      why: {known[(f['path'], f['line'])]}")
    print(f"OPS001 unreviewed (false positives): {len(unreviewed)}")
    for f in unreviewed:
        print(f"  {f['path']}:{f['line']}: {f['message']}")
    guards = [f for f in findings if f["code"] in GUARDS]
    print(f"run-convention findings (OPS002-OPS007, false positives on code that does not use opsux): {len(guards)}")
    for f in guards:
        print(f"  {f['path']}:{f['line']}: {f['code']} {f['message']}")
    builtin = [e for e in reported if e.get("builtin")]
    if builtin:
        print(f"opsux's own API matched by method name on this code: {len(builtin)} positions "
              f"({dict(Counter(str(e['callee']) for e in builtin))})")
    # Positions the linter decided are no sink (opsux's own API on an unknown receiver, say) need
    # not be in the count; any other position outside it means the ast count missed a sink call.
    elsewhere = Counter(_status(e["status"]) for e in outside if _status(e["status"]) in (NOT_A_SINK, UNKNOWN_RECEIVER))
    if elsewhere:
        print(f"other positions the linter classified: {dict(elsewhere)}")
    missed_by_ast = [e for e in outside if _status(e["status"]) not in (NOT_A_SINK, UNKNOWN_RECEIVER)]
    if missed_by_ast:
        print(f"linter sites in no call the ast count matched: {len(missed_by_ast)} (the count above misses them)")
        for entry in missed_by_ast:
            print(f"  {entry['path']}:{entry['line']}: {entry.get('callee', '')} {entry['status']}")
    silent = [s for s in counted if s.status == SILENT]
    print(f"silent sites (matched by name, no outcome): {len(silent)}")
    for s in silent:
        print(f"  {s.call.where}: {s.call.callee}(...)" + (f"  [{s.reason}]" if s.reason else ""))
    if args.list_sites:
        for s in sites:
            detail = ", ".join(s.values) or s.reason
            print(f"  {s.call.where}  {s.call.callee}  {s.status}  {detail}")
    if args.json:
        args.json.write_text(json.dumps([
            {**vars(s.call), "position": vars(s.call.position), "status": s.status, "reason": s.reason,
             "values": s.values, "messages": s.messages} for s in sites
        ], indent=1), encoding="utf-8")

    lost = mutation_check(checkout, config, paths, sites, settings)
    false_positives = len(unreviewed) + len(guards)
    ok = (not false_positives and not silent and lost == 0 and accounted >= 97.0
          and (100.0 * status[OPS008] / total if total else 0.0) <= 3.0)
    print("RESULT:", "ok" if ok else "NOT OK",
          "(goals: 0 silent, 0 false positives, >= 97% verified or reported, OPS008 <= 3%, mutations all caught)")
    return 0 if ok else 1


def mutation_check(checkout: Path, config: Path, paths: list[str], sites: list[Site],
                   settings: dict[str, Any]) -> int:
    """Rename every registry entry used at a site, all at once: each (site, entry) use must become
    an OPS001 naming the entry. Returns how many uses were missed."""
    registered = set(settings["operation_types"])
    victims = sorted({v for s in sites if s.status not in (FORWARDED, NO_VALUE) for v in s.values} & registered)
    if not victims:
        print("mutation check: skipped (no site resolved to a registry entry)")
        return 0
    mutated = json.loads(json.dumps(settings))
    for victim in victims:
        mutated["operation_types"][f"{victim}x"] = mutated["operation_types"].pop(victim)
    mutated_file = checkout / "opsux.mutated.yaml"
    mutated_file.write_text(yaml.safe_dump(mutated, sort_keys=False), encoding="utf-8")
    try:
        report, _ = run_cli(checkout, mutated_file, paths, "--no-cache")
    finally:
        mutated_file.unlink()
    mutants = [f for f in report["findings"] if f["code"] == OPS001]
    uses = missed = 0
    lost: list[str] = []
    for site in sites:
        if site.status in (FORWARDED, NO_VALUE):
            continue
        for victim in set(site.values) & set(victims):
            uses += 1
            if not any(f["path"] == site.call.path and site.call.contains(f["line"], f["column"])
                       and f"'{victim}'" in f["message"] for f in mutants):
                missed += 1
                lost.append(f"{site.call.where} ({victim})")
    print(f"mutation check: {len(victims)} registry entries in use renamed; {uses - missed}/{uses} "
          f"(site, entry) uses reported as OPS001, {missed} missed")
    for item in lost:
        print(f"  missed: {item}")
    return missed


if __name__ == "__main__":
    raise SystemExit(main())
