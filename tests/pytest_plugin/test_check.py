"""The automatic end-of-test check: each violation kind fails the test with its exact message."""

from __future__ import annotations

import pytest

from plugin_harness import Project, output

# What feature code does when it bypasses the service and the notifier: the violations to catch.
HELPERS = """
import pytest
from sqlalchemy import update
from opsux_core import Initiator, OperationRun, RunNotification

USER_3 = Initiator("user-3", "User Three")


def hand_written_notification(session, run, recipient, status="succeeded"):
    session.add(RunNotification(
        run_id=run.id, tenant_id=run.tenant_id, recipient_id=recipient,
        title="Inventory sync completed", body="Done.", ux_status=status, url=f"/admin/operations/{run.id}",
    ))
    session.commit()


def hand_completed(session, run, outcome="succeeded"):
    session.execute(update(OperationRun).where(OperationRun.id == run.id).values(status="completed", outcome=outcome))
    session.commit()
"""

OPT_OUT = "Turn this check off for one test with @pytest.mark.opsux(verify=False)."


def fails_with(project: Project, body: str, message: str) -> None:
    """Run a generated test (with HELPERS) and expect it to fail with *message* in its report."""
    project.tests(HELPERS + body)
    result = project.run()
    result.assert_outcomes(failed=1)
    assert message in output(result)


def test_runs_that_follow_the_conventions_pass(project: Project) -> None:
    project.tests(
        HELPERS
        + """
def test_completed_with_initiator(opsux_service):
    run = opsux_service.start("acme", "inventory.sync", initiator=USER_3).run
    opsux_service.mark_running(run)
    opsux_service.complete(run, "succeeded")

def test_failed_with_initiator(opsux_service):
    run = opsux_service.start("acme", "inventory.sync", initiator=USER_3).run
    opsux_service.fail(run, "sync.timeout", "took too long")

def test_system_run(opsux_service):
    run = opsux_service.start("acme", "backup.schedule.execute").run
    opsux_service.complete(run, "succeeded")

def test_still_queued_and_running(opsux_service):
    opsux_service.start("acme", "inventory.sync", initiator=USER_3)
    running = opsux_service.start("acme", "backup.schedule.execute", initiator=USER_3).run
    opsux_service.mark_running(running)

def test_deduped_start_notifies_only_the_original_initiator(opsux_service):
    first = opsux_service.start("acme", "inventory.sync", initiator=USER_3).run
    again = opsux_service.start("acme", "inventory.sync", initiator=Initiator("user-9", "Nine"))
    assert not again.created
    opsux_service.complete(first, "succeeded")
"""
    )
    result = project.run()
    result.assert_outcomes(passed=5)


def test_completed_run_without_its_notification_fails(project: Project) -> None:
    fails_with(
        project,
        """
def test_it(opsux_service, opsux_session):
    run = opsux_service.start("acme", "inventory.sync", initiator=USER_3).run
    hand_completed(opsux_session, run)
""",
        "Run <id> (inventory.sync, tenant acme, completed/succeeded, initiator user-3) must send exactly 1 "
        "terminal notification to its initiator; none was sent.\n" + OPT_OUT,
    )


def test_a_second_notification_to_someone_else_fails_with_the_style_guide_message(project: Project) -> None:
    fails_with(
        project,
        """
def test_it(opsux_service, opsux_session):
    run = opsux_service.start("acme", "inventory.sync", initiator=USER_3).run
    opsux_service.complete(run, "succeeded")
    hand_written_notification(opsux_session, run, "user-9")
""",
        "Run <id> (inventory.sync, tenant acme, completed/succeeded, initiator user-3) must send exactly 1 "
        "terminal notification to its initiator; 2 were sent:\n"
        "- terminal -> user-3\n"
        "- terminal -> user-9   <- not the initiator\n" + OPT_OUT,
    )


