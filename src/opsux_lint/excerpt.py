"""The part of a file that libcst is given: the top-level statements that can hold a finding.

libcst is the expensive stage (its parse and the positions of a tree cost tens of seconds per
megabyte of source; a generated 1 MB table module took 36 s), and in a typical candidate file
one function of many calls a sink. The prefilter's contract holds per statement too: a rule
reports only at a node whose statement contains one of its needles. So libcst sees only the
top-level statements that contain a needle or a module-level alias of one (``from ops import
start as go``; ``go = ops.start``), the statements that import anything (the import table
covers the whole file) and, for every dropped statement, a one-line stand-in for each name it
binds at module level (the walk records every module-level binding, so the excerpt binds the
same names as the file). Of a class, the header and the members that contain a needle are kept.

Lines are kept whole, so columns are unchanged and each line of the excerpt maps back to its
line in the file. A file with nothing to drop is given to libcst as it is.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from opsux_lint.prefilter import word_pattern

_LINE_START = re.compile(r"\r\n|\r|\n")
_IMPORT = r"\bimport\b"

# Statements whose bodies run at module level: the names they bind are the module's.
_BLOCKS = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try, ast.TryStar)


@dataclass(frozen=True)
class Excerpt:
    text: str
    origin: tuple[int, ...] | None
    """The file's line of each excerpt line (``origin[n - 1]`` for line ``n``); None: the
    excerpt is the whole file."""

    @classmethod
    def whole(cls, text: str) -> Excerpt:
        return cls(text, None)

    def line(self, line: int) -> int:
        """The file's line number of the excerpt's ``line``."""
        if self.origin is None:
            return line
        return self.origin[min(max(line, 1), len(self.origin)) - 1]


def needle_pattern(pattern: re.Pattern[bytes]) -> re.Pattern[str]:
    """The prefilter's byte pattern for decoded text, with ``import`` added as a word to keep
    (ASCII: word boundaries as the bytes pattern has them)."""
    return re.compile(f"{pattern.pattern.decode('utf-8')}|{_IMPORT}", re.ASCII)


def excerpt(text: str, tree: ast.Module, needles: re.Pattern[str]) -> Excerpt:
    """The statements of ``tree`` (parsed from ``text``) that libcst must see; see the module doc."""
    starts = _line_starts(text)
    blocks = list(_blocks(tree.body))
    found: set[int] = set()
    pattern: re.Pattern[str] | None = needles
    aliases: set[str] = set()
    while pattern is not None:
        found.update(bisect.bisect_right(starts, m.start()) for m in pattern.finditer(text))
        hits = sorted(found)
        new = {
            alias
            for first, last, statements in blocks
            if _hit(hits, first, last)
            for alias in _aliases(statements, needles, aliases)
        } - aliases
        aliases |= new
        pattern = re.compile(word_pattern(new).decode("utf-8"), re.ASCII) if new else None

    lines = _split(text)
    out: list[str] = []
    origin: list[int] = []
    if not _emit(blocks, lines, hits, _first_newline(text), out, origin, None):
        return Excerpt.whole(text)
    if not out:
        return Excerpt("", (1,))
    if not out[-1].endswith(("\n", "\r")):
        out[-1] += _first_newline(text)
    return Excerpt("".join(out), tuple(origin))


def _emit(
    blocks: Sequence[tuple[int, int, list[ast.stmt]]], lines: Sequence[str], hits: Sequence[int], newline: str,
    out: list[str], origin: list[int], indent: str | None,
) -> bool:
    """Append the kept lines of ``blocks`` (a module's, or with ``indent`` a class body's) to
    ``out``; whether anything was dropped."""
    dropped = False
    for first, last, statements in blocks:
        if not _hit(hits, first, last):
            dropped = True
            if indent is None:  # the walk records module-level bindings only
                for stand_in in _stand_ins(statements):
                    out.append(stand_in + newline)
                    origin.append(first)
            continue
        body = _class_body(statements, lines)
        if body is None or _hit(hits, first, body[1][0][0] - 1):
            # A needle in the header (a base class, a decorator) concerns the whole body:
            # ``super().__init__(...)`` in a subclass of a sink class names neither.
            out.extend(lines[first - 1 : last])
            origin.extend(range(first, last + 1))
            continue
        # A class is kept as its header and the members with a needle: in the classes of
        # views and services one method of many calls the sink.
        body_indent, body_blocks = body
        header_end = body_blocks[0][0] - 1
        out.extend(lines[first - 1 : header_end])
        origin.extend(range(first, header_end + 1))
        before = len(out)
        dropped |= _emit(body_blocks, lines, hits, newline, out, origin, body_indent)
        if len(out) == before:  # the needle was in a comment between members; a body is never empty
            out.append(f"{body_indent}...{newline}")
            origin.append(header_end)
    return dropped


def _class_body(
    statements: Sequence[ast.stmt], lines: Sequence[str]
) -> tuple[str, list[tuple[int, int, list[ast.stmt]]]] | None:
    """The indentation and the blocks of a lone class statement whose body starts on a line of
    its own; None for anything else (kept whole)."""
    if len(statements) != 1 or not isinstance(statements[0], ast.ClassDef):
        return None
    node = statements[0]
    blocks = list(_blocks(node.body))
    start = blocks[0][0]
    if start <= node.lineno:
        return None
    line = lines[start - 1]
    indent = line[: len(line) - len(line.lstrip(" \t"))]
    first = blocks[0][2][0]
    column = min([first.col_offset, *(d.col_offset - 1 for d in getattr(first, "decorator_list", ()))])
    if not indent or len(indent) != column:
        return None  # the header goes on on the body's first line
    return indent, blocks


def _hit(hits: Sequence[int], first: int, last: int) -> bool:
    at = bisect.bisect_left(hits, first)
    return at < len(hits) and hits[at] <= last


def _aliases(statements: Sequence[ast.stmt], needles: re.Pattern[str], known: set[str]) -> Iterator[str]:
    """Names bound at module level to a needle under another name: ``import ... as`` and
    ``name = other``/``name = module.other`` where the imported or assigned name is a needle
    or an alias already found."""

    def named(text: str) -> bool:
        return text in known or needles.search(text) is not None

    for statement in _module_level(statements):
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            for alias in statement.names:
                if alias.asname and named(alias.name.rpartition(".")[2]):
                    yield alias.asname
        elif isinstance(statement, ast.Assign):
            value = statement.value
            written = value.id if isinstance(value, ast.Name) else value.attr if isinstance(value, ast.Attribute) else None
            if written is not None and named(written):
                yield from (t.id for t in statement.targets if isinstance(t, ast.Name))


def _module_level(statements: Sequence[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements and, inside ``if``/``try``/``with``/loops, the statements they run."""
    pending = list(reversed(statements))
    while pending:
        statement = pending.pop()
        yield statement
        if isinstance(statement, _BLOCKS):
            nested: list[ast.stmt] = [*statement.body, *getattr(statement, "orelse", ())]
            for handler in getattr(statement, "handlers", ()):
                nested.extend(handler.body)
            nested.extend(getattr(statement, "finalbody", ()))
            pending.extend(reversed(nested))
        elif isinstance(statement, ast.Match):
            pending.extend(reversed([s for case in statement.cases for s in case.body]))


