"""``opsux_notifications``: what it records (committed only) and each assertion's exact message."""

from __future__ import annotations

from plugin_harness import Project

PREAMBLE = """
import pytest
from sqlalchemy import update
from opsux_core import Initiator, OperationRun, OperationRunService, RunNotification

USER_3 = Initiator("user-3", "User Three")


def raises(call, *args, **kwargs):
    with pytest.raises(AssertionError) as caught:
        call(*args, **kwargs)
    return str(caught.value)


@pytest.fixture
def finished(opsux_service):
    run = opsux_service.start("acme", "inventory.sync", initiator=USER_3).run
    opsux_service.complete(run, "succeeded")
    return run


def extra(session, run, recipient):
    session.add(RunNotification(
        run_id=run.id, tenant_id=run.tenant_id, recipient_id=recipient, title="t", body="b",
        ux_status="succeeded", url="/x",
    ))
    session.commit()
"""


def test_recording_follows_commits_and_rollbacks(project: Project) -> None:
    project.tests(
        PREAMBLE
        + """
def test_recorded_when_committed_not_when_flushed(opsux_session, opsux_policy, opsux_notifications):
    service = OperationRunService(opsux_session, opsux_policy, autocommit=False)
    run = service.start("acme", "inventory.sync", initiator=USER_3).run
    service.complete(run, "succeeded")
    assert opsux_notifications.sent() == []
    opsux_session.commit()
    [note] = opsux_notifications.sent()
    assert (note.run_id, note.recipient_id, note.kind, note.status) == (run.id, "user-3", "terminal", "succeeded")
    assert note.run.status == "completed"

def test_rolled_back_work_is_forgotten(opsux_session, opsux_policy, opsux_notifications):
    service = OperationRunService(opsux_session, opsux_policy, autocommit=False)
    run = service.start("acme", "inventory.sync", initiator=USER_3).run
    opsux_session.commit()
    service.complete(run, "succeeded")
    opsux_session.rollback()
    opsux_notifications.assert_nothing_sent()

def test_a_rolled_back_savepoint_is_forgotten_the_rest_is_kept(opsux_session, opsux_policy, opsux_notifications):
    service = OperationRunService(opsux_session, opsux_policy, autocommit=False)
    kept = service.start("acme", "inventory.sync", initiator=USER_3).run
    dropped = service.start("acme", "backup.schedule.execute", initiator=USER_3).run
    service.complete(kept, "succeeded")
    with opsux_session.begin_nested() as savepoint:
        service.complete(dropped, "failed")
        savepoint.rollback()
    opsux_session.commit()
    assert [n.run_id for n in opsux_notifications.sent()] == [kept.id]

def test_closed_without_commit_is_forgotten(opsux_sessionmaker, opsux_policy, opsux_notifications):
    session = opsux_sessionmaker()
    service = OperationRunService(session, opsux_policy, autocommit=False)
    run = service.start("acme", "inventory.sync", initiator=USER_3).run
    service.complete(run, "succeeded")
    session.close()
    opsux_notifications.assert_nothing_sent()

def test_sessions_the_app_opens_itself_are_seen(opsux_sessionmaker, opsux_policy, opsux_notifications):
    with opsux_sessionmaker() as session:
        service = OperationRunService(session, opsux_policy)
        run = service.start("acme", "inventory.sync", initiator=USER_3).run
        service.complete(run, "partially_succeeded", summary_counts={"succeeded": 2, "failed": 1})
        run_id = run.id
    opsux_notifications.assert_sent_to("user-3", run=run_id)
    assert opsux_notifications.sent(user="user-3")[0].status == "partial"

@pytest.fixture
def completed_in_setup(opsux_service):
    run = opsux_service.start("acme", "inventory.sync", initiator=USER_3).run
    opsux_service.complete(run, "succeeded")
    return run

def test_sees_what_fixtures_did_before_it_was_set_up(completed_in_setup, opsux_notifications):
    opsux_notifications.assert_terminal_once(completed_in_setup)

def test_filters(finished, opsux_service, opsux_notifications):
    other = opsux_service.start("acme", "backup.schedule.execute", initiator=Initiator("user-4", "Four")).run
    opsux_service.complete(other, "cancelled")
    assert [n.recipient_id for n in opsux_notifications.sent()] == ["user-3", "user-4"]
    assert [n.recipient_id for n in opsux_notifications.sent(run=other)] == ["user-4"]
    assert [n.run_id for n in opsux_notifications.sent(user="user-3")] == [finished.id]
    assert opsux_notifications.sent(run=other, user="user-3") == []
    assert len(opsux_notifications) == 2
"""
    )
    project.run().assert_outcomes(passed=7)


