"""A module's outline for the project index, extracted with the standard library's ``ast``.

An outline (historically "summary") is plain JSON data (lists, dicts, strings, ints), so the index can cache it by the
file's content and ship it to worker processes. Expressions are kept in a small intermediate
form (:data:`Expr`, tagged by :class:`Tag`), enough to resolve string values across files:

- ``["s", text]`` a string literal (implicit concatenation already joined by the parser)
- ``["n", name]`` a name; ``["a", base, attr]`` an attribute
- ``["if", body, orelse]`` a conditional expression; ``["+", left, right]`` string concatenation
- ``["f", [part, ...]]`` an f-string: literal parts ``["s", text]``, placeholders any expression
- ``["c", func, [args], {keywords}, starred]`` a call
- ``["k", text]`` ``None``, ``True`` or ``False``: a switch, never an operation type
- ``["?", reason]`` anything else, with the reason it cannot be known statically
"""

from __future__ import annotations

import ast
import re
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any, Final, NotRequired, TypedDict

from opsux_lint import stopwatch
from opsux_lint.analysis.handing import (
    ADAPTERS,
    RunWith,
    adapted,
    by_path,
    run_with,
)
from opsux_lint.analysis.library import LIBRARY_OBJECTS
from opsux_lint.analysis.managers import from_queryset, managed
from opsux_lint.analysis.newer_syntax import PLACEHOLDER, fstring_repairs
from opsux_lint.analysis.nodes import STATEMENTS, children


class Tag:
    """The kinds of :data:`Expr`, its first item. Plain ``str`` constants, not an ``Enum``:
    outlines stay plain JSON, and the resolver compares tags in its hottest loop (an enum
    member's lookup costs five times a class attribute's there)."""

    STRING: Final = "s"
    NAME: Final = "n"
    ATTRIBUTE: Final = "a"
    CONDITIONAL: Final = "if"
    CONCAT: Final = "+"
    FSTRING: Final = "f"
    CALL: Final = "c"
    SWITCH: Final = "k"
    """``None``, ``True`` or ``False``."""
    SUBSCRIPT: Final = "[]"
    """``[SUBSCRIPT, container, key]``."""
    UNKNOWN: Final = "?"


Expr = list[Any]
"""``[Tag, ...]``: see the module's description."""
Binding = list[Any]
"""``[line, Expr]``: one assignment of a name (a module constant, a class member, a local)."""


class ClassOutline(TypedDict):
    line: int
    bases: list[Expr]
    members: dict[str, list[Binding]]
    """Class-level assignments by name."""
    annotations: dict[str, list[Expr]]
    attrs: dict[str, list[Binding]]
    """``self.x = ...`` in its methods, by attribute."""
    nested: list[str]
    decorators: list[str]
    """The last name of each decorator (``dataclass`` for ``@dataclasses.dataclass(frozen=True)``)."""


class FunctionOutline(TypedDict):
    line: int
    params: list[list[Any]]
    """``[name, kind, default Expr or None, annotation Exprs]``; kind: posonly, pos, var, kwonly, varkw."""
    method: bool
    kind: str
    """``function``, ``method``, ``classmethod`` or ``static``."""
    locals: dict[str, list[Binding]]
    annotations: dict[str, list[Expr]]
    passes: list[list[Any]]
    """Calls that pass a value on: ``[func Expr, position, keyword, value Expr, line, star]``;
    for ``**kwargs`` (star ``**``) position is how many arguments the call gives by position
    (None after a ``*args``) and keyword its named arguments, comma-separated (None: none)."""
    returns: list[Expr]
    results: list[Expr]
    decorators: list[str]
    loops: NotRequired[dict[str, list[list[int]]]]
    """``[first line, last line]`` of each loop (``for``, a comprehension) or ``except ... as``
    clause that binds a name: in its body the name is what the loop gives it (what the clause
    caught), or what the body assigns it, nothing else."""
    bound: NotRequired[bool]
    """A Celery task made with ``bind=True``: its first parameter is the task, not the caller's."""
    rebinds: NotRequired[dict[str, list[list[int]]]]
    """``[line, end line]`` or ``[line, end line, last line]`` of each statement that assigns a
    local on every path through it (``name = ALIASES[name]``; an ``if`` whose every arm does; a
    ``try`` whose body and every handler do, or whose ``finally`` does; a ``with`` whose body
    does): it runs before every statement below it in its block, so what the name held before
    is gone there. ``last line``: where that block ends (an arm, a loop's or a ``try``'s body);
    none when it is the function's (a ``with`` body's block is the one around the ``with``)."""
    narrowed: NotRequired[dict[str, list[list[Any]]]]
    """Tests a parameter's own value has failed below a statement, by name: ``[last line, prefix,
    starts]`` for an ``if name.startswith(prefix):`` in the body's own statements whose branch
    for a value that passes rebinds the name or leaves the function on every path (pretalx's
    ``log_action``: a relative action is prefixed or not logged), so below that line the
    caller's value itself is one with ``name.startswith(prefix) == starts``."""
    guarded: NotRequired[dict[str, list[list[Any]]]]
    """Assignments to a name made only when its value starts (or does not start) with a prefix,
    by name: ``[line, prefix, starts]`` for ``action = f"{p}{action}"`` inside ``if
    action.startswith("."):`` (``starts`` False in its ``else`` or under ``not``)."""


class Summary(TypedDict):
    """A module's outline: plain JSON (the cache stores it as it is)."""

    format: int
    module: str
    package: bool
    assign: dict[str, list[Binding]]
    annotations: dict[str, list[Expr]]
    defs: dict[str, int]
    imports: dict[str, list[list[str]]]
    """By local name: ``["m", module]`` or ``["f", module, name]``."""
    stars: list[str]
    all: list[str] | None
    classes: dict[str, ClassOutline]
    functions: dict[str, FunctionOutline]
    callees: dict[str, list[str]]
    """Each callee as written, and the functions (``""``: module level) that call it."""
    shapes: dict[str, list[list[Any]]]
    """What each method call (``a.b.name``) passes, as :class:`CallShape` JSON, once per shape:
    a receiver of unknown type is matched to the project's methods whose signature takes it."""
    computed: dict[str, list[list[Any]]]
    """Method calls on a receiver that is no name chain (``Plugin().trigger(...)``), by the
    method's name: ``[scope, callee Expr, CallShape JSON]``."""
    sets: NotRequired[dict[str, list[list[Any]]]]
    """Attributes set on an object from outside its class's own methods, by attribute:
    ``[line, owner Expr, value Expr, scope]`` for ``job.kind = value``, ``Job.kind = value``,
    ``setattr(job, "kind", value)`` and Django's ``JobView.as_view(kind=value)``."""
    branches: NotRequired[dict[str, list[int]]]
    """The lines of the module-level assignments made inside an ``if``, ``try``, ``with`` or loop,
    by name: one of several such bindings holds, not the last one written."""
    paths: NotRequired[dict[str, list[str]]]
    """Functions a task runner is given by their dotted path (``async_task("app.events.emit",
    kind)``, :data:`~opsux_lint.analysis.handing.BY_PATH_CALLS`), and the functions that do so."""

SUMMARY_FORMAT = 30

_UNKNOWN_REASONS: dict[type[ast.AST], str] = {
    ast.Subscript: "a subscript",
    ast.Dict: "a dict",
    ast.List: "a list",
    ast.Tuple: "a tuple",
    ast.Set: "a set",
    ast.Lambda: "a lambda",
    ast.BoolOp: "a boolean expression",
    ast.Compare: "a comparison",
    ast.Await: "an awaited value",
    ast.NamedExpr: "an assignment expression",
    ast.ListComp: "a comprehension",
    ast.GeneratorExp: "a generator",
}


