"""Cross-file resolution (the project index), wrapper sinks, OPS008 and what they mean for a run.

The constructs themselves are covered by the ``resolve`` fixture project's inline expectations
(test_lint_fixture_projects.py); these tests pin the behaviour around them.
"""

from __future__ import annotations

import gc
import json
import math
import weakref
from pathlib import Path

import pytest
from click.testing import CliRunner

from lint_support import copy_fixture, tiny_project
from opsux_lint.cli import main
from opsux_lint.analysis import Resolver, SinkSpec, build_index, derive_sinks
from opsux_lint.analysis.index import ProjectIndex, save_index
from opsux_lint.project import resolve_targets
from opsux_lint.runner import RunOptions, Selection, run
from opsux_lint.analysis.outline import parse_module, summarize


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = copy_fixture("resolve", tmp_path)
    monkeypatch.chdir(root)
    return root


def _findings(project: Path, *paths: Path) -> list[tuple[str, int, str, str]]:
    result = run(resolve_targets(list(paths) or [project], None), Selection(), project)
    return [(f.path, f.line, f.code, f.message) for f in result.findings]


def test_the_message_carries_the_evidence_chain(project: Path) -> None:
    messages = {(path, line): message for path, line, _, message in _findings(project)}
    assert messages[("src/app/jobs.py", 14)].endswith(
        "(LEGACY_ALIAS -> src/app/ops/types.py:7 LEGACY -> src/app/ops/types.py:6 'inventory.legacy')"
    )
    assert "default of `kind` types.Kind.STALE -> src/app/ops/types.py:18 'backup.stale'" in messages[
        ("src/app/ops/wrappers.py", 19)
    ]
    assert messages[("src/app/dynamic.py", 12)].endswith(
        "parameter `event_type` of `notify_event`, which no call in the project names "
        "(a call from outside the source roots, or a dynamic one, is not followed)"
    )


def test_one_changed_file_is_checked_against_the_whole_project(project: Path) -> None:
    # pre-commit passes only the changed file; the constants it uses live in others.
    only = _findings(project, project / "src" / "app" / "jobs.py")
    assert {path for path, *_ in only} == {"src/app/jobs.py"}
    assert len([f for f in only if f[2] == "OPS001"]) == 12


def test_warnings_do_not_fail_the_run_unless_the_config_says_error(project: Path) -> None:
    runner = CliRunner()
    dynamic = runner.invoke(main, ["src/app/dynamic.py", "--no-cache", "--select", "OPS008"])
    assert dynamic.exit_code == 0, dynamic.output
    assert "OPS008" in dynamic.output and "Found 6 warnings" in dynamic.output
    config = project / "opsux.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "  severity: {OPS008: error}\n", encoding="utf-8")
    strict = runner.invoke(main, ["src/app/dynamic.py", "--no-cache", "--select", "OPS008"])
    assert strict.exit_code == 1 and "Found 6 errors" in strict.output