def test_passing_assertions(project: Project) -> None:
    project.tests(
        PREAMBLE
        + """
def test_all_pass(finished, opsux_service, opsux_notifications):
    system = opsux_service.start("acme", "backup.schedule.execute").run
    opsux_service.complete(system, "succeeded")
    queued = opsux_service.start("acme", "inventory.sync", initiator=Initiator("user-5", "Five")).run
    n = opsux_notifications
    n.assert_sent_to("user-3")
    n.assert_sent_to(["user-3"], run=finished)
    n.assert_sent_to_times("user-3", 1, run=finished)
    n.assert_sent_to_times("user-9", 0)
    n.assert_not_sent_to("user-9")
    n.assert_not_sent_to("user-3", run=system)
    n.assert_nothing_sent_to(["user-9", "user-5"])
    n.assert_count(1)
    for run in (finished, system, queued):
        n.assert_only_initiator_notified(run)
        n.assert_silent_while_queued(run)
        n.assert_conventions(run)
    n.assert_terminal_once(finished)
    n.assert_terminal_once(finished.id)  # by id: read through the test's connection
    again = opsux_service.start("acme", "inventory.sync", initiator=USER_3, identity="second")
    opsux_service.complete(again.run, "failed")
    n.assert_conventions(again)  # a StartResult works too

def test_nothing(opsux_notifications):
    opsux_notifications.assert_nothing_sent()
    opsux_notifications.assert_count(0)
"""
    )
    project.run().assert_outcomes(passed=2)


