"""Options, ini switches, markers, start-up errors, the report header and ``-p no:opsux``."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from plugin_harness import Project

VIOLATION = """
import pytest
from sqlalchemy import update
from opsux_core import Initiator, OperationRun


def violate(service, session):
    run = service.start("acme", "inventory.sync", initiator=Initiator("user-3", "User Three")).run
    session.execute(update(OperationRun).where(OperationRun.id == run.id).values(status="completed", outcome="succeeded"))
    session.commit()
"""


def test_marker_turns_the_check_off_at_test_class_and_module_level(project: Project) -> None:
    project.tests(
        VIOLATION
        + """
pytestmark = pytest.mark.opsux(verify=False)

def test_module_level(opsux_service, opsux_session):
    violate(opsux_service, opsux_session)

class TestClassTurnsItBackOn:
    pytestmark = pytest.mark.opsux(verify=True)

    def test_class_level(self, opsux_service, opsux_session):
        violate(opsux_service, opsux_session)

    @pytest.mark.opsux(verify=False)
    def test_closest_marker_wins(self, opsux_service, opsux_session):
        violate(opsux_service, opsux_session)
"""
    )
    result = project.run("-v")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "test_app.py::test_module_level PASSED*",
            "test_app.py::TestClassTurnsItBackOn::test_class_level FAILED*",
            "test_app.py::TestClassTurnsItBackOn::test_closest_marker_wins PASSED*",
        ]
    )


def test_markers_merge_per_key(project: Project) -> None:
    project.tests(
        VIOLATION
        + """
pytestmark = pytest.mark.opsux(verify=False)

@pytest.mark.opsux(strict_catalog=False)
def test_module_verify_off_still_applies(opsux_service, opsux_session):
    violate(opsux_service, opsux_session)
    try:
        opsux_service.start("acme", "inventry.sync")
    except LookupError:
        pass
"""
    )
    project.run().assert_outcomes(passed=1)


def test_ini_turns_the_check_off_and_a_marker_turns_it_back_on(project: Project) -> None:
    project.ini(opsux_verify="false")
    project.tests(
        VIOLATION
        + """
def test_off_by_ini(opsux_service, opsux_session):
    violate(opsux_service, opsux_session)

@pytest.mark.opsux(verify=True)
def test_on_by_marker(opsux_service, opsux_session):
    violate(opsux_service, opsux_session)
