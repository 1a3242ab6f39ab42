"""The engine as a pure function: positions, decoding, the prefilter, severity, robustness."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lint_support import FIXTURES
from opsux_core import policy_from_mapping
from opsux_lint import engine as engine_module
from opsux_lint import syntax_tree
from opsux_lint.engine import Linter, lint_source
from opsux_lint.findings import Severity
from opsux_lint.modules import module_name
from opsux_lint.names import ImportTable
from opsux_lint.prefilter import Prefilter
from opsux_lint.registry import builtin_rules
from opsux_lint.selection import select_rules

ROOT = Path("/nowhere")  # the engine never touches the disk
# A name-matched sink (``*.start`` on any receiver, as a project may configure) keeps these
# tests about positions and decoding, not about receiver types.
POLICY = policy_from_mapping(
    {
        "operation_types": {"inventory.sync": "Inventory sync"},
        "lint": {"operation_type_sinks": [{"call": "*.start", "arg": 1}]},
    },
    source=ROOT / "opsux.yaml",
    root=ROOT,
)


def lint(code: str | bytes, rules=None, policy=POLICY) -> list:
    data = code.encode("utf-8") if isinstance(code, str) else code
    return lint_source(ROOT / "app" / "m.py", data, policy, rules or builtin_rules(), display="app/m.py")


def without_prefilter(linter: Linter) -> Linter:
    object.__setattr__(linter, "prefilter", Prefilter(None))
    return linter


def test_positions_are_1_based_and_end_exclusive() -> None:
    [finding] = lint('\n\nservice.start(t, "inventry.sync")\n')
    assert (finding.line, finding.column) == (3, 18)
    assert (finding.end_line, finding.end_column) == (3, 18 + len('"inventry.sync"'))
    assert finding.snippet == 'service.start(t, "inventry.sync")'
    assert finding.path == "app/m.py"


def test_columns_count_characters_not_bytes() -> None:
    [finding] = lint('service.start("ünïcödé", "inventry.sync")\n')
    assert finding.column == len('service.start("ünïcödé", ') + 1


def test_undecodable_bytes_are_ops000_with_their_position() -> None:
    [finding] = lint(b'x = 1\nservice.start(t, "caf\xe9")\n')
    assert finding.code == "OPS000"
    assert (finding.line, finding.column) == (2, 22)
    assert "cannot decode as utf-8" in finding.message and "0xe9" in finding.message


def test_undecodable_files_are_reported_even_when_no_rule_could_match() -> None:
    [finding] = lint(b"x = '\xff'\n")
    assert finding.code == "OPS000"


def test_a_bad_coding_cookie_is_ops000() -> None:
    [finding] = lint(b"# -*- coding: no-such-codec -*-\nservice.start(t, 'a.b')\n")
    assert finding.code == "OPS000" and "unknown encoding" in finding.message


def test_bom_and_cookie_are_honoured() -> None:
    assert lint("\ufeffservice.start(t, 'inventory.sync')\n".encode("utf-8")) == []
    latin = "# coding: latin-1\n# café\nservice.start(t, 'inventry.sync')\n".encode("latin-1")
    [finding] = lint(latin)
    assert (finding.code, finding.line) == ("OPS001", 3)


def test_syntax_errors_are_reported_but_only_candidates_are_parsed_with_libcst(monkeypatch) -> None:
    [finding] = lint("service.start(t, 'inventory.sync'\n")
    assert finding.code == "OPS000" and "syntax error" in finding.message
    parsed: list[str] = []
    real = cst.parse_module
    monkeypatch.setattr(syntax_tree.cst, "parse_module", lambda text: parsed.append(text) or real(text))
    [broken] = lint("def broken(:\n")
    assert (broken.code, broken.line, broken.column) == ("OPS000", 1, 12)
    assert lint("def fine():\n    pass\n") == []
    # libcst sees a file without any needle only to confirm an error CPython found.
    assert parsed == ["def broken(:\n"]


def test_deselected_ops000_reports_nothing_for_broken_files() -> None:
    rules = select_rules(builtin_rules(), ["OPS"], ["OPS000"])
    assert lint(b"\xff", rules) == []
    assert lint("service.start(\n", rules) == []


def test_read_errors_are_ops000() -> None:
    linter = Linter(POLICY, builtin_rules())
    [finding] = linter.read_error("app/m.py", PermissionError(13, "Permission denied"))
    assert (finding.code, finding.line, finding.column) == ("OPS000", 1, 1)
    assert finding.message == "Cannot lint this file: cannot read: Permission denied"


def test_project_severity_overrides_apply() -> None:
    policy = policy_from_mapping(
        {
            "operation_types": {"inventory.sync": "x"},
            "lint": {"severity": {"OPS0": "warning", "OPS001": "error"}, "operation_type_sinks": [{"call": "*.start", "arg": 1}]},
        },
        source=ROOT / "opsux.yaml",
    )
    findings = lint("service.start(t, 'inventry.sync')\nuser.notify(OperationRunQueued(run))\n", policy=policy)
    assert {(f.code, f.severity) for f in findings} == {("OPS001", Severity.ERROR), ("OPS002", Severity.WARNING)}


def test_suppressions_hide_but_ops900_deselected_stays_quiet() -> None:
    rules = select_rules(builtin_rules(), ["OPS"], ["OPS900"])
    code = "service.start(t, 'inventry.sync')  # opsux: ignore[OPS001]\nx = 1  # opsux: ignore\n"
    assert lint(code, rules) == []
    assert [f.code for f in lint(code)] == ["OPS900"]


def test_a_suppression_for_a_rule_that_did_not_run_is_not_unused() -> None:
    rules = select_rules(builtin_rules(), ["OPS"], ["OPS002"])
    assert lint("service.start(t, 'inventory.sync')  # opsux: ignore[OPS002]\n", rules) == []


def test_every_qualified_name_is_checked_not_the_first() -> None:
    policy = policy_from_mapping(
        {
            "operation_types": {"inventory.sync": "x"},
            "lint": {"operation_type_sinks": [{"call": "zzz.ops.start", "arg": 0}]},
        },
        source=ROOT / "opsux.yaml",
    )
    code = (
        "try:\n    from aaa import start as go\n"
        "except ImportError:\n    from zzz.ops import start as go\n"
        "go('inventry.sync')\n"
    )
    [finding] = lint(code, policy=policy)
    assert finding.line == 5


def test_module_names_follow_source_roots() -> None:
    roots = (Path("/p/src"), Path("/p"))
    assert module_name(Path("/p/src/shop/views.py"), roots) == ("shop.views", False)
    assert module_name(Path("/p/src/shop/__init__.py"), roots) == ("shop", True)
    assert module_name(Path("/p/tools/run.py"), roots) == ("tools.run", False)
    assert module_name(Path("/elsewhere/x.py"), roots) == ("x", False)
    # A directory whose name only starts like a root's is not under it.
    assert module_name(Path("/p/srcx/a.py"), roots) == ("srcx.a", False)
    assert module_name(Path("/p/src/my-app/a.py"), roots) == ("a", False)
    assert module_name(Path("/p/ab.py"), (Path("/"),)) == ("p.ab", False)


@pytest.mark.parametrize(
    ("module", "package", "statement", "local", "qualified"),
    [
        ("shop.views", False, "from .ops import start as s", "s", "shop.ops.start"),
        ("shop.views", False, "from . import ops", "ops", "shop.ops"),
        ("shop", True, "from .ops import start", "start", "shop.ops.start"),
        ("shop.a.b", False, "from ..c import d", "d", "shop.c.d"),
        ("m", False, "import app.ops as o", "o", "app.ops"),
        ("m", False, "import app.ops", "app", "app"),
    ],
)
def test_import_aliases_resolve(module, package, statement, local, qualified) -> None:
    table = ImportTable(module, is_package=package)
    node = cst.parse_statement(statement).body[0]
    if isinstance(node, cst.Import):
        table.add_import(node)
    else:
        table.add_import_from(node)
    assert qualified in table.names_for(local)


def _all_example_sources() -> list[str]:
    sources = [ex.code for rule in builtin_rules() for ex in rule.examples.invalid]
    sources += [ex.code for rule in builtin_rules() for ex in rule.examples.valid]
    for file in sorted(FIXTURES.rglob("*.py")):
        sources.append(file.read_bytes().decode("utf-8", errors="replace"))
    return sources


def test_the_prefilter_never_changes_results() -> None:
    # Soundness: skipping a file must only ever skip files that would have no findings.
    with_filter = Linter(POLICY, builtin_rules())
    without = without_prefilter(Linter(POLICY, builtin_rules()))
    checked = 0
    for source in _all_example_sources():
        data = source.encode("utf-8")
        expected = [f for f in without.lint(ROOT / "m.py", data) if f.code != "OPS000"]
        actual = [f for f in with_filter.lint(ROOT / "m.py", data) if f.code != "OPS000"]
        assert actual == expected, source
        checked += 1
    assert checked > 50


_PIECES = st.sampled_from(
    [
        "service.start(t, ", "'inventry.sync'", "OperationRunQueued(", ")", "(", "\n", "    ", "if x:",
        "# opsux: ignore[OPS001]", "f'{x}'", "'a' 'b'", "x if y else z", "class K:", "def f():", "=",
        "RunNotification(kind=", ".operation_type ==", "import a as b", "from . import c", "\\", '"""',
        "\xe9", "lambda: 1", ",", "[", "]",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PIECES, max_size=30), st.binary(max_size=20))
