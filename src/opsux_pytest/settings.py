"""The plugin's effective settings, read once from the command line, the ini file and the environment.

Every bad value becomes a ``pytest.UsageError`` that names the option, at start-up: a typo in
``opsux_verify`` must not silently switch the check off, and a wrong database URL must not surface
as a traceback in the first test that happens to touch the database.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from opsux_core import ConfigError, Policy, find_config, load_policy

DB_URL_OPTION = "--opsux-db-url"
DB_URL_INI = "opsux_db_url"
DB_URL_ENV = "OPSUX_DB_URL"
CONFIG_INI = "opsux_config"
VERIFY_INI = "opsux_verify"
STRICT_CATALOG_INI = "opsux_strict_catalog"
DEFAULT_DB_URL = "sqlite://"

SUPPORTED_BACKENDS = ("sqlite", "postgresql")
_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


@dataclass(frozen=True)
class Setting:
    """A value and where it came from, so the report header can say why it is what it is."""

    value: str
    source: str


@dataclass(frozen=True)
class OpsuxSettings:
    db_url: URL
    db_url_source: str
    config_path: Path | None
    config_source: str
    policy: Policy | None
    verify: bool
    verify_source: str
    strict_catalog: bool
    strict_catalog_source: str

    def header(self) -> str:
        config = str(self.config_path) if self.config_path else "none found"
        return (
            f"opsux: db={self.db_url.render_as_string(hide_password=True)} ({self.db_url_source}), "
            f"config={config} ({self.config_source}), "
            f"verify={_on_off(self.verify)} ({self.verify_source}), "
            f"strict_catalog={_on_off(self.strict_catalog)} ({self.strict_catalog_source})"
        )


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("opsux", "opsux: operation-run conventions")
    group.addoption(
        DB_URL_OPTION,
        dest="opsux_db_url",
        default=None,
        metavar="URL",
        help=f"database for the opsux fixtures (SQLAlchemy URL; overrides ${DB_URL_ENV} and ini "
        f"{DB_URL_INI}; default: SQLite in memory)",
    )
    parser.addini(DB_URL_INI, "database URL for the opsux fixtures (default: SQLite in memory)", default="")
    parser.addini(CONFIG_INI, "path to the opsux config (default: discovered from the rootdir)", default="")
    parser.addini(VERIFY_INI, "run the end-of-test notification check (true/false, default true)", default="")
    parser.addini(
        STRICT_CATALOG_INI,
        "fail tests that start a run with an unregistered operation type (true/false, default true)",
        default="",
    )


def read_settings(config: pytest.Config) -> OpsuxSettings:
    db = _db_url(config)
    try:
        url = make_url(db.value)
    except ArgumentError as exc:
        raise pytest.UsageError(f"{db.source}: {db.value!r} is not a database URL: {exc}") from None
    if url.get_backend_name() not in SUPPORTED_BACKENDS:
        raise pytest.UsageError(
            f"{db.source}: database {url.get_backend_name()!r} is not supported; "
            "use sqlite:// or postgresql+psycopg://..."
        )
    config_path, config_source, policy = _policy(config)
    verify = _flag(config, VERIFY_INI)
    strict = _flag(config, STRICT_CATALOG_INI)
    return OpsuxSettings(
        db_url=url,
        db_url_source=db.source,
        config_path=config_path,
        config_source=config_source,
        policy=policy,
        verify=verify.value == "true",
        verify_source=verify.source,
        strict_catalog=strict.value == "true",
        strict_catalog_source=strict.source,
    )


def _db_url(config: pytest.Config) -> Setting:
    # Command line, then environment, then ini: CI exports a URL without editing the project's ini.
    option = config.getoption("opsux_db_url")
    if option is not None:
        if not option.strip():
            raise pytest.UsageError(f"{DB_URL_OPTION}: the database URL is empty")
        return Setting(option.strip(), DB_URL_OPTION)
    env = os.environ.get(DB_URL_ENV)
    if env is not None and env.strip():
        return Setting(env.strip(), f"${DB_URL_ENV}")
    ini = str(config.getini(DB_URL_INI)).strip()
    if ini:
        return Setting(ini, f"ini {DB_URL_INI}")
    return Setting(DEFAULT_DB_URL, "default")


def _policy(config: pytest.Config) -> tuple[Path | None, str, Policy | None]:
    configured = str(config.getini(CONFIG_INI)).strip()
    if configured:
        path = Path(configured)
        if not path.is_absolute():
            base = config.inipath.parent if config.inipath else config.rootpath
            path = base / path
        if not path.exists():
            raise pytest.UsageError(f"ini {CONFIG_INI}: {path} does not exist")
        source = f"ini {CONFIG_INI}"
    else:
        found = find_config(config.rootpath)
        if found is None:
            # A project may install opsux without configuring it; only the fixtures need a policy.
            return None, "not configured", None
        path, source = found, "discovered"
    try:
        return path, source, load_policy(path)
    except ConfigError as exc:
        raise pytest.UsageError(f"{source} config: {exc}") from None


def _flag(config: pytest.Config, name: str) -> Setting:
    raw = str(config.getini(name)).strip()
    if not raw:
        return Setting("true", "default")
    folded = raw.lower()
    if folded in _TRUE:
        return Setting("true", f"ini {name}")
    if folded in _FALSE:
        return Setting("false", f"ini {name}")
    raise pytest.UsageError(f"ini {name}: expected true or false, got {raw!r}")


def _on_off(value: bool) -> str:
    return "on" if value else "off"
