"""Atomic summary_counts updates as one SQL expression, per dialect.

Reading the counts, adding in Python and writing them back loses updates when two workers report
at once; the database must do the arithmetic inside the UPDATE.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import BigInteger, String, cast, func, literal, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement

from opsux_core.errors import UnsupportedDatabase
from opsux_core.models import OperationRun


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
