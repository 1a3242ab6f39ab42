"""The prefilter's combined pattern finds a file exactly when one of its needles, searched alone
in its own form, does: the word alternation is an optimisation, never a different answer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opsux_lint.excerpt import needle_pattern
from opsux_lint.prefilter import Needle, Prefilter, dotted_tails, words

WORDS = st.sampled_from(["start", "start_operation", "label", "_log", "x1", "Queued", "opsux", "a.b", "é"])
NEEDLES = st.builds(Needle, WORDS, st.booleans(), st.booleans())
TEXT = st.lists(st.sampled_from(["start", "_", "operation", "label", ".", " ", "é", "x", "1", "Queued", "OPSUX", "a.b", "\n"]), max_size=12).map("".join)


@given(st.frozensets(NEEDLES, min_size=1, max_size=5), TEXT)
def test_the_combined_pattern_agrees_with_each_needle_alone(needles: frozenset[Needle], text: str) -> None:
    data = text.encode("utf-8")
    alone = any(re.search(n.regex(), data) for n in needles)
    prefilter = Prefilter.build([needles])
    assert prefilter.is_candidate(data) == alone
    # The excerpt searches the decoded text with the same pattern: the same lines match.
    assert prefilter.pattern is not None
    in_text = {m.start() for m in needle_pattern(prefilter.pattern).finditer(text) if m.group() != "import"}
    in_bytes = {len(data[: m.start()].decode("utf-8")) for m in prefilter.pattern.finditer(data)}
    assert in_text == in_bytes


def test_whole_words_share_one_alternation_and_keep_their_boundaries() -> None:
    prefilter = Prefilter.build([words(["start", "start_operation"])])
    assert prefilter.pattern is not None and prefilter.pattern.pattern == rb"\b(?:start_operation|start)\b"
    assert [prefilter.is_candidate(t) for t in (b"x.start(", b"restart(", b"start_", b"\xc3\xa9start(")] == [
        True, False, False, True,  # a non-ASCII letter is not a word character of the bytes pattern
    ]


def test_nothing_selected_matches_nothing_and_no_needles_match_everything() -> None:
    assert not Prefilter.build([frozenset()]).is_candidate(b"start")
    assert Prefilter.build([words(["start"]), None]).is_candidate(b"")


def test_receiver_needles_come_from_modules_that_import_the_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A project's own ``Policy`` is not opsux's: what returns it types no receiver of the API.
    # What returns opsux's, imported directly or through a module that re-exports it, does.
    from opsux_lint.analysis import build_index
    from lint_support import outlined_modules
    from opsux_lint.analysis.api import api_types
    from opsux_lint.analysis.receivers import receiver_names
    from opsux_lint.kinds.operation_type import api_declarations
    from opsux_lint.registry import rules_by_id

    package = tmp_path / "src" / "app"
    (package / "sub").mkdir(parents=True)
    sources = {
        "__init__": "",
        "own": "class Policy:\n    pass\n\n\ndef own_policy() -> Policy:\n    return Policy()\n",
        "mention": "def csp() -> 'Policy':\n    return make()\n",
        "api": "from opsux_core import Policy\n",
        "factory": "from app.api import Policy\n\n\ndef make_policy() -> Policy:\n    return Policy()\n",
        "direct": "from opsux_core import Policy\n\n\ndef load() -> Policy:\n    return Policy()\n",
        "sub/__init__": "from opsux_core import Policy\n",
        # Relative to a package that imports the API: it names no module it imports from.
        "sub/starred": "from . import *\n\n\ndef from_parent() -> Policy:\n    return Policy()\n",
    }
    for name, text in sources.items():
        (package / f"{name}.py").write_text(text, encoding="utf-8")
    outlined = outlined_modules(monkeypatch)
    api = api_types(api_declarations(rules_by_id().values()))
    names = receiver_names(build_index(tmp_path, ["src"], [], cache_dir=None), api)
    assert {"load", "make_policy", "Policy", "from_parent"} <= names
    assert "own_policy" not in names and "csp" not in names
    # Modules that mention a name but import from nothing that has the API are not outlined.
    assert "app.own" not in outlined and "app.mention" not in outlined


@pytest.mark.parametrize(
    ("source", "candidate"),
    [
        (b'KIND = "inventory.sync"\n', True),
        (b"KIND = u'inventory.sync'\n", True),
        (b'KIND = """inventory.sync"""\n', True),
        (b'print("synced inventory.sync now")\n', False),  # part of a text: not a constant's value
        (b"inventory.sync(x)\n", False),  # code, not a literal
        (b'TITLE = "View run"\n', True),
        (b'TITLE = " View run\n"\n', True),  # blanks around it
        (b'TITLE = ("View "\n         "run")\n', True),  # pieces of a concatenation, split between words
        (b'TITLE = f"View run"\n', True),
        (b'TITLE = "View {run}"\n', False),
        (b'TITLE = "Preview run"\n', False),
        (b"# View run\n", False),
    ],
)
def test_quoted_needles_match_only_string_literals(source: bytes, candidate: bool) -> None:
    needles = frozenset({
        Needle("inventory.sync", whole_word=False, quoted="whole"),
        Needle("View", whole_word=False, quoted="piece"),
        Needle("View run", whole_word=False, quoted="piece"),
    })
    assert Prefilter.build([needles]).is_candidate(source) is candidate
    # The alternation of each kind finds what its needles find one by one.
    assert any(re.search(n.regex(), source) for n in needles) is candidate


@pytest.mark.parametrize(
    ("source", "candidate"),
    [
        (b'async_task("app.events.emit", kind)\n', True),
        (b"enqueue('events.emit')\n", True),
        (b'async_task("app.events.emitter")\n', False),  # another name
        (b'async_task("emit")\n', False),  # no path
        (b"events.emit(kind)\n", False),  # code: the word needle's
        (b'log("see app.events.emit for more")\n', False),  # not at the literal's end
    ],
)
def test_a_tail_needle_matches_the_last_name_of_a_dotted_path_literal(source: bytes, candidate: bool) -> None:
    needles = dotted_tails(["emit", "launch"])
    assert Prefilter.build([needles]).is_candidate(source) is candidate
    assert any(re.search(n.regex(), source) for n in needles) is candidate


def test_a_project_that_names_nothing_of_the_api_has_no_receivers(tmp_path: Path) -> None:
    """warehouse's CSP ``Policy`` made 5 of its files candidates for opsux's method sinks."""
    from lint_support import tiny_project

    from opsux_lint.project import resolve_targets
    from opsux_lint.runner import RunOptions, Selection, run
    from opsux_lint.stopwatch import SCREEN

    tiny_project(tmp_path, "{call: app.events.emit, arg: 0}", {
        "events.py": "def emit(kind):\n    return kind\n",
        "csp.py": "class Policy:\n    def start(self, kind):\n        return kind\n\n\nPolicy().start('inventory.bogus')\n",
    })
    every = "OPS001,OPS002,OPS003,OPS004,OPS005,OPS006,OPS007,OPS008"

    def screened() -> int:
        result = run(resolve_targets([tmp_path], None), Selection(select=every.split(",")), tmp_path, RunOptions())
        assert result.findings == ()
        return result.steps[SCREEN].times if SCREEN in result.steps else 0

    # events.py names the sink: parsed whatever the rest holds.
    assert screened() == 1, "csp.py names a Policy and a start, but nothing of opsux"
    (tmp_path / "src" / "app" / "uses.py").write_text("from opsux_core import Policy\n")
    assert screened() == 3, "once the project imports opsux, a Policy may be its"
