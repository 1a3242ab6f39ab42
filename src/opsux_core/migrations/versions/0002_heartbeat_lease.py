"""Crashed workers and one tracker per run: last_heartbeat_at, lease_token, the reaper's index.

Existing runs get their last update as their last heartbeat, so the first reap after the upgrade
judges them by what they last did.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ACTIVE = sa.text("status IN ('queued', 'running')")


def upgrade() -> None:
    op.add_column("operation_runs", sa.Column("last_heartbeat_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("operation_runs", sa.Column("lease_token", sa.String(32), nullable=True))
    runs = sa.table("operation_runs", sa.column("last_heartbeat_at"), sa.column("updated_at"))
    op.execute(runs.update().values(last_heartbeat_at=runs.c.updated_at))
    op.create_index(
        "ix_operation_runs_active_heartbeat",
        "operation_runs",
        ["last_heartbeat_at"],
        postgresql_where=ACTIVE,
        sqlite_where=ACTIVE,
    )


def downgrade() -> None:
    op.drop_index("ix_operation_runs_active_heartbeat", table_name="operation_runs")
    op.drop_column("operation_runs", "lease_token")
    op.drop_column("operation_runs", "last_heartbeat_at")
