"""Atomic summary_counts updates as one SQL expression, per dialect.

Reading the counts, adding in Python and writing them back loses updates when two workers report
at once; the database must do the arithmetic inside the UPDATE.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import BigInteger, String, and_, cast, func, literal, true, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement

from opsux_core.errors import UnsupportedDatabase
from opsux_core.models import OperationRun
from opsux_core.summary import MAX_COUNT


def counts_update(dialect: str, values: Mapping[str, int], *, add: bool) -> ColumnElement[Any]:
    """An expression for ``summary_counts`` that adds (or sets) *values* key by key."""
    column = OperationRun.summary_counts
    if dialect == "postgresql":
        current = type_coerce(func.coalesce(column, type_coerce({}, JSONB)), JSONB)
        pairs: list[Any] = []
        for key, value in values.items():
            new: ColumnElement[Any] = literal(value, BigInteger)
            if add:
                new = func.coalesce(cast(current[key].astext, BigInteger), 0) + new
            pairs += [literal(key), new]
        return current.op("||")(func.jsonb_build_object(*pairs))
    if dialect == "sqlite":
        # An explicit String literal: a bare "{}" would be coerced to the JSON type and double-encoded.
        current_text = func.coalesce(column, literal("{}", String))
        args: list[Any] = [current_text]
        for key, value in values.items():
            path = f'$."{key}"'
            new_value: ColumnElement[Any] = literal(value, BigInteger)
            if add:
                new_value = func.coalesce(func.json_extract(current_text, path), 0) + new_value
            args += [path, new_value]
        return func.json_set(*args)
    raise UnsupportedDatabase(dialect)


def counts_fit(dialect: str, deltas: Mapping[str, int]) -> ColumnElement[bool]:
    """A condition that holds when adding *deltas* keeps every count at or below ``MAX_COUNT``.

    Put in the UPDATE's WHERE, it makes the overflow check and the addition one atomic step: two
    concurrent increments cannot both pass a check that only one of them fits.
    """
    column = OperationRun.summary_counts
    checks: list[ColumnElement[bool]] = []
    for key, delta in deltas.items():
        stored: ColumnElement[Any]
        if dialect == "postgresql":
            current = type_coerce(column, JSONB)
            stored = func.coalesce(cast(current[key].astext, BigInteger), 0)
        elif dialect == "sqlite":
            stored = func.coalesce(func.json_extract(column, f'$."{key}"'), 0)
        else:
            raise UnsupportedDatabase(dialect)
        checks.append(stored <= literal(MAX_COUNT - delta, BigInteger))
    return and_(true(), *checks)