def test_any_input_yields_findings_never_an_exception(pieces: list[str], noise: bytes) -> None:
    data = "".join(pieces).encode("utf-8") + noise
    for finding in lint(data):
        assert finding.line >= 1 and finding.column >= 1
        assert finding.end_line >= finding.line


_INTERESTING = (cst.Call, cst.Comparison, cst.Import, cst.ImportFrom, cst.Assign, cst.AnnAssign,
                cst.FunctionDef, cst.ClassDef, cst.Lambda, cst.SimpleString, cst.Name, cst.Attribute)


def test_the_fast_walk_reaches_every_node_libcst_visits() -> None:
    # The walker skips formatting trivia; it must never skip anything a matcher could look at.
    from opsux_lint.walk import walk

    class Collect(cst.CSTVisitor):
        def __init__(self) -> None:
            super().__init__()
            self.seen: list[int] = []

        def on_visit(self, node: cst.CSTNode) -> bool:
            if isinstance(node, _INTERESTING):
                self.seen.append(id(node))
            return True

    checked = 0
    for source in _all_example_sources() + [Path(engine_module.__file__).read_text(encoding="utf-8")]:
        try:
            module = cst.parse_module(source)
        except cst.ParserSyntaxError:
            continue
        reference = Collect()
        module.visit(reference)
        ours: list[int] = []
        walk(module, lambda n: ours.append(id(n)) if isinstance(n, _INTERESTING) else None, lambda n: None)
        # Field order differs from libcst's visit order in places (Arg: value before keyword);
        # matchers collect and decide after the walk, so only the set of nodes matters.
        assert sorted(ours) == sorted(reference.seen)
        checked += 1
    assert checked > 50