def test_a_changed_constant_elsewhere_invalidates_cached_findings(project: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(main, ["src/app/jobs.py", "--select", "OPS001"])
    assert "'inventory.legacy'" in first.output
    types = project / "src" / "app" / "ops" / "types.py"
    types.write_text(types.read_text(encoding="utf-8").replace('"inventory.legacy"', '"inventory.sync"'), encoding="utf-8")
    second = runner.invoke(main, ["src/app/jobs.py", "--select", "OPS001"])
    assert "'inventory.legacy'" not in second.output
    assert list((project / ".opsux_cache").glob("index-*.json")), "the index is cached beside the config"


def test_wrappers_become_sinks_to_a_fixpoint(project: Path) -> None:
    index = build_index(project, ["src"], [], cache_dir=None)
    base = [SinkSpec("app.ops.service.start_operation", 1, "operation_type")]
    found = {(w.function, w.param): w for w in derive_sinks(Resolver(index), base)}
    assert found[("app.ops.wrappers.level1", "kind")].spec == SinkSpec("app.ops.wrappers.level1", 1, "kind")
    assert found[("app.ops.wrappers.level2", "op")].via == "app.ops.wrappers.level1"
    level3 = found[("app.ops.wrappers.level3", "op_type")]
    assert (level3.spec.arg, level3.via, level3.callers) == (0, "app.ops.wrappers.level2", 1)
    assert found[("app.dynamic.notify_event", "event_type")].callers == 0


def test_syntax_of_newer_pythons_is_stepped_over_line_by_line() -> None:
    source = (
        "def pick[T](x: T) -> T:\n    return x\n"
        "type Alias = tuple[str, str]\n"
        "try:\n    pass\nexcept KeyError, ValueError:\n    pass\n"
        "KIND = 'inventory.sync'\n"
    )
    assert parse_module(source) is not None
    summary = summarize(source, "m", False)
    assert summary is not None and summary["assign"]["KIND"] == [[8, ["s", "inventory.sync"]]]
    assert parse_module("x = (\n") is None


def test_newer_syntax_repairs_leave_string_literals_as_written() -> None:
    # Every line is repaired in one pass; a line that only looks like newer syntax inside a
    # string literal is the string's text and stays as it is.
    text = '"""\nexcept A, B:\ntype X = int\n"""'
    source = (
        "try:\n    pass\nexcept KeyError, ValueError:\n    pass\n"
        f"HELP = {text}\n"
        "try:\n    pass\nexcept OSError, EOFError:\n    pass\n"
    )
    summary = summarize(source, "m", False)
    assert summary is not None
    assert summary["assign"]["HELP"] == [[5, ["s", "\nexcept A, B:\ntype X = int\n"]]]
    assert "X" not in summary["assign"]
    tree = parse_module(source.replace(f"HELP = {text}\n", ""))
    assert tree is not None and len(tree.body) == 2


@pytest.mark.parametrize(
    "source",
    [
        "try:\n    pass\nexcept KeyError, ValueError:\n    pass\n",  # repaired in one pass
        '"""\nexcept A, B:\n"""\ntry:\n    pass\nexcept KeyError, ValueError:\n    pass\n',  # line by line
    ],
)
def test_a_repaired_tree_is_freed_when_its_caller_drops_it(source: str) -> None:
    # Without the collector: a tree kept alive by a reference cycle (an error's traceback
    # holding the parser's frame) outlives the file's lint; a big module's cost 0.3 s at exit.
    gc.disable()
    try:
        tree = parse_module(source)
        assert tree is not None
        freed = weakref.ref(tree)
        del tree
        assert freed() is None
    finally:
        gc.enable()


def test_sites_tell_what_each_position_resolved_to(project: Path) -> None:
    from opsux_core.policy import load_policy

    from opsux_lint.engine import Linter
    from opsux_lint.kinds import SiteStatus
    from opsux_lint.registry import builtin_rules
    from opsux_lint.runner import project_index

    policy = load_policy(project / "opsux.yaml")
    linter = Linter(policy, builtin_rules(), project_index(policy, cache=False))
    jobs = project / "src" / "app" / "jobs.py"
    sites = linter.sites(jobs, jobs.read_bytes())
    assert len(sites) == 24
    assert not [o for _, _, o in sites if o.status in (SiteStatus.UNVERIFIABLE, SiteStatus.UNKNOWN_RECEIVER)]
    by_line = {line: outcome for line, _, outcome in sites}
    assert [v.text for v in by_line[18].values] == ["inventory.sync", "inventory.legacy"]
    dynamic = project / "src" / "app" / "dynamic.py"
    outcomes = [outcome for _, _, outcome in linter.sites(dynamic, dynamic.read_bytes())]
    assert [o.status for o in outcomes].count(SiteStatus.UNVERIFIABLE) == 7
    assert [o.status for o in outcomes].count(SiteStatus.UNREGISTERED) == 1  # self.kind of LegacyJob


def _outline_hashes(index: ProjectIndex) -> dict[str, str]:
    """Every module's outline hash (outlining what the cache does not hold)."""
    return {name: index.outline_hash(name) for name in sorted(index.names())}


def test_the_index_is_cached_by_file_content(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import opsux_lint.analysis.index as index_module

    cache = project / ".opsux_cache"
    first = build_index(project, ["src"], [], cache_dir=cache)
    fingerprint = _outline_hashes(first)  # outlines every module
    save_index(first, project, ["src"], [], cache_dir=cache)

    def no_parsing(*args: object) -> None:
        raise AssertionError("an unchanged file was summarized again")

    monkeypatch.setattr(index_module, "summarize", no_parsing)
    hashed: list[object] = []
    real_json = index_module.outline_json
    monkeypatch.setattr(index_module, "outline_json", lambda summary: hashed.append(summary) or real_json(summary))
    again = build_index(project, ["src"], [], cache_dir=cache)
    assert _outline_hashes(again) == fingerprint
    assert hashed == [], "the outlines' hashes come from the cache too"
    types = project / "src" / "app" / "ops" / "types.py"
    types.write_text(types.read_text(encoding="utf-8") + "\nNEW = 'x.y'\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="summarized again"):
        _outline_hashes(build_index(project, ["src"], [], cache_dir=cache))


def test_a_first_cached_run_serializes_each_outline_once(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    import opsux_lint.analysis.index as index_module

    serialized: list[str] = []
    real_json = index_module.outline_json
    monkeypatch.setattr(index_module, "outline_json", lambda summary: serialized.append(summary["module"]) or real_json(summary))
    cache = project / ".opsux_cache"
    index = build_index(project, ["src"], [], cache_dir=cache)
    fingerprint = _outline_hashes(index)  # hashes every outline
    made = dict(index.made)
    assert sorted(serialized) == sorted(s["module"] for s in made.values()) and made
    save_index(index, project, ["src"], [], cache_dir=cache)
    assert len(serialized) == len(made), "saving writes the text that was hashed"
    # What was written is the outline, and what the next run's hashes are read from.
    [outlines] = cache.glob("outlines-*")
    stored = [json.loads(f.read_text(encoding="utf-8")) for f in outlines.glob("*.json")]
    assert sorted(json.dumps(s, sort_keys=True) for s in stored) == sorted(json.dumps(s, sort_keys=True) for s in made.values())
    assert _outline_hashes(build_index(project, ["src"], [], cache_dir=cache)) == fingerprint


def test_the_index_outlines_only_what_is_asked_for(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import opsux_lint.analysis.index as index_module

    index = build_index(project, ["src"], [], cache_dir=None)
    outlined: list[str] = []
    real = index_module.summarize
    monkeypatch.setattr(index_module, "summarize", lambda source, module, pkg: outlined.append(module) or real(source, module, pkg))
    assert outlined == [], "building the index reads files, it outlines none"
    resolver = Resolver(index)
    resolution = resolver.resolve(["a", ["a", ["n", "O"], "Inventory"], "EXPORT"], "app.jobs")
    assert [v.text for v in resolution.values] == ["inventory.export"]
    assert set(outlined) == {"app.jobs", "app.ops.types"}
    assert index.mentioning(["level3"]) == ["app.jobs", "app.ops.wrappers"]
    assert set(outlined) == {"app.jobs", "app.ops.types"}, "searching for a name outlines nothing"

def test_a_value_from_a_module_that_does_not_parse_says_so(tmp_path: Path) -> None:
    (tmp_path / "opsux.yaml").write_text(
        "operation_types:\n  inventory.sync: Inventory sync\nlint:\n  operation_type_sinks: [{call: app.run, arg: 0}]\n",
        encoding="utf-8",
    )
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("def run(kind):\n    return kind\n", encoding="utf-8")
    (tmp_path / "app" / "kinds.py").write_text("SYNC = 'inventory.sync'\ndef broken(:\n", encoding="utf-8")
    (tmp_path / "app" / "jobs.py").write_text("from app import run\nfrom app.kinds import SYNC\n\nrun(SYNC)\n", encoding="utf-8")
    result = CliRunner().invoke(main, [str(tmp_path / "app" / "jobs.py"), "--no-cache"])
    assert "app/kinds.py, which this Python cannot parse" in result.output
    assert "outside the project's source roots" not in result.output


def test_a_run_that_outlines_one_module_keeps_the_others_outlines(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import opsux_lint.analysis.index as index_module

    cache = project / ".opsux_cache"
    first = build_index(project, ["src"], [], cache_dir=cache)
    _outline_hashes(first)  # outlines every module
    save_index(first, project, ["src"], [], cache_dir=cache)
    types = project / "src" / "app" / "ops" / "types.py"
    types.write_text(types.read_text(encoding="utf-8") + "\nNEW = 'x.y'\n", encoding="utf-8")
    second = build_index(project, ["src"], [], cache_dir=cache)
    assert second.entry("app.ops.types") is not None and second.fresh == 1
    save_index(second, project, ["src"], [], cache_dir=cache)

    outlined: list[str] = []
    real = index_module.summarize
    monkeypatch.setattr(index_module, "summarize", lambda source, module, pkg: outlined.append(module) or real(source, module, pkg))
    third = build_index(project, ["src"], [], cache_dir=cache)
    _outline_hashes(third)
    assert outlined == [], "the changed module's new outline and every other one came from the cache"
    assert "NEW" in third.summary("app.ops.types")["assign"]


def test_a_warm_run_reads_and_writes_only_the_outlines_it_uses(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import opsux_lint.analysis.index as index_module

    cache = project / ".opsux_cache"
    first = build_index(project, ["src"], [], cache_dir=cache)
    fingerprint = _outline_hashes(first)
    save_index(first, project, ["src"], [], cache_dir=cache)
    [outlines] = cache.glob("outlines-*")
    stored = sorted(f.name for f in outlines.iterdir())
    assert len(stored) == len(list(first.names()))

    read: list[str] = []
    written: list[str] = []
    real_get, real_put = index_module.OutlineStore.get, index_module.OutlineStore.put
    monkeypatch.setattr(index_module.OutlineStore, "get", lambda self, key: read.append(key) or real_get(self, key))
    monkeypatch.setattr(index_module.OutlineStore, "put", lambda self, key, summary: written.append(key) or real_put(self, key, summary))
    warm = build_index(project, ["src"], [], cache_dir=cache)
    assert _outline_hashes(warm) == fingerprint and read == [], "the hashes come from the manifest"
    resolution = Resolver(warm).resolve(["a", ["a", ["n", "O"], "Inventory"], "EXPORT"], "app.jobs")
    assert [v.text for v in resolution.values] == ["inventory.export"]
    assert sorted(k.partition(":")[2] for k in read) == ["app.jobs", "app.ops.types"]

    types = project / "src" / "app" / "ops" / "types.py"
    types.write_text(types.read_text(encoding="utf-8") + "\nNEW = 'x.y'\n", encoding="utf-8")
    changed = build_index(project, ["src"], [], cache_dir=cache)
    _outline_hashes(changed)
    save_index(changed, project, ["src"], [], cache_dir=cache)
    assert [k.partition(":")[2] for k in written] == ["app.ops.types"]
    now = sorted(f.name for f in outlines.iterdir())
    assert len(now) == len(stored) and len(set(now) - set(stored)) == 1, "the old outline of the changed file is gone"


def test_a_damaged_or_missing_outline_is_made_afresh(project: Path) -> None:
    cache = project / ".opsux_cache"
    first = build_index(project, ["src"], [], cache_dir=cache)
    fingerprint = _outline_hashes(first)
    save_index(first, project, ["src"], [], cache_dir=cache)
    [outlines] = cache.glob("outlines-*")
    files = sorted(outlines.iterdir())
    files[0].write_text("{not json", encoding="utf-8")
    files[1].write_text('{"format": 0}', encoding="utf-8")
    files[2].unlink()
    again = build_index(project, ["src"], [], cache_dir=cache)
    assert _outline_hashes(again) == fingerprint
    assert all(again.summary(name) == first.summary(name) for name in first.names())
    assert again.fresh == 3
    save_index(again, project, ["src"], [], cache_dir=cache)
    assert len(list(outlines.iterdir())) == len(files)


def test_the_outlines_of_a_pruned_manifest_go_with_it(project: Path) -> None:
    from opsux_lint.cache import KEEP_FILES

    cache = project / ".opsux_cache"
    for salt in range(KEEP_FILES + 2):
        index = build_index(project, ["src"], [], cache_dir=cache, salt=str(salt))
        _outline_hashes(index)
        save_index(index, project, ["src"], [], cache_dir=cache, salt=str(salt))
    manifests = {f.stem.removeprefix("index-") for f in cache.glob("index-*.json")}
    directories = {d.name.removeprefix("outlines-") for d in cache.glob("outlines-*")}
    assert len(manifests) == KEEP_FILES and directories == manifests


def test_a_name_read_in_its_own_assignment_is_what_it_was_before(tmp_path: Path) -> None:
    # authentik's Event.new: ``action = PREFIX + action`` once, then the sink: the values are
    # the parameter and the prefixed parameter, never the prefix applied again and again.
    (tmp_path / "opsux.yaml").write_text(
        "operation_types:\n  auth.login: Login\n  custom.auth.login: Custom login\n  auth.a: A\n  auth.a.b: A B\n"
        "lint:\n  operation_type_sinks: [{call: app.events.emit, arg: 0}]\n",
        encoding="utf-8",
    )
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "app" / "events.py").write_text(
        "PREFIX = 'custom.'\n\n\ndef emit(action):\n    print(action)\n\n\n"
        "def new(action):\n    if not action.startswith(PREFIX):\n        action = PREFIX + action\n    emit(action)\n\n\n"
        "def suffixed():\n    kind = 'auth.a'\n    kind = kind + '.b'\n    emit(kind)\n\n\n"
        "def unbound():\n    kind = kind + '.x'\n    emit(kind)\n",
        encoding="utf-8",
    )
    (tmp_path / "app" / "views.py").write_text("from app.events import new\n\nnew('auth.login')\nnew('auth.nope')\n", encoding="utf-8")
    result = CliRunner().invoke(main, [str(tmp_path), "--no-cache", "--format", "json"])
    found = [(f["path"].rpartition("/")[2], f["line"], f["code"], f["message"]) for f in json.loads(result.stdout)["findings"]]
    assert [(path, line, code) for path, line, code, _ in found] == [
        ("events.py", 22, "OPS001"), ("views.py", 4, "OPS001"), ("views.py", 4, "OPS001"),
    ]
    # Read before any assignment: whatever it is, no registered type ends in ``.x``.
    assert "'{kind}.x'" in found[0][3]
    assert sorted(message.split("'")[1] for _, _, _, message in found[1:]) == ["auth.nope", "custom.auth.nope"]


@pytest.mark.parametrize(
    "base",
    [
        "    KIND = None\n",  # a switch each concrete class sets
        "    pass\n",  # only the subclasses have it
        "    def __init__(self):\n        self.KIND = None\n",  # None on the instance, strings below
    ],
)
def test_an_attribute_the_base_leaves_unset_is_what_the_subclasses_set(tmp_path: Path, base: str) -> None:
    # InvenTree's orders: the base class's method reads self.KIND, each subclass sets it.
    (tmp_path / "src" / "app").mkdir(parents=True)
    (tmp_path / "src" / "app" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "src" / "app" / "models.py").write_text(
        "class Order:\n" + base + "\n    def run(self):\n        return self.KIND\n\n\n"
        "class Purchase(Order):\n    KIND = 'inventory.sync'\n\n\n"
        "class Sales(Order):\n    def __init__(self):\n        self.KIND = 'inventory.tpyo'\n",
        encoding="utf-8",
    )
    resolver = Resolver(build_index(tmp_path, ["src"], [], cache_dir=None))
    resolution = resolver.resolve(["a", ["n", "self"], "KIND"], "app.models", "Order.run")
    assert sorted(v.text for v in resolution.values) == ["inventory.sync", "inventory.tpyo"]
    assert not resolution.unknowns


@pytest.mark.parametrize("levels", [11, 30])
def test_a_long_chain_of_wrappers_is_followed_to_its_callers(tmp_path: Path, levels: int) -> None:
    chain = ["from app.events import emit\n\n\ndef w0(kind):\n    return emit(kind)\n"]
    chain += [f"\n\ndef w{n}(kind):\n    return w{n - 1}(kind)\n" for n in range(1, levels)]
    chain.append(f'\n\nw{levels - 1}("inventory.sync")\nw{levels - 1}("inventory.bogus")\n')
    tiny_project(tmp_path, "{call: app.events.emit, arg: 0}", {
        "events.py": "def emit(kind):\n    return kind\n", "chain.py": "".join(chain),
    })
    findings = _findings(tmp_path)
    last = 5 + 4 * (levels - 1) + 4
    assert [(path, line, code) for path, line, code, _ in findings] == [("src/app/chain.py", last, "OPS001")]


def test_a_file_or_buffer_is_never_a_project_object_but_another_library_result_may_be(tmp_path: Path) -> None:
    tiny_project(tmp_path, "{call: app.audit.Log.write, arg: 0}", {
        "audit.py": "class Log:\n    def write(self, kind):\n        return kind\n",
        "use.py": "import io\nimport json\nimport tempfile\n\n\n"
        "def dump(path, thing, raw):\n"
        '    with open(path, "w") as fh:\n'
        '        fh.write("hello")\n'
        '    with tempfile.NamedTemporaryFile("w") as tmp, open(path) as other:\n'
        '        tmp.write("hello")\n'
        "    buf = io.StringIO()\n"
        '    buf.write("hello")\n'
        '    thing.write("inventory.bogus")\n'  # untyped: the project's Log.write can take it
        '    json.loads(raw).write("inventory.bogus")\n',  # a library's result may be the project's
    })
    assert [(path, line, code) for path, line, code, _ in _findings(tmp_path)] == [
        ("src/app/use.py", 13, "OPS001"), ("src/app/use.py", 14, "OPS001"),
    ]


_REBINDING = '''\
from app.events import emit

ALIASES = {"sync": "inventory.sync"}


def by_alias(name):
    name = ALIASES[name]
    return emit(name)


def suffixed(name):
    name += ".sync"
    return emit(name)


def maybe(name, flag):
    if flag:
        name = ALIASES[name]
    return emit(name)


def after(name):
    emit(name)
    name = ALIASES[name]
    return name


def within(name):
    name = str(
        emit(name)
    )
    return name


def looped(name):
    kind = "inventory.sync"
    for _ in range(2):
        emit(kind)
        kind = name


by_alias("sync")
suffixed("inventory")
suffixed("bogus")
maybe("inventory.bogus", True)
after("inventory.bogus")
within("inventory.bogus")
looped("inventory.bogus")
'''


def test_a_parameter_assigned_anew_before_the_sink_is_what_the_assignment_made(tmp_path: Path) -> None:
    # Only an assignment among the body's own statements, above the call, replaces what the
    # caller passed; one in a branch, below the call, around it or later in a loop does not.
    tiny_project(tmp_path, "{call: app.events.emit, arg: 0}", {
        "events.py": "def emit(kind):\n    return kind\n", "use.py": _REBINDING,
    })
    found = [(line, code, message) for path, line, code, message in _findings(tmp_path) if path == "src/app/use.py"]
    # Line 30: flow-insensitively, the assignment around the call may also come round to it.
    assert [(line, code) for line, code, _ in found] == [
        (30, "OPS008"), (44, "OPS001"), (45, "OPS001"), (46, "OPS001"), (47, "OPS001"), (48, "OPS001"),
    ]
    assert "'bogus.sync'" in found[1][2]
    assert all("'inventory.bogus'" in message for _, _, message in found[2:])


_ON_EVERY_PATH = '''\
from app.events import emit

ALIASES = {"sync": "inventory.sync", "pull": "inventory.sync"}


def with_lock(name, lock):
    with lock:
        name = ALIASES[name]
    emit(name)


def in_with(name, lock):
    with lock:
        name = ALIASES[name]
        emit(name)


def tried(name):
    try:
        name = ALIASES[name]
    except KeyError:
        name = "inventory.sync"
    emit(name)


def tried_raise(name):
    try:
        name = ALIASES[name]
    except KeyError:
        raise ValueError(name)
    emit(name)


def finally_(name):
    try:
        pass
    finally:
        name = ALIASES[name]
    emit(name)


def arms(name, flag):
    if flag:
        name = ALIASES[name]
    elif flag is None:
        name = "inventory.sync"
    else:
        return
    emit(name)


def in_arm(name):
    if name in ALIASES:
        name = ALIASES[name]
        emit(name)


def half(name, flag):
    if flag:
        name = ALIASES[name]
    emit(name)


def swallowed(name):
    try:
        name = ALIASES[name]
    except KeyError:
        pass
    emit(name)


def looped(name, items):
    for item in items:
        name = ALIASES[name]
        emit(name)


with_lock("sync", None)
in_with("sync", None)
tried("sync")
tried_raise("sync")
finally_("sync")
arms("sync", True)
in_arm("sync")
half("sync", True)
swallowed("sync")
looped("sync", [])
'''


def test_an_assignment_on_every_path_replaces_the_parameter_below_it_in_its_block(tmp_path: Path) -> None:
    # A with-block, a try whose handlers assign or raise, a finally, if/elif/else arms that assign
    # or return: below them the caller's raw value is gone; inside an arm or a loop's body it is
    # gone below the assignment, to the end of that block. An arm alone, or a handler that
    # swallows the error, leaves it possible.
    tiny_project(tmp_path, "{call: app.events.emit, arg: 0}", {
        "events.py": "def emit(kind):\n    return kind\n", "use.py": _ON_EVERY_PATH,
    })
    found = [(line, code) for path, line, code, _ in _findings(tmp_path) if path == "src/app/use.py"]
    assert found == [(85, "OPS001"), (86, "OPS001")]


@pytest.mark.parametrize("imported", [False, True])
def test_a_sink_of_a_package_the_project_never_names_outlines_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, imported: bool
) -> None:
    import opsux_lint.analysis.index as index_module

    header = "from opsux_core import OperationRunService\n\n\n" if imported else ""
    tiny_project(tmp_path, "{call: app.events.emit, arg: 0}", {
        "events.py": "def emit(kind):\n    return kind\n",
        "jobs.py": "def go(service, tenant, kind):\n    return service.start(tenant, kind)\n",
        "other.py": header + "def later():\n    return 1\n",
    })
    index = build_index(tmp_path, ["src"], [], cache_dir=None)
    outlined: list[str] = []
    real = index_module.summarize
    monkeypatch.setattr(index_module, "summarize", lambda source, module, pkg: outlined.append(module) or real(source, module, pkg))
    sinks = [SinkSpec("opsux_core.OperationRunService.start", 1, "operation_type"), SinkSpec("app.events.emit", 0, None)]
    derive_sinks(Resolver(index), sinks)
    # ``start`` is mentioned in app.jobs; only an import of opsux_core anywhere makes it reachable.
    assert ("app.jobs" in outlined) is imported
    assert "app.events" in outlined  # the project's own sink: its module calls it by its bare name


@pytest.mark.parametrize("written", ["", 'FILTERS = {"operation_type": "x"}\n'])
def test_a_keyword_only_sink_whose_keyword_nobody_writes_outlines_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, written: str
) -> None:
    import opsux_lint.analysis.index as index_module

    tiny_project(tmp_path, "{call: app.events.emit, arg: 0}", {
        "events.py": "def emit(kind):\n    return kind\n",
        "query.py": "def find(session, **filters):\n    return session.filter_by(**filters)\n",
        "other.py": written,
    })
    index = build_index(tmp_path, ["src"], [], cache_dir=None)
    outlined: list[str] = []
    real = index_module.summarize
    monkeypatch.setattr(index_module, "summarize", lambda source, module, pkg: outlined.append(module) or real(source, module, pkg))
    derived = derive_sinks(Resolver(index), [SinkSpec("*.filter_by", None, "operation_type")])
    assert ("app.query" in outlined) is bool(written)
    assert [d.function for d in derived] == (["app.query.find"] if written else [])


_ENUMS = '''\
import enum

from app.events import emit


class Plain(enum.Enum):
    SYNC = "inventory.sync"


class Mixed(str, enum.Enum):
    SYNC = "inventory.sync"


class Strict(enum.StrEnum):
    SYNC = "inventory.sync"


class Sub(Mixed):
    pass


def go():
    emit(Plain.SYNC)
    emit(Plain.SYNC.value)
    emit(Mixed.SYNC)
    emit(Strict.SYNC)
    emit(Plain("inventory.sync"))
    emit(Mixed("inventory.sync"))
    emit(Sub.SYNC)
'''


def test_a_plain_enum_member_is_no_string_but_a_str_enum_member_is(tmp_path: Path) -> None:
    tiny_project(tmp_path, "{call: app.events.emit, arg: 0}", {
        "events.py": "def emit(kind):\n    return kind\n", "kinds.py": _ENUMS,
    })
    findings = _findings(tmp_path)
    assert [(line, code) for _, line, code, _ in findings] == [(23, "OPS008"), (27, "OPS008")]
    assert findings[0][3].endswith(
        "`Plain.SYNC` is a member of the Enum `Plain`, not a string (its `.value` is 'inventory.sync')"
    )
    assert findings[1][3].endswith("`Plain(...)` is a member of the Enum `Plain`, not a string")


_DISPATCH_BASE = '''\
import abc
from typing import Protocol

from app.events import emit


class Base(abc.ABC):
    @abc.abstractmethod
    def record(self, kind):
        ...

    def run(self):
        self.record("inventory.bogus")


class Hooked:
    def record(self, kind):
        pass

    def run(self):
        self.record("inventory.bogus2")


class Recorder(Protocol):
    def record(self, kind: str) -> None: ...


def use(recorder: Recorder):
    recorder.record("inventory.bogus3")


def use_base(b: Base):
    b.record("inventory.bogus4")


class Mixin:
    def record(self, kind):
        super().record(kind)
'''

_DISPATCH_IMPL = '''\
from app.base import Base, Hooked, Mixin
from app.events import emit


class Impl(Base):
    def record(self, kind):
        emit(kind)


class HookImpl(Hooked):
    def record(self, kind):
        emit(kind)


class Real:
    def record(self, kind):
        emit(kind)


class Both(Mixin, Real):
    pass


Impl().record("inventory.sync")
HookImpl().record("inventory.sync")
Real().record("inventory.sync")
Both().record("inventory.bogus5")
'''


def test_a_call_on_a_base_may_run_a_subclass_override_and_a_mixin_super_the_next_class(tmp_path: Path) -> None:
    # An abstract method, a no-op hook: called on ``self`` in the base or on an object typed by
    # it, the subclass's override that calls the sink may run. A Protocol is satisfied by any
    # class with the method (an unknown receiver, not "not a sink"); a mixin's ``super()`` is
    # the class written after it by the class that mixes it in.
    tiny_project(tmp_path, "{call: app.events.emit, arg: 0}", {
        "events.py": "def emit(kind):\n    return kind\n", "base.py": _DISPATCH_BASE, "impl.py": _DISPATCH_IMPL,
    })
    result = run(resolve_targets([tmp_path], None), Selection(), tmp_path, RunOptions(coverage=True))
    assert [(f.path, f.line, f.code) for f in result.findings] == [
        ("src/app/base.py", 13, "OPS001"), ("src/app/base.py", 21, "OPS001"), ("src/app/base.py", 33, "OPS001"),
        ("src/app/impl.py", 27, "OPS001"),
    ]
    assert result.sites is not None
    statuses = {(s.path, s.line): str(s.status) for s in result.sites}
    assert statuses[("src/app/base.py", 29)] == "unknown-receiver"
    assert "not-a-sink" not in statuses.values()


_LIBRARY_FORMS = '''\
from app.events import emit

DEBUG = False
KINDS = {"sync": "inventory.sync", "pull": "inventory.bogus"}
if DEBUG:
    DEFAULT = "inventory.sync"
else:
    DEFAULT = "inventory.bogus"
AGAIN = "inventory.sync"
AGAIN = "inventory.sync"


class Job:
    kind = "inventory.sync"

    def run(self):
        emit(type(self).kind)
        emit(self.__class__.kind)


def go(key):
    emit(KINDS.get("sync", "inventory.bogus"))
    emit(KINDS.get("missing", "inventory.bogus"))
    emit(KINDS.get(key))
    emit(".".join(["inventory", "sync"]))
    emit(".".join(("inventory", "bogus")))
    emit("{scope}.{what}".format(scope="inventory", what="sync"))
    emit("{}.{what}".format("inventory", what="bogus"))
    emit("{scope}.sync".format(other="inventory"))
    emit(DEFAULT)
    emit(AGAIN)
    emit("INVENTORY.SYNC".lower())
    emit(" inventory.bogus ".strip())


def wrap(kind):
    emit(kind.lower())


wrap("INVENTORY.SYNC")
'''


def test_what_the_standard_library_makes_of_known_strings_is_known(tmp_path: Path) -> None:
    # dict.get on a dict written out, str.join of a list written out, str.format with named
    # fields, lower()/strip(), type(self).x and self.__class__.x, a module constant assigned in
    # the arms of an if: values, each checked (two assignments at the top stay unknown).
    tiny_project(tmp_path, "{call: app.events.emit, arg: 0}", {
        "events.py": "def emit(kind):\n    return kind\n", "use.py": _LIBRARY_FORMS,
    })
    found = [(line, code, message) for path, line, code, message in _findings(tmp_path) if path == "src/app/use.py"]
    assert [(line, code) for line, code, _ in found] == [
        (23, "OPS001"), (24, "OPS001"), (26, "OPS001"), (28, "OPS001"), (29, "OPS008"), (30, "OPS001"),
        (31, "OPS008"), (33, "OPS001"), (37, "OPS008"),
    ]
    messages = {line: message for line, _, message in found}
    assert "'inventory.bogus'" in messages[23] and "the default of `KINDS.get`" in messages[23]
    assert "an item of KINDS" in messages[24] and "src/app/use.py:8 'inventory.bogus'" in messages[30]
    assert "'inventory.bogus'" in messages[26] and "'inventory.bogus'" in messages[28]
    assert "`AGAIN` is assigned more than once" in messages[31]
    assert messages[37].endswith("`kind.lower()` of parameter `kind` of `wrap`")


_SET_JOBS = '''\
from app.events import emit


class Job:
    kind = "inventory.sync"

    def run(self):
        emit(self.kind)


class View:
    action = "inventory.sync"

    def get(self):
        emit(self.action)


class Other:
    kind = "inventory.sync"

    def run(self):
        emit(self.kind)
'''

_SET_FROM_OUTSIDE = '''\
from app.jobs import Job, Other, View


def go(thing):
    job = Job()
    job.kind = "inventory.bogus1"
    job.run()
    setattr(job, "kind", "inventory.bogus2")
    thing.kind = "not counted: type unknown"


Job.kind = "inventory.bogus3"
urls = [View.as_view(action="inventory.bogus4")]
'''


def test_an_attribute_set_from_outside_the_class_is_one_of_its_values(tmp_path: Path) -> None:
    # ``job.kind = ...`` on an instance of a known class, ``setattr``, the class's own attribute,
    # Django's ``as_view(action=...)``; an object of a type not known is not counted.
    tiny_project(tmp_path, "{call: app.events.emit, arg: 0}", {
        "events.py": "def emit(kind):\n    return kind\n", "jobs.py": _SET_JOBS, "use.py": _SET_FROM_OUTSIDE,
    })
    found = _findings(tmp_path)
    assert [(path, line, code) for path, line, code, _ in found] == [("src/app/jobs.py", 8, "OPS001")] * 3 + [
        ("src/app/jobs.py", 15, "OPS001"),
    ]
    assert [message.rsplit("(", 1)[1] for *_, message in found] == [
        "self.kind -> src/app/use.py:6 job.kind = 'inventory.bogus1')",
        "self.kind -> src/app/use.py:8 job.kind = 'inventory.bogus2')",
        "self.kind -> src/app/use.py:12 Job.kind = 'inventory.bogus3')",
        "self.action -> src/app/use.py:13 View.action = 'inventory.bogus4')",
    ]


@pytest.mark.parametrize(
    ("text", "sets"),
    [
        (b"job.kind = 'x'", True), (b"Job.kind: str = 'x'", True), (b"self.job.kind = 'x'", True),
        (b"myself.kind = 'x'", True), (b"setattr(job, 'kind', 'x')", True), (b"setattr(job, name, 'x')", False), (b"View.as_view(kind='x')", True),
        (b"self.kind = 'x'", False), (b"cls.kind='x'", False), (b"self .kind = 'x'", False),
        (b"job.kind == 'x'", False), (b"job.kindly = 'x'", False), (b"kind = 'x'", False),
    ],
)
def test_the_text_a_module_may_set_an_attribute_from_outside_by(text: bytes, sets: bool) -> None:
    from opsux_lint.analysis.mentions import WordSearch, setter

    assert WordSearch({"m": text}).modules([setter("kind")]) == ({"m"} if sets else set())
    assert WordSearch({"m": text}).mentioned_in("m", setter("kind")) is sets


_GETATTR = '''\
from app import events
from app.events import emit


class Job:
    kind = "inventory.sync"

    def run(self):
        emit(getattr(self, "kind"))
        emit(getattr(self, "kind", "inventory.bogus1"))


def go(name):
    fn = getattr(events, "emit")
    fn("inventory.bogus2")
    getattr(events, "emit")("inventory.bogus3")
    other = getattr(events, name)
    other("inventory.bogus4")
'''


def test_getattr_with_a_literal_name_is_the_attribute(tmp_path: Path) -> None:
    # As a value (with a default: either), as a local bound to a sink in a function that names
    # the sink only in that string, and as the callee itself. A name not written out is not one.
    tiny_project(tmp_path, "{call: app.events.emit, arg: 0}", {
        "events.py": "def emit(kind):\n    return kind\n", "use.py": _GETATTR,
    })
    found = [(line, code, message) for path, line, code, message in _findings(tmp_path) if path == "src/app/use.py"]
    assert [(line, code) for line, code, _ in found] == [(10, "OPS001"), (15, "OPS001"), (16, "OPS001")]
    assert [message.split("'")[1] for *_, message in found] == ["inventory.bogus1", "inventory.bogus2", "inventory.bogus3"]


def test_a_warm_run_sees_an_attribute_set_from_outside_once_it_is_written(tmp_path: Path) -> None:
    # The cached result of jobs.py depends on which modules set ``kind`` from outside: a comment
    # edit of use.py keeps it, the assignment written there re-lints it.
    tiny_project(tmp_path, "{call: app.events.emit, arg: 0}", {
        "events.py": "def emit(kind):\n    return kind\n", "jobs.py": _SET_JOBS,
        "use.py": "from app.jobs import Job\n\n\ndef go():\n    job = Job()  # its kind is its own\n    job.run()\n",
    })
    use = tmp_path / "src" / "app" / "use.py"

    def findings() -> list[tuple[str, int, str]]:
        result = run(resolve_targets([tmp_path], None), Selection(), tmp_path, RunOptions(cache=True, jobs=1))
        return [(f.path, f.line, f.code) for f in result.findings]

    assert findings() == []
    use.write_text(use.read_text() + "# a comment\n")
    assert findings() == []
    use.write_text(use.read_text() + 'Job().kind = "inventory.bogus"\n')
    assert findings() == [("src/app/jobs.py", 8, "OPS001")]


_SHADOWED = '''\
from app import events
from app.events import emit


def shadowed(rows):
    emit = rows.first()
    describe(emit)
    emit("inventory.bogus")


def looped(handlers):
    for emit in handlers:
        emit("inventory.bogus")


def caught():
    try:
        pass
    except Exception as emit:
        return [emit]


def aliased():
    emit = events.emit
    emit("inventory.bogus")


def imported():
    emit("inventory.bogus")
'''


def test_a_local_shadows_the_imported_sink_in_its_whole_function(tmp_path: Path) -> None:
    # ``issue_activity = IssueActivity.objects.first()`` beside an imported task of that name:
    # handed on or kept, the local is no sink; called, it is whatever the local holds.
    tiny_project(tmp_path, "{call: app.events.emit, arg: 0}", {"events.py": "def emit(kind):\n    return kind\n", "use.py": _SHADOWED})
    result = run(resolve_targets([tmp_path], None), Selection(), tmp_path, RunOptions(coverage=True))
    assert [(f.line, f.code) for f in result.findings] == [(25, "OPS001"), (29, "OPS001")]
    assert result.sites is not None
    statuses = {s.line: (str(s.status), s.reason) for s in result.sites if s.path == "src/app/use.py"}
    assert statuses[8] == ("not-a-sink", "`emit` is a local name bound to `rows.first()`")
    assert statuses[13] == ("not-a-sink", "`emit` is a local name bound to `each item of handlers`")
    assert 7 not in statuses and 20 not in statuses


_DECORATORS = '''\
from functools import wraps

from app.events import emit


def audited(kind):
    def decorate(fn):
        @wraps(fn)
        def inner(*args, **kwargs):
            emit(kind)
            return fn(*args, **kwargs)
        return inner
    return decorate


def prefixed(scope):
    name = scope + ".sync"

    def decorate(fn):
        emit(name)
        return fn
    return decorate


@audited("inventory.bogus")
def view(request):
    return request


@audited("inventory.sync")
def other(request):
    return request


@prefixed("inventory")
def third():
    pass


@prefixed("billing")
def fourth():
    pass
'''


def test_a_decorator_factory_is_checked_where_it_is_applied(tmp_path: Path) -> None:
    # ``@audited("user.login")``: the factory's parameter reaches the sink from a closure that
    # runs later; the value is the one written in the decorator, as for any wrapper's caller.
    tiny_project(tmp_path, "{call: app.events.emit, arg: 0}", {"events.py": "def emit(kind):\n    return kind\n", "use.py": _DECORATORS})
    result = run(resolve_targets([tmp_path], None), Selection(), tmp_path, RunOptions(coverage=True))
    assert [(f.line, f.code) for f in result.findings] == [(25, "OPS001"), (40, "OPS001")]
    assert "'billing.sync'" in result.findings[1].message
    assert result.sites is not None
    statuses = {s.line: str(s.status) for s in result.sites if s.path == "src/app/use.py"}
    assert statuses[10] == statuses[20] == "delegated"
    assert statuses[30] == statuses[35] == "verified"


_HOOKS = (
    "from app.events import emit\n\n\n"
    "class Job:\n    def get_kind(self):\n        return 'inventory.sync'\n\n    def run(self):\n        emit(self.get_kind())\n\n\n"
    "class Nightly(Job):\n    pass\n\n\n"
    "class Weekly(Nightly):\n    def run_weekly(self):\n        emit(self.get_kind())\n\n\n"
)


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("", []),  # the base's constant, inherited by every class below
        ("class Broken(Nightly):\n    def get_kind(self):\n        return 'inventory.snyc'\n",
         [(9, "OPS001", "Broken.get_kind()` returns 'inventory.snyc'")]),
        ("class Fine(Job):\n    def get_kind(self):\n        KIND = 'inventory.sync'\n        return KIND\n", []),
        # What the call passes decides, or the override is no method: the call is the reason.
        ("class Given(Job):\n    def get_kind(self, kind='inventory.sync'):\n        return kind\n",
         [(9, "OPS008", "the result of calling `self.get_kind`")]),
        ("class Static(Job):\n    get_kind = staticmethod(lambda: 'inventory.snyc')\n",
         [(9, "OPS008", "the result of calling `self.get_kind`")]),
        ("class Cached(Job):\n    @functools.cache\n    def get_kind(self):\n        return 'inventory.snyc'\n",
         [(9, "OPS008", "the result of calling `self.get_kind`")]),
    ],
)
def test_a_method_the_base_calls_returns_what_each_override_returns(
    tmp_path: Path, override: str, expected: list[tuple[int, str, str]]
) -> None:
    # The template method: the base calls self.get_kind(), each subclass returns its constant;
    # Weekly's own call sees Weekly's and its subclasses' (none), not its siblings'.
    tiny_project(tmp_path, "{call: app.events.emit, arg: 0}", {
        "events.py": "def emit(kind):\n    return kind\n", "jobs.py": "import functools\n" + _HOOKS + override,
    })
    found = [(line - 1, code, message) for _, line, code, message in _findings(tmp_path)]  # after `import functools`
    assert [(line, code) for line, code, _ in found] == [(line, code) for line, code, _ in expected]
    for (_, _, message), (_, _, needle) in zip(found, expected, strict=True):
        assert needle in message


def test_a_tuple_or_dict_written_out_and_spread_into_the_sink_is_checked(tmp_path: Path) -> None:
    tiny_project(tmp_path, "{call: app.events.emit, arg: 1, keyword: kind}", {
        "events.py": "def emit(payload, kind):\n    return kind\n",
        "use.py": (
            "from app.events import emit\n\n"
            "ARGS = ('inventory.sync',)\n"
            "BAD = ('inventory.snyc', 2)\n"
            "OPTIONS = {'kind': 'inventory.sync', 'other': 'free text'}\n\n\n"
            "class Job:\n"
            "    PARAMS = (None, 'inventory.snyc')\n\n"
            "    def go(self, extra, more):\n"
            "        emit(None, *ARGS)\n"  # 12: the sink's position is the tuple's first item
            "        emit(None, *BAD)\n"  # 13
            "        emit(None, **OPTIONS)\n"  # 14
            "        emit(*self.PARAMS)\n"  # 15: the whole call spread, position 1
            "        emit(None, **{'other': 'inventory.snyc'})\n"  # 16: the dict has no kind
            "        emit(None, *extra)\n"  # 17: not written out
            "        emit(*more, *ARGS)\n"  # 18: where ARGS starts depends on `more`
            "        emit(*ARGS, None)\n"  # 19: a position after the spread
        ),
    })
    found = [(line, code, message) for _, line, code, message in _findings(tmp_path)]
    assert [(line, code) for line, code, _ in found] == [
        (13, "OPS001"), (15, "OPS001"), (16, "OPS008"), (17, "OPS008"), (18, "OPS008"), (19, "OPS008"),
    ]
    assert "'inventory.snyc'" in found[0][2] and "BAD" in found[0][2]
    assert "`*extra`" in found[3][2] and "`*more`" in found[4][2]


def test_a_lambda_bound_to_a_name_is_a_wrapper_whose_callers_are_checked(tmp_path: Path) -> None:
    tiny_project(tmp_path, "{call: app.events.emit, arg: 0}", {
        "events.py": "def emit(kind):\n    return kind\n",
        "use.py": (
            "from app.events import emit\n\n"
            "fire = lambda kind: emit(kind)\n\n\n"  # 3: delegated to the callers
            "class Hooks:\n"
            "    send = lambda self, kind: emit(kind)\n\n"  # 7
            "    def go(self):\n"
            "        self.send('inventory.snyc')\n"  # 10
            "        self.send('inventory.sync')\n\n\n"
            "def go():\n"
            "    fire('inventory.sync')\n"
            "    fire('inventory.snyc')\n"  # 16
            "    later = lambda k: emit(k)\n"  # 17: a local lambda stays an expression
            "    later('inventory.snyc')\n"
        ),
    })
    found = [(line, code, message) for _, line, code, message in _findings(tmp_path)]
    assert [(line, code) for line, code, _ in found] == [(10, "OPS001"), (16, "OPS001"), (17, "OPS008")]
    assert "a parameter of a lambda" in found[2][2]


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("    log_parent = None\n", [(15, "OPS001")]),  # a switch in the base, a property below
        ("    def __init__(self):\n        self.log_parent = None\n", [(16, "OPS001")]),
        ("", [(14, "OPS001")]),  # only the subclasses have it (as before)
    ],
)
def test_a_receiver_the_base_leaves_none_is_what_each_subclass_gives(
    tmp_path: Path, base: str, expected: list[tuple[int, str]]
) -> None:
    # pretalx's LogMixin: ``log_parent = None``, each model's @property returns its parent,
    # and ``parent.log_action(...)`` in the base is a call of the wrapper on that parent.
    tiny_project(tmp_path, "{call: app.models.Entry, keyword: action_type}", {
        "models.py": (
            "class Entry:\n    def __init__(self, action_type=None):\n        self.action_type = action_type\n\n\n"
            "class LogMixin:\n" + base + "\n"
            "    def log_action(self, action):\n        return Entry(action_type=action)\n\n"
            "    def delete(self):\n        parent = self.log_parent\n        if parent:\n"
            "            parent.log_action('inventory.snyc')\n\n\n"
            "class Event(LogMixin):\n    pass\n\n\n"
            "class Room(LogMixin):\n    @property\n    def log_parent(self):\n        return Event()\n"
        ),
    })
    found = [(path, line, code) for path, line, code, _ in _findings(tmp_path)]
    assert found == [("src/app/models.py", line, code) for line, code in expected]


