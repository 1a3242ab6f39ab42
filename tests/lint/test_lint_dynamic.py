"""Wrappers no call names but that the project runs as values handed on
(:class:`opsux_lint.analysis.DynamicUses`): where they escape, which calls may run them."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from opsux_lint.analysis import DynamicUse, DynamicUses, Resolver, build_index

ACTIONS = '''
from app.events import emit


class Action:
    def __init__(self, instance, *, log_action="inventory.sync"):
        emit(instance, log_action)


class Other:
    def __init__(self, instance, *, log_action="inventory.sync"):
        emit(instance, log_action)
'''


def _resolver(tmp_path: Path, **modules: str) -> Resolver:
    package = tmp_path / "src" / "app"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "events.py").write_text("def emit(payload, event_type):\n    return payload\n")
    (package / "actions.py").write_text(textwrap.dedent(ACTIONS))
    for name, source in modules.items():
        (package / f"{name}.py").write_text(textwrap.dedent(source))
    return Resolver(build_index(tmp_path, ["src"], [], cache_dir=None))


def _use(resolver: Resolver, cls: str = "app.actions.Action") -> DynamicUse | None:
    return DynamicUses(resolver).use(f"{cls}.__init__", "log_action", frozenset({cls}), "log_action", by_position=False)


ESCAPES = [
    pytest.param("register(Action)", True, id="an argument"),
    pytest.param("ACTIONS = [Action]", True, id="an element"),
    pytest.param("chosen = Action", True, id="an assignment"),
    pytest.param("def pick():\n    return Action", True, id="a return value"),
    pytest.param("MAP = {'a': Action}", True, id="a dict value"),
    pytest.param("ok = isinstance(thing, Action)", False, id="isinstance"),
    pytest.param("same = thing is Action", False, id="a comparison"),
    pytest.param("Action(thing)", False, id="a call"),
    pytest.param("name = Action.__name__", False, id="an attribute of it"),
    pytest.param("class Sub(Action):\n    pass", False, id="a base class"),
    pytest.param("register(Other)", False, id="another class"),
    pytest.param("def f(x: Action) -> Action:\n    return x", False, id="annotations"),
]


@pytest.mark.parametrize(("statement", "escapes"), ESCAPES)
def test_a_class_escapes_when_handed_on_as_a_value(tmp_path: Path, statement: str, escapes: bool) -> None:
    source = f"from app.actions import Action, Other\n\nthing = None\n\ndef register(x):\n    pass\n\n{statement}\n"
    resolver = _resolver(tmp_path, use=source)
    use = _use(resolver)
    if escapes:
        assert use is not None and use.escape.startswith("src/app/use.py:")
        assert use.settled
    else:
        assert use is None


@pytest.mark.parametrize(
    ("decorator", "escapes"),
    [("@hooks.register('edit')", True), ("@register", True), ("@staticmethod", False), ("@dataclass", False)],
)
def test_a_registering_decorator_hands_the_definition_on(tmp_path: Path, decorator: str, escapes: bool) -> None:
    source = f"""
    from dataclasses import dataclass
    from app.events import emit
    from app import hooks
    register = hooks.register


    {decorator}
    class Job:
        def __init__(self, *, log_action="inventory.sync"):
            emit(self, log_action)
    """
    resolver = _resolver(tmp_path, jobs=source, hooks="def register(x):\n    return x\n")
    use = _use(resolver, "app.jobs.Job")
    assert (use is not None) is escapes
    if use is not None:
        assert use.escape == "src/app/jobs.py:9"  # the definition handed on


RUNS = [
    pytest.param("factory()(thing, log_action='x')", True, id="a computed callee"),
    pytest.param("def f(cls):\n    cls(thing, log_action='x')", True, id="a parameter"),
    pytest.param("def f(options):\n    factory()(thing, **options)", True, id="a spread mapping"),
    pytest.param("def f(**kwargs):\n    factory()(thing, **kwargs)", False, id="its own kwargs, checked at its callers"),
    pytest.param("forward(thing, log_action='x')", True, id="a function passing kwargs on"),
    pytest.param("View().action(thing, log_action='x')", True, id="a property"),
    pytest.param("def f(options):\n    View().chosen(thing, **options)", True, id="a class attribute holding a value"),
    pytest.param("def f(options):\n    View().render(thing, **options)", False, id="a method given a mapping"),
    pytest.param("Other(thing, log_action='x')", False, id="another class"),
    pytest.param("takes(thing, log_action='x')", False, id="a function with that parameter"),
    pytest.param("Action(thing, log_action='x')", False, id="a call naming it"),
    pytest.param("factory()(thing, user=None)", False, id="not giving it"),
    pytest.param("library_call(thing, log_action='x')", True, id="a library function"),
    pytest.param("dict(thing, **OPTIONS)", False, id="a builtin given a mapping"),
]


@pytest.mark.parametrize(("statement", "runs"), RUNS)
def test_the_calls_that_may_run_it_with_the_parameter(tmp_path: Path, statement: str, runs: bool) -> None:
    source = """
    from library import library_call
    from app.actions import Action, Other
    thing = None
    OPTIONS = {}
    REGISTRY = [Action]

    def factory():
        return REGISTRY[0]

    def forward(instance, **kwargs):
        return factory()(instance, **kwargs)

    def takes(instance, log_action=None):
        return log_action

    class View:
        chosen = REGISTRY[0]

        @property
        def action(self):
            return factory()

        def render(self, instance, **options):
            return options

    """
    resolver = _resolver(tmp_path, use=textwrap.dedent(source) + textwrap.dedent(statement) + "\n")
    use = _use(resolver)
    assert use is not None and use.escape == "src/app/use.py:6"
    assert bool(use.passing) is runs
    assert use.settled is not runs
    if runs:
        assert use.passing[0].startswith("src/app/use.py:")


def test_a_parameter_given_by_position_or_without_default_is_not_settled(tmp_path: Path) -> None:
    source = """
    from app.events import emit

    class Move:
        def __init__(self, instance, kind="inventory.sync"):
            emit(instance, kind)

    class Purge:
        def __init__(self, instance, *, kind):
            emit(instance, kind)

    REGISTRY = [Move, Purge]
    """
    resolver = _resolver(tmp_path, moves=source)
    uses = DynamicUses(resolver)
    move = uses.use("app.moves.Move.__init__", "kind", frozenset({"app.moves.Move"}), "kind", by_position=True)
    purge = uses.use("app.moves.Purge.__init__", "kind", frozenset({"app.moves.Purge"}), "kind", by_position=False)
    assert move is not None and not move.settled and move.by_position
    assert "by position" in move.explain("Move", "kind")
    assert purge is not None and not purge.settled and not purge.default
    assert "which has no default" in purge.explain("Purge", "kind")


def test_a_module_whose_source_is_not_read_may_pass_it(tmp_path: Path) -> None:
    resolver = _resolver(tmp_path, use="from app.actions import Action\nREGISTRY = [Action]\n")
    (tmp_path / "src" / "app" / "broken.py").write_text("log_action = (\n")
    resolver = Resolver(build_index(tmp_path, ["src"], [], cache_dir=None))
    use = _use(resolver)
    assert use is not None and use.passing == ("src/app/broken.py (not read)",)


def test_a_dynamic_use_round_trips_through_json() -> None:
    use = DynamicUse("a.py:3", ("b.py:4",), False, True)
    assert DynamicUse.from_json(use.to_json()) == use
    for damaged in (None, ["a.py:3"], ["a.py:3", "b.py:4", False, True], ["a.py:3", [4], False, True], ["a", [], 0, True]):
        with pytest.raises(ValueError, match="not a dynamic use"):
            DynamicUse.from_json(damaged)


def test_a_forwarded_mapping_has_no_default_to_keep(tmp_path: Path) -> None:
    source = """
    from app.actions import Action

    class Page(Action):
        def __init__(self, instance, **kwargs):
            super().__init__(instance, **kwargs)

    REGISTRY = [Page]
    """
    uses = DynamicUses(_resolver(tmp_path, pages=source))
    target = frozenset({"app.pages.Page"})
    assert uses.use("app.pages.Page.__init__", "kwargs", target, "log_action", by_position=False) is None
    assert uses.use("app.pages.Page.__init__", "instance", target, "instance", by_position=False) is not None
