"""libcst sees only the statements that can hold a finding: what is kept, what stands in for the
rest, how lines map back, and that a big generated module costs what its few relevant lines cost."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import libcst as cst
import pytest

from opsux_core import policy_from_mapping
from opsux_lint.analysis import ModuleEntry, ProjectIndex
from opsux_lint.analysis.outline import summarize
from opsux_lint.engine import Linter
from opsux_lint.excerpt import Excerpt, excerpt, needle_pattern
from opsux_lint.prefilter import Needle, Prefilter, words
from opsux_lint.registry import builtin_rules

ROOT = Path("/nowhere")
POLICY = policy_from_mapping(
    {
        "operation_types": {"inventory.sync": "Inventory sync"},
        "lint": {"operation_type_sinks": [{"call": "app.ops.start_operation", "arg": 1}]},
    },
    source=ROOT / "opsux.yaml",
    root=ROOT,
)
NEEDLES = needle_pattern(Prefilter.build([words(["start_operation"])]).pattern)  # type: ignore[arg-type]


def cut(code: str, needles: re.Pattern[str] = NEEDLES) -> Excerpt:
    return excerpt(code, ast.parse(code), needles)


def kept_lines(code: str, part: Excerpt) -> list[str]:
    """The file's lines the excerpt kept, through its line map."""
    lines = code.splitlines()
    return [lines[part.line(n) - 1] for n, text in enumerate(part.text.splitlines(), 1) if text == lines[part.line(n) - 1]]


def test_only_statements_with_a_needle_or_an_import_are_kept_with_their_lines() -> None:
    code = (
        '"""Docs."""\n'            # 1 dropped: binds nothing
        "import os\n"              # 2 kept: imports
        "\n"
        "TABLE = {'a': 1}\n"       # 4 dropped: stands in as TABLE = ...
        "def go(t):\n"             # 5 kept: calls the sink
        "    start_operation(t, 'x')\n"
        "# a comment\n"            # 7 dropped: between statements
        "def other():\n"           # 8 dropped: def other(): ...
        "    return 1\n"
    )
    part = cut(code)
    assert part.text == (
        "import os\n"
        "TABLE = ...\n"
        "def go(t):\n"
        "    start_operation(t, 'x')\n"
        "def other(): ...\n"
    )
    assert part.origin == (2, 4, 5, 6, 8)
    assert [part.line(n) for n in range(1, 6)] == [2, 4, 5, 6, 8]


def test_a_file_with_nothing_to_drop_is_given_whole() -> None:
    code = "from app.ops import start_operation\nstart_operation(t, 'x')\n"
    part = cut(code)
    assert part == Excerpt(code, None)
    assert part.line(7) == 7


def test_decorators_and_statements_sharing_a_line_stay_with_their_statement() -> None:
    code = (
        "@decorate(\n"
        "    1)\n"
        "def go(t):\n"
        "    start_operation(t, 'x')\n"
        "a = 1; b = start_operation\n"
        "c = 2\n"
    )
    part = cut(code)
    assert part.text == code.replace("c = 2\n", "c = ...\n")
    assert part.origin == (1, 2, 3, 4, 5, 6)


def test_names_bound_in_dropped_blocks_stand_in_in_binding_order() -> None:
    code = (
        "if FLAG:\n"
        "    def a(): pass\n"
        "else:\n"
        "    x = y = compute()\n"
        "    p, q = 1, 2\n"          # a tuple target binds nothing the walk records
        "try:\n"
        "    class B: pass\n"
        "except E:\n"
        "    n: int = 3\n"
        "    m: int\n"               # an annotation alone binds nothing
        "finally:\n"
        "    obj.attr = 4\n"
        "for i in range(3):\n"
        "    k = i\n"
        "match v:\n"
        "    case 1:\n"
        "        z = 1\n"
        "def call(): start_operation(t, 'x')\n"
    )
    part = cut(code)
    assert part.text.splitlines() == [
        "def a(): ...", "x = y = ...", "class B: ...", "n = ...", "k = ...", "z = ...",
        "def call(): start_operation(t, 'x')",
    ]
    # Each stand-in points at the first line of the statement it stands in for.
    assert part.origin == (1, 1, 6, 6, 13, 15, 18)


