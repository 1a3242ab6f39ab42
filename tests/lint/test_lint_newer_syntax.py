"""Modules of newer syntax than the running Python are outlined all the same: 3.12's type
parameter lists over several lines and f-strings (PEP 701) are stepped over, line numbers kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from opsux_lint.analysis.newer_syntax import PLACEHOLDER, fstring_repairs
from opsux_lint.analysis.outline import parse_module, summarize
from opsux_lint.cli import main


@pytest.mark.parametrize(
    "literal",
    [
        'f"{"nested"}"',  # the f-string's own quote inside a field
        "f'{'a' + 'b'}'",
        'rf"{"q"}\\d"',
        'F"{x!r:>{width}} {"y"}"',  # a format spec's own field beside a nested string
        'f"""{\n  "x"  # a comment in a field\n}"""',
        'f"{\n    a\n}"',  # a single-quoted f-string's field over two lines
        'f"{f"{"deep"}"}"',
    ],
)
def test_each_fstring_this_python_cannot_parse_gets_a_placeholder_over_its_lines(literal: str) -> None:
    text = f"before = 1\nVALUE = {literal}\nafter = 2\n"
    [(start, end, replacement)] = fstring_repairs(text)
    assert text[start:end] == literal
    assert replacement == f"({PLACEHOLDER}" + "\n" * literal.count("\n") + ")"


@pytest.mark.parametrize(
    "text",
    [
        'X = f"{a!r} {b:>10} {{literal}}"\n',  # parses on this Python: left alone
        "X = 'f\"{\"not an f-string\"}\"'\n",  # inside another string
        '# f"{"in a comment"}"\nX = 1\n',
        'elif_ = 1\nmyf = "{\\"x\\"}"\n',  # names ending in f are no prefix
        'X = f"never closed\n',
    ],
)
def test_text_that_holds_no_fstring_of_newer_syntax_is_left_alone(text: str) -> None:
    assert fstring_repairs(text) == []


def test_an_fstring_of_newer_syntax_is_an_unknown_value_and_the_module_is_outlined() -> None:
    source = 'KIND = f"{"auth"}.login"\nOTHER = "auth.nope"\nLATER = f"""{\n  "x"\n}"""\nLAST = "z"\n'
    summary = summarize(source, "m", False)
    assert summary is not None
    assert summary["assign"]["OTHER"] == [[2, ["s", "auth.nope"]]]
    assert summary["assign"]["LAST"] == [[6, ["s", "z"]]], "line numbers are kept"
    assert summary["assign"]["KIND"][0][1][0] == "?"
    assert "f-string of Python 3.12" in summary["assign"]["KIND"][0][1][1]


@pytest.mark.parametrize(
    ("source", "kept"),
    [
        ("class Client[\n    T: dict,\n]:\n    KIND = 'x'\n", ("Client", 1)),
        ("def pick[\n    T: dict[str, int],\n    U,\n](a: T) -> U:\n    return a\n", ("pick", 1)),
        ("def quantize[P: (Money, Decimal)](price: P) -> P:\n    return price\n", ("quantize", 1)),
        ("class Box[T: (int, str) = int](Base):\n    pass\n", ("Box", 1)),
    ],
)
def test_type_parameter_lists_with_brackets_or_over_lines_are_stepped_over(source: str, kept: tuple[str, int]) -> None:
    tree = parse_module(source + "AFTER = 'y'\n")
    assert tree is not None
    first, last = tree.body[0], tree.body[-1]
    assert (getattr(first, "name", None), first.lineno) == kept
    assert last.lineno == source.count("\n") + 1, "line numbers are kept"


def test_a_sink_call_in_a_module_the_index_cannot_outline_is_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Whatever syntax the index's ast cannot outline, libcst parsed the file: its own imports
    # name the callee (it was "not a sink": `emit` is emit).
    import opsux_lint.analysis.index as index_module
    import opsux_lint.analysis.outlining as outlining_module
    import opsux_lint.engine as engine_module

    (tmp_path / "opsux.yaml").write_text(
        "operation_types:\n  auth.login: Login\nlint:\n  operation_type_sinks: [{call: app.events.emit, arg: 0}]\n",
        encoding="utf-8",
    )
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "app" / "events.py").write_text("def emit(action):\n    print(action)\n", encoding="utf-8")
    (tmp_path / "app" / "sync.py").write_text(
        "from app import events\nfrom app.events import emit\n\n\ndef fail():\n"
        "    emit('auth.nope')\n    events.emit('auth.login')\n    emit('auth.login')\n",
        encoding="utf-8",
    )

    def no_outline_of_sync(source: object, module: str, is_package: bool) -> object:
        return None if module == "app.sync" else real(source, module, is_package)

    real = index_module.summarize
    for outliner in (index_module, outlining_module, engine_module):
        monkeypatch.setattr(outliner, "summarize", no_outline_of_sync)
    monkeypatch.chdir(tmp_path)
    document = json.loads(CliRunner().invoke(main, ["--no-cache", "--coverage", "--format", "json"]).stdout)
    assert [(f["line"], f["code"]) for f in document["findings"]] == [(6, "OPS001")]
    assert [s["status"] for s in document["coverage"]["sites"]] == ["unregistered", "verified", "verified"]


@pytest.mark.parametrize("text", ["x'a'\n", "f'{x'y'}'\n", "f\"{a'\"}\"\n", "é'x'\n", "f'{\n", "'''\n"])
def test_the_scan_ends_on_any_text(text: str) -> None:
    # A quote right after a name once kept the scan where it was, for ever (the fuzz test hung).
    assert isinstance(fstring_repairs(text), list)
