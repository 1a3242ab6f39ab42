"""Calls that are handed a callable and run it, with arguments the same call gives.

``executor.submit(emit, "inventory.sync")``, ``loop.call_later(5, emit, kind)``,
``Thread(target=emit, args=(kind,))``, ``emit.delay(kind)`` (a Celery or Dramatiq task),
``emit.apply_async(args=(kind,))``, ``map(emit, kinds)``: the callable runs with those values as
surely as ``emit(kind)`` does. The conventions are those of the standard library (threads,
executors, asyncio's loop, ``map``), of the task queues (Celery, RQ, Dramatiq, django-q,
Starlette's background tasks) and of the async libraries (anyio, trio, gevent, Twisted, asgiref's
``sync_to_async(emit)(kind)``), known by the name the call is written with. The outline records such a call
as a call of the callable (its callers and what they pass on); the matchers find the values at
a sink's positions (:mod:`opsux_lint.matchers.handed`).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Final

from opsux_lint.analysis.nodes import last_name


@dataclass(frozen=True)
class Convention:
    func: int | None
    """The position the callable is given at (None: by keyword only)."""
    func_keyword: str | None = None
    args: tuple[int | None, str] | None = None
    """Where the callable's positional arguments are packed (``args=(...)``); None: they follow it."""
    kwargs: tuple[int | None, str] | None = None
    mapped: bool = False
    """The callable runs on each item of the iterables after it (``map``)."""


_FOLLOWING = {
    name: Convention(0) for name in (
        "submit", "to_thread", "enqueue", "add_task", "call_soon", "call_soon_threadsafe", "callback",
        "run_in_threadpool", "run_sync", "start_soon", "spawn", "deferToThread", "callInThread", "callFromThread",
    )
} | {name: Convention(1) for name in ("run_in_executor", "call_later", "call_at", "enqueue_in", "enqueue_at", "spawn_later", "callLater")}
"""``executor.submit(fn, *args, **kwargs)`` and its kind: the callable's arguments follow it."""
FOLLOWED_CALLS = _FOLLOWING | {
    "Thread": Convention(None, "target", (None, "args"), (None, "kwargs")),
    "Process": Convention(None, "target", (None, "args"), (None, "kwargs")),
    "Timer": Convention(1, "function", (2, "args"), (3, "kwargs")),
    "enqueue_call": Convention(0, "func", (1, "args"), (2, "kwargs")),
    "apply_async": Convention(0, None, (1, "args"), (2, "kwds")),  # multiprocessing's pool
    "map": Convention(0, mapped=True),
    "imap": Convention(0, mapped=True),
    "imap_unordered": Convention(0, mapped=True),
}
"""Calls that are handed a callable and run it, by the name they are called with."""
TASK_CALLS = frozenset({"delay", "s", "si", "send"})
"""A task's own methods that run it with the arguments they are given (``emit.delay(kind)``)."""
TASK_PACKED = {
    "apply_async": Convention(None, None, (0, "args"), (1, "kwargs")),
    "signature": Convention(None, None, (0, "args"), (1, "kwargs")),
    "subtask": Convention(None, None, (0, "args"), (1, "kwargs")),
    "send_with_options": Convention(None, None, (None, "args"), (None, "kwargs")),
}
"""A task's own methods that run it with the arguments packed in theirs (``emit.apply_async(args=(kind,))``)."""
BY_PATH_CALLS = {
    "async_task": Convention(0),  # django-q
    "schedule": Convention(0),  # django-q
    "enqueue": Convention(0),  # RQ
    "enqueue_in": Convention(1),
    "enqueue_at": Convention(1),
    "enqueue_call": Convention(0, "func", (1, "args"), (2, "kwargs")),
    "send_task": Convention(0, None, (1, "args"), (2, "kwargs")),  # Celery, by the task's name
}
"""Calls that import the function a string names by its dotted path and run it
(``async_task("app.events.emit", kind)``), with arguments the same call gives."""
DOTTED_PATH: Final = re.compile(r"(?:[A-Za-z_]\w*\.)+[A-Za-z_]\w*", re.ASCII)