@pytest.mark.parametrize(
    ("binding", "call"),
    [
        ("from app.ops import start_operation as go", "go(t, 'x')"),
        ("import app.ops.start_operation as go", "go(t, 'x')"),
        ("from app.ops import start_operation\ngo = start_operation", "go(t, 'x')"),
        ("from app import ops\ngo = ops.start_operation", "go(t, 'x')"),
        ("from app.ops import start_operation as first\nsecond = first", "second(t, 'x')"),
        ("try:\n    from app.ops import start_operation as go\nexcept ImportError:\n    go = None", "go(t, 'x')"),
    ],
)
def test_module_level_aliases_of_a_needle_keep_the_statements_that_use_them(binding: str, call: str) -> None:
    code = f"{binding}\nUNRELATED = 1\ndef run(t):\n    {call}\n"
    part = cut(code)
    assert f"    {call}\n" in part.text
    assert "UNRELATED = ...\n" in part.text


def test_an_alias_of_something_else_keeps_nothing_more() -> None:
    code = "from app.ops import start_operation\nfrom app.other import stop as go\ndef run(t):\n    go(t, 'x')\n"
    assert "go(t, 'x')" not in cut(code).text


def test_line_breaks_of_every_kind_map_back() -> None:
    code = "X = 1\r\ndef go(t):\r    start_operation(t, 'x')\nY = 2\r\n"
    part = cut(code)
    assert part.text == "X = ...\r\ndef go(t):\r    start_operation(t, 'x')\nY = ...\r\n"
    assert part.origin == (1, 2, 3, 4)


def test_a_file_without_a_needle_is_an_empty_module() -> None:
    part = cut("X = compute()\nY = 2\n")
    assert part.text == "X = ...\nY = ...\n"
    assert cst.parse_module(part.text).code == part.text


def test_fragment_needles_match_inside_alias_names() -> None:
    fragments = needle_pattern(Prefilter.build([frozenset({Needle("QueuedNotification", whole_word=False)})]).pattern)  # type: ignore[arg-type]
    code = "from app.n import SyncQueuedNotification as Started\nX = 1\nsend(user, Started(run))\n"
    assert cut(code, fragments).text == "from app.n import SyncQueuedNotification as Started\nX = ...\nsend(user, Started(run))\n"


# ------------------------------------------------------------------------------- the engine


EVERY_RULE = tuple(r.id for r in builtin_rules())
# The rules whose findings are followed by the resolver alone (no ``follows_names``).
STATEMENT_LOCAL = ("OPS000", "OPS001", "OPS002", "OPS008", "OPS900")


def linter(*, exhaustive: bool = False, codes: tuple[str, ...] = STATEMENT_LOCAL, index: ProjectIndex | None = None) -> Linter:
    return Linter(POLICY, tuple(r for r in builtin_rules() if r.id in codes), index, exhaustive=exhaustive)


def test_every_rule_has_files_cut_to_the_statements_that_can_hold_its_findings() -> None:
    assert linter().needles is not None and not linter().follow
    every = linter(codes=EVERY_RULE)
    assert every.needles is not None and every.follow
    code = generated(50)
    assert [(f.code, f.line) for f in every.lint(ROOT / "app" / "gen.py", code.encode())] == [("OPS001", 58)]


def generated(rows: int) -> str:
    table = "".join(f"    'key_{i}': {{'name': 'row {i}', 'id': {i}, 'tags': ['a', 'b']}},\n" for i in range(rows))
    return (
        "from app.ops import start_operation\n\n"
        f"DATA = {{\n{table}}}\n\n"
        "def go(t):\n"
        "    start_operation(t, 'inventory.sync')\n"
        "    start_operation(t, 'nope.nope')\n"
    )


def parsed_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    sizes: list[int] = []
    real = cst.parse_module

    def spy(source: str, *args: object, **kwargs: object) -> cst.Module:
        sizes.append(len(source))
        return real(source, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cst, "parse_module", spy)
    return sizes


EXCERPT_OF_GENERATED = (
    "from app.ops import start_operation\n"
    "DATA = ...\n"
    "def go(t):\n"
    "    start_operation(t, 'inventory.sync')\n"
    "    start_operation(t, 'nope.nope')\n"
)


def test_the_excerpt_of_a_generated_module_is_its_import_its_name_and_its_calls() -> None:
    assert cut(generated(3)).text == EXCERPT_OF_GENERATED


