"""Wrappers that no call names but that run all the same: handed on as a value, called later.

``action_registry.register(models.Model, EditAction)`` hands a class to a registry, and
``self.action_class(instance, user=user)`` constructs whatever the registry gives back: no call
names ``EditAction``, yet its constructor runs, and its ``log_action`` parameter reaches a sink.
Which calls run it cannot be told by name. But a parameter that cannot be given by position is
given by keyword, and a call can only give it in a module that writes that keyword
(``log_action=...``) or spreads a mapping (``**kwargs``). So the modules that mention the
parameter's name hold every call that may set it: when none of their calls whose callee may be
a value handed around gives it, the parameter keeps its default, which the site checks.

What is not followed (the site stays OPS008, saying why): a parameter that can be given by
position (any call of a value anywhere might), one without a default, and a module whose
source cannot be read. A mapping built in one module and spread by a call in another module
that does not mention the keyword is not seen either.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from opsux_lint.analysis.nodes import last_name
from opsux_lint.analysis.outline import Expr, FunctionOutline, expr, parse_module
from opsux_lint.analysis.resolver import Resolver
from opsux_lint.analysis.sinks import DynamicUse
from opsux_lint.analysis.values import Callee

_HARMLESS_DECORATORS = frozenset({
    "abstractmethod", "cache", "cached_property", "classmethod", "dataclass", "deprecated", "final",
    "lru_cache", "overload", "override", "property", "staticmethod", "total_ordering", "wraps",
})
"""Decorators that keep the function callable by its name and hand it nowhere."""
_INSPECTING = frozenset({
    "callable", "getattr", "hasattr", "id", "isinstance", "issubclass", "print", "repr", "str", "super", "type", "vars",
})
"""Builtins whose arguments are looked at, not kept: ``isinstance(action, EditAction)``."""
_RETURNING = frozenset({"property", "cached_property"})
"""Calling such an attribute calls what it returns."""
_LOOKED_AT: dict[type[ast.AST], frozenset[str]] = {
    ast.Call: frozenset({"func"}),
    ast.Attribute: frozenset({"value"}),
    ast.Subscript: frozenset({"value", "slice"}),
    ast.Compare: frozenset({"left", "comparators"}),
    ast.Assign: frozenset({"targets"}),
    ast.AnnAssign: frozenset({"target", "annotation"}),
    ast.AugAssign: frozenset({"target"}),
    ast.arg: frozenset({"annotation"}),
    ast.ExceptHandler: frozenset({"type"}),
    ast.Raise: frozenset({"exc", "cause"}),
    ast.FormattedValue: frozenset({"value"}),
    ast.Expr: frozenset({"value"}),
    ast.Delete: frozenset({"targets"}),
}
"""Fields whose names are used where they are (called, compared, assigned to), not handed on."""
_PASSING_ON = (ast.Tuple, ast.List, ast.Set, ast.Dict, ast.IfExp, ast.BoolOp, ast.Starred, ast.keyword)
"""Expressions that hand their parts on as their parent does."""


@dataclass(frozen=True)
class _Call:
    line: int
    func: Expr
    scope: str | None
    keywords: frozenset[str]
    spreads: tuple[str | None, ...]
    """What each ``**`` spreads: a name, or None for any other expression."""


@dataclass(frozen=True)
class _Module:
    """What one module's source says of values handed on, read once for every wrapper asked about."""

    definitions: tuple[tuple[str, int, bool], ...]
    """``(key, line, registered)`` of each class and function (registered: under a decorator that is handed it)."""
    handed: tuple[tuple[str, Expr, str | None, int], ...]
    """``(name, Expr, scope, line)`` of each name or attribute read as a value handed on."""
    calls: tuple[_Call, ...]
    """The calls that give a keyword or spread a mapping."""


