"""Evaluating expressions over the project index: the strings a value may be, the classes a
receiver may be an instance of, and so what a call's callee is.

Values (:meth:`Resolver.resolve`): literals, concatenation, both arms of a conditional, module
constants and chains of them, imports of every form, class attributes, enum members, f-strings
(as patterns), and parameters (reported as such, so wrapper functions can be followed to their
callers). Locals are flow-insensitive: every value assigned to a name anywhere in the function
(branches, loops, ``with``, walrus, each element of a literal tuple a ``for`` iterates) is a
value it may have.

Receiver types (:meth:`Resolver.types`): constructors, annotations (parameters, locals, class
attributes, return types; ``X | None``, ``Optional[X]``, string annotations), attributes assigned
in methods (``self.service = service``), what functions return, ``self``/``cls``/``super()``,
pytest fixtures of known names, and the attributes and factories the rules declare for opsux's
own API. A receiver is *opaque* when it is known to be something else (a string, the result of a
call outside the project), *unknown* when nothing tells.

A resolver memoizes module-level lookups; it is built per run and never changes the index.
"""

from __future__ import annotations

import builtins
import contextlib
import dataclasses
import functools
import itertools
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from opsux_lint.analysis.handing import TASK_CALLS
from opsux_lint.analysis.index import ProjectIndex
from opsux_lint.analysis.library import LIBRARY_OBJECTS
from opsux_lint.analysis.managers import row_of
from opsux_lint.analysis.mentions import setter
from opsux_lint.analysis.outline import (
    EACH,
    Binding,
    ClassOutline,
    Expr,
    FunctionOutline,
    Tag,
    adapted_callable,
    callee_text,
    partial_parts,
    render,
)
from opsux_lint.analysis.sinks import hole
from opsux_lint.analysis.values import (
    Callee,
    CallShape,
    Item,
    Ref,
    Resolution,
    Unknown,
    Value,
)

_MAX_DEPTH = 24
_MAX_VALUES = 64
_ENUM_BASES = frozenset(
    f"enum.{name}" for name in ("Enum", "StrEnum", "IntEnum", "Flag", "IntFlag", "ReprEnum")
)
_STR_ENUM_BASES = frozenset({"enum.StrEnum"})
# Django's enumerations: a member is ``NAME = value`` or ``NAME = value, label``; auto() is the name.
_TEXT_CHOICES_BASES = frozenset(
    f"django.db.models.{module}{name}" for module in ("", "enums.") for name in ("TextChoices", "Choices")
)
_CHOICES_BASES = _TEXT_CHOICES_BASES | {"django.db.models.IntegerChoices", "django.db.models.enums.IntegerChoices"}
_BUILTINS = frozenset(dir(builtins))
_CASE_METHODS = frozenset({"lower", "upper", "casefold", "strip", "lstrip", "rstrip"})
"""String methods without arguments whose result is known from the string."""


@dataclass(frozen=True)
class Instance:
    """An object of a known class: ``mod.Class`` of the project, or a canonical external name."""

    cls: str
    of_class: bool = False
    """The class object itself (``Project.id``), not an instance of it (``project.id``)."""


@dataclass(frozen=True)
class Opaque:
    """An object known not to come from anything the resolver types (a string, the result of a
    call outside the project): its methods are not opsux's."""

    what: str
    foreign: bool = False
    """Made by a library (what a call outside the project returns, an attribute of a class
    outside it): it may still be an instance of a project class, as a model an ORM returns is."""


TypeItem = Instance | Opaque | Unknown
_NONE = Opaque("`None`")


@dataclass(frozen=True)
class ApiTypes:
    """What the rules declare about an external API's objects (opsux's own), by canonical name."""

    attributes: Mapping[str, str] = field(default_factory=dict)
    """``Class.attr`` -> the class of that attribute's value."""
    returns: Mapping[str, str] = field(default_factory=dict)
    """A function or method -> the class of what it returns."""
    fixtures: Mapping[str, str] = field(default_factory=dict)
    """A pytest fixture's name -> the class of its value, for untyped test parameters."""
    classes: frozenset[str] = frozenset()
    """The API's classes: calling one makes an instance of it."""
    canonical: Callable[[str], str] = str
    """Maps a qualified name to the one the rules use (``opsux_core.service.X`` -> ``opsux_core.X``)."""


_NOT_KNOWN = "is not known: "


def _innermost(reason: str) -> str:
    return reason.rpartition(_NOT_KNOWN)[2] if _NOT_KNOWN in reason else reason


_FIELD_DECORATORS = frozenset({"dataclass", "define", "frozen", "mutable", "s", "attrs"})
_FIELD_BASES = frozenset({"NamedTuple", "BaseModel", "BaseSettings", "Struct"})


def _constructor_sets_fields(info: ClassOutline) -> bool:
    """A dataclass, attrs class, NamedTuple or pydantic model: its annotated class attributes
    are fields, which the generated constructor sets from its arguments."""
    if _FIELD_DECORATORS & set(info.get("decorators", ())):
        return True
    return any((callee_text(base) or "").rpartition(".")[2] in _FIELD_BASES for base in info["bases"])


@functools.lru_cache(maxsize=256)
def _mutations(name: str) -> re.Pattern[bytes]:
    word = rb"(?<![A-Za-z0-9_])" + re.escape(name.encode()) + rb"(?![A-Za-z0-9_])"
    return re.compile(
        rb"\bdel\s+(?:[A-Za-z0-9_]+\.)*" + re.escape(name.encode()) + rb"\s*\["
        rb"|" + word + rb"\s*\[[^\n]*?\]\s*(?:=(?!=)|[-+*/|&%^@]=|<<=|>>=|//=|\*\*=)"
        rb"|" + word + rb"\s*\.\s*(?:append|extend|insert|update|setdefault|add|pop|popitem|clear|remove|discard|sort|reverse|__setitem__|__delitem__)\s*\("
    )


def _written(e: Expr, kind: str | None = None) -> bool:
    """Whether ``e`` is a dict, list, tuple or set written out (of ``kind``: ``"a tuple"``), its
    elements kept: ``[UNKNOWN, kind, [[key, element], ...]]``."""
    return e[0] == Tag.UNKNOWN and len(e) > 2 and isinstance(e[2], list) and (kind is None or e[1] == kind)


_WRAPPING = frozenset({"enum.nonmember", "enum.member"})
"""Library functions that return their one argument as it is."""


def _reads(e: Expr, names: set[str]) -> bool:
    """Whether the expression reads one of ``names``."""
    if len(e) == 2 and e[0] == Tag.NAME and isinstance(e[1], str):
        return e[1] in names
    # Its parts: expressions, lists of them, a call's keywords (a dict), plain strings.
    parts = [p for part in e for p in (part.values() if isinstance(part, dict) else [part])]
    return any(_reads(part, names) for part in parts if isinstance(part, list))


def _maybe_object(qualified: str) -> bool:
    """Whether a library's ``module.name`` may be an object rather than a module, a function or
    a class: a name from a module (``flask_login.current_user``, ``django.conf.settings``), not
    capitalised like a class. ``import os`` gives a module."""
    owner, _, name = qualified.rpartition(".")
    return bool(owner) and not name[:1].isupper()


def _owned(owner: str, items: list[Item]) -> list[Item]:
    """``items`` with ``owner`` as the :attr:`Value.owner` of the texts that have none yet."""
    return [dataclasses.replace(i, owner=owner) if isinstance(i, Value) and i.owner is None else i for i in items]


def _hop(hop: str, items: list[Item]) -> list[Item]:
    return [_hopped(hop, i) for i in items]


def _hopped(hop: str, item: Item) -> Item:
    """``item`` reached through ``hop``: the evidence of every string it holds starts there."""
    if isinstance(item, Value):
        return _hop_value(hop, item)
    if isinstance(item, Unknown) and item.elements:
        return dataclasses.replace(item, elements=tuple((key, tuple(_hop(hop, list(found)))) for key, found in item.elements))
    if isinstance(item, Unknown) and item.member:
        name, value = item.member
        return dataclasses.replace(item, member=(_hop_value(hop, name), _hop_value(hop, value)))
    return item


def _hop_value(hop: str, value: Value) -> Value:
    return Value(value.text, (hop, *value.chain), value.pattern, value.owner)


_CLASS_BASES = re.compile(rb"^[ \t]*class\s+\w+\s*(?:\[[^\]]*\])?\s*\((.*?)\)\s*:", re.MULTILINE | re.DOTALL)
"""The bases written in a class statement, calls and subscripts among them (``class
Job(namedtuple("J", "kind"), Base):``), over as many lines as they take."""


def _bases_name(written: Sequence[bytes], *names: str) -> bool:
    """Whether one class statement's bases of ``written`` name all of ``names``."""
    words = [re.compile(rb"\b%s\b" % re.escape(name.encode())) for name in names]
    return any(all(word.search(bases) for word in words) for bases in written)


