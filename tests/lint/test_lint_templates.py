"""A wrapper's parameter written into a template (``f"inventory.{kind}"``, ``"backup." + what``):
the resolver carries the text around it, derivation composes it through wrappers, and callers'
values are checked as the template makes them."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from lint_support import tiny_project

from opsux_lint.analysis import Resolver, SinkSpec, Unknown, build_index, derive_sinks
from opsux_lint.analysis.sinks import fill_template, hole, template_params, template_pattern, template_text
from opsux_lint.analysis.wrappers import MAX_TEMPLATES
from opsux_lint.derived import Derived
from opsux_lint.project import resolve_targets
from opsux_lint.runner import RunOptions, Selection, run

SOURCE = '''
from app.events import emit

SCOPE = "inventory"


def track(kind="sync"):
    emit(f"inventory.{kind}")


def spaced(kind):
    emit(SCOPE + "." + kind + ".run")


def plain(kind):
    emit(f"{kind}")


def pair(a, b):
    emit(f"{a}.{b}")


def local(step):
    event = f"nightly.{step}"
    emit(f"{event}.done")


def backup(what):
    plain("backup." + what)
'''


def _resolver(tmp_path: Path) -> Resolver:
    package = tmp_path / "src" / "app"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "events.py").write_text("def emit(event_type):\n    return event_type\n")
    (package / "jobs.py").write_text(textwrap.dedent(SOURCE))
    return Resolver(build_index(tmp_path, ["src"], [], cache_dir=None))


def _unknowns(resolver: Resolver, function: str, source: str) -> list[Unknown]:
    from opsux_lint.analysis.outline import expr, parse_module

    tree = parse_module(source)
    assert tree is not None
    return list(resolver.resolve(expr(tree.body[0].value), "app.jobs", function).unknowns)  # type: ignore[attr-defined]


def test_a_parameter_in_a_template_carries_the_text_around_it(tmp_path: Path) -> None:
    resolver = _resolver(tmp_path)
    [track] = _unknowns(resolver, "track", 'f"inventory.{kind}"')
    assert track.param == ("app.jobs.track", "kind") and track.template == ("inventory.", "")
    resolution = resolver.resolve(["f", [["s", "inventory."], ["n", "kind"]]], "app.jobs", "track")
    # The default fills it too, and the pattern bounds what any value makes.
    assert [(v.text, v.pattern) for v in resolution.values] == [
        ("inventory.{kind}", "(?:inventory\\.).*"), ("inventory.sync", None),
    ]
    [spaced] = _unknowns(resolver, "spaced", 'SCOPE + "." + kind + ".run"')
    assert spaced.template == ("inventory.", ".run")
    [local] = _unknowns(resolver, "local", 'f"{event}.done"')
    assert local.param == ("app.jobs.local", "step") and local.template == ("nightly.", ".done")


def test_a_template_of_nothing_else_is_the_parameter_and_two_placeholders_are_a_pattern(tmp_path: Path) -> None:
    resolver = _resolver(tmp_path)
    [plain] = _unknowns(resolver, "plain", 'f"{kind}"')
    assert plain.param == ("app.jobs.plain", "kind") and plain.template is None



def test_each_parameter_of_a_template_of_several_carries_the_others_as_holes(tmp_path: Path) -> None:
    resolver = _resolver(tmp_path)
    a, b = _unknowns(resolver, "pair", 'f"{a}.{b}"')
    assert (a.param, a.template) == (("app.jobs.pair", "a"), ("", "." + hole("b", "app.jobs.pair")))
    assert (b.param, b.template) == (("app.jobs.pair", "b"), (hole("a", "app.jobs.pair") + ".", ""))
    # A placeholder that is no parameter is a hole in the callers' template as well, and at the
    # site it leaves the value open: an unknown of its own, that no caller settles.
    kind, open_hole = _unknowns(resolver, "pair", 'f"{SCOPE}.{x.y}.{a}"')
    assert kind.template == ("inventory." + hole("x.y") + ".", "")
    assert open_hole.param is None and open_hole.reason.startswith("the placeholder `x.y` can be any text (")
    assert [u.reason.split(" can be")[0] for u in _unknowns(resolver, "pair", 'f"{x.y}.{z}"')] == [
        "the placeholder `x.y`", "the placeholder `z`",
    ]


def test_derivation_composes_templates_through_wrappers(tmp_path: Path) -> None:
    resolver = _resolver(tmp_path)
    sink = SinkSpec("app.events.emit", 0, "event_type")
    derived = {w.function: w for w in derive_sinks(resolver, [sink], templated=True)}
    assert derived["app.jobs.track"].templates == (("inventory.", ""),)
    assert derived["app.jobs.spaced"].templates == (("inventory.", ".run"),)
    assert derived["app.jobs.plain"].templates == (("", ""),)
    assert derived["app.jobs.backup"].templates == (("backup.", ""),)
    assert derived["app.jobs.local"].templates == (("nightly.", ".done"),)
    pair = {w.param: w.templates for w in derive_sinks(resolver, [sink], templated=True) if w.function == "app.jobs.pair"}
    assert pair == {"a": (("", "." + hole("b", "app.jobs.pair")),), "b": ((hole("a", "app.jobs.pair") + ".", ""),)}
    # Other families pass values on as they are: a template makes no wrapper there.
    plain_only = {w.function for w in derive_sinks(resolver, [sink])}
    assert plain_only == {"app.jobs.plain"}
    again = Derived.from_json(Derived({"operation_type": tuple(derived.values())}, frozenset(), frozenset()).to_json())
    assert {w.function: w for w in again.wrappers["operation_type"]} == derived


def test_holes_show_as_placeholders_match_any_text_and_fill_only_their_own_parameter() -> None:
    piece = "app." + hole("scope", "app.jobs.pair") + "." + hole("x.y") + ".run"
    assert template_text(piece) == "app.{scope}.{x.y}.run"
    assert template_pattern(piece) == r"app\..*\..*\.run" and template_pattern("app.run") is None
    assert template_params(piece) == [("app.jobs.pair", "scope")]
    assert template_text(fill_template(piece, {("app.jobs.pair", "scope"): "backup"})) == "app.backup.{x.y}.run"
    # Another function's parameter of the same name is not this hole's.
    assert fill_template(piece, {("app.jobs.other", "scope"): "backup"}) == piece


_OPEN_TEMPLATES = '''\
from app.events import emit

SUFFIX = "sync"


def direct(request, obj):
    emit(f"inventory.{request.GET['a']}")
    emit(f"{obj.kind}")
    emit("inventory." + obj.action)
    emit(f"inventory.{SUFFIX}")
    emit(f"billing.{obj.kind}")


def filled(action):
    emit(f"inventory.{action}")


def half(action, obj):
    emit(f"{action}.{obj.kind}")


def either(action, obj):
    x = action if obj else obj.kind
    emit(f"inventory.{x}")


filled("sync")
half("inventory", None)
either("sync", None)
'''


def test_a_placeholder_no_caller_fills_leaves_the_value_unverified(tmp_path: Path) -> None:
    from opsux_lint.project import resolve_targets
    from opsux_lint.runner import Selection, run

    (tmp_path / "opsux.yaml").write_text(
        "operation_types: {inventory.sync: Sync, inventory.pull: Pull}\n"
        "lint:\n  src: [src]\n  operation_type_sinks: [{call: app.events.emit, arg: 0}]\n",
        encoding="utf-8",
    )
    package = tmp_path / "src" / "app"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "events.py").write_text("def emit(kind):\n    return kind\n")
    (package / "use.py").write_text(_OPEN_TEMPLATES)
    result = run(resolve_targets([tmp_path], None), Selection(), tmp_path)
    found = {(f.line, f.code): f.message for f in result.findings}
    # Any text, or one of several types: open, whether every registered type matches or one does.
    assert sorted(found) == [(7, "OPS008"), (8, "OPS008"), (9, "OPS008"), (11, "OPS001"), (19, "OPS008"), (24, "OPS008")]
    assert found[(7, "OPS008")].endswith("the placeholder `request.GET['a']` can be any text (an item of `request.GET`)")
    assert "the placeholder `obj.kind` can be any text (the attribute `obj.kind`" in found[(8, "OPS008")]
    assert "the placeholder `obj.action` can be any text" in found[(9, "OPS008")]
    # A parameter the callers fill is checked there; the other placeholder still leaves it open.
    assert "the placeholder `obj.kind`" in found[(19, "OPS008")]
    # What no caller can settle is the reason, not the parameter beside it.
    assert "(the attribute `obj.kind`" in found[(24, "OPS008")]


@pytest.mark.parametrize("prefixes", [MAX_TEMPLATES - 1, MAX_TEMPLATES])
def test_templates_beyond_the_most_a_wrapper_keeps_make_its_calls_unverifiable(tmp_path: Path, prefixes: int) -> None:
    # pretalx's log_action: each model's prefix in one arm, the caller's own value in the other.
    # Every text the sink can get is registered; once there are more than the wrapper keeps,
    # the ones it no longer lists could be anything: OPS008, never verified.
    subclasses = "".join(f"\n\nclass P{n}(Loggable):\n    prefix = 'p{n}'\n" for n in range(prefixes))
    tiny_project(tmp_path, "{call: app.events.emit, arg: 0}", {
        "events.py": "def emit(action):\n    return action\n",
        "log.py": (
            "from app.events import emit\n\n\nclass Loggable:\n    prefix = None\n\n"
            "    def log(self, action):\n        if self.prefix:\n            action = self.prefix + '.' + action\n"
            "        emit(action)\n" + subclasses
        ),
        "use.py": "from app.log import Loggable\n\nLoggable().log('a.b')\n",
    }, types=["a.b", *(f"p{n}.a.b" for n in range(prefixes))])
    findings = run(resolve_targets([tmp_path], None), Selection(), tmp_path).findings
    if prefixes + 1 <= MAX_TEMPLATES:  # the prefixes and the value itself
        assert findings == ()
    else:
        assert [(f.path, f.line, f.code) for f in findings] == [("src/app/use.py", 3, "OPS008")]
        assert f"more than {MAX_TEMPLATES} different texts" in findings[0].message


def test_a_call_of_two_sinks_is_checked_for_what_each_gets(tmp_path: Path) -> None:
    # pretalx: ``*.log_action`` configured, and the model that log_action writes. The call is a
    # site of both: the value itself, and the text the wrapper makes of it for the model.
    tiny_project(tmp_path, ["{call: '*.log_action', arg: 0, keyword: action}", "{call: app.models.Entry, keyword: action_type}"], {
        "models.py": (
            "class Entry:\n    def __init__(self, action_type=None):\n        self.action_type = action_type\n\n\n"
            "class Thing:\n    def log_action(self, action):\n        return Entry(action_type='app.' + action)\n"
        ),
        "use.py": (
            "from app.models import Thing\n\n"
            "Thing().log_action('thing.create')\n"  # 3: Entry gets 'app.thing.create'
            "Thing().log_action('thing.update')\n"  # 4: both registered
            "Thing().log_action('app.thing.update')\n"  # 5: log_action's own value is not
        ),
    }, types=["thing.create", "app.thing.update", "thing.update"])
    findings = run(resolve_targets([tmp_path], None), Selection(), tmp_path).findings
    assert [(f.path, f.line, f.code) for f in findings] == [("src/app/use.py", 3, "OPS001"), ("src/app/use.py", 5, "OPS001")]
    assert "'app.thing.create'" in findings[0].message and "'app.app.thing.update'" in findings[1].message


def test_a_site_delegated_through_several_templates_names_its_wrapper_once(tmp_path: Path) -> None:
    tiny_project(tmp_path, "{call: app.models.Entry, keyword: action_type}", {
        "models.py": (
            "class Entry:\n    def __init__(self, action_type=None):\n        self.action_type = action_type\n\n\n"
            "class LogMixin:\n    log_prefix = None\n\n    def log_action(self, action):\n"
            "        if self.log_prefix:\n            action = f'{self.log_prefix}{action}'\n"
            "        return Entry(action_type=action)\n\n\nclass Room(LogMixin):\n    log_prefix = 'app.room'\n"
        ),
        "use.py": "from app.models import Room\n\nRoom().log_action('.create')\n",
    }, types=["app.room.create"])
    result = run(resolve_targets([tmp_path], None), Selection(), tmp_path, RunOptions(coverage=True))
    delegated = [s for s in result.sites or () if s.status == "delegated"]
    assert [s.reason for s in delegated] == ["the callers of `app.models.LogMixin.log_action` are checked"]


_LOGGER = '''from app.events import emit


class Room:
    prefix = "app.room"

    def log_action(self, action, other=""):
{body}
        return emit(action)
'''


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # pretalx: a relative action is prefixed or not logged; an absolute one is logged as it is.
        ('        if action.startswith("."):\n            if self.prefix:\n                action = f"{self.prefix}{action}"\n'
         '            else:\n                return None\n', []),
        # The prefix may be missing and nothing leaves: ".create" itself may reach the sink.
        ('        if action.startswith("."):\n            if self.prefix:\n                action = f"{self.prefix}{action}"\n',
         [(4, "'.create'")]),
        # A negated test: the prefix is added to what lacks it, the rest is logged as it is.
        ('        if not action.startswith("app."):\n            action = "app.room." + action\n',
         [(4, "'app.room..create'")]),
        # A test of another name says nothing of ``action``: every text is checked.
        ('        if other.startswith("."):\n            action = f"{self.prefix}{action}"\n',
         [(4, "'.create'"), (5, "'app.roomapp.event.update'")]),
        # Inside a loop the test does not stand before the sink on every path: the template
        # is still made of a relative value alone, the value itself may reach the sink.
        ('        for _ in range(1):\n            if action.startswith("."):\n                action = f"{self.prefix}{action}"\n'
         '            else:\n                return None\n', [(4, "'.create'")]),
    ],
)
def test_a_template_made_under_a_prefix_test_applies_to_the_values_that_pass_it(
    tmp_path: Path, body: str, expected: list[tuple[int, str]]
) -> None:
    tiny_project(tmp_path, "{call: app.events.emit, arg: 0}", {
        "events.py": "def emit(action):\n    return action\n",
        "log.py": _LOGGER.format(body=body),
        "use.py": "from app.log import Room\n\n\ndef go(room: Room):\n    room.log_action('.create')\n    room.log_action('app.event.update')\n",
    }, types=["app.room.create", "app.event.update"])
    findings = run(resolve_targets([tmp_path / "src" / "app" / "use.py"], None), Selection(), tmp_path).findings
    got = sorted((f.line - 1, f.message.split(" is not registered")[0].split("Operation type ")[1]) for f in findings)
    assert got == sorted(expected)


_LEFT_OUT = """\
from app.events import emit


