"""Failures read like pytest's: assertion helpers point at the test's line, the check at the code.

Every recorder assertion hides its own frames (``__tracebackhide__``), so a failing one shows the
user's line with ``>`` and no frame of ``recorder.py``; the automatic check names where a stray
notification was added (the stack of the ORM add), or says nothing where it cannot know (raw SQL).

On SQLite, on a PostgreSQL server and on a throwaway cluster (``postgresql-proc``), with and without
pytest-xdist: under xdist the frames are cut in the worker and the report travels to the controller.
"""

from __future__ import annotations

import re

import pytest

from plugin_harness import Project, failure_sections, output

XDIST = pytest.mark.parametrize("xdist", [False, True], ids=["serial", "xdist"])

ASSERTIONS = {
    "assert_sent_to": 'opsux_notifications.assert_sent_to("user-9")',
    "assert_sent_to_times": 'opsux_notifications.assert_sent_to_times("user-3", 2)',
    "assert_not_sent_to": 'opsux_notifications.assert_not_sent_to("user-3")',
    "assert_nothing_sent_to": 'opsux_notifications.assert_nothing_sent_to("user-3")',
    "assert_nothing_sent": "opsux_notifications.assert_nothing_sent()",
    "assert_count": "opsux_notifications.assert_count(2)",
    "assert_terminal_once": "opsux_notifications.assert_terminal_once(other)",
    "assert_only_initiator_notified": "opsux_notifications.assert_only_initiator_notified(system)",
    "assert_silent_while_queued": "opsux_notifications.assert_silent_while_queued(early)",
    "assert_conventions": "opsux_notifications.assert_conventions(system)",
}

SETUP = """
import pytest
from opsux_core import Initiator, RunNotification

USER_3 = Initiator("user-3", "User Three")


def note(session, run, recipient):
    session.add(RunNotification(
        run_id=run.id, tenant_id=run.tenant_id, recipient_id=recipient,
        title="t", body="b", ux_status="succeeded", url="/x",
    ))
    session.commit()


@pytest.fixture
def runs(opsux_service, opsux_session):
    run = opsux_service.start("acme", "inventory.sync", initiator=USER_3).run
    opsux_service.complete(run, "succeeded")
    system = opsux_service.start("acme", "backup.schedule.execute").run
    opsux_service.complete(system, "succeeded")
    note(opsux_session, system, "user-3")
    early = opsux_service.start("acme", "inventory.sync", initiator=USER_3, inputs={"n": 2}).run
    note(opsux_session, early, "user-3")
    other = opsux_service.start("acme", "inventory.sync", initiator=USER_3, inputs={"n": 3}).run
    return run, system, early, other
"""


@XDIST
def test_every_assertion_helper_fails_at_the_users_line(any_project: Project, xdist: bool) -> None:
    project = any_project
    tests = [
        f"""
@pytest.mark.opsux(verify=False)
def test_{name}(opsux_notifications, runs):
    run, system, early, other = runs
    {call}  # the user's line
"""
        for name, call in ASSERTIONS.items()
    ]
    project.tests(SETUP + "".join(tests))
    result = project.run_in(xdist, "--tb=short")
    result.assert_outcomes(failed=len(ASSERTIONS))
    text = result.stdout.str()
    assert "recorder.py" not in text
    assert "in _fail" not in text and "in _facts" not in text
    sections = failure_sections(text)
    for name, call in ASSERTIONS.items():
        # pytest's short traceback: the test's own frame, its line, and nothing below it.
        section = sections[f"test_{name}"]
        assert f"    {call}  # the user's line" in section, name
        assert re.search(r"test_app\.py:\d+: in test_" + name, section), section
        assert "E   AssertionError: " in section, section


@XDIST
def test_a_passing_assertion_helper_passes(any_project: Project, xdist: bool) -> None:
    project = any_project
    project.tests(
        SETUP
        + """
@pytest.mark.opsux(verify=False)
def test_it(opsux_notifications, runs):
    run, system, early, other = runs
    opsux_notifications.assert_terminal_once(run)
    opsux_notifications.assert_sent_to("user-3", run=run)
"""
    )
    project.run_in(xdist).assert_outcomes(passed=1)


@XDIST
def test_the_check_names_the_code_that_added_a_stray_notification(any_project: Project, xdist: bool) -> None:
    project = any_project
    project.tests(
        """
from sqlalchemy import text
from opsux_core import Initiator, RunNotification


def notify_the_team(session, run):
    session.add(RunNotification(
        run_id=run.id, tenant_id=run.tenant_id, recipient_id="user-9",
        title="t", body="b", ux_status="succeeded", url="/x",
    ))
    session.commit()


def test_orm(opsux_service, opsux_session):
    run = opsux_service.start("acme", "inventory.sync", initiator=Initiator("user-3", "U")).run
    opsux_service.complete(run, "succeeded")
    notify_the_team(opsux_session, run)


def test_raw_sql(opsux_service, opsux_session):
    run = opsux_service.start("acme", "inventory.sync", initiator=Initiator("user-3", "U")).run
    opsux_service.complete(run, "succeeded")
    opsux_session.execute(text(
        "INSERT INTO run_notifications (run_id, tenant_id, recipient_id, kind, title, body, ux_status, url, created_at) "
        "SELECT id, tenant_id, 'user-9', 'terminal', 't', 'b', 'succeeded', '/x', created_at FROM operation_runs"
    ))
"""
    )
    result = project.run_in(xdist)
    result.assert_outcomes(failed=2)
    sections = failure_sections(output(result, origins=True))
    orm = sections["test_orm"]
    source = (project.path / "test_app.py").read_text().splitlines()
    add_line = next(n for n, line in enumerate(source, 1) if "session.add(" in line)
    call_line = next(n for n, line in enumerate(source, 1) if "notify_the_team(opsux_session" in line)
    assert (
        "- terminal -> user-9   <- not the initiator\n"
        f"  added at test_app.py:{add_line} in notify_the_team, called from test_app.py:{call_line} in test_orm\n"
    ) in orm
    # The notification the service wrote is not the stray one: no origin under it.
    assert "- terminal -> user-3\n- terminal" in orm
    raw = sections["test_raw_sql"]
    assert "- terminal -> user-9   <- not the initiator\nTurn this check off" in raw