def expr(node: ast.AST | None) -> Expr:
    """The intermediate form of an ``ast`` expression."""
    if node is None:
        return [Tag.UNKNOWN, "nothing"]
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str):
            return [Tag.STRING, node.value]
        if node.value is None or isinstance(node.value, bool):
            return [Tag.SWITCH, repr(node.value)]
        return [Tag.UNKNOWN, f"the constant {node.value!r}"]
    if isinstance(node, ast.Name):
        if node.id == PLACEHOLDER:
            return [Tag.UNKNOWN, "an f-string of Python 3.12's syntax, which this Python cannot parse"]
        return [Tag.NAME, node.id]
    if isinstance(node, ast.Attribute):
        return [Tag.ATTRIBUTE, expr(_class_of(node.value)), node.attr]
    if isinstance(node, ast.IfExp):
        return [Tag.CONDITIONAL, expr(node.body), expr(node.orelse)]
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
        # ``name or "DEFAULT"``: the first operand that is true, else the last: one of them.
        either = expr(node.values[-1])
        for value in reversed(node.values[:-1]):
            either = [Tag.CONDITIONAL, expr(value), either]
        return either
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return [Tag.CONCAT, expr(node.left), expr(node.right)]
    if isinstance(node, ast.JoinedStr):
        parts: list[Expr] = []
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                parts.append(expr(value.value))
            else:
                parts.append(expr(value))
        return [Tag.FSTRING, parts]
    template = _template(node)
    if template is not None:
        return template
    joined = _joined(node)
    if joined is not None:
        return joined
    got = _getattr(node)
    if got is not None:
        return got
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and _is_str(node.left):
        return [Tag.UNKNOWN, "a %-template with fields other than %s"]
    if isinstance(node, ast.Subscript):
        key = node.slice
        literal = key.value if isinstance(key, ast.Constant) and type(key.value) in (str, int) else None
        return [Tag.SUBSCRIPT, expr(node.value), expr(key), literal]
    written = _written_elements(node)
    if written is not None:
        # Unknown as a value, but its elements are kept (a subscript of it is one of them),
        # each after its key: a dict's string key, a sequence's position, None for any other.
        return [Tag.UNKNOWN, _UNKNOWN_REASONS[type(node)], [[key, expr(value)] for key, value in written]]
    if isinstance(node, ast.Call):
        args = [expr(a) for a in node.args if not isinstance(a, ast.Starred)]
        keywords = {k.arg: expr(k.value) for k in node.keywords if k.arg is not None}
        starred = any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords)
        return [Tag.CALL, expr(node.func), args, keywords, starred]
    return [Tag.UNKNOWN, _UNKNOWN_REASONS.get(type(node), f"a {type(node).__name__} expression")]


MAX_ELEMENTS = 64
"""Elements kept of a dict, list, tuple or set written out (a bigger one is data: unknown)."""


def _written_elements(node: ast.AST) -> list[tuple[str | int | None, ast.expr]] | None:
    """A dict's values, or a list's, tuple's or set's elements, each with its key, when all
    are written out."""
    elements: list[tuple[str | int | None, ast.expr]] | None = None
    if isinstance(node, ast.Dict):
        if not any(key is None for key in node.keys):  # ``**spread``: not all written out
            elements = [
                (key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None, value)
                for key, value in zip(node.keys, node.values, strict=True)
                if key is not None
            ]
    elif isinstance(node, (ast.List, ast.Tuple)):
        if not any(isinstance(e, ast.Starred) for e in node.elts):
            elements = list(enumerate(node.elts))
    elif isinstance(node, ast.Set) and not any(isinstance(e, ast.Starred) for e in node.elts):
        elements = [(None, e) for e in node.elts]  # unordered: no position
    return elements if elements and len(elements) <= MAX_ELEMENTS else None


_PERCENT = re.compile(r"%s|%%")
_FORMAT = re.compile(r"\{(\d*|[A-Za-z_]\w*)\}|\{\{|\}\}")


