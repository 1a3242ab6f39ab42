"""Templates made of an attribute of ``self`` (pretalx's ``f"{self.log_prefix}{action}"``) are
made per class: a call on an object of a known class gets that class's texts (and those of its
subclasses that define their own), and where the class is not known, each class's texts are
alternatives, not all made at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from lint_support import tiny_project

from opsux_lint.analysis import Resolver, build_index
from opsux_lint.analysis.sinks import DerivedSink, SinkSpec, may_meet
from opsux_lint.derived import Derived
from opsux_lint.project import resolve_targets
from opsux_lint.runner import RunOptions, Selection, run

_LOG = '''from app.events import emit


class LogMixin:
    log_prefix = None

    def log_action(self, action):
        if action.startswith("."):
            if self.log_prefix:
                action = f"{self.log_prefix}{action}"
            else:
                return None
        return emit(action)


class Room(LogMixin):
    log_prefix = "app.room"


class SpecialRoom(Room):
    pass


class Track(LogMixin):
    log_prefix = "app.track"


class Signup(LogMixin):
    log_prefix = "app.signup"

    def log_action(self, *args, **kwargs):
        return super().log_action(*args, **kwargs)


class Answer(LogMixin):
    log_prefix = "app.answer"

    def log_action(self, action, data=None):
        return super().log_action(action)
'''

_USE = '''from app.log import Answer, Room, Signup, SpecialRoom, Track


def typed(room: Room, special: SpecialRoom, track: Track):
    room.log_action(".create")
    room.log_action(".hide")
    special.log_action(".hide")
    track.log_action(".hide")


def forwarded(signup: Signup, answer: Answer):
    signup.log_action(".create")
    signup.log_action("app.event.update")
    answer.log_action("app.event.update")
    answer.log_action(".hide")


def unknown(thing):
    thing.log_action(".hide")
    thing.log_action(".gone")


def pattern(room: Room, i):
    room.log_action(f"app.event.update.{i}")
'''

_TYPES = ["app.room.create", "app.room.hide", "app.track.create", "app.signup.create", "app.answer.create", "app.event.update"]


def _project(tmp_path: Path) -> None:
    tiny_project(tmp_path, "{call: app.events.emit, arg: 0}", {
        "events.py": "def emit(action):\n    return action\n", "log.py": _LOG, "use.py": _USE,
    }, types=_TYPES)


def test_a_known_class_gets_its_own_texts(tmp_path: Path) -> None:
    _project(tmp_path)
    result = run(resolve_targets([tmp_path], None), Selection(), tmp_path, RunOptions(coverage=True))
    found = sorted((f.line, f.code, f.message.split(" is not")[0].removeprefix("Operation type ")) for f in result.findings)
    assert [f for f in found if f[0] < 17] == [
        (8, "OPS001", "'app.track.hide'"),  # Track's own prefix; Room's hide is registered
        (15, "OPS001", "'app.answer.hide'"),  # through a forwarder that passes the value on
    ]
    assert result.sites is not None
    status = {s.line: str(s.status) for s in result.sites if s.path == "src/app/use.py"}
    assert [status[line] for line in (5, 6, 7, 12, 13, 14)] == ["verified"] * 6


def test_where_the_class_is_not_known_each_class_texts_are_alternatives(tmp_path: Path) -> None:
    _project(tmp_path)
    result = run(resolve_targets([tmp_path], None), Selection(), tmp_path, RunOptions(coverage=True))
    at = {}
    for f in result.findings:
        at.setdefault(f.line, []).append((f.code, f.message))
    # Room's ".hide" is registered, the others' are not: the object's class decides (a call
    # matched by the method's name alone is no OPS008; --coverage says why).
    assert 19 not in at
    assert result.sites is not None
    site = next(s for s in result.sites if s.path == "src/app/use.py" and s.line == 19)
    assert str(site.status) == "unknown-receiver"
    assert "the text depends on the class of `thing`, which is not known: on an object of `Answer`, `Signup`, `Track`" in site.reason
    assert "'app.answer.hide', 'app.signup.hide', 'app.track.hide', not registered" in site.reason
    # No class registers ".gone": wrong whatever the object is, one finding of the value.
    assert [code for code, _ in at[20]] == ["OPS001"]
    assert "'app.answer.gone' is not registered" in at[20][0][1]
    assert "one of 4 texts, one per class of the object, none registered (also 'app.room.gone', 'app.signup.gone', ...)" in at[20][0][1]


def test_a_text_not_known_to_pass_the_test_is_not_templated(tmp_path: Path) -> None:
    _project(tmp_path)
    result = run(resolve_targets([tmp_path], None), Selection(), tmp_path)
    # ``f"app.event.update.{i}"`` does not start with ".": checked as itself, never prefixed.
    assert [f.message.split("'")[1] for f in result.findings if f.line == 24] == ["app.event.update.{i}"]


@pytest.mark.parametrize(
    ("head", "guard", "expected"),
    [
        ("app.", ((".", True),), False),  # decided: it does not start with "."
        ("app.", ((".", False),), True),
        ("", ((".", True),), True),  # nothing known: it may
        ("ap", (("app.", True),), True),  # may go on to "app."
        ("ax", (("app.", True),), False),
        ("ax", (("app.", False),), True),
        (".x", ((".", True), ("..", False)), True),
    ],
)
def test_a_text_known_by_its_head_may_meet_a_guard(head: str, guard: tuple[tuple[str, bool], ...], expected: bool) -> None:
    assert may_meet(head, guard) is expected


def test_the_classes_whose_definition_an_object_may_have(tmp_path: Path) -> None:
    _project(tmp_path)
    resolver = Resolver(build_index(tmp_path, ["src"], [], cache_dir=None))
    owners = {f"app.log.{c}" for c in ("Room", "Track", "Signup", "Answer")}
    assert resolver.owners_for("app.log.Room", owners) == {"app.log.Room"}
    assert resolver.owners_for("app.log.SpecialRoom", owners) == {"app.log.Room"}  # inherited
    assert resolver.owners_for("app.log.LogMixin", owners) == owners  # it may be any subclass
    assert resolver.owners_for("app.log.SpecialRoom", {*owners, "app.log.SpecialRoom"}) == {"app.log.SpecialRoom"}


def test_the_derivation_keeps_which_classes_make_a_template(tmp_path: Path) -> None:
    _project(tmp_path)
    from opsux_lint.analysis import derive_sinks

    resolver = Resolver(build_index(tmp_path, ["src"], [], cache_dir=None))
    found = {d.function: d for d in derive_sinks(resolver, [SinkSpec("app.events.emit", 0, None)], templated=True)}
    mixin = found["app.log.LogMixin.log_action"]
    assert mixin.owners_of(("app.room", "")) == ("app.log.Room",)
    assert mixin.owners_of(("", "")) == ()
    # Through ``super()`` a subclass's method keeps what its own objects make.
    assert found["app.log.Signup.log_action"].templates == (("", ""), ("app.signup", ""))
    assert found["app.log.Signup.log_action"].guard(("", "")) == ((".", False),)
    derived = Derived({"operation_types": tuple(found.values())}, frozenset(), frozenset())
    assert Derived.from_json(derived.to_json()) == derived


def test_a_damaged_owner_list_is_a_damaged_derivation() -> None:
    sink = DerivedSink(SinkSpec("app.a", 0, None), "app.b", "kind", 1, "app.a", owners=((("p", ""), ("app.C",)),))
    data = Derived({"operation_types": (sink,)}, frozenset(), frozenset()).to_json()
    data["wrappers"]["operation_types"][0][10] = [["p", "", []]]
    with pytest.raises(ValueError, match="not a derived sink"):
        Derived.from_json(data)
