"""Matcher kinds: the Python half of the rules, each implemented once.

A rule file names its matcher ``kind`` and gives its parameters; :func:`compile_rule` turns the
rule and the project's policy into a :class:`CompiledRule` (immutable, built once per run) which
makes a fresh :class:`~opsux_lint.matchers.FileMatcher` for every file. The engine walks each tree
once and hands every node to the handlers the file matchers registered for its type; after the
walk, when the whole file's imports and constants are known, each matcher turns what it collected
into reports.

This package compiles rules and names their needles (the prefilter's words) and never imports
libcst: a file that holds no needle is not parsed, and then libcst is not needed at all. The file
matchers, which walk libcst's tree, are in :mod:`opsux_lint.matchers`; each ``matcher()`` imports
its own when a file is parsed.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

from opsux_core.policy import Policy
from opsux_lint.prefilter import Needle
from opsux_lint.registry import PARSE_ERROR_KIND, UNUSED_SUPPRESSION_KIND, RuleSpec

if TYPE_CHECKING:
    from opsux_lint.matchers import FileFacts, FileMatcher

ENGINE_KINDS = frozenset({PARSE_ERROR_KIND, UNUSED_SUPPRESSION_KIND})
"""Kinds the engine implements itself (they are about the file, not its syntax tree)."""


class SiteStatus(StrEnum):
    VERIFIED = "verified"
    DELEGATED = "delegated"
    UNREGISTERED = "unregistered"
    UNVERIFIABLE = "unverifiable"
    NOT_A_SINK = "not-a-sink"
    UNKNOWN_RECEIVER = "unknown-receiver"


@dataclass(frozen=True)
class NeedleContext:
    """What the engine knows when rules name their needles."""

    receivers: frozenset[str] = frozenset()
    """Names a file must mention to type a receiver as an API class (:mod:`opsux_lint.analysis.receivers`)."""
    methods: frozenset[str] = frozenset()
    """Sinks that are methods of the API's classes (matched through the receiver's type, not the
    method's name)."""
    coverage: bool = False
    """Count every call with a sink's name: needles are the names, receivers or not."""


class CompiledRule(Protocol):
    """A rule ready to run. Besides what is declared here, a rule may define

    - ``sink_family() -> (family, sinks)``: the positions (:class:`SinkSpec`) whose values it
      checks and the name of their family. Functions that pass a parameter on into one of them
      are derived as sinks of the family (their callers are checked, not the forwarding call)
      and shared by the rules of the family (OPS001 and OPS008): ``FileFacts.wrappers[family]``.
    - ``module_needles(resolver, module) -> names``: see :meth:`statement_needles`.
    - ``types_receivers = True``: its matchers type receivers as opsux's API classes, so the
      engine works out the names that can (``FileFacts.receivers``).

    A file matcher that accounts for every site of its sinks implements
    :class:`~opsux_lint.matchers.ReportsSites`.
    """

    follows_names: bool
    """Whether the rule reads, in the file's syntax tree, what module-level names are bound to
    (a module-level local that is a run, a constant interpolated into copy): the excerpt then
    follows those names (:func:`opsux_lint.excerpt.excerpt`)."""

    @property
    def spec(self) -> RuleSpec: ...

    def needles(self, context: NeedleContext) -> frozenset[Needle] | None:
        """Text one of which must occur in a file for the rule to match; None: any file."""

    def statement_needles(self, context: NeedleContext) -> frozenset[Needle] | None:
        """Text one of which occurs in the top-level statement (or class member) around every
        node the rule reports, given that the statements that bind or read the module-level
        names of kept statements are kept too where :attr:`follows_names` says so: libcst is
        then given only those statements (:mod:`opsux_lint.excerpt`). None: files are parsed
        whole. A rule may also define ``module_needles(resolver, module) -> frozenset[str]``:
        names that keep statements in that module only (imported constants it follows)."""

    def matcher(self, facts: FileFacts) -> FileMatcher: ...