def _template(node: ast.AST) -> Expr | None:
    """``"%s.%s" % (a, b)`` and ``"{}.{}".format(a, b)`` as the f-string they amount to; None
    for any other expression, or a template with fields other than ``%s``, ``{}``, ``{0}``."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and _is_str(node.left):
        values = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
        return _filled(node.left.value, _PERCENT, values, lambda field, i: i)  # type: ignore[attr-defined]
    if (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"
        and _is_str(node.func.value) and all(k.arg is not None for k in node.keywords)
    ):
        # ``{name}`` is the keyword's value, after the positional ones; a name not given is a
        # KeyError at run time (past the end: nothing to resolve).
        named = {str(k.arg): len(node.args) + at for at, k in enumerate(node.keywords)}
        values = [*node.args, *(k.value for k in node.keywords)]

        def index(field: str, auto: int) -> int:
            if not field:
                return auto
            return int(field) if field.isdigit() else named.get(field, len(values))

        return _filled(node.func.value.value, _FORMAT, values, index)  # type: ignore[attr-defined]
    return None


def _class_of(node: ast.expr) -> ast.expr:
    """``self`` of ``type(self)`` and ``self.__class__``: an attribute read through the class is
    one read through the object (the class's, or a subclass's, member)."""
    if (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "type"
        and len(node.args) == 1 and not node.keywords and not isinstance(node.args[0], ast.Starred)
    ):
        return node.args[0]
    if isinstance(node, ast.Attribute) and node.attr == "__class__":
        return node.value
    return node


def _getattr(node: ast.AST) -> Expr | None:
    """``getattr(events, "emit")`` as ``events.emit``; with a default, either of them."""
    if not (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
        and 2 <= len(node.args) <= 3 and not node.keywords and not any(isinstance(a, ast.Starred) for a in node.args)
        and _is_str(node.args[1]) and node.args[1].value.isidentifier()  # type: ignore[attr-defined]
    ):
        return None
    got: Expr = [Tag.ATTRIBUTE, expr(_class_of(node.args[0])), node.args[1].value]  # type: ignore[attr-defined]
    return [Tag.CONDITIONAL, got, expr(node.args[2])] if len(node.args) == 3 else got


def _joined(node: ast.AST) -> Expr | None:
    """``".".join(["inventory", kind])`` (a list or tuple written out) as the f-string it makes."""
    if not (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "join"
        and _is_str(node.func.value) and len(node.args) == 1 and not node.keywords
        and isinstance(node.args[0], (ast.List, ast.Tuple))
        and not any(isinstance(e, ast.Starred) for e in node.args[0].elts)
    ):
        return None
    separator: str = node.func.value.value  # type: ignore[attr-defined]
    parts: list[Expr] = []
    for index, element in enumerate(node.args[0].elts):
        if index and separator:
            parts.append([Tag.STRING, separator])
        parts.append(expr(element))
    return [Tag.FSTRING, parts] if parts else [Tag.STRING, ""]


def _is_str(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _filled(text: str, fields: re.Pattern[str], values: Sequence[ast.expr], index: Callable[[str, int], int]) -> Expr | None:
    if any(isinstance(v, ast.Starred) for v in values):
        return None
    # A field this does not model (``%d``, ``%(name)s``, ``{name}``, ``{0:>4}``) leaves its
    # marker in the text between the fields it does.
    markers = "%" if fields is _PERCENT else "{}"
    parts: list[Expr] = []
    literal = ""
    position = 0
    used = 0
    for match in fields.finditer(text):
        between = text[position : match.start()]
        position = match.end()
        if any(m in between for m in markers):
            return None
        literal += between
        token = match.group(0)
        if token in ("%%", "{{", "}}"):
            literal += token[0]
            continue
        field = match.group(1) or "" if match.lastindex else ""
        i = index(field, used)
        if not field:
            used += 1  # ``{}`` numbers itself; ``{0}`` and ``{name}`` do not
        if i >= len(values):
            return None  # a TypeError or IndexError at run time: nothing to resolve
        parts.extend([[Tag.STRING, literal], expr(values[i])])
        literal = ""
    rest = text[position:]
    if any(m in rest for m in markers):
        return None
    parts.append([Tag.STRING, literal + rest])
    return [Tag.FSTRING, [p for p in parts if p != [Tag.STRING, ""]]]


_TYPE_WRAPPERS = frozenset({"Optional", "Union", "Annotated", "Final", "ClassVar", "Required", "NotRequired", "ReadOnly"})


def annotation(node: ast.AST | None) -> list[Expr]:
    """The classes an annotation names: ``X``, ``X | None``, ``Optional[X]``, ``"X"``, ``Final[X]``."""
    if node is None:
        return []
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            parsed = ast.parse(node.value, mode="eval")
        except (SyntaxError, ValueError, RecursionError):
            return []
        return annotation(parsed.body)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return [*annotation(node.left), *annotation(node.right)]
    if isinstance(node, ast.Subscript):
        head = node.value.attr if isinstance(node.value, ast.Attribute) else getattr(node.value, "id", None)
        if head in _TYPE_WRAPPERS:
            inner = node.slice
            members = inner.elts if isinstance(inner, ast.Tuple) else [inner]
            if head == "Annotated":
                members = members[:1]
            return [e for member in members for e in annotation(member)]
        return []
    if isinstance(node, (ast.Name, ast.Attribute)):
        return [expr(node)]
    return []


def render(e: Expr) -> str:
    """A short source-like text of an expression, for messages and evidence chains."""
    tag = e[0]
    if tag == "s":
        return repr(e[1])
    if tag == "n":
        return str(e[1])
    if tag == "a":
        return f"{render(e[1])}.{e[2]}"
    if tag == "if":
        return f"{render(e[1])} if ... else {render(e[2])}"
    if tag == "+":
        return f"{render(e[1])} + {render(e[2])}"
    if tag == "f":
        return "f'" + "".join(p[1] if p[0] == Tag.STRING else "{" + render(p) + "}" for p in e[1]) + "'"
    if tag == "c":
        return f"{render(e[1])}(...)" if e[2] or e[3] else f"{render(e[1])}()"
    if tag == "[]":
        if len(e) > 4 and e[4] == EACH:
            return f"each item of {render(e[1])}"
        return f"{render(e[1])}[{render(e[2]) if len(e) < 4 or e[3] is None else repr(e[3])}]"
    return str(e[1])


def callee_text(e: Expr) -> str | None:
    """``a.b.c`` for a name or attribute chain, else None."""
    if e[0] == Tag.NAME:
        return str(e[1])
    if e[0] == Tag.ATTRIBUTE:
        base = callee_text(e[1])
        return f"{base}.{e[2]}" if base is not None else None
    return None


def partial_parts(value: Expr) -> tuple[Expr, Expr, int] | None:
    """``(partial's callee, the callable, how many positions it binds)`` of a call written
    ``partial(f, ...)`` / ``functools.partial(f, ...)``; None for anything else. Only the
    written name: whether the callee is ``functools.partial`` is the resolver's to say."""
    if value[0] != Tag.CALL or value[4] or not value[2]:
        return None
    func = value[1]
    written = func[1] if func[0] == Tag.NAME else func[2] if func[0] == Tag.ATTRIBUTE else None
    if written != "partial":
        return None
    return func, value[2][0], len(value[2]) - 1


def adapted_callable(value: Expr) -> Expr | None:
    """The callable of a call written ``sync_to_async(f, ...)`` (an adapter of
    :data:`~opsux_lint.analysis.handing.ADAPTERS`, which runs ``f`` with the arguments its
    result is called with); None for anything else."""
    if value[0] != Tag.CALL or value[4] or not value[2]:
        return None
    func = value[1]
    written = func[1] if func[0] == Tag.NAME else func[2] if func[0] == Tag.ATTRIBUTE else None
    return value[2][0] if written in ADAPTERS else None


def name_chain(parts: Sequence[str]) -> Expr:
    """The expression of ``a.b.c`` from ``["a", "b", "c"]`` (the inverse of :func:`callee_text`)."""
    e: Expr = [Tag.NAME, parts[0]]
    for part in parts[1:]:
        e = [Tag.ATTRIBUTE, e, part]
    return e


def _relative_base(module: str, is_package: bool, level: int, name: str | None) -> str | None:
    if level == 0:
        return name or ""
    parts = module.split(".") if module else []
    if not is_package:
        parts = parts[:-1]
    if level - 1 > len(parts):
        return None
    parts = parts[: len(parts) - (level - 1)]
    return ".".join([*parts, name] if name else parts)


class _Collector:
    """Walks one module: module/class/function bindings, imports, calls that pass values on."""

    def __init__(self, module: str, is_package: bool) -> None:
        self.module = module
        self.is_package = is_package
        self.assign: dict[str, list[list[Any]]] = {}
        self.annotations: dict[str, list[Expr]] = {}
        self.defs: dict[str, int] = {}
        self.imports: dict[str, list[list[str]]] = {}
        self.stars: list[str] = []
        self.all: list[str] | None = None
        self.classes: dict[str, ClassOutline] = {}
        self.functions: dict[str, FunctionOutline] = {}
        self.callees: dict[str, set[str]] = {}
        self.shapes: dict[str, set[tuple[int, tuple[str, ...], bool]]] = {}
        self.computed: dict[str, list[list[Any]]] = {}
        self.branches: dict[str, list[int]] = {}
        self.sets: dict[str, list[list[Any]]] = {}
        self.paths: dict[str, set[str]] = {}

    # ------------------------------------------------------------------------------ imports

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    self.imports.setdefault(alias.asname, []).append(["m", alias.name])
                else:
                    head = alias.name.split(".", 1)[0]
                    self.imports.setdefault(head, []).append(["m", head])
            return
        base = _relative_base(self.module, self.is_package, node.level, node.module)
        if base is None:
            return
        for alias in node.names:
            if alias.name == "*":
                self.stars.append(base)
            else:
                self.imports.setdefault(alias.asname or alias.name, []).append(["f", base, alias.name])

    # ------------------------------------------------------------------------- statements

    def module_body(self, body: list[ast.stmt], nested: bool = False) -> None:
        for stmt in body:
            self._module_stmt(stmt, nested)

    def _module_stmt(self, stmt: ast.stmt, nested: bool = False) -> None:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            self._import(stmt)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.defs[stmt.name] = stmt.lineno
            self._function(stmt, stmt.name, kind="function")
        elif isinstance(stmt, ast.ClassDef):
            self.defs[stmt.name] = stmt.lineno
            self._class(stmt, stmt.name)
        elif (named := named_lambda(stmt)) is not None:
            self.defs[named.name] = stmt.lineno
            self._function(named, named.name, kind="function")
        elif isinstance(stmt, (ast.If, ast.Try, ast.With, ast.For, ast.While)) or type(stmt).__name__ == "TryStar":
            for field in ("body", "orelse", "finalbody"):
                self.module_body(getattr(stmt, field, []), nested=True)
            for handler in getattr(stmt, "handlers", []):
                self.module_body(handler.body, nested=True)
            if isinstance(stmt, ast.For):
                # Not each element: a module-level name is a constant only when bound once.
                for name in _target_names(stmt.target):
                    self.assign.setdefault(name, []).append([stmt.lineno, ["?", "a loop variable"]])
            self._scan_calls(stmt, shallow=True)
        else:
            for name, line, value in _assignments(stmt):
                self.assign.setdefault(name, []).append([line, value])
                if nested:
                    self.branches.setdefault(name, []).append(line)
                if name == "__all__":
                    self.all = _string_list(stmt)
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                self.annotations[stmt.target.id] = annotation(stmt.annotation)
            for target, assigned, _ in _attribute_targets(stmt):
                if assigned is not None:
                    self._set(target.attr, stmt.lineno, target.value, assigned, "")
            self._scan_calls(stmt)

    def _set(self, attr: str, line: int, owner: ast.expr, value: ast.expr, scope: str) -> None:
        """``owner.attr = value`` outside the owner's own methods (:data:`Summary` ``sets``)."""
        self.sets.setdefault(attr, []).append([line, expr(owner), expr(value), scope])

    def _class(self, node: ast.ClassDef, key: str) -> None:
        members: dict[str, list[list[Any]]] = {}
        annotations: dict[str, list[Expr]] = {}
        attrs: dict[str, list[list[Any]]] = {}
        nested: list[str] = []
        info: ClassOutline = {
            "line": node.lineno,
            "bases": [expr(part) for b in node.bases for part in from_queryset(b) or (b,)],
            "members": members,
            "annotations": annotations,
            "attrs": attrs,
            "nested": nested,
            "decorators": sorted({_decorator_name(d) for d in node.decorator_list} - {""}),
        }
        self.classes[key] = info
        for stmt in node.body:
            if isinstance(stmt, ast.ClassDef):
                nested.append(stmt.name)
                self._class(stmt, f"{key}.{stmt.name}")
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                decorators = {_decorator_name(d) for d in stmt.decorator_list}
                kind = "static" if "staticmethod" in decorators else "classmethod" if "classmethod" in decorators else "method"
                self._function(stmt, f"{key}.{stmt.name}", kind=kind, attrs=attrs)
            elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
                self._import(stmt)
            elif (named := named_lambda(stmt)) is not None:
                self._function(named, f"{key}.{named.name}", kind="method", attrs=attrs)
            else:
                for name, line, value in _assignments(stmt):
                    members.setdefault(name, []).append([line, value])
                if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                    annotations[stmt.target.id] = annotation(stmt.annotation)
                self._scan_calls(stmt)
        for decorator in node.decorator_list:
            self._scan_calls(decorator)

    def _function(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef, key: str, *, kind: str,
        attrs: dict[str, list[list[Any]]] | None = None, outer: frozenset[str] = frozenset(),
    ) -> None:
        args = node.args
        params: list[list[Any]] = []
        positional = [*args.posonlyargs, *args.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
        for index, (arg, default) in enumerate(zip(positional, defaults, strict=True)):
            param_kind = "posonly" if index < len(args.posonlyargs) else "pos"
            params.append([arg.arg, param_kind, expr(default) if default is not None else None, annotation(arg.annotation)])
        if args.vararg is not None:
            params.append([args.vararg.arg, "var", None, []])
        for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
            params.append([arg.arg, "kwonly", expr(kw_default) if kw_default is not None else None, annotation(arg.annotation)])
        if args.kwarg is not None:
            params.append([args.kwarg.arg, "varkw", None, []])
        local: dict[str, list[list[Any]]] = {}
        passes: list[list[Any]] = []
        results: list[Expr] = []
        annotations: dict[str, list[Expr]] = {}
        self.functions[key] = {
            "line": node.lineno,
            "params": params,
            "method": kind in ("method", "classmethod"),
            "kind": kind,
            "locals": local,
            "annotations": annotations,
            "passes": passes,
            "returns": annotation(node.returns),
            "results": results,
            "decorators": sorted({_decorator_name(d) for d in node.decorator_list} - {""}),
        }
        if any(_binds_task(d) for d in node.decorator_list):
            self.functions[key]["bound"] = True
        for default in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
            self._scan_calls(default)
        for decorator in node.decorator_list:
            self._scan_calls(decorator)
        # ``self.x = ...`` in a method: instance attributes, typed like locals.
        receiver = positional[0].arg if kind == "method" and positional else None
        body = _Body(key, {p[0] for p in params}, local, annotations, passes, results, receiver, attrs, outer)
        self._function_body(node.body, body)
        if body.loops:
            self.functions[key]["loops"] = body.loops
        if body.guarded:
            self.functions[key]["guarded"] = body.guarded
        narrowed = _narrowings(node.body)
        if narrowed:
            self.functions[key]["narrowed"] = narrowed
        # Only a name bound more than once (a parameter counts as one binding) can lose an
        # earlier value to a later assignment: most functions have none, and no walk.
        names = {name for name, bindings in local.items() if len(bindings) > 1 or name in body.params}
        if names:
            rebinds: dict[str, list[list[int]]] = {}
            _rebinding(node.body, None, rebinds, names)
            if rebinds:
                self.functions[key]["rebinds"] = rebinds

    def _function_body(self, nodes: list[ast.stmt], body: _Body) -> None:
        stack: list[ast.AST] = list(reversed(nodes))
        pop, push = stack.pop, stack.extend
        while stack:
            node = pop()
            kind = type(node)
            if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
                body.local.setdefault(node.name, []).append([node.lineno, ["?", f"the function {node.name}"]])  # type: ignore[attr-defined]
                # A closure reads the enclosing functions' names (a decorator factory's ``kind``).
                enclosing = body.outer | body.params | frozenset(body.local)
                self._function(node, f"{body.key}.{node.name}", kind="function", outer=enclosing)  # type: ignore[arg-type, attr-defined]
                continue
            if kind is ast.ClassDef:
                body.local.setdefault(node.name, []).append([node.lineno, ["?", f"the class {node.name}"]])  # type: ignore[attr-defined]
                self._class(node, f"{body.key}.{node.name}")  # type: ignore[arg-type, attr-defined]
                continue
            if kind is ast.Lambda:
                # Its parameters are nothing the function binds; its calls are the function's.
                arguments: ast.arguments = node.args  # type: ignore[attr-defined]
                every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg, arguments.kwarg]
                for arg in every:
                    if arg is not None:
                        body.local.setdefault(arg.arg, []).append([node.lineno, [Tag.UNKNOWN, "a parameter of a lambda"]])  # type: ignore[attr-defined]
            if kind is ast.Import or kind is ast.ImportFrom:
                self._import(node)  # type: ignore[arg-type]
                continue
            if kind is ast.Global:
                # ``global KIND`` then ``KIND = ...`` in a function: the module's name is rebound
                # when it runs (one more assignment of it, so no single value).
                for name in node.names:  # type: ignore[attr-defined]
                    self.assign.setdefault(name, []).append(
                        [node.lineno, [Tag.UNKNOWN, f"a global that `{body.key}` may assign"]]  # type: ignore[attr-defined]
                    )
                continue
            if kind is ast.Call:
                self._call(node, body)  # type: ignore[arg-type]
            elif kind in STATEMENTS:
                self._statement(node, body)  # type: ignore[arg-type]
            elif kind is ast.ExceptHandler:
                if node.name:  # type: ignore[attr-defined]
                    body.local.setdefault(node.name, []).append([node.lineno, _caught(node.type)])  # type: ignore[attr-defined]
                    # In the handler the name is what it caught (each clause its own classes).
                    body.loops.setdefault(node.name, []).append([node.lineno, node.end_lineno or node.lineno])  # type: ignore[attr-defined]
            elif kind is ast.NamedExpr:
                if isinstance(node.target, ast.Name):  # type: ignore[attr-defined]
                    body.local.setdefault(node.target.id, []).append([node.lineno, expr(node.value)])  # type: ignore[attr-defined]
            elif kind is ast.comprehension:
                line = getattr(node.target, "lineno", 0)  # type: ignore[attr-defined]
                for name, value in iterated(node.target, node.iter, "a comprehension variable"):  # type: ignore[attr-defined]
                    body.local.setdefault(name, []).append([line, value])
            elif kind in _COMPREHENSIONS:
                span = [node.lineno, node.end_lineno or node.lineno]  # type: ignore[attr-defined]
                for generator in node.generators:  # type: ignore[attr-defined]
                    for name in _target_names(generator.target):
                        body.loops.setdefault(name, []).append(span)
            below = children(node)
            if below:
                below.reverse()
                push(below)

    def _statement(self, node: ast.stmt, body: _Body) -> None:
        for name, line, value in _assignments(node):
            body.local.setdefault(name, []).append([line, value])
        if isinstance(node, ast.If):
            guard = _prefix_guard(node.test)
            if guard is not None:
                name, prefix, starts = guard
                for branch, holds in ((node.body, starts), (node.orelse, not starts)):
                    for line in _assigned_lines(branch, name):
                        body.guarded.setdefault(name, []).append([line, prefix, holds])
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            body.annotations[node.target.id] = annotation(node.annotation)
        elif isinstance(node, ast.Return) and node.value is not None:
            body.results.append(expr(node.value))
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            for name, value in iterated(node.target, node.iter):
                body.local.setdefault(name, []).append([node.lineno, value])
            for name in _target_names(node.target):
                body.loops.setdefault(name, []).append([node.lineno, node.end_lineno or node.lineno])
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                target = item.optional_vars
                if isinstance(target, ast.Name) and _returns_itself(item.context_expr):
                    # ``with open(path) as fh``: the file itself (what ``__enter__`` returns).
                    body.local.setdefault(target.id, []).append([node.lineno, expr(item.context_expr)])
                    continue
                if isinstance(target, ast.Name):
                    # What ``__enter__`` returns: the object itself for most of the project's
                    # own context managers (``with ProgressManager() as status:``).
                    entered = [Tag.CALL, [Tag.ATTRIBUTE, expr(item.context_expr), "__enter__"], [], {}, False]
                    body.local.setdefault(target.id, []).append([node.lineno, entered])
                    continue
                for name in _target_names(target) if target is not None else ():
                    body.local.setdefault(name, []).append([node.lineno, ["?", "a with-statement target"]])
        for target, assigned, typed in _attribute_targets(node):
            if body.receiver is not None and body.attrs is not None and isinstance(target.value, ast.Name) and target.value.id == body.receiver:
                entry = body.attrs.setdefault(target.attr, [])
                value_expr: Expr = expr(assigned) if assigned is not None else ["?", "declared only"]
                entry.append([node.lineno, value_expr, annotation(typed), body.key])
            elif assigned is not None:
                self._set(target.attr, node.lineno, target.value, assigned, body.key)

    def _called(self, node: ast.Call, func: Expr, scope: str) -> RunWith | None:
        """Record the call; what it runs a callable it is handed with (:func:`run_with`), if it does."""
        if func == [Tag.NAME, "setattr"] and len(node.args) == 3 and _is_str(node.args[1]) and not node.keywords:
            self._set(node.args[1].value, node.lineno, node.args[0], node.args[2], scope)  # type: ignore[attr-defined]
        elif func[0] == Tag.ATTRIBUTE and func[2] == "as_view" and isinstance(node.func, ast.Attribute):
            # Django's ``View.as_view(kind=...)`` sets each keyword on the view's instance.
            for keyword in node.keywords:
                if keyword.arg is not None:
                    self._set(keyword.arg, node.lineno, node.func.value, keyword.value, scope)
        path = by_path(node)
        if path is not None:
            self.paths.setdefault(path, set()).add(scope)
        handed = run_with(node)
        if handed is not None:
            # ``executor.submit(launch, kind)``, ``launch.delay(kind)``: a call of ``launch`` too.
            target, given = handed
            text = callee_text(expr(target))
            if text is not None:
                self.callees.setdefault(text, set()).add(scope)
                if "." in text:
                    positional = sum(1 for position, _, _ in given if position is not None)
                    keywords = tuple(sorted(str(keyword) for _, keyword, _ in given if keyword is not None))
                    self.shapes.setdefault(text, set()).add((positional, keywords, _shape(node)[2]))
        text = callee_text(func)
        if text is None:
            if func[0] == Tag.ATTRIBUTE:
                # ``Plugin().trigger(...)``, ``items[0].save(...)``: no text to find it by.
                positional, keywords, spread = _shape(node)
                self.computed.setdefault(str(func[2]), []).append([scope, func, [positional, list(keywords), spread]])
            return handed
        self.callees.setdefault(text, set()).add(scope)
        if "." in text:
            self.shapes.setdefault(text, set()).add(_shape(node))
        return handed

    def _call(self, node: ast.Call, body: _Body) -> None:
        func = expr(adapted(node) or managed(node) or node.func)
        handed = self._called(node, func, body.key)
        if not body.params and not body.outer:
            return
        if handed is not None:
            target, run_args = handed
            for at, named, value in run_args:
                if body.mentions_own(value):
                    body.passes.append([expr(target), at, named, expr(value), node.lineno, ""])
        # Arguments a value of the function's own may travel in: expressions over its parameters
        # and locals (the resolver sorts out which parameters reach them), ``*args``/``**kwargs``.
        position = 0
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                if isinstance(arg.value, ast.Name) and position >= 0:
                    body.passes.append([func, position, None, ["n", arg.value.id], node.lineno, "*"])
                position = -1_000_000
                continue
            if body.mentions_own(arg):
                body.passes.append([func, position if position >= 0 else None, None, expr(arg), node.lineno, ""])
            position += 1
        given = len(node.args) if not any(isinstance(a, ast.Starred) for a in node.args) else None
        explicit = ",".join(sorted(k.arg for k in node.keywords if k.arg is not None)) or None
        for keyword in node.keywords:
            if keyword.arg is None:
                if isinstance(keyword.value, ast.Name):
                    # What the call gives besides: **kwargs cannot give those again.
                    body.passes.append([func, given, explicit, ["n", keyword.value.id], node.lineno, "**"])
            elif body.mentions_own(keyword.value):
                body.passes.append([func, None, keyword.arg, expr(keyword.value), node.lineno, ""])

    def _scan_calls(self, node: ast.AST, shallow: bool = False) -> None:
        if shallow:
            heads: list[ast.AST] = []
            for name in ("test", "iter", "items", "subject"):
                value = getattr(node, name, None)
                if isinstance(value, list):
                    heads.extend(value)
                elif isinstance(value, ast.AST):
                    heads.append(value)
            for head in heads:
                self._scan_calls(head)
            return
        stack = [node]
        while stack:
            sub = stack.pop()
            if type(sub) is ast.Call:
                call: ast.Call = sub  # type: ignore[assignment, unused-ignore]
                self._called(call, expr(adapted(call) or managed(call) or call.func), "")
            stack.extend(children(sub))

    def summary(self) -> Summary:
        return {
            "format": SUMMARY_FORMAT,
            "module": self.module,
            "package": self.is_package,
            "assign": self.assign,
            "annotations": self.annotations,
            "defs": self.defs,
            "imports": self.imports,
            "stars": self.stars,
            "all": self.all,
            "classes": self.classes,
            "functions": self.functions,
            "callees": {text: sorted(scopes) for text, scopes in sorted(self.callees.items())},
            "shapes": {text: [[n, list(k), star] for n, k, star in sorted(shapes)] for text, shapes in sorted(self.shapes.items())},
            "computed": self.computed,
            "branches": self.branches,
            "sets": self.sets,
            "paths": {path: sorted(scopes) for path, scopes in sorted(self.paths.items())},
        }


def _shape(node: ast.Call) -> tuple[int, tuple[str, ...], bool]:
    """:class:`CallShape` of a call, as plain data."""
    spread = any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords)
    positional = sum(1 for a in node.args if not isinstance(a, ast.Starred))
    return positional, tuple(sorted(k.arg for k in node.keywords if k.arg is not None)), spread


