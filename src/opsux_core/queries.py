"""Tenant-scoped reads for the run detail page and the operations index.

Every read takes the tenant and filters on it in SQL: a run id from a URL is user input, and
loading it without the tenant would show one tenant another's run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

from sqlalchemy import Integer, Select, bindparam, select
from sqlalchemy.orm import Session

from opsux_core.errors import RunNotFound
from opsux_core.identifiers import check_identifier
from opsux_core.models import ACTIVE_WHERE, ID_LENGTH, OperationRun

MAX_PAGE = 200


def get_run(session: Session, tenant_id: str, run_id: int) -> OperationRun:
    """The run *run_id* of *tenant_id*; :class:`RunNotFound` when it does not exist in that tenant."""
    check_identifier("tenant_id", tenant_id, ID_LENGTH)
    run = session.scalars(_ONE_RUN, {"tenant_id": tenant_id, "run_id": run_id}).one_or_none()
    if run is None:
        raise RunNotFound(run_id)
    return run


def list_runs(
    session: Session,
    tenant_id: str,
    *,
    limit: int = 50,
    before_id: int | None = None,
    active_only: bool = False,
) -> Sequence[OperationRun]:
    """The tenant's runs, newest first, ``limit`` at a time; pass the last id as *before_id* for the next page.

    *active_only* keeps queued and running runs (served by the partial index on active runs).
    """
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit must be between 1 and {MAX_PAGE}, not {limit}")
    check_identifier("tenant_id", tenant_id, ID_LENGTH)
    return session.scalars(_PAGES[before_id is not None, active_only], _page_values(tenant_id, limit, before_id)).all()


def list_runs_statement(
    tenant_id: str, limit: int = 50, before_id: int | None = None, active_only: bool = False
) -> Select[OperationRun]:
    """The page ``list_runs`` reads, with these values bound (for EXPLAIN and tests)."""
    return _PAGES[before_id is not None, active_only].params(_page_values(tenant_id, limit, before_id))


def _page_values(tenant_id: str, limit: int, before_id: int | None) -> dict[str, object]:
    values: dict[str, object] = {"tenant_id": tenant_id, "limit": limit}
    if before_id is not None:
        values["before_id"] = before_id
    return values


def _page(before: bool, active_only: bool) -> Select[OperationRun]:
    """Keyset on id, so page 1,000 costs what page 1 does.

    Ordered by id alone: unique, so no two runs tie at a page boundary (``created_at`` can), and
    the ``(tenant_id, id)`` index returns it in order, so a backward scan stops after *limit* rows.
    """
    stmt = select(OperationRun).where(OperationRun.tenant_id == bindparam("tenant_id"))
    if before:
        stmt = stmt.where(OperationRun.id < bindparam("before_id"))
    if active_only:
        stmt = stmt.where(ACTIVE_WHERE)
    return stmt.order_by(OperationRun.id.desc()).limit(bindparam("limit", type_=Integer))


# Built once, values bound at execution: building a select and its cache key on every call cost
# more than the indexed query itself, and one statement object per shape keeps SQLAlchemy's
# compiled cache and psycopg's prepared statement to one entry each.
_PAGES: Mapping[tuple[bool, bool], Select[OperationRun]] = MappingProxyType(
    {(before, active): _page(before, active) for before in (False, True) for active in (False, True)}
)
_ONE_RUN = select(OperationRun).where(
    OperationRun.tenant_id == bindparam("tenant_id"), OperationRun.id == bindparam("run_id")
)
