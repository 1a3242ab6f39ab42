"""Every user-facing string the three surfaces show, in one place.

Feature code never writes surface copy itself: the toast, the widget rows and the terminal
notification all come from here, so the wording in SPEC.md is kept exactly and everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from opsux_core.catalog import OperationCatalog
from opsux_core.links import RunLinks
from opsux_core.status import UxStatus, ux_status
from opsux_core.summary import SummaryKeys

if TYPE_CHECKING:
    from opsux_core.policy import Policy

TOAST_BODY = "Running in the background."
TOAST_BODY_MONITOR = "You can monitor progress in Operations."
VIEW_RUN = "View run"

STATUS_COPY: Mapping[UxStatus, str] = {
    UxStatus.QUEUED: "Queued",
    UxStatus.RUNNING: "Running",
    UxStatus.SUCCEEDED: "Succeeded",
    UxStatus.PARTIAL: "Partially succeeded",
    UxStatus.FAILED: "Failed",
    UxStatus.CANCELLED: "Cancelled",
}

_TERMINAL_TITLE: Mapping[UxStatus, str] = {
    UxStatus.SUCCEEDED: "{label} completed",
    UxStatus.PARTIAL: "{label} completed with failures",
    UxStatus.FAILED: "{label} failed",
    UxStatus.CANCELLED: "{label} cancelled",
}
_TERMINAL_BODY: Mapping[UxStatus, str] = {
    UxStatus.SUCCEEDED: "Completed successfully.",
    UxStatus.PARTIAL: "Completed, but some items failed.",
    UxStatus.FAILED: "The operation failed.",
    UxStatus.CANCELLED: "The operation was cancelled.",
}
_REASON_LIMIT = 200


@dataclass(frozen=True)
class Toast:
    """The transient toast shown when a run is started (never persisted)."""

    title: str
    body: str
    already_queued: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "body": self.body, "already_queued": self.already_queued}


@dataclass(frozen=True)
class TerminalContent:
    """What the one terminal database notification says."""

    title: str
    body: str
    status: UxStatus
    url: str
    action_label: str = VIEW_RUN
    summary: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "body": self.body,
            "status": self.status.value,
            "url": self.url,
            "action_label": self.action_label,
            "summary": self.summary,
        }


class Presenter:
    """Builds surface copy from the catalog, the summary whitelist and the link builder."""

    def __init__(self, catalog: OperationCatalog, summary_keys: SummaryKeys, links: RunLinks) -> None:
        self.catalog = catalog
        self.summary_keys = summary_keys
        self.links = links

    @classmethod
    def from_policy(cls, policy: Policy) -> Presenter:
        return cls(policy.catalog, SummaryKeys(policy.summary_keys), RunLinks(policy.links))

    def queued_toast(self, operation_type: str, *, monitor_body: bool = False) -> Toast:
        """``{label} queued``; the body is the standard one or, instead of it, the monitor hint."""
        body = TOAST_BODY_MONITOR if monitor_body else TOAST_BODY
        return Toast(f"{self.catalog.label(operation_type)} queued", body)

    def already_queued_toast(self, operation_type: str, *, monitor_body: bool = False) -> Toast:
        """The start reused an active run: say so, never a second "queued"."""
        body = TOAST_BODY_MONITOR if monitor_body else TOAST_BODY
        return Toast(f"{self.catalog.label(operation_type)} already queued", body, already_queued=True)

    @staticmethod
    def status_copy(status: object, outcome: object) -> str:
        return STATUS_COPY[ux_status(status, outcome)]

    def summary_line(self, counts: object) -> str | None:
        """``Total: 10 · Processed: 10 · Failed: 2`` from whitelisted counts only; None when empty."""
        clean = self.summary_keys.normalize(counts)
        if not clean:
            return None
        return " · ".join(f"{_humanize(key)}: {value}" for key, value in clean.items())

    def terminal(
        self,
        *,
        run_id: object,
        tenant_id: object,
        operation_type: str,
        status: object,
        outcome: object,
        summary_counts: object = None,
        failure_message: str | None = None,
    ) -> TerminalContent:
        ux = ux_status(status, outcome)
        if not ux.is_terminal:
            raise ValueError(f"run {run_id} is {ux}: only terminal runs get a notification")
        label = self.catalog.label(operation_type)
        body = _TERMINAL_BODY[ux]
        if ux is UxStatus.FAILED and failure_message:
            body = f"{body[:-1]}: {_one_line(failure_message)}"
        return TerminalContent(
            title=_TERMINAL_TITLE[ux].format(label=label),
            body=body,
            status=ux,
            url=self.links.run_url(run_id, tenant_id),
            summary=self.summary_line(summary_counts),
        )

    @staticmethod
    def more_copy(count: int) -> str:
        return f"+{count} more"


def _humanize(key: str) -> str:
    return key.replace("_", " ").capitalize()


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    if len(flat) > _REASON_LIMIT:
        flat = flat[: _REASON_LIMIT - 1].rstrip() + "…"
    return flat if flat.endswith((".", "!", "?", "…")) else f"{flat}."
