"""The run model: ``operation_runs`` and the persisted terminal ``run_notifications``.

The schema itself carries the guarantees the conventions need, so no race in application code can
break them:

- one active run per (tenant, identity): a unique index limited to active rows;
- at most one notification per (run, recipient, kind), and ``kind`` can only be ``terminal``;
- status/outcome only take known values, and ``outcome`` is ``pending`` exactly while active.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    Dialect,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from opsux_core.status import RunOutcome, RunStatus

# Alembic-friendly, deterministic constraint names.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT ids on PostgreSQL; SQLite only auto-increments a column declared exactly INTEGER.
Id = BigInteger().with_variant(Integer(), "sqlite")
Counts = JSON().with_variant(JSONB(), "postgresql")

_ACTIVE_SQL = "status IN ('queued', 'running')"
ACTIVE_WHERE = text(_ACTIVE_SQL)
"""The predicate of the partial indexes; ``ON CONFLICT`` must repeat it to infer the index."""

NOTIFICATION_KIND_TERMINAL = "terminal"

# Column widths that identifiers are checked against before any write (see identifiers.py), so
# SQLite (which ignores VARCHAR lengths) and PostgreSQL (which enforces them) give the same answer.
ID_LENGTH = 128
NAME_LENGTH = 255
LEASE_LENGTH = 32


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(value: datetime | None) -> str | None:
    """ISO 8601 (with the UTC offset) for JSON, or None."""
    return value.isoformat() if value is not None else None


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every engine (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("opsux stores aware datetimes only; got a naive one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _quoted(values: Any) -> str:
    return ", ".join(f"'{value}'" for value in values)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class OperationRun(Base):
    """One execution of a long-running operation, scoped to one tenant.

    Only :class:`opsux_core.service.OperationRunService` writes ``status`` and ``outcome``.
    """

    __tablename__ = "operation_runs"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    operation_type: Mapped[str] = mapped_column(String(ID_LENGTH))
    status: Mapped[str] = mapped_column(String(16), default=RunStatus.QUEUED.value)
    outcome: Mapped[str] = mapped_column(String(32), default=RunOutcome.PENDING.value)
    initiator_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    initiator_name: Mapped[str] = mapped_column(String(NAME_LENGTH), default="System")
    identity_hash: Mapped[str] = mapped_column(String(64))
    summary_counts: Mapped[dict[str, int]] = mapped_column(Counts, default=dict)
    failure_summary: Mapped[dict[str, str] | None] = mapped_column(Counts)
    context: Mapped[dict[str, Any]] = mapped_column(Counts, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=utcnow)
    """The run's last sign of life (created, started, counted, ``job.heartbeat()``); the reaper reads it."""
    lease_token: Mapped[str | None] = mapped_column(String(LEASE_LENGTH))
    """Set when a tracker claims the run: one tracker works a run at a time."""

    notifications: Mapped[list[RunNotification]] = relationship(
        back_populates="run", order_by="RunNotification.id", viewonly=True
    )

    __table_args__ = (
        # Dedupe lives here, not in application code: two concurrent starts of the same identity
        # cannot both insert an active row.
        Index(
            "uq_operation_runs_active_identity",
            "tenant_id",
            "identity_hash",
            unique=True,
            postgresql_where=ACTIVE_WHERE,
            sqlite_where=ACTIVE_WHERE,
        ),
        # Serves the progress widget: active runs of one tenant, newest first.
        Index(
            "ix_operation_runs_tenant_active",
            "tenant_id",
            "created_at",
            "id",
            postgresql_where=ACTIVE_WHERE,
            sqlite_where=ACTIVE_WHERE,
        ),
        # Serves the operations index: all runs of one tenant, newest (highest id) first, paged by
        # id; a backward scan of this index reads one page, however long the tenant's history.
        Index("ix_operation_runs_tenant_newest", "tenant_id", "id"),
        # Serves the reaper: active runs by last sign of life, oldest first.
        Index(
            "ix_operation_runs_active_heartbeat",
            "last_heartbeat_at",
            postgresql_where=ACTIVE_WHERE,
            sqlite_where=ACTIVE_WHERE,
        ),
        CheckConstraint(f"status IN ({_quoted(RunStatus)})", name="status"),
        CheckConstraint(f"outcome IN ({_quoted(RunOutcome)})", name="outcome"),
        CheckConstraint(
            "(status = 'completed') = (outcome <> 'pending')", name="outcome_pending_while_active"
        ),
    )

    @property
    def is_active(self) -> bool:
        return self.status in (RunStatus.QUEUED, RunStatus.RUNNING)

    @property
    def is_system(self) -> bool:
        return self.initiator_id is None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values of the run (datetimes ISO 8601). Labels and copy come from the presenter."""
        from opsux_core.status import ux_status

        failure = self.failure_summary or None
        return {
            "id": self.id,
            "tenant_id": self.tenant_id,
            "operation_type": self.operation_type,
            "status": self.status,
            "outcome": self.outcome,
            "ux_status": ux_status(self.status, self.outcome).value,
            "initiator_id": self.initiator_id,
            "initiator_name": self.initiator_name,
            "summary_counts": dict(self.summary_counts or {}),
            "failure": dict(failure) if failure else None,
            "created_at": iso(self.created_at),
            "started_at": iso(self.started_at),
            "completed_at": iso(self.completed_at),
            "updated_at": iso(self.updated_at),
            "last_heartbeat_at": iso(self.last_heartbeat_at),
        }

    def __repr__(self) -> str:
        return (
            f"<OperationRun {self.id} {self.operation_type} tenant={self.tenant_id} "
            f"{self.status}/{self.outcome}>"
        )


class RunNotification(Base):
    """The persisted terminal notification of a run, to its initiator. Queued ones cannot exist."""

    __tablename__ = "run_notifications"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(Id, ForeignKey("operation_runs.id", ondelete="CASCADE"))
    tenant_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    recipient_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    kind: Mapped[str] = mapped_column(String(16), default=NOTIFICATION_KIND_TERMINAL)
    title: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    ux_status: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    run: Mapped[OperationRun] = relationship(back_populates="notifications")

    __table_args__ = (
        UniqueConstraint("run_id", "recipient_id", "kind"),
        CheckConstraint(f"kind = '{NOTIFICATION_KIND_TERMINAL}'", name="kind_terminal"),
        Index("ix_run_notifications_recipient_created", "recipient_id", "created_at"),
    )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values of the notification (datetimes ISO 8601)."""
        return {
            "id": self.id,
            "run_id": self.run_id,
            "tenant_id": self.tenant_id,
            "recipient_id": self.recipient_id,
            "kind": self.kind,
            "title": self.title,
            "body": self.body,
            "summary": self.summary,
            "status": self.ux_status,
            "url": self.url,
            "created_at": iso(self.created_at),
            "read_at": iso(self.read_at),
        }

    def __repr__(self) -> str:
        return f"<RunNotification {self.id} run={self.run_id} -> {self.recipient_id} {self.ux_status}>"


def create_schema(engine: Engine) -> None:
    """Create the opsux tables and indexes (idempotent)."""
    Base.metadata.create_all(engine)