class DynamicUses:
    """Answers :meth:`use` for the wrappers of one derivation; reads each module once."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self._modules: dict[str, _Module | None] = {}

    def use(self, function: str, param: str, targets: frozenset[str], keyword: str | None, by_position: bool) -> DynamicUse | None:
        """How ``function``'s ``param`` is set when no call names it: None unless one of
        ``targets`` (the function, or for a constructor its class and the subclasses inheriting
        it) is handed on as a value somewhere in the project. ``keyword``: what a call writes
        to give it (None: it cannot be given by keyword)."""
        located = self.resolver.index.locate(function, "functions")
        if located is None:
            return None
        entry = next((p for p in located[2]["params"] if p[0] == param), None)
        if entry is None or entry[1] in ("var", "varkw"):
            return None  # ``*args``/``**kwargs`` passed on: no default of their own to keep
        escape = self._escape(targets)
        if escape is None:
            return None
        passing = self._passing(targets, keyword) if keyword is not None and not by_position else ()
        return DynamicUse(escape, passing, by_position or keyword is None, entry[2] is not None)

    def _module(self, module: str) -> _Module | None:
        if module not in self._modules:
            source = self.resolver.index.source(module)
            tree = parse_module(source) if source is not None else None
            self._modules[module] = _read(tree) if tree is not None else None
        return self._modules[module]

    def _escape(self, targets: frozenset[str]) -> str | None:
        """Where one of ``targets`` is first handed on as a value: an argument, an assignment's
        value, an element, a return value, or the definition itself under a registering decorator."""
        resolver, index = self.resolver, self.resolver.index
        names = {target.rsplit(".", 1)[-1] for target in targets}
        for module in index.mentioning(names):
            read = self._module(module)
            if read is None:
                continue
            lines = [line for key, line, registered in read.definitions if registered and f"{module}.{key}" in targets]
            lines += [
                line for name, e, scope, line in read.handed
                if name in names and resolver.callee(e, module, scope).names & targets
            ]
            if lines:
                return f"{index.path(module)}:{min(lines)}"
        return None

    def _passing(self, targets: frozenset[str], param: str) -> tuple[str, ...]:
        """The first call that may run one of ``targets`` as a value and give ``param`` by
        keyword (one is enough to leave the parameter unknown); none: ``()``."""
        resolver, index = self.resolver, self.resolver.index
        for module in index.mentioning([param]):
            read = self._module(module)
            if read is None:
                return (f"{index.path(module)} (not read)",)
            for call in read.calls:
                explicit = param in call.keywords
                if not explicit and (not call.spreads or _spreads_own(resolver, module, call)):
                    continue  # the function's own ``**kwargs``: its callers give them, and are looked at
                if call.func[0] == "n" and _local(resolver, module, call.scope, str(call.func[1])):
                    return (f"{index.path(module)}:{call.line}",)  # a local or parameter: any value
                callee = resolver.callee(call.func, module, call.scope)
                if callee.names & targets:
                    continue  # it names one: a caller, whose value is a site of its own
                if _may_run(resolver, module, call.func, callee, param, explicit):
                    return (f"{index.path(module)}:{call.line}",)
        return ()


def _read(tree: ast.Module) -> _Module:
    definitions: list[tuple[str, int, bool]] = []
    handed: list[tuple[str, Expr, str | None, int]] = []
    calls: list[_Call] = []
    for node, path, scope, is_handed in _walk(tree):
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            key = f"{path}.{node.name}" if path else node.name
            definitions.append((key, node.lineno, _registered(node)))
        elif is_handed and isinstance(node, (ast.Name, ast.Attribute)) and isinstance(node.ctx, ast.Load):
            handed.append((node.id if isinstance(node, ast.Name) else node.attr, expr(node), scope, node.lineno))
        elif isinstance(node, ast.Call) and node.keywords:
            spreads = tuple(k.value.id if isinstance(k.value, ast.Name) else None for k in node.keywords if k.arg is None)
            keywords = frozenset(k.arg for k in node.keywords if k.arg is not None)
            calls.append(_Call(node.lineno, expr(node.func), scope, keywords, spreads))
    return _Module(tuple(definitions), tuple(handed), tuple(calls))


def _may_run(resolver: Resolver, module: str, func: Expr, callee: Callee, param: str, explicit: bool) -> bool:
    """Whether the call may run a value handed around (its callee is not a local): an attribute
    holding a value, a property or a computed value; or it gives ``param`` to a function that
    passes its ``**kwargs`` on, or to one outside the project."""
    index = resolver.index
    if not callee.names:
        if func[0] == "a" and resolver.methods_named(str(func[2])):
            return False  # a method of the project by that name, on a receiver of unknown class
        return explicit or func[0] != "a" or callee.unknown is not None
    for name in callee.names:
        if name.startswith("<"):
            continue  # a method of an object a library made
        function = index.locate(name, "functions")
        if function is None and index.locate(name, "classes") is not None:
            function = index.locate(resolver.method_owner(name, "__init__"), "functions")
            if function is None or not explicit:
                continue  # another class: constructed, not a value handed around
        if function is not None:
            if _RETURNING & set(function[2]["decorators"]) or (explicit and _forwards(function[2], param)):
                return True
            continue
        owner, _, attr = name.rpartition(".")
        cls = index.locate(owner, "classes")
        if cls is not None and attr in cls[2]["members"]:
            return True  # a class attribute (``action_class = EditAction``): it holds a value
        split = index.split(name)
        if split is None or not split[1] or cls is not None:
            if explicit:
                return True  # a library's function (or method) may call what it is given
            continue
        return True  # a module variable of the project: it may hold what was handed around
    return False


def _spreads_own(resolver: Resolver, module: str, call: _Call) -> bool:
    """Whether every mapping the call spreads is the ``**kwargs`` parameter of its function."""
    summary = resolver.index.summary(module)
    function = summary["functions"].get(call.scope) if summary is not None and call.scope else None
    if function is None:
        return False
    own = next((p[0] for p in function["params"] if p[1] == "varkw"), None)
    return own is not None and all(spread == own for spread in call.spreads)


def _forwards(function: FunctionOutline, param: str) -> bool:
    params = function["params"]
    return any(p[1] == "varkw" for p in params) and not any(p[0] == param for p in params)


def _local(resolver: Resolver, module: str, scope: str | None, name: str) -> bool:
    """Whether ``name`` is a parameter or a local of the function ``scope`` (or one around it)."""
    summary = resolver.index.summary(module)
    key = scope
    while summary is not None and key:
        function = summary["functions"].get(key)
        if function is not None and (name in function["locals"] or any(p[0] == name for p in function["params"])):
            return True
        key = key.rpartition(".")[0]
    return False


def _registered(node: ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A decorator that is handed the definition (``@hooks.register("after_edit")``)."""
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if last_name(target) not in _HARMLESS_DECORATORS:
            return True
    return False


