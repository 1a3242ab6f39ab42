"""The test database: the plugin's own, clean for every test, with the app's tables.

On SQLite and on PostgreSQL (a server URL; and a throwaway cluster, ``postgresql-proc``), with and
without pytest-xdist.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from plugin_harness import Project

# Each writes through one fixture; the last test of the file sees none of it.
WRITES_EVERYWHERE = """
import pytest
from sqlalchemy import func, insert, select, text
from opsux_core import Initiator, OperationRun, RunNotification

USER = Initiator("user-3", "U")


def count(conn):
    return (conn.execute(select(func.count()).select_from(OperationRun)).scalar(),
            conn.execute(select(func.count()).select_from(RunNotification)).scalar())


def test_1_engine_begin(opsux_engine, opsux_policy):
    with opsux_engine.begin() as conn:
        conn.execute(insert(OperationRun).values(
            tenant_id="acme", operation_type="inventory.sync", status="queued", outcome="pending",
            initiator_id=None, initiator_name="System", identity_hash="a" * 64, summary_counts={}, context={},
        ))
    with opsux_engine.connect() as conn:
        assert count(conn) == (1, 0)


def test_2_engine_commit_as_you_go(opsux_engine):
    with opsux_engine.connect() as conn:
        conn.execute(text("DELETE FROM run_notifications"))
        conn.execute(insert(OperationRun).values(
            tenant_id="acme", operation_type="inventory.sync", status="queued", outcome="pending",
            initiator_id=None, initiator_name="System", identity_hash="b" * 64, summary_counts={}, context={},
        ))
        conn.commit()
        assert count(conn) == (1, 0)


def test_3_session(opsux_session, opsux_make_run):
    opsux_make_run(status="running")
    opsux_session.commit()


def test_4_service(opsux_service, opsux_engine):
    run = opsux_service.start("acme", "inventory.sync", initiator=USER).run
    opsux_service.complete(run, "succeeded")
    # Engine and sessions see one another: one transaction.
    with opsux_engine.connect() as conn:
        assert count(conn) == (1, 1)


def test_5_sessionmaker(opsux_sessionmaker, opsux_policy):
    from opsux_core import OperationRunService
    with opsux_sessionmaker() as session:
        run = OperationRunService(session, opsux_policy).start("acme", "inventory.sync", initiator=USER).run
        OperationRunService(session, opsux_policy).complete(run, "failed")


def test_9_all_gone(opsux_engine, opsux_session):
    with opsux_engine.connect() as conn:
        assert count(conn) == (0, 0)
    assert opsux_session.scalar(select(func.count()).select_from(OperationRun)) == 0
"""


@pytest.mark.parametrize("xdist", [False, True], ids=["serial", "xdist"])
def test_every_test_starts_clean_whichever_fixture_wrote(project: Project, xdist: bool) -> None:
    project.tests(WRITES_EVERYWHERE)
    args = ("-p", "no:randomly", "-n", "2", "--dist", "loadfile") if xdist else ("-p", "no:randomly")
    result = project.run_subprocess(*args)
    result.assert_outcomes(passed=6)
    if project.db_url.startswith("postgresql"):
        # And again: on PostgreSQL nothing survives the session either.
        project.run_subprocess(*args).assert_outcomes(passed=6)


def snapshot(url: str) -> dict[str, list[tuple[object, ...]]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tables = sorted(inspect(conn).get_table_names())
            return {name: sorted(tuple(row) for row in conn.execute(text(f'SELECT * FROM "{name}"'))) for name in tables}
    finally:
        engine.dispose()


def databases_like(url: str, pattern: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text("SELECT datname FROM pg_database WHERE datname LIKE :p ORDER BY 1"), {"p": pattern}).scalars())
    finally:
        engine.dispose()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("xdist", [False, True], ids=["serial", "xdist"])
def test_the_named_database_is_left_exactly_as_it_was(project: Project, xdist: bool) -> None:
    engine = create_engine(project.db_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS app_things (id int PRIMARY KEY, name text)"))
        conn.execute(text("INSERT INTO app_things VALUES (1, 'mine') ON CONFLICT DO NOTHING"))
    engine.dispose()
    before = snapshot(project.db_url)
    project.tests(WRITES_EVERYWHERE)
    result = project.run_subprocess("-p", "no:randomly", *(("-n", "2") if xdist else ()))
    result.assert_outcomes(passed=6)
    assert snapshot(project.db_url) == before == {"app_things": [(1, "mine")]}
    name = make_url(project.db_url).database
    assert databases_like(project.db_url, f"{name}_opsux_test%") == [], "the test databases are dropped at the end"


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_reuse_db_keeps_the_test_database_and_create_db_recreates_it(project: Project) -> None:
    project.tests(
        """
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from opsux_core import OperationRun