def test_failing_assertions_say_what_was_expected_and_what_was_sent(project: Project) -> None:
    project.tests(
        PREAMBLE
        + """
@pytest.mark.opsux(verify=False)
def test_messages(finished, opsux_session, opsux_notifications):
    n, r = opsux_notifications, finished.id
    head = f"Run {r} (inventory.sync, tenant acme, completed/succeeded, initiator user-3)"
    assert raises(n.assert_sent_to, "user-9") == (
        f"Expected a terminal notification to user-9; none was sent to user-9, only:\\n- terminal -> user-3 (run {r})"
    )
    assert raises(n.assert_sent_to_times, "user-3", 2, run=finished) == (
        f"Expected 2 terminal notifications to user-3 for run {r}; 1 was sent to user-3:\\n- terminal -> user-3 (run {r})"
    )
    assert raises(n.assert_not_sent_to, "user-3") == (
        f"Expected no terminal notification to user-3; 1 was sent to user-3:\\n- terminal -> user-3 (run {r})   <- not expected"
    )
    assert raises(n.assert_nothing_sent_to, ["user-9", "user-3"]) == (
        f"Expected no notification to user-3; 1 was sent to user-3:\\n- terminal -> user-3 (run {r})   <- not expected"
    )
    assert raises(n.assert_nothing_sent) == f"Expected no notifications; 1 was sent:\\n- terminal -> user-3 (run {r})"
    assert raises(n.assert_count, 2) == (
        f"Expected 2 terminal notifications in total; 1 was sent:\\n- terminal -> user-3 (run {r})"
    )
    extra(opsux_session, finished, "user-9")
    assert raises(n.assert_terminal_once, finished) == (
        f"{head} must send exactly 1 terminal notification to its initiator; 2 were sent:\\n"
        "- terminal -> user-3\\n"
        "- terminal -> user-9   <- not the initiator"
    )
    assert raises(n.assert_only_initiator_notified, finished) == (
        f"{head} must notify only its initiator user-3; 1 of 2 went to someone else:\\n"
        "- terminal -> user-3\\n"
        "- terminal -> user-9   <- not the initiator"
    )
    assert raises(n.assert_conventions, finished) == (
        f"{head} must send exactly 1 terminal notification to its initiator; 2 were sent:\\n"
        "- terminal -> user-3\\n"
        "- terminal -> user-9   <- not the initiator"
    )

@pytest.mark.opsux(verify=False)
def test_queued_and_system_messages(opsux_service, opsux_session, opsux_notifications):
    n = opsux_notifications
    queued = opsux_service.start("acme", "inventory.sync", initiator=USER_3).run
    extra(opsux_session, queued, "user-3")
    q = queued.id
    assert raises(n.assert_silent_while_queued, queued) == (
        f"Run {q} (inventory.sync, tenant acme, queued, initiator user-3) must send no notification while "
        "queued or running; 1 was sent while it was active:\\n"
        "- terminal -> user-3   <- sent while the run was queued"
    )
    opsux_session.execute(update(OperationRun).where(OperationRun.id == q).values(status="completed", outcome="succeeded"))
    opsux_session.commit()
    assert raises(n.assert_conventions, queued) == (
        f"Run {q} (inventory.sync, tenant acme, completed/succeeded, initiator user-3) must send no notification while "
        "queued or running; 1 was sent while it was active:\\n"
        "- terminal -> user-3   <- sent while the run was queued"
    )
    assert raises(n.assert_terminal_once, queued) == (
        f"Run {q} (inventory.sync, tenant acme, completed/succeeded, initiator user-3) must send exactly 1 terminal "
        "notification to its initiator; 1 was sent:\\n"
        "- terminal -> user-3   <- sent while the run was queued"
    )
    system = opsux_service.start("acme", "backup.schedule.execute").run
    opsux_service.complete(system, "succeeded")
    extra(opsux_session, system, "user-3")
    s = system.id
    assert raises(n.assert_only_initiator_notified, system) == (
        f"Run {s} (backup.schedule.execute, tenant acme, completed/succeeded, system run) must notify nobody: "
        "system runs have no initiator; 1 was sent:\\n"
        "- terminal -> user-3   <- system runs get none"
    )
    assert raises(n.assert_terminal_once, system) == (
        f"Run {s} (backup.schedule.execute, tenant acme, completed/succeeded, system run) has no initiator, so it "
        "must send no terminal notification; 1 was sent:\\n"
        "- terminal -> user-3   <- system runs get none"
    )
    silent = opsux_service.start("acme", "inventory.sync", initiator=USER_3, identity="again").run
    assert raises(n.assert_sent_to, "user-3", run=silent) == (
        f"Expected a terminal notification to user-3 for run {silent.id}; none was sent to user-3."
    )
"""
    )
    project.run().assert_outcomes(passed=2)


def test_empty_recipient_lists_are_errors_never_a_vacuous_pass(project: Project) -> None:
    project.tests(
        PREAMBLE
        + """
@pytest.mark.parametrize("assertion", ["assert_sent_to", "assert_not_sent_to", "assert_nothing_sent_to"])
def test_empty(opsux_notifications, assertion):
    with pytest.raises(ValueError, match=f"^{assertion} needs at least one recipient: an empty list would pass without checking anything$"):
        getattr(opsux_notifications, assertion)([])

def test_empty_times(opsux_notifications):
    with pytest.raises(ValueError, match="^assert_sent_to_times needs at least one recipient"):
        opsux_notifications.assert_sent_to_times((), 1)
    with pytest.raises(ValueError, match="^times must be a non-negative integer, not -1$"):
        opsux_notifications.assert_sent_to_times("user-3", -1)
    with pytest.raises(ValueError, match="recipients are non-empty user id strings, not ''"):
        opsux_notifications.assert_sent_to("")
"""
    )
    project.run().assert_outcomes(passed=4)
