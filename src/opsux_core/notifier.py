"""The notifier: writes a run's one terminal notification and delivers it after commit.

The API has no way to write anything but a terminal notification to the initiator: queued and
running notifications are impossible by construction (and the schema's check constraint backs it).
Delivery channels (email, websocket, a chat webhook) are plain callables that run only once the
transaction that wrote the notification has committed, so nobody is told about a run state that
was rolled back.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from opsux_core.models import NOTIFICATION_KIND_TERMINAL, OperationRun, RunNotification
from opsux_core.presenter import TerminalContent
from opsux_core.transactions import PendingUntilCommit

logger = logging.getLogger("opsux.notifier")

_PENDING = "opsux.pending_deliveries"


@dataclass(frozen=True)
class Delivery:
    """What a delivery channel receives: the committed notification, as plain values."""

    notification_id: int
    run_id: int
    tenant_id: str
    recipient_id: str
    title: str
    body: str
    summary: str | None
    status: str
    url: str
    action_label: str

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


Channel = Callable[[Delivery], None]


class Notifier:
    """Writes terminal notifications; *channels* are called after commit, one failure not stopping the rest."""

    def __init__(self, channels: Sequence[Channel] = ()) -> None:
        self.channels = tuple(channels)

    def notify_terminal(
        self, session: Session, run: OperationRun, content: TerminalContent
    ) -> RunNotification | None:
        """Write the terminal notification to the run's initiator; system runs get none."""
        if run.initiator_id is None:
            return None
        note = RunNotification(
            run_id=run.id,
            tenant_id=run.tenant_id,
            recipient_id=run.initiator_id,
            kind=NOTIFICATION_KIND_TERMINAL,
            title=content.title,
            body=content.body,
            summary=content.summary,
            ux_status=content.status.value,
            url=content.url,
        )
        session.add(note)
        session.flush()
        if self.channels:
            delivery = Delivery(
                notification_id=note.id,
                run_id=run.id,
                tenant_id=run.tenant_id,
                recipient_id=run.initiator_id,
                title=content.title,
                body=content.body,
                summary=content.summary,
                status=content.status.value,
                url=content.url,
                action_label=content.action_label,
            )
            _defer_until_commit(session, lambda: self._deliver(delivery))
        return note

    def _deliver(self, delivery: Delivery) -> None:
        for channel in self.channels:
            try:
                channel(delivery)
            except Exception:
                # The notification is committed; a broken channel must not undo it or stop the others.
                logger.exception(
                    "delivery channel %r failed for notification %s (run %s)",
                    channel,
                    delivery.notification_id,
                    delivery.run_id,
                )


def _defer_until_commit(session: Session, action: Callable[[], None]) -> None:
    """Run *action* after the session's outermost commit; forget it if its transaction rolls back."""
    pending: PendingUntilCommit[Callable[[], None]] | None = session.info.get(_PENDING)
    if pending is None:
        pending = PendingUntilCommit()
        session.info[_PENDING] = pending
        event.listen(session, "after_commit", _run_pending)
        event.listen(session, "after_soft_rollback", lambda s, previous: pending.rolled_back(previous))
        event.listen(session, "after_transaction_end", lambda s, transaction: pending.ended(transaction))
    pending.add(session, action)


def _run_pending(session: Session) -> None:
    pending: PendingUntilCommit[Callable[[], None]] = session.info[_PENDING]
    for action in pending.committed():
        action()