def test_a_notification_to_someone_other_than_the_initiator_fails(project: Project) -> None:
    fails_with(
        project,
        """
def test_it(opsux_service, opsux_session):
    run = opsux_service.start("acme", "inventory.sync", initiator=USER_3).run
    hand_completed(opsux_session, run, outcome="failed")
    hand_written_notification(opsux_session, run, "user-9", status="failed")
""",
        "Run <id> (inventory.sync, tenant acme, completed/failed, initiator user-3) must send exactly 1 "
        "terminal notification to its initiator; 1 was sent:\n"
        "- terminal -> user-9   <- not the initiator\n" + OPT_OUT,
    )


def test_a_notification_for_a_system_run_fails(project: Project) -> None:
    fails_with(
        project,
        """
def test_it(opsux_service, opsux_session):
    run = opsux_service.start("acme", "backup.schedule.execute").run
    opsux_service.complete(run, "succeeded")
    hand_written_notification(opsux_session, run, "admin-1")
""",
        "Run <id> (backup.schedule.execute, tenant acme, completed/succeeded, system run) must send no "
        "notification: system runs have no initiator; 1 was sent:\n"
        "- terminal -> admin-1   <- system runs get none\n" + OPT_OUT,
    )


@pytest.mark.parametrize("status", ["queued", "running"])
def test_a_notification_while_queued_or_running_fails(project: Project, status: str) -> None:
    project.tests(
        HELPERS
        + f"""
def test_it(opsux_service, opsux_session):
    run = opsux_service.start("acme", "inventory.sync", initiator=USER_3).run
    if {status!r} == "running":
        opsux_service.mark_running(run)
    hand_written_notification(opsux_session, run, "user-3", status="queued")
"""
    )
    result = project.run()
    result.assert_outcomes(failed=1)
    assert (
        f"Run <id> (inventory.sync, tenant acme, {status}, initiator user-3) must send no notification "
        f"while queued or running; 1 was sent:\n"
        f"- terminal -> user-3   <- sent while the run is {status}\n" + OPT_OUT
    ) in output(result)


def test_several_violations_are_reported_together_with_one_opt_out_line(project: Project) -> None:
    project.tests(
        HELPERS
        + """
def test_it(opsux_service, opsux_session):
    silent = opsux_service.start("acme", "inventory.sync", initiator=USER_3).run
    hand_completed(opsux_session, silent)
    system = opsux_service.start("acme", "backup.schedule.execute").run
    opsux_service.complete(system, "cancelled")
    hand_written_notification(opsux_session, system, "user-3", status="cancelled")
"""
    )
    result = project.run()
    result.assert_outcomes(failed=1)
    assert (
        "Run <id> (inventory.sync, tenant acme, completed/succeeded, initiator user-3) must send exactly 1 "
        "terminal notification to its initiator; none was sent.\n"
        "\n"
        "Run <id> (backup.schedule.execute, tenant acme, completed/cancelled, system run) must send no "
        "notification: system runs have no initiator; 1 was sent:\n"
        "- terminal -> user-3   <- system runs get none\n" + OPT_OUT
    ) in output(result)
    # Counted in the failure report only: on CI (CI=true) the short summary repeats the message.
    failures = output(result).split("short test summary info")[0]
    assert failures.count(OPT_OUT) == 1


def test_a_violation_is_a_test_failure_not_a_pass_plus_teardown_error(project: Project) -> None:
    project.tests(
        HELPERS
        + """
def test_it(opsux_service, opsux_session):
    run = opsux_service.start("acme", "inventory.sync", initiator=USER_3).run
    hand_completed(opsux_session, run)
"""
    )
    result = project.run("-rA")
    # assert_outcomes also demands errors=0: nothing was reported at teardown.
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["FAILED test_app.py::test_it - Failed: Run *"])
    assert "PASSED" not in result.stdout.str()