class Resolver:
    def __init__(self, index: ProjectIndex, known: Mapping[str, str] | None = None, api: ApiTypes | None = None) -> None:
        self.index = index
        self.known: Mapping[str, str] = known or {}
        self.api = api or ApiTypes()
        self._memo: dict[tuple[str, str], list[Item]] = {}
        self._local_memo: dict[tuple[Any, ...], list[Item]] = {}
        self._local_type_memo: dict[tuple[Any, ...], list[TypeItem] | None] = {}
        self._type_memo: dict[tuple[str, str], list[TypeItem]] = {}
        self._subclasses: dict[str, list[str]] = {}
        self._descendants: dict[str, tuple[str, ...]] = {}
        self._bases: dict[str, list[bytes] | None] = {}
        self._setting: dict[str, dict[str, list[tuple[str, str, str, ClassOutline]]]] = {}
        self._classes: dict[str, tuple[str, str, ClassOutline] | None] = {}
        self._ancestry: dict[str, frozenset[str]] = {}
        self._sets: dict[str, list[str]] = {}
        self._methods: dict[str, tuple[str, ...]] = {}
        self._families: dict[tuple[str, ...], str | None] = {}
        self._assigning: set[tuple[str, str, str, int]] = set()
        """The local bindings whose values are being evaluated (a name read in its own assignment)."""
        self._at: dict[tuple[str, str], int | Callable[[], int]] = {}
        """The line a function's locals are read at, where it is known (``(module, key)``): the
        site being resolved, or the assignment whose value is being evaluated."""

    def over(self, index: ProjectIndex, fresh: bool = False) -> Resolver:
        """The same resolver over another index (one file replaced by what is being linted);
        ``fresh``: with an empty memo even over the same index."""
        if index is self.index and not fresh:
            return self
        return Resolver(index, self.known, self.api)


    def resolve(
        self, e: Expr, module: str, scope: str | None = None, line: int | Callable[[], int] | None = None
    ) -> Resolution:
        """The strings ``e`` (written in ``module``, inside function ``scope``, on ``line`` if
        known: a local assigned above it in the body's own statements is only what that
        assignment made it) may be. ``line`` may be a function that finds it, called only
        when a local's value depends on it."""
        values: list[Value] = []
        unknowns: list[Unknown] = []
        with self._reading(module, scope, line):
            found = self._eval(e, module, scope, 0)
        for item in found:
            if isinstance(item, Value):
                if item not in values:
                    values.append(item)
            else:
                unknown = item if isinstance(item, Unknown) else self._not_a_string(item, e)
                if unknown is not None and unknown not in unknowns:
                    unknowns.append(unknown)
        return Resolution(tuple(values), tuple(unknowns))

    def rebinds(self, module: str, scope: str | None) -> bool:
        """Whether the function ``scope`` assigns a local in its body's own statements (then
        where a name is read decides what it is: :meth:`resolve`'s ``line``)."""
        function = self._function_outline(module, scope)
        return function is not None and bool(function.get("rebinds"))

    @contextlib.contextmanager
    def _reading(self, module: str, scope: str | None, line: int | Callable[[], int] | None) -> Iterator[None]:
        """Read the locals of ``scope`` as they are on ``line`` (None: anywhere in it)."""
        if scope is None:
            yield
            return
        key = (module, scope)
        before = self._at.get(key)
        if line is None:
            self._at.pop(key, None)
        else:
            self._at[key] = line
        try:
            yield
        finally:
            if before is None:
                self._at.pop(key, None)
            else:
                self._at[key] = before

    def _not_a_string(self, ref: Ref, e: Expr) -> Unknown | None:
        if ref.kind == "external":
            return Unknown(f"`{ref.key}` is defined outside the project's source roots")
        if ref.kind == "class":
            return Unknown(f"`{render(e)}` is the class {ref.key}, not a string")
        if ref.kind == "function":
            return Unknown(f"`{render(e)}` is a function, not a string")
        return Unknown(f"`{render(e)}` is a module, not a string")

    def _eval(self, e: Expr, module: str, scope: str | None, depth: int) -> list[Item]:
        if depth > _MAX_DEPTH:
            return [Unknown(f"`{render(e)}` is defined too many steps away")]
        tag = e[0]
        if tag == Tag.STRING:
            return [Value(e[1])]
        if tag == Tag.NAME:
            return self._name(str(e[1]), module, scope, depth)
        if tag == Tag.ATTRIBUTE:
            return self._attribute(e, module, scope, depth)
        if tag == Tag.CONDITIONAL:
            return [*self._eval(e[1], module, scope, depth + 1), *self._eval(e[2], module, scope, depth + 1)]
        if tag == Tag.CONCAT:
            return self._join([e[1], e[2]], module, scope, depth)
        if tag == Tag.FSTRING:
            return self._join(list(e[1]), module, scope, depth)
        if tag == Tag.CALL:
            return self._call(e, module, scope, depth)
        if tag == Tag.SWITCH:
            return []  # None, True, False: a switch (``log_action=False``), never a value to check
        if tag == Tag.SUBSCRIPT:
            return self._subscript(e, module, scope, depth)
        if _written(e):
            # A dict, list, tuple or set written out: no string, but a subscript of it is one of
            # its values.
            elements = tuple((key, tuple(self._eval(part, module, scope, depth + 1))) for key, part in e[2])
            return [Unknown(str(e[1]), elements=elements)]
        return [Unknown(str(e[1]))]

    def _subscript(self, e: Expr, module: str, scope: str | None, depth: int) -> list[Item]:
        """``KINDS["sync"]``, ``ORDER[0]``: the value at that key of a container written out;
        ``KINDS[action]``, ``{True: a, False: b}[flag]``: any of its values (a key it lacks
        raises); ``Kind["SYNC"]``: the enum's member of that name."""
        each = len(e) > 4 and e[4] == EACH
        containers = self._eval(e[1], module, scope, depth + 1)
        if containers and all(isinstance(c, Unknown) and c.elements is not None for c in containers):
            named = callee_text(e[1])
            changed = self._changed(named.rpartition(".")[2]) if named is not None else None
            if changed is not None:
                return [Unknown(f"`{named}` is changed after it is written ({changed})")]
            if each:
                return self._each(containers)  # the loop's own line says "each item of ..."
            keys = self._keys(e, module, scope, depth)
            found: list[Item] = []
            for container in containers:
                assert isinstance(container, Unknown) and container.elements is not None
                size = len(container.elements)
                wanted = None if keys is None else {k + size if isinstance(k, int) and k < 0 else k for k in keys}
                for key, items in container.elements:
                    # A key that is no literal (``{KIND: ...}``, a set's element) may be any.
                    if wanted is None or key is None or key in wanted:
                        found.extend(items)
            if not found:
                return [Unknown(f"`{render(e[1])}` has no item at {render(e[2])}")]
            return _hop(f"an item of {render(e[1])}", found)
        if containers and all(isinstance(c, Ref) and c.kind == "class" and self._enum_kind(c, depth + 1) for c in containers):
            names = self._keys(e, module, scope, depth)
            if names is not None and all(isinstance(name, str) for name in names):
                # ``Kind[name]`` looks the member up by its name: ``Kind.<name>``.
                return [
                    item for name in sorted(map(str, names))
                    for item in self._eval([Tag.ATTRIBUTE, e[1], name], module, scope, depth + 1)
                ]
        if each:
            return [Unknown(f"{e[2][1]} over `{render(e[1])}`")]
        return [Unknown(f"an item of `{render(e[1])}`")]

    @staticmethod
    def _each(containers: Sequence[Item]) -> list[Item]:
        """What a loop over containers written out takes: a dict's keys, the others' items."""
        found: list[Item] = []
        for container in containers:
            assert isinstance(container, Unknown) and container.elements is not None
            for key, items in container.elements:
                if container.reason != "a dict":
                    found.extend(items)
                elif isinstance(key, str):
                    found.append(Value(key))
                else:
                    found.append(Unknown("a key of a dict that is not written out as a string"))
        return found

    def _keys(self, e: Expr, module: str, scope: str | None, depth: int) -> set[str | int] | None:
        """The keys a subscript may read: its literal, or the strings its key resolves to; None
        when that is not known (any key)."""
        if len(e) > 3 and e[3] is not None:
            return {e[3]}
        items = self._eval(e[2], module, scope, depth + 1)
        if items and all(isinstance(i, Value) and i.pattern is None for i in items):
            return {i.text for i in items if isinstance(i, Value)}
        return None

    def _strings(self, items: Iterable[Item]) -> list[Item]:
        out: list[Item] = []
        for item in items:
            if isinstance(item, Ref) and item.kind == "external":
                key = item.key
                if key in self.known:
                    out.append(Value(self.known[key], (f"{key} = {self.known[key]!r}",)))
                    continue
            out.append(item)
        return out

    # names ------------------------------------------------------------------------------

    def _name(self, name: str, module: str, scope: str | None, depth: int) -> list[Item]:
        summary = self.index.summary(module)
        if summary is None:
            if self.index.unparsed(module):
                return [Unknown(f"`{name}`: Python's ast cannot parse {module} (syntax newer than this Python)")]
            return [Unknown(f"`{name}` is not defined in the project")]
        key = scope
        while key:
            function = summary["functions"].get(key)
            if function is not None:
                found = self._local(name, module, key, function, depth)
                if found is not None:
                    return found
            key = key.rpartition(".")[0]
        return self._strings(self._global(module, name, depth))

    def _local(self, name: str, module: str, key: str, function: FunctionOutline, depth: int) -> list[Item] | None:
        assigned = function["locals"].get(name)
        param = next((p for p in function["params"] if p[0] == name), None)
        if assigned is None and param is None:
            return None
        # ``qs = qs.filter(...)`` ten times over (pretix's querysets): each binding reads the
        # name again, as every other binding but those being evaluated, so the same reading
        # came round once per order of the bindings (10! of them: 45 s for one call). What a
        # reading gives depends on nothing but these (and the outlines).
        memo_key = (module, key, name, depth, frozenset(self._assigning), frozenset(self._at.items()))
        cached = self._local_memo.get(memo_key)
        if cached is None:
            cached = self._local_memo[memo_key] = self._local_uncached(name, module, key, function, depth, assigned, param)
        return list(cached)

    def _local_uncached(
        self, name: str, module: str, key: str, function: FunctionOutline, depth: int,
        assigned: list[Binding] | None, param: list[Any] | None,
    ) -> list[Item]:
        path = self.index.path(module)
        items: list[Item] = []
        # Read below an assignment that every run passes through (``name = ALIASES[name]`` in
        # the body's own statements): what came before it is gone, the parameter too. The
        # later ones stay (a loop may come round to them).
        at = self._at.get((module, key))
        guarded = function.get("guarded", {})
        rebinds = function.get("rebinds", {}).get(name)
        loops = function.get("loops", {}).get(name)
        cut = None
        span: tuple[int, int] | None = None
        if at is not None and (rebinds or loops):
            if callable(at):
                at = self._at[(module, key)] = at()
            # In a loop's body the name is what the loop gives it (or the body assigns it):
            # the innermost loop around the line that binds it.
            span = self._span(module, key, function, name)
            if span is not None:
                cut = span[0]
            else:
                # Each holds below it to the end of its block (an arm, a loop's body): the rest
                # of the function when it names no last line.
                cut = max((r[0] for r in rebinds or () if r[1] < at and (len(r) < 3 or at <= r[2])), default=None)
        for line, value in assigned or ():
            # ``action = PREFIX + action``: the name on the right is what it was before this
            # assignment (the other bindings, the parameter), not this binding again, which
            # would prefix it once more at every level of the recursion.
            binding = (module, key, name, line)
            if binding in self._assigning or (cut is not None and line < cut) or (span is not None and line > span[1]):
                continue
            self._assigning.add(binding)
            try:
                hop = f"{path}:{line} {render(value)}"
                with self._reading(module, key, line):
                    made = _hop(hop, self._eval(value, module, key, depth + 1))
            finally:
                self._assigning.discard(binding)
            guard = tuple((str(prefix), bool(starts)) for at, prefix, starts in guarded.get(name, ()) if at == line)
            if guard and param is not None and len(assigned or ()) == 1:
                # ``if action.startswith("."): action = f"{prefix}{action}"``, the parameter's only
                # reassignment (so the test reads the caller's value): made only for values that
                # pass the test, a template of the parameter applies to those alone.
                made = [
                    dataclasses.replace(item, guard=(*item.guard, *guard))
                    if isinstance(item, Unknown) and item.template is not None and item.param == (f"{module}.{key}", name)
                    else item
                    for item in made
                ]
            items.extend(made)
        if param is not None and cut is None:
            qualified = f"{module}.{key}"
            if param[1] == "var":
                items.append(Unknown(f"`*{name}` of `{key}`"))
            elif param[1] == "varkw":
                items.append(Unknown(f"`**{name}` of `{key}`"))
            else:
                items.append(Unknown(f"parameter `{name}` of `{key}`", (qualified, name), guard=self._narrowed(function, name, module, key)))
                default = param[2]
                if default is not None:
                    hop = f"{path}:{function['line']} default of `{name}` {render(default)}"
                    items.extend(_hop(hop, self._eval(default, module, None, depth + 1)))
        return self._strings(items)

    def _narrowed(self, function: FunctionOutline, name: str, module: str, key: str) -> tuple[tuple[str, bool], ...]:
        """The tests a parameter's own value has failed where it is read (below an ``if
        name.startswith(...)`` whose passing branch rebinds it or returns: :data:`narrowed`)."""
        narrowed = function.get("narrowed", {}).get(name)
        at = self._at.get((module, key)) if narrowed else None
        if at is None:
            return ()
        if callable(at):
            at = self._at[(module, key)] = at()
        return tuple((str(prefix), bool(starts)) for last, prefix, starts in narrowed or () if at > last)

    def _global(self, module: str, name: str, depth: int) -> list[Item]:
        memo_key = (module, name)
        cached = self._memo.get(memo_key)
        if cached is not None:
            return cached
        self._memo[memo_key] = [Unknown(f"`{name}` is defined in terms of itself")]
        found = self._global_uncached(module, name, depth)
        self._memo[memo_key] = found
        return found

    def _global_uncached(self, module: str, name: str, depth: int) -> list[Item]:
        summary = self.index.summary(module)
        if summary is None:
            if self.index.unparsed(module):
                # Inside the source roots, but this Python's ast cannot read it: say so, instead
                # of calling it someone else's code.
                path = self.index.path(module)
                return [Unknown(f"`{name}` is defined in {path}, which this Python cannot parse (a syntax error, or syntax newer than it)")]
            return [Ref("external", module, f"{module}.{name}")]
        path = self.index.path(module)
        items: list[Item] = []
        assigned = summary["assign"].get(name)
        if assigned is not None:
            branched = set(summary.get("branches", {}).get(name, ()))
            if sum(1 for line, _ in assigned if line not in branched) > 1:
                # Assigned again at the top: which one a reader sees depends on when it reads.
                lines = ", ".join(str(line) for line, _ in assigned)
                items.append(Unknown(f"`{name}` is assigned more than once in {path} (lines {lines})"))
            else:
                # One assignment, or the arms of an ``if``/``try`` at module level: any of them.
                for line, value in assigned:
                    hop = f"{path}:{line} {render(value)}"
                    items.extend(_hop(hop, self._eval(value, module, None, depth + 1)))
        if name in summary["defs"]:
            kind = "class" if name in summary["classes"] else "function"
            items.append(Ref(kind, module, name))
        for binding in summary["imports"].get(name, ()):
            if binding[0] == "m":
                target = binding[1]
                items.append(Ref("module", target, target) if target in self.index else Ref("external", target, target))
            else:
                items.extend(self._qualified(f"{binding[1]}.{binding[2]}", depth + 1))
        if not items:
            for base in summary["stars"]:
                if base in self.index and name in self.index.exports(base):
                    items.extend(self._global(base, name, depth + 1))
        if not items:
            if name in _BUILTINS:
                return [Unknown(f"the builtin `{name}`")]
            return [Unknown(f"`{name}` is not defined in {path}")]
        return items

    def _qualified(self, qualified: str, depth: int) -> list[Item]:
        split = self.index.split(qualified)
        if split is None:
            return [Ref("external", qualified, qualified)]
        module, rest = split
        if not rest:
            return [Ref("module", module, module)]
        items = self._global(module, rest[0], depth + 1)
        for attr in rest[1:]:
            items = [out for item in items for out in self._member_of(item, attr, ["n", attr], depth + 1)]
        return items

    # attributes -------------------------------------------------------------------------

    def _attribute(self, e: Expr, module: str, scope: str | None, depth: int) -> list[Item]:
        attr = str(e[2])
        base = e[1]
        if attr == "label" and base[0] == Tag.ATTRIBUTE:
            label = self._choice_label(base, module, scope, depth)
            if label is not None:
                return label
        if attr in ("value", "name") and base[0] == Tag.ATTRIBUTE:
            # ``Kind.SYNC.value`` / ``Kind.SYNC.name``: the member's value, or its name.
            owners = self._eval(base[1], module, scope, depth + 1)
            if owners and all(isinstance(o, Ref) and o.kind == "class" for o in owners):
                items: list[Item] = []
                for owner in owners:
                    assert isinstance(owner, Ref)
                    if attr == "name":
                        items.append(Value(str(base[2]), (f"{owner.key}.{base[2]}.name",)))
                    else:
                        items.extend(self._class_member(owner, str(base[2]), depth + 1))
                return self._strings(items)
        if base[0] == Tag.NAME:
            receiver = self._receiver_class(str(base[1]), module, scope)
            if receiver is not None:
                return self._instance_attribute(receiver, attr, e, depth + 1)
        bases = self._eval(base, module, scope, depth + 1)
        if base[0] == Tag.NAME and bases and all(isinstance(b, Unknown) for b in bases):
            # An object of a project class, by what types it (``e = SyncError()``, ``job: Job``,
            # ``except SyncError as e``): its attribute as the class and its subclasses set it,
            # as for ``self``. Only of a name: typing every attribute chain's object cost
            # pretix's run a third more.
            classes = self._instance_classes(base, module, scope, depth + 1)
            if classes:
                return [item for cls in classes for item in self._instance_attribute(cls, attr, e, depth + 1)]
        return self._strings(out for item in bases for out in self._member_of(item, attr, e, depth + 1))

    def _instance_classes(self, e: Expr, module: str, scope: str | None, depth: int) -> list[str]:
        """The project classes ``e`` is an object of, when that is all it can be (else none)."""
        items = self.types(e, module, scope, depth)
        classes = [i.cls for i in items if isinstance(i, Instance) and not i.of_class and self._project_class(i.cls) is not None]
        return sorted(set(classes)) if items and len(classes) == len(items) else []

    def _choice_label(self, member: Expr, module: str, scope: str | None, depth: int) -> list[Item] | None:
        """``Kind.SYNC.label`` of a Django ``TextChoices``: the label written after the value, or
        the one Django makes from the name. None when ``Kind`` is no such class."""
        owners = self._eval(member[1], module, scope, depth + 1)
        if not owners or not all(
            isinstance(o, Ref) and o.kind == "class" and self._enum_kind(o, depth + 1) == "text-choices" for o in owners
        ):
            return None
        name = str(member[2])
        items: list[Item] = []
        for owner in owners:
            assert isinstance(owner, Ref)
            info = self._class_info(owner)
            bindings = info["members"].get(name, []) if info is not None else []
            path = self.index.path(owner.module)
            if len(bindings) == 1:
                line, value = bindings[0]
                if _written(value, "a tuple") and len(value[2]) > 1:
                    label = value[2][1][1]  # ``(value, label)``: each element after its position
                    hop = f"{path}:{line} label {render(label)}"
                    items.extend(_hop(hop, self._eval(label, owner.module, None, depth + 1)))
                else:
                    label = name.replace("_", " ").title()
                    items.append(Value(label, (f"{path}:{line} {owner.key}.{name} has no label: Django makes {label!r} of its name",)))
            else:
                items.append(Unknown(f"`{owner.key}.{name}` is not a member the index can see"))
        return self._strings(items)

    def imported_names(self, module: str) -> list[str]:
        """The names ``module`` binds by importing them (star imports aside)."""
        summary = self.index.summary(module)
        return list(summary["imports"]) if summary is not None else []

    def class_strings(self, e: Expr, module: str) -> list[str]:
        """The string literals the class ``e`` names (a project class) holds in its own body:
        enum members, class constants."""
        found: list[str] = []
        for item in self._eval(e, module, None, 0):
            info = self._class_info(item) if isinstance(item, Ref) and item.kind == "class" else None
            if info is not None:
                found.extend(value[1] for assigned in info["members"].values() for _, value in assigned if value[0] == Tag.STRING)
        return found

    def is_class(self, name: str) -> bool:
        """Whether ``name`` is a class of the API or of the project."""
        return self.api.canonical(name) in self.api.classes or self._project_class(name) is not None

    def subclasses(self, cls: str) -> list[str]:
        """Every class of the project that derives from ``cls``, directly or not (a subclass's
        module names its base, so only the modules that mention it are outlined)."""
        cached = self._descendants.get(cls)
        if cached is None:
            found: dict[str, None] = {}
            stack = [cls]
            while stack:
                current = stack.pop()
                for sub in self._direct_subclasses(current):
                    if sub not in found and sub != cls:
                        found[sub] = None
                        stack.append(sub)
            cached = self._descendants[cls] = tuple(found)
        return list(cached)

    def _is_protocol(self, cls: str) -> bool:
        """A project class that derives from ``typing.Protocol`` directly (``Protocol[T]`` too)."""
        located = self._project_class(cls)
        if located is None:
            return False
        module, _, info = located
        for base in info["bases"]:
            written = base[1] if base[0] == Tag.SUBSCRIPT else base
            for owner in self._eval(written, module, None, 1):
                if isinstance(owner, Ref) and owner.kind == "external" and owner.key.rsplit(".", 1)[-1] == "Protocol":
                    return True
        return False

    def may_dispatch_to(self, method: str, virtual: Collection[str]) -> bool:
        """Whether a call of one of ``virtual`` (``mod.Base.record``: ``record`` on an object typed
        ``Base``) may run ``method`` (``mod.Sub.record``): ``Sub`` derives from ``Base``, so the
        object may be one (an abstract method, a no-op hook that a subclass overrides)."""
        cls, _, attr = method.rpartition(".")
        bases = {v.rpartition(".")[0] for v in virtual if v.rpartition(".")[2] == attr}
        if not bases:
            return False
        if not bases.isdisjoint(self._ancestors(cls)):
            return True
        # A mixin's method that only the subclasses mixing it in have (AWX's
        # ``UnifiedJob.objects.get(...).send_notification_templates(...)``, defined by
        # ``JobNotificationMixin`` of ``Job(UnifiedJob, JobNotificationMixin)``): looked for only
        # when the base has no such method, among the classes of the modules that name both (a
        # class that mixes them in names them; only those modules are outlined).
        lacking = {base for base in bases if not self._defines(self.method_owner(base, attr))}
        if not lacking:
            return False
        mixin, named = cls.rpartition(".")[2], sorted({base.rpartition(".")[2] for base in lacking})
        both = set(self.index.mentioning([mixin])) & set(self.index.mentioning(named))
        for module in sorted(both):
            if not any(_bases_name(self._written_bases(module) or (), mixin, name) for name in named):
                continue  # no class statement of the module names both among its bases
            summary = self.index.summary(module)
            for key in summary["classes"] if summary is not None else ():
                ancestors = self._ancestors(f"{module}.{key}")
                if cls in ancestors and not lacking.isdisjoint(ancestors) and self.method_owner(f"{module}.{key}", attr) == method:
                    return True
        return False

    def owners_for(self, cls: str, owners: Collection[str]) -> frozenset[str]:
        """Of ``owners``, classes that each define an attribute (:attr:`Value.owner`), those whose
        definition an object typed ``cls`` may have: its own or, when it has none, its nearest
        ancestors' (what it inherits), and its subclasses' (it may be of one)."""
        found = {k for k in owners if k == cls or cls in self._ancestors(k)}
        if cls not in owners:
            above = [k for k in owners if k in self._ancestors(cls)]
            found |= {k for k in above if not any(k in self._ancestors(other) for other in above if other != k)}
        return frozenset(found)

    def _ancestors(self, cls: str, depth: int = 0) -> frozenset[str]:
        """The project classes ``cls`` derives from, directly or not."""
        cached = self._ancestry.get(cls)
        if cached is not None:
            return cached
        self._ancestry[cls] = frozenset()  # a cycle of bases ends here
        located = self._project_class(cls)
        found: set[str] = set()
        if located is not None and depth <= _MAX_DEPTH:
            module, _, info = located
            for base in info["bases"]:
                for owner in self._class_of_reference(base, module, depth + 1):
                    if isinstance(owner, Instance) and self._project_class(owner.cls) is not None:
                        found.add(owner.cls)
                        found |= self._ancestors(owner.cls, depth + 1)
        self._ancestry[cls] = frozenset(found)
        return self._ancestry[cls]

    def _direct_subclasses(self, cls: str) -> list[str]:
        cached = self._subclasses.get(cls)
        if cached is not None:
            return cached
        self._subclasses[cls] = []
        simple = cls.rsplit(".", 1)[-1]
        direct: list[str] = []
        # A subclass names its base in its class statement (the walk below reads only those):
        # the modules that mention the name elsewhere (a form's tests, a view's) are not outlined.
        written = [
            m for m in self.index.mentioning([simple])
            if (bases := self._written_bases(m)) is None or _bases_name(bases, simple)  # None: known by its outline only
        ]
        for module, entry in self.index.entries(written):
            for key, info in entry.summary["classes"].items():
                for base in info["bases"]:
                    if simple not in render(base):
                        continue
                    for owner in self._eval(base, module, None, 1):
                        if isinstance(owner, Ref) and owner.kind == "class" and f"{owner.module}.{owner.key}" == cls:
                            direct.append(f"{module}.{key}")
        self._subclasses[cls] = direct
        return direct

    def _written_bases(self, module: str) -> list[bytes] | None:
        """The bases each class statement of the module's source writes (None: the module is
        known by its outline only): read once, asked of the same modules for every class."""
        if module not in self._bases:
            source = self.index.source(module)
            self._bases[module] = _CLASS_BASES.findall(source) if source is not None else None
        return self._bases[module]

    def methods_named(self, name: str) -> tuple[str, ...]:
        """Every method of the project called ``name`` (``mod.Class.name``), static ones too."""
        cached = self._methods.get(name)
        if cached is None:
            owners: list[str] = []
            for module, entry in self.index.entries(self.index.mentioning([name])):
                classes = entry.summary["classes"]
                for key in entry.summary["functions"]:
                    parent, _, method = key.rpartition(".")
                    if method == name and parent in classes:
                        owners.append(f"{module}.{key}")
            cached = self._methods[name] = tuple(sorted(set(owners)))
        return cached

    def accepts(self, method: str, shape: CallShape) -> bool:
        """Whether a call of this shape through an instance can be a call of ``method``: its
        signature takes the positional arguments and every keyword, none of them twice, and
        nothing it requires is missing. A call that spreads ``*args``/``**kwargs`` may be any call."""
        located = self.index.locate(method, "functions")
        if located is None:
            return False
        function = located[2]
        if shape.spread:
            return True
        params = function["params"]
        if function.get("kind") in ("method", "classmethod") and params and params[0][1] in ("pos", "posonly"):
            params = params[1:]
        positional = [p for p in params if p[1] in ("posonly", "pos")]
        if shape.positional > len(positional) and not any(p[1] == "var" for p in params):
            return False
        by_keyword = {p[0] for p in params if p[1] in ("pos", "kwonly")}
        if not shape.keywords <= by_keyword and not any(p[1] == "varkw" for p in params):
            return False
        by_position = {p[0] for p in positional[: shape.positional]}
        if by_position & shape.keywords:
            return False  # a parameter given twice: a TypeError, so not this method
        filled = by_position | shape.keywords
        return all(p[0] in filled for p in params if p[1] in ("posonly", "pos", "kwonly") and p[2] is None)

    def family_top(self, methods: Sequence[str]) -> str | None:
        """The method of ``methods`` that every other one overrides, if there is one: a call of
        that name on an object of unknown type is then most likely one of that family."""
        if not methods:
            return None
        key = tuple(methods)
        if key not in self._families:
            name = methods[0].rpartition(".")[2]
            self._families[key] = self._family_top([m.rpartition(".")[0] for m in methods], name)
        return self._families[key]

    def _family_top(self, owners: list[str], name: str) -> str | None:
        if len(set(owners)) == 1:
            return f"{owners[0]}.{name}"
        for top in owners:
            family = {top, *self.subclasses(top)}
            if all(owner in family for owner in owners):
                return f"{top}.{name}"
        return None

    def _receiver_class(self, name: str, module: str, scope: str | None) -> str | None:
        """The class ``name`` is ``self`` (or ``cls``) of, inside a method of the project."""
        summary = self.index.summary(module)
        key = scope
        while key and summary is not None:
            function = summary["functions"].get(key)
            if function is not None:
                params = function["params"]
                if any(p[0] == name for p in params) or name in function["locals"]:
                    if function.get("kind") in ("method", "classmethod") and params and params[0][0] == name:
                        return f"{module}.{key.rpartition('.')[0]}"
                    return None
            key = key.rpartition(".")[0]
        return None

    def _instance_attribute(self, cls: str, attr: str, e: Expr, depth: int, seen: frozenset[str] = frozenset()) -> list[Item]:
        """``self.attr``: every value a method of the class (or a base in the project) assigns
        it, each in its method (a parameter there makes that method a wrapper), and the
        class-level default."""
        located = self._project_class(cls)
        if located is None or cls in seen or depth > _MAX_DEPTH:
            return [Unknown(f"the instance attribute `{render(e)}`")]
        module, _, info = located
        path = self.index.path(module)
        items: list[Item] = []
        for line, value, _typed, method in info.get("attrs", {}).get(attr, ()):
            hop = f"{path}:{line} {render(value)}"
            items.extend(_owned(cls, _hop(hop, self._eval(value, module, method, depth + 1))))
        for line, value in info["members"].get(attr, ()):
            hop = f"{path}:{line} {render(value)}"
            items.extend(_owned(cls, _hop(hop, self._eval(value, module, None, depth + 1))))
        if attr in info["members"] and attr in info["annotations"] and _constructor_sets_fields(info):
            # ``name: str = "x"`` in a dataclass: the default, or whatever ``Ev(name=...)`` passes.
            items.append(Unknown(f"`{attr}` is a field of `{cls}`, which its constructor sets"))
        returned = self._property_values(cls, attr, depth)
        if returned is not None:
            return self._strings(returned)
        if attr in info["members"] or attr in info.get("attrs", {}):
            # A subclass may set it differently and inherit the method that reads it (a base's
            # ``KIND = None``, each concrete class's own: None is no value, theirs are); code
            # outside the class may set it on an instance (``job.kind = ...``).
            items += self._subclass_values(cls, attr, depth)
            return self._strings(items + self._set_outside(cls, attr, items, depth))
        for base in info["bases"]:
            for owner in self._eval(base, module, None, depth + 1):
                if isinstance(owner, Ref) and owner.kind == "class":
                    found = self._instance_attribute(f"{owner.module}.{owner.key}", attr, e, depth + 1, seen | {cls})
                    if not (len(found) == 1 and isinstance(found[0], Unknown) and found[0].reason.startswith("the instance attribute")):
                        return found
        # Set only by subclasses (an instance that reads it is of one of them), or from outside.
        inherited = self._subclass_values(cls, attr, depth)
        inherited += self._set_outside(cls, attr, inherited, depth)
        return self._strings(inherited) if inherited else [Unknown(f"the instance attribute `{render(e)}`")]

    def _set_outside(self, cls: str, attr: str, known: Sequence[Item], depth: int) -> list[Item]:
        """What code outside the class's own methods sets ``attr`` to on an object that may be of
        ``cls`` (its own class, a subclass's or a base's instance, or the class itself):
        ``job.kind = ...`` after ``job = Job()``, ``Job.kind = ...``, ``setattr(job, "kind", ...)``,
        ``JobView.as_view(kind=...)``. An object of a type not known is not counted. Looked for
        only when the class itself gives the attribute a string (``known``): an attribute that
        holds a service or a request is read for its type, and set from outside everywhere in
        tests (on warehouse, looking for those outlined 59 more modules)."""
        if not any(isinstance(item, Value) for item in known):
            return []
        related = {cls, *self._ancestors(cls)}
        # An object of the class is made or typed by a module that names it, a base or a
        # subclass (a module that names none of them sets the attribute on something else).
        names: set[str] | None = None
        items: list[Item] = []
        for module in self._outside_sets(attr):
            if names is None:
                names = {c.rsplit(".", 1)[-1] for c in (*related, *self.subclasses(cls))}
            summary = self.index.summary(module) if any(self.index.mentions(module, n) for n in names) else None
            for line, owner, value, scope in summary.get("sets", {}).get(attr, ()) if summary is not None else ():
                self._set_by(cls, attr, related, module, line, owner, value, scope, depth, items)
        return items

    def _set_by(
        self, cls: str, attr: str, related: set[str], module: str, line: int, owner: Expr, value: Expr, scope: str,
        depth: int, items: list[Item],
    ) -> None:
        """Add to ``items`` what one outside assignment sets, when its object may be of ``cls``."""
        at = scope or None
        owners = [*self.types(owner, module, at, depth + 1), *self._eval(owner, module, at, depth + 1)]
        classes = [o.cls for o in owners if isinstance(o, Instance)]
        classes += [f"{o.module}.{o.key}" for o in owners if isinstance(o, Ref) and o.kind == "class"]
        if not any(c in related or cls in self._ancestors(c) for c in classes):
            return
        hop = f"{self.index.path(module)}:{line} {render(owner)}.{attr} = {render(value)}"
        with self._reading(module, at, line):
            items.extend(_hop(hop, self._eval(value, module, at, depth + 1)))

    def _outside_sets(self, attr: str) -> list[str]:
        """The modules whose text may set ``attr`` on an object other than ``self`` or ``cls``
        (:func:`~opsux_lint.analysis.mentions.setter`; nothing is outlined)."""
        cached = self._sets.get(attr)
        if cached is None:
            # A search like a word's (and recorded as one): a cached result stays valid through
            # an edit that neither starts nor stops setting the attribute.
            cached = self._sets[attr] = self.index.mentioning([setter(attr)])
        return cached

    def _property_values(self, cls: str, attr: str, depth: int) -> list[Item] | None:
        """``self.kind`` of a ``@property`` (or ``cached_property``) ``kind`` of ``cls``: what it
        returns, there and in each subclass that overrides it; None when ``cls`` has no such
        property (an inherited one is found through the base)."""
        if self._property(cls, attr) is None:
            return None
        items: list[Item] = []
        for owner in (cls, *self.subclasses(cls)):
            found = self._property(owner, attr)
            if found is None:
                continue
            module, key, function = found
            path = self.index.path(module)
            for result in function["results"] or [[Tag.UNKNOWN, f"the property `{key}` returns nothing"]]:
                hop = f"`{key}` returns {render(result)} ({path}:{function['line']})"
                with self._reading(module, key, None):
                    items.extend(_owned(owner, _hop(hop, self._eval(result, module, key, depth + 1))))
        return items

    def _property(self, cls: str, attr: str) -> tuple[str, str, FunctionOutline] | None:
        """``(module, key, outline)`` of the class's own property ``attr``, if it has one."""
        located = self._project_class(cls)
        summary = self.index.summary(located[0]) if located is not None else None
        if located is None or summary is None:
            return None
        key = f"{located[1]}.{attr}"
        function = summary["functions"].get(key)
        if function is None or not {"property", "cached_property"} & set(function["decorators"]):
            return None
        return located[0], key, function

    def _subclass_values(self, cls: str, attr: str, depth: int) -> list[Item]:
        """What the project's subclasses of ``cls`` set ``attr`` to, in their methods or bodies."""
        items: list[Item] = []
        for sub, sub_module, sub_path, sub_info in self._subclasses_setting(cls).get(attr, ()):
            for line, value, _typed, method in sub_info.get("attrs", {}).get(attr, ()):
                items.extend(_owned(sub, _hop(f"{sub_path}:{line} {render(value)}", self._eval(value, sub_module, method, depth + 1))))
            for line, value in sub_info["members"].get(attr, ()):
                items.extend(_owned(sub, _hop(f"{sub_path}:{line} {render(value)}", self._eval(value, sub_module, None, depth + 1))))
        return items

    def _subclasses_setting(self, cls: str) -> Mapping[str, list[tuple[str, str, str, ClassOutline]]]:
        """The project's subclasses of ``cls`` (``(class, module, path, outline)``, in the order of
        :meth:`subclasses`) by each attribute they set: every ``self.x`` read in a base asks for
        one attribute of them all (pretix's models: hundreds of ``LoggedModel`` subclasses, asked
        30,000 times)."""
        cached = self._setting.get(cls)
        if cached is None:
            cached = self._setting[cls] = {}
            for sub in self.subclasses(cls):
                located = self._project_class(sub)
                if located is not None:
                    module, _, info = located
                    entry = (sub, module, self.index.path(module), info)
                    for attr in {*info.get("attrs", {}), *info["members"]}:
                        cached.setdefault(attr, []).append(entry)
        return cached

    def _member_of(self, item: Item, attr: str, e: Expr, depth: int) -> list[Item]:
        if isinstance(item, Value):
            if attr == "value":
                return [item]  # a known constant's member: its value is the value
            return [Unknown(f"an attribute of the string {item.text!r}")]
        if isinstance(item, Unknown):
            if item.param is not None:
                if item.param[1] in ("self", "cls"):
                    return [Unknown(f"the instance attribute `{render(e)}`")]
                return [Unknown(f"the attribute `{render(e)}` of {item.reason}")]
            return [item]
        if item.kind == "external":
            return [Ref("external", item.module, f"{item.key}.{attr}")]
        if item.kind == "module":
            submodule = f"{item.module}.{attr}"
            if submodule in self.index:
                return [Ref("module", submodule, submodule)]
            return self._global(item.module, attr, depth)
        if item.kind == "class":
            found = self._class_member(item, attr, depth)
            if any(isinstance(f, Value) for f in found) and self._plain_enum(item, depth + 1):
                # ``Kind.SYNC`` of ``class Kind(Enum)`` is the member: the sink gets no string
                # (``Kind.SYNC.value`` is one), whatever the member holds.
                strings = [f for f in found if isinstance(f, Value)]
                values = ", ".join(repr(f.text) for f in strings)
                reason = f"`{item.key}.{attr}` is a member of the Enum `{item.key}`, not a string (its `.value` is {values})"
                name = Value(attr, (f"`{item.key}.{attr}`.name",))
                return [Unknown(reason, member=(name, value)) for value in strings]
            return found
        return [Unknown(f"an attribute of the function `{item.key}`")]

    def _plain_enum(self, ref: Ref, depth: int) -> bool:
        """An Enum whose members are no strings: neither a ``StrEnum``, Django's ``TextChoices``
        nor ``class Kind(str, Enum)``."""
        return self._enum_kind(ref, depth) == "enum" and not self._mixes_str(ref, depth)

    def _mixes_str(self, ref: Ref, depth: int, seen: frozenset[str] = frozenset()) -> bool:
        """Whether the class has ``str`` among its bases, or a project class of its bases has."""
        info = self._class_info(ref)
        marker = f"{ref.module}.{ref.key}"
        if info is None or marker in seen or depth > _MAX_DEPTH:
            return False
        for base in info["bases"]:
            if base == [Tag.NAME, "str"]:
                return True
            for owner in self._eval(base, ref.module, None, depth + 1):
                if isinstance(owner, Ref) and owner.kind == "class" and self._mixes_str(owner, depth + 1, seen | {marker}):
                    return True
        return False

    def _class_info(self, ref: Ref) -> ClassOutline | None:
        summary = self.index.summary(ref.module)
        return summary["classes"].get(ref.key) if summary is not None else None

    def _class_member(self, ref: Ref, attr: str, depth: int, seen: frozenset[str] = frozenset()) -> list[Item]:
        info = self._class_info(ref)
        if info is None or depth > _MAX_DEPTH:
            return [Unknown(f"`{ref.key}.{attr}` cannot be found")]
        path = self.index.path(ref.module)
        members = info["members"].get(attr)
        if members is not None:
            if len(members) > 1:
                return [Unknown(f"`{ref.key}.{attr}` is assigned more than once in {path}")]
            line, value = members[0]
            if value[0] == Tag.CALL and value[1] in (["n", "auto"], ["a", ["n", "enum"], "auto"], ["a", ["n", "models"], "auto"]):
                kind = self._enum_kind(ref, depth + 1)
                if kind in ("str", "text-choices"):
                    text = attr.lower() if kind == "str" else attr
                    return [Value(text, (f"{path}:{line} {ref.key}.{attr} = auto() -> {text!r}",))]
                return [Unknown(f"`{ref.key}.{attr}` is auto() in an enum that is not a StrEnum")]
            if _written(value, "a tuple") and self._enum_kind(ref, depth + 1) == "text-choices":
                # ``SYNC = "inventory.sync", "Inventory sync"``: the value, then the label.
                first = value[2][0][1]
                hop = f"{path}:{line} {render(first)}"
                return self._strings(_hop(hop, self._eval(first, ref.module, None, depth + 1)))
            hop = f"{path}:{line} {render(value)}"
            return self._strings(_hop(hop, self._eval(value, ref.module, None, depth + 1)))
        if attr in info["nested"]:
            return [Ref("class", ref.module, f"{ref.key}.{attr}")]
        marker = f"{ref.module}.{ref.key}"
        for base in info["bases"]:
            for owner in self._eval(base, ref.module, None, depth + 1):
                if isinstance(owner, Ref) and owner.kind == "class" and f"{owner.module}.{owner.key}" not in seen:
                    found = self._class_member(owner, attr, depth + 1, seen | {marker})
                    if not (len(found) == 1 and isinstance(found[0], Unknown) and "cannot be found" in found[0].reason):
                        return found
        return [Unknown(f"`{ref.key}.{attr}` is not a class attribute (a method, property or inherited from outside the project)")]

    def _enum_kind(self, ref: Ref, depth: int, seen: frozenset[str] = frozenset()) -> str | None:
        """``"str"`` for a StrEnum, ``"text-choices"`` for Django's ``TextChoices``, ``"enum"``
        for another Enum (``IntegerChoices`` too), None for a plain class."""
        info = self._class_info(ref)
        marker = f"{ref.module}.{ref.key}"
        if info is None or marker in seen or depth > _MAX_DEPTH:
            return None
        kinds: set[str] = set()
        for base in info["bases"]:
            for owner in self._eval(base, ref.module, None, depth + 1):
                if isinstance(owner, Ref) and owner.kind == "external":
                    if owner.key in _STR_ENUM_BASES:
                        kinds.add("str")
                    elif owner.key in _TEXT_CHOICES_BASES:
                        kinds.add("text-choices")
                    elif owner.key in _ENUM_BASES or owner.key in _CHOICES_BASES:
                        kinds.add("enum")
                elif isinstance(owner, Ref) and owner.kind == "class":
                    kind = self._enum_kind(owner, depth + 1, seen | {marker})
                    if kind is not None:
                        kinds.add(kind)
        for kind in ("str", "text-choices", "enum"):
            if kind in kinds:
                return kind
        return None

    # calls, f-strings ---------------------------------------------------------------------

    def _call(self, e: Expr, module: str, scope: str | None, depth: int) -> list[Item]:
        func, args = e[1], e[2]
        targets = self._eval(func, module, scope, depth + 1)
        if targets and len(args) == 1 and all(
            isinstance(t, Ref) and t.kind == "class" and self._enum_kind(t, depth + 1) for t in targets
        ):
            # ``MyEnum("x")`` looks the member up by value: it is that value, when members are strings.
            plain = next((t for t in targets if isinstance(t, Ref) and self._plain_enum(t, depth + 1)), None)
            if plain is not None:
                return [Unknown(f"`{render(e)}` is a member of the Enum `{plain.key}`, not a string")]
            return self._eval(args[0], module, scope, depth + 1)
        if func[0] == Tag.NAME and func[1] == "str" and len(args) == 1:
            return self._eval(args[0], module, scope, depth + 1)
        if len(args) == 1 and targets and all(isinstance(t, Ref) and t.kind == "external" and t.key in _WRAPPING for t in targets):
            # ``enum.nonmember({...})`` in an Enum's body keeps the dict as it is written.
            return self._eval(args[0], module, scope, depth + 1)
        if func[0] == Tag.ATTRIBUTE and not e[3] and not e[4]:
            method = func[2]
            if method == "get" and 1 <= len(args) <= 2:
                got = self._dict_get(func[1], args, module, scope, depth)
                if got is not None:
                    return got
            elif method in _CASE_METHODS and not args:
                return self._recased(e, method, self._eval(func[1], module, scope, depth + 1))
        if targets and all(isinstance(t, Ref) and t.kind == "function" for t in targets):
            returned = self._returned([t for t in targets if isinstance(t, Ref)], depth)
            if returned is not None:
                return returned
        if func[0] == Tag.ATTRIBUTE and func[1][0] == Tag.NAME:
            receiver = self._receiver_class(str(func[1][1]), module, scope)
            if receiver is not None:
                returned = self._method_returned(receiver, str(func[2]), depth)
                if returned is not None:
                    return returned
        return [Unknown(f"the result of calling `{render(func)}`")]

    def _dict_get(self, container: Expr, args: Sequence[Expr], module: str, scope: str | None, depth: int) -> list[Item] | None:
        """``KINDS.get(key, default)`` of a dict written out: the item at ``key`` (any item for a
        key not known), else the default (``None`` when none is given: a switch, not checked);
        None when the dict is not written out."""
        dicts = self._eval(container, module, scope, depth + 1)
        if not dicts or not all(isinstance(d, Unknown) and d.elements is not None and d.reason == "a dict" for d in dicts):
            return None
        key = args[0]
        literal = key[1] if key[0] == Tag.STRING else None
        holding = [any(k == literal for k, _ in d.elements or ()) for d in dicts if isinstance(d, Unknown)]
        found: list[Item] = []
        if literal is None or any(holding):
            found = self._subscript([Tag.SUBSCRIPT, container, key, literal], module, scope, depth + 1)
        if literal is not None and all(holding):
            return found
        if len(args) == 2:
            found.extend(_hop(f"the default of `{render(container)}.get`", self._eval(args[1], module, scope, depth + 1)))
        return found

    @staticmethod
    def _recased(e: Expr, method: str, items: Sequence[Item]) -> list[Item]:
        """``kind.lower()``, ``" x ".strip()``: what the method makes of each known string; the
        rest stay unknown, a parameter's too (its callers' values are not what the sink gets)."""
        out: list[Item] = []
        for item in items:
            if isinstance(item, Value) and item.pattern is None:
                out.append(Value(getattr(item.text, method)(), (*item.chain, f".{method}() -> {getattr(item.text, method)()!r}")))
            elif isinstance(item, Unknown):
                out.append(Unknown(f"`{render(e)}` of {item.reason}"))
            else:
                out.append(Unknown(f"the result of calling `{render(e[1])}`"))
        return out

    def _changed(self, name: str) -> str | None:
        """Where a module of the project may change the container ``name`` in place
        (``NAME[key] = ...``, ``NAME.append(...)``, ``del NAME[key]``; read from the source
        text, so a look-alike counts too: an unknown, never a wrong value); None when none does."""
        pattern = _mutations(name)
        for module in self.index.mentioning([name]):
            data = self.index.source(module)
            found = pattern.search(data) if data is not None else None
            if found is not None:
                line = data.count(b"\n", 0, found.start()) + 1 if data is not None else 0
                return f"{self.index.path(module)}:{line}"
        return None

    def _returned(self, functions: Sequence[Ref], depth: int) -> list[Item] | None:
        """What project functions return when what they return reads none of their parameters
        (``def _kind(): return "inventory.sync"``) and is known; None when one's does, or it
        returns nothing or something unknown, or a decorator may make its result something else."""
        items: list[Item] = []
        for ref in functions:
            summary = self.index.summary(ref.module)
            function = summary["functions"].get(ref.key) if summary is not None else None
            if function is None or function["kind"] != "function" or function["decorators"] or not function["results"]:
                return None
            params = {str(param[0]) for param in function["params"]}
            if any(_reads(result, params) for result in function["results"]):
                return None  # what the call passes decides: not followed here
            path = self.index.path(ref.module)
            for result in function["results"]:
                hop = f"`{ref.key}()` returns {render(result)} ({path}:{function['line']})"
                with self._reading(ref.module, ref.key, None):
                    items.extend(_hop(hop, self._eval(result, ref.module, ref.key, depth + 1)))
        if not all(isinstance(item, Value) or (isinstance(item, Unknown) and item.elements is not None) for item in items):
            return None  # (a local that holds a parameter, a value from elsewhere): the call is the reason
        return items

    def _method_returned(self, cls: str, name: str, depth: int) -> list[Item] | None:
        """``self.get_kind()`` in a method of ``cls``: what the method returns, as ``cls`` has it
        (its own or a base's) and in each subclass that overrides it (the template-method
        pattern: the base calls the hook, each subclass returns its constant). None, as for
        :meth:`_returned`, when one of them reads a parameter besides ``self``, returns
        nothing or something unknown, is decorated, or is not a plain method."""
        inherited = self._method_of(cls, name, depth)
        if inherited is None:
            return None
        methods = [inherited]
        for sub in self.subclasses(cls):
            located = self._project_class(sub)
            if located is None:
                continue
            if name in located[2]["members"]:
                return None  # ``get_kind = staticmethod(...)`` in a subclass: not followed
            summary = self.index.summary(located[0])
            function = summary["functions"].get(f"{located[1]}.{name}") if summary is not None else None
            if function is not None:
                methods.append((located[0], f"{located[1]}.{name}", function))
        items: list[Item] = []
        for module, key, function in methods:
            if function["kind"] != "method" or function["decorators"] or not function["results"]:
                return None
            params = {str(param[0]) for param in function["params"][1:]}
            if any(_reads(result, params) for result in function["results"]):
                return None  # what the call passes decides: not followed here
            path = self.index.path(module)
            for result in function["results"]:
                hop = f"`{key}()` returns {render(result)} ({path}:{function['line']})"
                with self._reading(module, key, None):
                    items.extend(_hop(hop, self._eval(result, module, key, depth + 1)))
        if not all(isinstance(item, Value) or (isinstance(item, Unknown) and item.elements is not None) for item in items):
            return None  # (an attribute set elsewhere, a value from elsewhere): the call is the reason
        return items

    def _method_of(self, cls: str, name: str, depth: int) -> tuple[str, str, FunctionOutline] | None:
        """``(module, key, outline)`` of the method ``name`` that instances of ``cls`` have: its
        own or the nearest project base's; None when it comes from outside the project."""
        located = self._project_class(cls)
        if located is None or depth > _MAX_DEPTH:
            return None
        module, key, info = located
        summary = self.index.summary(module)
        function = summary["functions"].get(f"{key}.{name}") if summary is not None else None
        if function is not None:
            return module, f"{key}.{name}", function
        if name in info["members"]:
            return None  # ``get_kind = other_function``: not followed
        for base in info["bases"]:
            for owner in self._eval(base, module, None, depth + 1):
                if isinstance(owner, Ref) and owner.kind == "class":
                    found = self._method_of(f"{owner.module}.{owner.key}", name, depth + 1)
                    if found is not None:
                        return found
        return None

    def _join(self, parts: Sequence[Expr], module: str, scope: str | None, depth: int) -> list[Item]:
        # Each part: the strings it may be, or None for a placeholder that cannot be known.
        options: list[list[Value] | None] = []
        shown: list[str] = []
        unknowns: list[Unknown] = []
        for part in parts:
            if part[0] == Tag.STRING:
                options.append([Value(part[1])])
                shown.append(part[1])
                continue
            items = self._eval(part, module, scope, depth + 1)
            values = [i for i in items if isinstance(i, Value) and i.pattern is None]
            if values and len(values) == len(items):
                options.append(values)
            else:
                options.append(None)
                unknowns.extend(i for i in items if isinstance(i, Unknown))
            shown.append("{" + render(part) + "}")
        if any(option is None for option in options):
            pattern = "".join(
                ".*" if option is None else "(?:" + "|".join(re.escape(v.text) for v in option) + ")"
                for option in options
            )
            # The pattern bounds what the template can make (none registered matches: OPS001
            # whatever is passed); a parameter in it is checked at the callers, templated.
            templated = self._templated(parts, options, module, scope, depth)
            # A placeholder no caller fills leaves the pattern open: ``f"{obj.kind}"`` matches
            # every registered type and ``f"inventory.{request.GET['a']}"`` one of many, so
            # neither is verified; what it cannot be known for is the site's reason.
            holes = [
                _unfilled(part, items) for part, option in zip(parts, options, strict=True)
                if option is None and not _fillable(items := self._eval(part, module, scope, depth + 1))
            ]
            return [Value("".join(shown), (), pattern), *(templated or ()), *holes]
        combos = list(itertools.islice(itertools.product(*(o for o in options if o is not None)), _MAX_VALUES))
        out: list[Item] = []
        for combo in combos:
            chain = tuple(hop for value in combo for hop in value.chain)
            out.append(Value("".join(v.text for v in combo), chain))
        return out

    def _hole(self, part: Expr, items: Sequence[Item]) -> str:
        """The hole a placeholder leaves in the template of another: a parameter's names its
        function, whose callers say what it is (or leave it to its default: pretix's
        ``"pretix.event.item.{}.{}".format(log_base, rm_verb)`` with ``rm_verb="removed"``)."""
        params = [i for i in items if isinstance(i, Unknown) and i.param is not None and i.template is None]
        strings = sum(1 for i in items if isinstance(i, Value) and i.pattern is None)
        if len(params) == 1 and len(items) == 1 + strings and params[0].param is not None:
            owner, param = params[0].param
            located = self.index.locate(owner, "functions") if strings else None
            if not strings or (located is not None and param not in located[2]["locals"]):
                return hole(param, owner)  # no assignment of its own: a caller's value or the default
        return hole(render(part))

    def _templated(
        self, parts: Sequence[Expr], options: Sequence[list[Value] | None], module: str, scope: str | None, depth: int
    ) -> list[Item] | None:
        """A template with placeholders that are parameters (``f"wagtail.workflow.{action}"``,
        ``"inventory." + kind``, ``f"{app}.{action}"``): each such parameter as an unknown that
        carries the text around it, so that the callers' values are checked as the template
        makes them. The other placeholders are holes in that text (:func:`hole`: any text; a
        caller's value is checked as far as it alone decides). With a single placeholder, also
        the values its default and other assignments give. None when no placeholder is a
        parameter (or one is a parameter beside values that cannot be known)."""
        # (The placeholders' items are evaluated again here: a parameter's are few and cheap.)
        holes = {i: self._eval(parts[i], module, scope, depth + 1) for i, option in enumerate(options) if option is None}
        # Each part's texts, a hole for every placeholder but the one being filled.
        filled: list[list[Value]] = [
            option if option is not None else [Value(self._hole(parts[i], holes[i]))] for i, option in enumerate(options)
        ]
        out: list[Item] = []
        for at, items in holes.items():
            params = [i for i in items if isinstance(i, Unknown) and i.param is not None]
            values = [i for i in items if isinstance(i, Value) and i.pattern is None]
            # A pattern beside a parameter is that parameter's own template's bound (``a + "." + b``
            # nests one template in another): this one's pattern bounds it again.
            bounds = [i for i in items if isinstance(i, Value) and i.pattern is not None]
            if not params or len(params) + len(values) + len(bounds) != len(items):
                continue
            before = list(itertools.islice(itertools.product(*filled[:at]), _MAX_VALUES))
            after = list(itertools.islice(itertools.product(*filled[at + 1 :]), _MAX_VALUES))
            for head in before:
                for tail in after:
                    prefix, suffix = "".join(v.text for v in head), "".join(v.text for v in tail)
                    chain = tuple(hop for value in (*head, *tail) for hop in value.chain)
                    if len(holes) == 1:
                        out.extend(Value(prefix + v.text + suffix, (*chain, *v.chain)) for v in values)
                    # Texts of one class's definitions go together; of several, the template is
                    # kept for any object (it may be an impossible one).
                    owners = {v.owner for v in (*head, *tail) if v.owner is not None}
                    for param in params:
                        inner = param.template or ("", "")
                        around = (prefix + inner[0], inner[1] + suffix)
                        made = owners | ({param.owner} if param.owner is not None else set())
                        owner = next(iter(made)) if len(made) == 1 else None
                        out.append(Unknown(param.reason, param.param, around if any(around) else None, owner=owner))
        return out or None

    # ------------------------------------------------------------------------ receiver types

    def types(self, e: Expr, module: str, scope: str | None = None, depth: int = 0) -> list[TypeItem]:
        """What object ``e`` (written in ``module``, inside function ``scope``) may be."""
        if depth > _MAX_DEPTH:
            return [Unknown(f"`{render(e)}` is defined too many steps away")]
        tag = e[0]
        if tag in ("s", "f", "+"):
            return [Opaque("a string")]
        if tag == Tag.NAME:
            return self._name_types(str(e[1]), module, scope, depth)
        if tag == Tag.ATTRIBUTE:
            return self._attribute_types(e, module, scope, depth)
        if tag == Tag.CALL:
            return self._call_types(e, module, scope, depth)
        if tag == Tag.CONDITIONAL:
            return [*self.types(e[1], module, scope, depth + 1), *self.types(e[2], module, scope, depth + 1)]
        if tag == Tag.SWITCH:
            return [_NONE if e[1] == "None" else Opaque(f"`{e[1]}`")]
        if tag == Tag.UNKNOWN:
            return [Unknown(str(e[1]))]
        return [Unknown(f"`{render(e)}` is not typed")]

    def _annotated(self, annotations: Sequence[Expr], module: str, depth: int) -> list[TypeItem]:
        found: list[TypeItem] = []
        for a in annotations:
            if a[0] == Tag.NAME and a[1] == "None":
                continue
            found.extend(self._class_of_reference(a, module, depth + 1))
        return found

    def _class_of_reference(self, e: Expr, module: str, depth: int) -> list[TypeItem]:
        """``e`` names a class (an annotation, a constructor): an instance of it."""
        out: list[TypeItem] = []
        for item in self._eval(e, module, None, depth + 1):
            if isinstance(item, Ref) and item.kind == "class":
                out.append(Instance(f"{item.module}.{item.key}"))
            elif isinstance(item, Ref) and item.kind == "external":
                out.append(Instance(self.api.canonical(item.key)))
            elif isinstance(item, Unknown):
                out.append(item)
            else:
                out.append(Opaque(f"`{render(e)}`"))
        return out

    def _name_types(self, name: str, module: str, scope: str | None, depth: int) -> list[TypeItem]:
        summary = self.index.summary(module)
        if summary is None:
            return [Unknown(f"`{name}` is not defined in the project")]
        key = scope
        while key:
            function = summary["functions"].get(key)
            if function is not None:
                found = self._local_types(name, module, key, function, depth)
                if found is not None:
                    return found
            key = key.rpartition(".")[0]
        return self._global_types(module, name, depth)

    def _local_types(
        self, name: str, module: str, key: str, function: FunctionOutline, depth: int
    ) -> list[TypeItem] | None:
        # ``qs = qs.filter(...)`` eight times: each binding's type reads every binding again, down
        # to the depth limit (8 ** depth readings); the same reading at the same depth is the same.
        memo_key = (module, key, name, depth, self._at.get((module, key)))
        if memo_key not in self._local_type_memo:
            self._local_type_memo[memo_key] = self._local_types_uncached(name, module, key, function, depth)
        found = self._local_type_memo[memo_key]
        return list(found) if found is not None else None

    def _span(self, module: str, key: str, function: FunctionOutline, name: str) -> tuple[int, int] | None:
        """The innermost loop or ``except ... as`` clause binding ``name`` around the line the
        function is read at, if it is known and inside one (:data:`FunctionOutline` ``loops``)."""
        loops = function.get("loops", {}).get(name)
        at = self._at.get((module, key)) if loops else None
        if at is None:
            return None
        if callable(at):
            at = self._at[(module, key)] = at()
        inside = [(start, end) for start, end in loops or () if start <= at <= end]
        return min(inside, key=lambda s: s[1] - s[0]) if inside else None

    def _local_types_uncached(
        self, name: str, module: str, key: str, function: FunctionOutline, depth: int
    ) -> list[TypeItem] | None:
        annotated = function.get("annotations", {}).get(name)
        if annotated:
            return self._annotated(annotated, module, depth)
        assigned = function["locals"].get(name)
        params = function["params"]
        param = next((p for p in params if p[0] == name), None)
        if assigned is None and param is None:
            return None
        span = self._span(module, key, function, name)
        found: list[TypeItem] = []
        for line, value in assigned or ():
            if span is None or span[0] <= line <= span[1]:
                found.extend(self.types(value, module, key, depth + 1))
        if param is not None and span is None:
            if param[3]:
                found.extend(self._annotated(param[3], module, depth))
            elif function.get("kind") in ("method", "classmethod") and params and params[0][0] == name:
                found.append(Instance(f"{module}.{key.rpartition('.')[0]}"))
            elif name in self.api.fixtures:
                found.append(Instance(self.api.fixtures[name]))
            elif param[1] in ("var", "varkw"):
                found.append(Opaque(f"the {'tuple' if param[1] == 'var' else 'dict'} `{name}`"))
            else:
                found.append(Unknown(f"parameter `{name}` of `{key}` has no type annotation"))
                if param[2] is not None:
                    found.extend(self.types(param[2], module, None, depth + 1))
        return found

    def _global_types(self, module: str, name: str, depth: int) -> list[TypeItem]:
        memo_key = (module, name)
        cached = self._type_memo.get(memo_key)
        if cached is not None:
            return cached
        self._type_memo[memo_key] = [Unknown(f"`{name}` is defined in terms of itself")]
        found = self._global_types_uncached(module, name, depth)
        self._type_memo[memo_key] = found
        return found

    def _global_types_uncached(self, module: str, name: str, depth: int) -> list[TypeItem]:
        summary = self.index.summary(module)
        if summary is None:
            return [Unknown(f"`{name}` is not defined in the project")]
        annotated = summary.get("annotations", {}).get(name)
        if annotated:
            return self._annotated(annotated, module, depth)
        found: list[TypeItem] = []
        for _line, value in summary["assign"].get(name, ()):
            found.extend(self.types(value, module, None, depth + 1))
        if name in summary["defs"]:
            # A class used as a receiver: its class and static methods.
            found.append(Instance(f"{module}.{name}", True) if name in summary["classes"] else Opaque(f"the function `{name}`"))
        for binding in summary["imports"].get(name, ()):
            if binding[0] == "m":
                found.append(Opaque(f"the module `{binding[1]}`"))
            elif binding[1] in self.index:
                found.extend(self._global_types(binding[1], binding[2], depth + 1))
            else:
                qualified = self.api.canonical(f"{binding[1]}.{binding[2]}")
                found.append(Instance(qualified, True))
        if not found:
            for base in summary["stars"]:
                if base in self.index and name in self.index.exports(base):
                    found.extend(self._global_types(base, name, depth + 1))
        if not found:
            if name in _BUILTINS:
                return [Opaque(f"the builtin `{name}`")]
            return [Unknown(f"`{name}` is not defined in {self.index.path(module)}")]
        return found

    def _attribute_types(self, e: Expr, module: str, scope: str | None, depth: int) -> list[TypeItem]:
        attr = str(e[2])
        base = e[1]
        if base[0] in ("n", "a"):
            refs = self._eval(base, module, scope, depth + 1)
            if refs and all(isinstance(r, Ref) and r.kind == "module" for r in refs):
                return [t for r in refs if isinstance(r, Ref) for t in self._global_types(r.module, attr, depth + 1)]
        out: list[TypeItem] = []
        for owner in self.types(base, module, scope, depth + 1):
            if isinstance(owner, Instance):
                out.extend(self._member_types(owner.cls, attr, depth + 1, owner.of_class))
            else:
                out.append(owner)
        return out

    def _member_types(self, cls: str, attr: str, depth: int, of_class: bool = False) -> list[TypeItem]:
        """The types of ``instance.attr`` for an instance of ``cls`` (its class, then its bases)."""
        found = self._member_lookup(cls, attr, depth, frozenset(), of_class)
        if found is None and not of_class:
            # A mixin's ``self.status_mgr``, given by another base of the classes that mix it in
            # (``class ConsumerPlugin(ProgressMixin, BasePlugin)``): what those give it.
            inherited = [
                t for sub in self.subclasses(cls)
                for t in self._member_lookup(sub, attr, depth + 1, frozenset({cls})) or ()
            ]
            found = inherited or None
        if found is None:
            return [Unknown(f"`{attr}` of {cls} is not assigned a value the index can see")]
        return found

    def _member_lookup(
        self, cls: str, attr: str, depth: int, seen: frozenset[str], of_class: bool = False
    ) -> list[TypeItem] | None:
        """None: no class of the project in ``cls``'s hierarchy sets ``attr``."""
        known = self.api.attributes.get(self.api.canonical(f"{cls}.{attr}"))
        if known is not None:
            return [Instance(known)]
        located = self._project_class(cls)
        if located is None:
            # A class outside the project: its attributes are not opsux's (opsux's are declared).
            return [Opaque(f"`{attr}` of {cls}", foreign=True)]
        if cls in seen or depth > _MAX_DEPTH:
            return None
        found = self._own_member_types(located, attr, depth, of_class)
        if _NONE in found and not of_class:
            # ``log_parent = None`` in the base, a property or a value in each subclass (pretalx's
            # models): an instance may be of any of them.
            for sub in self.subclasses(cls):
                sub_located = self._project_class(sub)
                if sub_located is not None:
                    found.extend(self._own_member_types(sub_located, attr, depth + 1, of_class))
        if found:
            return found
        module, _, info = located
        outside: list[TypeItem] | None = None
        for base in info["bases"]:
            for owner in self._class_of_reference(base, module, depth + 1):
                if not isinstance(owner, Instance):
                    continue
                inherited = self._member_lookup(owner.cls, attr, depth + 1, seen | {cls}, of_class)
                if inherited is None:
                    continue
                if not all(isinstance(t, Opaque) for t in inherited):
                    return inherited
                outside = outside or inherited
        return outside

    def _own_member_types(
        self, located: tuple[str, str, ClassOutline], attr: str, depth: int, of_class: bool
    ) -> list[TypeItem]:
        """The types of ``attr`` as the class itself defines it (an annotation, what its methods
        or its body assign, a property); empty when it does not."""
        module, key, info = located
        annotated = info.get("annotations", {}).get(attr)
        if annotated:
            return self._annotated(annotated, module, depth)
        summary = self.index.summary(module)
        assert summary is not None
        found: list[TypeItem] = []
        for _line, value, typed, method in info.get("attrs", {}).get(attr, ()):
            found.extend(self._annotated(typed, module, depth) if typed else self.types(value, module, method, depth + 1))
        for _line, value in info["members"].get(attr, ()):
            typed = self.types(value, module, None, depth + 1)
            if not of_class and value[0] == Tag.CALL:
                # ``content_object = GenericForeignKey(...)``: through an instance, a descriptor
                # made at class level may give anything (a model, a page...).
                typed = [
                    Unknown(f"`{attr}` is made by `{render(value[1])}(...)` at class level (a descriptor)")
                    if isinstance(t, Opaque) else t
                    for t in typed
                ]
            found.extend(typed)
        function = summary["functions"].get(f"{key}.{attr}")
        if function is not None and "property" in function.get("decorators", ()):
            found.extend(self._returns(module, f"{key}.{attr}", function, depth + 1))
        return found

    def _project_class(self, cls: str) -> tuple[str, str, ClassOutline] | None:
        # Asked about the same few classes millions of times on a big model hierarchy (pretix).
        if cls not in self._classes:
            self._classes[cls] = self.index.locate(cls, "classes")
        return self._classes[cls]

    def _returns(self, module: str, key: str, function: FunctionOutline, depth: int) -> list[TypeItem]:
        if function.get("returns"):
            return self._annotated(function["returns"], module, depth)
        found: list[TypeItem] = []
        for result in function.get("results", ()):
            found.extend(self.types(result, module, key, depth + 1))
        return found or [Opaque(f"what `{key}` returns (nothing)")]

    def _call_types(self, e: Expr, module: str, scope: str | None, depth: int) -> list[TypeItem]:
        func = e[1]
        if func == ["n", "super"]:
            return self._super_types(module, scope, depth)
        if func[0] == Tag.ATTRIBUTE and func[2] == "__enter__":
            entered = self._entered(func[1], module, scope, depth)
            if entered is not None:
                return entered
        # Django's managers made of a queryset have its methods: ``objects = Q.as_manager()``,
        # ``objects = Manager.from_queryset(Q)()`` (``class M(Manager.from_queryset(Q))`` is a
        # subclass of both, in the outline).
        if func[0] == Tag.ATTRIBUTE and func[2] == "as_manager" and not e[2] and not e[3]:
            made = self._project_classes([func[1]], module, depth)
            if made:
                return made
        if func[0] == Tag.CALL and func[1][0] == Tag.ATTRIBUTE and func[1][2] == "from_queryset" and len(func[2]) == 1:
            made = self._project_classes([func[1][1], func[2][0]], module, depth)
            if made:
                return made
        row = row_of(func)
        if row is not None and not row[1]:
            # ``Order.objects.get(...)``: a row of the project's model (Django's manager).
            models = [t for t in self.types(row[0], module, scope, depth + 1) if isinstance(t, Instance) and t.of_class]
            if models and all(self._project_class(t.cls) is not None for t in models):
                return [Instance(t.cls) for t in models]
        callee = self.callee(func, module, scope, depth + 1)
        found: list[TypeItem] = []
        for name in sorted(callee.names):
            found.extend(self._result_of(name, depth + 1))
        if callee.unknown is not None:
            found.append(Unknown(callee.unknown))
        return found or [Unknown(f"the result of calling `{render(func)}`")]

    def _project_classes(self, references: Sequence[Expr], module: str, depth: int) -> list[TypeItem]:
        """An instance of each project class of ``references`` (expressions naming classes)."""
        return [
            item for reference in references for item in self._class_of_reference(reference, module, depth + 1)
            if isinstance(item, Instance) and self._project_class(item.cls) is not None
        ]

    def _entered(self, context: Expr, module: str, scope: str | None, depth: int) -> list[TypeItem] | None:
        """What ``with context as x`` binds to ``x`` when ``context`` is an object of the project
        whose ``__enter__`` (its own or inherited) returns the object itself (``return self``,
        ``-> Self``): that object; None otherwise."""
        items = self.types(context, module, scope, depth + 1)
        instances = [i for i in items if isinstance(i, Instance) and not i.of_class]
        if not instances or len(instances) != len(items):
            return None
        for instance in instances:
            found = self._method_of(instance.cls, "__enter__", depth + 1)
            if found is None:
                return None
            _, key, function = found
            first = function["params"][0][0] if function["params"] else None
            owner = key.rpartition(".")[0].rpartition(".")[2]
            itself = [[Tag.NAME, "Self"], [Tag.NAME, owner], [Tag.STRING, owner]]
            annotated = function.get("returns") or []
            if annotated and all(a in itself or (a[0] == Tag.ATTRIBUTE and a[2] == "Self") for a in annotated):
                continue
            if not annotated and function["results"] and all(r == [Tag.NAME, first] for r in function["results"]):
                continue
            return None
        return list(instances)

    def _result_of(self, name: str, depth: int) -> list[TypeItem]:
        returned = self.api.returns.get(name)
        if returned is not None:
            return [Instance(returned)]
        if name.startswith("<"):
            # A method of something that is not opsux's returns something that is not opsux's.
            return [Opaque(name[1:].rpartition(">.")[0], foreign=True)]
        split = self.index.split(name)
        if split is None or not split[1]:
            # A class of opsux's API: its instance; anything else outside the project is opaque.
            if name in self.api.classes:
                return [Instance(name)]
            # A library call may hand back the project's objects (``Model.objects.get()``), so
            # its result's methods are matched by name; a file, a buffer or a logger never is.
            own = name.removeprefix("builtins.") in LIBRARY_OBJECTS
            return [Opaque(f"the result of `{name}(...)`", foreign=not own)]
        module, rest = split
        summary = self.index.summary(module)
        assert summary is not None
        key = ".".join(rest)
        if key in summary["classes"]:
            return [Instance(name)]
        function = summary["functions"].get(key)
        if function is not None:
            return self._returns(module, key, function, depth)
        return [Unknown(f"the result of calling `{name}`")]

    def _super_types(self, module: str, scope: str | None, depth: int) -> list[TypeItem]:
        summary = self.index.summary(module)
        key = scope or ""
        function = summary["functions"].get(key) if summary is not None else None
        if function is None or function.get("kind") not in ("method", "classmethod"):
            return [Unknown("`super()` outside a method")]
        located = self._project_class(f"{module}.{key.rpartition('.')[0]}")
        if located is None:
            return [Unknown("`super()` of an unknown class")]
        owner_module, owner_key, info = located
        found: list[TypeItem] = []
        for base in info["bases"]:
            found.extend(self._class_of_reference(base, owner_module, depth + 1))
        if not found:
            # A mixin's cooperative ``super().record(kind)``: the class after it in the order
            # of a class that mixes it in (``class Both(Mixin, Real)``: ``Real``).
            found.extend(self._mixed_after(f"{owner_module}.{owner_key}", depth))
        return found or [Opaque("`object`")]

    def _mixed_after(self, mixin: str, depth: int) -> list[TypeItem]:
        """The bases written after ``mixin`` by the project's classes that derive from it directly."""
        found: list[TypeItem] = []
        for sub in self._direct_subclasses(mixin):
            located = self._project_class(sub)
            if located is None:
                continue
            module, _, info = located
            after = False
            for base in info["bases"]:
                classes = self._class_of_reference(base, module, depth + 1)
                if after:
                    found.extend(c for c in classes if c not in found)
                elif any(isinstance(c, Instance) and c.cls == mixin for c in classes):
                    after = True
        return found

    # ---------------------------------------------------------------------------- callees

    def callee(self, func: Expr, module: str, scope: str | None = None, depth: int = 0) -> Callee:
        """What ``func`` (the callee expression of a call in ``module``/``scope``) may be."""
        canonical = self.api.canonical
        if func[0] == Tag.NAME:
            aliased = self._local_alias(str(func[1]), module, scope, depth)
            if aliased is not None:
                return aliased
            function = self._function_outline(module, scope)
            if function is not None and any(param[0] == func[1] for param in function["params"]):
                # ``def run(record): record(...)``: whatever the caller passes, not the import.
                return Callee(frozenset(), f"`{func[1]}` is a parameter of `{scope}`")
            return Callee(frozenset(canonical(q) for q in self.reexported(self.index.qualified_names(module, func))))
        if func[0] == Tag.CALL:
            # ``get_audit_class()(action=...)``: a class a function of the project returns.
            classes = self._classes_returned(func, module, scope, depth)
            if classes is not None:
                return Callee(classes)
        if func[0] != Tag.ATTRIBUTE:
            return Callee(frozenset(), f"`{render(func)}` is computed")
        attr = str(func[2])
        base = func[1]
        if base[0] in ("n", "a"):
            refs = self._eval(base, module, scope, depth + 1)
            if refs and all(isinstance(r, Ref) and r.kind in ("module", "external") for r in refs):
                # By what the base is, not how it is written: ``self.events.emit`` with
                # ``self.events = events`` (a module kept on the instance) is ``app.events.emit``.
                named = {f"{r.key}.{attr}" for r in refs if isinstance(r, Ref)}
                qualified = frozenset(canonical(q) for q in self.reexported(named))
                if all(isinstance(r, Ref) and r.kind == "external" and _maybe_object(r.key) for r in refs):
                    # ``from flask_login import current_user``: a library's object may stand for
                    # one of the project's (a proxy of the signed-in user), so its methods are
                    # the project's of that name as much as a library result's are.
                    return Callee(qualified, None, qualified)
                return Callee(qualified)
        names: set[str] = set()
        foreign: set[str] = set()
        virtual: set[str] = set()
        unknown: list[str] = []
        through_super = base[0] == Tag.CALL and base[1] == [Tag.NAME, "super"]
        owners = self.types(base, module, scope, depth + 1)
        # ``gc = None`` on one branch, a model on another: a method called on it is called on
        # what it is where it is not None (on None it would raise).
        owners = [o for o in owners if o != _NONE] or owners
        for owner in owners:
            if isinstance(owner, Instance) and self._holds(owner.cls, attr):
                # ``self.page_class(...)``: an attribute the instance was given, not a method;
                # one given nothing but callables (``self.emit = events.emit``) is those.
                held = self._held_callables(owner.cls, attr, depth + 1)
                if held is not None:
                    names |= held.names
                    foreign |= held.foreign
                else:
                    unknown.append(f"`{attr}` is an attribute of {owner.cls} that holds what it was assigned")
            elif isinstance(owner, Instance) and self._is_protocol(owner.cls):
                # Structural: any class with such a method may stand for it, none names it.
                unknown.append(f"it is typed by the Protocol `{owner.cls.rsplit('.', 1)[-1]}`, which any class with `{attr}` satisfies")
            elif isinstance(owner, Instance):
                method = canonical(self.method_owner(owner.cls, attr, depth + 1))
                names.add(method)
                if attr == "__init__":
                    names.add(method.rpartition(".")[0])  # ``super().__init__(...)`` constructs
                elif not attr.startswith("__") and not through_super and self._project_class(owner.cls) is not None:
                    # ``self.record(kind)`` in a base: the object may be of a subclass that
                    # overrides ``record`` (``super().record`` runs the base's, whatever it is).
                    virtual.add(f"{owner.cls}.{attr}")
            elif isinstance(owner, Opaque):
                names.add(f"<{owner.what}>.{attr}")
                if owner.foreign:
                    foreign.add(f"<{owner.what}>.{attr}")
            else:
                unknown.append(owner.reason)
        names |= self._object_path(base, attr, module, scope)
        # The innermost reason is the one a person can act on; the chain above it repeats it.
        reason = f"the type of `{render(base)}` is not known: {_innermost(unknown[0])}" if unknown else None
        return Callee(frozenset(names), reason, frozenset(foreign), frozenset(virtual))

    def _object_path(self, base: Expr, attr: str, module: str, scope: str | None) -> set[str]:
        """``app.signals.config_modified.send`` for ``config_modified.send(...)``: a method of an
        object a module of the project holds (``config_modified = Signal()``), by the path a sink
        may be configured with (as it is of a module outside the project)."""
        if base[0] not in (Tag.NAME, Tag.ATTRIBUTE) or (base[0] == Tag.NAME and self._bound_in(str(base[1]), module, scope)):
            return set()
        found: set[str] = set()
        for qualified in self.reexported(self.index.qualified_names(module, base)):
            split = self.index.split(qualified)
            summary = self.index.summary(split[0]) if split is not None and len(split[1]) == 1 else None
            if summary is not None and split is not None and split[1][0] in summary["assign"]:
                found.add(self.api.canonical(f"{qualified}.{attr}"))
        return found

    def _bound_in(self, name: str, module: str, scope: str | None) -> bool:
        """Whether ``name`` is a parameter or a local of the function ``scope`` or one around it."""
        summary = self.index.summary(module)
        key = scope
        while key and summary is not None:
            function = summary["functions"].get(key)
            if function is not None and (any(p[0] == name for p in function["params"]) or name in function["locals"]):
                return True
            key = key.rpartition(".")[0]
        return False

    def reexported(self, names: Iterable[str]) -> set[str]:
        """``names`` and, for each that a module of the project only imports from elsewhere (a
        re-export: ``from app.core import emit`` in ``app/events.py``, or ``from app.core import
        *``), the names it imports, to the definition: a call of ``app.events.emit`` is a call of
        ``app.core.emit``."""
        found = set(names)
        pending = list(found)
        while pending and len(found) < _MAX_DEPTH:
            split = self.index.split(pending.pop())
            if split is None or len(split[1]) != 1:
                continue
            owner, (name,) = split
            summary = self.index.summary(owner)
            if summary is None or name in summary["defs"] or name in summary["assign"]:
                continue
            bindings = summary["imports"].get(name)
            if bindings:
                targets = [f"{b[1]}.{b[2]}" for b in bindings if b[0] == "f"]
            else:
                targets = [f"{base}.{name}" for base in summary["stars"] if name in self.index.exports(base)]
            for target in targets:
                if target not in found:
                    found.add(target)
                    pending.append(target)
        return found

    def _classes_returned(self, call: Expr, module: str, scope: str | None, depth: int) -> frozenset[str] | None:
        """The project classes a call returns (AWX's ``get_activity_stream_class()``, whose
        ``return ActivityStream``), when it returns no object known not to be one: besides
        ``None``, only what a library call makes or what cannot be told
        (``get_current_apps().get_model("main", "ActivityStream")`` on another branch, the same
        model in a migration); None otherwise."""
        items = [t for t in self.types(call, module, scope, depth + 1) if t != _NONE]
        classes = [t.cls for t in items if isinstance(t, Instance) and t.of_class and self._project_class(t.cls)]
        others = [t for t in items if not (isinstance(t, Instance) and t.cls in classes)]
        if not classes or not all((isinstance(t, Opaque) and t.foreign) or isinstance(t, Unknown) for t in others):
            return None
        return frozenset(self.api.canonical(c) for c in classes)

    def _local_alias(self, name: str, module: str, scope: str | None, depth: int) -> Callee | None:
        """What a function's local name bound to another callable may be (``fire = events.emit``;
        ``fire(...)``), or None when ``name`` is no such local."""
        function = self._function_outline(module, scope)
        if function is None or depth > _MAX_DEPTH:
            return None
        bindings = function["locals"].get(name)
        if not bindings:
            return None
        # ``fire = events.emit if live else log`` is either.
        written = [value for _, value in bindings]
        for value in written:
            if value[0] == Tag.CONDITIONAL:
                written.extend(value[1:3])
        written = [value for value in written if value[0] != Tag.CONDITIONAL]
        # ``fire = partial(events.emit, payload)`` is ``events.emit`` (the caller moves its
        # positions); ``fire = sync_to_async(events.emit)`` too.
        values = [
            self.partial_target(value, module, scope, depth) or adapted_callable(value)
            or self.task_run_target(value, module, scope, depth) or value
            for value in written
        ]
        if all(value[0] == Tag.CALL for value in values):
            # ``klass = get_audit_class()``: what the calls return, when that is classes.
            made = [self._classes_returned(value, module, scope, depth) for value in values]
            if all(m is not None for m in made):
                return Callee(frozenset(c for m in made if m is not None for c in m))
        if not all(value[0] in (Tag.NAME, Tag.ATTRIBUTE) for value in values):
            # A local shadows the module's name in the whole function, whatever else it holds
            # (``issue_activity = IssueActivity.objects.first()`` beside an imported task of
            # that name): no name of the project (the matcher says what it is bound to).
            return Callee(frozenset())
        names: set[str] = set()
        foreign: set[str] = set()
        reasons: list[str] = []
        if any(param[0] == name for param in function["params"]):
            # A parameter rebound: whatever the caller passed is one of its values.
            reasons.append(f"`{name}` is a parameter of `{scope}`")
        for value in values:
            # ``x = x`` names the module's x (a function's local shadows it after the line).
            found = self.callee(value, module, None if value == [Tag.NAME, name] else scope, depth + 1)
            names |= found.names
            foreign |= found.foreign
            if found.unknown:
                reasons.append(found.unknown)
        return Callee(frozenset(names), reasons[0] if reasons else None, frozenset(foreign))

    def task_run_target(self, value: Expr, module: str, scope: str | None, depth: int = 0) -> Expr | None:
        """The task of ``task.delay`` (a task's own method that runs it with the arguments it is
        given, :data:`~opsux_lint.analysis.handing.TASK_CALLS`) when ``task`` is a function of
        the project; None for any other value (``self.send`` is a method of the object's class)."""
        if value[0] != Tag.ATTRIBUTE or value[2] not in TASK_CALLS or value[1][0] not in (Tag.NAME, Tag.ATTRIBUTE):
            return None
        names = self.callee(value[1], module, scope, depth + 1).names
        return value[1] if any(self.index.locate(name, "functions") is not None for name in names) else None

    def partial_target(self, value: Expr, module: str, scope: str | None, depth: int = 0) -> Expr | None:
        """The callable of ``functools.partial(f, ...)`` (``f``), or None for any other value."""
        parts = partial_parts(value)
        if parts is None or "functools.partial" not in self.callee(parts[0], module, scope, depth + 1).names:
            return None
        return parts[1]

    def local_bindings(self, name: str, module: str, scope: str | None) -> list[str]:
        """What ``name`` is assigned in the function ``scope`` (or an enclosing one), as written."""
        key = scope
        while key:
            function = self._function_outline(module, key)
            bindings = function["locals"].get(name) if function is not None else None
            if bindings:
                return [render(value) for _, value in bindings]
            key = key.rpartition(".")[0]
        return []

    def _function_outline(self, module: str, scope: str | None) -> FunctionOutline | None:
        if scope is None:
            return None
        summary = self.index.summary(module)
        return summary["functions"].get(scope) if summary is not None else None

    def _held_callables(self, cls: str, attr: str, depth: int = 0) -> Callee | None:
        """What ``cls``'s instance attribute ``attr`` may be called as when every assignment of
        it (in the class that assigns it) names a function or class the project's imports tell:
        ``cls.attr`` by its own qualified name (a derived alias sink), and what it is bound to;
        None otherwise."""
        located = self._project_class(cls)
        if located is None or depth > _MAX_DEPTH:
            return None
        module, key, info = located
        bindings = info.get("attrs", {}).get(attr)
        if bindings is None:
            for base in info["bases"]:
                for owner in self._class_of_reference(base, module, depth + 1):
                    if isinstance(owner, Instance) and self._holds(owner.cls, attr, depth + 1):
                        return self._held_callables(owner.cls, attr, depth + 1)
            return None
        if not all(binding[1][0] in (Tag.NAME, Tag.ATTRIBUTE) for binding in bindings):
            return None
        names = {f"{module}.{key}.{attr}"}
        foreign: set[str] = set()
        for binding in bindings:
            # ``[line, value, annotation, method]``: the value is read in the assigning method.
            value, method = binding[1], str(binding[3])
            found = self.callee(value, module, method, depth + 1)
            if found.unknown or not found.names or not all("." in name for name in found.names):
                return None  # a parameter, a builtin, something unknown: what it holds is not told
            names |= found.names
            foreign |= found.foreign
        return Callee(frozenset(names), None, frozenset(foreign))

    def _holds(self, cls: str, attr: str, depth: int = 0) -> bool:
        """Whether a method of ``cls`` (or a project base) assigns ``self.attr``."""
        located = self._project_class(cls)
        if located is None or depth > _MAX_DEPTH:
            return False
        module, _, info = located
        if attr in info.get("attrs", {}):
            return True
        return any(
            isinstance(owner, Instance) and self._holds(owner.cls, attr, depth + 1)
            for base in info["bases"]
            for owner in self._class_of_reference(base, module, depth + 1)
        )

    def method_owner(self, cls: str, attr: str, depth: int = 0, seen: frozenset[str] = frozenset()) -> str:
        """The qualified name of ``cls.attr``: the class (of the project or not) that defines it."""
        located = self._project_class(cls)
        if located is None:
            return self.api.canonical(f"{cls}.{attr}")
        module, key, info = located
        summary = self.index.summary(module)
        assert summary is not None
        if f"{key}.{attr}" in summary["functions"] or attr in info["members"] or cls in seen or depth > _MAX_DEPTH:
            return f"{cls}.{attr}"
        library: str | None = None
        for base in info["bases"]:
            for owner in self._class_of_reference(base, module, depth + 1):
                if isinstance(owner, Instance) and owner.cls != "builtins.object":
                    found = self.method_owner(owner.cls, attr, depth + 1, seen | {cls})
                    if self._project_class(owner.cls) is None:
                        # ``class LoggedModel(models.Model, LoggingMixin)``: a library's class
                        # does not define the project's own method (pretix's log_action), a
                        # later base of the project that does is what the lookup finds.
                        library = library or found
                    elif self._defines(found):
                        return found
        return library or f"{cls}.{attr}"

    def _defines(self, qualified: str) -> bool:
        cls, _, attr = qualified.rpartition(".")
        located = self._project_class(cls)
        if located is None:
            return False
        module, key, info = located
        summary = self.index.summary(module)
        return summary is not None and (f"{key}.{attr}" in summary["functions"] or attr in info["members"])


def _fillable(items: Sequence[Item]) -> bool:
    """Whether a template's placeholder is filled by callers (:meth:`Resolver._templated`): a
    parameter, beside nothing but strings and other templates' bounds."""
    params = [i for i in items if isinstance(i, Unknown) and i.param is not None]
    return bool(params) and all(isinstance(i, Value) or (isinstance(i, Unknown) and i.param is not None) for i in items)


def _unfilled(part: Expr, items: Sequence[Item]) -> Unknown:
    """Why a placeholder that no caller fills leaves its template's value unknown."""
    # What no caller can settle comes first: a parameter beside it is not why.
    reasons = sorted((i for i in items if isinstance(i, Unknown)), key=lambda i: i.param is not None)
    why = reasons[0].reason if reasons else "not a string"
    return Unknown(f"the placeholder `{render(part)}` can be any text ({why})")
