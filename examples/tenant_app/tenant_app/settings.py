"""Process-wide wiring: the policy (from opsux.yaml beside this package) and the database."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from opsux_core import Policy, load_policy
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

CONFIG = Path(__file__).resolve().parent.parent / "opsux.yaml"


@cache
def policy() -> Policy:
    return load_policy(CONFIG)


@cache
def engine() -> Engine:
    return create_engine(os.environ.get("TENANT_APP_DATABASE_URL", "sqlite+pysqlite:///tenant_app.db"))


def new_session() -> Session:
    return sessionmaker(engine(), expire_on_commit=False)()