def test_when_the_body_fails_first_its_failure_is_reported_and_the_check_is_attached(project: Project) -> None:
    project.tests(
        HELPERS
        + """
def test_it(opsux_service, opsux_session):
    run = opsux_service.start("acme", "inventory.sync", initiator=USER_3).run
    hand_completed(opsux_session, run)
    assert run.status == "queued", "the body's own failure"
"""
    )
    result = project.run()
    result.assert_outcomes(failed=1)
    text = output(result)
    assert "AssertionError: the body's own failure" in text
    result.stdout.fnmatch_lines(["FAILED test_app.py::test_it - AssertionError: the body's own failure*"])
    result.stdout.fnmatch_lines(["*- Captured opsux conventions call -*"])
    assert (
        "Run <id> (inventory.sync, tenant acme, completed/succeeded, initiator user-3) must send exactly 1 "
        "terminal notification to its initiator; none was sent.\n" + OPT_OUT
    ) in text


def test_nothing_leaks_into_the_next_test(project: Project) -> None:
    project.tests(
        HELPERS
        + """
from sqlalchemy import func, select

def test_commits_runs_and_notifications(opsux_service, opsux_session, opsux_notifications):
    run = opsux_service.start("acme", "inventory.sync", initiator=USER_3).run
    opsux_service.complete(run, "succeeded")
    opsux_session.commit()
    opsux_notifications.assert_count(1)

@pytest.mark.opsux(verify=False)
def test_leaves_a_violation_behind_unchecked(opsux_service, opsux_session):
    run = opsux_service.start("acme", "inventory.sync", initiator=USER_3).run
    hand_completed(opsux_session, run)

def test_sees_a_clean_database_and_recorder(opsux_session, opsux_notifications):
    assert opsux_session.scalar(select(func.count()).select_from(OperationRun)) == 0
    assert opsux_session.scalar(select(func.count()).select_from(RunNotification)) == 0
    opsux_notifications.assert_nothing_sent()
    assert opsux_notifications.sent() == []
"""
    )
    result = project.run("-p", "no:randomly")
    result.assert_outcomes(passed=3)


def test_runs_made_as_test_data_are_not_held_against_the_test(project: Project) -> None:
    project.tests(
        HELPERS
        + """
def test_history_rows(opsux_make_run):
    opsux_make_run(status="completed", outcome="failed", initiator_id="user-3")
    opsux_make_run(status="completed", initiator_id=None)
    opsux_make_run(status="running")

def test_what_the_test_then_does_is_checked(opsux_make_run, opsux_session):
    run = opsux_make_run(status="running", initiator_id="user-3")
    hand_completed(opsux_session, run)
"""
    )
    result = project.run()
    result.assert_outcomes(passed=1, failed=1)
    assert (
        "Run <id> (inventory.sync, tenant tenant-1, completed/succeeded, initiator user-3) must send exactly 1 "
        "terminal notification to its initiator; none was sent."
    ) in output(result)


def test_tests_without_opsux_fixtures_are_not_checked(project: Project) -> None:
    project.tests(
        """
def test_plain():
    assert True
"""
    )
    project.run().assert_outcomes(passed=1)


def test_seed_data_committed_outside_the_test_is_not_held_against_it(project: Project) -> None:
    project.tests(
        HELPERS
        + """
from sqlalchemy.orm import Session
from opsux_core import OperationRunService

@pytest.fixture(scope="session")
def seeded(opsux_shared_engine, opsux_policy):
    # Committed for real, outside any test's transaction: legacy history without notifications.
    with Session(opsux_shared_engine) as session:
        service = OperationRunService(session, opsux_policy)
        run = service.start("acme", "inventory.sync", initiator=USER_3).run
        hand_completed(session, run)
        run_id = run.id
    yield run_id
    with Session(opsux_shared_engine) as session:  # the PostgreSQL database outlives this generated run
        session.delete(session.get(OperationRun, run_id))
        session.commit()

def test_first(seeded, opsux_session):
    pass

def test_second(opsux_session, seeded):
    pass

def test_touching_it_makes_it_the_tests_business(seeded, opsux_session):
    hand_written_notification(opsux_session, opsux_session.get(OperationRun, seeded), "user-9")
"""
    )
    result = project.run("-p", "no:randomly")
    result.assert_outcomes(passed=2, failed=1)
    assert (
        "Run <id> (inventory.sync, tenant acme, completed/succeeded, initiator user-3) must send exactly 1 "
        "terminal notification to its initiator; 1 was sent:\n"
        "- terminal -> user-9   <- not the initiator\n" + OPT_OUT
    ) in output(result)


