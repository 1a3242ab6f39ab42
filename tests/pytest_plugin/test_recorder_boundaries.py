"""Each ``opsux_notifications`` assertion on both sides of its count: fewer, exactly, more.

The recorder's own tests show each assertion passing and failing once; these put every count
assertion just below, at and just above what it expects, and check each failure message exactly.
"""

from __future__ import annotations

from plugin_harness import Project

PREAMBLE = """
import pytest
from sqlalchemy import delete, update
from opsux_core import Initiator, OperationRun, RunNotification

USER_3 = Initiator("user-3", "User Three")


def raises(call, *args, **kwargs):
    with pytest.raises(AssertionError) as caught:
        call(*args, **kwargs)
    return str(caught.value)


def hand_completed(session, run, outcome="succeeded"):
    session.execute(update(OperationRun).where(OperationRun.id == run.id).values(status="completed", outcome=outcome))
    session.commit()


def hand_written(session, run, recipient):
    session.add(RunNotification(
        run_id=run.id, tenant_id=run.tenant_id, recipient_id=recipient, title="t", body="b",
        ux_status="succeeded", url="/x",
    ))
    session.commit()


def head(run, state="completed/succeeded", who="initiator user-3"):
    return f"Run {run.id} ({run.operation_type}, tenant acme, {state}, {who})"


@pytest.fixture
def finished(opsux_service):
    run = opsux_service.start("acme", "inventory.sync", initiator=USER_3).run
    opsux_service.complete(run, "succeeded")
    return run
"""


def test_nothing_sent_to_the_initiator(project: Project) -> None:
    project.tests(
        PREAMBLE
        + """
@pytest.mark.opsux(verify=False)
def test_completed_without_its_notification(opsux_service, opsux_session, opsux_notifications):
    n = opsux_notifications
    run = opsux_service.start("acme", "inventory.sync", initiator=USER_3).run
    hand_completed(opsux_session, run)
    expected = f"{head(run)} must send exactly 1 terminal notification to its initiator; none was sent."
    assert raises(n.assert_terminal_once, run) == expected
    assert raises(n.assert_terminal_once, run.id) == expected
    assert raises(n.assert_conventions, run) == expected
    assert raises(n.assert_sent_to, "user-3", run=run) == (
        f"Expected a terminal notification to user-3 for run {run.id}; none was sent to user-3."
    )
    assert raises(n.assert_sent_to_times, "user-3", 1, run=run) == (
        f"Expected 1 terminal notification to user-3 for run {run.id}; none was sent to user-3."
    )
    assert raises(n.assert_count, 1) == "Expected 1 terminal notification in total; none was sent."
    # What does hold when nothing was sent:
    n.assert_sent_to_times("user-3", 0, run=run)
    n.assert_only_initiator_notified(run)
    n.assert_silent_while_queued(run)
    n.assert_not_sent_to("user-3", run=run)
    n.assert_nothing_sent()
    n.assert_count(0)

def test_a_system_run_can_never_pass_terminal_once(opsux_service, opsux_notifications):
    n = opsux_notifications
    run = opsux_service.start("acme", "backup.schedule.execute").run
    opsux_service.complete(run, "succeeded")
    assert raises(n.assert_terminal_once, run) == (
        f"{head(run, who='system run')} has no initiator, so it must send no terminal notification; none was sent."
    )
    n.assert_conventions(run)
    n.assert_only_initiator_notified(run)
"""
    )
    project.run().assert_outcomes(passed=2)


def test_more_sent_than_expected(project: Project) -> None:
    project.tests(
        PREAMBLE
        + """
def test_one_sent(finished, opsux_notifications):
    n, r = opsux_notifications, finished.id
    bullet = f"- terminal -> user-3 (run {r})"
    assert raises(n.assert_sent_to_times, "user-3", 0) == (
        f"Expected 0 terminal notifications to user-3; 1 was sent to user-3:\\n{bullet}"
    )
    assert raises(n.assert_sent_to_times, "user-3", 0, run=finished) == (
        f"Expected 0 terminal notifications to user-3 for run {r}; 1 was sent to user-3:\\n{bullet}"
    )
    assert raises(n.assert_count, 0) == f"Expected 0 terminal notifications in total; 1 was sent:\\n{bullet}"
    n.assert_sent_to_times("user-3", 1)
    n.assert_count(1)
    assert raises(n.assert_sent_to_times, "user-3", 2) == (
        f"Expected 2 terminal notifications to user-3; 1 was sent to user-3:\\n{bullet}"
    )

def test_two_sent(finished, opsux_service, opsux_notifications):
    n, r = opsux_notifications, finished.id
    second = opsux_service.start("acme", "inventory.sync", initiator=USER_3, identity="second").run
    opsux_service.complete(second, "failed")
    bullets = f"- terminal -> user-3 (run {r})\\n- terminal -> user-3 (run {second.id})"
    assert raises(n.assert_sent_to_times, "user-3", 1) == (
        f"Expected 1 terminal notification to user-3; 2 were sent to user-3:\\n{bullets}"
    )
    assert raises(n.assert_count, 1) == f"Expected 1 terminal notification in total; 2 were sent:\\n{bullets}"
    assert raises(n.assert_count, 3) == f"Expected 3 terminal notifications in total; 2 were sent:\\n{bullets}"
    n.assert_sent_to_times("user-3", 2)
    n.assert_sent_to_times("user-3", 1, run=second)
    n.assert_count(2)
    assert [note.run_id for note in n] == [r, second.id]
"""
    )
    project.run().assert_outcomes(passed=2)


