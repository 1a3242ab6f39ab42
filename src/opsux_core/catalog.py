"""The operation-type catalog: the single source of truth for type -> label.

Reads are soft (an unknown stored type renders as ``Unknown operation``, never the raw code);
writes are strict (:meth:`OperationCatalog.require` raises :class:`UnregisteredOperationType`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from opsux_core.errors import UnregisteredOperationType
from opsux_core.policy import OperationType

if TYPE_CHECKING:
    from opsux_core.policy import Policy

UNKNOWN_OPERATION_LABEL = "Unknown operation"

# Close enough to be a typo of a registered code ("inventry.sync"), far enough that an unrelated
# code gets no suggestion at all: a wrong hint is worse than none.
_SUGGESTION_CUTOFF = 0.75


class OperationCatalog:
    """Registered operation types, looked up by code."""

    __slots__ = ("_types",)

    def __init__(self, types: Iterable[OperationType]) -> None:
        by_code: dict[str, OperationType] = {}
        for entry in types:
            if entry.code in by_code:
                raise ValueError(f"operation type {entry.code!r} is registered twice")
            by_code[entry.code] = entry
        self._types = by_code

    @classmethod
    def from_policy(cls, policy: Policy) -> OperationCatalog:
        return cls(policy.operation_types.values())

    def label(self, code: object) -> str:
        """The registered label, or exactly ``Unknown operation`` (legacy or dirty data)."""
        entry = self._types.get(code) if isinstance(code, str) else None
        return entry.label if entry is not None else UNKNOWN_OPERATION_LABEL

    def require(self, code: object) -> OperationType:
        """The registered type; raises :class:`UnregisteredOperationType` with a did-you-mean hint."""
        if isinstance(code, str) and code in self._types:
            return self._types[code]
        text = code if isinstance(code, str) else repr(code)
        raise UnregisteredOperationType(text, self.suggest(text))

    def suggest(self, code: str) -> str | None:
        """The registered code nearest to *code*, if one is close enough to be a typo."""
        import difflib  # for a finding's hint only: not worth its import at every start-up

        matches = difflib.get_close_matches(code, list(self._types), n=1, cutoff=_SUGGESTION_CUTOFF)
        return matches[0] if matches else None

    def get(self, code: str) -> OperationType | None:
        return self._types.get(code)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self._types

    def __iter__(self) -> Iterator[OperationType]:
        return iter(self._types.values())

    def __len__(self) -> int:
        return len(self._types)

    def __repr__(self) -> str:
        return f"OperationCatalog({len(self._types)} types)"
