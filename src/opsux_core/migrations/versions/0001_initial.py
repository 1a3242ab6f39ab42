"""The initial opsux schema: operation_runs and run_notifications.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ACTIVE = sa.text("status IN ('queued', 'running')")
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Counts = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "operation_runs",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(128), nullable=False),
        sa.Column("operation_type", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("initiator_id", sa.String(128), nullable=True),
        sa.Column("initiator_name", sa.String(255), nullable=False),
        sa.Column("identity_hash", sa.String(64), nullable=False),
        sa.Column("summary_counts", Counts, nullable=False),
        sa.Column("failure_summary", Counts, nullable=True),
        sa.Column("context", Counts, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'completed')", name=op.f("ck_operation_runs_status")
        ),
        sa.CheckConstraint(
            "outcome IN ('pending', 'succeeded', 'partially_succeeded', 'failed', 'cancelled')",
            name=op.f("ck_operation_runs_outcome"),
        ),
        sa.CheckConstraint(
            "(status = 'completed') = (outcome <> 'pending')",
            name=op.f("ck_operation_runs_outcome_pending_while_active"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operation_runs")),
    )
    op.create_index(
        "uq_operation_runs_active_identity",
        "operation_runs",
        ["tenant_id", "identity_hash"],
        unique=True,
        postgresql_where=ACTIVE,
        sqlite_where=ACTIVE,
    )
    op.create_index(
        "ix_operation_runs_tenant_active",
        "operation_runs",
        ["tenant_id", "created_at", "id"],
        postgresql_where=ACTIVE,
        sqlite_where=ACTIVE,
    )
    op.create_index("ix_operation_runs_tenant_created", "operation_runs", ["tenant_id", "created_at"])
    op.create_table(
        "run_notifications",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("run_id", Id, nullable=False),
        sa.Column("tenant_id", sa.String(128), nullable=False),
        sa.Column("recipient_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("ux_status", sa.String(16), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind = 'terminal'", name=op.f("ck_run_notifications_kind_terminal")),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["operation_runs.id"],
            name=op.f("fk_run_notifications_run_id_operation_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_notifications")),
        sa.UniqueConstraint(
            "run_id", "recipient_id", "kind", name=op.f("uq_run_notifications_run_id_recipient_id_kind")
        ),
    )
    op.create_index(
        "ix_run_notifications_recipient_created", "run_notifications", ["recipient_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_run_notifications_recipient_created", table_name="run_notifications")
    op.drop_table("run_notifications")
    op.drop_index("ix_operation_runs_tenant_created", table_name="operation_runs")
    op.drop_index("ix_operation_runs_tenant_active", table_name="operation_runs")
    op.drop_index("uq_operation_runs_active_identity", table_name="operation_runs")
    op.drop_table("operation_runs")