class _Body:
    """What the walk of one function body fills in."""

    def __init__(
        self, key: str, params: set[str], local: dict[str, list[list[Any]]], annotations: dict[str, list[Expr]],
        passes: list[list[Any]], results: list[Expr], receiver: str | None, attrs: dict[str, list[list[Any]]] | None,
        outer: frozenset[str] = frozenset(),
    ) -> None:
        self.key = key
        self.params = params
        self.outer = outer
        """The names of the enclosing functions (parameters, and locals bound above this one)."""
        self.local = local
        self.annotations = annotations
        self.passes = passes
        self.results = results
        self.receiver = receiver
        self.attrs = attrs
        self.loops: dict[str, list[list[int]]] = {}
        self.guarded: dict[str, list[list[Any]]] = {}

    def mentions_own(self, node: ast.AST) -> bool:
        """Whether ``node`` reads a parameter or a local of the function (``self.x`` included), or
        a name of an enclosing function (a closure passes those on as well)."""
        if isinstance(node, ast.Constant):
            return False  # the commonest argument, and the cheapest answer
        stack = [node]
        while stack:
            sub = stack.pop()
            if type(sub) is ast.Name:
                name = sub.id  # type: ignore[attr-defined, unused-ignore]
                if name in self.params or name in self.local or name in self.outer:
                    return True
            else:
                stack.extend(children(sub))
        return False


