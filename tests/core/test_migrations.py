"""The shipped Alembic revisions, on SQLite and PostgreSQL: up, down, adoption, autogenerate, app FKs."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON, Engine, ForeignKey, String, create_engine, event, inspect, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from opsux_core import OperationRunService, Policy, schema
from opsux_core.migrations import render_item
from opsux_core.models import Base, OperationRun

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


def _sqlite(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _fk(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.execute("PRAGMA foreign_keys=ON")

    return engine


def _pg_schema(pg_engine: Engine, name: str) -> Iterator[Engine]:
    with pg_engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {name}"))
    engine = create_engine(pg_engine.url, connect_args={"options": f"-csearch_path={name}"})
    yield engine
    engine.dispose()
    with pg_engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def blank(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Engine, Engine]]:
    """Two empty databases of one kind: one for the revisions, one for create_all."""
    if request.param == "sqlite":
        migrated, created = _sqlite(tmp_path / "migrated.db"), _sqlite(tmp_path / "created.db")
        yield migrated, created
        migrated.dispose()
        created.dispose()
        return
    pg_engine = request.getfixturevalue("pg_engine")
    first, second = _pg_schema(pg_engine, "opsux_core_mig_a"), _pg_schema(pg_engine, "opsux_core_mig_b")
    yield next(first), next(second)
    for gen in (first, second):
        next(gen, None)


def shape(engine: Engine) -> dict[str, Any]:
    """Everything reflection tells about the opsux tables, in comparable form."""
    inspector = inspect(engine)
    dialect = engine.dialect.name
    out: dict[str, Any] = {}
    for table in sorted(Base.metadata.tables):
        out[table] = {
            "columns": [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)],
            "pk": inspector.get_pk_constraint(table)["constrained_columns"],
            "indexes": sorted(
                (
                    ix["name"],
                    tuple(ix["column_names"]),
                    bool(ix["unique"]),
                    " ".join(str((ix.get("dialect_options") or {}).get(f"{dialect}_where", "")).split()),
                )
                for ix in inspector.get_indexes(table)
            ),
            "unique": sorted((u["name"], tuple(u["column_names"])) for u in inspector.get_unique_constraints(table)),
            "checks": sorted((c["name"], " ".join(c["sqltext"].split())) for c in inspector.get_check_constraints(table)),
            "fks": sorted(
                (fk["name"], tuple(fk["constrained_columns"]), fk["referred_table"], fk["options"].get("ondelete"))
                for fk in inspector.get_foreign_keys(table)
            ),
        }
    return out


def test_revisions_up_equal_create_all_and_go_down_and_up_again(blank: tuple[Engine, Engine]) -> None:
    migrated, created = blank
    Base.metadata.create_all(created)
    with migrated.connect() as conn:
        assert schema.upgrade(conn) is None  # nothing to adopt in an empty database
        assert schema.current_revision(conn) == schema.head_revision() == "0003"
        assert schema.differences(conn) == []
    assert shape(migrated) == shape(created)
    with migrated.connect() as conn:
        schema.downgrade(conn, "0002")
        assert _index_columns(conn)["ix_operation_runs_tenant_created"] == ("tenant_id", "created_at")
        assert "ix_operation_runs_tenant_newest" not in _index_columns(conn)
        schema.downgrade(conn, "0001")
        assert "last_heartbeat_at" not in {c["name"] for c in inspect(conn).get_columns("operation_runs")}
        schema.downgrade(conn, "base")
        assert not set(Base.metadata.tables) & set(inspect(conn).get_table_names())
        schema.upgrade(conn)
    assert shape(migrated) == shape(created)


def _index_columns(conn: Any) -> dict[str, tuple[str, ...]]:
    return {ix["name"]: tuple(ix["column_names"]) for ix in inspect(conn).get_indexes("operation_runs")}


def test_tables_from_before_the_revisions_are_adopted_and_upgraded(blank: tuple[Engine, Engine]) -> None:
    engine, _ = blank
    with engine.connect() as conn:
        schema.upgrade(conn, "0001")
        conn.execute(text("DROP TABLE opsux_alembic_version"))  # as create_all of opsux 0.1 left it
        conn.execute(
            text(
                "INSERT INTO operation_runs (tenant_id, operation_type, status, outcome, initiator_name, identity_hash,"
                " summary_counts, context, created_at, updated_at) VALUES ('acme', 'inventory.sync', 'running',"
                " 'pending', 'System', 'h', '{}', '{}', :t, :t)"
            ),
            {"t": T0},
        )
        conn.commit()
        assert schema.upgrade(conn) == "0001"
        assert schema.current_revision(conn) == "0003" and schema.differences(conn) == []
    with Session(engine) as session:
        run = session.scalars(select(OperationRun)).one()
        assert run.last_heartbeat_at == T0  # backfilled from updated_at, so the reaper can judge it


@pytest.mark.parametrize(("made_at", "adopted_at"), [("0002", "0002"), ("0003", "0003")])
def test_unversioned_tables_are_adopted_at_the_revision_their_shape_shows(
    blank: tuple[Engine, Engine], made_at: str, adopted_at: str
) -> None:
    # create_all of an opsux release leaves no version table; stamping such tables too old would
    # make the next revision fail on an index that already exists.
    engine, _ = blank
    with engine.connect() as conn:
        schema.upgrade(conn, made_at)
        conn.execute(text("DROP TABLE opsux_alembic_version"))
        conn.commit()
        assert schema.upgrade(conn) == adopted_at
        assert schema.current_revision(conn) == schema.head_revision()
        assert schema.differences(conn) == []
        columns = _index_columns(conn)
        assert columns["ix_operation_runs_tenant_newest"] == ("tenant_id", "id")
        assert "ix_operation_runs_tenant_created" not in columns


def test_an_index_under_opsux_name_over_other_columns_is_one_difference_and_rebuilt(blank: tuple[Engine, Engine]) -> None:
    engine, _ = blank
    with engine.connect() as conn:
        schema.upgrade(conn)
        conn.execute(text("DROP INDEX ix_operation_runs_tenant_newest"))
        conn.execute(text("CREATE INDEX ix_operation_runs_tenant_newest ON operation_runs (tenant_id, created_at)"))
        conn.commit()
        assert [str(d) for d in schema.differences(conn)] == [
            "operation_runs: index ix_operation_runs_tenant_newest is on (tenant_id, created_at), expected on (tenant_id, id)"
        ]
        assert [str(d) for d in schema.repair(conn)] == ["operation_runs: index ix_operation_runs_tenant_newest recreated"]
        assert _index_columns(conn)["ix_operation_runs_tenant_newest"] == ("tenant_id", "id")
        conn.execute(text("DROP INDEX uq_operation_runs_active_identity"))
        conn.execute(text("CREATE INDEX uq_operation_runs_active_identity ON operation_runs (tenant_id, identity_hash) WHERE status IN ('queued', 'running')"))
        conn.commit()
        # Not unique, the dedupe index guarantees nothing and ON CONFLICT cannot infer it.
        assert [str(d) for d in schema.differences(conn)] == [
            (
                "operation_runs: index uq_operation_runs_active_identity is on (tenant_id, identity_hash), "
                "expected unique on (tenant_id, identity_hash)"
            )
        ]
        assert [str(d) for d in schema.repair(conn)] == ["operation_runs: index uq_operation_runs_active_identity recreated"]
        assert schema.differences(conn) == []


def test_differences_name_what_is_wrong(blank: tuple[Engine, Engine]) -> None:
    engine, _ = blank
    with engine.connect() as conn:
        schema.upgrade(conn)
        conn.execute(text("DROP INDEX ix_operation_runs_tenant_active"))
        conn.execute(text("CREATE INDEX ix_operation_runs_tenant_active ON operation_runs (tenant_id, created_at, id)"))
        conn.execute(text("DROP INDEX ix_operation_runs_active_heartbeat"))
        conn.commit()
        assert [str(d) for d in schema.differences(conn)] == [
            "operation_runs: index ix_operation_runs_active_heartbeat is missing",
            "operation_runs: index ix_operation_runs_tenant_active should be partial (WHERE status IN ('queued', 'running'))",
        ]
        assert [str(d) for d in schema.repair(conn)] == [
            "operation_runs: index ix_operation_runs_active_heartbeat recreated",
            "operation_runs: index ix_operation_runs_tenant_active recreated",
        ]
        assert schema.differences(conn) == [] and schema.repair(conn) == []
        conn.execute(text("DROP TABLE run_notifications"))
        conn.commit()
        assert [str(d) for d in schema.differences(conn)] == ["run_notifications: table is missing"]
        assert [str(d) for d in schema.repair(conn)] == ["run_notifications: table created"]
        assert schema.differences(conn) == []


def test_postgresql_column_and_constraint_differences(pg_engine: Engine) -> None:
    gen = _pg_schema(pg_engine, "opsux_core_mig_c")
    engine = next(gen)
    try:
        with engine.connect() as conn:
            schema.upgrade(conn)
            conn.execute(
                text(
                    "ALTER TABLE operation_runs DROP COLUMN lease_token, ALTER COLUMN tenant_id TYPE varchar(64),"
                    " ALTER COLUMN initiator_name DROP NOT NULL, DROP CONSTRAINT ck_operation_runs_status"
                )
            )
            conn.commit()
            assert sorted(str(d) for d in schema.differences(conn)) == [
                "operation_runs: check constraint ck_operation_runs_status is missing",
                "operation_runs: column initiator_name allows NULL, expected NOT NULL",
                "operation_runs: column lease_token is missing",
                "operation_runs: column tenant_id is VARCHAR(64), expected VARCHAR(128)",
            ]
            assert [str(d) for d in schema.repair(conn)] == ["operation_runs: constraint ck_operation_runs_status recreated"]
            assert len(schema.differences(conn)) == 3  # the column changes need a person
    finally:
        next(gen, None)


# ----------------------------------------------------------------------------- an application's own Alembic


class AppBase(DeclarativeBase):
    pass


class Export(AppBase):
    """An application table pointing at a run, through its own MetaData."""

    __tablename__ = "app_exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey(OperationRun.id, ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(200))


def test_an_app_table_may_reference_runs_from_its_own_metadata(engine: Engine, policy: Policy) -> None:
    AppBase.metadata.create_all(engine)
    try:
        with Session(engine) as session:
            run_id = OperationRunService(session, policy).start("acme", "inventory.sync").run.id
            session.add(Export(run_id=run_id, filename="out.csv"))
            session.commit()
            session.add(Export(run_id=run_id + 1000, filename="orphan.csv"))
            with pytest.raises(IntegrityError):
                session.commit()
    finally:
        AppBase.metadata.drop_all(engine)


ENV_PY = '''
from alembic import context
from sqlalchemy import create_engine

from app_models import AppBase
from opsux_core import Base
from opsux_core.migrations import render_item

engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
with engine.connect() as connection:
    context.configure(
        connection=connection,
        # opsux first: autogenerate creates tables in this order, and app tables point at runs.
        target_metadata=[Base.metadata, AppBase.metadata],
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()
'''

APP_MODELS = '''
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from opsux_core import OperationRun


class AppBase(DeclarativeBase):
    pass


class Export(AppBase):
    __tablename__ = "app_exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey(OperationRun.id, ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(200))
'''


def test_autogenerate_with_the_render_item_hook_runs_as_generated(tmp_path: Path, blank: tuple[Engine, Engine]) -> None:
    engine, _ = blank
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            url = engine.url.update_query_dict(
                {"options": f"-csearch_path={conn.scalar(text('SELECT current_schema()'))}"}
            ).render_as_string(hide_password=False)
    alembic = [sys.executable, "-m", "alembic"]
    subprocess.run([*alembic, "init", "migrations"], cwd=tmp_path, check=True, capture_output=True)
    (tmp_path / "migrations" / "env.py").write_text(ENV_PY)
    (tmp_path / "app_models.py").write_text(APP_MODELS)
    ini = tmp_path / "alembic.ini"
    ini.write_text(ini.read_text().replace("driver://user:pass@localhost/dbname", url.replace("%", "%%")))

    def run(*args: str) -> str:
        done = subprocess.run([*alembic, *args], cwd=tmp_path, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout + done.stderr

    run("revision", "--autogenerate", "-m", "app and opsux")
    [generated] = (tmp_path / "migrations" / "versions").glob("*.py")
    source = generated.read_text()
    assert "UtcDateTime" not in source and "sa.DateTime(timezone=True)" in source
    assert "sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')" in source
    run("upgrade", "head")  # the NameError this hook prevents would fail here
    assert {"operation_runs", "run_notifications", "app_exports"} <= set(inspect(engine).get_table_names())
    fks = inspect(engine).get_foreign_keys("app_exports")
    assert [(fk["referred_table"], fk["referred_columns"]) for fk in fks] == [("operation_runs", ["id"])]
    with engine.begin() as conn:
        conn.execute(
            insert(OperationRun.__table__).values(
                id=1, tenant_id="acme", operation_type="inventory.sync", status="queued", outcome="pending",
                initiator_name="System", identity_hash="h", summary_counts={}, context={}, created_at=T0, updated_at=T0,
            )
        )
        conn.execute(text("INSERT INTO app_exports (id, run_id, filename) VALUES (1, 1, 'out.csv')"))
    run("downgrade", "base")
    assert not {"operation_runs", "app_exports"} & set(inspect(engine).get_table_names())


def test_render_item_leaves_other_types_to_alembic() -> None:
    assert render_item("type", String(10), None) is False  # type: ignore[arg-type]
    assert render_item("type", JSON(), None) is False  # type: ignore[arg-type]
    assert render_item("server_default", OperationRun.__table__.c.created_at.type, None) is False  # type: ignore[arg-type]
