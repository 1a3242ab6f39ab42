"""Work that must wait for a session's commit, and be forgotten if its transaction rolls back.

Each item remembers the (possibly nested) transaction that was current when it was added, so a
rolled-back savepoint drops only its own items, and a session closed without committing drops all.
The notifier keeps its deliveries here; the pytest plugin keeps the notifications it records.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from sqlalchemy.orm import Session, SessionTransaction

T = TypeVar("T")


def current_transaction(session: Session) -> SessionTransaction | None:
    return session.get_nested_transaction() or session.get_transaction()


def within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    """Whether *transaction* is *ancestor* or nested inside it."""
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


class PendingUntilCommit(Generic[T]):
    """Items waiting for the outermost commit. Feed it from the session events named below."""

    __slots__ = ("_items",)

    def __init__(self) -> None:
        self._items: list[tuple[SessionTransaction | None, T]] = []

    def add(self, session: Session, item: T) -> None:
        self._items.append((current_transaction(session), item))

    def committed(self) -> list[T]:
        """``after_commit``: everything pending is now durable; hand it over and forget it."""
        items = [item for _, item in self._items]
        self._items.clear()
        return items

    def rolled_back(self, previous_transaction: SessionTransaction) -> None:
        """``after_soft_rollback``: drop what was added inside the rolled-back transaction."""
        self._items[:] = [(tx, item) for tx, item in self._items if not within(tx, previous_transaction)]

    def ended(self, transaction: SessionTransaction) -> None:
        """``after_transaction_end``: a root transaction that ends uncommitted (``close()``) keeps nothing."""
        if transaction.parent is None:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