def _caught(classes: ast.expr | None) -> Expr:
    """What ``except Error as error`` binds: an object of the class (of one of a tuple's), as
    ``Error()`` would make it, so that ``error.failure_mode`` is what the class says."""
    written = classes.elts if isinstance(classes, ast.Tuple) else [classes] if classes is not None else []
    made: list[Expr] = [[Tag.CALL, expr(c), [], {}, False] for c in written if isinstance(c, (ast.Name, ast.Attribute))]
    if not made or len(made) != len(written):
        return [Tag.UNKNOWN, "an exception"]
    caught = made[0]
    for other in made[1:]:
        caught = [Tag.CONDITIONAL, caught, other]
    return caught


def _binds_task(node: ast.expr) -> bool:
    """``@shared_task(bind=True)``, ``@app.task(bind=True)``: Celery passes the task itself
    first, so a caller's first argument is the function's second parameter."""
    return (
        isinstance(node, ast.Call) and _decorator_name(node) in ("task", "shared_task")
        and any(k.arg == "bind" and isinstance(k.value, ast.Constant) and k.value.value is True for k in node.keywords)
    )


def _decorator_name(node: ast.expr) -> str:
    target = node.func if isinstance(node, ast.Call) else node
    text = callee_text(expr(target))
    return text.rsplit(".", 1)[-1] if text else ""


