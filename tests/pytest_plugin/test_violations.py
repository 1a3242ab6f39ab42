"""The automatic check's judgement, called directly: every branch passing and failing, exactly worded.

``run_violation`` decides; ``notification_violations`` reads the database and picks the runs the test
touched. The database's unique constraint keeps a second terminal notification to the same person
out of the generated-project tests, so two are only reachable here.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, MetaData, UniqueConstraint, create_engine, insert

from opsux_core.models import Base, OperationRun, RunNotification
from opsux_pytest.check import notification_violations
from opsux_pytest.database import Baseline
from opsux_pytest.messages import Bullet, RunFacts, run_violation


def facts(status: str = "completed", outcome: str = "succeeded", initiator: str | None = "user-3") -> RunFacts:
    return RunFacts(7, "inventory.sync", "acme", status, outcome, initiator)


HEAD = "Run 7 (inventory.sync, tenant acme, completed/succeeded, initiator user-3)"
EXACTLY_ONE = f"{HEAD} must send exactly 1 terminal notification to its initiator"


def to(*recipients: str) -> list[Bullet]:
    return [Bullet("terminal", recipient) for recipient in recipients]


def test_one_notification_to_the_initiator_is_the_only_pass_for_a_completed_run() -> None:
    assert run_violation(facts(), to("user-3")) is None
    assert run_violation(facts(outcome="failed"), to("user-3")) is None


@pytest.mark.parametrize(
    ("recipients", "message"),
    [
        ((), f"{EXACTLY_ONE}; none was sent."),
        (("user-3", "user-3"), f"{EXACTLY_ONE}; 2 were sent:\n- terminal -> user-3\n- terminal -> user-3"),
        (("user-3", "user-3", "user-3"), f"{EXACTLY_ONE}; 3 were sent:\n" + "\n".join(["- terminal -> user-3"] * 3)),
        (("user-9",), f"{EXACTLY_ONE}; 1 was sent:\n- terminal -> user-9   <- not the initiator"),
        (
            ("user-3", "user-9"),
            f"{EXACTLY_ONE}; 2 were sent:\n- terminal -> user-3\n- terminal -> user-9   <- not the initiator",
        ),
    ],
)
def test_a_completed_run_with_an_initiator_fails_with_fewer_more_or_other_recipients(
    recipients: tuple[str, ...], message: str
) -> None:
    assert run_violation(facts(), to(*recipients)) == message


@pytest.mark.parametrize("status", ["queued", "running"])
def test_an_active_run_passes_silent_and_fails_with_any_notification(status: str) -> None:
    run = facts(status=status, outcome="pending")
    assert run_violation(run, []) is None
    assert run_violation(run, to("user-3")) == (
        f"Run 7 (inventory.sync, tenant acme, {status}, initiator user-3) must send no notification while "
        f"queued or running; 1 was sent:\n- terminal -> user-3   <- sent while the run is {status}"
    )


def test_a_system_run_passes_silent_and_fails_with_any_notification() -> None:
    run = facts(initiator=None)
    assert run_violation(run, []) is None
    assert run_violation(run, to("admin-1", "user-3")) == (
        "Run 7 (inventory.sync, tenant acme, completed/succeeded, system run) must send no notification: "
        "system runs have no initiator; 2 were sent:\n"
        "- terminal -> admin-1   <- system runs get none\n"
        "- terminal -> user-3   <- system runs get none"
    )


# ----------------------------------------------------------------- notification_violations


@pytest.fixture
def connection() -> Iterator[Connection]:
    """SQLite with the opsux tables as a database created before the unique constraint existed."""
    metadata = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(metadata)
    notifications = metadata.tables[RunNotification.__tablename__]
    notifications.constraints = {c for c in notifications.constraints if not isinstance(c, UniqueConstraint)}
    engine = create_engine("sqlite://")
    with engine.begin() as conn:
        metadata.create_all(conn)
        yield conn
    engine.dispose()


def add_run(conn: Connection, run_id: int, status: str, outcome: str, initiator: str | None = "user-3") -> None:
    conn.execute(
        insert(OperationRun).values(
            id=run_id, tenant_id="acme", operation_type="inventory.sync", status=status, outcome=outcome,
            initiator_id=initiator, identity_hash=f"i{run_id}",
        )
    )


def add_notification(conn: Connection, note_id: int, run_id: int, recipient: str) -> None:
    conn.execute(
        insert(RunNotification).values(
            id=note_id, run_id=run_id, tenant_id="acme", recipient_id=recipient, title="t", body="b",
            ux_status="succeeded", url="/x",
        )
    )


def test_the_check_rejects_two_terminal_notifications_to_the_initiator(connection: Connection) -> None:
    add_run(connection, 7, "completed", "succeeded")
    add_notification(connection, 1, 7, "user-3")
    add_notification(connection, 2, 7, "user-3")
    assert notification_violations(connection, Baseline(), {}) == [
        f"{EXACTLY_ONE}; 2 were sent:\n- terminal -> user-3\n- terminal -> user-3"
    ]


def test_the_check_passes_one_and_rejects_none(connection: Connection) -> None:
    add_run(connection, 7, "completed", "succeeded")
    add_notification(connection, 1, 7, "user-3")
    add_run(connection, 8, "completed", "succeeded")
    assert notification_violations(connection, Baseline(), {}) == [
        "Run 8 (inventory.sync, tenant acme, completed/succeeded, initiator user-3) must send exactly 1 "
        "terminal notification to its initiator; none was sent."
    ]


def test_the_check_judges_only_what_the_test_touched(connection: Connection) -> None:
    # Run 7: already completed without its notification before the test, untouched -> not judged.
    add_run(connection, 7, "completed", "succeeded")
    # Run 8: set up as test data while queued (prepared), then completed by the test -> judged.
    add_run(connection, 8, "completed", "succeeded")
    # Run 9: completed with its notification before the test; the test added a second -> judged.
    add_run(connection, 9, "completed", "succeeded")
    add_notification(connection, 1, 9, "user-3")
    add_notification(connection, 2, 9, "user-9")
    baseline = Baseline(runs={7: ("completed", "succeeded"), 9: ("completed", "succeeded")}, notifications=frozenset({1}))
    blocks = notification_violations(connection, baseline, {8: ("queued", "pending")})
    assert [block.split(" (")[0] for block in blocks] == ["Run 8", "Run 9"]
    # The same rows with nothing changed since the baseline: nothing to judge.
    unchanged = Baseline(
        runs={7: ("completed", "succeeded"), 8: ("completed", "succeeded"), 9: ("completed", "succeeded")},
        notifications=frozenset({1, 2}),
    )
    assert notification_violations(connection, unchanged, {}) == []
    # Run 8 made during the test as completed test data (opsux_make_run) and left alone: not judged.
    without_8 = Baseline(runs={7: ("completed", "succeeded"), 9: ("completed", "succeeded")}, notifications=frozenset({1, 2}))
    assert notification_violations(connection, without_8, {8: ("completed", "succeeded")}) == []
    assert [block.split(" (")[0] for block in notification_violations(connection, without_8, {})] == ["Run 8"]
