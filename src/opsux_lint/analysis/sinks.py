"""What derivation finds, as data: sink positions, the wrappers that pass a value into them, and
how a wrapper that no call names is run. Apart from the analysis that finds them, so that a run
whose derivation comes from the cache reads them without importing it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

ALIAS = ""
"""The :attr:`DerivedSink.param` of a module-level name bound to a sink itself (``send = emit``)."""
RELATED = ":related"
"""The param of a related sink, ``<target class>.<related name>`` (:mod:`.related`)."""
ROWS = ":rows"
"""The param of a manager class of a model sink (``spec.call`` the class, ``via`` the model;
:mod:`.model_managers`)."""
FACTORY = ":factory"
"""The param of a function that returns a class sink (``spec.call`` the function, ``via`` the
class; :mod:`.factories`)."""
MATCHED_APART = frozenset({RELATED, ROWS, FACTORY})
"""Derived entries that are no wrapper: a call is matched to them by its receiver or its callee's
result, never by the name it writes; their names are needles all the same. No parameter is
called like one (a name cannot start with ``:``)."""

Template = tuple[str, str]
"""``(prefix, suffix)`` a wrapper writes around its parameter before the sink gets it. Either may
hold holes (:func:`hole`): the other parameters of a template of several (``f"{app}.{action}"``)."""
PLAIN: Template = ("", "")
Guard = tuple[tuple[str, bool], ...]
"""``(prefix, starts)`` conditions a value must meet for a template to apply (all of them):
``value.startswith(prefix) == starts``. Empty: any value."""
OVERFLOW: Template = ("\x02", "\x02")
"""Stands for the templates beyond the most a wrapper keeps: the sink may get texts made of the
value that are not listed, so a call of the wrapper is not verified by the ones that are."""

_HOLE = "\x00"
_OWNER = "\x01"


def hole(text: str, owner: str | None = None) -> str:
    """A piece of a template that another placeholder fills: any text, shown as ``{text}``.
    ``owner``: the function whose parameter ``text`` is (a call of it may say what it is)."""
    return f"{_HOLE}{owner}{_OWNER}{text}{_HOLE}" if owner else f"{_HOLE}{text}{_HOLE}"


def _split(piece: str) -> list[str]:
    """Text and holes, alternating: the odd items are holes' contents."""
    return piece.split(_HOLE)


def meets(text: str, guard: Guard) -> bool:
    """Whether a known text passes every condition of ``guard``."""
    return all(text.startswith(prefix) == starts for prefix, starts in guard)


def may_meet(head: str, guard: Guard) -> bool:
    """Whether a text known to start with ``head`` (and not known further) may pass ``guard``:
    a condition on a longer prefix than ``head`` is decided only where they differ."""
    for prefix, starts in guard:
        if len(head) >= len(prefix):
            if head.startswith(prefix) != starts:
                return False
        elif starts and not prefix.startswith(head):
            return False
    return True


def template_text(piece: str) -> str:
    """``piece`` with its holes shown as ``{text}``."""
    return "".join(part if i % 2 == 0 else "{" + part.rpartition(_OWNER)[2] + "}" for i, part in enumerate(_split(piece)))


def template_pattern(piece: str) -> str | None:
    """A regular expression of what ``piece`` can make; None when it has no hole."""
    if _HOLE not in piece:
        return None
    return "".join(re.escape(part) if i % 2 == 0 else ".*" for i, part in enumerate(_split(piece)))


def template_params(piece: str) -> list[tuple[str, str]]:
    """``(owner, parameter)`` of each hole of ``piece`` that is a parameter."""
    found = []
    for i, part in enumerate(_split(piece)):
        owner, sep, param = part.partition(_OWNER)
        if i % 2 and sep:
            found.append((owner, param))
    return found