def _attribute_targets(stmt: ast.stmt) -> list[tuple[ast.Attribute, ast.expr | None, ast.expr | None]]:
    """``(target, value, annotation)`` for ``obj.attr = value`` / ``obj.attr: T = value``."""
    if isinstance(stmt, ast.Assign):
        return [(t, stmt.value, None) for t in stmt.targets if isinstance(t, ast.Attribute)]
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Attribute):
        return [(stmt.target, stmt.value, stmt.annotation)]
    return []


_ALWAYS: Final = frozenset({"*"})
"""What a block that never falls through (it returns or raises) assigns: anything."""


def _rebinding(block: Sequence[ast.stmt], until: int | None, into: dict[str, list[list[int]]], names: set[str]) -> None:
    """Record in ``into`` the statements of ``block`` (and of the blocks inside it) that assign
    one of ``names`` on every path through them (:data:`FunctionOutline` ``rebinds``); ``until``:
    the last line they hold for, None for the rest of the function."""
    for stmt in block:
        for name in sorted(_assigns(stmt) & names):
            entry = [stmt.lineno, stmt.end_lineno or stmt.lineno]
            into.setdefault(name, []).append(entry if until is None else [*entry, until])
        if isinstance(stmt, (ast.With, ast.AsyncWith)):
            _rebinding(stmt.body, until, into, names)  # the body falls through into this block
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue  # a scope of its own
        else:
            inner = [getattr(stmt, field, None) for field in ("body", "orelse", "finalbody")]
            inner += [handler.body for handler in getattr(stmt, "handlers", ())]
            inner += [case.body for case in getattr(stmt, "cases", ())]
            for nested in inner:
                if isinstance(nested, list) and nested and isinstance(nested[0], ast.stmt):
                    _rebinding(nested, nested[-1].end_lineno or nested[-1].lineno, into, names)


def _assigns(stmt: ast.stmt) -> frozenset[str]:
    """The names a statement assigns on every path that goes on below it."""
    if isinstance(stmt, (ast.Return, ast.Raise)):
        return _ALWAYS
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        return _sequence(stmt.body)
    if isinstance(stmt, ast.If):
        return _both(_sequence(stmt.body), _sequence(stmt.orelse)) if stmt.orelse else frozenset()
    if isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
        handlers: list[ast.ExceptHandler] = stmt.handlers  # type: ignore[attr-defined]
        finally_: list[ast.stmt] = stmt.finalbody  # type: ignore[attr-defined]
        tried = _sequence([*stmt.body, *stmt.orelse])  # type: ignore[attr-defined]
        for handler in handlers:
            tried = _both(tried, _sequence(handler.body))
        finished = _sequence(finally_)
        return _ALWAYS if _ALWAYS in (tried, finished) else tried | finished
    return frozenset(_rebound(stmt))


def _both(one: frozenset[str], other: frozenset[str]) -> frozenset[str]:
    """What two paths both assign (a path that never falls through assigns anything)."""
    if one is _ALWAYS:
        return other
    if other is _ALWAYS:
        return one
    return one & other


def _sequence(block: Sequence[ast.stmt]) -> frozenset[str]:
    """The names a block assigns on every path through it that falls through (:data:`_ALWAYS`
    when none does)."""
    found: frozenset[str] = frozenset()
    for stmt in block:
        assigned = _assigns(stmt)
        if assigned is _ALWAYS:
            return _ALWAYS
        found |= assigned
    return found