def _given(node: ast.Call, position: int | None, keyword: str | None) -> ast.expr | None:
    if keyword is not None:
        found = next((k.value for k in node.keywords if k.arg == keyword), None)
        if found is not None:
            return found
    if position is not None and position < len(node.args) and not any(isinstance(a, ast.Starred) for a in node.args[: position + 1]):
        return node.args[position]
    return None


ADAPTERS = frozenset({"sync_to_async", "async_to_sync", "database_sync_to_async"})
"""Calls that return their callable made to run in another world (asgiref's, Django Channels'):
``sync_to_async(emit)(kind)`` calls ``emit`` with ``kind``."""


def adapted(node: ast.Call) -> ast.expr | None:
    """The callable that ``node`` calls through an adapter (``sync_to_async(emit)(kind)``), if it does."""
    func = node.func
    if isinstance(func, ast.Call) and last_name(func.func) in ADAPTERS and func.args and not isinstance(func.args[0], ast.Starred):
        return func.args[0]
    return None


def by_path(node: ast.Call) -> str | None:
    """The dotted path of the function ``node`` has imported and run (:data:`BY_PATH_CALLS`), if it is such a call."""
    convention = BY_PATH_CALLS.get(last_name(node.func) or "")
    target = _given(node, convention.func, convention.func_keyword) if convention is not None else None
    if isinstance(target, ast.Constant) and isinstance(target.value, str) and DOTTED_PATH.fullmatch(target.value):
        return target.value
    return None


_PARTIAL = Convention(0)

RunWith = tuple[ast.expr, list[tuple[int | None, str | None, ast.expr]]]
"""The callable a call runs, and what it runs it with: ``(position, keyword, value)``."""


def run_with(node: ast.Call) -> RunWith | None:
    """The callable ``node`` runs, if it is such a call, and what it runs it with, as
    ``(position, keyword, value)``: the arguments written out (a spread or a packed tuple that is
    not written out gives none)."""
    func = node.func
    name = last_name(func) or ""
    if isinstance(func, ast.Attribute) and name in TASK_CALLS:
        convention: Convention | None = Convention(None)
        target: ast.expr | None = func.value
    elif isinstance(func, ast.Attribute) and name in TASK_PACKED:
        convention, target = TASK_PACKED[name], func.value
    else:
        # ``functools.partial(emit, kind)`` runs nothing yet, but what it binds is what the
        # callable runs with when it is called (the matcher checks it where it is bound).
        convention = _PARTIAL if name == "partial" else FOLLOWED_CALLS.get(name)
        target = _given(node, convention.func, convention.func_keyword) if convention is not None else None
        if isinstance(target, ast.Attribute) and target.attr in TASK_CALLS:
            target = target.value  # ``executor.submit(export.delay, kind)``: the task runs
    if convention is None or target is None or convention.mapped:
        return None
    given: list[tuple[int | None, str | None, ast.expr]] = []
    if convention.args is None:
        skip = convention.func + 1 if convention.func is not None else 0
        for position, arg in enumerate(node.args[skip:]):
            if isinstance(arg, ast.Starred):
                break
            given.append((position, None, arg))
        given += [(None, k.arg, k.value) for k in node.keywords if k.arg is not None and k.arg != convention.func_keyword]
        return target, given
    packed = _given(node, *convention.args)
    if isinstance(packed, (ast.Tuple, ast.List)) and not any(isinstance(e, ast.Starred) for e in packed.elts):
        given += [(position, None, element) for position, element in enumerate(packed.elts)]
    named = _given(node, *convention.kwargs) if convention.kwargs is not None else None
    if isinstance(named, ast.Dict):
        given += [
            (None, key.value, value) for key, value in zip(named.keys, named.values, strict=True)
            if isinstance(key, ast.Constant) and isinstance(key.value, str)
        ]
    return target, given
