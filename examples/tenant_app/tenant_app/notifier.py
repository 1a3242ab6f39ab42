"""Delivery channels: the one terminal notification also goes out by e-mail after commit.

The notifier module of opsux.yaml (``lint.notifier_modules``): the only place that sends anything.
"""

from __future__ import annotations

from opsux_core import Delivery, Notifier, RunStatus

from tenant_app.legacy import mail, send_db_notification


def email_channel(delivery: Delivery) -> None:
    lines = [delivery.body]
    if delivery.summary:
        lines.append(delivery.summary)
    lines.append(f"{delivery.action_label}: {delivery.url}")
    mail(delivery.recipient_id, delivery.title, "\n".join(lines))


def notifier() -> Notifier:
    return Notifier(channels=[email_channel])


def mirror_to_legacy_inbox(delivery: Delivery) -> None:
    """The old inbox still shows run outcomes until its users have moved over."""
    send_db_notification(delivery.recipient_id, delivery.run_id, delivery.status)


def announce_start(recipient_id: str, run_id: int) -> None:
    # deliberate: OPS002 - a running notification; progress belongs to the progress widget.
    send_db_notification(recipient_id, run_id, status=RunStatus.RUNNING)