def test_every_listed_recipient_is_checked_not_only_the_first(project: Project) -> None:
    project.tests(
        PREAMBLE
        + """
def test_lists(finished, opsux_notifications):
    n, r = opsux_notifications, finished.id
    bullet = f"- terminal -> user-3 (run {r})"
    assert raises(n.assert_sent_to, ["user-3", "user-9"]) == (
        f"Expected a terminal notification to user-9; none was sent to user-9, only:\\n{bullet}"
    )
    assert raises(n.assert_sent_to_times, ["user-3", "user-9"], 1) == (
        f"Expected 1 terminal notification to user-9; none was sent to user-9:\\n{bullet}"
    )
    assert raises(n.assert_not_sent_to, ["user-9", "user-3"]) == (
        f"Expected no terminal notification to user-3; 1 was sent to user-3:\\n{bullet}   <- not expected"
    )
    assert raises(n.assert_nothing_sent_to, ("user-9", "user-3")) == (
        f"Expected no notification to user-3; 1 was sent to user-3:\\n{bullet}   <- not expected"
    )
    n.assert_sent_to(("user-3",))
    n.assert_not_sent_to(["user-9", "user-8"])
    n.assert_nothing_sent_to(["user-9", "user-8"])
"""
    )
    project.run().assert_outcomes(passed=1)


def test_two_terminal_notifications_to_the_initiator(project: Project) -> None:
    # The unique constraint allows one row per run and recipient at a time, so the automatic check
    # (which reads the database) sees one; the recorder saw both commits.
    project.tests(
        PREAMBLE
        + """
def test_sent_deleted_and_sent_again(finished, opsux_session, opsux_notifications):
    n = opsux_notifications
    opsux_session.execute(delete(RunNotification).where(RunNotification.run_id == finished.id))
    opsux_session.commit()
    hand_written(opsux_session, finished, "user-3")
    expected = (
        f"{head(finished)} must send exactly 1 terminal notification to its initiator; 2 were sent:\\n"
        "- terminal -> user-3\\n"
        "- terminal -> user-3"
    )
    assert raises(n.assert_conventions, finished) == expected
    assert raises(n.assert_terminal_once, finished) == expected
    assert raises(n.assert_sent_to_times, "user-3", 1, run=finished) == (
        f"Expected 1 terminal notification to user-3 for run {finished.id}; 2 were sent to user-3:\\n"
        f"- terminal -> user-3 (run {finished.id})\\n"
        f"- terminal -> user-3 (run {finished.id})"
    )
    n.assert_only_initiator_notified(finished)
    n.assert_silent_while_queued(finished)
"""
    )
    project.run().assert_outcomes(passed=1)


def test_bad_counts_are_usage_errors(project: Project) -> None:
    project.tests(
        PREAMBLE
        + """
@pytest.mark.parametrize("bad", [-1, True, 1.0, "1"])
def test_count(opsux_notifications, bad):
    with pytest.raises(ValueError, match=f"^n must be a non-negative integer, not {bad!r}$"):
        opsux_notifications.assert_count(bad)
    with pytest.raises(ValueError, match=f"^times must be a non-negative integer, not {bad!r}$"):
        opsux_notifications.assert_sent_to_times("user-3", bad)

def test_unknown_run(opsux_notifications):
    with pytest.raises(LookupError, match="^Run 999999 is unknown to opsux_notifications: pass the OperationRun"):
        opsux_notifications.assert_terminal_once(999999)

def test_not_a_user(opsux_notifications):
    with pytest.raises(TypeError, match="^assert_sent_to takes a user id or a list of user ids, not int$"):
        opsux_notifications.assert_sent_to(3)
"""
    )
    project.run().assert_outcomes(passed=6)