@pytest.mark.parametrize(
    ("imported", "wrapped"),
    [("from enum import StrEnum, nonmember\n", "nonmember"), ("import enum\nfrom enum import StrEnum\n", "enum.nonmember")],
)
def test_a_dict_kept_out_of_an_enums_members_is_the_dict_written(tmp_path: Path, imported: str, wrapped: str) -> None:
    # pretalx's SubmissionStates.log_actions = nonmember({...}), looked up by state.
    tiny_project(tmp_path, "{call: app.events.emit, arg: 0}", {
        "events.py": "def emit(kind):\n    return kind\n",
        "states.py": (
            imported + "\n\nclass States(StrEnum):\n    DONE = 'done'\n\n"
            f"    actions = {wrapped}({{'done': 'inventory.sync', 'lost': 'inventory.snyc'}})\n"
        ),
        "use.py": "from app.events import emit\nfrom app.states import States\n\n\ndef change(state):\n    emit(States.actions[state])\n",
    })
    found = [(path, line, code, message) for path, line, code, message in _findings(tmp_path)]
    assert [(path, line, code) for path, line, code, _ in found] == [("src/app/use.py", 6, "OPS001")]
    assert "'inventory.snyc'" in found[0][3]


_WRITTEN_BASES = {
    "base.py": "class Base:\n    kind = 'inventory.sync'\n",
    "plain.py": "from app.base import Base\n\n\nclass Plain(Base):\n    pass\n",
    "spread.py": (
        "from collections import namedtuple\nfrom app import base\n\n\n"
        "class Spread(  # the header's own comment: (not) a base\n"
        "    namedtuple('P', 'a b'),\n    base.Base,\n    metaclass=type,\n):\n    pass\n"
    ),
    "generic.py": "from app.base import Base\n\n\nclass Generic[T](Base):\n    pass\n",
    "deeper.py": "from app.plain import Plain\n\n\nclass Deeper(Plain):\n    pass\n",
    "user.py": "from app.base import Base\n\n\ndef make() -> Base:\n    return Base()\n\n\nclass Holder:\n    base = Base\n",
}