class ItemView:
    def save(self, base, verb="removed"):
        emit("app.item.{}.{}".format(base, verb))

    def save_redone(self, base, verb="removed"):
        verb = verb or "removed"
        emit("app.item.{}.{}".format(base, verb))

    def form_valid(self, args):
        self.save("addons")
        self.save("variation", verb="bogus")
        self.save("addons", "added")
        self.save("addons", *args)
        self.save_redone("addons")
"""


def test_a_parameter_a_call_leaves_out_fills_the_template_with_its_default(tmp_path: Path) -> None:
    # pretix: "pretix.event.item.{}.{}".format(log_base, rm_verb) with rm_verb="removed".
    tiny_project(tmp_path, "{call: app.events.emit, arg: 0}", {
        "events.py": "def emit(kind):\n    return kind\n", "views.py": _LEFT_OUT,
    }, types=["app.item.addons.added", "app.item.variation.deleted"])
    result = run(resolve_targets([tmp_path], None), Selection(), tmp_path, RunOptions(coverage=True))
    reported = {(f.line, f.message.split("'")[1]) for f in result.findings if f.code == "OPS001"}
    assert reported == {(13, "app.item.addons.removed"), (14, "app.item.variation.bogus")}
    assert result.sites is not None
    statuses = {(s.line, s.column): str(s.status) for s in result.sites if s.path == "src/app/views.py"}
    assert statuses[(15, 19)] == "verified"
    # A spread may give it anything; a parameter assigned in the body is not only the caller's.
    assert statuses[(16, 19)] == "verified" and statuses[(17, 26)] == "verified"
