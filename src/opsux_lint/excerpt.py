"""The part of a file that libcst is given: the top-level statements that can hold a finding.

libcst is the expensive stage (its parse and the positions of a tree cost tens of seconds per
megabyte of source; a generated 1 MB table module took 36 s), and in a typical candidate file
one function of many calls a sink. The prefilter's contract holds per statement too: a rule
reports only at a node whose statement contains one of its needles. So libcst sees only the
top-level statements that contain a needle or a module-level alias of one (``from ops import
start as go``; ``go = ops.start``), the statements that import anything (the import table
covers the whole file) and, for every dropped statement, a one-line stand-in for each name it
binds at module level (the walk records every module-level binding, so the excerpt binds the
same names as the file). Of a class, the header and the members that contain a needle are kept;
of a function, for rules that resolve values through the index only, the header and the
statements of its body that contain a needle or a name such a statement binds.

Rules that read values where they are written follow module-level names both ways, to a
fixpoint: a name a kept statement binds (``SYNC = "inventory.sync"``; an enum whose members
hold a needle) becomes a needle, so the statements that use it are kept (``f"{SYNC} queued"``);
and a statement at module level that is kept keeps the module-level assignments of the names it
reads (``run = session.get(OperationRun, 1)`` before ``run.status = ...``), which is where a
rule's view of a module-level local comes from.

Lines are kept whole, so columns are unchanged and each line of the excerpt maps back to its
line in the file. A file with nothing to drop is given to libcst as it is.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from opsux_lint.prefilter import word_pattern

_LINE_START = re.compile(r"\r\n|\r|\n")
_IMPORT = r"\bimport\b"

# Statements whose bodies run at module level: the names they bind are the module's.
# A display of this many lines or more is cut to its rows with a needle (:func:`_display_lines`).
_LONG_DISPLAY = 100
_ENDS_ELEMENT = {
    # What may follow an element on its last line: its comma (required or not), a comment.
    True: re.compile(r"\s*,\s*(?:#.*)?[\r\n]*\Z"),
    False: re.compile(r"\s*,?\s*(?:#.*)?[\r\n]*\Z"),
}
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


def excerpt(
    text: str, tree: ast.Module, needles: re.Pattern[str], *, follow: bool = False,
    in_strings: re.Pattern[str] | None = None, extra: re.Pattern[str] | None = None,
) -> Excerpt:
    """The statements of ``tree`` (parsed from ``text``) that libcst must see; see the module doc.
    ``follow``: follow module-level names both ways (rules that read values where they are
    written). ``in_strings``: the needles that matter inside string literals (the rest matter
    as code only); None: all of them. ``extra``: needles of this file alone (searched beside
    ``needles``, not compiled into them: that pattern is large, and one per file cost seconds)."""
    starts = _line_starts(text)
    blocks = list(_blocks(tree.body))
    names = _ModuleNames(text, starts, blocks) if follow else None
    strings = _Strings(text, starts, blocks) if in_strings is not None else None
    found: set[int] = set()
    searched: list[re.Pattern[str]] = [needles] if extra is None else [needles, extra]
    aliases: set[str] = set()
    read: dict[str, set[int]] = {}
    while True:
        for pattern in searched:
            for match in pattern.finditer(text):
                line = bisect.bisect_right(starts, match.start())
                if line in found:
                    continue
                # A name written inside a string literal is data (``'status': 'active'``), not
                # the code a rule reads; needles that matter in strings count anywhere.
                if strings is None or (in_strings is not None and in_strings.fullmatch(match.group())) or not strings.in_plain_string(line, match.start()):
                    found.add(line)
        hits = sorted(found)
        kept = [n for n, (first, last, _) in enumerate(blocks) if _hit(hits, first, last)]
        new = {alias for n in kept for alias in _aliases(blocks[n][2], (needles, extra), aliases)}
        more: list[int] = []
        if names is not None:
            new.update(name for n in kept for name in _bound(blocks[n][2], hits, names.assigned[n]))
            for n in kept:
                for name in names.reads(n):
                    read.setdefault(name, set()).add(blocks[n][0])
            more = [
                first for n, (first, last, _) in enumerate(blocks)
                if not _hit(hits, first, last) and not read.keys().isdisjoint(names.assigned[n])
            ]
            found.update(more)
        new -= aliases
        aliases |= new
        searched = [re.compile(word_pattern(new).decode("utf-8"), re.ASCII)] if new else []
        if not searched and not more:
            break

    lines = _split(text)
    out: list[str] = []
    origin: list[int] = []
    in_data = hits if in_strings is None else sorted({bisect.bisect_right(starts, m.start()) for m in in_strings.finditer(text)})
    if not _emit(blocks, lines, (hits, in_data), _first_newline(text), out, origin, None, read, not follow):
        return Excerpt.whole(text)
    if not out:
        return Excerpt("", (1,))
    if not out[-1].endswith(("\n", "\r")):
        out[-1] += _first_newline(text)
    return Excerpt("".join(out), tuple(origin))


def _emit(
    blocks: Sequence[tuple[int, int, list[ast.stmt]]], lines: Sequence[str],
    all_hits: tuple[Sequence[int], Sequence[int]], newline: str,
    out: list[str], origin: list[int], indent: str | None, read: Mapping[str, set[int]], functions: bool,
) -> bool:
    """Append the kept lines of ``blocks`` (a module's, or with ``indent`` a class body's) to
    ``out``; whether anything was dropped. ``all_hits``: the lines with a needle, and those
    with a needle that matters inside strings. ``read``: the first lines of the kept blocks that
    read each module-level name at module level (its assignments elsewhere are kept whole).
    ``functions``: cut function bodies too (:func:`_function_lines`)."""
    hits = all_hits[0]
    dropped = False
    for first, last, statements in blocks:
        if not _hit(hits, first, last):
            dropped = True
            if indent is None:  # the walk records module-level bindings only
                for stand_in in _stand_ins(statements):
                    out.append(stand_in + newline)
                    origin.append(first)
            continue
        if (
            indent is None and last - first >= _LONG_DISPLAY and len(statements) == 1
            and not any(read.get(name, set()) - {first} for name in _targets(statements[0]))
        ):
            kept = _display_lines(statements[0], lines, all_hits)
            if kept is not None:
                dropped = True
                out.extend(lines[n - 1] for n in kept)
                origin.extend(kept)
                continue
        if functions:
            cut = _function_lines(statements, lines, hits, newline)
            if cut is not None:
                dropped = True
                for number, line in cut:
                    out.append(line)
                    origin.append(number)
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
        dropped |= _emit(body_blocks, lines, all_hits, newline, out, origin, body_indent, read, functions)
        if len(out) == before:  # the needle was in a comment between members; a body is never empty
            out.append(f"{body_indent}...{newline}")
            origin.append(header_end)
    return dropped


def _function_lines(
    statements: Sequence[ast.stmt], lines: Sequence[str], hits: Sequence[int], newline: str
) -> list[tuple[int, str]] | None:
    """Of a lone function whose body starts on a line of its own and whose header holds no
    needle, ``(line number, text)`` of what to keep: the header and the statements of the body
    that hold a needle or a name one of them binds (``send = events.record_event`` keeps
    ``send(...)``), to a fixpoint; None: keep it whole (something else, or nothing dropped).

    Only for rules that do not follow names: they resolve values through the index, which
    outlines the whole file, so a statement without a needle is nothing they read. A view of
    200 lines that records one event costs libcst that call's statement."""
    if len(statements) != 1 or not isinstance(statements[0], (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    node = statements[0]
    blocks = list(_blocks(node.body))
    start = blocks[0][0]
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    # A body on the header's last line (``): x = 1; go(t)``) is one block: kept whole or not cut.
    if start <= node.lineno or _hit(hits, first, start - 1):
        return None
    kept = [_hit(hits, f, last) for f, last, _ in blocks]
    known: set[str] = set()
    while True:
        bound = {
            name for (f, last, body), keep in zip(blocks, kept) if keep
            for s in body for name in _binds(s, "".join(lines[f - 1 : last]))
        } - known
        if not bound:
            break
        known |= bound
        pattern = re.compile(word_pattern(bound).decode("utf-8"), re.ASCII)
        more = [
            n for n, (f, last, _) in enumerate(blocks)
            if not kept[n] and any(pattern.search(lines[k - 1]) for k in range(f, last + 1))
        ]
        if not more:
            break
        for n in more:
            kept[n] = True
    if all(kept):
        return None
    cut = [(n, lines[n - 1]) for n in range(first, start)]
    for (f, last, _), keep in zip(blocks, kept):
        if keep:
            cut.extend((n, lines[n - 1]) for n in range(f, last + 1))
    if len(cut) == start - first:  # the needle was in a comment of the body; a body is never empty
        line = lines[start - 1]
        cut.append((start, line[: len(line) - len(line.lstrip(" \t"))] + "..." + newline))
    return cut


def _binds(statement: ast.stmt, text: str) -> Iterator[str]:
    """Every name ``statement`` binds in the function (more than an alias needs: a name that is
    no alias keeps a statement libcst did not need, never drops one it did). ``text``: the
    statement's source; expressions are walked only where it holds an ``:=``."""
    if ":=" in text:
        yield from (n.target.id for n in ast.walk(statement) if isinstance(n, ast.NamedExpr) and isinstance(n.target, ast.Name))
    pending: list[ast.AST] = [statement]
    while pending:
        node = pending.pop()
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor)):
            targets = [node.target]
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            targets = [item.optional_vars for item in node.items if item.optional_vars is not None]
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            yield from ((alias.asname or alias.name).partition(".")[0] for alias in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield node.name
            continue  # what it binds inside is its own
        elif isinstance(node, ast.ExceptHandler) and node.name:
            yield node.name
        elif isinstance(node, ast.Match):
            for case in node.cases:
                yield from (
                    n.name for n in ast.walk(case.pattern) if isinstance(n, (ast.MatchAs, ast.MatchStar)) and n.name
                )
                yield from (n.rest for n in ast.walk(case.pattern) if isinstance(n, ast.MatchMapping) and n.rest)
                pending.extend(case.body)
        for target in targets:
            yield from (n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        for field in ("body", "orelse", "finalbody", "handlers"):
            pending.extend(getattr(node, field, ()))


def _display_value(statement: ast.stmt) -> ast.expr | None:
    """The display assigned to names only (``TABLE = {...}``), else None."""
    value: ast.expr | None = None
    if isinstance(statement, ast.Assign) and all(isinstance(t, ast.Name) for t in statement.targets) or isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        value = statement.value
    return value if isinstance(value, (ast.Dict, ast.List, ast.Tuple, ast.Set)) else None


def _display_lines(
    statement: ast.stmt, lines: Sequence[str], all_hits: tuple[Sequence[int], Sequence[int]]
) -> list[int] | None:
    """Of a long assignment of a display to names (``TABLE = {...}``, ``[...]``, ``(...)``,
    ``{...}``) laid out an element per line or lines, the lines to keep: the header, the
    elements that hold a needle, the closing bracket. An element of plain data (literals only)
    is kept only for a needle that matters inside strings. A generated table costs the rows
    that can hold a finding. None: keep it whole (another layout, a target that is not a name,
    a walrus whose binding counts)."""
    hits, in_data = all_hits
    value = _display_value(statement)
    if isinstance(value, ast.Dict):
        spans = [(k if k is not None else v, v) for k, v in zip(value.keys, value.values)]
    elif isinstance(value, (ast.List, ast.Tuple, ast.Set)):
        spans = [(e, e) for e in value.elts]
    else:
        return None
    if len(spans) < 2 or any(":=" in lines[n - 1] for n in range(statement.lineno, (statement.end_lineno or statement.lineno) + 1)):
        return None
    end_line = value.end_lineno or value.lineno
    kept = list(range(statement.lineno, spans[0][0].lineno))
    previous = statement.lineno
    for position, (start, end) in enumerate(spans):
        first, last = start.lineno, end.end_lineno or end.lineno
        if first <= previous or lines[first - 1][: start.col_offset].strip():
            return None  # shares a line with what comes before it
        after = lines[last - 1][end.end_col_offset or 0 :]
        # The comma stays with its element, so what is kept is still a display of the same
        # kind (a tuple's last element keeps its comma too: ``(x)`` is no tuple).
        needs_comma = position < len(spans) - 1 or isinstance(value, ast.Tuple)
        if not _ENDS_ELEMENT[needs_comma].match(after):
            return None
        if _hit(in_data, first, last) or (_hit(hits, first, last) and not _plain_data(start, end)):
            kept.extend(range(first, last + 1))
        previous = last
    if previous >= end_line:
        return None  # the closing bracket shares the last element's line
    kept.extend(range(previous + 1, (statement.end_lineno or end_line) + 1))
    return kept


_DATA_NODES = (ast.Constant, ast.Dict, ast.List, ast.Tuple, ast.Set, ast.UnaryOp, ast.expr_context, ast.unaryop)


def _plain_data(*nodes: ast.AST) -> bool:
    """Literals only: no name, call or f-string a rule could read as code."""
    return all(isinstance(n, _DATA_NODES) for node in nodes for n in ast.walk(node))


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


def _aliases(
    statements: Sequence[ast.stmt], needles: tuple[re.Pattern[str], re.Pattern[str] | None], known: set[str]
) -> Iterator[str]:
    """Names bound at module level to a needle under another name: ``import ... as`` and
    ``name = other``/``name = module.other`` where the imported or assigned name is a needle
    or an alias already found."""

    def named(text: str) -> bool:
        return text in known or any(p is not None and p.search(text) is not None for p in needles)

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


def _bound(statements: Sequence[ast.stmt], hits: Sequence[int], assigned: set[str]) -> Iterator[str]:
    """The module-level names a kept block binds to values (``assigned``; not functions: a
    call's result is not followed) and the classes whose own body holds a needle (``Kind.EXPORT``)."""
    yield from assigned
    for statement in _module_level(statements):
        if isinstance(statement, ast.ClassDef):
            simple = [s for s in statement.body if not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
            if any(_hit(hits, s.lineno, s.end_lineno or s.lineno) for s in simple):
                yield statement.name


class _Strings:
    """Where a file's plain string literals are (f-strings hold code, and count as code), from
    the ``ast`` of the statements around a line, worked out once per line and only for lines
    where a needle is written: of a block, only the statements that span the line are walked
    (a string literal lies within every statement around it). A long table is left to
    :func:`_display_lines`, which looks at its rows alone."""

    def __init__(self, text: str, starts: Sequence[int], blocks: Sequence[tuple[int, int, list[ast.stmt]]]) -> None:
        self.text = text
        self.starts = starts
        self.blocks = blocks
        self.firsts = [first for first, _, _ in blocks]
        self._spans: dict[int, tuple[list[tuple[int, int]], list[tuple[int, int]]] | None] = {}

    def in_plain_string(self, line: int, offset: int) -> bool:
        n = bisect.bisect_right(self.firsts, line) - 1
        if n < 0 or line > self.blocks[n][1]:
            return False  # between statements: a comment
        if line not in self._spans:
            self._spans[line] = self._collect(n, line)
        spans = self._spans[line]
        if spans is None:
            return False
        begins, ends = spans
        start = self.starts[line - 1]
        column = offset - start
        text_line = self.text[start : offset]
        if not text_line.isascii():
            column = len(text_line.encode("utf-8"))
        at = bisect.bisect_right(begins, (line, column)) - 1
        return at >= 0 and (line, column) < ends[at]

    def _collect(self, n: int, line: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]] | None:
        first, last, statements = self.blocks[n]
        if len(statements) == 1 and last - first >= _LONG_DISPLAY and _display_value(statements[0]) is not None:
            return None
        spans: list[tuple[tuple[int, int], tuple[int, int]]] = []
        stack: list[ast.AST] = list(statements)
        while stack:
            node = stack.pop()
            if isinstance(node, ast.Constant):
                if isinstance(node.value, (str, bytes)) and node.end_lineno is not None and node.end_col_offset is not None:
                    spans.append(((node.lineno, node.col_offset), (node.end_lineno, node.end_col_offset)))
            elif isinstance(node, _SPANNED) and not _spans(node, line):
                continue  # a statement elsewhere holds no literal on this line
            elif not isinstance(node, ast.JoinedStr):
                stack.extend(ast.iter_child_nodes(node))
        spans.sort()
        return [b for b, _ in spans], [e for _, e in spans]


_SPANNED = (ast.stmt, ast.excepthandler)


def _spans(node: ast.stmt | ast.excepthandler, line: int) -> bool:
    """Whether ``line`` is within the statement (its decorators included)."""
    start: int = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])
    end: int = node.end_lineno or node.lineno
    return start <= line <= end


