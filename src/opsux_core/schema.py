"""The opsux tables in a real database: run the shipped revisions, then check the result.

``upgrade`` runs the Alembic revisions in :mod:`opsux_core.migrations` (their own version table,
so an application's Alembic history is untouched). A database made by ``create_all`` before the
revisions existed is adopted: stamped at the revision its shape matches, then upgraded.

``differences`` compares the live tables with the models (columns, types, nullability, indexes,
unique and check constraints, foreign keys, the partial indexes' predicates) and says in words
what differs, so ``opsux init-db`` never prints "ok" over a table ``start()`` cannot use.
``repair`` recreates what can be recreated without touching data: missing tables, indexes and
constraints, and indexes that lost their predicate.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import CheckConstraint, Connection, UniqueConstraint, inspect
from sqlalchemy.schema import AddConstraint

from opsux_core.migrations import SCRIPT_LOCATION, VERSION_TABLE
from opsux_core.models import Base

INITIAL_REVISION = "0001"
_ADOPT_MARKERS = {
    "0002": ("operation_runs", "column", "last_heartbeat_at"),
    "0003": ("operation_runs", "index", "ix_operation_runs_tenant_newest"),
}
"""What a revision added: its presence in an unversioned database means 'at least here'.

In revision order, so the newest marker found wins; without them, tables that ``create_all`` made
in a newer shape would be stamped too old, and the next revision would fail on what already exists.
"""


@dataclass(frozen=True)
class Difference:
    """One way the live schema differs from opsux's models; ``repairable`` if ``repair`` can fix it."""

    table: str
    problem: str
    repairable: bool = False
    index: str | None = None
    """The index concerned, when the difference is about one."""

    def __str__(self) -> str:
        return f"{self.table}: {self.problem}"


def alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config(None)).get_current_head()  # type: ignore[arg-type]
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def upgrade(connection: Connection, revision: str = "head") -> str | None:
    """Adopt an unversioned opsux schema if there is one, then upgrade to *revision*.

    Returns the revision the database was adopted at, or None. Commits (DDL needs its own transaction).
    """
    adopted = _adopt(connection)
    command.upgrade(alembic_config(connection), revision)
    connection.commit()
    return adopted


def downgrade(connection: Connection, revision: str) -> None:
    command.downgrade(alembic_config(connection), revision)
    connection.commit()


def _adopt(connection: Connection) -> str | None:
    inspector = inspect(connection)
    if current_revision(connection) is not None or not inspector.has_table("operation_runs"):
        return None
    revision = INITIAL_REVISION
    for candidate, (table, kind, name) in _ADOPT_MARKERS.items():
        present = inspector.get_columns(table) if kind == "column" else inspector.get_indexes(table)
        if name in {item["name"] for item in present}:
            revision = candidate
    command.stamp(alembic_config(connection), revision)
    connection.commit()
    return revision


def differences(connection: Connection) -> list[Difference]:
    """What differs between the live opsux tables and the models (empty: the schema is right)."""
    ours = set(Base.metadata.tables)

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ == "table":
            return name in ours
        return True

    context = MigrationContext.configure(
        connection, opts={"include_object": include, "compare_type": True, "version_table": VERSION_TABLE}
    )
    found = [diff for entry in compare_metadata(context, Base.metadata) for diff in _describe(entry)]
    # A missing table is one difference, not one more for each of its indexes.
    missing = {d.table for d in found if d.problem == "table is missing"}
    found = [d for d in found if d.table not in missing or d.problem == "table is missing"]
    inspector = inspect(connection)
    for table in Base.metadata.sorted_tables:
        if not inspector.has_table(table.name):
            continue
        found += _check_constraints(inspector, table.name)
        wrong = _wrong_indexes(inspector, connection.dialect.name, table.name)
        # Alembic reports an index of opsux's name over other columns as one missing and one
        # foreign index; it is one index in the wrong shape, and repair rebuilds it.
        reshaped = {d.index for d in wrong}
        found = [d for d in found if d.table != table.name or d.index not in reshaped] + wrong
    return found