def test_seed_data_committed_between_two_tests_is_in_the_second_tests_baseline(project: Project) -> None:
    # On SQLite in memory the baseline is kept from test to test while nothing changes the database
    # in between (database.SoleConnection): a commit between tests must make the next one read it anew.
    project.tests(
        HELPERS
        + """
from sqlalchemy.orm import Session

@pytest.fixture(scope="session")
def seeded(opsux_shared_engine, opsux_policy):
    from opsux_core import OperationRunService
    with Session(opsux_shared_engine) as session:
        run = OperationRunService(session, opsux_policy).start("acme", "inventory.sync", initiator=USER_3).run
        hand_completed(session, run)  # legacy history: completed, never notified
        run_id = run.id
    yield run_id
    with Session(opsux_shared_engine) as session:
        session.delete(session.get(OperationRun, run_id))
        session.commit()

def test_1_before_the_seed(opsux_service):
    run = opsux_service.start("acme", "inventory.sync", initiator=USER_3).run
    opsux_service.complete(run, "succeeded")

def test_2_seeds_then_works(seeded, opsux_service):
    run = opsux_service.start("acme", "inventory.sync", initiator=USER_3, inputs={"n": 2}).run
    opsux_service.complete(run, "succeeded")

def test_3_after_the_seed(opsux_service):
    run = opsux_service.start("acme", "inventory.sync", initiator=USER_3, inputs={"n": 3}).run
    opsux_service.complete(run, "succeeded")
"""
    )
    project.run("-p", "no:randomly").assert_outcomes(passed=3)


def test_rows_committed_behind_the_tests_transaction_are_in_the_next_tests_baseline(project: Project) -> None:
    # A test that ends the outer transaction itself (a raw COMMIT) leaves its rows behind; the next
    # test must not be blamed for them, so the kept baseline is dropped.
    project.tests(
        HELPERS
        + """
def test_0_reads_the_baseline(opsux_service):
    pass

@pytest.mark.opsux(verify=False)
def test_1_commits_for_real(opsux_service, opsux_session):
    run = opsux_service.start("acme", "inventory.sync", initiator=USER_3).run
    hand_completed(opsux_session, run)  # completed, never notified
    opsux_session.bind.connection.dbapi_connection.execute("COMMIT")  # the test's connection, not a session savepoint

def test_2_works_properly(opsux_service):
    run = opsux_service.start("acme", "inventory.sync", initiator=USER_3, inputs={"n": 2}).run
    opsux_service.complete(run, "succeeded")
"""
    )
    project.run("-p", "no:randomly").assert_outcomes(passed=3)


def test_fixtures_requested_at_run_time_are_checked_too(project: Project) -> None:
    project.tests(
        HELPERS
        + """
def test_dynamic(request):
    service = request.getfixturevalue("opsux_service")
    notifications = request.getfixturevalue("opsux_notifications")
    run = service.start("acme", "inventory.sync", initiator=USER_3).run
    service.complete(run, "succeeded")
    notifications.assert_terminal_once(run)
    hand_written_notification(request.getfixturevalue("opsux_session"), run, "user-9")
"""
    )
    result = project.run()
    result.assert_outcomes(failed=1)
    assert "- terminal -> user-9   <- not the initiator\n" + OPT_OUT in output(result)
