"""Data migration: excluded from linting (lint.exclude), it must name the old types."""

from sqlalchemy import text

RENAMES = {"inventory_sync": "inventory.sync"}


def upgrade(connection):
    for old, new in RENAMES.items():
        connection.execute(text("UPDATE operation_runs SET operation_type = :new WHERE operation_type = :old"), {"old": old, "new": new})
    connection.execute(text("SELECT 1")).filter_by(operation_type="inventory_sync")