def _rebound(stmt: ast.stmt) -> list[str]:
    """The names an assignment statement binds (not ``a[i] = ``, ``a.b = ``; not ``x: int``)."""
    if isinstance(stmt, ast.Assign):
        return [name for target in stmt.targets for name in _bound(target)]
    if isinstance(stmt, ast.AnnAssign) and stmt.value is not None or isinstance(stmt, ast.AugAssign):
        return _bound(stmt.target)
    return []


def _bound(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for element in target.elts for name in _bound(element)]
    if isinstance(target, ast.Starred):
        return _bound(target.value)
    return []


def _target_names(target: ast.AST) -> list[str]:
    return [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]


def _prefix_guard(test: ast.expr) -> tuple[str, str, bool] | None:
    """``(name, prefix, starts)`` of ``name.startswith("prefix")`` (``starts`` True) or ``not
    name.startswith("prefix")`` (False); None for any other test."""
    starts = True
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test, starts = test.operand, False
    if (
        isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute) and test.func.attr == "startswith"
        and isinstance(test.func.value, ast.Name) and len(test.args) == 1 and not test.keywords
        and isinstance(test.args[0], ast.Constant) and isinstance(test.args[0].value, str)
    ):
        return test.func.value.id, test.args[0].value, starts
    return None


def _narrowings(statements: list[ast.stmt]) -> dict[str, list[list[Any]]]:
    """:data:`FunctionOutline` ``narrowed`` of a function body (its own statements only: an
    ``if`` inside another block does not stand between every path and what follows it)."""
    found: dict[str, list[list[Any]]] = {}
    for stmt in statements:
        guard = _prefix_guard(stmt.test) if isinstance(stmt, ast.If) else None
        if guard is None:
            continue
        assert isinstance(stmt, ast.If)
        name, prefix, starts = guard
        # The body runs for a value whose ``startswith`` is ``starts``, the ``else`` for the rest.
        for branch, passed in ((stmt.body, starts), (stmt.orelse, not starts)):
            if _settles(branch, name):
                found.setdefault(name, []).append([stmt.end_lineno or stmt.lineno, prefix, not passed])
    return found


def _settles(statements: list[ast.stmt], name: str) -> bool:
    """Whether running ``statements`` rebinds ``name`` or leaves the function on every path."""
    for stmt in statements:
        if isinstance(stmt, (ast.Return, ast.Raise)):
            return True
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets):
            return True
        if (
            isinstance(stmt, (ast.AugAssign, ast.AnnAssign)) and isinstance(stmt.target, ast.Name) and stmt.target.id == name
            and not (isinstance(stmt, ast.AnnAssign) and stmt.value is None)  # ``name: str`` binds nothing
        ):
            return True
        if isinstance(stmt, ast.If) and _settles(stmt.body, name) and _settles(stmt.orelse, name):
            return True
    return False


def _assigned_lines(statements: list[ast.stmt], name: str) -> list[int]:
    """The lines of the assignments to ``name`` in ``statements`` and the blocks inside them
    (not in nested functions or classes, which bind their own names)."""
    lines: list[int] = []
    stack: list[ast.AST] = list(statements)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, ast.stmt):
            lines.extend(line for bound, line, _ in _assignments(node) if bound == name)
        stack.extend(children(node))
    return lines


def named_lambda(stmt: ast.stmt) -> ast.FunctionDef | None:
    """``fire = lambda kind: emit(kind)`` in a module or class body, as the function it names
    (``def fire(kind): return emit(kind)``): a wrapper, whose callers are checked, and the
    scope of what its body reads. Elsewhere a lambda stays an expression."""
    if not (
        isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
        and isinstance(stmt.value, ast.Lambda)
    ):
        return None
    value = stmt.value
    body = ast.copy_location(ast.Return(value=value.body), value.body)
    fields: dict[str, Any] = {"type_params": []} if "type_params" in ast.FunctionDef._fields else {}
    function = ast.FunctionDef(
        name=stmt.targets[0].id, args=value.args, body=[body], decorator_list=[], returns=None, **fields,
    )
    return ast.copy_location(function, stmt)


def _assignments(stmt: ast.AST) -> list[tuple[str, int, Expr]]:
    """``(name, line, value)`` bound by an assignment statement: unpacking a tuple written
    alongside (``a, b = "x", y``) pairs the elements, any other unpacking is unknown."""
    line = getattr(stmt, "lineno", 0)
    if isinstance(stmt, ast.Assign):
        found: list[tuple[str, int, Expr]] = []
        for target in stmt.targets:
            found.extend((name, line, value) for name, value in _unpack(target, stmt.value))
        return found
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        if stmt.value is None:
            return []
        return [(stmt.target.id, line, expr(stmt.value))]
    if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
        if isinstance(stmt.op, ast.Add):
            # ``name += "_ADD"`` is ``name = name + "_ADD"``: what it held, with that after it.
            return [(stmt.target.id, line, [Tag.CONCAT, [Tag.NAME, stmt.target.id], expr(stmt.value)])]
        return [(stmt.target.id, line, ["?", "an augmented assignment"])]
    return []



def iterated(target: ast.expr, iterable: ast.expr, what: str = "a loop variable") -> list[tuple[str, Expr]]:
    """What a ``for`` target takes: each element of a tuple, list or set written there
    (``for kind in (A, B)``), unpacked like an assignment; over anything else, each item of
    it (``for kind in KINDS``, ``for kind, label in CHOICES``: ``[SUBSCRIPT, iterable, what,
    None, "each"]``, which the resolver reads as every item of a container written out, every
    key of a dict); unknown for other targets."""
    if isinstance(iterable, (ast.Tuple, ast.List, ast.Set)) and iterable.elts and not any(
        isinstance(e, ast.Starred) for e in iterable.elts
    ):
        return [pair for element in iterable.elts for pair in _unpack(target, element)]
    each = [Tag.SUBSCRIPT, expr(iterable), [Tag.UNKNOWN, what], None, EACH]
    if isinstance(target, ast.Name):
        return [(target.id, each)]
    if isinstance(target, (ast.Tuple, ast.List)) and target.elts and all(isinstance(t, ast.Name) for t in target.elts):
        return [
            (t.id, [Tag.SUBSCRIPT, each, [Tag.UNKNOWN, what], i])  # type: ignore[attr-defined]
            for i, t in enumerate(target.elts)
        ]
    return [(name, [Tag.UNKNOWN, what]) for name in _target_names(target)]


_COMPREHENSIONS = frozenset({ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp})

EACH: Final = "each"
"""The fifth item of a :data:`Tag.SUBSCRIPT` that stands for every item a loop takes."""


def _unpack(target: ast.expr, value: ast.expr) -> list[tuple[str, Expr]]:
    if isinstance(target, ast.Name):
        return [(target.id, expr(value))]
    if isinstance(target, (ast.Attribute, ast.Subscript)):
        return []
    if isinstance(target, ast.Starred):
        return [(name, ["?", "a starred target"]) for name in _bound_names(target)]
    if (
        isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (ast.Tuple, ast.List))
        and len(target.elts) == len(value.elts)
        and not any(isinstance(e, ast.Starred) for e in (*target.elts, *value.elts))
    ):
        return [pair for t, v in zip(target.elts, value.elts, strict=True) for pair in _unpack(t, v)]
    if isinstance(target, (ast.Tuple, ast.List)) and all(isinstance(t, ast.Name) for t in target.elts):
        # ``kind, label = PAIR`` / ``= pick()``: each name is the item at its position.
        whole = expr(value)
        return [
            (t.id, [Tag.SUBSCRIPT, whole, [Tag.UNKNOWN, "tuple unpacking"], i])  # type: ignore[attr-defined]
            for i, t in enumerate(target.elts)
        ]
    return [(name, ["?", "tuple unpacking"]) for name in _bound_names(target)]


