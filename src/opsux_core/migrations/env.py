"""Alembic environment for opsux's own revisions; run through :mod:`opsux_core.schema`.

The caller hands over an open connection in ``config.attributes["connection"]``; offline (SQL
script) mode is not offered: the revisions are small and run where the database is.
"""

from __future__ import annotations

from alembic import context

from opsux_core.migrations import VERSION_TABLE, render_item
from opsux_core.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table=VERSION_TABLE,
    render_item=render_item,
    # SQLite cannot ALTER most things in place; batch mode copies the table when needed.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