def test_snippets_and_lines_ignore_form_feeds_like_python_does() -> None:
    [finding] = lint("x = 1\x0c # page break\nservice.start(t, 'inventry.sync')\n")
    assert finding.line == 2
    assert finding.snippet == "service.start(t, 'inventry.sync')"


def test_fast_positions_equal_libcsts_public_resolution() -> None:
    from libcst.metadata import MetadataWrapper, PositionProvider

    from opsux_lint.positions import node_positions

    checked = 0
    for source in _all_example_sources():
        try:
            module = cst.parse_module(source)
        except cst.ParserSyntaxError:
            continue
        fast = node_positions(module)
        public = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        assert dict(fast) == dict(public)
        checked += 1
    assert checked > 50


@pytest.mark.parametrize(
    ("globs", "source", "reported"),
    [
        (["*Queued*Notification*"], "x = InventoryQueuedNotification()", True),
        (["*RunQueued*"], "x = OperationRunQueued()", True),
        (["[Qq]ueued*"], "x = queuedMail()", True),
        (["[abc]Started"], "x = bStarted()", True),
        (["[ABCDEFGHIJ]Run*"], "x = CRunMail()", True),  # the set is no text to search for
        (["*"], "x = anything()", True),
        (["*RunQueued*"], "x = OperationRunStarted()", False),
    ],
)
def test_class_globs_and_their_prefilter_agree(globs: list[str], source: str, reported: bool) -> None:
    policy = policy_from_mapping(
        {"operation_types": {"inventory.sync": "x"}, "lint": {"queued_notification_classes": globs}},
        source=ROOT / "opsux.yaml",
    )
    findings = lint(source, policy=policy)
    assert [f.code for f in findings] == (["OPS002"] if reported else [])


