"""Sinks handed to what runs them later (the ``handed`` fixture project's inline expectations
are checked with the other fixture projects): what each site became."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from lint_support import copy_fixture, site_expectations
from opsux_lint.analysis.handing import by_path, run_with
from opsux_lint.project import resolve_targets
from opsux_lint.runner import RunOptions, Selection, run


def test_the_marked_sites_have_their_status(tmp_path: Path) -> None:
    project = copy_fixture("handed", tmp_path)
    result = run(resolve_targets([project], None), Selection(), project, RunOptions(coverage=True))
    assert result.sites is not None
    statuses = {(s.path, s.line, s.status) for s in result.sites}
    expected = site_expectations(project)
    assert len(expected) == 13
    assert expected <= statuses
    reasons = {s.line: s.reason for s in result.sites if s.path == "src/app/use.py" and s.line in (43, 53)}
    assert reasons == {
        43: "`emit` is handed to `registry.add` as a value: what it is called with later is not followed",
        53: '`emit` is kept in `{"sync": emit, "log": print}`: what it is called with later is not followed',
    }


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("pool.submit(f, a, k=b)", ("f", [(0, None, "a"), (None, "k", "b")])),
        ("loop.call_later(5, f, a, *rest)", ("f", [(0, None, "a")])),
        ("Thread(target=f, args=(a, b), kwargs={'k': c})", ("f", [(0, None, "a"), (1, None, "b"), (None, "k", "c")])),
        ("Thread(target=f, args=rest)", ("f", [])),
        ("f.delay(a)", ("f", [(0, None, "a")])),
        ("f.apply_async((a,), {'k': b})", ("f", [(0, None, "a"), (None, "k", "b")])),
        ("functools.partial(f, a, k=b)", ("f", [(0, None, "a"), (None, "k", "b")])),  # bound now, run later
        ("pool.submit(t.delay, a)", ("t", [(0, None, "a")])),  # the task's run method runs the task
        ("map(f, [a])", None),  # each item: the matcher's to check
        ("registry.add(f, a)", None),
        ("Thread(args=(a,))", None),
    ],
)
def test_the_outline_records_what_a_handed_callable_is_run_with(
    source: str, expected: tuple[str, list[tuple[int | None, str | None, str]]] | None
) -> None:
    node = ast.parse(source, mode="eval").body
    assert isinstance(node, ast.Call)
    found = run_with(node)
    if expected is None:
        assert found is None
        return
    assert found is not None
    target, given = found
    assert (ast.unparse(target), [(p, k, ast.unparse(v)) for p, k, v in given]) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('async_task("app.events.emit", a)', "app.events.emit"),
        ('queue.enqueue_in(60, "app.events.emit", a)', "app.events.emit"),
        ('queue.enqueue_call(func="app.events.emit", args=(a,))', "app.events.emit"),
        ('celery.send_task("app.tasks.export", args=(a,))', "app.tasks.export"),
        ('mock.patch("app.events.emit")', None),  # names it, never runs it
        ('async_task("emit", a)', None),  # no path to import
        ('async_task(f"app.{name}", a)', None),
        ('queue.enqueue_in("app.events.emit", a)', None),  # the path is not where the runner takes it
    ],
)
def test_the_outline_records_a_function_run_by_its_dotted_path(source: str, expected: str | None) -> None:
    node = ast.parse(source, mode="eval").body
    assert isinstance(node, ast.Call)
    assert by_path(node) == expected


_RUNNERS = '''\
import django_rq
from app.events import emit


def now_or_later(job, *args, **kwargs):
    return job(*args, **kwargs)


def queued(job, *args, in_seconds=0, **kwargs):
    queue = django_rq.get_queue("low")
    return queue.enqueue(job, *args, **kwargs)


def kept(job, *args):
    HANDLERS.append(job)


def skewed(job, first, *args):
    return job(*args)


class Jobs:
    def start(self, job, *args):
        return job(*args)


HANDLERS = []
'''

_USES = '''\
from app.events import emit
from app.runners import Jobs, kept, now_or_later, queued, skewed


def use(obj):
    now_or_later(emit, obj, "app.bogus", queue_name="low")
    now_or_later(emit, obj, "app.created")
    queued(emit, obj, "app.queued")
    Jobs().start(emit, obj, "app.method")
    kept(emit, obj, "app.kept")
    skewed(emit, obj, "app.skewed")
'''


def test_a_project_function_that_runs_what_it_is_handed_with_what_follows(tmp_path: Path) -> None:
    # label-studio's start_job_async_or_sync(job, *args, **kwargs): job(*args, **kwargs), or
    # queue.enqueue(job, *args, **kwargs).
    from lint_support import tiny_project

    tiny_project(tmp_path, "{call: app.events.emit, arg: 1, keyword: kind}", {
        "events.py": "def emit(obj, kind):\n    return kind\n", "runners.py": _RUNNERS, "use.py": _USES,
    }, types=["app.created"])
    result = run(resolve_targets([tmp_path], None), Selection(), tmp_path, RunOptions(coverage=True))
    assert result.sites is not None
    statuses = {s.line: str(s.status) for s in result.sites if s.path == "src/app/use.py"}
    assert statuses == {6: "unregistered", 7: "verified", 8: "unregistered", 9: "unregistered", 10: "unverifiable", 11: "unverifiable"}
    messages = {f.line: f.message for f in result.findings}
    assert messages[8].startswith("Operation type 'app.queued' is not registered")
    assert "`emit` is handed to `skewed` as a value" in messages[11]