def test_count_and_seed(opsux_shared_engine, pytestconfig):
    # Committed for real on the session engine: what --opsux-reuse-db keeps.
    with Session(opsux_shared_engine) as session:
        print("RUNS BEFORE", session.scalar(select(func.count()).select_from(OperationRun)))
        session.add(OperationRun(tenant_id="acme", operation_type="inventory.sync", status="queued", outcome="pending",
            initiator_name="System", identity_hash=f"{pytestconfig.getoption('opsux_reuse_db')}" * 8 + str(session.scalar(select(func.count()).select_from(OperationRun))), summary_counts={}, context={}))
        session.commit()
"""
    )
    name = make_url(project.db_url).database
    test_db = f"{name}_opsux_test"
    project.run("-s", "--opsux-reuse-db").stdout.fnmatch_lines(["*RUNS BEFORE 0*"])
    assert databases_like(project.db_url, test_db) == [test_db], "--opsux-reuse-db keeps it"
    project.run("-s", "--opsux-reuse-db").stdout.fnmatch_lines(["opsux: *kept between runs (--opsux-reuse-db)*", "*RUNS BEFORE 1*"])
    project.run("-s", "--opsux-reuse-db", "--opsux-create-db").stdout.fnmatch_lines(["*RUNS BEFORE 0*"])
    assert databases_like(project.db_url, test_db) == [test_db]
    project.run("-s").stdout.fnmatch_lines(["*RUNS BEFORE 0*"])
    assert databases_like(project.db_url, test_db) == [], "without --opsux-reuse-db it is dropped"


# Commits one run for real on the session engine: what --opsux-reuse-db keeps. Under --dist each,
# every worker runs it, in its own database.
SEED_ONE = """
import uuid
from sqlalchemy.orm import Session
from opsux_core import OperationRun

def test_seed(opsux_shared_engine):
    with Session(opsux_shared_engine) as session:
        session.add(OperationRun(tenant_id="acme", operation_type="inventory.sync", status="queued", outcome="pending",
            initiator_name="System", identity_hash=uuid.uuid4().hex, summary_counts={}, context={}))
        session.commit()
"""


def runs_in(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM operation_runs")).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_reuse_db_and_create_db_under_xdist_act_on_every_workers_database(project: Project) -> None:
    project.tests(SEED_ONE)
    server = make_url(project.db_url)
    pattern = f"{server.database}_opsux_test%"

    def counts() -> dict[str, int]:
        names = databases_like(project.db_url, pattern)
        return {name: runs_in(server.set(database=name).render_as_string(hide_password=False)) for name in names}

    xdist = ("-n", "2", "--dist", "each")
    project.run_subprocess(*xdist, "--opsux-reuse-db").assert_outcomes(passed=2)
    worker_dbs = [f"{server.database}_opsux_test_gw0", f"{server.database}_opsux_test_gw1"]
    assert counts() == dict.fromkeys(worker_dbs, 1), "--opsux-reuse-db keeps each worker's database"
    project.run_subprocess(*xdist, "--opsux-reuse-db").assert_outcomes(passed=2)
    assert counts() == dict.fromkeys(worker_dbs, 2), "and the next run reuses it"
    project.run_subprocess(*xdist, "--opsux-reuse-db", "--opsux-create-db").assert_outcomes(passed=2)
    assert counts() == dict.fromkeys(worker_dbs, 1), "--opsux-create-db starts each one afresh"
    project.run_subprocess(*xdist).assert_outcomes(passed=2)
    assert counts() == {}, "without --opsux-reuse-db they are dropped"


def test_reuse_db_under_xdist_keeps_a_sqlite_file_per_worker(pytester: pytest.Pytester) -> None:
    database = pytester.path / "dev.db"
    project = Project(pytester, f"sqlite:///{database}")
    project.tests(SEED_ONE)
    xdist = ("-n", "2", "--dist", "each")

    def counts() -> dict[str, int]:
        return {path.name: runs_in(f"sqlite:///{path}") for path in sorted(pytester.path.glob("dev_opsux_test*.db"))}

    worker_files = ["dev_opsux_test_gw0.db", "dev_opsux_test_gw1.db"]
    project.run_subprocess(*xdist, "--opsux-reuse-db").assert_outcomes(passed=2)
    project.run_subprocess(*xdist, "--opsux-reuse-db").assert_outcomes(passed=2)
    assert counts() == dict.fromkeys(worker_files, 2)
    project.run_subprocess(*xdist, "--opsux-reuse-db", "--opsux-create-db").assert_outcomes(passed=2)
    assert counts() == dict.fromkeys(worker_files, 1)
    project.run_subprocess(*xdist).assert_outcomes(passed=2)
    assert counts() == {}
    assert not database.exists(), "the file the URL names is never created"


def test_a_sqlite_file_is_never_the_test_database(pytester: pytest.Pytester) -> None:
    database = pytester.path / "dev.db"
    dev = create_engine(f"sqlite:///{database}")
    with dev.begin() as conn:
        conn.execute(text("CREATE TABLE app_things (id int PRIMARY KEY)"))
    dev.dispose()
    project = Project(pytester, f"sqlite:///{database}")
    project.tests(WRITES_EVERYWHERE)
    project.run("-p", "no:randomly").assert_outcomes(passed=6)
    assert snapshot(f"sqlite:///{database}") == {"app_things": []}
    assert not (pytester.path / "dev_opsux_test.db").exists()
    project.run("-p", "no:randomly", "--opsux-reuse-db").assert_outcomes(passed=6)
    assert (pytester.path / "dev_opsux_test.db").exists()


MODELS = """
from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "app_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