class _ModuleNames:
    """What each block assigns at module level, and which of those names each block reads,
    worked out once per file (a generated module's one statement can be megabytes)."""

    def __init__(self, text: str, starts: Sequence[int], blocks: Sequence[tuple[int, int, list[ast.stmt]]]) -> None:
        self.texts = [text[starts[first - 1] : starts[last] if last < len(starts) else len(text)] for first, last, _ in blocks]
        self.blocks = blocks
        self.assigned = [
            {
                name for statement in _module_level(statements)
                if not isinstance(statement, _NOT_ASSIGNMENTS)
                for name in _targets(statement, walrus=":=" in self.texts[n])
            }
            for n, (_, _, statements) in enumerate(blocks)
        ]
        every = set().union(*self.assigned)
        self.word = re.compile(word_pattern(every).decode("utf-8"), re.ASCII) if every else None
        self._reads: dict[int, set[str]] = {}

    def reads(self, n: int) -> set[str]:
        """The assigned names block ``n`` may read where it runs at module level. By text: a
        name in a string or a comment counts too, which keeps more, never less."""
        found = self._reads.get(n)
        if found is None:
            found = set()
            module_scope = any(not isinstance(s, _SCOPES) for s in _module_level(self.blocks[n][2]))
            if self.word is not None and module_scope:
                found = {m.group() for m in self.word.finditer(self.texts[n])}
            self._reads[n] = found
        return found


_NOT_ASSIGNMENTS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _targets(statement: ast.stmt, *, walrus: bool = True) -> Iterator[str]:
    """The names a statement assigns (``=``, augmented, annotated, ``for``, ``with ... as``, and
    with ``walrus`` the ``:=`` in its value)."""
    targets: list[ast.expr] = []
    if isinstance(statement, ast.Assign):
        targets = list(statement.targets)
    elif isinstance(statement, (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor)):
        targets = [statement.target]
    elif isinstance(statement, (ast.With, ast.AsyncWith)):
        targets = [item.optional_vars for item in statement.items if item.optional_vars is not None]
    for target in targets:
        for node in ast.walk(target):
            if isinstance(node, ast.Name):
                yield node.id
    if walrus and isinstance(statement, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Expr)) and statement.value is not None:
        for node in ast.walk(statement.value):
            if isinstance(node, ast.NamedExpr):
                yield node.target.id


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
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None and isinstance(statement.target, ast.Name):
            yield f"{statement.target.id} = ..."