@pytest.mark.parametrize("codes", [STATEMENT_LOCAL, EVERY_RULE], ids=["resolver-rules", "every-rule"])
@pytest.mark.parametrize("rows", [2_000, 20_000])
def test_a_big_generated_module_is_parsed_by_libcst_only_where_findings_can_be(
    rows: int, codes: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    code = generated(rows)
    parsed = parsed_sizes(monkeypatch)
    findings = linter(codes=codes).lint(ROOT / "app" / "gen.py", code.encode())
    assert [(f.code, f.line, f.column) for f in findings] == [("OPS001", rows + 8, 24)]
    assert findings[0].snippet == "start_operation(t, 'nope.nope')"
    # Bounded: libcst parses the same six lines whatever the size of the table.
    assert len(code) > 30 * rows
    assert parsed == [len(EXCERPT_OF_GENERATED)]


NEWER_SYNTAX = "def load(t):\n    try:\n        return t.read()\n    except KeyError, ValueError:\n        return None\n\n"


def test_a_module_of_newer_syntax_is_cut_like_any_other(monkeypatch: pytest.MonkeyPatch) -> None:
    # ``except A, B:`` (3.14) fails this Python's parser; the index's repaired tree has the
    # file's lines, so libcst (which knows the syntax) is still given only the excerpt: the
    # same excerpt as of the file written for this Python.
    parsed = parsed_sizes(monkeypatch)
    for newer in (NEWER_SYNTAX.replace("KeyError, ValueError", "(KeyError, ValueError)"), NEWER_SYNTAX):
        code = generated(500).replace("def go(t):", newer + "def go(t):")
        findings = linter().lint(ROOT / "app" / "gen.py", code.encode())
        assert [(f.code, f.line, f.column) for f in findings] == [("OPS001", 514, 24)]
    assert len(parsed) == 2 and parsed[0] == parsed[1] < len(EXCERPT_OF_GENERATED) + 20


def test_libcst_rejecting_the_excerpt_is_decided_on_the_whole_file(monkeypatch: pytest.MonkeyPatch) -> None:
    code = generated(10)
    real = cst.parse_module
    try:
        real("(")
    except cst.ParserSyntaxError as exc:
        rejection = exc
    seen: list[int] = []

    def picky(source: str, *args: object, **kwargs: object) -> cst.Module:
        seen.append(len(source))
        if source != code:
            raise rejection
        return real(source, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cst, "parse_module", picky)
    findings = linter().lint(ROOT / "app" / "gen.py", code.encode())
    assert seen[-1] == len(code) and len(seen) == 2
    assert [(f.code, f.line) for f in findings] == [("OPS001", 18)]


WHOLE_FILE_CASES = [
    # Dropped statements rebinding a name the kept call uses.
    "from app.ops import start_operation as go\ngo = make_other()\ndef run(t):\n    go(t, 'nope.a')\n",
    "from app.ops import start_operation\ndef start_operation(t, kind):\n    pass\nstart_operation(t, 'nope.b')\n",
    "from app.ops import start_operation\nif X:\n    class start_operation: pass\nstart_operation(t, 'nope.c')\n",
    # Values and receivers from dropped statements.
    "from app.ops import start_operation as go\nother = 1\ndef run(t):\n    go(t, 'nope.d')\n",
    "import app.ops\nSTEP = 'nope.e'\napp.ops.start_operation(t, STEP)\n",
    "from app import ops\nclass Jobs:\n    kind = 'nope.f'\n    def run(self, t):\n        ops.start_operation(t, self.kind)\n",
    # A receiver typed in another statement: the call names only the method.
    "from opsux_core import OperationRunService\nservice = OperationRunService(s, p)\ndef run(t):\n    service.start(t, 'nope.g')\n",
    "from opsux_core import OperationRunService\nclass Jobs:\n    def __init__(self, service: OperationRunService):\n"
    "        self.service = service\n    def other(self):\n        pass\n    def run(self, t):\n        self.service.start(t, 'nope.h')\n",
]


@pytest.mark.parametrize("code", WHOLE_FILE_CASES)
def test_findings_are_those_of_the_whole_file(code: str) -> None:
    path = ROOT / "app" / "m.py"
    whole = linter(exhaustive=True).lint(path, code.encode())
    assert [f.code for f in whole] == ["OPS001"]
    assert linter().lint(path, code.encode()) == whole
    assert linter().check(path, code.encode())[1] == linter(exhaustive=True).check(path, code.encode())[1]


def test_of_a_class_the_header_and_the_members_with_a_needle_are_kept() -> None:
    code = (
        "@register\n"                          # 1
        "class Jobs(\n"                        # 2
        "    Base,\n"                          # 3
        "):\n"                                 # 4
        '    """Docs."""\n'                    # 5 dropped
        "    kind = 'x'\n"                     # 6 dropped: class members bind nothing the walk records
        "    @property\n"                      # 7
        "    def go(self, t):\n"               # 8
        "        start_operation(t, self.kind)\n"
        "    class Inner:\n"                   # 10
        "        def a(self): pass\n"          # 11 dropped
        "        def b(self): start_operation(t, 'y')\n"
        "    def other(self):\n"               # 13 dropped
        "        return 1\n"
    )
    part = cut(code)
    assert part.text == (
        "@register\nclass Jobs(\n    Base,\n):\n"
        "    @property\n    def go(self, t):\n        start_operation(t, self.kind)\n"
        "    class Inner:\n        def b(self): start_operation(t, 'y')\n"
    )
    assert part.origin == (1, 2, 3, 4, 7, 8, 9, 10, 12)


@pytest.mark.parametrize("header", ["class Started(start_operation):\n", "@start_operation\nclass Started:\n"])
def test_a_class_with_a_needle_in_its_header_is_kept_whole(header: str) -> None:
    # ``super().__init__(...)`` in a subclass of a sink class names neither the class nor the sink.
    code = header + "    def __init__(self):\n        super().__init__('x')\nOTHER = 1\n"
    assert cut(code).text == code.replace("OTHER = 1", "OTHER = ...")


@pytest.mark.parametrize(
    ("code", "kept"),
    [
        # The body begins on the header's last line, or on its line: the class is kept whole.
        ("class Jobs(\n    Base): go = start_operation\nclass Other: pass\n", "class Jobs(\n    Base): go = start_operation\nclass Other: ...\n"),
        ("class Jobs: a = start_operation; b = 2\n", None),
        # Tabs are an indentation like any other.
        ("class Jobs:\n\tdef a(self): start_operation(t, 'x')\n\tdef b(self): pass\n", "class Jobs:\n\tdef a(self): start_operation(t, 'x')\n"),
    ],
)
def test_a_class_body_is_cut_only_where_it_starts_on_a_line_of_its_own(code: str, kept: str | None) -> None:
    part = cut(code)
    assert part.text == (code if kept is None else kept)
    assert cst.parse_module(part.text).code == part.text


def test_a_class_whose_needle_is_only_in_a_comment_keeps_a_body() -> None:
    code = "class Jobs:\n    def a(self):\n        pass\n    # start_operation is called elsewhere\n    def b(self):\n        pass\n"
    part = cut(code)
    assert part.text == "class Jobs:\n    ...\n"
    assert part.origin == (1, 1)
    assert cst.parse_module(part.text).code == part.text


# What the run-convention rules (OPS003-OPS007) read of other statements: module-level locals
# and constants, enum members, imported constants, attributes typed in another method.
RUN_RULE_CASES = {
    "constant-in-copy": (
        "SYNC = 'inventory.sync'\nother = 1\ndef toast():\n    return f'{SYNC} queued'\n", "OPS006",
    ),
    "enum-member-in-copy": (
        "import enum\nclass Kind(enum.StrEnum):\n    SYNC = 'inventory.sync'\n    def noop(self):\n        pass\n"
        "def other():\n    pass\ndef toast():\n    return 'Started %s' % Kind.SYNC\n", "OPS006",
    ),
    "module-level-run": (
        "from opsux_core import OperationRun\nrun = session.get(OperationRun, 1)\nother = 2\nrun.status = 'completed'\n",
        "OPS003",
    ),
    "module-level-run-chain": (
        "from opsux_core import OperationRun\nruns = session.query(OperationRun).all()\nrun = runs[0]\n"
        "def other():\n    pass\nrun.outcome = 'succeeded'\n", "OPS003",
    ),
    "field-in-constant": (
        "from opsux_core import OperationRun\nFIELD = 'status'\ndef other():\n    pass\n"
        "def finish(run: OperationRun):\n    setattr(run, FIELD, 'completed')\n", "OPS003",
    ),
    "field-as-a-dict-key": (
        "from opsux_core import OperationRun\ndef other():\n    pass\n"
        "def close(session):\n    session.query(OperationRun).filter_by(id=1).update({'status': 'completed'})\n", "OPS003",
    ),
    "attribute-typed-in-another-method": (
        "from opsux_core import OperationRunService\nclass Job:\n"
        "    def __init__(self, service: OperationRunService):\n        self.run = service.start('t', 'inventory.sync').run\n"
        "    def other(self):\n        pass\n    def finish(self):\n        self.run.status = 'completed'\n", "OPS003",
    ),
    "service-typed-in-a-dropped-statement": (
        "import opsux_core as core\nservice = core.OperationRunService(session, policy)\n"
        "def finish():\n    run = service.start('t', 'inventory.sync').run\n    run.status = 'completed'\n", "OPS003",
    ),
    "module-level-counts": (
        "from opsux_core import OperationRun\nCOUNTS = {'bogus': 1}\ndef other():\n    pass\n"
        "row = OperationRun(summary_counts=COUNTS)\n", "OPS005",
    ),
    "hand-built-link": (
        "def other():\n    pass\ndef link(run):\n    return f'/operations/{run.id}'\n", "OPS007",
    ),
}


@pytest.mark.parametrize("code, rule", RUN_RULE_CASES.values(), ids=RUN_RULE_CASES.keys())
def test_run_rules_find_in_the_excerpt_what_they_find_in_the_whole_file(code: str, rule: str) -> None:
    path = ROOT / "app" / "m.py"
    whole = linter(exhaustive=True, codes=EVERY_RULE).lint(path, code.encode())
    assert [f.code for f in whole] == [rule]
    cut_linter = linter(codes=EVERY_RULE)
    assert cut_linter.lint(path, code.encode()) == whole
    # The excerpt did drop something: the case tests the following, not a whole file.
    tree = ast.parse(code)
    assert cut_linter.needles is not None
    assert excerpt(code, tree, cut_linter.needles, follow=True).origin is not None


def test_without_following_names_the_module_level_cases_would_be_missed() -> None:
    """The cases above need the following: an excerpt that does not follow loses their finding."""
    code, _ = RUN_RULE_CASES["module-level-run"]
    assert cut(code, linter(codes=EVERY_RULE).needles).text.count("session.get") == 0  # type: ignore[arg-type]
    code, _ = RUN_RULE_CASES["constant-in-copy"]
    assert "queued" not in excerpt(code, ast.parse(code), linter(codes=EVERY_RULE).needles).text  # type: ignore[arg-type]


def test_an_imported_constant_keeps_the_copy_that_interpolates_it() -> None:
    kinds = "SYNC = 'inventory.sync'\nclass Kind:\n    SYNC = 'inventory.sync'\n"
    index = ProjectIndex().with_module("app.kinds", ModuleEntry(summarize(kinds, "app.kinds", False), "app/kinds.py", "x"))
    code = (
        "from app.kinds import SYNC, Kind\ndef kind_of(run):\n    return run.operation_type\n"
        "def toast():\n    return f'{SYNC} queued'\ndef badge():\n    return '{} running'.format(Kind.SYNC)\n"
    )
    path = ROOT / "app" / "m.py"
    whole = linter(exhaustive=True, codes=EVERY_RULE, index=index).lint(path, code.encode())
    assert [(f.code, f.line) for f in whole] == [("OPS006", 5), ("OPS006", 7)]
    cut_linter = linter(codes=EVERY_RULE, index=index)
    assert cut_linter.lint(path, code.encode()) == whole
    # The file's own text names no needle in those two functions: the imported names kept them.
    assert cut_linter.needles is not None
    assert "queued" not in excerpt(code, ast.parse(code), cut_linter.needles, follow=True).text


# Generated tables whose rows hold the needles' words as data: a rule about ``run.status`` or
# ``.label(...)`` has nothing to find in ``{'status': 'active', 'label': 'x'}``.
def data_table(rows: int, special: dict[int, str] | None = None, name: str = "DATA") -> str:
    special = special or {}
    lines = [special.get(i, f"    'key_{i}': {{'status': 'active', 'label': 'row {i}', 'id': {i}}},") for i in range(rows)]
    return f"{name} = {{\n" + "\n".join(lines) + "\n}\n"


@pytest.mark.parametrize("rows", [2_000, 20_000])
def test_a_table_whose_rows_name_needles_as_data_is_parsed_without_them(rows: int, monkeypatch: pytest.MonkeyPatch) -> None:
    code = "from app.ops import start_operation\n" + data_table(rows) + "def go(t):\n    start_operation(t, 'nope.nope')\n"
    sizes = parsed_sizes(monkeypatch)
    findings = linter(codes=EVERY_RULE).lint(ROOT / "app" / "gen.py", code.encode())
    assert [(f.code, f.line) for f in findings] == [("OPS001", rows + 5)]
    assert len(code) > 50 * rows and sizes and max(sizes) < 300


TABLE_CASES = {
    # A row holding a phrase or a link is copy: kept, and reported where it is.
    "phrase-in-a-row": ({57: "    'key_57': {'status': 'done', 'text': 'Inventory sync queued'},"}, [("OPS006", 61)]),
    "link-in-a-row": ({120: "    'key_120': {'url': '/operations/42', 'label': 'x'},"}, [("OPS007", 124)]),
    # A row with code in it is kept for a needle anywhere in it.
    "code-in-a-row": ({9: "    'key_9': {'status': run.status, 'go': start_operation(t, 'nope.row')},"}, [("OPS001", 13)]),
}


@pytest.mark.parametrize("special, expected", TABLE_CASES.values(), ids=TABLE_CASES.keys())
def test_rows_that_can_hold_a_finding_are_kept(special: dict[int, str], expected: list[tuple[str, int]]) -> None:
    code = "from app.ops import start_operation\n\n" + data_table(300, special)
    path = ROOT / "app" / "gen.py"
    whole = linter(exhaustive=True, codes=EVERY_RULE).lint(path, code.encode())
    assert [(f.code, f.line) for f in whole] == expected
    assert linter(codes=EVERY_RULE).lint(path, code.encode()) == whole
    needles = linter(codes=EVERY_RULE)
    assert needles.needles is not None
    part = excerpt(code, ast.parse(code), needles.needles, follow=True, in_strings=needles.in_strings)
    assert part.origin is not None and len(part.text.splitlines()) < 10


def test_a_table_read_as_counts_at_module_level_is_kept_whole() -> None:
    """Every key of a summary_counts mapping is checked, not only the rows that name a needle."""
    rows = {i: f"    'key_{i}': {i}," for i in range(200)}
    code = (
        "from opsux_core import OperationRun\n" + data_table(200, rows, name="COUNTS")
        + "row = OperationRun(summary_counts=COUNTS)\n"
    )
    path = ROOT / "app" / "m.py"
    whole = linter(exhaustive=True, codes=EVERY_RULE).lint(path, code.encode())
    assert [f.code for f in whole] == ["OPS005"] * 200
    assert linter(codes=EVERY_RULE).lint(path, code.encode()) == whole


@pytest.mark.parametrize(
    "layout",
    [
        pytest.param("DATA = {'a': 1, 'b': 2,\n" + "    'c': 'status',\n" * 120 + "}\n", id="rows-share-a-line"),
        pytest.param("DATA = [\n" + "    'status',\n" * 120 + "    'last']\n", id="bracket-on-the-last-row"),
        pytest.param("DATA = (\n" + "    'status',\n" * 120 + "    'last'\n)\n", id="tuple-row-without-comma"),
        pytest.param("run.summary_counts = {\n" + "    'status': 1,\n" * 120 + "}\n", id="target-not-a-name"),
        pytest.param("DATA = [\n" + "    (x := 'status'),\n" * 120 + "]\n", id="walrus"),
    ],
)
def test_displays_of_other_layouts_are_kept_whole(layout: str) -> None:
    code = "from app.ops import start_operation\n" + layout
    needles = linter(codes=EVERY_RULE)
    assert needles.needles is not None
    part = excerpt(code, ast.parse(code), needles.needles, follow=True, in_strings=needles.in_strings)
    assert part.text == code


def test_a_long_display_is_cut_to_its_rows_and_still_a_display_of_the_same_kind() -> None:
    code = "from app.ops import start_operation\nDATA = (\n" + "    'status',\n" * 120 + "    start_operation,\n)\n"
    needles = linter(codes=EVERY_RULE)
    assert needles.needles is not None
    part = excerpt(code, ast.parse(code), needles.needles, follow=True, in_strings=needles.in_strings)
    assert part.text == "from app.ops import start_operation\nDATA = (\n    start_operation,\n)\n"
    assert part.line(3) == 123


def test_names_written_as_data_in_strings_keep_nothing_code_does() -> None:
    """A migration-like module: 'status' and 'label' as strings are data; as code (after a
    non-ASCII string on the same line, inside an f-string's braces) they keep their statement."""
    migration = "".join(
        f"op_{i} = AddField(model_name='job', name='status', field=Field(verbose_name='label {i}'))\n" for i in range(50)
    )
    code = (
        "from app.ops import start_operation\n" + migration
        + "def a(run):\n    print('é café', run.status)\n"
        + "def b(run):\n    return f'{run.label}'\n"
        + "def c():\n    '''Sets the status.'''\n"
    )
    every = linter(codes=EVERY_RULE)
    assert every.needles is not None
    part = excerpt(code, ast.parse(code), every.needles, follow=True, in_strings=every.in_strings)
    kept = part.text.splitlines()
    assert "    print('é café', run.status)" in kept
    assert "    return f'{run.label}'" in kept
    assert not any("AddField" in line for line in kept)
    assert "    '''Sets the status.'''" not in kept
    # Without knowing which needles are data, every statement is kept.
    assert excerpt(code, ast.parse(code), every.needles, follow=True).text.count("AddField") == 50


def test_strings_are_found_in_the_statements_around_the_line() -> None:
    # Only the statements that span a line are walked for its literals: a string deep in a
    # nested block, spanning lines, and one in a decorator (above its statement's own line).
    code = (
        "from app.ops import start_operation\n"
        "class Jobs:\n"
        "    def a(self, x):\n"
        "        if x:\n"
        '            HELP = """\n'
        "            the status\n"
        '            """\n'
        "    def b(self, run):\n"
        "        return run.status\n"
        "@tag('status')\n"
        "def c():\n"
        "    pass\n"
    )
    every = linter(codes=EVERY_RULE)
    assert every.needles is not None
    part = excerpt(code, ast.parse(code), every.needles, follow=True, in_strings=every.in_strings)
    assert part.text == "from app.ops import start_operation\nclass Jobs:\n    def b(self, run):\n        return run.status\ndef c(): ...\n"
    # As code, the same words keep their statements.
    as_code = code.replace('"""\n            the status\n            """', "run.status").replace("@tag('status')", "@tag(run.status)")
    kept = excerpt(as_code, ast.parse(as_code), every.needles, follow=True, in_strings=every.in_strings).text
    assert "            HELP = run.status\n" in kept and "@tag(run.status)\n" in kept


# ---------------------------------------------------------------------------- function bodies

VIEW = (
    "from app.ops import start_operation\n"   # 1
    "@route('/sync')\n"                       # 2
    "def view(request, t):\n"                 # 3
    '    """Docs."""\n'                       # 4 dropped
    "    form = Form(request.POST)\n"         # 5 dropped
    "    if not form.validate():\n"           # 6 dropped
    "        return None\n"                   # 7 dropped
    "    # the sink\n"                        # 8 dropped with the statement before it
    "    try:\n"                              # 9
    "        start_operation(t, 'nope.a')\n"  # 10
    "    except KeyError:\n"                  # 11
    "        pass\n"                          # 12
    "    return form\n"                       # 13 dropped
)


def test_of_a_function_the_header_and_the_statements_with_a_needle_are_kept() -> None:
    part = cut(VIEW)
    assert part.text == "".join(VIEW.splitlines(keepends=True)[n - 1] for n in (1, 2, 3, 9, 10, 11, 12))
    assert part.origin == (1, 2, 3, 9, 10, 11, 12)
    path = ROOT / "app" / "views.py"
    findings = linter().lint(path, VIEW.encode())
    assert [(f.code, f.line, f.column) for f in findings] == [("OPS001", 10, 28)]
    assert findings == linter(exhaustive=True).lint(path, VIEW.encode())


def test_rules_that_follow_names_get_whole_functions() -> None:
    assert cut(VIEW).text != VIEW
    assert excerpt(VIEW, ast.parse(VIEW), NEEDLES, follow=True).text == VIEW


@pytest.mark.parametrize(
    ("body", "kept"),
    [
        # Names a kept statement binds keep the statements that use them, to a fixpoint.
        ("    go = start_operation\n    x = 1\n    again = go\n    y = 2\n    again(t, 'nope.b')\n", [1, 3, 5]),
        ("    for go in (start_operation,):\n        pass\n    x = 1\n    go(t, 'nope.c')\n", [1, 2, 4]),
        ("    from app.ops import start_operation as go\n    x = 1\n    go(t, 'nope.d')\n", [1, 3]),
        ("    with start_operation as go:\n        pass\n    x = 1\n    go(t, 'nope.e')\n", [1, 2, 4]),
        ("    if (go := start_operation):\n        pass\n    x = 1\n    go(t, 'nope.w')\n", [1, 2, 4]),
        ("    match start_operation:\n        case go:\n            pass\n    x = 1\n    go(t, 'nope.m')\n", [1, 2, 3, 5]),
    ],
    ids=["assigned", "loop", "import", "with", "walrus", "match"],
)
def test_local_names_of_a_needle_keep_the_statements_that_call_them(body: str, kept: list[int]) -> None:
    code = "from app.ops import start_operation\ndef run(t):\n" + body
    part = cut(code)
    assert part.origin == (1, 2, *(n + 2 for n in kept))


@pytest.mark.parametrize(
    "code",
    [
        # The needle in the header (a decorator, a default) concerns the whole body.
        "@start_operation\ndef run(t):\n    x = 1\n    return x\n",
        "def run(t, go=start_operation):\n    x = 1\n    go(t, 'nope.f')\n",
        # The body shares the header's line.
        "def run(t): x = 1; start_operation(t, 'nope.g')\n",
        "def run(\n    t,\n): x = 1; start_operation(t, 'nope.g')\n",
        # Every statement holds a needle: nothing to drop.
        "def run(t):\n    start_operation(t, 'nope.h')\n",
    ],
)
def test_a_function_is_kept_whole_where_its_body_cannot_be_cut(code: str) -> None:
    code = "from app.ops import start_operation\n" + code
    assert cut(code).origin is None or cut(code).text == code


def test_a_function_whose_needle_is_only_in_a_comment_keeps_a_body() -> None:
    code = "from app.ops import start_operation\ndef run(t):\n    x = 1\n    # start_operation\n    return x\n"
    part = cut(code)
    assert part.text == "from app.ops import start_operation\ndef run(t):\n    ...\n"
    assert cst.parse_module(part.text).code == part.text


FUNCTION_CASES = [
    # Values, receivers and callees from the statements the excerpt drops.
    "from app.ops import start_operation\ndef run(t):\n    kind = 'nope.a'\n    x = 1\n    start_operation(t, kind)\n",
    "from app.ops import start_operation\ndef run(t, flag):\n    kind = 'inventory.sync'\n    if flag:\n        kind = 'nope.b'\n"
    "    x = 1\n    start_operation(t, kind)\n",
    "from opsux_core import OperationRunService\ndef run(s, p, t):\n    service = OperationRunService(s, p)\n    x = 1\n"
    "    service.start(t, 'nope.c')\n",
    "from app import ops\nclass Jobs:\n    def run(self, t):\n        go = ops.start_operation\n        x = 1\n        go(t, 'nope.d')\n",
    "from app.ops import start_operation\ndef outer(t):\n    x = 1\n    def inner():\n        start_operation(t, 'nope.e')\n    return inner\n",
    "import app.ops\nasync def run(t):\n    step = 'nope.f'\n    await other()\n    app.ops.start_operation(t, step)\n",
]


@pytest.mark.parametrize("code", FUNCTION_CASES)
def test_findings_of_cut_functions_are_those_of_the_whole_file(code: str) -> None:
    assert cut(code).text != code, "the case must drop something"
    path = ROOT / "app" / "m.py"
    whole = linter(exhaustive=True).lint(path, code.encode())
    assert [f.code for f in whole] == ["OPS001"]
    assert linter().lint(path, code.encode()) == whole
    assert linter().check(path, code.encode())[1] == linter(exhaustive=True).check(path, code.encode())[1]
