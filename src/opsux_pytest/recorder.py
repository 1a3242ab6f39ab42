"""The notification recorder behind the ``opsux_notifications`` fixture.

It listens on the ``Session`` class, so it sees every session in the process (the fixtures' and
any the app makes itself). A notification is recorded when the transaction that wrote it commits,
and forgotten if that transaction (or a savepoint around it) rolls back: what was recorded is what
a person would actually have received. Assertion names follow Laravel's ``Notification::fake()``.

Every assertion (and the helpers it fails through) sets ``__tracebackhide__``, so pytest shows a
failure at the line of the test that made the assertion, not inside this module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.orm.exc import DetachedInstanceError

from opsux_core import OperationRun, RunNotification, StartResult
from opsux_core.service import run_id_of
from opsux_core.transactions import PendingUntilCommit
from opsux_pytest import messages
from opsux_pytest.facts import RUN_FACT_COLUMNS, facts_from_row
from opsux_pytest.messages import Bullet, RunFacts, block, were_sent

RunRef = OperationRun | StartResult | int
Users = str | Iterable[str]
RunLookup = Callable[[int], RunFacts | None]


@dataclass(frozen=True)
class SentNotification:
    """A committed terminal notification, with the state its run was in when it was written."""

    id: int
    run_id: int
    tenant_id: str
    recipient_id: str
    kind: str
    status: str
    title: str
    run: RunFacts | None
    """The run as it was when the notification was flushed (None if the run row was not found)."""

    def bullet(self, note: str | None = None, *, with_run: bool = True) -> Bullet:
        return Bullet(self.kind, self.recipient_id, note, self.run_id if with_run else None)


class NotificationRecorder:
    """Every terminal notification committed during the test, with assertions over them."""

    def __init__(self, lookup: RunLookup | None = None) -> None:
        self._sent: list[SentNotification] = []
        self._pending: dict[Session, PendingUntilCommit[SentNotification]] = {}
        self._lookup = lookup

    # ------------------------------------------------------------ recording

    @contextmanager
    def listening(self) -> Iterator[NotificationRecorder]:
        hooks: list[tuple[str, Callable[..., None]]] = [
            ("after_flush", self._after_flush),
            ("after_commit", self._after_commit),
            ("after_soft_rollback", self._after_soft_rollback),
            ("after_transaction_end", self._after_transaction_end),
        ]
        installed: list[tuple[str, Callable[..., None]]] = []
        try:
            for name, hook in hooks:
                event.listen(Session, name, hook)
                installed.append((name, hook))
            yield self
        finally:
            for name, hook in installed:
                event.remove(Session, name, hook)
            self._pending.clear()

    def _after_flush(self, session: Session, flush_context: Any) -> None:
        notes = [obj for obj in session.new if isinstance(obj, RunNotification)]
        if not notes:
            return
        # The run's state right now, in the same transaction: "was it still queued when this was sent?"
        runs = {
            row.id: facts_from_row(row)
            for row in session.connection().execute(
                select(*RUN_FACT_COLUMNS).where(OperationRun.id.in_({note.run_id for note in notes}))
            )
        }
        pending = self._pending.setdefault(session, PendingUntilCommit())
        for note in notes:
            pending.add(
                session,
                SentNotification(
                    id=note.id,
                    run_id=note.run_id,
                    tenant_id=note.tenant_id,
                    recipient_id=note.recipient_id,
                    kind=note.kind,
                    status=note.ux_status,
                    title=note.title,
                    run=runs.get(note.run_id),
                ),
            )

    def _after_commit(self, session: Session) -> None:
        pending = self._pending.pop(session, None)
        if pending is not None:
            self._sent.extend(pending.committed())

    def _after_soft_rollback(self, session: Session, previous_transaction: SessionTransaction) -> None:
        pending = self._pending.get(session)
        if pending is not None:
            pending.rolled_back(previous_transaction)

    def _after_transaction_end(self, session: Session, transaction: SessionTransaction) -> None:
        # The session's root transaction ended without a commit (close() does no soft rollback).
        pending = self._pending.get(session)
        if pending is not None:
            pending.ended(transaction)
            if not pending:
                del self._pending[session]

    # ------------------------------------------------------------ reading

    def sent(self, run: RunRef | None = None, user: str | None = None) -> list[SentNotification]:
        """The recorded notifications, optionally only those of *run* and/or to *user*."""
        run_id = run_id_of(run) if run is not None else None
        return [
            note
            for note in self._sent
            if (run_id is None or note.run_id == run_id) and (user is None or note.recipient_id == user)
        ]

    def __len__(self) -> int:
        return len(self._sent)

    def __iter__(self) -> Iterator[SentNotification]:
        return iter(list(self._sent))

    # ------------------------------------------------------------ assertions

    def assert_sent_to(self, user: Users, run: RunRef | None = None) -> None:
        """At least one notification went to each of *user* (of *run*, if given)."""
        __tracebackhide__ = True
        for one in _users(user, "assert_sent_to"):
            if not self.sent(run, one):
                others = ", only" if self.sent(run) else ""
                self._fail(f"Expected a terminal notification to {one}{_of(run)}; none was sent to {one}{others}", run)

    def assert_sent_to_times(self, user: Users, times: int, run: RunRef | None = None) -> None:
        """Exactly *times* notifications went to each of *user* (of *run*, if given)."""
        __tracebackhide__ = True
        if isinstance(times, bool) or not isinstance(times, int) or times < 0:
            raise ValueError(f"times must be a non-negative integer, not {times!r}")
        for one in _users(user, "assert_sent_to_times"):
            got = len(self.sent(run, one))
            if got != times:
                noun = "notification" if times == 1 else "notifications"
                self._fail(f"Expected {times} terminal {noun} to {one}{_of(run)}; {were_sent(got)} to {one}", run)

    def assert_not_sent_to(self, user: Users, run: RunRef | None = None) -> None:
        """No notification went to any of *user* (of *run*, if given)."""
        __tracebackhide__ = True
        for one in _users(user, "assert_not_sent_to"):
            got = len(self.sent(run, one))
            if got:
                self._fail(
                    f"Expected no terminal notification to {one}{_of(run)}; {were_sent(got)} to {one}", run, unwanted=one
                )

    def assert_nothing_sent_to(self, user: Users) -> None:
        """No notification at all went to any of *user*."""
        __tracebackhide__ = True
        for one in _users(user, "assert_nothing_sent_to"):
            got = len(self.sent(user=one))
            if got:
                self._fail(f"Expected no notification to {one}; {were_sent(got)} to {one}", None, unwanted=one)

    def assert_nothing_sent(self) -> None:
        __tracebackhide__ = True
        if self._sent:
            self._fail(f"Expected no notifications; {were_sent(len(self._sent))}", None)

    def assert_count(self, n: int) -> None:
        __tracebackhide__ = True
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"n must be a non-negative integer, not {n!r}")
        if len(self._sent) != n:
            noun = "notification" if n == 1 else "notifications"
            self._fail(f"Expected {n} terminal {noun} in total; {were_sent(len(self._sent))}", None)

    def assert_terminal_once(self, run: RunRef) -> None:
        """Exactly one terminal notification for *run*, to its initiator, sent once it completed."""
        __tracebackhide__ = True
        facts = self._facts(run)
        notes = self.sent(facts.id)
        if facts.initiator_id is None:
            raise AssertionError(
                block(
                    f"{facts.describe()} has no initiator, so it must send no terminal notification; "
                    f"{were_sent(len(notes))}",
                    [n.bullet(messages.SYSTEM_RUNS_GET_NONE, with_run=False) for n in notes],
                )
            )
        bullets = [n.bullet(_offence(n, facts), with_run=False) for n in notes]
        if len(notes) != 1 or any(b.note for b in bullets):
            raise AssertionError(
                block(
                    f"{facts.describe()} must send exactly 1 terminal notification to its initiator; "
                    f"{were_sent(len(notes))}",
                    bullets,
                )
            )

    def assert_only_initiator_notified(self, run: RunRef) -> None:
        """Nobody but the initiator of *run* was notified (a system run: nobody at all)."""
        __tracebackhide__ = True
        facts = self._facts(run)
        notes = self.sent(facts.id)
        if facts.initiator_id is None:
            if notes:
                raise AssertionError(
                    block(
                        f"{facts.describe()} must notify nobody: system runs have no initiator; "
                        f"{were_sent(len(notes))}",
                        [n.bullet(messages.SYSTEM_RUNS_GET_NONE, with_run=False) for n in notes],
                    )
                )
            return
        wrong = [n for n in notes if n.recipient_id != facts.initiator_id]
        if wrong:
            raise AssertionError(
                block(
                    f"{facts.describe()} must notify only its initiator {facts.initiator_id}; "
                    f"{len(wrong)} of {len(notes)} went to someone else",
                    [
                        n.bullet(messages.NOT_THE_INITIATOR if n in wrong else None, with_run=False)
                        for n in notes
                    ],
                )
            )

    def assert_silent_while_queued(self, run: RunRef) -> None:
        """No notification for *run* was written while it was queued or running."""
        __tracebackhide__ = True
        facts = self._facts(run)
        notes = self.sent(facts.id)
        early = [n for n in notes if n.run is not None and n.run.is_active]
        if early:
            raise AssertionError(
                block(
                    f"{facts.describe()} must send no notification while queued or running; "
                    f"{were_sent(len(early))} while it was active",
                    [
                        n.bullet(f"sent while the run was {n.run.status}" if n in early and n.run else None, with_run=False)
                        for n in notes
                    ],
                )
            )

    def assert_conventions(self, run: RunRef) -> None:
        """The whole rule for *run*, as the automatic check applies it.

        Completed with an initiator: exactly one terminal notification, to the initiator, none
        while active. System run, or still queued/running: none at all.
        """
        __tracebackhide__ = True
        facts = self._facts(run)
        notes = self.sent(facts.id)
        message = messages.run_violation(facts, [n.bullet(with_run=False) for n in notes])
        self.assert_silent_while_queued(run)
        if message is not None:
            raise AssertionError(message)

    # ------------------------------------------------------------ plumbing

    def _fail(self, headline: str, run: RunRef | None, unwanted: str | None = None) -> None:
        """Raise with *headline* and a bullet per notification recorded (of *run*, if given)."""
        __tracebackhide__ = True
        bullets = [n.bullet("not expected" if n.recipient_id == unwanted else None) for n in self.sent(run)]
        raise AssertionError(block(headline, bullets))

    def _facts(self, run: RunRef) -> RunFacts:
        __tracebackhide__ = True
        if isinstance(run, StartResult):
            run = run.run
        if isinstance(run, OperationRun):
            try:
                return RunFacts(
                    run.id, run.operation_type, run.tenant_id, run.status, run.outcome, run.initiator_id
                )
            except DetachedInstanceError:
                identity = inspect(run).identity
                run = int(identity[0]) if identity else -1
        run_id = run_id_of(run)
        looked_up = self._lookup(run_id) if self._lookup is not None else None
        if looked_up is not None:
            return looked_up
        for note in reversed(self._sent):
            if note.run_id == run_id and note.run is not None:
                return note.run
        raise LookupError(
            f"Run {run_id} is unknown to opsux_notifications: pass the OperationRun itself, "
            "or use the opsux_session fixture so the recorder can read it"
        )


def _offence(note: SentNotification, run: RunFacts) -> str | None:
    if note.recipient_id != run.initiator_id:
        return messages.NOT_THE_INITIATOR
    if note.run is not None and note.run.is_active:
        return f"sent while the run was {note.run.status}"
    return None


def _of(run: RunRef | None) -> str:
    return f" for run {run_id_of(run)}" if run is not None else ""


def _users(user: Users, assertion: str) -> list[str]:
    __tracebackhide__ = True
    if isinstance(user, str):
        users = [user]
    else:
        try:
            users = list(user)
        except TypeError:
            raise TypeError(f"{assertion} takes a user id or a list of user ids, not {type(user).__name__}") from None
    if not users:
        raise ValueError(f"{assertion} needs at least one recipient: an empty list would pass without checking anything")
    for one in users:
        if not isinstance(one, str) or not one:
            raise ValueError(f"{assertion}: recipients are non-empty user id strings, not {one!r}")
    return users
