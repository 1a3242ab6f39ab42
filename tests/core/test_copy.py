"""summary_counts whitelist, presenter copy (exactly as SPEC.md), links and polling cadence."""

from __future__ import annotations

import math
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opsux_core import (
    InvalidSummaryCounts,
    Presenter,
    RunLinks,
    SummaryKeys,
    UxStatus,
    next_poll_interval,
    normalize_summary_counts,
    policy_from_mapping,
    validate_summary_counts,
)
from opsux_core import links as links_module
from opsux_core.policy import Links
from opsux_core.polling import PollingCadence
from opsux_core.summary import MAX_COUNT

POLICY = policy_from_mapping(
    {"operation_types": {"inventory.sync": "Inventory sync"}, "links": {"run": "/t/{tenant_id}/ops/{run_id}"}}
)
PRESENTER = Presenter.from_policy(POLICY)

HOSTILE = {
    "total": 10,
    "processed": "10",
    "failed": True,
    "skipped": -1,
    "succeeded": math.nan,
    "created": {"nested": 1},
    "updated": 2**80,
    "deleted": [1],
    "items": None,
    "unknown": 5,
    "__proto__": 1,
}


def test_display_normalization_drops_every_hostile_value() -> None:
    assert normalize_summary_counts(HOSTILE) == {"total": 10}


def test_display_normalization_orders_by_the_whitelist_and_keeps_integral_floats() -> None:
    assert normalize_summary_counts({"failed": 2, "total": 5.0, "processed": 4}) == {"total": 5, "processed": 4, "failed": 2}


@pytest.mark.parametrize("raw", [None, "{\"total\": 1}", [("total", 1)], 5])
def test_display_normalization_of_non_mappings_is_empty(raw: object) -> None:
    assert normalize_summary_counts(raw) == {}


@given(st.dictionaries(st.text(), st.one_of(st.integers(), st.floats(), st.text(), st.booleans(), st.none())))
def test_normalized_counts_are_always_whitelisted_non_negative_ints(raw: dict[str, object]) -> None:
    clean = normalize_summary_counts(raw)
    for key, value in clean.items():
        assert key in SummaryKeys().keys
        assert type(value) is int and 0 <= value <= MAX_COUNT


@pytest.mark.parametrize(
    ("counts", "key", "reason"),
    [
        ({"total": "10"}, "total", "counts must be integers, not str"),
        ({"failed": True}, "failed", "counts must be integers, not bool"),
        ({"skipped": -1}, "skipped", "counts must not be negative"),
        ({"succeeded": math.nan}, "succeeded", "counts must be integers, not float"),
        ({"created": {"nested": 1}}, "created", "counts must be integers, not dict"),
        ({"updated": 2**80}, "updated", "counts must not exceed"),
        ({"bogus": 1}, "bogus", "not a whitelisted key"),
    ],
)
def test_writes_reject_hostile_counts_naming_the_key(counts: dict[str, object], key: str, reason: str) -> None:
    with pytest.raises(InvalidSummaryCounts) as info:
        validate_summary_counts(counts)
    assert info.value.key == key
    assert reason in str(info.value)
    assert f"summary_counts[{key!r}]" in str(info.value)


def test_whitelist_is_configurable() -> None:
    keys = ["rows", "errors"]
    assert validate_summary_counts({"rows": 3}, keys) == {"rows": 3}
    with pytest.raises(InvalidSummaryCounts, match="allowed: rows, errors"):
        validate_summary_counts({"total": 3}, keys)


def test_toasts_use_the_exact_spec_copy() -> None:
    queued = PRESENTER.queued_toast("inventory.sync")
    assert (queued.title, queued.body, queued.already_queued) == ("Inventory sync queued", "Running in the background.", False)
    alt = PRESENTER.queued_toast("inventory.sync", monitor_body=True)
    assert alt.body == "You can monitor progress in Operations."
    again = PRESENTER.already_queued_toast("inventory.sync")
    assert (again.title, again.body, again.already_queued) == ("Inventory sync already queued", "Running in the background.", True)


