"""The project index: what every Python file under the source roots defines, for cross-file values.

Operation types rarely appear as literals at the call: they come from module constants, star
imports, class attributes, nested ``StrEnum`` members and parameters of wrapper functions. The
index holds one :mod:`opsux_lint.summary` per module of the project (all ``.py`` files under
``lint.src``, not only the files being linted: pre-commit passes only the changed ones, and the
constants live elsewhere), built with ``ast`` and cached by file content in ``.opsux_cache/``.

:meth:`ProjectIndex.resolve` turns an expression (in a module, inside a function or not) into the
strings it may evaluate to, each with its *evidence chain* (``app/ops/types.py:12 'inventory.sync'``),
and into the reasons why parts of it cannot be known statically (:class:`Unknown`).
:func:`derive_sinks` finds wrapper functions: a function that passes its own parameter into an
operation-type position becomes such a position itself, to a fixpoint.
"""

from __future__ import annotations

import builtins
import hashlib
import itertools
import json
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opsux_lint.discovery import Excludes, discover
from opsux_lint.modules import module_name, source_roots
from opsux_lint.summary import SUMMARY_FORMAT, Expr, Summary, render, summarize

_MAX_DEPTH = 24
_MAX_VALUES = 64
_MAX_ROUNDS = 10
_ENUM_BASES = frozenset(
    f"enum.{name}" for name in ("Enum", "StrEnum", "IntEnum", "Flag", "IntFlag", "ReprEnum")
)
_STR_ENUM_BASES = frozenset({"enum.StrEnum"})
_INDEX_FORMAT = 1


@dataclass(frozen=True)
class Value:
    """A string an expression may evaluate to.

    ``chain`` is the evidence, from the first definition reached to the literal
    (empty when the literal is written at the site). ``pattern`` is set for an f-string (or a
    concatenation) with placeholders that cannot be resolved: a regular expression that every
    value it can produce matches; ``text`` then shows the f-string with its placeholders.
    """

    text: str
    chain: tuple[str, ...] = ()
    pattern: str | None = None


@dataclass(frozen=True)
class Unknown:
    """A part of an expression whose value cannot be known statically, and why."""

    reason: str
    param: tuple[str, str] | None = None
    """``(qualified function, parameter name)`` when the value is a function's parameter."""


@dataclass(frozen=True)
class _Ref:
    """Something that is not a string: a module, class or function of the project, or an
    external name (a module outside the source roots)."""

    kind: str
    module: str
    key: str


_Item = Value | Unknown | _Ref


@dataclass(frozen=True)
class Resolution:
    values: tuple[Value, ...]
    unknowns: tuple[Unknown, ...]


@dataclass(frozen=True)
class SinkSpec:
    """An operation-type position of a call: ``call`` a qualified name or ``*.method``."""

    call: str
    arg: int | None
    keyword: str | None
    shape_only: bool = False


@dataclass(frozen=True)
class DerivedSink:
    """A wrapper function that passes its parameter ``param`` on into a sink."""

    spec: SinkSpec
    function: str
    param: str
    callers: int
    """Modules that call it (0: nobody in the project does, so its parameter is unknown)."""
    via: str
    """The sink it passes the parameter into."""


@dataclass(frozen=True)
class ModuleEntry:
    summary: Summary
    path: str
    """Relative to the config file's directory, ``/``-separated (for evidence chains)."""
    digest: str