def repair(connection: Connection) -> list[Difference]:
    """Create missing tables, recreate missing or wrong indexes and constraints; returns what was repaired. Commits."""
    repaired: list[Difference] = []
    inspector = inspect(connection)
    for table in Base.metadata.sorted_tables:
        if not inspector.has_table(table.name):
            table.create(connection)
            repaired.append(Difference(table.name, "table created", True))
            continue
        present = {ix["name"] for ix in inspector.get_indexes(table.name)}
        wrong = {d.index for d in _wrong_indexes(inspector, connection.dialect.name, table.name)}
        for index in sorted(table.indexes, key=lambda ix: str(ix.name)):
            if index.name in wrong:
                index.drop(connection)
            if index.name not in present or index.name in wrong:
                index.create(connection)
                repaired.append(Difference(table.name, f"index {index.name} recreated", True))
        if connection.dialect.name == "postgresql":
            # SQLite cannot add a constraint to an existing table; PostgreSQL can.
            live = {c["name"] for c in inspector.get_check_constraints(table.name)}
            live |= {c["name"] for c in inspector.get_unique_constraints(table.name)}
            for constraint in table.constraints:
                if constraint.name and constraint.name not in live and _is_check_or_unique(constraint):
                    connection.execute(AddConstraint(constraint))
                    repaired.append(Difference(table.name, f"constraint {constraint.name} recreated", True))
    connection.commit()
    return repaired


def _is_check_or_unique(constraint: Any) -> bool:
    return isinstance(constraint, (CheckConstraint, UniqueConstraint))


def _describe(entry: Any) -> Iterator[Difference]:
    if isinstance(entry, list):  # modify_* entries come grouped per column
        for item in entry:
            yield from _describe_modify(item)
        return
    kind = entry[0]
    if kind == "add_table":
        yield Difference(entry[1].name, "table is missing", True)
    elif kind == "add_column":
        yield Difference(entry[2], f"column {entry[3].name} is missing")
    elif kind == "remove_column":
        yield Difference(entry[2], f"column {entry[3].name} is not in opsux's schema")
    elif kind == "add_index":
        yield Difference(entry[1].table.name, f"index {entry[1].name} is missing", True, entry[1].name)
    elif kind == "remove_index":
        yield Difference(entry[1].table.name, f"index {entry[1].name} is not in opsux's schema", index=entry[1].name)
    elif kind == "add_constraint":
        yield Difference(entry[1].table.name, f"constraint {entry[1].name} is missing", True)
    elif kind == "remove_constraint":
        yield Difference(entry[1].table.name, f"constraint {entry[1].name} is not in opsux's schema")
    elif kind == "add_fk":
        yield Difference(entry[1].table.name, f"foreign key {entry[1].name} is missing")
    elif kind == "remove_fk":
        yield Difference(entry[1].table.name, f"foreign key {entry[1].name} is not in opsux's schema")
    else:
        yield Difference("?", f"{kind}: {entry[1:]}")


def _describe_modify(item: Any) -> Iterator[Difference]:
    kind, _schema, table, column = item[0], item[1], item[2], item[3]
    if kind == "modify_type":
        yield Difference(table, f"column {column} is {item[5]}, expected {item[6]}")
    elif kind == "modify_nullable":
        live = "allows NULL" if item[5] else "is NOT NULL"
        yield Difference(table, f"column {column} {live}, expected {'NULL allowed' if item[6] else 'NOT NULL'}")
    # modify_default / modify_comment: opsux sets neither in the database; nothing to say.


def _check_constraints(inspector: Any, table: str) -> list[Difference]:
    expected = {str(c.name) for c in Base.metadata.tables[table].constraints if isinstance(c, CheckConstraint)}
    live = {c["name"] for c in inspector.get_check_constraints(table)}
    return [Difference(table, f"check constraint {name} is missing", True) for name in sorted(expected - live)]


def _wrong_indexes(inspector: Any, dialect: str, table: str) -> list[Difference]:
    """opsux's indexes that exist under their name but not in their shape: columns, uniqueness, predicate.

    The queries depend on each: a partial index that lost its WHERE makes dedupe refuse every
    second run of an identity, and one over other columns no longer serves the order it exists for.
    """
    found: list[Difference] = []
    live = {ix["name"]: ix for ix in inspector.get_indexes(table)}
    for index in Base.metadata.tables[table].indexes:
        reflected = live.get(index.name)
        if reflected is None:
            continue
        expected = (tuple(c.name for c in index.columns), bool(index.unique))
        actual = (tuple(reflected["column_names"]), bool(reflected["unique"]))
        if actual != expected:
            found.append(
                Difference(table, f"index {index.name} is {_index_shape(*actual)}, expected {_index_shape(*expected)}", True, str(index.name))
            )
            continue
        predicate = index.dialect_options[dialect].get("where") if dialect in ("postgresql", "sqlite") else None
        where = (reflected.get("dialect_options") or {}).get(f"{dialect}_where")
        if (predicate is None) != (where is None):
            wanted = "partial (WHERE status IN ('queued', 'running'))" if predicate is not None else "not partial"
            found.append(Difference(table, f"index {index.name} should be {wanted}", True, str(index.name)))
    return found


def _index_shape(columns: tuple[str, ...], unique: bool) -> str:
    return f"{'unique ' if unique else ''}on ({', '.join(columns)})"
