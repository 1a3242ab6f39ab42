"""A sink called through a name bound to it: module-level aliases become sinks of their own
(derivation), a function's local alias is followed by the resolver."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from opsux_lint.analysis import Resolver, SinkSpec, build_index, derive_sinks
from opsux_lint.analysis.sinks import ALIAS
from opsux_lint.cli import main

EMIT = SinkSpec("app.events.emit", 1, "event_type")


def _resolver(tmp_path: Path, **modules: str) -> Resolver:
    package = tmp_path / "src" / "app"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "events.py").write_text("def emit(payload, event_type):\n    return payload\n")
    for name, source in modules.items():
        (package / f"{name}.py").write_text(textwrap.dedent(source))
    return Resolver(build_index(tmp_path, ["src"], [], cache_dir=None))


def _lint_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sinks: str, **modules: str) -> Any:
    """``opsux-lint --coverage --format json`` on a project of ``modules`` with ``sinks`` configured."""
    (tmp_path / "opsux.yaml").write_text(
        "operation_types:\n  inventory.sync: Inventory sync\nlint:\n  src: [src]\n  operation_type_sinks:\n" + sinks
    )
    _resolver(tmp_path, **modules)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["--coverage", "--format", "json", "--no-cache"])
    return json.loads(result.stdout)


def _aliases(resolver: Resolver, *base: SinkSpec) -> dict[str, SinkSpec]:
    return {d.function: d.spec for d in derive_sinks(resolver, base or (EMIT,)) if d.param == ALIAS}


def test_module_level_aliases(tmp_path: Path) -> None:
    resolver = _resolver(tmp_path, use='''
        from app import events
        from app.events import emit

        send = emit
        fire = events.emit
        again = send
        mixed = emit
        mixed = print
        called = emit(None, "inventory.sync")
        emit = emit
    ''')
    found = _aliases(resolver)
    assert found == {
        "app.use.send": SinkSpec("app.use.send", 1, "event_type"),
        "app.use.fire": SinkSpec("app.use.fire", 1, "event_type"),
        # An alias of an alias, found in the next round.
        "app.use.again": SinkSpec("app.use.again", 1, "event_type"),
        # ``emit = emit`` rebinds the imported name under its own: app.use.emit is the sink's name
        # there, so an import of it from app.use is a call of the sink as well.
        "app.use.emit": SinkSpec("app.use.emit", 1, "event_type"),
    }


def test_no_alias_of_a_sink_of_any_receiver(tmp_path: Path) -> None:
    # ``*.record_event`` is matched by the name a call writes: an alias of it cannot be told.
    resolver = _resolver(tmp_path, use='''
        record = request.user.record_event
    ''')
    assert _aliases(resolver, SinkSpec("*.record_event", None, "tag")) == {}


def test_a_wrapper_that_calls_an_alias_is_a_wrapper(tmp_path: Path) -> None:
    resolver = _resolver(tmp_path, use='''
        from app.events import emit

        send = emit


        def relay(payload, kind):
            send(payload, kind)
    ''')
    wrappers = {(d.function, d.param): d for d in derive_sinks(resolver, (EMIT,))}
    assert wrappers[("app.use.relay", "kind")].via == "app.use.send"
    assert wrappers[("app.use.send", ALIAS)].dynamic is None  # an alias is never searched as a value


def test_a_local_alias_is_followed_to_what_it_is_bound_to(tmp_path: Path) -> None:
    resolver = _resolver(tmp_path, use='''
        from app import events


        def go(payload, handler):
            fire = events.emit
            also = fire
            handler = events.emit
            maybe = events.emit
            maybe = handler
            fire(payload, "x")
    ''')
    callee = resolver.callee
    assert callee(["n", "fire"], "app.use", "go").names == {"app.events.emit"}
    assert callee(["n", "also"], "app.use", "go").names == {"app.events.emit"}
    # A parameter rebound keeps the caller's value among its own, which is not known.
    rebound = callee(["n", "handler"], "app.use", "go")
    assert rebound.names == {"app.events.emit"} and rebound.unknown == "`handler` is a parameter of `go`"
    # A parameter never rebound is only what the caller passes: not the module's name.
    assert callee(["n", "payload"], "app.use", "go").names == frozenset()
    # Bound to the sink and to a parameter: the sink is one of what it may be.
    assert "app.events.emit" in callee(["n", "maybe"], "app.use", "go").names
    # Outside the function the name is not the local.
    assert callee(["n", "fire"], "app.use", None).names == {"fire"}


def test_a_partial_of_the_sink_moves_its_positions_by_what_it_binds(tmp_path: Path) -> None:
    resolver = _resolver(tmp_path, use='''
        import functools
        from functools import partial
        from app.events import emit

        nothing_bound = partial(emit)
        payload_bound = functools.partial(emit, None)
        value_bound = partial(emit, None, "inventory.sync")
        spread = partial(emit, *ARGS)
        not_partial = print(emit)
    ''')
    found = _aliases(resolver)
    assert found == {
        "app.use.nothing_bound": SinkSpec("app.use.nothing_bound", 1, "event_type"),
        "app.use.payload_bound": SinkSpec("app.use.payload_bound", 0, "event_type"),
        # The position is bound; a call may still give the keyword.
        "app.use.value_bound": SinkSpec("app.use.value_bound", None, "event_type"),
    }
    # Without a keyword, a partial that binds the position leaves nothing to a call of it.
    assert _aliases(resolver, SinkSpec("app.events.emit", 1, None)) == {
        "app.use.nothing_bound": SinkSpec("app.use.nothing_bound", 1, None),
        "app.use.payload_bound": SinkSpec("app.use.payload_bound", 0, None),
    }


def test_a_local_bound_to_a_method_of_any_receiver_is_that_sink(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    document = _lint_json(tmp_path, monkeypatch, "    - {call: '*.record_event', keyword: tag}\n", views='''
        def view(request):
            rec = request.user.record_event
            rec(tag="inventory.bogus")
            other = request.user.log
            other(tag="inventory.bogus")
            request.user.record_event(tag="inventory.sync")
    ''')
    assert [(f["line"], f["code"]) for f in document["findings"]] == [(4, "OPS001")]
    assert sorted((s["line"], s["status"]) for s in document["coverage"]["sites"]) == [(4, "unregistered"), (7, "verified")]


def test_instance_attributes_and_static_members_bound_to_the_sink(tmp_path: Path) -> None:
    resolver = _resolver(tmp_path, use='''
        import functools
        from app import events
        from app.events import emit


        class Notifier:
            announce = staticmethod(emit)
            shout = functools.partial(emit, None)  # a partial is no descriptor: no instance first
            plain = emit  # the class's positions: the matcher moves them through an instance
            method = functools.partialmethod(emit)  # a descriptor: the instance comes first

            def __init__(self, given):
                self.fire = events.emit
                self.given = given
                self.twice = emit
                self.twice = print
    ''')
    found = _aliases(resolver)
    assert set(found) == {"app.use.Notifier.announce", "app.use.Notifier.fire", "app.use.Notifier.shout", "app.use.Notifier.plain"}
    assert found["app.use.Notifier.shout"] == SinkSpec("app.use.Notifier.shout", 0, "event_type")
    assert found["app.use.Notifier.plain"] == SinkSpec("app.use.Notifier.plain", 1, "event_type")
    callee = resolver.callee(["a", ["n", "self"], "fire"], "app.use", "Notifier.__init__")
    assert callee.names == {"app.use.Notifier.fire", "app.events.emit"} and callee.unknown is None
    given = resolver.callee(["a", ["n", "self"], "given"], "app.use", "Notifier.__init__")
    assert given.names == set() and "holds what it was assigned" in (given.unknown or "")


def test_a_local_partial_is_the_sink_with_its_positions_moved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use = (
        "import functools\n"
        "from app import events\n"
        "def go(payload, user, flag):\n"
        "    send = functools.partial(events.emit, payload)\n"
        "    send('inventory.bogus')\n"                       # 5: the partial gave the payload
        "    send(event_type='inventory.sync')\n"             # 6
        "    whole = functools.partial(events.emit)\n"
        "    whole(payload, 'inventory.wrong')\n"             # 8: it gave nothing
        "    rec = functools.partial(user.record_event, user)\n"
        "    rec(tag='inventory.bad')\n"                      # 10: any receiver's record_event
        "    mixed = functools.partial(events.emit, payload)\n"
        "    if flag:\n"
        "        mixed = events.emit\n"
        "    mixed(payload, 'inventory.sync')\n"              # 14: partials giving different positions
        "    fake = print\n"
        "    fake('inventory.not_a_sink')\n"
    )
    other = (
        "from app import events\n"
        "def partial(func, *args):\n"
        "    return func\n"
        "def go(payload):\n"
        "    mine = partial(events.emit, payload)\n"
        "    mine('inventory.bogus')\n"  # 6: not functools.partial: not followed
    )
    sinks = "    - {call: app.events.emit, arg: 1, keyword: event_type}\n    - {call: '*.record_event', keyword: tag}\n"
    document = _lint_json(tmp_path, monkeypatch, sinks, use=use, other=other)
    found = sorted((f["path"].rsplit("/", 1)[-1], f["line"], f["code"]) for f in document["findings"])
    assert found == [("use.py", 5, "OPS001"), ("use.py", 8, "OPS001"), ("use.py", 10, "OPS001"), ("use.py", 14, "OPS008")]
    [mixed] = [f for f in document["findings"] if f["line"] == 14]
    assert "bound to partials of `emit` that bind different positions" in mixed["message"]
    sites = {(s["path"].rsplit("/", 1)[-1], s["line"]): s["status"] for s in document["coverage"]["sites"]}
    assert sites[("use.py", 6)] == "verified"
    assert ("other.py", 6) not in sites and ("use.py", 16) not in sites


def test_a_partial_class_member_is_checked_through_the_class_and_an_instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use = (
        "import functools\n"
        "from app.events import emit\n"
        "class Notifier:\n"
        "    shout = functools.partial(emit, None)\n"
        "    def go(self):\n"
        "        self.shout('inventory.bogus')\n"      # 6
        "        Notifier.shout('inventory.sync')\n"   # 7
        "def elsewhere(n: Notifier):\n"
        "    n.shout(event_type='inventory.wrong')\n"  # 9
    )
    document = _lint_json(tmp_path, monkeypatch, "    - {call: app.events.emit, arg: 1, keyword: event_type}\n", use=use)
    assert [(f["line"], f["code"]) for f in document["findings"]] == [(6, "OPS001"), (9, "OPS001")]
    assert {s["line"]: s["status"] for s in document["coverage"]["sites"]}[7] == "verified"


def test_a_plain_class_member_moves_the_positions_of_a_call_through_an_instance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use = (
        "from app.events import emit\n"
        "class Notifier:\n"
        "    announce = emit\n"
        "    def go(self):\n"
        "        self.announce('inventory.bogus')\n"       # 5: emit(self, 'inventory.bogus')
        "        Notifier.announce(None, 'inventory.a')\n"  # 6: through the class
        "        self.announce('inventory.sync')\n"        # 7
        "        Notifier.announce(self, 'inventory.sync')\n"  # 8
        "    @classmethod\n"
        "    def build(cls):\n"
        "        cls.announce(None, 'inventory.b')\n"     # 11: cls is the class
        "def elsewhere(n: Notifier, flag):\n"
        "    n.announce(event_type='inventory.c')\n"      # 13
        "    either = n if flag else Notifier\n"
        "    either.announce(None, 'inventory.sync')\n"   # 15: an instance or the class
    )
    document = _lint_json(tmp_path, monkeypatch, "    - {call: app.events.emit, arg: 1, keyword: event_type}\n", use=use)
    assert [(f["line"], f["code"]) for f in document["findings"]] == [
        (5, "OPS001"), (6, "OPS001"), (11, "OPS001"), (13, "OPS001"), (15, "OPS008"),
    ]
    assert [f["column"] for f in document["findings"][:4]] == [23, 33, 28, 27]
    [either] = [f for f in document["findings"] if f["line"] == 15]
    assert "is not known to be an instance or the class" in either["message"]
    sites = {s["line"]: s["status"] for s in document["coverage"]["sites"]}
    assert sites[7] == sites[8] == "verified"


def test_a_plain_class_member_bound_to_a_class_is_called_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A class is no descriptor: ``self.event_class(...)`` constructs with what it is given.
    events = (
        "def emit(payload, event_type):\n    return payload\n"
        "class Event:\n"
        "    def __init__(self, payload, event_type):\n"
        "        emit(payload, event_type)\n"
    )
    use = (
        "from app.events import Event\n"
        "class Notifier:\n"
        "    event_class = Event\n"
        "    def go(self):\n"
        "        self.event_class(None, 'inventory.bogus')\n"  # 5
        "        self.event_class(None, 'inventory.sync')\n"   # 6
    )
    document = _lint_json(tmp_path, monkeypatch, "    - {call: app.events.emit, arg: 1, keyword: event_type}\n", use=use, events=events)
    use_findings = [(f["line"], f["code"]) for f in document["findings"] if f["path"].endswith("use.py")]
    assert use_findings == [(5, "OPS001")]
    sites = {s["line"]: s["status"] for s in document["coverage"]["sites"] if s["path"].endswith("use.py")}
    assert sites[6] == "verified"


def test_a_wrapper_passing_two_parameters_on_is_checked_at_both_arguments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two sinks of one name (the wrapper's two parameters): each argument is checked, whatever
    # order the wrappers come in (it was the first by hash order, so one of the two, by chance).
    use = (
        "from app.events import emit\n"
        "def both(first, second):\n"
        "    emit(None, first)\n"
        "    emit(None, second)\n"
        "def go():\n"
        "    both('inventory.one', 'inventory.two')\n"  # 6
        "    both('inventory.sync', 'inventory.sync')\n"  # 7
    )
    document = _lint_json(tmp_path, monkeypatch, "    - {call: app.events.emit, arg: 1, keyword: event_type}\n", use=use)
    assert sorted((f["line"], f["column"]) for f in document["findings"]) == [(6, 10), (6, 27)]
    assert sorted(s["line"] for s in document["coverage"]["sites"] if s["status"] == "verified") == [7, 7]


def test_a_sink_imported_through_a_module_that_reexports_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Projects re-export their event functions from an import helper or a package's
    # __init__.py; callers import it from there, under that module's name for it.
    modules = {
        "reexport": "from app.events import emit\nfrom app.events import emit as fire\n",
        "stars": "from app.events import *\n",
        "chain": "from app.reexport import fire as blast\n",
        "choice": "try:\n    from app.fast import emit\nexcept ImportError:\n    from app.events import emit\n",
        "rebound": "from app.events import emit\n\n\ndef emit(payload, event_type):\n    return None\n",
        "use": (
            "from app.reexport import emit, fire\n"
            "from app.stars import emit as star_emit\n"
            "from app.chain import blast\n"
            "from app import reexport\n"
            "import app.stars as st\n"
            "from app.choice import emit as chosen\n"
            "from app.rebound import emit as other\n"
            "emit(None, 'inventory.a')\n"              # 8
            "fire(None, 'inventory.b')\n"              # 9
            "star_emit(None, 'inventory.c')\n"         # 10
            "blast(None, event_type='inventory.d')\n"  # 11
            "reexport.fire(None, 'inventory.e')\n"     # 12
            "st.emit(None, 'inventory.f')\n"           # 13
            "chosen(None, 'inventory.g')\n"            # 14
            "fire(None, 'inventory.sync')\n"           # 15
            "other(None, 'inventory.h')\n"             # 16: the module's own emit
        ),
        # Mentions only the re-export's own name: the prefilter must know it.
        "only": "from app.chain import blast\nblast(None, 'inventory.i')\n",
    }
    document = _lint_json(tmp_path, monkeypatch, "    - {call: app.events.emit, arg: 1, keyword: event_type}\n", **modules)
    found = [(f["path"].rpartition("/")[2], f["line"], f["code"]) for f in document["findings"]]
    assert found == [("only.py", 2, "OPS001"), *(("use.py", line, "OPS001") for line in range(8, 15))]
    sites = {(s["path"].rpartition("/")[2], s["line"]): s["status"] for s in document["coverage"]["sites"]}
    assert sites[("use.py", 15)] == "verified"
    assert ("use.py", 16) not in sites or sites[("use.py", 16)] == "not-a-sink"


def test_a_reexport_is_followed_to_the_definition(tmp_path: Path) -> None:
    resolver = _resolver(
        tmp_path,
        listed="from app.events import *\n",
        private="from app.hidden import *\n",
        hidden="__all__ = ['other']\nfrom app.events import emit\n\ndef other():\n    pass\n",
        renamed="from app.events import emit as fire\n",
        rebound="from app.events import emit\nemit = print\n",
    )
    assert resolver.reexported(["app.listed.emit"]) == {"app.listed.emit", "app.events.emit"}
    assert resolver.reexported(["app.hidden.emit"]) == {"app.hidden.emit", "app.events.emit"}
    assert resolver.reexported(["app.private.emit"]) == {"app.private.emit"}, "app.hidden's __all__ leaves emit out"
    assert resolver.reexported(["app.rebound.emit"]) == {"app.rebound.emit"}
    assert resolver.reexported(["app.renamed.fire"]) == {"app.renamed.fire", "app.events.emit"}
    # Only the name written differently is a sink of its own (callers write only it).
    found = _aliases(resolver)
    assert "app.renamed.fire" in found and not {"app.listed.emit", "app.hidden.emit", "app.rebound.emit"} & set(found)


def test_a_local_bound_to_something_else_says_what_it_is_bound_to(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Django's historical models in a migration: a class of that name, not the project's.
    use = "def forwards(apps):\n    emit = apps.get_model('app', 'Event')\n    emit(None, 'anything')\n"
    document = _lint_json(tmp_path, monkeypatch, "    - {call: app.events.emit, arg: 1, keyword: event_type}\n", use=use)
    [site] = [s for s in document["coverage"]["sites"] if s["path"].endswith("use.py")]
    assert site["status"] == "not-a-sink"
    assert site["reason"] == "`emit` is a local name bound to `apps.get_model(...)`"
    assert document["findings"] == []


def test_kwargs_passed_on_beside_the_value_itself_forward_nothing(tmp_path: Path) -> None:
    # authentik's ``to_event(self, message=None, **kwargs)`` calls
    # ``Event.new(EventAction.X, message=message, **kwargs)``: the call gives the value, so
    # **kwargs cannot (a TypeError), and to_event is no wrapper.
    resolver = _resolver(tmp_path, use='''
        from app.events import emit

        def by_position(payload, **kwargs):
            emit(payload, "inventory.sync", **kwargs)

        def by_name(payload, **kwargs):
            emit(payload, event_type="inventory.sync", **kwargs)

        def forwarding(payload, **kwargs):
            emit(payload, **kwargs)

        def after_star(args, **kwargs):
            emit(*args, **kwargs)
    ''')
    derived = {d.function for d in derive_sinks(resolver, (EMIT,))}
    assert "app.use.forwarding" in derived and "app.use.after_star" in derived
    assert "app.use.by_position" not in derived and "app.use.by_name" not in derived


def test_subclasses_that_keep_a_class_sinks_constructor_are_the_sink(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # readthedocs: NotificationBaseException(message_id) is the sink, and 94 of its 124 calls
    # construct a subclass that inherits its __init__.
    errors = (
        "class Notice(Exception):\n    def __init__(self, message_id, values=None):\n        self.message_id = message_id\n\n\n"
        "class BuildError(Notice):\n    pass\n\n\nclass RepoError(BuildError):\n    pass\n\n\n"
        "class Own(Notice):\n    def __init__(self, other):\n        super().__init__('inventory.sync')\n"
    )
    use = (
        "from app.errors import BuildError, Notice, Own, RepoError\n"
        "Notice(message_id='inventory.a')\n"  # 2
        "BuildError('inventory.b')\n"  # 3
        "RepoError(message_id='inventory.c')\n"  # 4
        "Own('anything')\n"  # 5: its own constructor takes something else
        "BuildError('inventory.sync')\n"  # 6
    )
    document = _lint_json(tmp_path, monkeypatch, "    - {call: app.errors.Notice, arg: 0, keyword: message_id}\n", errors=errors, use=use)
    found = [(f["line"], f["code"]) for f in document["findings"] if f["path"].endswith("use.py")]
    assert found == [(2, "OPS001"), (3, "OPS001"), (4, "OPS001")]
    sites = {s["line"]: s["status"] for s in document["coverage"]["sites"] if s["path"].endswith("use.py")}
    assert sites[6] == "verified" and 5 not in sites


def test_a_method_sink_mixed_in_after_a_library_base_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # pretix: class LoggedModel(models.Model, LoggingMixin); Django's Model has no log_action.
    models = (
        "from django.db import models\n\n\n"
        "class LoggingMixin:\n    def log_action(self, action, data=None):\n        pass\n\n\n"
        "class LoggedModel(models.Model, LoggingMixin):\n    pass\n\n\n"
        "class Order(LoggedModel):\n    def paid(self):\n        self.log_action('inventory.paid')\n"  # 15
    )
    use = "from app.models import Order\n\n\ndef f(order: Order):\n    order.log_action('inventory.sync')\n    order.log_action('inventory.x')\n"
    document = _lint_json(tmp_path, monkeypatch, "    - {call: app.models.LoggingMixin.log_action, arg: 0, keyword: action}\n", models=models, use=use)
    found = [(f["path"].rpartition("/")[2], f["line"]) for f in document["findings"]]
    assert found == [("models.py", 15), ("use.py", 6)]