def fill_template(piece: str, values: Mapping[tuple[str, str], str]) -> str:
    """``piece`` with the holes of the parameters in ``values`` filled in."""
    parts = _split(piece)
    out = []
    for i, part in enumerate(parts):
        owner, sep, param = part.partition(_OWNER)
        if i % 2 == 0:
            out.append(part)
        elif sep and (owner, param) in values:
            out.append(values[(owner, param)])
        else:
            out.append(_HOLE + part + _HOLE)
    return "".join(out)


@dataclass(frozen=True)
class SinkSpec:
    """A value position of a call: ``call`` a qualified name, or ``*.name`` (any receiver)."""

    call: str
    arg: int | None
    keyword: str | None

    @property
    def last_name(self) -> str:
        return self.call.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class DerivedSink:
    """A wrapper function that passes its parameter ``param`` on into a sink, or a module-level
    name bound to a sink (``param`` is :data:`ALIAS`)."""

    spec: SinkSpec
    function: str
    param: str
    callers: int
    """Modules that call it by its name (0: nobody in the project does: its parameter is unknown)."""
    via: str
    """The sink it passes the parameter into."""
    dynamic: DynamicUse | None = None
    """When no call names it: how the project runs it as a value handed on, if it does."""
    templates: tuple[Template, ...] = (PLAIN,)
    """What the sink gets of a value its callers pass: that value (:data:`PLAIN`), or the value
    inside a template (``f"wagtail.workflow.{action}"``: ``("wagtail.workflow.", "")``)."""
    guards: tuple[tuple[Template, Guard], ...] = ()
    """The templates made only for some values: ``if action.startswith("."): action =
    f"{prefix}{action}"`` makes its template of a value that starts with ``"."`` alone."""

    owners: tuple[tuple[Template, tuple[str, ...]], ...] = ()
    """The templates made only when the wrapper runs on an object of some classes: ``f"{self.
    log_prefix}{action}"`` makes each class's prefix on that class's objects (and on those of
    its subclasses that keep it), by the classes whose definitions make it
    (:meth:`~opsux_lint.analysis.resolver.Resolver.owners_for`)."""

    def guard(self, template: Template) -> Guard:
        return next((guard for made, guard in self.guards if made == template), ())

    def owners_of(self, template: Template) -> tuple[str, ...]:
        """The classes on whose objects alone ``template`` is made; empty: on any object."""
        return next((classes for made, classes in self.owners if made == template), ())


@dataclass(frozen=True)
class DynamicUse:
    """How a wrapper that no call names is run: handed on as a value at ``escape``."""

    escape: str
    """Where it is first handed on as a value (``path:line``)."""
    passing: tuple[str, ...]
    """The first call (``path:line``) whose callee may be it and that may give the parameter."""
    by_position: bool
    """The parameter can be given by position, which any call of a value may do."""
    default: bool
    """The parameter has a default."""

    @property
    def settled(self) -> bool:
        """The parameter keeps its default wherever the project runs the wrapper."""
        return self.default and not self.by_position and not self.passing

    def explain(self, name: str, param: str) -> str:
        handed = f"`{name}` is handed on as a value ({self.escape})"
        if self.settled:
            return f"{handed}, and no call that may run it gives `{param}`: its default applies"
        if self.by_position:
            return f"{handed}, and a call of that value may give `{param}` by position (not followed)"
        if self.passing:
            return f"{handed}, and the call at {self.passing[0]} may run it with `{param}`"
        return f"{handed}, but no call in the project gives `{param}`, which has no default"

    def to_json(self) -> list[object]:
        return [self.escape, list(self.passing), self.by_position, self.default]

    @classmethod
    def from_json(cls, data: object) -> DynamicUse:
        """The inverse of :meth:`to_json`; ValueError for anything else."""
        if not isinstance(data, list) or len(data) != 4:
            raise ValueError(f"not a dynamic use: {data!r}")
        escape, passing, by_position, default = data
        if not (
            isinstance(escape, str) and isinstance(passing, list) and all(isinstance(p, str) for p in passing)
            and type(by_position) is bool and type(default) is bool
        ):
            raise ValueError(f"not a dynamic use: {data!r}")
        return cls(escape, tuple(passing), by_position, default)