class Other(DeclarativeBase):
    pass


class Note(Other):
    __tablename__ = "app_notes"
    id: Mapped[int] = mapped_column(primary_key=True)
"""


@pytest.mark.parametrize("xdist", [False, True], ids=["serial", "xdist"])
def test_app_tables_from_ini_opsux_metadata(any_project: Project, xdist: bool) -> None:
    project = any_project
    project.pytester.makepyfile(myapp_models=MODELS)
    project.ini(opsux_metadata="\n    myapp_models:Base.metadata\n    myapp_models:Other.metadata", pythonpath=".")
    project.tests(
        """
from sqlalchemy import func, select
from myapp_models import Item, Note

def test_write(opsux_session):
    opsux_session.add_all([Item(name="a"), Note()])
    opsux_session.commit()
    assert opsux_session.scalar(select(func.count()).select_from(Item)) == 1

def test_clean(opsux_session):
    assert opsux_session.scalar(select(func.count()).select_from(Item)) == 0
"""
    )
    # One worker runs both, in order, so test_clean comes after test_write under xdist too.
    result = project.run_in(xdist, "-p", "no:randomly", *(("--dist", "loadfile") if xdist else ()))
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["opsux: *tables=opsux + myapp_models:Base.metadata + myapp_models:Other.metadata, *"])


README = Path(__file__).resolve().parents[2] / "README.md"
_FENCED = re.compile(r"^```(?:python|ini)\n# (?P<path>\S+)\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)


def readme_example(after: str, until: str) -> dict[str, str]:
    """The fenced blocks of README between *after* and *until*, by the path each names on its first line."""
    text = README.read_text(encoding="utf-8")
    start = text.index(after)
    section = text[start:text.index(until, start)]
    return {match["path"]: match["body"] for match in _FENCED.finditer(section)}


@pytest.mark.parametrize("xdist", [False, True], ids=["serial", "xdist"])
def test_the_readme_flask_sqlalchemy_example_runs(any_project: Project, xdist: bool) -> None:
    try:
        import flask_sqlalchemy  # noqa: F401
    except ImportError:
        # It is in the test extra: only a hand-made environment lacks it, and under CI it must run.
        reason = 'README\'s Flask-SQLAlchemy example needs flask-sqlalchemy (in the test extra: pip install -e ".[test]")'
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; under CI=true it must run", pytrace=False)
        pytest.skip(reason)
    files = readme_example("With Flask-SQLAlchemy", "The report header names")
    assert set(files) == {"myapp/extensions.py", "myapp/models.py", "pytest.ini", "tests/test_projects.py"}
    (any_project.path / "myapp").mkdir()
    (any_project.path / "myapp" / "__init__.py").write_text("", encoding="utf-8")
    (any_project.path / "tests").mkdir()
    for path, body in files.items():
        (any_project.path / path).write_text(body, encoding="utf-8")
    # What the example leaves to the project: where myapp is imported from.
    with (any_project.path / "pytest.ini").open("a", encoding="utf-8") as ini:
        ini.write("pythonpath = .\n")
    result = any_project.run_in(xdist, "-p", "no:randomly", *(("--dist", "loadfile") if xdist else ()))
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["opsux: *tables=opsux + myapp.extensions:db.metadata, *"])


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no_such_module:Base.metadata", "opsux: ini opsux_metadata: cannot import 'no_such_module' for 'no_such_module:Base.metadata': *"),
        ("myapp_models:Missing.metadata", "opsux: ini opsux_metadata: 'myapp_models:Missing.metadata': module has no attribute 'Missing'"),
        ("myapp_models:Base", "opsux: ini opsux_metadata: 'myapp_models:Base' is a DeclarativeAttributeIntercept, not a SQLAlchemy MetaData *"),
    ],
)
def test_a_wrong_opsux_metadata_fails_the_database_tests_saying_why(sqlite_project: Project, spec: str, message: str) -> None:
    sqlite_project.pytester.makepyfile(myapp_models=MODELS)
    sqlite_project.ini(opsux_metadata=spec, pythonpath=".")
    sqlite_project.tests("def test_plain():\n    pass\n\ndef test_db(opsux_session):\n    pass\n")
    result = sqlite_project.run()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines([message])


WHERE = """
def test_where(opsux_engine, pytestconfig):
    worker = getattr(pytestconfig, "workerinput", {}).get("workerid", "main")
    url = opsux_engine.url
    with open(f"where-{worker}.txt", "w") as out:
        out.write(f"{url.host}:{url.port}/{url.database}")
