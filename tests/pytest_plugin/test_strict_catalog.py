"""Under the plugin the catalog is strict for writes: an unregistered type fails the test."""

from __future__ import annotations

from plugin_harness import Project, output

OPT_OUT = "Turn this check off for one test with @pytest.mark.opsux(strict_catalog=False)."
DID_YOU_MEAN = "Operation type 'inventry.sync' is not registered in the catalog; did you mean 'inventory.sync'?"


def test_a_swallowed_unregistered_start_fails_the_test(project: Project) -> None:
    project.tests(
        """
from opsux_core import OperationRunService

def start_sync(service):
    try:
        return service.start("acme", "inventry.sync")
    except LookupError:
        return None  # the app turns it into a 400, say

def test_it(opsux_session, opsux_policy):
    assert start_sync(OperationRunService(opsux_session, opsux_policy)) is None
"""
    )
    result = project.run()
    result.assert_outcomes(failed=1)
    assert f"{DID_YOU_MEAN}\n- start('acme', 'inventry.sync') at test_app.py:5 raised it and the error was caught\n{OPT_OUT}" in output(result)


def test_a_propagating_unregistered_start_fails_once_with_the_did_you_mean_message(project: Project) -> None:
    project.tests(
        """
def test_it(opsux_service):
    opsux_service.start("acme", "inventry.sync")
"""
    )
    result = project.run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"E   * {DID_YOU_MEAN}"])
    assert "Captured opsux conventions" not in result.stdout.str()


def test_an_unrelated_body_failure_keeps_its_report_and_gets_the_catalog_section(project: Project) -> None:
    project.tests(
        """
def test_it(opsux_service):
    try:
        opsux_service.start("acme", "inventry.sync")
    except LookupError:
        pass
    raise RuntimeError("something else broke")
"""
    )
    result = project.run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Captured opsux conventions call*", "FAILED test_app.py::test_it - RuntimeError: something else broke"])
    assert DID_YOU_MEAN in result.stdout.str()


def test_strict_catalog_can_be_turned_off_by_marker_and_ini(project: Project) -> None:
    source = """
import pytest
from opsux_core import UnregisteredOperationType

{marker}
def test_rejects_typos(opsux_service):
    with pytest.raises(UnregisteredOperationType):
        opsux_service.start("acme", "inventry.sync")
"""
    project.tests(source.format(marker=""))
    project.run().assert_outcomes(failed=1)  # even pytest.raises does not make it acceptable by default
    project.tests(source.format(marker="@pytest.mark.opsux(strict_catalog=False)"))
    project.run().assert_outcomes(passed=1)
    project.tests(source.format(marker=""))
    project.ini(opsux_strict_catalog="false")
    project.run().assert_outcomes(passed=1)


def test_the_service_is_restored_after_each_test(project: Project) -> None:
    project.tests(
        """
from opsux_core import OperationRunService

def test_uses_opsux(opsux_service):
    assert OperationRunService.start is not ORIGINAL
    assert OperationRunService.start.__wrapped__ is ORIGINAL

def test_plain_afterwards():
    assert OperationRunService.start is ORIGINAL

ORIGINAL = OperationRunService.start
"""
    )
    project.run("-p", "no:randomly").assert_outcomes(passed=2)


def test_services_requested_at_run_time_are_strict_too(project: Project) -> None:
    project.tests(
        """
def test_it(request):
    try:
        request.getfixturevalue("opsux_service").start("acme", "inventry.sync")
    except LookupError:
        pass

def test_restored_afterwards():
    from opsux_core import OperationRunService
    assert not hasattr(OperationRunService.start, "__wrapped__")
"""
    )
    result = project.run("-p", "no:randomly")
    result.assert_outcomes(failed=1, passed=1)
    assert DID_YOU_MEAN in result.stdout.str()