"""
    )
    result = project.run("-v")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*test_off_by_ini PASSED*", "*test_on_by_marker FAILED*"])


@pytest.mark.parametrize(
    ("ini", "message"),
    [
        ({"opsux_verify": "maybe"}, "ERROR: ini opsux_verify: invalid truth value 'maybe'; expected true or false"),
        ({"opsux_strict_catalog": "2"}, "ERROR: ini opsux_strict_catalog: invalid truth value '2'; expected true or false"),
        ({"opsux_db_url": "mysql://localhost/x"}, "ERROR: ini opsux_db_url: database 'mysql' is not supported; use sqlite://, postgresql+psycopg://... or postgresql-proc"),
        ({"opsux_metadata": "myapp.models.Base"}, "ERROR: ini opsux_metadata: 'myapp.models.Base' is not module:attribute (e.g. myapp.models:Base.metadata)"),
        ({"opsux_config": "nowhere/opsux.yaml"}, "ERROR: ini opsux_config: {path}/nowhere/opsux.yaml does not exist"),
    ],
)
def test_bad_ini_values_are_usage_errors_naming_the_option(
    pytester: pytest.Pytester, ini: dict[str, str], message: str
) -> None:
    project = Project(pytester, "sqlite://")
    project.ini(**ini)
    project.tests("def test_x():\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider")  # no --opsux-db-url: the ini value is the one used
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message.format(path=pytester.path) in result.stderr.lines


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "ERROR: --opsux-db-url: 'not a url' is not a database URL: expected dialect[+driver]://..., e.g. sqlite:///tests.db, postgresql+psycopg://user@host:5432/app, or postgresql-proc"),
        ("oracle://scott@db/x", "ERROR: --opsux-db-url: database 'oracle' is not supported; use sqlite://, postgresql+psycopg://... or postgresql-proc"),
    ],
)
def test_bad_database_url_option_is_a_usage_error(pytester: pytest.Pytester, url: str, message: str) -> None:
    project = Project(pytester, url)
    project.tests("def test_x():\n    pass\n")
    result = project.run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.lines


def test_malformed_config_is_a_usage_error_with_file_line_and_key(sqlite_project: Project) -> None:
    sqlite_project.config("operation_types:\n  inventory.sync: {label: Inventory sync, colour: red}\n")
    sqlite_project.tests("def test_x():\n    pass\n")
    result = sqlite_project.run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    config = sqlite_project.path / "opsux.yaml"
    assert (
        f"ERROR: discovered config: {config}:2: operation_types.inventory.sync.colour: unknown key; "
        "known keys: label, expected_duration_seconds, description"
    ) in result.stderr.lines


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ("verfy=False", "unknown option 'verfy'; did you mean 'verify'?"),
        ("verify='no'", "@pytest.mark.opsux(verify=...) on test_app.py::test_x: must be True or False, not 'no'"),
        ("False", "takes keyword arguments only (verify=..., strict_catalog=...), got (False,)"),
    ],
)
def test_bad_marker_is_a_usage_error(sqlite_project: Project, marker: str, message: str) -> None:
    sqlite_project.tests(f"import pytest\n\n@pytest.mark.opsux({marker})\ndef test_x():\n    pass\n")
    result = sqlite_project.run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert any(message in line and line.startswith("ERROR: @pytest.mark.opsux") for line in result.stderr.lines), result.stderr.lines


def test_report_header_shows_the_effective_settings(sqlite_project: Project) -> None:
    sqlite_project.ini(opsux_verify="off")
    sqlite_project.tests("def test_x():\n    pass\n")
    result = sqlite_project.run()
    result.stdout.fnmatch_lines(
        [
            f"opsux: db=sqlite:// (from sqlite://, --opsux-db-url), tables=opsux, "
            f"config={sqlite_project.path / 'opsux.yaml'} (discovered), "
            "verify=off (ini opsux_verify), strict_catalog=on (default)"
        ]
    )


def test_header_hides_the_database_password(pytester: pytest.Pytester) -> None:
    project = Project(pytester, "postgresql+psycopg://app:s3cret@db.example/app_test")
    project.tests("def test_x():\n    pass\n")
    result = project.run()
    # The header names the database the tests really use: the plugin's own, beside the one named.
    result.stdout.fnmatch_lines(
        ["opsux: db=postgresql+psycopg://app:***@db.example/app_test_opsux_test "
         "(from postgresql+psycopg://app:***@db.example/app_test, --opsux-db-url), *"]
    )
    assert "s3cret" not in result.stdout.str()


def test_database_url_comes_from_option_then_environment_then_ini(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = Project(pytester, "sqlite://")
    database = pytester.path / "from_ini.db"
    project.ini(opsux_db_url=f"sqlite:///{database}")
    project.tests(
        """
def test_url(opsux_engine, pytestconfig):
    print("ENGINE", opsux_engine.url.render_as_string(hide_password=False))
"""
    )
    monkeypatch.delenv("OPSUX_DB_URL", raising=False)
    result = pytester.runpytest("-p", "no:cacheprovider", "-s")
    test_database = pytester.path / "from_ini_opsux_test.db"
    result.stdout.fnmatch_lines(
        [f"opsux: db=sqlite:///{test_database} (from sqlite:///{database}, ini opsux_db_url), *", f"*ENGINE sqlite:///{test_database}"]
    )

    monkeypatch.setenv("OPSUX_DB_URL", "sqlite://")
    result = pytester.runpytest("-p", "no:cacheprovider", "-s")
    result.stdout.fnmatch_lines(["opsux: db=sqlite:// (from sqlite://, $OPSUX_DB_URL), *", "*ENGINE sqlite://"])

    result = pytester.runpytest("-p", "no:cacheprovider", "-s", f"--opsux-db-url=sqlite:///{database}")
    result.stdout.fnmatch_lines([f"opsux: db=sqlite:///{test_database} (from sqlite:///{database}, --opsux-db-url), *"])


def test_default_database_is_sqlite_in_memory(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPSUX_DB_URL", raising=False)
    Project(pytester, "sqlite://").tests("def test_x(opsux_engine):\n    assert str(opsux_engine.url) == 'sqlite://'\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["opsux: db=sqlite:// (from sqlite://, default), *"])


def test_config_from_ini_path(sqlite_project: Project) -> None:
    (sqlite_project.path / "opsux.yaml").unlink()
    (sqlite_project.path / "conf").mkdir()
    (sqlite_project.path / "conf" / "ops.yaml").write_text("operation_types:\n  report.build: Report build\n")
    sqlite_project.ini(opsux_config="conf/ops.yaml")
    sqlite_project.tests("def test_x(opsux_policy):\n    assert [t.code for t in opsux_policy.catalog] == ['report.build']\n")
    result = sqlite_project.run()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"opsux: *, config={sqlite_project.path / 'conf' / 'ops.yaml'} (ini opsux_config), *"])


def test_missing_config_errors_only_the_tests_that_need_the_policy(sqlite_project: Project) -> None:
    (sqlite_project.path / "opsux.yaml").unlink()
    sqlite_project.tests(
        """
