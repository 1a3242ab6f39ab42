"""Every count and limit of opsux_core, just inside and just outside its boundary."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from opsux_core import (
    Initiator,
    InvalidSummaryCounts,
    OperationRunService,
    Presenter,
    list_runs,
    normalize_summary_counts,
    policy_from_mapping,
    validate_summary_counts,
)
from opsux_core.polling import DEFAULT_CADENCE, PollingCadence
from opsux_core.queries import MAX_PAGE
from opsux_core.summary import MAX_COUNT

PRESENTER = Presenter.from_policy(policy_from_mapping({"operation_types": {"inventory.sync": "Inventory sync"}}))

# ------------------------------------------------------------------ summary_counts


def test_max_count_is_the_largest_integer_json_readers_keep_exactly() -> None:
    assert MAX_COUNT == 2**53 - 1


@pytest.mark.parametrize("value", [0, 1, MAX_COUNT])
def test_counts_inside_the_range_are_kept(value: int) -> None:
    assert validate_summary_counts({"total": value}) == {"total": value}
    assert normalize_summary_counts({"total": value}) == {"total": value}


@pytest.mark.parametrize(("value", "reason"), [(-1, "counts must not be negative"), (MAX_COUNT + 1, f"counts must not exceed {MAX_COUNT}")])
def test_counts_just_outside_the_range_are_refused_and_dropped(value: int, reason: str) -> None:
    with pytest.raises(InvalidSummaryCounts) as info:
        validate_summary_counts({"total": value})
    assert str(info.value) == f"summary_counts['total'] = {value} rejected: {reason}"
    assert normalize_summary_counts({"total": value, "processed": 1}) == {"processed": 1}


def test_integral_floats_are_read_up_to_the_same_bound() -> None:
    assert normalize_summary_counts({"total": 2.0**53 - 1}) == {"total": MAX_COUNT}
    assert normalize_summary_counts({"total": 2.0**53}) == {}
    assert normalize_summary_counts({"total": -1.0}) == {}
    assert normalize_summary_counts({"total": 0.0}) == {"total": 0}


def test_an_increment_needs_at_least_one_count(service: OperationRunService) -> None:
    run = service.start("acme", "inventory.sync", initiator=Initiator("user-3", "Ada")).run
    with pytest.raises(InvalidSummaryCounts, match=r"nothing to increment"):
        service.increment(run)
    assert service.increment(run, processed=1).summary_counts == {"processed": 1}


# ------------------------------------------------------------------ failure reason in the notification


def _failed_body(message: str) -> str:
    return PRESENTER.terminal(
        run_id=1, tenant_id="a", operation_type="inventory.sync", status="completed", outcome="failed",
        failure_message=message,
    ).body


def test_a_reason_of_exactly_200_characters_is_kept_whole() -> None:
    reason = "x" * 199 + "."
    assert _failed_body(reason) == f"The operation failed: {reason}"


def test_a_reason_of_201_characters_is_cut_to_200_with_an_ellipsis() -> None:
    body = _failed_body("x" * 201)
    reason = body.removeprefix("The operation failed: ")
    assert reason == "x" * 199 + "…"
    assert len(reason) == 200


# ------------------------------------------------------------------ polling cadence


def test_the_fast_polls_end_after_the_fifth() -> None:
    assert DEFAULT_CADENCE.interval(1, DEFAULT_CADENCE.fast_polls - 1) == 2.0
    assert DEFAULT_CADENCE.interval(1, DEFAULT_CADENCE.fast_polls) == 3.0


def test_the_backoff_reaches_the_cap_and_stays_there() -> None:
    # 2 * 1.5**5 = 15.19 < 20 <= 2 * 1.5**6 = 22.78
    assert DEFAULT_CADENCE.interval(1, 9) == 15.188
    assert DEFAULT_CADENCE.interval(1, 10) == 20.0
    assert DEFAULT_CADENCE.interval(1, 10**9) == 20.0


@pytest.mark.parametrize(("active", "expected"), [(0, None), (-1, None), (1, 2.0)])
def test_polling_needs_at_least_one_active_run(active: int, expected: float | None) -> None:
    assert DEFAULT_CADENCE.interval(active, 0) == expected


def test_the_poll_number_starts_at_zero() -> None:
    assert DEFAULT_CADENCE.interval(1, 0) == 2.0
    with pytest.raises(ValueError, match="^poll_number must be >= 0$"):
        DEFAULT_CADENCE.interval(1, -1)


@pytest.mark.parametrize(
    ("numbers", "first", "later"),
    [
        ({"initial_seconds": 0.001}, 0.001, 20.0),
        ({"initial_seconds": 5.0, "max_seconds": 5.0}, 5.0, 5.0),
        ({"fast_polls": 0}, 3.0, 20.0),
        ({"backoff_factor": 1.0}, 2.0, 2.0),
    ],
)
def test_cadence_numbers_at_their_bounds_are_accepted(numbers: dict[str, float], first: float, later: float) -> None:
    cadence = PollingCadence(**numbers)  # type: ignore[arg-type]
    assert (cadence.interval(1, 0), cadence.interval(1, 100)) == (first, later)


@pytest.mark.parametrize(
    ("numbers", "message"),
    [
        ({"initial_seconds": 0}, "need 0 < initial_seconds <= max_seconds"),
        ({"initial_seconds": 5.0, "max_seconds": 4.999}, "need 0 < initial_seconds <= max_seconds"),
        ({"fast_polls": -1}, "need fast_polls >= 0 and backoff_factor >= 1"),
        ({"backoff_factor": 0.999}, "need fast_polls >= 0 and backoff_factor >= 1"),
    ],
)
def test_cadence_numbers_past_their_bounds_are_refused(numbers: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        PollingCadence(**numbers)  # type: ignore[arg-type]


# ------------------------------------------------------------------ the operations index page size


def test_max_page_is_200() -> None:
    assert MAX_PAGE == 200


@pytest.mark.parametrize("limit", [1, MAX_PAGE])
def test_page_sizes_at_the_bounds_are_served(session: Session, service: OperationRunService, limit: int) -> None:
    ids = [service.start("acme", "inventory.sync", identity=str(n)).run.id for n in range(3)]
    assert [run.id for run in list_runs(session, "acme", limit=limit)] == sorted(ids, reverse=True)[:limit]
