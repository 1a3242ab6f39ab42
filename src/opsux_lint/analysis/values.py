"""What resolution produces: strings an expression may be, and why the rest cannot be known."""

from __future__ import annotations

from dataclasses import dataclass


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
    owner: str | None = None
    """For ``self.attr`` read in a method: the class whose own definition gives this text (its
    body's, a method's or a property's, or a subclass's): only an object that is of that class,
    or of a subclass that does not define it again, has it (:meth:`Resolver.owners_for`)."""


@dataclass(frozen=True)
class Unknown:
    """A part of an expression whose value cannot be known statically, and why."""

    reason: str
    param: tuple[str, str] | None = None
    """``(qualified function, parameter name)`` when the value is a function's parameter."""
    template: tuple[str, str] | None = None
    """``(prefix, suffix)`` when the parameter is written inside a template
    (``f"wagtail.workflow.{action}"``): the value is prefix + the parameter + suffix."""
    elements: tuple[tuple[str | int | None, tuple[Item, ...]], ...] | None = None
    """For a dict, list, tuple or set written out: each value or element, with its key (a
    dict's string key, a sequence's position; None for any other) and what it may be."""
    guard: tuple[tuple[str, bool], ...] = ()
    """With :attr:`template`: ``(prefix, starts)`` conditions on the parameter's value under which
    the template is made (``if action.startswith("."): action = f"{p}{action}"``), all holding."""
    owner: str | None = None
    """With :attr:`template`: the class whose definition of an attribute of ``self`` gave the
    text around the parameter (``f"{self.log_prefix}{action}"``, :attr:`Value.owner`): the
    template is made only when the method runs on an object that has that definition."""
    member: tuple[Value, Value] | None = None
    """A member of a plain ``Enum`` (no string): its name and its string value, for a sink
    configured to take a member for one of them (``enum_members``)."""


@dataclass(frozen=True)
class Ref:
    """Something that is not a string: a module, class or function of the project, or an
    external name (a module outside the source roots)."""

    kind: str
    """``module``, ``class``, ``function`` or ``external``."""
    module: str
    key: str


Item = Value | Unknown | Ref


@dataclass(frozen=True)
class Resolution:
    values: tuple[Value, ...]
    unknowns: tuple[Unknown, ...]


@dataclass(frozen=True)
class Callee:
    """What a call's callee is, as far as names and receiver types tell.

    ``names``: every qualified name it may be (``app.ops.start_operation``,
    ``opsux_core.OperationRunService.start`` for a method of a typed receiver). ``unknown``: why
    the receiver's type cannot be told (then ``names`` holds what could be told, possibly nothing).
    ``foreign``: the names in ``names`` that are methods of an object a library made
    (``<the result of `get_object_or_404(...)`>.save``): not opsux's, but possibly the project's
    own (an ORM returns the project's models). ``virtual``: see below.
    """

    names: frozenset[str]
    unknown: str | None = None
    foreign: frozenset[str] = frozenset()
    virtual: frozenset[str] = frozenset()
    """``mod.Base.record`` for ``record`` called on an object typed ``Base`` (``self`` in a method
    of ``Base``, a parameter annotated so): the object may be of a subclass, and run its override."""

    @property
    def untyped(self) -> bool:
        """Nothing tells which class the method is of: the receiver's type is unknown or it
        comes from a library. A method of the project may then be matched by its name."""
        return (self.unknown is not None or bool(self.foreign)) and self.names <= self.foreign


@dataclass(frozen=True)
class CallShape:
    """What a call passes: how many arguments by position, which keywords, and whether it
    spreads ``*args``/``**kwargs`` (then any signature may take it)."""

    positional: int
    keywords: frozenset[str]
    spread: bool

    def to_json(self) -> list[object]:
        return [self.positional, sorted(self.keywords), self.spread]

    @classmethod
    def from_json(cls, data: list[object]) -> CallShape:
        positional, keywords, spread = data
        assert isinstance(positional, int) and isinstance(keywords, list)
        return cls(positional, frozenset(str(k) for k in keywords), bool(spread))