"""


@pytest.mark.parametrize("xdist", [False, True], ids=["serial", "xdist"])
def test_a_throwaway_cluster_with_postgresql_proc(pytester: pytest.Pytester, xdist: bool) -> None:
    from opsux_pytest.throwaway import ThrowawayUnavailable, check_available

    try:
        check_available()
    except ThrowawayUnavailable as exc:
        from conftest import unavailable

        unavailable(str(exc))
    project = Project(pytester, "postgresql-proc")
    project.tests(WRITES_EVERYWHERE)
    project.tests(WHERE, name="test_where_a")
    project.tests(WHERE, name="test_where_b")
    result = project.run_subprocess("-p", "no:randomly", *(("-n", "2", "--dist", "loadfile") if xdist else ()))
    result.assert_outcomes(passed=8)
    where = {p.name: p.read_text() for p in pytester.path.glob("where-*.txt")}
    servers = {text.split("/")[0] for text in where.values()}
    assert len(servers) == 1, f"one cluster for the whole session, all workers: {where}"
    assert next(iter(servers)).startswith("127.0.0.1:")
    if xdist:
        assert where and all(name.startswith("where-gw") for name in where)
        assert all(text.endswith(f"/postgres_opsux_test_{name[6:-4]}") for name, text in where.items()), where
    else:
        result.stdout.fnmatch_lines(
            ["opsux: db=a throwaway PostgreSQL cluster, database postgres_opsux_test (from postgresql-proc, --opsux-db-url), *"]
        )
        assert list(where.values())[0].endswith("/postgres_opsux_test")


def test_postgresql_proc_needs_only_pytest_postgresqls_executor_not_its_plugin(pytester: pytest.Pytester) -> None:
    # README: pytest loads pytest-postgresql's own plugin in every run, for a price; a project that
    # only uses postgresql-proc can block it (-p no:pytest_postgresql) and lose nothing.
    from opsux_pytest.throwaway import ThrowawayUnavailable, check_available

    try:
        check_available()
    except ThrowawayUnavailable as exc:
        from conftest import unavailable

        unavailable(str(exc))
    project = Project(pytester, "postgresql-proc")
    project.tests(WRITES_EVERYWHERE)
    result = project.run_subprocess("-p", "no:randomly", "-p", "no:pytest_postgresql")
    result.assert_outcomes(passed=6)
    assert "postgresql-" not in next(line for line in result.outlines if line.startswith("plugins: "))


def test_without_postgresql_binaries_the_error_says_what_to_install(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    import opsux_pytest.throwaway as throwaway

    monkeypatch.setattr(throwaway, "find_pg_ctl", lambda: None)
    project = Project(pytester, "postgresql-proc")
    project.tests("def test_plain():\n    pass\n\ndef test_db(opsux_session):\n    pass\n")
    result = project.run()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "opsux: --opsux-db-url: a throwaway PostgreSQL cluster needs pg_ctl, which is not installed: "
            "install PostgreSQL's server binaries (Debian/Ubuntu: apt-get install postgresql; *"
        ]
    )