@dataclass
class ProjectIndex:
    modules: dict[str, ModuleEntry]
    by_path: dict[str, str] = field(default_factory=dict)
    """Resolved file path -> module name."""
    known: Mapping[str, str] = field(default_factory=dict)
    unparsed: frozenset[str] = frozenset()
    """Modules whose source the running Python's ``ast`` cannot parse (newer syntax)."""
    _memo: dict[tuple[str, str], list[_Item]] = field(default_factory=dict, repr=False)

    # ----------------------------------------------------------------------------- building

    def with_module(self, name: str, entry: ModuleEntry) -> ProjectIndex:
        """This index with one module replaced (the file being linted, as it is now)."""
        current = self.modules.get(name)
        if current is not None and current.digest == entry.digest:
            return self
        modules = dict(self.modules)
        modules[name] = entry
        return ProjectIndex(modules, self.by_path, self.known, self.unparsed - {name})

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for name in sorted(self.modules):
            digest.update(name.encode())
            digest.update(json.dumps(self.modules[name].summary, sort_keys=True).encode())
        return digest.hexdigest()

    # --------------------------------------------------------------------------- names

    def _summary(self, module: str) -> Summary | None:
        entry = self.modules.get(module)
        return entry.summary if entry is not None else None

    def _path(self, module: str) -> str:
        entry = self.modules.get(module)
        return entry.path if entry is not None else module

    def qualified_names(self, module: str, e: Expr) -> frozenset[str]:
        """Every qualified name a callee expression may refer to, through the module's imports."""
        summary = self._summary(module)
        if e[0] == "n":
            name = str(e[1])
            found: set[str] = set()
            if summary is not None:
                for binding in summary["imports"].get(name, ()):
                    found.add(binding[1] if binding[0] == "m" else f"{binding[1]}.{binding[2]}")
                if name in summary["defs"] or name in summary["assign"]:
                    found.add(f"{module}.{name}")
                if not found:
                    for base in summary["stars"]:
                        if name in self._exports(base):
                            found.add(f"{base}.{name}")
            return frozenset(found or {name})
        if e[0] == "a":
            return frozenset(f"{base}.{e[2]}" for base in self.qualified_names(module, e[1]))
        return frozenset()

    def _exports(self, module: str) -> frozenset[str]:
        summary = self._summary(module)
        if summary is None:
            return frozenset()
        if summary["all"] is not None:
            return frozenset(summary["all"])
        names = {*summary["assign"], *summary["defs"], *summary["imports"]}
        return frozenset(n for n in names if not n.startswith("_"))

    def _split(self, qualified: str) -> tuple[str, list[str]] | None:
        parts = qualified.split(".")
        for cut in range(len(parts), 0, -1):
            head = ".".join(parts[:cut])
            if head in self.modules:
                return head, parts[cut:]
        return None

    # ------------------------------------------------------------------------ resolving

    def resolve(self, e: Expr, module: str, scope: str | None = None) -> Resolution:
        """The strings ``e`` (written in ``module``, inside function ``scope``) may be."""
        values: list[Value] = []
        unknowns: list[Unknown] = []
        for item in self._eval(e, module, scope, 0):
            if isinstance(item, Value):
                if item not in values:
                    values.append(item)
            else:
                unknown = item if isinstance(item, Unknown) else self._not_a_string(item, e)
                if unknown is not None and unknown not in unknowns:
                    unknowns.append(unknown)
        return Resolution(tuple(values), tuple(unknowns))

    def _not_a_string(self, ref: _Ref, e: Expr) -> Unknown | None:
        if ref.kind == "external":
            return Unknown(f"`{ref.key}` is defined outside the project's source roots")
        if ref.kind == "class":
            return Unknown(f"`{render(e)}` is the class {ref.key}, not a string")
        if ref.kind == "function":
            return Unknown(f"`{render(e)}` is a function, not a string")
        return Unknown(f"`{render(e)}` is a module, not a string")

    def _eval(self, e: Expr, module: str, scope: str | None, depth: int) -> list[_Item]:
        if depth > _MAX_DEPTH:
            return [Unknown(f"`{render(e)}` is defined too many steps away")]
        tag = e[0]
        if tag == "s":
            return [Value(e[1])]
        if tag == "n":
            return self._name(str(e[1]), module, scope, depth)
        if tag == "a":
            return self._attribute(e, module, scope, depth)
        if tag == "if":
            return [*self._eval(e[1], module, scope, depth + 1), *self._eval(e[2], module, scope, depth + 1)]
        if tag == "+":
            return self._join([e[1], e[2]], module, scope, depth, f_string=False)
        if tag == "f":
            return self._join(list(e[1]), module, scope, depth, f_string=True)
        if tag == "c":
            return self._call(e, module, scope, depth)
        return [Unknown(str(e[1]))]

    def _strings(self, items: Iterable[_Item]) -> list[_Item]:
        out: list[_Item] = []
        for item in items:
            if isinstance(item, _Ref) and item.kind == "external":
                key = item.key
                if key in self.known:
                    out.append(Value(self.known[key], (f"{key} = {self.known[key]!r}",)))
                    continue
            out.append(item)
        return out

    # names ------------------------------------------------------------------------------

    def _name(self, name: str, module: str, scope: str | None, depth: int) -> list[_Item]:
        summary = self._summary(module)
        if summary is None:
            if module in self.unparsed:
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

    def _local(self, name: str, module: str, key: str, function: Mapping[str, Any], depth: int) -> list[_Item] | None:
        assigned = function["locals"].get(name)
        param = next((p for p in function["params"] if p[0] == name), None)
        if assigned is None and param is None:
            return None
        path = self._path(module)
        items: list[_Item] = []
        for line, value in assigned or ():
            hop = f"{path}:{line} {render(value)}"
            items.extend(_hop(hop, self._eval(value, module, key, depth + 1)))
        if param is not None:
            qualified = f"{module}.{key}"
            if param[1] == "var":
                items.append(Unknown(f"`*{name}` of `{key}`"))
            elif param[1] == "varkw":
                items.append(Unknown(f"`**{name}` of `{key}`"))
            else:
                items.append(Unknown(f"parameter `{name}` of `{key}`", (qualified, name)))
                default = param[2]
                if default is not None:
                    hop = f"{path}:{function['line']} default of `{name}` {render(default)}"
                    items.extend(_hop(hop, self._eval(default, module, None, depth + 1)))
        return self._strings(items)

    def _global(self, module: str, name: str, depth: int) -> list[_Item]:
        memo_key = (module, name)
        cached = self._memo.get(memo_key)
        if cached is not None:
            return cached
        self._memo[memo_key] = [Unknown(f"`{name}` is defined in terms of itself")]
        found = self._global_uncached(module, name, depth)
        self._memo[memo_key] = found
        return found

    def _global_uncached(self, module: str, name: str, depth: int) -> list[_Item]:
        summary = self._summary(module)
        if summary is None:
            return [_Ref("external", module, f"{module}.{name}")]
        path = self._path(module)
        items: list[_Item] = []
        assigned = summary["assign"].get(name)
        if assigned is not None:
            if len(assigned) > 1:
                lines = ", ".join(str(line) for line, _ in assigned)
                items.append(Unknown(f"`{name}` is assigned more than once in {path} (lines {lines})"))
            else:
                line, value = assigned[0]
                hop = f"{path}:{line} {render(value)}"
                items.extend(_hop(hop, self._eval(value, module, None, depth + 1)))
        if name in summary["defs"]:
            kind = "class" if name in summary["classes"] else "function"
            items.append(_Ref(kind, module, name))
        for binding in summary["imports"].get(name, ()):
            if binding[0] == "m":
                target = binding[1]
                items.append(_Ref("module", target, target) if target in self.modules else _Ref("external", target, target))
            else:
                items.extend(self._qualified(f"{binding[1]}.{binding[2]}", depth + 1))
        if not items:
            for base in summary["stars"]:
                if base in self.modules and name in self._exports(base):
                    items.extend(self._global(base, name, depth + 1))
        if not items:
            if name in _BUILTINS:
                return [Unknown(f"the builtin `{name}`")]
            return [Unknown(f"`{name}` is not defined in {path}")]
        return items

    def _qualified(self, qualified: str, depth: int) -> list[_Item]:
        split = self._split(qualified)
        if split is None:
            return [_Ref("external", qualified, qualified)]
        module, rest = split
        if not rest:
            return [_Ref("module", module, module)]
        items = self._global(module, rest[0], depth + 1)
        for attr in rest[1:]:
            items = [out for item in items for out in self._member_of(item, attr, ["n", attr], depth + 1)]
        return items

    # attributes -------------------------------------------------------------------------

    def _attribute(self, e: Expr, module: str, scope: str | None, depth: int) -> list[_Item]:
        attr = str(e[2])
        base = e[1]
        if attr in ("value", "name") and base[0] == "a":
            # ``Kind.SYNC.value`` / ``Kind.SYNC.name``: the member's value, or its name.
            owners = self._eval(base[1], module, scope, depth + 1)
            if owners and all(isinstance(o, _Ref) and o.kind == "class" for o in owners):
                items: list[_Item] = []
                for owner in owners:
                    assert isinstance(owner, _Ref)
                    if attr == "name":
                        items.append(Value(str(base[2]), (f"{owner.key}.{base[2]}.name",)))
                    else:
                        items.extend(self._class_member(owner, str(base[2]), depth + 1))
                return self._strings(items)
        bases = self._eval(base, module, scope, depth + 1)
        return self._strings(out for item in bases for out in self._member_of(item, attr, e, depth + 1))

    def _member_of(self, item: _Item, attr: str, e: Expr, depth: int) -> list[_Item]:
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
            return [_Ref("external", item.module, f"{item.key}.{attr}")]
        if item.kind == "module":
            submodule = f"{item.module}.{attr}"
            if submodule in self.modules:
                return [_Ref("module", submodule, submodule)]
            return self._global(item.module, attr, depth)
        if item.kind == "class":
            return self._class_member(item, attr, depth)
        return [Unknown(f"an attribute of the function `{item.key}`")]

    def _class_info(self, ref: _Ref) -> Mapping[str, Any] | None:
        summary = self._summary(ref.module)
        return summary["classes"].get(ref.key) if summary is not None else None

    def _class_member(self, ref: _Ref, attr: str, depth: int, seen: frozenset[str] = frozenset()) -> list[_Item]:
        info = self._class_info(ref)
        if info is None or depth > _MAX_DEPTH:
            return [Unknown(f"`{ref.key}.{attr}` cannot be found")]
        path = self._path(ref.module)
        members = info["members"].get(attr)
        if members is not None:
            if len(members) > 1:
                return [Unknown(f"`{ref.key}.{attr}` is assigned more than once in {path}")]
            line, value = members[0]
            if value[0] == "c" and value[1] in (["n", "auto"], ["a", ["n", "enum"], "auto"]):
                kind = self._enum_kind(ref, depth + 1)
                if kind == "str":
                    return [Value(attr.lower(), (f"{path}:{line} {ref.key}.{attr} = auto() -> {attr.lower()!r}",))]
                return [Unknown(f"`{ref.key}.{attr}` is auto() in an enum that is not a StrEnum")]
            hop = f"{path}:{line} {render(value)}"
            return self._strings(_hop(hop, self._eval(value, ref.module, None, depth + 1)))
        if attr in info["nested"]:
            return [_Ref("class", ref.module, f"{ref.key}.{attr}")]
        marker = f"{ref.module}.{ref.key}"
        for base in info["bases"]:
            for owner in self._eval(base, ref.module, None, depth + 1):
                if isinstance(owner, _Ref) and owner.kind == "class" and f"{owner.module}.{owner.key}" not in seen:
                    found = self._class_member(owner, attr, depth + 1, seen | {marker})
                    if not (len(found) == 1 and isinstance(found[0], Unknown) and "cannot be found" in found[0].reason):
                        return found
        return [Unknown(f"`{ref.key}.{attr}` is not a class attribute (a method, property or inherited from outside the project)")]

    def _enum_kind(self, ref: _Ref, depth: int, seen: frozenset[str] = frozenset()) -> str | None:
        """``"str"`` for a StrEnum, ``"enum"`` for another Enum, None for a plain class."""
        info = self._class_info(ref)
        marker = f"{ref.module}.{ref.key}"
        if info is None or marker in seen or depth > _MAX_DEPTH:
            return None
        kinds: set[str] = set()
        for base in info["bases"]:
            for owner in self._eval(base, ref.module, None, depth + 1):
                if isinstance(owner, _Ref) and owner.kind == "external":
                    if owner.key in _STR_ENUM_BASES:
                        kinds.add("str")
                    elif owner.key in _ENUM_BASES:
                        kinds.add("enum")
                elif isinstance(owner, _Ref) and owner.kind == "class":
                    kind = self._enum_kind(owner, depth + 1, seen | {marker})
                    if kind is not None:
                        kinds.add(kind)
        if "str" in kinds:
            return "str"
        return "enum" if kinds else None

    # calls, f-strings ---------------------------------------------------------------------

    def _call(self, e: Expr, module: str, scope: str | None, depth: int) -> list[_Item]:
        func, args = e[1], e[2]
        targets = self._eval(func, module, scope, depth + 1)
        if targets and len(args) == 1 and all(
            isinstance(t, _Ref) and t.kind == "class" and self._enum_kind(t, depth + 1) for t in targets
        ):
            # ``MyEnum("x")`` looks the member up by value: it is that value.
            return self._eval(args[0], module, scope, depth + 1)
        if func[0] == "n" and func[1] == "str" and len(args) == 1:
            return self._eval(args[0], module, scope, depth + 1)
        return [Unknown(f"the result of calling `{render(func)}`")]

    def _join(self, parts: Sequence[Expr], module: str, scope: str | None, depth: int, *, f_string: bool) -> list[_Item]:
        # Each part: the strings it may be, or None for a placeholder that cannot be known.
        options: list[list[Value] | None] = []
        shown: list[str] = []
        unknowns: list[Unknown] = []
        for part in parts:
            if part[0] == "s":
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
            text = "".join(shown)
            return [Value(text if f_string else text, (), pattern)]
        combos = list(itertools.islice(itertools.product(*(o for o in options if o is not None)), _MAX_VALUES))
        out: list[_Item] = []
        for combo in combos:
            chain = tuple(hop for value in combo for hop in value.chain)
            out.append(Value("".join(v.text for v in combo), chain))
        return out

    # --------------------------------------------------------------------- wrapper sinks

    def derive_sinks(self, base: Sequence[SinkSpec]) -> tuple[DerivedSink, ...]:
        """Functions that pass their own parameter into a sink, to a fixpoint (depth <= 10)."""
        sinks: list[SinkSpec] = list(base)
        derived: dict[tuple[str, str], tuple[SinkSpec, str]] = {}
        # A method wrapper becomes ``*.name`` (any receiver): only safe when no other function or
        # method of the project has that name, or ``*.name`` is a sink already.
        defined = Counter(
            key.rsplit(".", 1)[-1] for entry in self.modules.values() for key in entry.summary["functions"]
        )
        for _ in range(_MAX_ROUNDS):
            added = False
            for module, entry in self.modules.items():
                classes = entry.summary["classes"]
                for key, function in entry.summary["functions"].items():
                    for func, position, keyword, param, _line in function["passes"]:
                        if (module, f"{key}:{param}") in derived:
                            continue
                        names: frozenset[str] | None = None
                        for sink in sinks:
                            if not _passes_at(sink, position, keyword):
                                continue
                            if names is None:
                                names = self.qualified_names(module, func)
                            if _callee_matches(sink.call, func, names):
                                spec = _wrapper_spec(module, key, function, param, sink.shape_only, classes)
                                if spec is not None and spec.call.startswith("*.") and defined[spec.call[2:]] > 1:
                                    if not any(s.call == spec.call for s in sinks):
                                        spec = None
                                if spec is not None:
                                    derived[(module, f"{key}:{param}")] = (spec, sink.call)
                                    sinks.append(spec)
                                    added = True
                                break
            if not added:
                break
        callers = self._callers({spec for spec, _ in derived.values()})
        return tuple(
            DerivedSink(spec, f"{module}.{key.split(':')[0]}", key.split(":")[1], callers.get(spec, 0), via)
            for (module, key), (spec, via) in sorted(derived.items())
        )

    def _callers(self, specs: Iterable[SinkSpec]) -> dict[SinkSpec, int]:
        by_last: dict[str, list[SinkSpec]] = {}
        for spec in specs:
            by_last.setdefault(spec.call.rsplit(".", 1)[-1], []).append(spec)
        counts: dict[SinkSpec, int] = {}
        for module, entry in self.modules.items():
            for text in entry.summary["callees"]:
                last = text.rsplit(".", 1)[-1]
                for spec in by_last.get(last, ()):
                    if spec.call.startswith("*."):
                        counts[spec] = counts.get(spec, 0) + 1
                        continue
                    e: Expr = ["n", text.split(".")[0]]
                    for part in text.split(".")[1:]:
                        e = ["a", e, part]
                    if spec.call in self.qualified_names(module, e):
                        counts[spec] = counts.get(spec, 0) + 1
        return counts