def test_toast_for_an_unknown_type_never_shows_the_raw_code() -> None:
    assert PRESENTER.queued_toast("legacy.thing").title == "Unknown operation queued"


@pytest.mark.parametrize(
    ("outcome", "title", "body"),
    [
        ("succeeded", "Inventory sync completed", "Completed successfully."),
        ("partially_succeeded", "Inventory sync completed with failures", "Completed, but some items failed."),
        ("failed", "Inventory sync failed", "The operation failed."),
        ("cancelled", "Inventory sync cancelled", "The operation was cancelled."),
    ],
)
def test_terminal_copy_per_outcome(outcome: str, title: str, body: str) -> None:
    content = PRESENTER.terminal(run_id=7, tenant_id="acme", operation_type="inventory.sync", status="completed", outcome=outcome)
    assert (content.title, content.body) == (title, body)
    assert content.url == "/t/acme/ops/7"
    assert content.action_label == "View run"
    assert content.summary is None


def test_terminal_failure_reason_is_one_short_line() -> None:
    content = PRESENTER.terminal(
        run_id=1, tenant_id="a", operation_type="inventory.sync", status="completed", outcome="failed",
        failure_message="Timed out\nafter 300 s" + "x" * 500,
    )
    assert content.body.startswith("The operation failed: Timed out after 300 s")
    assert "\n" not in content.body and len(content.body) < 260 and content.body.endswith("…")


def test_terminal_copy_refuses_active_runs() -> None:
    with pytest.raises(ValueError, match="only terminal runs"):
        PRESENTER.terminal(run_id=1, tenant_id="a", operation_type="inventory.sync", status="running", outcome="pending")


def test_summary_line_uses_only_whitelisted_counts() -> None:
    assert PRESENTER.summary_line(HOSTILE | {"processed": 9}) == "Total: 10 · Processed: 9"
    assert PRESENTER.summary_line({"evil": 1}) is None


@pytest.mark.parametrize(
    ("status", "copy"),
    [("queued", "Queued"), ("running", "Running"), ("succeeded", "Succeeded"), ("partially_succeeded", "Partially succeeded")],
)
def test_status_copy(status: str, copy: str) -> None:
    if status in ("queued", "running"):
        assert Presenter.status_copy(status, "pending") == copy
    else:
        assert Presenter.status_copy("completed", status) == copy


def test_links_escape_every_value() -> None:
    links = RunLinks(Links(run="/t/{tenant_id}/operations/{run_id}", index="/t/{tenant_id}/operations"))
    assert links.run_url(42, "acme") == "/t/acme/operations/42"
    assert links.run_url("1?x=2", "../admin") == "/t/..%2Fadmin/operations/1%3Fx%3D2"
    assert links.index_url("a b/c") == "/t/a%20b%2Fc/operations"


@given(st.one_of(st.integers(), st.text(), st.booleans(), st.floats(allow_nan=False)))
def test_the_fast_and_cached_escapes_match_quote(value: object) -> None:
    # Ints skip quoting and texts are quoted once and cached: both must give what quote() gives.
    assert links_module._escape(value) == quote(str(value), safe="")
    assert links_module._escape(value) == quote(str(value), safe="")


def test_polling_cadence() -> None:
    assert next_poll_interval(0) is None
    assert next_poll_interval(3, 0, page_hidden=True) is None
    assert [next_poll_interval(1, n) for n in range(9)] == [2.0, 2.0, 2.0, 2.0, 2.0, 3.0, 4.5, 6.75, 10.125]
    assert next_poll_interval(1, 10_000) == 20.0


def test_polling_cadence_validates_its_numbers() -> None:
    with pytest.raises(ValueError):
        PollingCadence(initial_seconds=0)
    with pytest.raises(ValueError):
        PollingCadence(backoff_factor=0.5)
    with pytest.raises(ValueError):
        next_poll_interval(1, -1)


def test_ux_status_enum_exposes_terminal_flag() -> None:
    assert not UxStatus.RUNNING.is_terminal and UxStatus.PARTIAL.is_terminal