def test_an_upper_case_stale_suppression_is_found_in_a_file_with_nothing_else() -> None:
    # Suppressions are read in any case, so the prefilter's needle for them is case-blind too.
    [stale] = lint("x = 1  # OPSUX: IGNORE[OPS001]\n")
    assert stale.code == "OPS900"


CALL = 'from opsux_core import OperationRun\nOperationRun(operation_type="inventry.sync")\n'


def test_nesting_that_would_crash_libcst_is_one_ops000_and_the_run_goes_on() -> None:
    # 10,000 brackets end libcst's native parser with a segmentation fault: CPython's parser
    # rejects them first, where Python itself does.
    [brackets] = lint("x = " + "(" * 10_000 + "1" + ")" * 10_000 + "\n" + CALL)
    assert (brackets.code, brackets.line) == ("OPS000", 1)
    assert "too many nested parentheses" in brackets.message
    # A chain deep enough to exhaust libcst's recursion (~480 terms), and one of 100,000 terms
    # (minutes in libcst) are refused at once.
    for terms in (engine_module.MAX_NESTING + 1, 100_000):
        [deep] = lint("x = " + "+".join(["1"] * terms) + "\n" + CALL)
        assert deep.code == "OPS000" and "nested too deeply to check" in deep.message


def test_nesting_in_a_file_of_newer_syntax_is_measured_too() -> None:
    # The repaired tree of ``except A, B:`` (3.14) is screened like CPython's own.
    newer = "try:\n    pass\nexcept KeyError, ValueError:\n    pass\n"
    [deep] = lint(newer + "x = " + "+".join(["1"] * (engine_module.MAX_NESTING + 1)) + "\n" + CALL)
    assert deep.code == "OPS000" and "nested too deeply to check (over 250 levels at line 5)" in deep.message
    [finding] = lint(newer + "x = " + "+".join(["1"] * (engine_module.MAX_NESTING - 1)) + "\n" + CALL)
    assert (finding.code, finding.line) == ("OPS001", 7)


def test_nesting_just_within_the_limit_is_checked() -> None:
    # Depth counts the module and the assignment too: this chain sits exactly at the limit.
    terms = engine_module.MAX_NESTING - 1
    [finding] = lint("x = " + "+".join(["1"] * terms) + "\n" + CALL)
    assert finding.code == "OPS001"
    elifs = "def f(x):\n    if x == 0:\n        pass\n" + "".join(f"    elif x == {i}:\n        pass\n" for i in range(1, 200))
    [finding] = lint(elifs + CALL)
    assert finding.code == "OPS001", "a 200-branch elif chain is real code, not an attack"


@pytest.mark.parametrize("candidate", [True, False])
def test_a_nul_byte_is_reported_where_it_is(candidate: bool) -> None:
    call = CALL if candidate else "y = 2\n"
    [finding] = lint("x = 1\nz = 'a\x00b'\n" + call)
    assert (finding.code, finding.line, finding.column) == ("OPS000", 2, 7)
    assert "NUL byte" in finding.message


@pytest.mark.parametrize("candidate", [True, False])
def test_syntax_newer_than_this_python_is_no_syntax_error(candidate: bool) -> None:
    # ``except A, B:`` is Python 3.14: CPython 3.11 rejects it, libcst parses it. A project on
    # 3.14 linted by a 3.11 interpreter must not be told its code is broken (nor lose findings).
    newer = "try:\n    pass\nexcept KeyError, ValueError:\n    pass\n"
    findings = lint(newer + (CALL if candidate else ""))
    assert [f.code for f in findings] == (["OPS001"] if candidate else [])
