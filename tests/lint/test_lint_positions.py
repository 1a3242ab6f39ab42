"""Positions of reported nodes, statement by statement, are libcst's positions of the whole
module: for every node the walk visits, in sources shaped to trip the pairing of statements."""

from __future__ import annotations

import libcst as cst
import pytest

from opsux_lint import positions as positions_module
from opsux_lint.positions import node_positions, positions_of
from opsux_lint.walk import walk

SOURCES = {
    "decorated": (
        "import functools\n\n\n# a comment above\n@functools.cache\n# between decorators\n@staticmethod\n"
        "def f(a, b=1):\n    return start('x', a)  # trailing\n\n\nclass C(Base):\n"
        "    '''doc\n    more'''\n\n    @property\n    def kind(self):\n        return \"k\"\n"
    ),
    "semicolons": "a = 1; b = start('x'); c = 3\nif a: b = 2; c = start('y')\nx = (\n    1,\n    2,\n)\n",
    "strings": 's = """\nline\n    start(\'no\')\n"""\nt = start(f"{s}\\n" if s else \'x\')\n',
    "continuations": "x = 1 + \\\n    start('a')\nwith open('f') as f, \\\n        open('g') as g:\n    start(f, g)\n",
    "crlf": "def f():\r\n    # c\r\n    return start('x')\r\n\r\nstart('y')\r\n",
    "header_and_footer": "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n\n'''Module.'''\n\nstart('a')\n# the end\n\n",
    "nested": (
        "class A:\n    class B:\n        def m(self):\n            try:\n                start('x')\n"
        "            except (KeyError, ValueError):\n                pass\n"
        "async def g():\n    async with x as y:\n        await start(y)\n"
        "match v:\n    case {'k': 1}:\n        start('m')\n    case _:\n        pass\n"
    ),
}


def every_node(module: cst.Module) -> list[cst.CSTNode]:
    nodes: list[cst.CSTNode] = []
    walk(module, nodes.append, lambda node: None)
    return [node for node in nodes if node is not module]


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_statement_by_statement_is_the_whole_modules_answer(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    text = SOURCES[name]
    module = cst.parse_module(text)
    whole = node_positions(module)
    nodes = every_node(module)
    # Not the whole module's codegen: the fast road must hold for each of these.
    monkeypatch.setattr(positions_module, "node_positions", pytest.fail)
    found = positions_of(module, text, nodes)
    assert {node: found[node] for node in nodes} == {node: whole[node] for node in nodes}


def test_a_few_nodes_and_lines_moved_into_the_file() -> None:
    text = SOURCES["decorated"]
    module = cst.parse_module(text)
    calls = [node for node in every_node(module) if isinstance(node, cst.Call)]
    found = positions_of(module, text, calls[:1], line_of=lambda line: line + 100)
    assert list(found) == calls[:1]
    assert found[calls[0]].start.line == node_positions(module)[calls[0]].start.line + 100 == 109


def test_what_cpython_cannot_parse_is_positioned_by_the_whole_module(monkeypatch: pytest.MonkeyPatch) -> None:
    # except A, B: is Python 3.14: libcst parses it, this Python's ast does not.
    text = "try:\n    pass\nexcept KeyError, ValueError:\n    start('x')\n"
    module = cst.parse_module(text)
    nodes = every_node(module)
    whole = node_positions(module)
    asked: list[cst.Module] = []
    monkeypatch.setattr(positions_module, "node_positions", lambda m, line_of=None: asked.append(m) or whole)
    found = positions_of(module, text, nodes)
    assert asked == [module]
    assert {node: found[node] for node in nodes} == {node: whole[node] for node in nodes}


def test_a_node_outside_the_walk_is_positioned_by_the_whole_module(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "start('x', 'y')\n"
    module = cst.parse_module(text)
    comma = next(node for node in every_node(module) if isinstance(node, cst.Arg)).comma
    assert isinstance(comma, cst.Comma)
    asked: list[cst.Module] = []
    whole = node_positions(module)
    monkeypatch.setattr(positions_module, "node_positions", lambda m, line_of=None: asked.append(m) or whole)
    assert positions_of(module, text, [comma])[comma] == whole[comma]
    assert asked == [module]


def test_statements_that_do_not_pair_up_are_positioned_by_the_whole_module(monkeypatch: pytest.MonkeyPatch) -> None:
    # CPython's statements of the text are not libcst's (one more here): never place by them.
    module = cst.parse_module("a = 1\nstart('x')\n")
    call = next(node for node in every_node(module) if isinstance(node, cst.Call))
    asked: list[cst.Module] = []
    whole = node_positions(module)
    monkeypatch.setattr(positions_module, "node_positions", lambda m, line_of=None: asked.append(m) or whole)
    assert positions_of(module, "a = 1\nb = 2\nstart('x')\n", [call])[call] == whole[call]
    assert asked == [module]
    asked.clear()
    assert positions_of(module, "a = 1\nstart('x')\n", [call])[call] == whole[call]
    assert asked == []
