"""Process-wide wiring: the policy (from opsux.yaml beside this package) and the database."""

from __future__ import annotations

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
def engine(url: str = "sqlite+pysqlite:///tenant_app.db") -> Engine:
    return create_engine(url)


def new_session() -> Session:
    return sessionmaker(engine(), expire_on_commit=False)()
