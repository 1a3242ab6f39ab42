"""Failure messages: a headline with the rule, the run, expected and actual; one ``- `` bullet per
notification in plain words, marking the offending ones; one line on how to opt out.

Shared by the automatic end-of-test check and the recorder's assertions, so a person reads the
same words whichever of the two caught the problem.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

VERIFY_OPT_OUT = "Turn this check off for one test with @pytest.mark.opsux(verify=False)."
STRICT_CATALOG_OPT_OUT = "Turn this check off for one test with @pytest.mark.opsux(strict_catalog=False)."

NOT_THE_INITIATOR = "not the initiator"
SYSTEM_RUNS_GET_NONE = "system runs get none"


@dataclass(frozen=True)
class RunFacts:
    """What a message says about a run (plain values, never an ORM object)."""

    id: int
    operation_type: str
    tenant_id: str
    status: str
    outcome: str
    initiator_id: str | None

    @property
    def is_active(self) -> bool:
        return self.status in ("queued", "running")

    def describe(self) -> str:
        state = self.status if self.is_active else f"{self.status}/{self.outcome}"
        who = f"initiator {self.initiator_id}" if self.initiator_id is not None else "system run"
        return f"Run {self.id} ({self.operation_type}, tenant {self.tenant_id}, {state}, {who})"


@dataclass(frozen=True)
class Bullet:
    kind: str
    recipient_id: str
    note: str | None = None
    run_id: int | None = None
    """Shown only where the message is not about a single run."""
    origin: str | None = None
    """The code that added the notification, shown under a marked bullet (the one to go fix)."""

    def render(self) -> str:
        text = f"- {self.kind} -> {self.recipient_id}"
        if self.run_id is not None:
            text += f" (run {self.run_id})"
        if self.note:
            text += f"   <- {self.note}"
            if self.origin:
                text += f"\n  added at {self.origin}"
        return text


def were_sent(count: int) -> str:
    if count == 0:
        return "none was sent"
    return f"{count} was sent" if count == 1 else f"{count} were sent"


def block(headline: str, bullets: Sequence[Bullet]) -> str:
    """A headline, ending in ``:`` when bullets follow and ``.`` when none do, then the bullets."""
    if not bullets:
        return headline + "."
    return "\n".join([headline + ":", *(bullet.render() for bullet in bullets)])


def run_violation(run: RunFacts, bullets: Sequence[Bullet]) -> str | None:
    """The message for *run* if its notifications break the conventions, else None.

    *bullets* are the run's notifications (unmarked); this decides which ones to mark.
    """
    count = len(bullets)
    if run.is_active:
        if not count:
            return None
        marked = [_mark(b, f"sent while the run is {run.status}") for b in bullets]
        return block(
            f"{run.describe()} must send no notification while queued or running; {were_sent(count)}",
            marked,
        )
    if run.initiator_id is None:
        if not count:
            return None
        marked = [_mark(b, SYSTEM_RUNS_GET_NONE) for b in bullets]
        return block(
            f"{run.describe()} must send no notification: system runs have no initiator; {were_sent(count)}",
            marked,
        )
    wrong = [b for b in bullets if b.recipient_id != run.initiator_id]
    if count == 1 and not wrong:
        return None
    marked = [_mark(b, NOT_THE_INITIATOR) if b.recipient_id != run.initiator_id else b for b in bullets]
    return block(
        f"{run.describe()} must send exactly 1 terminal notification to its initiator; {were_sent(count)}",
        marked,
    )


def _mark(bullet: Bullet, note: str) -> Bullet:
    return Bullet(bullet.kind, bullet.recipient_id, note, bullet.run_id, bullet.origin)


def report(blocks: Iterable[str], opt_outs: Iterable[str]) -> str:
    """Violation blocks separated by blank lines, then each distinct opt-out line once."""
    parts = list(blocks)
    lines = list(dict.fromkeys(opt_outs))
    return "\n\n".join(parts) + ("\n" + "\n".join(lines) if lines else "")