class RuleParameterError(Exception):
    """A rule's matcher parameters are wrong (a bug in a shipped rule file)."""


Option = Callable[[Any], bool]
"""Whether a value is acceptable for one matcher parameter."""


def is_strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def is_string(value: Any) -> bool:
    return isinstance(value, str)


def is_string_mapping(value: Any) -> bool:
    return isinstance(value, Mapping) and all(isinstance(v, str) for v in value.values())


def is_list(value: Any) -> bool:
    return isinstance(value, list)


def is_mapping(value: Any) -> bool:
    return isinstance(value, Mapping)


COMMON_OPTIONS: Mapping[str, Option] = MappingProxyType({"api": is_mapping, "known_constants": is_string_mapping})
"""Parameters any rule may give: what opsux's own objects are (``api``, for typing receivers) and
the values of names outside the project (``known_constants``); the analysis reads them from every
rule, selected or not."""


@dataclass(frozen=True)
class Kind:
    """A matcher kind: the parameters a rule of this kind may give, and how it is compiled.

    Each module of this package declares its kinds in ``KINDS``; a rule file names one. ``compile``
    is None for the kinds the engine implements itself (about a file, not its syntax tree).
    """

    name: str
    options: Mapping[str, Option] = field(default_factory=dict)
    compile: Callable[[RuleSpec, Policy], CompiledRule] | None = None


def known_kinds() -> Mapping[str, Kind]:
    """Every kind declared by a module of this package, by name."""
    return _kinds()


@cache
def _kinds() -> Mapping[str, Kind]:
    found: dict[str, Kind] = {}
    modules = [importlib.import_module(f"{__name__}.{m.name}") for m in pkgutil.iter_modules(__path__)]
    for declared in (KINDS, *(getattr(module, "KINDS", ()) for module in modules)):
        for kind in declared:
            if kind.name in found:
                raise RuleParameterError(f"matcher kind {kind.name!r} is declared twice")
            found[kind.name] = kind
    return MappingProxyType(found)


def check_parameters(spec: RuleSpec) -> Kind:
    """The rule's kind, after checking that its parameters are the kind's and well-formed."""
    kind = known_kinds().get(spec.kind)
    if kind is None:
        raise RuleParameterError(f"{spec.source}: unknown matcher kind {spec.kind!r}")
    for name, value in spec.params.items():
        check = kind.options.get(name) or COMMON_OPTIONS.get(name)
        if check is None:
            import difflib  # only for this error

            close = difflib.get_close_matches(name, list(kind.options), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; {spec.kind} takes {', '.join(sorted(kind.options)) or 'none'}"
            raise RuleParameterError(f"{spec.source}: matcher.{name} is no parameter of {spec.kind}{hint}")
        if not check(value):
            raise RuleParameterError(f"{spec.source}: matcher.{name} must be {check.__name__.removeprefix('is_').replace('_', ' ')}")
    return kind


def compile_rule(spec: RuleSpec, policy: Policy) -> CompiledRule | None:
    """The rule ready to run; None for the kinds the engine implements itself."""
    kind = check_parameters(spec)
    return kind.compile(spec, policy) if kind.compile is not None else None


def param_list(spec: RuleSpec, key: str) -> list[Any]:
    value = spec.params.get(key, [])
    if not isinstance(value, list):
        raise RuleParameterError(f"{spec.source}: matcher.{key} must be a list")
    return value


def param_strings(spec: RuleSpec, key: str) -> tuple[str, ...]:
    values = param_list(spec, key)
    if not all(isinstance(v, str) for v in values):
        raise RuleParameterError(f"{spec.source}: matcher.{key} must be a list of strings")
    return tuple(values)


def param_mapping(spec: RuleSpec, key: str) -> dict[str, str]:
    value = spec.params.get(key, {})
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise RuleParameterError(f"{spec.source}: matcher.{key} must be a mapping of name -> string")
    return {str(k): v for k, v in value.items()}


KINDS = (Kind(PARSE_ERROR_KIND), Kind(UNUSED_SUPPRESSION_KIND))