def _returns_itself(context: ast.expr) -> bool:
    """A call of a library context manager whose ``__enter__`` returns the object itself."""
    if not isinstance(context, ast.Call):
        return False
    text = callee_text(expr(context.func))
    return text is not None and text.removeprefix("builtins.") in LIBRARY_OBJECTS


def _bound_names(target: ast.expr) -> list[str]:
    """The names an assignment target binds (not ``self`` in ``self.x, y = ...``)."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Starred):
        return _bound_names(target.value)
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for element in target.elts for name in _bound_names(element)]
    return []


def _string_list(stmt: ast.stmt) -> list[str] | None:
    value = getattr(stmt, "value", None)
    if isinstance(value, (ast.List, ast.Tuple)) and all(
        isinstance(e, ast.Constant) and isinstance(e.value, str) for e in value.elts
    ):
        return [e.value for e in value.elts]  # type: ignore[attr-defined]
    return None


# Syntax newer than the running Python that the index can step over, line by line (line numbers
# stay): ``except A, B:`` (3.14), ``def f[T](...)`` / ``class C[T]`` and ``type X = ...`` (3.12).
# Only what the running Python lacks: on 3.12 ``type X = int`` is a statement of its own.
_NEWER_SYNTAX: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.MULTILINE), replacement)
    for since, pattern, replacement in (
        ((3, 14), r"^([ \t]*except\*?[ \t]+)(?!\()([^:#\n]+?,[^:#\n]+?)[ \t]*:", r"\1(\2):"),
        ((3, 12), r"^([ \t]*(?:async[ \t]+)?def[ \t]+\w+)\[[^()\n]*?\][ \t]*\(", r"\1("),
        ((3, 12), r"^([ \t]*class[ \t]+\w+)\[[^()\n]*?\]", r"\1"),
        ((3, 12), r"^([ \t]*)type[ \t]+(\w+)(?:\[[^=\n]*?\])?[ \t]*=", r"\1\2 ="),
    )
    if sys.version_info < since
)
_MAX_REPAIRS = 100


def _continued(found: re.Match[str]) -> str:
    """``class C[\n    T: dict,\n]:`` as ``class C\\\n\\\n:``: the type parameters dropped, their
    line breaks kept as line continuations (line numbers stay)."""
    return found.group(1) + "\\\n" * found.group(0).count("\n") + found.group(3)


# Type parameter lists over several lines (3.12), with one level of brackets or parentheses
# inside (``T: dict[str, int]``, ``T: (Money, Decimal)``); applied to the whole text, never line
# by line.
_TYPE_PARAMS = r"\[((?:[^\[\]()]|\[[^\[\]]*\]|\([^()]*\))*)\]"
_NEWER_SPANNING: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = tuple(
    (re.compile(pattern, re.MULTILINE), _continued)
    for pattern in (
        rf"^([ \t]*(?:async[ \t]+)?def[ \t]+\w+){_TYPE_PARAMS}([ \t]*\()",
        rf"^([ \t]*class[ \t]+\w+){_TYPE_PARAMS}([ \t]*[:(])",
    )
) if sys.version_info < (3, 12) else ()


def parse_module(source: str | bytes) -> ast.Module | None:
    """``ast.parse``, stepping over a few constructs of newer Pythons; None when it cannot."""
    # The project's own SyntaxWarnings (``"x" is 1``) are not the linter's to print.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _parse_module(source)


def _parse_module(source: str | bytes) -> ast.Module | None:
    # Only the line of an error is kept, never the error: its traceback holds this frame, and
    # the cycle would keep the source and the returned tree alive until a garbage collection
    # (which a run makes rarely: 350,000 objects of one big module outlived its lint).
    try:
        return ast.parse(source)
    except SyntaxError as exc:
        stop = exc.lineno
    except (ValueError, RecursionError, MemoryError):
        return None
    if stop is None:
        return None
    text = source.decode("utf-8", errors="replace") if isinstance(source, bytes) else source
    # A module that uses newer syntax uses it on many lines (warehouse: twenty ``except A, B:``
    # in one), and each failed parse costs twice a good one: every line is repaired at once.
    tree = _parse_repaired(text)
    if tree is not None:
        return tree
    # Where that cannot be used, repair where the parser stops, line by line.
    lines = text.splitlines(keepends=True)
    for _ in range(_MAX_REPAIRS):
        number = (stop or 0) - 1
        if not 0 <= number < len(lines):
            return None
        line = lines[number]
        for pattern, replacement in _NEWER_SYNTAX:
            fixed = pattern.sub(replacement, line, count=1)
            if fixed != line:
                lines[number] = fixed
                break
        else:
            return None
        try:
            return ast.parse("".join(lines))
        except SyntaxError as again:
            stop = again.lineno
        except (ValueError, RecursionError, MemoryError):
            return None
    return None


def _parse_repaired(text: str) -> ast.Module | None:
    """The tree of ``text`` with every line of newer syntax repaired; None when none is, it does
    not parse, or a repaired line was in fact inside a string literal (the string's own text)."""
    changed: list[int] = []
    repairs: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [*_NEWER_SYNTAX, *_NEWER_SPANNING]
    for pattern, replacement in repairs:
        # The replacements keep line breaks (as line continuations where they span lines).
        changed.extend(text.count("\n", 0, found.start()) + 1 for found in pattern.finditer(text))
        text = pattern.sub(replacement, text)
    for _ in range(2):
        try:
            tree = ast.parse(text)
        except SyntaxError:
            # 3.12's f-strings (quotes of their own inside, a field over several lines): only
            # now is the module scanned, once.
            spans = fstring_repairs(text)
            if not spans:
                return None
            changed.extend(text.count("\n", 0, start) + 1 for start, _, _ in spans)
            for start, end, placeholder in reversed(spans):
                text = text[:start] + placeholder + text[end:]
            continue
        except (ValueError, RecursionError, MemoryError):
            return None
        if not changed:
            return None
        return None if any(_inside_string(tree, line) for line in changed) else tree
    return None


def _inside_string(tree: ast.Module, line: int) -> bool:
    """Whether ``line`` continues a string literal that starts above it. Only the nodes that
    span the line are visited (a walk of the whole tree costs as much as its parse)."""
    stack: list[ast.AST] = [tree]
    while stack:
        for child in ast.iter_child_nodes(stack.pop()):
            start = getattr(child, "lineno", None)
            if start is None:
                stack.append(child)  # ``arguments``, ``match_case``: no span of their own
            elif start <= line <= (getattr(child, "end_lineno", None) or start):
                if isinstance(child, (ast.Constant, ast.JoinedStr)) and start < line:
                    return True
                stack.append(child)
    return False


def summarize(source: str | bytes, module: str, is_package: bool) -> Summary | None:
    """The summary of one module's source; None when it does not parse."""
    with stopwatch.timed(stopwatch.OUTLINE, len(source)):
        tree = parse_module(source)
        if tree is None:
            return None
        collector = _Collector(module, is_package)
        try:
            collector.module_body(tree.body)
        except RecursionError:
            return None  # absurdly nested code: not indexed, its names are OPS008
        return collector.summary()
