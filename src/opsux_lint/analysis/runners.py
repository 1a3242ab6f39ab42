"""Project functions that run a callable they are given with the arguments that follow it:
the project's own conventions beside the libraries' (:mod:`opsux_lint.analysis.handing`).

label-studio hands its webhook senders to ``start_job_async_or_sync(job, *args, **kwargs)``,
which calls ``job(*args, **kwargs)`` or enqueues it with them: ``start_job_async_or_sync(emit,
org, project, action)`` runs ``emit(org, project, action)`` as surely as
``executor.submit(emit, org, project, action)`` does. Found from the function's outline, when a
call hands a sink to it.
"""

from __future__ import annotations

from opsux_lint.analysis.handing import FOLLOWED_CALLS
from opsux_lint.analysis.outline import FunctionOutline, Tag, callee_text


def runner_position(function: FunctionOutline) -> int | None:
    """Where the function takes a callable it runs with the arguments after it, if it is such a
    runner: the parameter right before its ``*args``, called as ``job(*args, ...)`` or handed on
    with them to a call that runs it (``queue.enqueue(job, *args, **kwargs)``). Positions count
    from the first argument a call writes (after ``self``)."""
    params = function["params"]
    if function["kind"] in ("method", "classmethod") and params and params[0][1] in ("pos", "posonly"):
        params = params[1:]
    rest = next((i for i, p in enumerate(params) if p[1] == "var"), None)
    if not rest or params[rest - 1][1] not in ("pos", "posonly"):
        return None
    job, spread = [Tag.NAME, params[rest - 1][0]], [Tag.NAME, params[rest][0]]
    passes = function["passes"]
    if any(p[0] == job and p[1] == 0 and p[3] == spread and p[5] == "*" for p in passes):
        return rest - 1  # ``job(*args, **kwargs)``
    for func, position, _, value, line, star in passes:
        convention = FOLLOWED_CALLS.get((callee_text(func) or "").rpartition(".")[2])
        if convention is None or convention.args is not None or convention.func != position or value != job or star:
            continue
        if any(p[0] == func and p[1] == position + 1 and p[3] == spread and p[4] == line and p[5] == "*" for p in passes):
            return rest - 1  # ``queue.enqueue(job, *args, **kwargs)``
    return None
