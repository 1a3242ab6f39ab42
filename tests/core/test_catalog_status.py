"""The catalog (soft reads, strict writes) and the one status normalization."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opsux_core import (
    ACTIVE,
    TERMINAL,
    OperationCatalog,
    OperationType,
    RunOutcome,
    RunStatus,
    UnregisteredOperationType,
    UxStatus,
    ux_status,
)

CATALOG = OperationCatalog(
    [OperationType("inventory.sync", "Inventory sync"), OperationType("backup.schedule.execute", "Backup run")]
)


def test_label_of_a_registered_type() -> None:
    assert CATALOG.label("inventory.sync") == "Inventory sync"


@pytest.mark.parametrize("code", ["inventory.syncs", "legacy_type", "", None, 42, "Inventory sync"])
def test_unknown_types_read_as_unknown_operation_never_the_raw_code(code: object) -> None:
    assert CATALOG.label(code) == "Unknown operation"


def test_require_suggests_the_near_miss() -> None:
    with pytest.raises(UnregisteredOperationType) as info:
        CATALOG.require("inventry.sync")
    assert info.value.suggestion == "inventory.sync"
    assert str(info.value) == "Operation type 'inventry.sync' is not registered in the catalog; did you mean 'inventory.sync'?"


def test_require_gives_no_guess_for_an_unrelated_code() -> None:
    with pytest.raises(UnregisteredOperationType) as info:
        CATALOG.require("billing.invoice.send")
    assert info.value.suggestion is None
    assert "did you mean" not in str(info.value)


def test_a_suggestion_needs_a_similarity_of_at_least_three_quarters() -> None:
    # difflib ratio 2*matches/total: 18/24 = 0.75 exactly, then 18/25 = 0.72.
    assert CATALOG.suggest("inventoryZ") == "inventory.sync"
    assert CATALOG.suggest("inventoryZZ") is None


def test_duplicate_registration_is_refused() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        OperationCatalog([OperationType("a.b", "A"), OperationType("a.b", "B")])


def test_active_and_terminal_sets() -> None:
    assert ACTIVE == {RunStatus.QUEUED, RunStatus.RUNNING}
    assert TERMINAL == {RunStatus.COMPLETED}


@pytest.mark.parametrize(
    ("status", "outcome", "expected"),
    [
        ("queued", "pending", UxStatus.QUEUED),
        ("running", "pending", UxStatus.RUNNING),
        ("completed", "succeeded", UxStatus.SUCCEEDED),
        ("completed", "partially_succeeded", UxStatus.PARTIAL),
        ("completed", "failed", UxStatus.FAILED),
        ("completed", "cancelled", UxStatus.CANCELLED),
        # Legacy and odd stored values.
        ("running", "failed", UxStatus.FAILED),
        ("queued", "failed", UxStatus.FAILED),
        ("COMPLETED", "Succeeded", UxStatus.SUCCEEDED),
        ("done", "success", UxStatus.SUCCEEDED),
        ("finished", "canceled", UxStatus.CANCELLED),
        ("completed", "partial", UxStatus.PARTIAL),
        ("processing", None, UxStatus.RUNNING),
        ("in-progress", "", UxStatus.RUNNING),
        ("pending", None, UxStatus.QUEUED),
        ("completed", "pending", UxStatus.FAILED),
        ("completed", None, UxStatus.FAILED),
        ("weird", "weird", UxStatus.QUEUED),
        (None, None, UxStatus.QUEUED),
    ],
)
def test_ux_status(status: object, outcome: object, expected: UxStatus) -> None:
    assert ux_status(status, outcome) is expected


@given(st.one_of(st.none(), st.text(), st.integers()), st.one_of(st.none(), st.text(), st.integers()))
def test_ux_status_is_total(status: object, outcome: object) -> None:
    assert ux_status(status, outcome) in set(UxStatus)


@pytest.mark.parametrize("outcome", [o for o in RunOutcome if o is not RunOutcome.PENDING])
def test_every_terminal_outcome_maps_to_a_terminal_ux_status(outcome: RunOutcome) -> None:
    assert ux_status(RunStatus.COMPLETED, outcome).is_terminal


@pytest.mark.parametrize("status", list(RunStatus))
@pytest.mark.parametrize("outcome", list(RunOutcome))
def test_the_canonical_fast_path_answers_what_folding_answers(status: RunStatus, outcome: RunOutcome) -> None:
    # Upper case with blanks misses the lookup of exact stored pairs and takes the folding path.
    folded = ux_status(f" {status.value.upper()} ", f" {outcome.value.upper()} ")
    assert ux_status(status.value, outcome.value) is folded
    assert ux_status(status, outcome) is folded