def _hop(hop: str, items: list[_Item]) -> list[_Item]:
    return [Value(i.text, (hop, *i.chain), i.pattern) if isinstance(i, Value) else i for i in items]


def _passes_at(sink: SinkSpec, position: int | None, keyword: str | None) -> bool:
    if keyword is not None:
        return sink.keyword == keyword
    return position is not None and sink.arg == position


def _callee_matches(call: str, func: Expr, names: frozenset[str]) -> bool:
    if call.startswith("*."):
        name = call[2:]
        if func[0] == "a" and func[2] == name:
            return True
        return any(q == name or q.endswith(f".{name}") for q in names)
    return call in names


def _wrapper_spec(
    module: str, key: str, function: Mapping[str, Any], param: str, shape_only: bool,
    classes: Mapping[str, Any],
) -> SinkSpec | None:
    parent, _, name = key.rpartition(".")
    if parent and parent not in classes:
        return None  # a nested function: not callable from elsewhere by name
    params = function["params"]
    method = bool(parent) and bool(function["method"])
    positional = [p for p in params if p[1] in ("pos", "posonly")]
    if method and positional:
        positional = positional[1:]
    entry = next((p for p in params if p[0] == param), None)
    if entry is None or entry[1] in ("var", "varkw") or (method and param in ("self", "cls")):
        return None
    arg = next((i for i, p in enumerate(positional) if p[0] == param), None)
    keyword = None if entry[1] == "posonly" else param
    if parent:
        # A method: the receiver's type is unknown at the call, so any object's method of that
        # name is a candidate, and only values shaped like an operation type are reported there.
        return SinkSpec(f"*.{name}", arg, keyword, True)
    return SinkSpec(f"{module}.{key}", arg, keyword, shape_only)


