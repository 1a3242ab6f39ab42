"""The plugin's effective settings, read once from the command line, the ini file and the environment.

Every bad value becomes a ``pytest.UsageError`` that names the option, at start-up: a typo in
``opsux_verify`` must not silently switch the check off, and a wrong database URL must not surface
as a traceback in the first test that happens to touch the database.

Not loaded at pytest start-up unless something configures opsux (``plugin.configures_opsux``):
where nothing does, the plugin reads them when a fixture first needs them (issue 16). The
project's config is loaded here (PyYAML); SQLAlchemy is left to the first test that asks for the
database.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from opsux_pytest.dburl import DatabaseUrl, UnusableDatabaseUrl, parse_database_url
from opsux_pytest.plugin import (
    CONFIG_INI,
    DB_URL_ENV,
    DB_URL_INI,
    DB_URL_OPTION,
    METADATA_INI,
    STRICT_CATALOG_INI,
    VERIFY_INI,
    find_config,
)

if TYPE_CHECKING:
    from opsux_core import Policy

DEFAULT_DB_URL = "sqlite://"
# Under pytest-xdist the controller starts a throwaway cluster and hands workers these workerinput keys.
WORKER_SERVER_URL = "opsux_server_url"
WORKER_SERVER_ERROR = "opsux_server_error"

# module.path:attribute.path, as in entry points.
_METADATA_SPEC = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$")


@dataclass(frozen=True)
class Setting:
    """A value and where it came from, so the report header can say why it is what it is."""

    value: str
    source: str


@dataclass(frozen=True)
class OpsuxSettings:
    db_url: DatabaseUrl
    db_url_source: str
    config_path: Path | None
    config_source: str
    policy: Policy | None
    verify: bool
    verify_source: str
    strict_catalog: bool
    strict_catalog_source: str
    metadata: tuple[str, ...] = ()
    """``module:attribute`` specs of the app's MetaData, created beside opsux's tables."""
    reuse_db: bool = False
    create_db: bool = False

    def header(self) -> str:
        config = str(self.config_path) if self.config_path else "none found"
        tables = " + ".join(("opsux", *self.metadata))
        kept = ", kept between runs (--opsux-reuse-db)" if self.reuse_db and not self.create_db else ""
        return (
            f"opsux: db={self.db_url.describe_test_database()} "
            f"(from {self.db_url.redacted()}, {self.db_url_source}{kept}), tables={tables}, "
            f"config={config} ({self.config_source}), "
            f"verify={_on_off(self.verify)} ({self.verify_source}), "
            f"strict_catalog={_on_off(self.strict_catalog)} ({self.strict_catalog_source})"
        )


def read_settings(config: pytest.Config) -> OpsuxSettings:
    db = _db_url(config)
    try:
        url = parse_database_url(db.value)
    except UnusableDatabaseUrl as exc:
        raise pytest.UsageError(f"{db.source}: {exc}") from None
    config_path, config_source, policy = _policy(config)
    verify, verify_source = _flag(config, VERIFY_INI)
    strict, strict_source = _flag(config, STRICT_CATALOG_INI)
    return OpsuxSettings(
        db_url=url,
        db_url_source=db.source,
        config_path=config_path,
        config_source=config_source,
        policy=policy,
        verify=verify,
        verify_source=verify_source,
        strict_catalog=strict,
        strict_catalog_source=strict_source,
        metadata=_metadata(config),
        reuse_db=bool(config.getoption("opsux_reuse_db")),
        create_db=bool(config.getoption("opsux_create_db")),
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
    # opsux_core.policy is pure (PyYAML, no SQLAlchemy); imported here, not at module level, so that
    # merely registering the plugin costs nothing.
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
    # Only now, in an opsux project: opsux_core's config code (PyYAML, no SQLAlchemy).
    from opsux_core.errors import ConfigError
    from opsux_core.policy import load_policy

    try:
        return path, source, load_policy(path)
    except ConfigError as exc:
        raise pytest.UsageError(f"{source} config: {exc}") from None


def _metadata(config: pytest.Config) -> tuple[str, ...]:
    specs = tuple(str(line).strip() for line in config.getini(METADATA_INI) if str(line).strip())
    for spec in specs:
        if not _METADATA_SPEC.match(spec):
            raise pytest.UsageError(
                f"ini {METADATA_INI}: {spec!r} is not module:attribute (e.g. myapp.models:Base.metadata)"
            )
    return specs


def _flag(config: pytest.Config, name: str) -> tuple[bool, str]:
    # Declared type="bool": pytest parses it, and refuses anything else without naming the option.
    try:
        value = config.getini(name)
    except (pytest.UsageError, ValueError) as exc:
        raise pytest.UsageError(f"ini {name}: {exc}; expected true or false") from None
    if value is None:
        return True, "default"
    return bool(value), f"ini {name}"


def _on_off(value: bool) -> str:
    return "on" if value else "off"
