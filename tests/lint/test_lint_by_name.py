"""Calls on receivers of unknown type: which of the project's methods of that name can take the
call (:meth:`Resolver.accepts`), and when the call is checked against the sinks among them
(:func:`named_sinks`)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from opsux_lint.analysis import CallShape, Resolver, build_index, named_sinks

SOURCE = '''
class Base:
    def run(self, kind, *, user=None):
        pass

    @staticmethod
    def make(kind):
        pass

    @classmethod
    def build(cls, kind, extra=1):
        pass


class Child(Base):
    def run(self, kind, *, user=None, force=False):
        pass


class Loose:
    def spread(self, *args, **kwargs):
        pass

    def only_positional(self, kind, /):
        pass


class Other:
    def run(self, kind, channel):
        pass
'''


@pytest.fixture
def resolver(tmp_path: Path) -> Resolver:
    (tmp_path / "src" / "app").mkdir(parents=True)
    (tmp_path / "src" / "app" / "__init__.py").write_text("")
    (tmp_path / "src" / "app" / "jobs.py").write_text(textwrap.dedent(SOURCE))
    return Resolver(build_index(tmp_path, ["src"], [], cache_dir=None))


def shape(positional: int = 0, *keywords: str, spread: bool = False) -> CallShape:
    return CallShape(positional, frozenset(keywords), spread)


def test_methods_are_found_by_name_in_every_class(resolver: Resolver) -> None:
    assert resolver.methods_named("run") == ("app.jobs.Base.run", "app.jobs.Child.run", "app.jobs.Other.run")
    assert resolver.methods_named("missing") == ()


@pytest.mark.parametrize(
    ("method", "call", "fits"),
    [
        # self is filled by the instance: one positional argument fills ``kind``, two overflow.
        ("app.jobs.Base.run", shape(1), True),
        ("app.jobs.Base.run", shape(2), False),
        # A required parameter left out: not this method.
        ("app.jobs.Base.run", shape(0), False),
        ("app.jobs.Base.run", shape(0, "kind"), True),
        # Keywords: only the parameters it has.
        ("app.jobs.Base.run", shape(1, "user"), True),
        # ``kind`` given by position and by keyword: a TypeError, so not this method.
        ("app.jobs.Base.run", shape(1, "kind"), False),
        ("app.jobs.Base.run", shape(1, "force"), False),
        ("app.jobs.Child.run", shape(1, "force"), True),
        # A static method has no self; a class method's cls is filled too.
        ("app.jobs.Base.make", shape(1), True),
        ("app.jobs.Base.make", shape(2), False),
        ("app.jobs.Base.build", shape(2), True),
        ("app.jobs.Base.build", shape(3), False),
        # *args / **kwargs take anything; a call that spreads may be any call.
        ("app.jobs.Loose.spread", shape(5, "anything"), True),
        ("app.jobs.Other.run", shape(0, spread=True), True),
        # A positional-only parameter cannot be passed by keyword.
        ("app.jobs.Loose.only_positional", shape(1), True),
        ("app.jobs.Loose.only_positional", shape(0, "kind"), False),
        ("app.jobs.Nowhere.run", shape(1), False),
    ],
)
def test_a_signature_takes_a_call_or_not(resolver: Resolver, method: str, call: CallShape, fits: bool) -> None:
    assert resolver.accepts(method, call) is fits


def test_a_call_every_candidate_of_which_is_a_sink_is_checked_against_each(resolver: Resolver) -> None:
    sinks = {"app.jobs.Base.run", "app.jobs.Child.run"}
    # ``channel`` rules out Base and Child: only Other takes it, and it is no sink.
    assert named_sinks(resolver, "run", shape(1, "channel"), sinks) == ()
    # ``force``: only Child's signature.
    assert named_sinks(resolver, "run", shape(1, "force"), sinks) == ("app.jobs.Child.run",)
    # ``user``: Base and Child, both sinks; Other requires ``channel``.
    assert named_sinks(resolver, "run", shape(1, "user"), sinks) == ("app.jobs.Base.run", "app.jobs.Child.run")


def test_a_call_that_may_reach_a_method_that_is_no_sink_is_not_checked(resolver: Resolver) -> None:
    # Two positional arguments fit Other.run only; one spread call fits all three.
    assert named_sinks(resolver, "run", shape(0, spread=True), {"app.jobs.Base.run", "app.jobs.Child.run"}) == ()


def test_one_family_is_checked_when_its_top_is_the_sink(resolver: Resolver) -> None:
    # Base.run and its override Child.run take ``(kind)``; Other.run does not.
    assert named_sinks(resolver, "run", shape(1), {"app.jobs.Base.run"}) == ("app.jobs.Base.run",)
    # The override alone being a sink does not make the family's calls its calls.
    assert named_sinks(resolver, "run", shape(1), {"app.jobs.Child.run"}) == ()


def test_dunder_methods_are_never_matched_by_name(resolver: Resolver) -> None:
    assert named_sinks(resolver, "__init__", shape(1), {"app.jobs.Base.__init__"}) == ()


def test_a_project_method_sink_is_checked_without_coverage_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The prefilter's needle for a method of a project class is its name (every call writes
    # it), not the names that type opsux's own receivers: views.py names neither opsux's classes
    # nor anything that makes them, and was never parsed.
    import json

    from click.testing import CliRunner

    from opsux_lint.cli import main

    (tmp_path / "opsux.yaml").write_text(textwrap.dedent('''
        operation_types:
          auth.login: Login
        lint:
          select: [OPS001, OPS008]
          operation_type_sinks:
            - {call: app.events.Event.new, arg: 0, keyword: action}
            - {call: app.events.Dispatcher.send, arg: 0}
    '''))
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "events.py").write_text(
        "class Event:\n    @staticmethod\n    def new(action):\n        return Event()\n\n\n"
        "class Dispatcher:\n    def send(self, action):\n        print(action)\n"
    )
    (tmp_path / "app" / "views.py").write_text(
        "from app import events\n\n\n"
        "def f(dispatcher):\n"
        "    events.Event.new('not_registered')\n"   # 5
        "    dispatcher.send('also_not_registered')\n"  # 6: untyped, the project's only send
        "    events.Event.new(action='auth.login')\n"
    )
    monkeypatch.chdir(tmp_path)
    documents = [
        json.loads(CliRunner().invoke(main, ["--no-cache", "--format", "json", *extra]).stdout)
        for extra in ([], ["--coverage"])
    ]
    found = [[(f["path"], f["line"], f["code"]) for f in document["findings"]] for document in documents]
    assert found[0] == found[1] == [("app/views.py", 5, "OPS001"), ("app/views.py", 6, "OPS001")]