def test_plain():
    pass

def test_needs_policy(opsux_service):
    pass
"""
    )
    result = sqlite_project.run()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "opsux: *, config=none found (not configured), *",
            f"opsux: no opsux.yaml and no pyproject.toml with [[]tool.opsux[]] in {sqlite_project.path} or any "
            "parent; write one, or point ini opsux_config at it",
        ]
    )


def test_plugin_can_be_disabled(sqlite_project: Project) -> None:
    sqlite_project.tests("def test_x(opsux_service):\n    pass\n")
    result = sqlite_project.pytester.runpytest("-p", "no:cacheprovider", "-p", "no:opsux")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'opsux_service' not found*"])
    assert "opsux:" not in result.stdout.str()
    # And the option is gone with it.
    result = sqlite_project.pytester.runpytest("-p", "no:opsux", "--opsux-db-url=sqlite://")
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_plugin_is_registered_as_opsux(sqlite_project: Project) -> None:
    sqlite_project.tests("def test_x(pytestconfig):\n    assert pytestconfig.pluginmanager.has_plugin('opsux')\n")
    sqlite_project.run().assert_outcomes(passed=1)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # SQLite creates its database on demand
def test_an_unreachable_database_errors_the_tests_that_need_it_with_the_url(project: Project) -> None:
    url = make_url(project.db_url)
    missing = url.set(database="opsux_no_such_database").render_as_string(hide_password=False)
    project.tests("def test_plain():\n    pass\n\ndef test_db(opsux_session):\n    pass\n")
    result = project.pytester.runpytest("-p", "no:cacheprovider", f"--opsux-db-url={missing}")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "opsux: cannot prepare the test database "
            f"{url.set(database='opsux_no_such_database_opsux_test').render_as_string(hide_password=True)} "
            "(--opsux-db-url): OperationalError: *"
        ]
    )


def test_boolean_ini_options_are_declared_bool(sqlite_project: Project) -> None:
    result = sqlite_project.pytester.runpytest("--help")
    result.stdout.fnmatch_lines(["  opsux_verify (bool):*", "  opsux_strict_catalog (bool):*"])
    result.stdout.fnmatch_lines(["  opsux_metadata (linelist):*"])


@pytest.mark.parametrize(("value", "verify"), [("no", "off"), ("False", "off"), ("1", "on"), ("yes", "on")])
def test_boolean_ini_options_take_pytests_spellings(sqlite_project: Project, value: str, verify: str) -> None:
    sqlite_project.ini(opsux_verify=value)
    sqlite_project.tests("def test_x():\n    pass\n")
    sqlite_project.run().stdout.fnmatch_lines([f"opsux: *, verify={verify} (ini opsux_verify), *"])


def test_a_project_overriding_opsux_session_gets_a_service_on_its_session(project: Project) -> None:
    project.pytester.makeconftest(
        """
import pytest

@pytest.fixture
def opsux_session(opsux_sessionmaker):
    session = opsux_sessionmaker()
    session.info["overridden"] = True
    yield session
    session.close()
"""
    )
    project.tests(
        """
def test_service_uses_the_override(opsux_service, opsux_session):
    assert opsux_service.session is opsux_session
    assert opsux_service.session.info.get("overridden") is True
    opsux_service.start("acme", "inventory.sync")
"""
    )
    project.run().assert_outcomes(passed=1)