def test_subclasses_are_found_by_their_class_statements_and_nothing_else_is_outlined(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lint_support import outlined_modules

    package = tmp_path / "src" / "app"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    for name, source in _WRITTEN_BASES.items():
        (package / name).write_text(source)
    outlined = outlined_modules(monkeypatch)
    resolver = Resolver(build_index(tmp_path, ["src"], [], cache_dir=None))
    assert sorted(resolver.subclasses("app.base.Base")) == [
        "app.deeper.Deeper", "app.generic.Generic", "app.plain.Plain", "app.spread.Spread",
    ]
    assert "app.user" not in outlined, "it names Base, but in no class statement's bases"


def test_a_name_rebound_from_itself_is_read_once_per_context(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pretix's ``qs = qs.filter(...)`` ten times over: each binding reads ``qs`` again, as every
    binding but those being evaluated, once per order of the bindings (10! readings, 45 s for
    one call). Each reading is made once; what they give is unchanged."""
    package = tmp_path / "src" / "app"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    chain = "".join(f"    qs = qs.filter(step={i})\n" for i in range(8))
    (package / "views.py").write_text(
        "def listing(qs):\n" + chain + "    return qs\n\n\n"
        "def kind(flag, other):\n    kind = 'inventory'\n    if flag:\n        kind = kind + '.sync'\n"
        "    if other:\n        kind = kind + '.x'\n    return kind\n"
    )
    resolver = Resolver(build_index(tmp_path, ["src"], [], cache_dir=None))
    readings: list[str] = []
    uncached = Resolver._local_uncached

    def counting(self: Resolver, name: str, *args: object) -> object:
        readings.append(name)
        return uncached(self, name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Resolver, "_local_uncached", counting)
    found = resolver.resolve(["n", "qs"], "app.views", "listing")
    assert any(u.param == ("app.views.listing", "qs") for u in found.unknowns)
    # One reading per set of bindings being evaluated (and depth), not one per order of them.
    assert len(readings) < math.factorial(8) // 10
    # Every order of the self-referring bindings still counts, each binding used once.
    values = {v.text for v in resolver.resolve(["n", "kind"], "app.views", "kind").values}
    assert values == {"inventory", "inventory.sync", "inventory.x", "inventory.sync.x", "inventory.x.sync"}


_TYPED_OBJECTS = '''\
from app.events import emit


class SyncError(Exception):
    failure_mode = "sync.permanent"


class ConfigError(SyncError):
    failure_mode = "sync.config"


class Job:
    kind = "sync.job"


def caught():
    try:
        pass
    except SyncError as error:
        emit(error.failure_mode)


def either():
    try:
        pass
    except (ConfigError, SyncError) as error:
        emit(error.failure_mode)


def made():
    job = Job()
    emit(job.kind)


def annotated(job: Job, other):
    emit(job.kind)
    emit(other.kind)


def library():
    try:
        pass
    except ValueError as error:
        emit(error.args)


def clauses():
    try:
        pass
    except SyncError as error:
        emit(error.failure_mode)
    except ValueError as error:
        emit(error.args)
'''


def test_an_attribute_of_an_object_of_a_project_class_is_what_the_class_sets(tmp_path: Path) -> None:
    """pretix's ``except UnrecoverableSyncError as e: sq.set_sync_error(e.failure_mode)`` was OPS008
    ("an exception"), though ``self.failure_mode`` in the class was read."""
    tiny_project(tmp_path, "{call: app.events.emit, arg: 0}", {
        "events.py": "def emit(kind):\n    return kind\n", "jobs.py": _TYPED_OBJECTS,
    }, types=["sync.permanent", "sync.job"])
    result = run(resolve_targets([tmp_path], None), Selection(), tmp_path, RunOptions(coverage=True))
    found = {(f.line, f.code, f.message.split("'")[1] if f.code == "OPS001" else "") for f in result.findings}
    # The class's subclasses may be what was caught, or made: their values count too.
    assert {(20, "OPS001", "sync.config"), (27, "OPS001", "sync.config")} <= found
    assert result.sites is not None
    statuses = {s.line: str(s.status) for s in result.sites if s.path == "src/app/jobs.py"}
    # An unannotated parameter, a library's exception: what they are is not known.
    assert statuses == {
        20: "unregistered", 27: "unregistered", 32: "verified", 36: "verified", 37: "unverifiable", 44: "unverifiable",
        # Each clause's name is what that clause caught (pretix binds ``e`` in three).
        51: "unregistered", 53: "unverifiable",
    }