def _split(text: str) -> list[str]:
    """Lines with their line breaks, split where Python's tokenizer breaks them."""
    lines: list[str] = []
    begin = 0
    for match in _LINE_START.finditer(text):
        lines.append(text[begin : match.end()])
        begin = match.end()
    lines.append(text[begin:])
    return lines


def _line_starts(text: str) -> list[int]:
    return [0, *(m.end() for m in _LINE_START.finditer(text))]


def _first_newline(text: str) -> str:
    match = _LINE_START.search(text)
    return match.group() if match else "\n"


def _blocks(body: Sequence[ast.stmt]) -> Iterator[tuple[int, int, list[ast.stmt]]]:
    """``(first line, last line, statements)`` of runs of statements that share a line."""
    block: list[ast.stmt] = []
    first = last = 0
    for statement in body:
        start = min([statement.lineno, *(d.lineno for d in getattr(statement, "decorator_list", ()))])
        end = statement.end_lineno or statement.lineno
        if block and start <= last:
            block.append(statement)
            last = max(last, end)
            continue
        if block:
            yield first, last, block
        block, first, last = [statement], start, end
    if block:
        yield first, last, block


def _stand_ins(statements: Sequence[ast.stmt]) -> Iterator[str]:
    """One line per module-level name a dropped statement binds, in the order it binds them."""
    for statement in _module_level(statements):
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield f"def {statement.name}(): ..."
        elif isinstance(statement, ast.ClassDef):
            yield f"class {statement.name}: ..."
        elif isinstance(statement, ast.Assign):
            names = [t.id for t in statement.targets if isinstance(t, ast.Name)]
            if names:
                yield " = ".join(names) + " = ..."
        elif isinstance(statement, ast.AnnAssign):
            if statement.value is not None and isinstance(statement.target, ast.Name):
                yield f"{statement.target.id} = ..."
