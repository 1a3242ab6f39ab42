"""The progress widget: live awareness of the current tenant's active runs.

Tenant-wide (every active run of the tenant, whoever started it), shown only to people who may
open Monitoring -> Operations, never showing terminal runs. One query returns the visible rows and
the total count, both served by the partial index on active runs, in one snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, bindparam, func, select
from sqlalchemy.orm import Session

from opsux_core.catalog import OperationCatalog
from opsux_core.identifiers import check_identifier
from opsux_core.links import RunLinks
from opsux_core.models import ACTIVE_WHERE, ID_LENGTH, OperationRun
from opsux_core.policy import Policy
from opsux_core.polling import DEFAULT_CADENCE, PollingCadence
from opsux_core.presenter import STATUS_COPY, VIEW_RUN, Presenter
from opsux_core.status import UxStatus, ux_status
from opsux_core.summary import SummaryKeys

MAX_ROWS = 5


@dataclass(frozen=True)
class Viewer:
    """Who looks at the widget. The app decides ``can_monitor`` (access to Monitoring -> Operations)."""

    user_id: str | None
    can_monitor: bool


@dataclass(frozen=True)
class WidgetRow:
    run_id: int
    label: str
    status: UxStatus
    status_label: str
    progress: int | None
    """Percent 0-100, only when determinate (running, ``processed`` and ``total`` > 0)."""
    url: str
    initiator_name: str
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "label": self.label,
            "status": self.status.value,
            "status_label": self.status_label,
            "progress": self.progress,
            "url": self.url,
            "view_label": VIEW_RUN,
            "initiator_name": self.initiator_name,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class ProgressWidget:
    visible: bool
    rows: tuple[WidgetRow, ...] = ()
    more_count: int = 0
    more_label: str | None = None
    """``+N more`` when more runs are active than rows shown."""
    more_url: str | None = None
    poll_after_seconds: float | None = None
    """When to poll again; None means stop polling."""

    @property
    def active_count(self) -> int:
        return len(self.rows) + self.more_count

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, for the endpoint the widget polls (``poll_after_seconds`` None: stop polling)."""
        return {
            "visible": self.visible,
            "rows": [row.to_dict() for row in self.rows],
            "active_count": self.active_count,
            "more_count": self.more_count,
            "more_label": self.more_label,
            "more_url": self.more_url,
            "poll_after_seconds": self.poll_after_seconds,
        }


HIDDEN = ProgressWidget(visible=False)


def progress_widget(
    session: Session,
    tenant_id: str,
    viewer: Viewer,
    policy: Policy,
    *,
    poll_number: int = 0,
    page_hidden: bool = False,
    cadence: PollingCadence = DEFAULT_CADENCE,
) -> ProgressWidget:
    """The widget for *viewer* in *tenant_id*. Invisible (and no query) unless the viewer may monitor."""
    if not viewer.can_monitor:
        return HIDDEN
    check_identifier("tenant_id", tenant_id, ID_LENGTH)
    if session.autoflush:
        # The widget has always seen what this session wrote but did not flush yet; SQLAlchemy
        # autoflushes before a Core statement only since 2.0.16, and opsux accepts any 2.0.
        session.flush()
    # On the session's own connection and transaction, as a Core statement: nothing here is an
    # ORM entity, and Session.execute would only add its ORM dispatch on top of this.
    result = session.connection().execute(_WIDGET_QUERY, {"tenant_id": tenant_id}).all()
    active = result[0].active_total if result else 0
    if active == 0:
        return ProgressWidget(visible=True)

    links = RunLinks(policy.links)
    keys = SummaryKeys(policy.summary_keys)
    catalog = policy.catalog
    rows = tuple(_row(row, tenant_id, catalog, links, keys) for row in result)
    more = active - len(rows)
    return ProgressWidget(
        visible=True,
        rows=rows,
        more_count=more,
        more_label=Presenter.more_copy(more) if more else None,
        more_url=links.index_url(tenant_id) if more else None,
        poll_after_seconds=cadence.interval(active, poll_number, page_hidden=page_hidden),
    )


_runs = OperationRun.__table__
_ROW_COLUMNS = (
    _runs.c.id,
    _runs.c.operation_type,
    _runs.c.status,
    _runs.c.outcome,
    _runs.c.summary_counts,
    _runs.c.initiator_name,
    _runs.c.created_at,
)
"""What a row shows, and no more: ``context`` and ``failure_summary`` are JSON the widget never reads,
and the tenant is the one asked for."""


def _active_runs(limit: int) -> Select[Any]:
    # Plain table columns, not the mapped entity: the widget renders values, and building mapped
    # instances was about half of its own CPU time per call. The literal ACTIVE_WHERE is the partial
    # index's predicate, so the planner can use that index for both parts.
    tenant = _runs.c.tenant_id == bindparam("tenant_id")
    # Counted in a scalar subquery, not count(*) OVER (): a window has to fetch and buffer every
    # active run of the tenant before the LIMIT applies; this counts index entries and fetches
    # only the rows shown. One statement, so the rows and the count come from one snapshot.
    total = select(func.count()).select_from(_runs).where(tenant, ACTIVE_WHERE).scalar_subquery()
    return (
        select(*_ROW_COLUMNS, total.label("active_total"))
        .where(tenant, ACTIVE_WHERE)
        .order_by(_runs.c.created_at.desc(), _runs.c.id.desc())
        .limit(limit)
    )


# Built once: constructing a select costs more than the indexed query it runs.
_WIDGET_QUERY = _active_runs(MAX_ROWS)


def active_runs_statement(tenant_id: str, limit: int = MAX_ROWS) -> Select[Any]:
    """The widget's one query: the newest active runs of the tenant plus the count of all of them."""
    return _active_runs(limit).params(tenant_id=tenant_id)


def _row(run: Row[Any], tenant_id: str, catalog: OperationCatalog, links: RunLinks, keys: SummaryKeys) -> WidgetRow:
    status = ux_status(run.status, run.outcome)
    return WidgetRow(
        run_id=run.id,
        label=catalog.label(run.operation_type),
        status=status,
        status_label=STATUS_COPY[status],
        progress=determinate_progress(status, keys.normalize(run.summary_counts)),
        url=links.run_url(run.id, tenant_id),
        initiator_name=run.initiator_name,
        created_at=run.created_at,
    )


def determinate_progress(status: UxStatus, counts: dict[str, int]) -> int | None:
    """``processed / total`` as a whole percent, only while running and only when total > 0."""
    if status is not UxStatus.RUNNING:
        return None
    processed, total = counts.get("processed"), counts.get("total")
    if processed is None or not total:
        return None
    return min(100, processed * 100 // total)