def _walk(tree: ast.Module) -> Iterator[tuple[ast.AST, str, str | None, bool]]:
    """Each node with the key of the definition around it (``""`` at module level), the
    function scope its calls resolve in (None outside functions, as in the outline), and
    whether a name there is handed on as a value."""
    stack: list[tuple[ast.AST, str, str | None, bool]] = [(tree, "", None, False)]
    while stack:
        node, path, scope, handed = stack.pop()
        yield node, path, scope, handed
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            key = f"{path}.{node.name}" if path else node.name
            inner = key if not isinstance(node, ast.ClassDef) else scope
            for decorator in node.decorator_list:
                stack.append((decorator, path, scope, False))
            if isinstance(node, ast.ClassDef):
                stack.extend((base, path, scope, False) for base in [*node.bases, *node.keywords])
            else:
                stack.extend((d, path, scope, True) for d in [*node.args.defaults, *node.args.kw_defaults] if d is not None)
            stack.extend((stmt, key, inner, False) for stmt in node.body)
            continue
        looked_at = _LOOKED_AT.get(type(node), frozenset())
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _INSPECTING:
            looked_at = frozenset({"func", "args", "keywords"})
        for field, value in ast.iter_fields(node):
            children = value if isinstance(value, list) else [value]
            for child in children:
                if not isinstance(child, ast.AST):
                    continue
                if field in looked_at:
                    child_handed = False
                elif isinstance(node, _PASSING_ON):
                    child_handed = handed
                else:
                    child_handed = True
                stack.append((child, path, scope, child_handed))
