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