_BUILTINS = frozenset(dir(builtins))


# ------------------------------------------------------------------------------- building


def _index_files(root: Path, src: Sequence[str], exclude: Sequence[str]) -> Iterator[tuple[Path, tuple[Path, ...]]]:
    roots = source_roots(root, src)
    excludes = Excludes.build(root, exclude)
    walk = sorted(roots, key=lambda p: len(p.parts))
    walked: list[Path] = []
    seen: set[Path] = set()
    for directory in walk:
        if not directory.is_dir() or any(directory.is_relative_to(w) for w in walked):
            continue
        walked.append(directory)
        for file in discover(directory, excludes):
            resolved = file.resolve()
            if resolved not in seen:
                seen.add(resolved)
                yield resolved, roots


def build_index(
    root: Path, src: Sequence[str], exclude: Sequence[str], *, cache_dir: Path | None, salt: str = "",
) -> ProjectIndex:
    """The index of every module under the source roots; summaries cached by file content."""
    key = hashlib.sha256(json.dumps([_INDEX_FORMAT, SUMMARY_FORMAT, salt, str(root), list(src), list(exclude)]).encode()).hexdigest()[:24]
    cache_file = cache_dir / f"index-{key}.json" if cache_dir is not None else None
    old: dict[str, Any] = {}
    if cache_file is not None:
        try:
            loaded = json.loads(cache_file.read_text(encoding="utf-8"))
            old = loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError):
            old = {}
    new: dict[str, Any] = {}
    modules: dict[str, ModuleEntry] = {}
    by_path: dict[str, str] = {}
    unparsed: set[str] = set()
    for file, roots in _index_files(root, src, exclude):
        try:
            data = file.read_bytes()
        except OSError:
            continue
        digest = hashlib.sha256(data).hexdigest()
        name, is_package = module_name(file, roots)
        cached = old.get(str(file))
        summary: Summary | None
        if isinstance(cached, dict) and cached.get("sha256") == digest and cached.get("module") == name:
            summary = cached.get("summary")
        else:
            summary = summarize(data, name, is_package)
        new[str(file)] = {"sha256": digest, "module": name, "summary": summary}
        if summary is None:
            unparsed.add(name)
            continue
        if name in modules:
            continue
        try:
            shown = file.relative_to(root.resolve()).as_posix()
        except ValueError:
            shown = file.as_posix()
        modules[name] = ModuleEntry(summary, shown, digest)
        by_path[str(file)] = name
    if cache_file is not None and new != old:
        _write_json(cache_file, new)
    return ProjectIndex(modules, by_path, unparsed=frozenset(unparsed - set(modules)))


def _write_json(file: Path, data: Any) -> None:
    try:
        file.parent.mkdir(exist_ok=True)
        ignore = file.parent / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# Created by opsux-lint.\n*\n", encoding="utf-8")
        handle, temporary = tempfile.mkstemp(dir=file.parent, prefix=".index-", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out)
        os.replace(temporary, file)
    except OSError:
        pass
